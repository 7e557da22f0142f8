"""User management for managers: create (the token is shown once), list, disable."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ContextDep, Manager, SessionDep
from api.schemas.governance import UserCreate, UserCreated, UserPublic, UsersPublic
from kb.db import transaction
from kb.models import Person
from kb.people import add_person, list_people, set_disabled

router = APIRouter(tags=["users"])


def user_public(person: Person) -> UserPublic:
    return UserPublic(
        name=person.name,
        role=person.role,
        team=person.team,
        display_name=person.display_name,
        disabled=person.disabled,
        created_at=person.created_at,
    )


@router.post("/users", status_code=201)
def create_user(body: UserCreate, _manager: Manager, context: ContextDep) -> UserCreated:
    """Create a person or service identity; the response carries its token, this once."""
    with transaction(context.engine) as session:
        person, token = add_person(
            session, body.name, role=body.role, team=body.team, display_name=body.display_name
        )
    return UserCreated(**user_public(person).model_dump(), token=token)


@router.get("/users")
def get_users(_manager: Manager, session: SessionDep) -> UsersPublic:
    return UsersPublic(items=[user_public(p) for p in list_people(session)])


@router.post("/users/{name}/disable")
def disable_user(name: str, _manager: Manager, context: ContextDep) -> UserPublic:
    """Disable a person: their token stops working with the next request."""
    with transaction(context.engine) as session:
        person = set_disabled(session, name, True)
    return user_public(person)
