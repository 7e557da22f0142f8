"""A real server on loopback, spoken to over HTTP with httpx."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from api.app import create_app
from kb.config import Settings
from search.embedder import SentenceTransformerEmbedder
from tests.api.conftest import Headers, add_people
from tests.conftest import make_context


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def live_server(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> Iterator[tuple[str, dict[str, Headers]]]:
    context = make_context(Settings(home=tmp_path / "kb", max_request_bytes=10_000), embedder)
    people = add_people(context)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(context=context), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}", people
    server.should_exit = True
    thread.join(timeout=10)
    context.engine.dispose()


def test_contribute_then_search_over_http(live_server: tuple[str, dict[str, Headers]]) -> None:
    base, people = live_server
    with httpx.Client(base_url=base, timeout=30) as http:
        assert http.get("/health").json()["status"] == "ok"
        assert http.post("/search", json={"query": "x"}).status_code == 401
        created = http.post(
            "/documents",
            headers=people["li.na"],
            json={
                "title": "麒麟适配",
                "kind": "product_note",
                "text": "X-200 已完成麒麟操作系统适配。",
            },
        )
        assert created.status_code == 201, created.text
        found = http.post(
            "/search", headers=people["proposal-tool"], json={"query": "麒麟 适配"}
        ).json()["results"]
        assert [hit["document_id"] for hit in found] == [created.json()["id"]]
        too_big = http.post("/documents", headers=people["li.na"], content=b"x" * 20_000)
        assert too_big.status_code == 413
        assert too_big.json()["error"]["code"] == "payload_too_large"
