"""Every access and permission rule: who may see a document and which of its versions, who
may change its content, its access, its status or its owner, who may review it, and what each
role (a service identity included) may do at all. Routes, pages and commands ask here; nobody
else compares roles.

A viewer of None is the local operator (the `kb` command on the server): it may do anything.
A document a viewer may not see is reported missing (404), never forbidden, so its existence
does not leak.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlmodel import Session, col, select

from kb.errors import Forbidden, NotFound
from kb.models import Document, DocumentVersion, Grant, Person
from kb.store import resolve_document
from kb.versions import get_version, list_versions
from kb.vocabulary import Confidentiality, Kind, Role, Status, values

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


def viewer_of(person: Person) -> Viewer:
    return Viewer(name=person.name, role=person.role, team=person.team)


# -- what each role may do ------------------------------------------------------------------
class Action(StrEnum):
    search = "search"  # search, suggestions, contribution statistics
    read = "read"  # read documents, their versions and diffs
    read_suggested = "read_suggested"  # read a document and its versions (check_service_read)
    write = "write"  # contribute, upload and update documents
    report = "report"  # record reuse and bid outcomes (the proposal tool)
    draft = "draft"  # make a proposal draft from suggestions (recorded as reuse)
    manage = "manage"  # people, audits, hand-overs, archive / delete / restore


_R, _C, _M, _S = Role.reader, Role.contributor, Role.manager, Role.service
PERMISSIONS: dict[Action, tuple[Role, ...]] = {
    Action.search: (_R, _C, _M, _S),
    # A service identity searches, suggests and reports reuse; of documents, it reads only what
    # it is suggested (check_service_read).
    Action.read: (_R, _C, _M),
    Action.read_suggested: (_R, _C, _M, _S),
    Action.write: (_C, _M),
    Action.report: (_S, _M),
    Action.draft: (_C, _M, _S),
    Action.manage: (_M,),
}
# Who may own documents: the roles that can keep them up to date.
OWNER_ROLES: tuple[str, ...] = values(PERMISSIONS[Action.write])


def permits(role: str, action: Action) -> bool:
    return role in PERMISSIONS[action]


def refuses_some_role(action: Action) -> bool:
    """Whether some role may not do `action` (so asking to do it can be refused)."""
    return any(role not in PERMISSIONS[action] for role in Role)


def check_permitted(role: str, action: Action) -> None:
    """Forbidden unless `role` may do `action`."""
    if not permits(role, action):
        needs = " or ".join(values(PERMISSIONS[action]))
        raise Forbidden(f"role '{role}' may not do this (needs {needs})")


def may_own(person: Person | None) -> bool:
    """Whether `person` may own documents: an active contributor or manager."""
    return person is not None and not person.disabled and person.role in OWNER_ROLES


# -- seeing ---------------------------------------------------------------------------------
def sees_everything(viewer: Viewer | None) -> bool:
    """The local operator and managers see every document, confidential ones included."""
    return viewer is None or viewer.is_manager


def can_see(
    viewer: Viewer | None, *, confidentiality: str, owner: str | None, grants: frozenset[str]
) -> bool:
    if sees_everything(viewer) or confidentiality != Confidentiality.confidential:
        return True
    assert viewer is not None
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
    return viewer is None or permits(viewer.role, Action.manage)


def may_see_all_deliveries(viewer: Viewer | None) -> bool:
    """Everyone's notification deliveries (what failed for whom): managers; others see only
    their own."""
    return viewer is None or permits(viewer.role, Action.manage)


def may_see_deleted(viewer: Viewer | None) -> bool:
    """Deleted documents (their history is kept) are visible to managers only."""
    return viewer is None or viewer.is_manager


def check_service_read(viewer: Viewer | None, document: Document) -> None:
    """A service identity may read the documents it is suggested, no others (Forbidden)."""
    is_service = viewer is not None and viewer.role == Role.service
    if is_service and document.kind not in SERVICE_READABLE_KINDS:
        raise Forbidden(
            f"a service identity reads only {' and '.join(SERVICE_READABLE_KINDS)} documents "
            f"(what it is suggested); document {document.id} is a {document.kind}"
        )


def may_change_access(viewer: Viewer | None, document: Document) -> bool:
    """Who may see a document (its confidentiality, grants and owner) is for its owner or a
    manager to change, not for everyone who can edit it."""
    return _owner_or_manager(viewer, document)


def may_decide_edits(viewer: Viewer | None, document: Document) -> bool:
    """Accept or reject a pending edit of a document (a non-owner's change to an approved Q&A
    waiting for the owner): its owner or a manager."""
    return _owner_or_manager(viewer, document)


def may_name_verifiers(viewer: Viewer | None, document: Document) -> bool:
    """Name who verifies a document (its verifiers, who may then review it): its owner or a
    manager."""
    return _owner_or_manager(viewer, document)


def _owner_or_manager(viewer: Viewer | None, document: Document) -> bool:
    return viewer is None or viewer.is_manager or viewer.name == document.owner


def check_changes(
    session: Session, viewer: Viewer | None, document: Document, fields: Mapping[str, Any]
) -> None:
    """Forbidden when an update's `fields` change what `viewer` may not change: the status
    (managers) or who may see the document (its owner or a manager)."""
    wanted = fields.get("status", document.status)
    if wanted != document.status and not may_change_status(viewer):
        raise Forbidden("only a manager may archive or restore a document (field 'status')")
    if may_change_access(viewer, document):
        return
    assert document.id is not None
    current = {
        "confidentiality": document.confidentiality,
        "owner": document.owner,
        "grants": sorted(grants_of(session, [document.id]).get(document.id, set())),
    }
    for name, value in current.items():
        if name in fields and _normalised(fields[name]) != _normalised(value):
            raise Forbidden(
                f"only the owner ({document.owner or 'none'}) or a manager may change '{name}'"
            )


def _normalised(value: Any) -> Any:
    return sorted(value) if isinstance(value, list) else value


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
    if sees_everything(viewer):
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


def may_see(
    viewer: Viewer | None,
    document: Document,
    grants: Mapping[int, Collection[str]],
    version: DocumentVersion | None = None,
) -> bool:
    """Whether `viewer` may see `document` (or, given, one of its versions), by its level:
    `grants` holds the document's grants (from grants_of)."""
    level = document.confidentiality
    if version is not None:
        level = version_confidentiality(level, version.meta)
    return can_see(
        viewer,
        confidentiality=level,
        owner=document.owner,
        grants=frozenset(grants.get(document.id or -1, ())),
    )


