"""Hand-over: a leaver's documents move to a successor, recorded per document, in one step."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from kb.access import OWNER_ROLES
from kb.clock import utcnow
from kb.errors import InvalidInput, NotFound
from kb.events import record_event
from kb.models import Document
from kb.outbox import Message, notify
from kb.people import check_not_last_manager, find_person
from kb.vocabulary import Role, Topic


@dataclass
class Handover:
    leaver: str
    successor: str
    documents: list[dict[str, Any]] = field(default_factory=list)  # {id, source_id, title}
    disabled: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.leaver,
            "to": self.successor,
            "count": len(self.documents),
            "documents": self.documents,
            "disabled": self.disabled,
        }


def hand_over(
    session: Session,
    leaver: str,
    successor: str,
    *,
    actor: str | None,
    disable: bool = False,
    now: datetime | None = None,
    only: Collection[int] | None = None,
) -> Handover:
    """Give every document owned by `leaver` (whatever its status) to `successor`, with one
    'handover' event per document, and disable the leaver when asked. No versions are made.
    Run it inside one transaction: either everything moves or nothing does. `only` limits it
    to these document ids (to split a leaver's documents between successors)."""
    successor = successor.strip()
    person = find_person(session, leaver)
    documents = list(
        session.exec(select(Document).where(Document.owner == leaver).order_by(col(Document.id)))
    )
    if only is not None:
        owned = {d.id for d in documents}
        strays = sorted(set(only) - owned)
        if strays:
            raise InvalidInput(f"'{leaver}' does not own document(s) {', '.join(map(str, strays))}")
        documents = [d for d in documents if d.id in set(only)]
    if person is None and not documents:
        raise NotFound(f"no person named '{leaver}' and no documents owned by that name")
    if person is None and disable:
        raise NotFound(f"no person named '{leaver}' to disable")
    _check_successor(session, leaver, successor)
    if disable and person is not None and person.role == Role.manager and not person.disabled:
        check_not_last_manager(session, person)  # before anything moves
    now = now or utcnow()
    result = Handover(leaver, successor)
    for document in documents:
        document.owner = successor
        session.add(document)
        record_event(
            session,
            "handover",
            actor=actor,
            document_id=document.id,
            version=document.current_version,
            at=now,
            detail={"from": leaver, "to": successor},
        )
        result.documents.append(
            {"id": document.id, "source_id": document.source_id, "title": document.title}
        )
    if disable and person is not None and not person.disabled:
        person.disabled = True
        session.add(person)
    result.disabled = bool(person is not None and person.disabled)
    _tell_successor(session, result, actor, now)
    return result


def _tell_successor(session: Session, result: Handover, actor: str | None, now: datetime) -> None:
    if not result.documents:
        return
    titles = "\n".join(f"- {d['title']} (document {d['id']})" for d in result.documents)
    message = Message(
        Topic.handover,
        f"{len(result.documents)} document(s) handed over to you from {result.leaver}",
        f"{actor or 'A manager'} handed {result.leaver}'s documents over to you:\n{titles}",
    )
    key = f"handover/{result.leaver}/{result.successor}/{now.isoformat()}"
    notify(session, result.successor, key, message)


def _check_successor(session: Session, leaver: str, successor: str) -> None:
    if not successor:
        raise InvalidInput("name the successor who takes the documents over (`to`)")
    if successor == leaver:
        raise InvalidInput(f"'{leaver}' cannot hand documents over to themselves")
    person = find_person(session, successor)
    if person is None:
        raise NotFound(
            f"no person named '{successor}' to take the documents over; add them first "
            "(`kb users add` or `kb users import`)"
        )
    if person.disabled:
        raise InvalidInput(
            f"'{successor}' is disabled and cannot own documents; choose an active successor"
        )
    if person.role not in OWNER_ROLES:
        raise InvalidInput(
            f"'{successor}' has role '{person.role}' and cannot update documents; choose a "
            f"successor who is a {' or '.join(OWNER_ROLES)}"
        )


def owned_documents(session: Session, owner: str) -> list[Document]:
    """What a hand-over of `owner` would move (every status), by id."""
    query = select(Document).where(Document.owner == owner).order_by(col(Document.id))
    return list(session.exec(query))
