"""Who may see a document: confidential ones only their owner, managers and grantees."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

LEVELS = ("public", "internal", "confidential")


@dataclass(frozen=True)
class Viewer:
    """The person asking. `None` in place of a viewer means the local operator (CLI): sees all."""

    name: str
    role: str
    team: str | None = None

    @property
    def is_manager(self) -> bool:
        return self.role == "manager"


def can_see(
    viewer: Viewer | None, *, confidentiality: str, owner: str | None, grants: frozenset[str]
) -> bool:
    if viewer is None or confidentiality != "confidential" or viewer.is_manager:
        return True
    if owner == viewer.name or viewer.name in grants:
        return True
    return viewer.team is not None and f"team:{viewer.team}" in grants


def version_confidentiality(current: str, version_meta: Mapping[str, Any]) -> str:
    """How confidential a past version is: the stricter of the document's level now and the
    level the version was written under, so reclassifying a document never opens up text that
    was confidential when it was written."""
    written = str(version_meta.get("confidentiality", current))
    levels = [level if level in LEVELS else "confidential" for level in (current, written)]
    return max(levels, key=LEVELS.index)
