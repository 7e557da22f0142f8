"""User management for managers: create (the token is shown once), list, disable."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ContextDep, CurrentPerson, Manager, SessionDep
from api.error_answers import errors
from api.schemas.governance import (
    TokenIssued,
    UserCreate,
    UserCreated,
    UserPublic,
    UsersPublic,
    UserUpdate,
)
from kb.db import transaction
from kb.people import UNSET, add_person, issue_token, list_people, set_disabled, update_person

router = APIRouter(tags=["users"])


@router.post("/users", status_code=201, responses=errors(409))
def create_user(body: UserCreate, _manager: Manager, context: ContextDep) -> UserCreated:
    """Create a person or service identity; the response carries its token, this once."""
    with transaction(context.engine) as session:
        person, token = add_person(
            session, body.name, role=body.role, team=body.team, display_name=body.display_name
        )
    return UserCreated(**UserPublic.of(person).model_dump(), token=token)


@router.get("/users")
def get_users(_manager: Manager, session: SessionDep) -> UsersPublic:
    return UsersPublic(items=[UserPublic.of(p) for p in list_people(session)])


@router.post("/users/{name}/disable", responses=errors(404, 409))
def disable_user(name: str, _manager: Manager, context: ContextDep) -> UserPublic:
    """Disable a person: their token stops working with the next request."""
    with transaction(context.engine) as session:
        person = set_disabled(session, name, True)
    return UserPublic.of(person)


@router.post("/users/me/token")
def rotate_own_token(person: CurrentPerson, context: ContextDep) -> TokenIssued:
    """Anyone: a new token for the caller; the one used for this request stops working."""
    with transaction(context.engine) as session:
        token = issue_token(session, person.name)
    return TokenIssued(name=person.name, token=token)


@router.patch("/users/{name}", responses=errors(404, 409))
def patch_user(name: str, body: UserUpdate, _manager: Manager, context: ContextDep) -> UserPublic:
    """Change a person's role and/or team (managers); the last active manager stays one."""
    given = body.model_fields_set
    with transaction(context.engine) as session:
        person = update_person(
            session,
            name,
            role=body.role if "role" in given else None,
            team=body.team if "team" in given else UNSET,
        )
    return UserPublic.of(person)
