"""Every error has the shape {"error": {"code", "message"}} and a bad request writes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from kb.config import Settings
from search.embedder import SentenceTransformerEmbedder
from tests.api.conftest import Headers, add_people, assert_error, context_of, create, row_counts
from tests.conftest import make_context

NOTE = {"title": "Backup appliance", "kind": "product_note", "text": "X-200 keeps snapshots."}


def test_error_shapes(client: TestClient, people: dict[str, Headers]) -> None:
    saved = create(client, people["li.na"], **NOTE)
    client.put(
        f"/documents/{saved['id']}",
        json={"base_version": 1, "text": "Changed."},
        headers=people["li.na"],
    )
    assert_error(client.get("/documents"), 401, "unauthorized")
    assert_error(
        client.delete(f"/documents/{saved['id']}", headers=people["li.na"]), 403, "forbidden"
    )
    assert_error(client.get("/documents/424242", headers=people["li.na"]), 404, "not_found")
    assert_error(client.get("/no/such/route", headers=people["li.na"]), 404, "not_found")
    assert_error(client.patch("/documents", headers=people["li.na"]), 405)
    conflict = client.put(
        f"/documents/{saved['id']}",
        json={"base_version": 1, "text": "Old."},
        headers=people["li.na"],
    )
    assert assert_error(conflict, 409, "version_conflict")["current_version"] == 2
    assert_error(
        client.post("/documents", json={**NOTE, "colour": "red"}, headers=people["li.na"]),
        422,
        "invalid_input",
    )


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({**NOTE, "colour": "red"}, "colour"),
        ({**NOTE, "kind": "memo"}, "kind"),
        ({**NOTE, "products": "X-200"}, "products"),
        ({**NOTE, "review_interval_days": -1}, "review_interval_days"),
        ({**NOTE, "review_interval_days": 3_000_000}, "review_interval_days"),
        ({**NOTE, "review_interval_days": "90"}, "review_interval_days"),
        ({**NOTE, "kind": "bid_result", "bid": "B", "customer": "C", "amount": True}, "amount"),
        ({**NOTE, "updated": "last week"}, "updated"),
        ({**NOTE, "confidentiality": "secret"}, "confidentiality"),
        ({"kind": "product_note", "text": "x"}, "title"),
        ({**NOTE, "text": "   "}, "text"),
    ],
)
def test_bad_fields_are_422_naming_the_field_and_write_nothing(
    client: TestClient, people: dict[str, Headers], body: dict[str, Any], named: str
) -> None:
    before = row_counts(client)
    response = client.post("/documents", json=body, headers=people["li.na"])
    assert named in assert_error(response, 422, "invalid_input")["message"]
    assert row_counts(client) == before


def test_malformed_json_is_422(client: TestClient, people: dict[str, Headers]) -> None:
    response = client.post(
        "/documents",
        content=b"{not json",
        headers={**people["li.na"], "Content-Type": "application/json"},
    )
    assert_error(response, 422, "invalid_input")


def test_an_oversize_body_is_413_and_writes_nothing(
    make_client: Callable[..., TestClient],
) -> None:
    client = make_client(max_request_bytes=2_000)
    people = add_people(context_of(client))
    before = row_counts(client)
    big = {**NOTE, "text": "x" * 5_000}
    response = client.post("/documents", json=big, headers=people["li.na"])
    assert "KB_MAX_REQUEST_BYTES" in assert_error(response, 413, "payload_too_large")["message"]
    chunked = client.post(
        "/documents",
        content=iter([b'{"title": "t", "text": "', b"x" * 5_000]),
        headers={**people["li.na"], "Content-Type": "application/json"},
    )
    assert_error(chunked, 413, "payload_too_large")
    assert row_counts(client) == before
    assert client.post("/documents", json=NOTE, headers=people["li.na"]).status_code == 201


def test_unknown_ids_are_404_and_write_nothing(
    client: TestClient, people: dict[str, Headers]
) -> None:
    before = row_counts(client)
    manager = people["wang.min"]
    for method, path, body in (
        ("PUT", "/documents/424242", {"base_version": 1, "text": "x"}),
        ("DELETE", "/documents/no/such", None),
        ("POST", "/documents/424242/archive", None),
        ("GET", "/documents/424242/versions", None),
        ("GET", "/documents/424242/diff", None),
    ):
        response = client.request(method, path, json=body, headers=manager)
        assert_error(response, 404, "not_found")
    assert row_counts(client) == before


@pytest.mark.parametrize("bad_id", ["99999999999999999999", "²", "0"])
def test_ids_that_cannot_name_a_row_are_404(
    client: TestClient, people: dict[str, Headers], bad_id: str
) -> None:
    """Out-of-range or non-ASCII digits used to reach the database and crash with a 500."""
    create(client, people["li.na"], **NOTE)
    before = row_counts(client)
    manager = people["wang.min"]
    for method, path in (
        ("GET", f"/documents/{bad_id}"),
        ("GET", f"/documents/{bad_id}/versions/1"),
        ("POST", f"/documents/{bad_id}/review"),
    ):
        assert_error(client.request(method, path, headers=manager), 404, "not_found")
    huge_chunk = {"chunk_id": 2**64, "proposal_ref": "P-1"}
    assert_error(client.post("/reuse", json=huge_chunk, headers=manager), 404, "not_found")
    saved = create(client, people["li.na"], **{**NOTE, "title": "Second"})
    before = row_counts(client)
    for path in (f"versions/{bad_id}", f"diff?to={bad_id}"):
        response = client.get(f"/documents/{saved['id']}/{path}", headers=manager)
        assert response.status_code in (404, 422), response.text  # 422: not a number at all
        assert set(response.json()["error"]) >= {"code", "message"}
    huge_version = {"document_id": saved["id"], "version": 2**64, "proposal_ref": "P-1"}
    assert_error(client.post("/reuse", json=huge_version, headers=manager), 404, "not_found")
    assert row_counts(client) == before


def test_an_unexpected_error_still_has_the_error_shape(
    make_client: Callable[..., TestClient],
) -> None:
    """A database that vanished under a running server: 500 in the fixed shape, not plain text."""
    client = make_client()
    reader = add_people(context_of(client))["zhao.lei"]
    database = context_of(client).settings.home / "kb.sqlite"
    context_of(client).engine.dispose()
    database.unlink()
    database.mkdir()
    response = TestClient(client.app, raise_server_exceptions=False).get(
        "/documents", headers=reader
    )
    assert_error(response, 500, "internal_error")


@pytest.mark.parametrize(
    ("path", "unknown"),
    [("/documents?outcome=won", "outcome"), ("/contributions?from=2026-01-01", "from")],
)
def test_unknown_query_parameters_are_422_naming_them(
    client: TestClient, people: dict[str, Headers], path: str, unknown: str
) -> None:
    """Ignoring them would answer a different question than the one asked."""
    response = client.get(path, headers=people["wang.min"])
    message = assert_error(response, 422, "invalid_input")["message"]
    assert f"unknown query parameter(s) {unknown}" in message and "this endpoint takes" in message


@pytest.mark.parametrize(
    ("path", "body", "named"),
    [
        ("/reuse", {"chunk_id": True, "proposal_ref": "P-1"}, "chunk_id"),
        ("/search", {"query": "x", "top_k": "5"}, "top_k"),
        ("/search", {"query": "x", "history": "yes"}, "history"),
    ],
)
def test_wrong_types_are_not_coerced(
    client: TestClient, people: dict[str, Headers], path: str, body: dict[str, Any], named: str
) -> None:
    """`true` is not chunk 1 and "yes" is not true: a wrong type is a 422 naming the field."""
    create(client, people["li.na"], **NOTE)
    before = row_counts(client)
    response = client.post(path, json=body, headers=people["wang.min"])
    assert named in assert_error(response, 422, "invalid_input")["message"]
    assert row_counts(client) == before


def test_a_non_finite_amount_is_refused(client: TestClient, people: dict[str, Headers]) -> None:
    body = '{"title": "B", "kind": "bid_result", "bid": "B-1", "customer": "C", "text": "x", '
    response = client.post(
        "/documents",
        content=body + '"amount": 1e400}',
        headers={**people["li.na"], "Content-Type": "application/json"},
    )
    assert "amount" in assert_error(response, 422, "invalid_input")["message"]


def test_a_failing_read_replica_logs_no_statement_values(
    settings: Settings, embedder: SentenceTransformerEmbedder, caplog: pytest.LogCaptureFixture
) -> None:
    """Routes that only read use KB_DATABASE_READ_URL's engine: its errors carry no values
    either (here the replica is the database itself, with a table gone)."""
    replicated = settings.model_copy(update={"database_read_url": settings.resolved_database_url})
    context = make_context(replicated, embedder)
    people = add_people(context)
    with context.engine.begin() as connection:
        cascade = " CASCADE" if settings.database_url else ""
        connection.exec_driver_sql(f"DROP TABLE document{cascade}")
    client = TestClient(create_app(context=context), raise_server_exceptions=False)
    response = client.get("/documents/secret-ref-42", headers=people["wang.min"])
    assert_error(response, 500, "internal_error")
    assert "unexpected error" in caplog.text
    assert "secret-ref-42" not in caplog.text.replace("/documents/secret-ref-42", "")
    context.engine.dispose()
    context.read_engine.dispose()
