"""A real server on loopback, spoken to over HTTP with httpx."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from kb.config import Settings
from search.embedder import SentenceTransformerEmbedder
from tests.api.conftest import Headers
from tests.api.servers import live_server_over
from tests.conftest import make_context


@pytest.fixture
def live_server(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> Iterator[tuple[str, dict[str, Headers]]]:
    context = make_context(Settings(home=tmp_path / "kb", max_request_bytes=10_000), embedder)
    with live_server_over(context) as server:
        yield server.base, server.people
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
