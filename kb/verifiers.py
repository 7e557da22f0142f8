"""Who verifies a document: the people named for it, else the default for its kind and its
owner's team, else the default for its kind in any team, else its owner."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from kb.access import OWNER_ROLES, may_own
from kb.errors import InvalidInput
from kb.models import Document, DocumentVerifier, VerifierDefault
from kb.people import find_person
from kb.vocabulary import Kind, values

KINDS = values(Kind)

MAX_VERIFIERS = 20


@dataclass(frozen=True)
class Verifiers:
    names: tuple[str, ...]
    source: str  # document, default (kind and team), default (kind), owner, none


def verifiers_of(session: Session, document: Document) -> Verifiers:
    named = session.exec(
        select(DocumentVerifier.person)
        .where(DocumentVerifier.document_id == document.id)
        .order_by(col(DocumentVerifier.person))
    ).all()
    if named:
        return Verifiers(tuple(named), "document")
    owner = find_person(session, document.owner) if document.owner else None
    team = owner.team if owner is not None else None
    for wanted_team, source in ((team, "default (kind and team)"), ("", "default (kind)")):
        if wanted_team is None:
            continue
        default = _default(session, document.kind, wanted_team)
        if default is not None and default.verifiers:
            return Verifiers(tuple(default.verifiers), source)
    if document.owner:
        return Verifiers((document.owner,), "owner")
    return Verifiers((), "none")


def set_document_verifiers(session: Session, document: Document, names: Sequence[str]) -> None:
    """Name a document's verifiers; an empty list goes back to the defaults."""
    wanted = _checked(session, names)
    existing = session.exec(
        select(DocumentVerifier).where(DocumentVerifier.document_id == document.id)
    ).all()
    for row in existing:
        session.delete(row)
    session.flush()
    assert document.id is not None
    session.add_all(DocumentVerifier(document_id=document.id, person=n) for n in wanted)


def set_default_verifiers(
    session: Session, kind: str, team: str | None, names: Sequence[str]
) -> VerifierDefault:
    """The verifiers of documents of `kind` owned by someone in `team` (None: any team);
    an empty list removes the default."""
    if kind not in KINDS:
        raise InvalidInput(f"unknown kind '{kind}'; use one of {', '.join(KINDS)}")
    team_key = (team or "").strip()
    default = _default(session, kind, team_key) or VerifierDefault(kind=kind, team=team_key)
    default.verifiers = _checked(session, names)
    if default.verifiers:
        session.add(default)
    elif default.id is not None:
        session.delete(default)
    return default


def list_defaults(session: Session) -> list[VerifierDefault]:
    return list(
        session.exec(
            select(VerifierDefault).order_by(col(VerifierDefault.kind), col(VerifierDefault.team))
        )
    )


def _default(session: Session, kind: str, team: str) -> VerifierDefault | None:
    return session.exec(
        select(VerifierDefault).where(VerifierDefault.kind == kind, VerifierDefault.team == team)
    ).first()


def _checked(session: Session, names: Sequence[str]) -> list[str]:
    """Verifiers are active people who may update documents."""
    wanted = list(dict.fromkeys(n.strip() for n in names if n.strip()))
    if len(wanted) > MAX_VERIFIERS:
        raise InvalidInput(f"{len(wanted)} verifiers; the limit is {MAX_VERIFIERS}")
    for name in wanted:
        person = find_person(session, name)
        if person is None:
            raise InvalidInput(f"no person named '{name}' to verify documents")
        if not may_own(person):
            raise InvalidInput(
                f"'{name}' cannot verify documents (needs an active {' or '.join(OWNER_ROLES)})"
            )
    return wanted
