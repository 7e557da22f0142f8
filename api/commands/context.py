"""The Context every command uses, built from the environment once per process."""

from __future__ import annotations

from functools import cache

from api.context import Context
from kb.config import Settings


@cache
def context() -> Context:
    return Context(Settings())
