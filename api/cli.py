"""`kb <verb>`: the command line. Domain errors become a message on stderr and exit code 1."""

from __future__ import annotations

import sys

from api.commands import (  # noqa: F401 (registers)
    analytics,
    documents,
    drafts,
    glossary,
    governance,
    index,
    notify,
    people,
    reviews,
    serve,
    verifiers,
    worker,
)
from api.commands.output import say
from api.commands.root import app
from kb.errors import KBError

__all__ = ["app", "main"]


def main(argv: list[str] | None = None) -> None:
    try:
        app(args=argv)
    except KBError as exc:
        say(f"error: {exc.message}", err=True)
        sys.exit(1)
