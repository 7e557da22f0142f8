"""The OpenAPI document says what the server does: every answer a named model (no bare
object), times with their zone, vocabularies as enums, dates as dates, and the error answers
each operation can give in the one error shape. (Schemathesis checks live answers against it.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.app import create_app
from kb.config import Settings

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


def test_every_operation_documents_its_errors_in_the_error_shape(
    document: dict[str, Any],
) -> None:
    missing = []
    for name, operation in operations(document):
        method, path = name.split(" ", 1)
        can_give = {"422", "500"}  # an unknown query parameter, anything unexpected
        if path != "/health":
            can_give |= {"401", "403"}  # every route but /health needs a token and a role
        if "{" in path:
            can_give.add("404")
        if method in {"POST", "PUT", "DELETE"}:
            can_give |= {"400", "409", "413"}
        for status in sorted(can_give):
            answer = operation["responses"].get(status)
            shape = answer and answer["content"]["application/json"]["schema"].get("$ref")
            if shape != ERROR_SHAPE:
                missing.append(f"{name} {status}")
    assert not missing, missing


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
