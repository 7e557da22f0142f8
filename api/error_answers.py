"""The error answers each operation documents in the OpenAPI document, and no others.

Two sources, both in the one error shape (`ErrorResponse`):
- every route: 422 (its inputs, and the query string every route checks) and 500
  (`EVERY_ROUTE`, given to the app);
- what the route's dependencies and body give, derived from the route itself: 401 when it
  needs the caller's token, 403 when it needs a permission some role lacks (kb.access), 400
  and 413 when it takes a body;
- what the route's own rules give, declared on the route with `responses=errors(...)`: 404
  for a path or referenced resource that can be missing (or hidden: a document one may not
  see is a 404, never a 403), 409 for a conflict, 403 for a rule inside the route, 503 while
  the search indexes load.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from api.deps import PERMISSION_CHECKS, current_person
from api.errors import ErrorResponse
from kb.access import refuses_some_role

DESCRIPTIONS: dict[int, str] = {
    400: "a body that cannot be parsed at all (not UTF-8, broken multipart)",
    401: "no bearer token, or one kb does not know (or of a disabled person)",
    403: "the caller's role, or this route's rule, does not let them do this",
    404: "no such resource, or a document the caller may not see",
    409: "an id already taken, a stale base_version, or a state that forbids it",
    413: "the request body is over KB_MAX_REQUEST_BYTES (or the file over KB_MAX_FILE_BYTES)",
    422: "invalid input: the message names the field or parameter and the problem",
    500: "an unexpected failure (logged)",
    503: "the search indexes are still loading; try again shortly",
}
SCHEMA_REF = "#/components/schemas/{model}"
EVERY_ROUTE = (422, 500)


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for the error answers a route's own rules give (see the module)."""
    return {status: _answer(status) for status in statuses}


def derived_errors(route: APIRoute) -> set[int]:
    """The error answers a route's dependencies and inputs give (see the module)."""
    calls = set(_calls(route.dependant))
    statuses: set[int] = set()
    if current_person in calls:
        statuses.add(401)
    if any(refuses_some_role(PERMISSION_CHECKS[c]) for c in calls if c in PERMISSION_CHECKS):
        statuses.add(403)
    if route.body_field is not None:
        statuses |= {400, 413}
    return statuses


def install_error_answers(app: FastAPI, routes: Iterable[APIRoute]) -> None:
    """Make `app.openapi()` document, on each operation of `routes`, its derived errors."""
    derived = {
        (method.lower(), route.path_format): derived_errors(route)
        for route in routes
        for method in route.methods or ()
    }
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            _add_error_shape(schema)
            for path, operations in schema["paths"].items():
                for method, operation in operations.items():
                    answers = operation["responses"]
                    for status in derived.get((method, path), ()):
                        answers.setdefault(str(status), _documented(status))
                    operation["responses"] = dict(sorted(answers.items()))
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented extension point


def _answer(status: int) -> dict[str, Any]:
    return {"model": ErrorResponse, "description": DESCRIPTIONS[status]}


def _documented(status: int) -> dict[str, Any]:
    ref = SCHEMA_REF.format(model=ErrorResponse.__name__)
    return {
        "description": DESCRIPTIONS[status],
        "content": {"application/json": {"schema": {"$ref": ref}}},
    }


def _add_error_shape(schema: dict[str, Any]) -> None:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    shape = ErrorResponse.model_json_schema(ref_template=SCHEMA_REF, mode="serialization")
    for name, definition in shape.pop("$defs", {}).items():
        components.setdefault(name, definition)
    components.setdefault(ErrorResponse.__name__, shape)


def _calls(dependant: Dependant) -> Iterable[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)
