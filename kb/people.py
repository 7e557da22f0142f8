"""People and service identities: roles, teams, bearer tokens (only their hash is stored)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, col, select

from kb.errors import Conflict, InvalidInput, NotFound, Unauthorized
from kb.models import Person
from kb.vocabulary import Role, values

TOKEN_PREFIX = "kb_"
# Authors that are not people: the set-up's imports (`kb ingest --author kb-import`). Their
# work is nobody's contribution.
IMPORT_IDENTITY = "kb-import"
SYSTEM_IDENTITIES = (IMPORT_IDENTITY,)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def get_person(session: Session, name: str) -> Person:
    person = session.exec(select(Person).where(Person.name == name)).first()
    if person is None:
        raise NotFound(f"no person named '{name}'")
    return person


def find_person(session: Session, name: str) -> Person | None:
    return session.exec(select(Person).where(Person.name == name)).first()


def add_person(
    session: Session,
    name: str,
    *,
    role: str,
    team: str | None = None,
    display_name: str | None = None,
) -> tuple[Person, str]:
    """Create a person and return them with their token (shown once, never stored)."""
    name = name.strip()
    _check_name(name)
    _check_role(role)
    if find_person(session, name) is not None:
        raise Conflict(f"a person named '{name}' already exists")
    person = Person(name=name, role=role, team=team, display_name=display_name)
    token = _new_token(person)
    session.add(person)
    session.flush()
    return person, token


def issue_token(session: Session, name: str) -> str:
    """A new token for a person; the old one stops working."""
    person = get_person(session, name)
    token = _new_token(person)
    session.add(person)
    return token


def _new_token(person: Person) -> str:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    person.token_hash = hash_token(token)
    return token


def _check_name(name: str) -> None:
    """Names are single words; `:` is kept for grants (`team:华东售前`)."""
    if not name or any(ch.isspace() or ch == ":" for ch in name):
        raise InvalidInput(f"'{name}' is not a valid user name (one word, no ':', not empty)")


def _check_role(role: str) -> None:
    if role not in values(Role):
        raise InvalidInput(f"unknown role '{role}'; use one of {', '.join(values(Role))}")


def list_people(session: Session, *, include_disabled: bool = True) -> list[Person]:
    query = select(Person).order_by(col(Person.name))
    if not include_disabled:
        query = query.where(Person.disabled == False)  # noqa: E712
    return list(session.exec(query))


def set_disabled(session: Session, name: str, disabled: bool = True) -> Person:
    """Disable (or enable) a person; their token stops (or starts) working at once. The last
    active manager cannot be disabled: nobody could manage people or audits afterwards."""
    person = get_person(session, name)
    if disabled and not person.disabled and person.role == Role.manager:
        check_not_last_manager(session, person)
    person.disabled = disabled
    session.add(person)
    return person


UNSET: Any = object()  # a field left out of an update (None clears the team)


def update_person(
    session: Session, name: str, *, role: str | None = None, team: str | None = UNSET
) -> Person:
    """Change a person's role and/or team (`team` None clears it). The last active manager
    cannot stop being one."""
    person = get_person(session, name)
    if role is not None:
        _check_role(role)
        if person.role == Role.manager and role != Role.manager and not person.disabled:
            check_not_last_manager(session, person)
        person.role = role
    if team is not UNSET:
        person.team = (team or "").strip() or None
    session.add(person)
    return person


def check_not_last_manager(session: Session, person: Person) -> None:
    others = session.exec(
        select(Person).where(
            Person.role == Role.manager.value,
            col(Person.disabled).is_(False),
            Person.name != person.name,
        )
    ).first()
    if others is None:
        raise Conflict(
            f"'{person.name}' is the last active manager; make someone else a manager first "
            "(`kb users add NAME --role manager` or `kb users update NAME --role manager`)"
        )


def authenticate(session: Session, token: str | None) -> Person:
    """The enabled person holding this bearer token, else Unauthorized."""
    if not token:
        raise Unauthorized("missing bearer token (send `Authorization: Bearer <token>`)")
    person = session.exec(select(Person).where(Person.token_hash == hash_token(token))).first()
    if person is None:
        raise Unauthorized("invalid token")
    if person.disabled:
        raise Unauthorized(f"user '{person.name}' is disabled")
    return person


def import_people(session: Session, entries: Iterable[dict[str, Any]]) -> tuple[int, int]:
    """Create or update people from records {name, role, team, display_name, disabled}.
    Returns (created, updated). An existing person keeps what a record leaves out, and an
    import may disable people but never re-enables one (that is `kb users enable`), so
    re-running it cannot bring back a leaver's token. Tokens are not issued: use
    `kb users token NAME`."""
    created = updated = 0
    for entry in entries:
        if not isinstance(entry, dict) or not entry.get("name"):
            raise InvalidInput(f"each person needs at least a name (got {entry!r})")
        name = str(entry["name"]).strip()
        _check_name(name)
        person = find_person(session, name)
        if person is None:
            person = Person(name=name, role=str(entry.get("role", Role.contributor.value)))
            created += 1
        before = (person.role, person.team, person.display_name, person.disabled)
        for field in ("role", "team", "display_name"):
            if field in entry:
                setattr(person, field, entry[field] if field != "role" else str(entry[field]))
        _check_role(person.role)
        person.disabled = person.disabled or bool(entry.get("disabled", False))
        was_active_manager = before[0] == Role.manager and not before[3] and person.id is not None
        if was_active_manager and (person.role != Role.manager or person.disabled):
            check_not_last_manager(session, person)
        if person.id is not None and before != (
            person.role,
            person.team,
            person.display_name,
            person.disabled,
        ):
            updated += 1
        session.add(person)
    return created, updated
