"""The OpenAPI document says what the server does: every answer a named model (no bare
object), times with their zone, vocabularies as enums, dates as dates, and the error answers
each operation can give in the one error shape. (Schemathesis checks live answers against it.)"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from kb.config import Settings
from tests.api.conftest import Headers, assert_error, row_counts
from tests.api.test_auth_roles import FORBIDDEN

# Response properties that hold one of kb's vocabularies, and ones that hold a calendar day.
ENUM_PROPERTIES = {
    "kind",
    "status",
    "document_status",
    "confidentiality",
    "language",
    "outcome",
    "bid_outcome",
    "role",
    "channel",
    "group_by",
    "mode",
    "section_type",
    "action",
    "topic",
    "type",
    "kinds",
}
DATE_PROPERTIES = {"observed", "decided", "decision_date", "since", "until"}
ERROR_SHAPE = "#/components/schemas/ErrorResponse"


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    home = tmp_path_factory.mktemp("openapi") / "kb"
    spec: dict[str, Any] = create_app(Settings(home=Path(home))).openapi()
    return spec


def operations(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def alternatives(document: dict[str, Any], schema: dict[str, Any]) -> list[dict[str, Any]]:
    """A property's schema without its `null` alternative (`X | None`)."""
    found = [resolve(document, s) for s in schema.get("anyOf", [schema])]
    return [s for s in found if s.get("type") != "null"]


def response_models(document: dict[str, Any]) -> set[str]:
    """Names of every component reachable from a 2xx answer."""
    seen: set[str] = set()

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if ref and ref.rsplit("/", 1)[1] not in seen:
                name = ref.rsplit("/", 1)[1]
                seen.add(name)
                visit(document["components"]["schemas"][name])
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    for _, operation in operations(document):
        for status, answer in operation["responses"].items():
            if status.startswith("2"):
                visit(answer.get("content", {}))
    return seen


def test_every_json_answer_is_a_named_model(document: dict[str, Any]) -> None:
    untyped = []
    for name, operation in operations(document):
        for status, answer in operation["responses"].items():
            schema = answer.get("content", {}).get("application/json", {}).get("schema")
            if status.startswith("2") and schema is not None:
                named = schema.get("$ref") or schema.get("items", {}).get("$ref")
                if not named:
                    untyped.append(f"{name} {status}: {schema}")
    assert not untyped, untyped


def test_governance_analytics_review_and_notification_answers_are_typed(
    document: dict[str, Any],
) -> None:
    models = response_models(document)
    for expected in (
        "FreshnessAuditPublic",
        "ContributionsPublic",
        "HandoverPublic",
        "WinLossPublic",
        "CompetitorPublic",
        "ReviewRequestsPublic",
        "DeliveriesPublic",
        "PreferencePublic",
        "HealthPublic",
    ):
        assert expected in models


def test_times_carry_their_zone_vocabularies_are_enums_and_days_are_dates(
    document: dict[str, Any],
) -> None:
    problems = []
    schemas = document["components"]["schemas"]
    for model in sorted(response_models(document)):
        for field, schema in schemas[model].get("properties", {}).items():
            for option in alternatives(document, schema):
                where = f"{model}.{field}"
                if option.get("format") == "date-time" and "pattern" not in option:
                    problems.append(f"{where}: a time without its zone")
                if field.endswith("_at") and option.get("format") != "date-time":
                    problems.append(f"{where}: not a date-time")
                if field in ENUM_PROPERTIES and "enum" not in option:
                    problems.append(f"{where}: a plain string, not an enum")
                if field in DATE_PROPERTIES and option.get("format") != "date":
                    problems.append(f"{where}: not a date")
    assert not problems, problems


def error_answers(operation: dict[str, Any]) -> set[int]:
    return {int(status) for status in operation["responses"] if not status.startswith("2")}


