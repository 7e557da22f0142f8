"""Who may see a document: confidential ones only their owner, managers and grantees."""

from __future__ import annotations

from dataclasses import dataclass


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
