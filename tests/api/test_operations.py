"""Operations: /metrics in Prometheus' format and one structured log line per request and per
follower / snapshot event, read from a real `kb serve` process (JSON logs) on SQLite."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from api.context import Context
from api.logs import JsonFormatter, TextFormatter, request_id
from api.metrics import check_metrics_reader
from kb.config import Settings
from kb.errors import Forbidden
from tests.api.conftest import Headers, add_people
from tests.replicas.conftest import Replica, start_replica, stop_replica

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Replica, dict[str, Headers]]]:
    folder = tmp_path_factory.mktemp("operations")
    home = folder / "kb"
    url = f"sqlite:///{home / 'kb.sqlite'}"
    setup = Context(Settings(home=home))
    people = add_people(setup)
    setup.engine.dispose()
    replica = start_replica("server", home, url, KB_LOG_FORMAT="json")
    yield replica, people
    stop_replica(replica)


def scrape(base: str, **headers: str) -> Samples:
    response = httpx.get(f"{base}/metrics", headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def log_lines(replica: Replica) -> list[dict[str, Any]]:
    text = (replica.home.parent / f"{replica.name}.log").read_text()
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def lines_of_request(replica: Replica, request_id: str) -> list[dict[str, Any]]:
    """The log lines of one request; the server writes a request's line after its answer has
    gone out, so wait (up to 10 s) until the line is there."""
    deadline = time.monotonic() + 10
    while True:
        found = [line for line in log_lines(replica) if line.get("request_id") == request_id]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def test_metrics_move_after_a_write_and_a_search(
    server: tuple[Replica, dict[str, Headers]],
) -> None:
    replica, people = server
    before = scrape(replica.base)
    assert value(before, "kb_ready") == 1
    with replica.client() as client:
        created = client.post(
            "/documents",
            json={
                "title": "Backup appliance sizing",
                "kind": "product_note",
                "text": "How to size the backup appliance for a branch office.",
            },
            headers=people["li.na"],
        )
        assert created.status_code == 201, created.text
        source_id = created.json()["source_id"]
        found = client.post(
            "/search",
            json={"query": "backup appliance", "mode": "keyword", "min_seq": created.json()["seq"]},
            headers=people["zhao.lei"],
        )
        assert found.status_code == 200 and found.json()["results"], found.text
        assert client.get(f"/documents/{source_id}", headers=people["zhao.lei"]).status_code == 200
    after = scrape(replica.base)

    posted = ("kb_requests_total", {"method": "POST", "route": "/documents", "status": "201"})
    assert value(after, posted[0], **posted[1]) == value(before, posted[0], **posted[1]) + 1
    read = {"method": "GET", "route": "/documents/{ref:path}"}
    reads = value(after, "kb_request_duration_seconds_count", **read)
    assert reads == value(before, "kb_request_duration_seconds_count", **read) + 1
    assert not [key for key in after if source_id in str(key)]  # templates, never raw paths
    searched = value(after, "kb_search_duration_seconds_count", mode="keyword")
    assert searched == value(before, "kb_search_duration_seconds_count", mode="keyword") + 1
    assert value(after, "kb_search_duration_seconds_sum", mode="keyword") > 0
    assert value(after, "kb_replica_applied_seq") > value(before, "kb_replica_applied_seq")
    assert value(after, "kb_replica_lag") == 0
    assert value(after, "kb_index_chunks") > value(before, "kb_index_chunks")
    assert value(after, "kb_index_vectors") == value(after, "kb_index_chunks")
    embedded = value(after, "kb_chunks_embedded_total")
    assert embedded > value(before, "kb_chunks_embedded_total")  # this writer embeds (SQLite)
    assert value(after, "kb_embedding_queue_depth") == 0


def test_one_json_line_per_request_with_route_user_and_request_id(
    server: tuple[Replica, dict[str, Headers]],
) -> None:
    replica, people = server
    with replica.client() as client:
        response = client.post(
            "/search",
            json={"query": "branch office"},
            headers={**people["zhao.lei"], "X-Request-ID": "trace-42"},
        )
        assert response.status_code == 200
        assert response.headers["x-request-id"] == "trace-42"
        missing = client.get("/documents/no-such-doc", headers=people["zhao.lei"])
        assert missing.status_code == 404
        assert len(missing.headers["x-request-id"]) == 32  # one of its own
    search = lines_of_request(replica, "trace-42")
    assert len(search) == 1
    assert search[0] | {"duration_ms": 0, "time": ""} == {
        "time": "",
        "level": "info",
        "logger": "kb.request",
        "message": search[0]["message"],
        "method": "POST",
        "route": "/search",
        "status": 200,
        "duration_ms": 0,
        "request_id": "trace-42",
        "user": "zhao.lei",
    }
    assert search[0]["duration_ms"] > 0
    not_found = lines_of_request(replica, missing.headers["x-request-id"])
    lines = log_lines(replica)
    assert [(line["route"], line["status"]) for line in not_found] == [
        ("/documents/{ref:path}", 404)
    ]
    events = {line.get("event") for line in lines}
    assert {"follower.loaded", "follower.applied", "snapshot.saved"} <= events
    log = (replica.home.parent / f"{replica.name}.log").read_text()
    for headers in people.values():
        assert headers["Authorization"].removeprefix("Bearer ") not in log


def test_metrics_need_the_token_when_one_is_set(make_client: Callable[..., TestClient]) -> None:
    guarded = make_client(metrics_token="scrape-me")
    assert guarded.get("/metrics").status_code == 403
    assert guarded.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    response = guarded.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
    assert response.status_code == 200 and "kb_index_chunks" in response.text
    # without a token only loopback clients may read (a TestClient's client is "testclient")
    assert make_client().get("/metrics").status_code == 403


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.53", "::1"])
def test_loopback_clients_may_read_metrics_without_a_token(host: str) -> None:
    check_metrics_reader(None, host, None)


@pytest.mark.parametrize("host", ["10.1.2.3", "192.168.1.20", "2001:db8::1", None, "testclient"])
def test_other_clients_may_not(host: str | None) -> None:
    with pytest.raises(Forbidden, match="KB_METRICS_TOKEN"):
        check_metrics_reader(None, host, None)


def test_plain_text_lines_carry_the_same_fields() -> None:
    record = logging.makeLogRecord(
        {
            "name": "kb.request",
            "levelno": logging.INFO,
            "levelname": "INFO",
            "msg": "GET /health 200",
            "args": (),
            "route": "/health",
            "status": 200,
        }
    )
    token = request_id.set("abc")
    try:
        text = TextFormatter().format(record)
        data = json.loads(JsonFormatter().format(record))
    finally:
        request_id.reset(token)
    assert text.endswith("INFO kb.request: GET /health 200 route=/health status=200 request_id=abc")
    assert data["route"] == "/health" and data["request_id"] == "abc" and data["level"] == "info"
