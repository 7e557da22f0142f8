"""FastAPI dependencies: the context, a database session, the authenticated person."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.dependencies.models import Dependant
from pydantic import BaseModel
from sqlmodel import Session

from api.context import Context
from kb.access import Action, Viewer, check_permitted, viewer_of
from kb.errors import InvalidInput
from kb.models import Person
from kb.people import authenticate


def get_context(request: Request) -> Context:
    context: Context = request.app.state.context
    return context


ContextDep = Annotated[Context, Depends(get_context)]


def get_session(context: ContextDep) -> Iterator[Session]:
    """A session per request; routes that write commit explicitly (one transaction)."""
    with Session(context.engine, expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_read_session(
    context: ContextDep,
    min_seq: Annotated[
        int | None,
        Query(
            ge=0,
            description="a write's `seq`: read from a read replica only once it holds that "
            "write (else from the primary)",
        ),
    ] = None,
) -> Iterator[Session]:
    """A session for a route that only reads: on KB_DATABASE_READ_URL when set, unless that
    replica has not replayed change `min_seq` yet (read-your-writes)."""
    with Session(context.read_engine_at(min_seq), expire_on_commit=False) as session:
        yield session


ReadSessionDep = Annotated[Session, Depends(get_read_session)]


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def current_person(request: Request, context: ContextDep) -> Person:
    """The caller, read in a session of its own that is closed before the route runs: a
    request holds a database connection only while it uses one, so a burst of requests
    cannot drain the pool."""
    with Session(context.engine, expire_on_commit=False) as session:
        person = authenticate(session, bearer_token(request))
        session.expunge(person)
    request.state.person = person  # named in the request's log line
    return person


CurrentPerson = Annotated[Person, Depends(current_person)]


# Each permission dependency and the action it checks (the OpenAPI document's 403s).
PERMISSION_CHECKS: dict[Callable[..., Person], Action] = {}


def permitted(action: Action) -> Callable[[Person], Person]:
    """A dependency that lets through the people kb.access permits `action` (403 for others)."""

    def check(person: CurrentPerson) -> Person:
        check_permitted(person.role, action)
        return person

    PERMISSION_CHECKS[check] = action
    return check


# The person asking, when their role may do this (kb.access.PERMISSIONS).
Searcher = Annotated[Person, Depends(permitted(Action.search))]
DocumentReader = Annotated[Person, Depends(permitted(Action.read))]
SuggestedReader = Annotated[Person, Depends(permitted(Action.read_suggested))]
Contributor = Annotated[Person, Depends(permitted(Action.write))]
Reporter = Annotated[Person, Depends(permitted(Action.report))]
Drafter = Annotated[Person, Depends(permitted(Action.draft))]
Manager = Annotated[Person, Depends(permitted(Action.manage))]


def viewer(person: CurrentPerson) -> Viewer:
    return viewer_of(person)


def only_known_query_parameters(request: Request) -> None:
    """A query parameter the route does not take is a 422 that names it, not silently ignored
    (`GET /documents?outcome=won` would otherwise list everything). So is a NUL character in
    the path or the query: no id, name or query holds one (PostgreSQL cannot store it)."""
    if "\x00" in request.scope["path"] or any(
        "\x00" in key or "\x00" in value for key, value in request.query_params.multi_items()
    ):
        raise InvalidInput("the path or the query string holds a NUL character (%00)")
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    known = _query_parameters(dependant)
    unknown = sorted(set(request.query_params.keys()) - known)
    if unknown:
        takes = ", ".join(sorted(known)) or "none"
        raise InvalidInput(
            f"unknown query parameter(s) {', '.join(unknown)}; this endpoint takes: {takes}"
        )


def _query_parameters(dependant: Dependant) -> set[str]:
    """The names of the query parameters a route and its dependencies take."""
    names: set[str] = set()
    for param in dependant.query_params:
        model = param.field_info.annotation
        if isinstance(model, type) and issubclass(model, BaseModel):  # a query parameter model
            names |= {info.alias or name for name, info in model.model_fields.items()}
        else:
            names.add(param.alias)
    for sub in dependant.dependencies:
        names |= _query_parameters(sub)
    return names
