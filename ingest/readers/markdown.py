"""Markdown with optional YAML front matter between `---` lines at the top."""

from __future__ import annotations

import re
from typing import Any

import yaml

from ingest.decoding import decode_text
from ingest.limits import MAX_FIELD_DEPTH
from ingest.parsed import ParsedDocument, ReadResult
from kb.errors import DocumentFormatError

_OPENING = "---"
_CLOSINGS = ("---", "...")
_H1 = re.compile(r"^ {0,3}# +(.+?)(?: +#+)? *$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def read(data: bytes, origin: str) -> ReadResult:
    """One document: front matter as `fields`, the body kept as Markdown."""
    text = decode_text(data, origin)
    fields, body = split_front_matter(text, origin)
    body = body.strip("\n")
    if not body.strip():
        raise DocumentFormatError(f"{origin}: empty document")
    title = fields.get("title")
    title = str(title) if title not in (None, "") else first_heading(body)
    return ReadResult(documents=[ParsedDocument(body, fields, origin, title)])


def split_front_matter(text: str, origin: str) -> tuple[dict[str, Any], str]:
    """Split `text` into (front matter mapping, body); no front matter gives ({}, text)."""
    lines = text.split("\n")
    if lines[0].rstrip() != _OPENING:
        return {}, text
    closing = next((i for i, line in enumerate(lines[1:], 1) if line.rstrip() in _CLOSINGS), None)
    if closing is None:
        raise DocumentFormatError(f"{origin}: invalid front matter: no closing '---' line")
    fields = _load_yaml("\n".join(lines[1:closing]), origin)
    return fields, "\n".join(lines[closing + 1 :])


def first_heading(markdown: str) -> str | None:
    """Text of the first `# ` heading outside code fences, or None."""
    fence: str | None = None
    for line in markdown.split("\n"):
        opener = _FENCE.match(line)
        if opener:
            marker = opener.group(1)
            if fence is None:
                fence = marker
            elif marker[0] == fence[0] and len(marker) >= len(fence):
                fence = None
            continue
        match = None if fence else _H1.match(line)
        if match:
            return match.group(1).strip()
    return None


class _FrontMatterLoader(yaml.SafeLoader):
    """The safe loader without aliases (an alias bomb of a few hundred bytes expands to
    gigabytes; a self-referencing one never ends) and without deep nesting; an impossible
    date such as 2026-13-45 stays text, for field validation to name."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None,
                None,
                f"aliases (*{event.anchor}) are not allowed; write the value out",
                event.start_mark,
            )
        self.depth += 1
        if self.depth > MAX_FIELD_DEPTH:
            raise yaml.composer.ComposerError(
                None,
                None,
                f"nested more than {MAX_FIELD_DEPTH} levels deep",
                self.peek_event().start_mark,
            )
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_yaml_timestamp(self, node: Any) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:  # e.g. month 13: keep the text
            return self.construct_scalar(node)


_FrontMatterLoader.add_constructor(
    "tag:yaml.org,2002:timestamp", _FrontMatterLoader.construct_yaml_timestamp
)


def _load_yaml(source: str, origin: str) -> dict[str, Any]:
    try:
        loaded = yaml.load(source, Loader=_FrontMatterLoader)  # noqa: S506 (a safe loader)
    except yaml.MarkedYAMLError as exc:
        where = f" (line {exc.problem_mark.line + 2})" if exc.problem_mark else ""
        raise DocumentFormatError(
            f"{origin}: invalid front matter: {exc.problem or exc.context}{where}"
        ) from exc
    except yaml.YAMLError as exc:
        raise DocumentFormatError(f"{origin}: invalid front matter: {exc}") from exc
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise DocumentFormatError(
            f"{origin}: invalid front matter: expected `key: value` lines, "
            f"got a {type(loaded).__name__}"
        )
    return {str(key): value for key, value in loaded.items()}