def visible_document(session: Session, ref: str | int, viewer: Viewer | None) -> Document:
    """The document `ref` (numeric id or source id) names, if `viewer` may see it; else
    NotFound, exactly as for a missing one. Deleted documents are visible to managers only."""
    missing = NotFound(f"no document with id or source id '{ref}'")
    try:
        document = resolve_document(session, ref)
    except NotFound:
        raise missing from None
    if document.status == Status.deleted and not may_see_deleted(viewer):
        raise missing
    assert document.id is not None
    if not may_see(viewer, document, grants_of(session, [document.id])):
        raise missing
    return document


def readable_versions(
    session: Session, document: Document, viewer: Viewer | None
) -> list[DocumentVersion]:
    """The versions of a visible document that `viewer` may read: not those written while the
    document was confidential, unless `viewer` may see it as a confidential document."""
    assert document.id is not None
    grants = grants_of(session, [document.id])
    return [v for v in list_versions(session, document) if may_see(viewer, document, grants, v)]


def readable_version(
    session: Session, document: Document, number: int, viewer: Viewer | None
) -> DocumentVersion:
    """Version `number` of a visible document, if `viewer` may read it; else NotFound."""
    version = get_version(session, document, number)
    if not may_see(viewer, document, grants_of(session, [document.id or -1]), version):
        raise NotFound(f"document {document.id} has no version {number}")
    return version
