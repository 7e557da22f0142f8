"""Interface text: one message catalog per language (i18n/zh.json, i18n/en.json).
Chinese is the default; a person's choice is kept on their record."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
CATALOG_DIR = Path(__file__).parent / "i18n"


@cache
def catalog(language: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((CATALOG_DIR / f"{language}.json").read_text("utf-8"))
    return data


def translator(language: str) -> Callable[..., str]:
    """`t(key, **values)`: the key's text in `language` (English, then the key, if missing)."""
    chosen = language if language in LANGUAGES else DEFAULT_LANGUAGE

    def t(key: str, **values: Any) -> str:
        text = catalog(chosen).get(key) or catalog("en").get(key) or _bare(key)
        return text.format(**values) if values else text

    return t


def _bare(key: str) -> str:
    """A key with no text (a metadata field the catalog does not name): its name."""
    for prefix in ("field_", "value_", "facet_"):
        if key.startswith(prefix):
            return key[len(prefix) :]
    return key
