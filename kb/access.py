"""Who may see, review or change a document: confidential ones only their owner, managers and
grantees; reviews by the owner, the document's verifiers or a manager."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from kb.errors import Forbidden
from kb.models import Document, Grant
from kb.vocabulary import Confidentiality, Kind, Role, values

LEVELS = values(Confidentiality)  # from the most open to the strictest
# A service identity (the proposal tool) reads whole documents only of the kinds it is
# suggested: proposals and Q&A.
SERVICE_READABLE_KINDS = (Kind.proposal, Kind.qa)


@dataclass(frozen=True)
class Viewer:
    """The person asking. `None` in place of a viewer means the local operator (CLI): sees all."""

    name: str
    role: str
    team: str | None = None

    @property
    def is_manager(self) -> bool:
        return self.role == Role.manager


def can_see(
    viewer: Viewer | None, *, confidentiality: str, owner: str | None, grants: frozenset[str]
) -> bool:
    if viewer is None or confidentiality != Confidentiality.confidential or viewer.is_manager:
        return True
    if owner == viewer.name or viewer.name in grants:
        return True
    return viewer.team is not None and f"team:{viewer.team}" in grants


def may_review(
    viewer: Viewer | None, *, owner: str | None, verifiers: Collection[str] = ()
) -> bool:
    """Mark a document verified or decide a review request of it: its owner, one of its
    verifiers or a manager (None: the local operator)."""
    if viewer is None or viewer.is_manager:
        return True
    return viewer.name == owner or viewer.name in verifiers


def may_change_status(viewer: Viewer | None) -> bool:
    """Archive, delete or restore a document: managers (and the local operator)."""
    return viewer is None or viewer.is_manager


def check_service_read(role: str, document: Document) -> None:
    """A service identity may read the documents it is suggested, no others (Forbidden)."""
    if role == "service" and document.kind not in SERVICE_READABLE_KINDS:
        raise Forbidden(
            f"a service identity reads only {' and '.join(SERVICE_READABLE_KINDS)} documents "
            f"(what it is suggested); document {document.id} is a {document.kind}"
        )


def version_confidentiality(current: str, version_meta: Mapping[str, Any]) -> str:
    """How confidential a past version is: the stricter of the document's level now and the
    level the version was written under, so reclassifying a document never opens up text that
    was confidential when it was written."""
    written = str(version_meta.get("confidentiality", current))
    strictest = Confidentiality.confidential.value
    levels = [level if level in LEVELS else strictest for level in (current, written)]
    return max(levels, key=LEVELS.index)


def grants_of(session: Session, ids: list[int] | None = None) -> dict[int, set[str]]:
    """Principals granted on each document (`name` or `team:NAME`), for these ids or all."""
    query = select(Grant)
    if ids is not None:
        query = query.where(col(Grant.document_id).in_(ids))
    found: dict[int, set[str]] = defaultdict(set)
    for grant in session.exec(query):
        found[grant.document_id].add(grant.principal)
    return found


def hidden_documents(session: Session, viewer: Viewer | None) -> set[int]:
    """Ids of the confidential documents `viewer` may not see (none for the local operator
    or a manager): what listings, counts and audits leave out for them."""
    if viewer is None or viewer.is_manager:
        return set()
    confidential = list(
        session.exec(
            select(Document).where(Document.confidentiality == Confidentiality.confidential)
        )
    )
    grants = grants_of(session, [d.id for d in confidential if d.id is not None])
    return {
        d.id
        for d in confidential
        if d.id is not None
        and not can_see(
            viewer,
            confidentiality=d.confidentiality,
            owner=d.owner,
            grants=frozenset(grants.get(d.id, ())),
        )
    }
