"""Racing writers and bursts of users against a real server, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlmodel import Session, select

from kb.models import Document, DocumentVersion
from tests.api.servers import LiveServer

WRITERS = ("li.na", "zhang.wei", "wang.min", "li.na", "zhang.wei", "wang.min")


def at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls in threads released together by a barrier; their results in order."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> Any:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def versions_of(server: LiveServer, source_id: str) -> list[DocumentVersion]:
    with Session(server.context.engine) as session:
        document = session.exec(select(Document).where(Document.source_id == source_id)).one()
        return list(
            session.exec(select(DocumentVersion).where(DocumentVersion.document_id == document.id))
        )


def test_racing_creators_of_one_id_get_one_201_and_409s(live: LiveServer) -> None:
    for round_number in range(3):
        source_id = f"race/round-{round_number}"

        def post(name: str, http: httpx.Client, source_id: str = source_id) -> httpx.Response:
            body = {
                "id": source_id,
                "kind": "qa",
                "title": "Who?",
                "question": "Who?",
                "text": f"By {name}.",
            }
            return http.post("/documents", json=body, headers=live.people[name])

        with httpx.Client(base_url=live.base, timeout=60) as http:
            responses = at_once([lambda n=name: post(n, http) for name in WRITERS])
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [201] + [409] * (len(WRITERS) - 1), [r.text for r in responses]
        assert {r.json()["error"]["code"] for r in responses if r.status_code == 409} == {
            "id_taken"
        }
        winner = WRITERS[[r.status_code for r in responses].index(201)]
        versions = versions_of(live, source_id)
        assert [(v.number, v.author) for v in versions] == [(1, winner)]


def test_a_slow_contribution_cannot_write_onto_a_document_created_meanwhile(
    live: LiveServer,
) -> None:
    """The exploit: a contributor's long text is still being chunked when a manager creates
    the same id as confidential; the contributor must get 409, not version 2."""
    long_text = "\n\n".join(f"Paragraph {n} about X-200 deployment." * 40 for n in range(600))
    secret = {
        "id": "exploit/secret",
        "kind": "product_note",
        "title": "Price floor",
        "text": "The floor price is 4.2M.",
        "confidentiality": "confidential",
    }
    with httpx.Client(base_url=live.base, timeout=120) as http:
        with ThreadPoolExecutor(1) as pool:
            slow = pool.submit(
                http.post,
                "/documents",
                json={
                    "id": "exploit/secret",
                    "kind": "product_note",
                    "title": "Mine",
                    "text": long_text,
                },
                headers=live.people["zhang.wei"],
            )
            time.sleep(0.3)
            manager = http.post("/documents", json=secret, headers=live.people["wang.min"])
            contributor = slow.result()
        assert manager.status_code == 201, manager.text
        assert contributor.status_code == 409, contributor.text
        assert contributor.json()["error"]["code"] == "id_taken"
        page = http.get("/documents/exploit/secret/versions/1", headers=live.people["zhang.wei"])
        assert page.status_code == 404
    versions = versions_of(live, "exploit/secret")
    assert [(v.number, v.author) for v in versions] == [(1, "wang.min")]


def test_32_concurrent_clients_are_all_served(live: LiveServer) -> None:
    """Each request holds a database connection only while it uses one: 32 clients at once
    (more than the worker threads) searching, suggesting, listing and writing all get
    answers, none a 5xx."""
    headers = live.people

    def client_session(number: int) -> list[int]:
        statuses = []
        with httpx.Client(base_url=live.base, timeout=60, headers=headers["li.na"]) as http:
            for turn in range(3):
                statuses.append(http.post("/search", json={"query": "X-200 部署"}).status_code)
                statuses.append(
                    http.post("/suggestions", json={"text": "X-200 deployment"}).status_code
                )
                statuses.append(http.get("/documents").status_code)
                if turn == 0:
                    body = {
                        "kind": "qa",
                        "title": f"Q{number}",
                        "question": f"Q{number}?",
                        "text": f"X-200 note {number}.",
                    }
                    statuses.append(http.post("/documents", json=body).status_code)
        return statuses

    results = at_once([lambda n=n: client_session(n) for n in range(32)])
    statuses = [status for result in results for status in result]
    assert len(statuses) == 32 * 10
    assert set(statuses) <= {200, 201}, sorted(set(statuses))


def request_on(sock: socket.socket, path: str, token: str) -> tuple[int, bytes]:
    """One HTTP/1.1 request on an open keep-alive connection: (status, body)."""
    sock.sendall(
        f"GET {path} HTTP/1.1\r\nHost: kb\r\nAuthorization: Bearer {token}\r\n\r\n".encode()
    )
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"content-length: (\d+)", head, re.I).group(1))  # type: ignore[union-attr]
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection"
        body += chunk
    return int(head.split()[1]), body


def test_after_an_unexpected_500_the_connection_stays_usable_and_the_log_has_no_values(
    live: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A real failure (a table gone from under the server) answers 500 in the error shape; the
    next request on the same connection is served; the log names no statement values."""
    with live.context.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE reuse")
    token = live.people["wang.min"]["Authorization"].split()[1]
    host, port = live.base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        status, body = request_on(sock, "/contributions?since=1999-09-09", token)
        assert status == 500
        assert json.loads(body)["error"]["code"] == "internal_error"
        assert b"1999-09-09" not in body
        status, body = request_on(sock, "/health", token)
        assert status == 200, body
    assert "unexpected error" in caplog.text
    assert "1999-09-09" not in caplog.text