def test_every_refusal_of_the_role_matrix_is_documented(document: dict[str, Any]) -> None:
    """The 403s tests/api/test_auth_roles.py gets from real requests are in the document."""
    templates = {
        re.compile("^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(path)) + "$"): path
        for path in document["paths"]
    }
    undocumented = []
    for _, method, path, _ in FORBIDDEN:
        concrete = path.replace("{id}", "1")
        found = [t for pattern, t in templates.items() if pattern.match(concrete)]
        operation = document["paths"][min(found, key=len)][method]  # the most specific
        if 403 not in error_answers(operation):
            undocumented.append(f"{method} {path}")
    assert not undocumented, undocumented


def test_no_field_or_parameter_named_for_a_vocabulary_is_a_plain_string(
    document: dict[str, Any],
) -> None:
    """Requests and answers alike: the values are listed, and pydantic refuses others."""
    plain = []
    for model, schema in document["components"]["schemas"].items():
        for field, prop in schema.get("properties", {}).items():
            if field in ENUM_PROPERTIES:
                found = [o.get("items", o) for o in alternatives(document, prop)]
                if any("enum" not in resolve(document, o) for o in found):
                    plain.append(f"{model}.{field}")
    for name, operation in operations(document):
        for parameter in operation.get("parameters", []):
            options = alternatives(document, parameter["schema"])
            if parameter["name"] in ENUM_PROPERTIES and any("enum" not in o for o in options):
                plain.append(f"{name} ?{parameter['name']}")
    assert not plain, plain


def test_a_value_outside_a_vocabulary_is_a_422_naming_the_field(
    client: TestClient, people: dict[str, Headers]
) -> None:
    manager, before = people["wang.min"], row_counts(client)
    item = {"section_type": "结束语", "ref": "1:1"}
    for method, path, body, named in (
        ("post", "/drafts", {"title": "T", "items": [item]}, "items.0.section_type: "),
        ("post", "/suggestions", {"text": "灾备", "section": "nope"}, "section: "),
        ("get", "/glossary?type=gadget", None, "query.type: "),
        ("get", "/audit/freshness?kind=memo", None, "query.kind: "),
        ("get", "/audit/freshness?document_status=gone", None, "query.document_status: "),
        ("get", "/contributions?group_by=role", None, "query.group_by: "),
    ):
        response = client.request(method, path, json=body, headers=manager)
        message = assert_error(response, 422, "invalid_input")["message"]
        assert message.startswith(named) and "Input should be" in message, (path, message)
    solution = {"title": "T", "items": [{"section_type": "解决方案", "ref": "999999:1"}]}
    # A heading still names its type: the draft gets as far as its (missing) section.
    assert_error(client.post("/drafts", json=solution, headers=manager), 404)
    assert row_counts(client) == before


def test_every_error_answer_has_the_error_shape(document: dict[str, Any]) -> None:
    wrong = []
    for name, operation in operations(document):
        for status in error_answers(operation):
            answer = operation["responses"][str(status)]
            if answer["content"]["application/json"]["schema"].get("$ref") != ERROR_SHAPE:
                wrong.append(f"{name} {status}")
    assert not wrong, wrong
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_only_routes_that_need_a_token_document_401_and_403(document: dict[str, Any]) -> None:
    for name, operation in operations(document):
        statuses = error_answers(operation)
        if name == "GET /health":
            assert not statuses & {401, 403}, name
        else:
            assert 401 in statuses, name
        assert {422, 500} <= statuses, name  # the query string every route checks; the unexpected


# Each operation documents exactly what it can give: 401 where a token is needed, 403 where a
# role (or the route's rule) can refuse, 404 where a path or referenced resource can be missing,
# 409 for conflicts, 400/413 where a body is read, 503 while the search indexes load.
EXPECTED_ERRORS = {
    "GET /health": {422, 500},
    "POST /users/me/token": {401, 422, 500},
    "GET /contributions": {401, 422, 500},
    "GET /competitors/{name}": {401, 422, 500},  # an unknown competitor has an empty page
    "GET /documents": {401, 403, 422, 500},  # a service identity does not list documents
    "GET /documents/{ref}": {401, 403, 404, 422, 500},
    "GET /documents/{ref}/versions": {401, 403, 404, 422, 500},
    "GET /bids/{ref}": {401, 404, 422, 500},
    "GET /reuse": {401, 404, 422, 500},
    "GET /audit/freshness": {401, 403, 422, 500},
    "POST /documents": {400, 401, 403, 409, 413, 422, 500},
    "PUT /documents/{ref}": {400, 401, 403, 404, 409, 413, 422, 500},
    "DELETE /documents/{ref}": {401, 403, 404, 422, 500},
    "POST /search": {400, 401, 413, 422, 500, 503},
    "POST /suggestions": {400, 401, 413, 422, 500, 503},
    "POST /documents/{ref}/review": {400, 401, 403, 404, 409, 413, 422, 500},
    "PUT /notifications/preferences": {400, 401, 413, 422, 500},
    "POST /users": {400, 401, 403, 409, 413, 422, 500},
    "PATCH /users/{name}": {400, 401, 403, 404, 409, 413, 422, 500},
}


@pytest.mark.parametrize("name", sorted(EXPECTED_ERRORS))
def test_an_operation_documents_exactly_the_errors_it_can_give(
    document: dict[str, Any], name: str
) -> None:
    assert error_answers(dict(operations(document))[name]) == EXPECTED_ERRORS[name]


def test_writes_document_the_idempotency_key(document: dict[str, Any]) -> None:
    for name in (
        "POST /documents",
        "POST /documents/upload",
        "PUT /documents/{ref}",
        "POST /reuse",
        "POST /bids/{ref}/outcome",
    ):
        operation = dict(operations(document))[name]
        headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
        assert "Idempotency-Key" in headers, name
