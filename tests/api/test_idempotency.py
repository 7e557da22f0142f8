"""Writes with an `Idempotency-Key`: a retry answers as the first request did and writes
nothing; the key and the answer are stored with the write (a killed server leaves both or
neither); concurrent duplicates write once. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, select

from kb.config import Settings
from kb.db import make_engine, transaction
from kb.embeddings import Embedding
from kb.idempotency import IdempotentWrite
from kb.models import Chunk, Document
from kb.people import add_person
from tests.api.conftest import Headers, assert_error, context_of
from tests.api.servers import LiveServer, serve_process

NOTE = {"kind": "product_note", "title": "X-200 网关", "text": "X-200 supports SM2 and SM4."}


def key(value: str) -> dict[str, str]:
    return {"Idempotency-Key": value}


def count(client: TestClient, table: type) -> int:
    with Session(context_of(client).engine) as session:
        return int(session.exec(select(func.count()).select_from(table)).one())


def test_a_retry_with_the_key_answers_as_the_first_request_and_writes_nothing(
    db_client: tuple[TestClient, dict[str, Headers]],
) -> None:
    client, people = db_client
    headers = {**people["li.na"], **key("create-1")}
    first = client.post("/documents", json=NOTE, headers=headers)
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    documents, keys = count(client, Document), count(client, IdempotentWrite)
    # the same request, its JSON written another way
    again = client.post("/documents", content=json.dumps(NOTE, indent=2), headers=headers)
    assert (again.status_code, again.json()) == (201, first.json())
    assert again.headers["idempotent-replayed"] == "true"
    assert (count(client, Document), count(client, IdempotentWrite)) == (documents, keys)


def test_the_same_key_with_another_request_is_a_422_naming_the_key(
    db_client: tuple[TestClient, dict[str, Headers]],
) -> None:
    client, people = db_client
    headers = {**people["li.na"], **key("k-7")}
    assert client.post("/documents", json=NOTE, headers=headers).status_code == 201
    other = client.post("/documents", json={**NOTE, "title": "another"}, headers=headers)
    error = assert_error(other, 422, "idempotency_key_reused")
    assert "k-7" in error["message"] and "POST /documents" in error["message"]
    assert count(client, Document) == 1
    # keys are per caller: another person's k-7 is another write
    theirs = client.post("/documents", json=NOTE, headers={**people["zhang.wei"], **key("k-7")})
    assert theirs.status_code == 201 and theirs.json()["id"] != other.json().get("id")
    assert count(client, Document) == 2


def test_a_failed_write_keeps_no_key_so_the_fixed_request_goes_through(
    db_client: tuple[TestClient, dict[str, Headers]],
) -> None:
    client, people = db_client
    headers = {**people["li.na"], **key("fix-me")}
    assert_error(client.post("/documents", json={**NOTE, "kind": "nope"}, headers=headers), 422)
    assert count(client, IdempotentWrite) == 0
    assert client.post("/documents", json=NOTE, headers=headers).status_code == 201


def test_update_upload_archive_and_reuse_replay(
    db_client: tuple[TestClient, dict[str, Headers]],
) -> None:
    client, people = db_client
    li, manager = people["li.na"], people["wang.min"]
    created = client.post("/documents", json=NOTE, headers=li).json()
    ref = created["id"]
    update = {"text": "X-200 supports SM2, SM3 and SM4.", "base_version": 1}
    first = client.put(f"/documents/{ref}", json=update, headers={**li, **key("u1")})
    assert first.status_code == 200 and first.json()["version"] == 2
    # without the key the same request is a stale base_version; with it, the first answer
    again = client.put(f"/documents/{ref}", json=update, headers={**li, **key("u1")})
    assert (again.status_code, again.json()) == (200, first.json())
    assert_error(client.put(f"/documents/{ref}", json=update, headers=li), 409)

    files = {"file": ("faq.md", "# 常见问题\n\nX-100 supports IPv6.\n".encode(), "text/markdown")}
    uploads = [
        client.post("/documents/upload", files=files, headers={**li, **key("up")})
        for _ in range(2)  # each with its own multipart boundary
    ]
    assert [u.status_code for u in uploads] == [201, 201]
    assert uploads[0].json() == uploads[1].json()

    archived = [
        client.post(f"/documents/{ref}/archive", headers={**manager, **key("a")}) for _ in (1, 2)
    ]
    assert archived[0].json() == archived[1].json() and archived[0].json()["changed"] is True

    reuse = {"document_id": str(uploads[0].json()["documents"][0]["id"]), "proposal_ref": "P-1"}
    reported = [
        client.post("/reuse", json=reuse, headers={**people["proposal-tool"], **key("r")})
        for _ in (1, 2)
    ]
    assert reported[0].status_code == reported[1].status_code == 201
    assert reported[0].json() == reported[1].json()
    assert count(client, Document) == 2


def test_concurrent_duplicates_with_one_key_write_once(live: LiveServer) -> None:
    """Six copies of a request at once, with and without an id: one write, one answer."""
    for round_, body in enumerate(({**NOTE, "title": "no id"}, {**NOTE, "id": "with-an-id"})):
        headers = {**live.people["li.na"], **key(f"burst-{round_}")}

        def post(_: int, body: dict[str, Any] = body, headers: Headers = headers) -> Any:
            return httpx.post(f"{live.base}/documents", json=body, headers=headers, timeout=60)

        with ThreadPoolExecutor(6) as pool:
            answers = list(pool.map(post, range(6)))
        assert {a.status_code for a in answers} == {201}, [a.text for a in answers]
        assert len({json.dumps(a.json(), sort_keys=True) for a in answers}) == 1
        assert sum("idempotent-replayed" not in a.headers for a in answers) == 1
    with Session(live.context.engine) as session:
        assert session.exec(select(func.count()).select_from(Document)).one() == 2


@pytest.fixture
def token(settings: Settings) -> str:
    engine = make_engine(settings)
    with transaction(engine) as session:
        _, token = add_person(session, "li.na", role="contributor")
    engine.dispose()
    return token


def long_note() -> dict[str, Any]:
    """A document of about a hundred chunks: its embedding takes seconds after its commit."""
    sections = [
        f"## Section {n}\n\n"
        + " ".join(f"Gateway {n} feature {m} handles case {n * m}." for m in range(25))
        for n in range(120)
    ]
    return {"kind": "product_note", "title": "A long manual", "text": "\n\n".join(sections)}


def test_server_killed_mid_embedding_then_a_retry_with_the_key_gives_one_document(
    settings: Settings, token: str
) -> None:
    engine = make_engine(settings)
    headers = {"Authorization": f"Bearer {token}", **key("long-manual")}
    body = long_note()
    with (
        serve_process(settings) as server,
        httpx.Client(timeout=120) as client,
        ThreadPoolExecutor(1) as pool,
    ):
        pending = pool.submit(client.post, f"{server.base}/documents", json=body, headers=headers)
        chunks, embedded = wait_for_commit(engine)
        server.kill()
        with pytest.raises(httpx.TransportError):
            pending.result()
    assert embedded < chunks, "the kill came after the embedding"
    with serve_process(settings) as server, httpx.Client(timeout=300) as client:
        retried = client.post(f"{server.base}/documents", json=body, headers=headers)
        assert retried.status_code == 201, retried.text
        assert retried.headers["idempotent-replayed"] == "true"
        again = client.post(f"{server.base}/documents", json=body, headers=headers)
        assert again.json() == retried.json() and retried.json()["seq"] is not None
        found = client.post(
            f"{server.base}/search",
            json={"query": "Gateway 119 feature 7", "mode": "semantic", "top_k": 1},
            headers=headers,
        )
        assert found.json()["results"][0]["document_id"] == retried.json()["id"]
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Document)).one() == 1
        assert chunk_counts(session) == (chunks, chunks)  # the retry finished the embedding
    engine.dispose()


def wait_for_commit(engine: Any) -> tuple[int, int]:
    """Wait until the document committed (its embedding starts then): its chunk count and
    how many have vectors."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with Session(engine) as session:
            chunks, embedded = chunk_counts(session)
        if chunks:
            return chunks, embedded
        time.sleep(0.02)
    raise AssertionError("the document was not committed in time")


def chunk_counts(session: Session) -> tuple[int, int]:
    chunks = session.exec(select(func.count(func.distinct(Chunk.content_hash)))).one()
    embedded = session.exec(select(func.count()).select_from(Embedding)).one()
    return int(chunks), int(embedded)
