"""The metrics of one serving process, in Prometheus' text format at GET /metrics.

Each `kb serve` is one process (uvicorn with one worker, requests in threads), so each holds its
own registry and every replica is scraped on its own. Counters and histograms are updated as
requests and searches happen; the replica's state (applied seq, lag, queue depth, index size) is
read when scraped.
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from kb.errors import Forbidden
from search.embedding_pass import EMBEDDED

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


@dataclass(frozen=True)
class ReplicaState:
    """What a scrape reports about the replica's search state (None: not known now)."""

    ready: bool
    applied_seq: int | None
    lag: int | None
    queue_depth: int | None
    embedding_failures: int | None
    index_chunks: int
    index_vectors: int


class Metrics:
    """The registry of one process: request and search latency, and the replica's state read
    through `read_state` at each scrape."""

    def __init__(self, read_state: Callable[[], ReplicaState]) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "kb_requests",
            "HTTP requests answered, by route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            "kb_request_duration_seconds",
            "Time to answer an HTTP request, by route template",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.search_seconds = Histogram(
            "kb_search_duration_seconds",
            "Time to rank and fetch one search's results, by mode",
            ["mode"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.requests_in_progress = Gauge(
            "kb_requests_in_progress",
            "HTTP requests being worked on now (at most KB_REQUEST_THREADS)",
            registry=self.registry,
        )
        self.requests_waiting = Gauge(
            "kb_requests_waiting",
            "HTTP requests waiting for a place (more than KB_REQUEST_THREADS at once)",
            registry=self.registry,
        )
        self.registry.register(_StateCollector(read_state))

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.request_seconds.labels(method, route).observe(seconds)

    def observe_search(self, mode: str, seconds: float) -> None:
        self.search_seconds.labels(str(getattr(mode, "value", mode))).observe(seconds)


class _StateCollector(Collector):
    def __init__(self, read_state: Callable[[], ReplicaState]) -> None:
        self.read_state = read_state

    def collect(self) -> Iterator[Metric]:
        state = self.read_state()
        yield CounterMetricFamily(
            "kb_chunks_embedded",
            "Chunk texts this process embedded for storage (queries are not counted)",
            value=EMBEDDED.count,
        )
        gauges = (
            ("kb_ready", "1 once the search indexes are loaded", int(state.ready)),
            ("kb_replica_applied_seq", "Last change of the log applied", state.applied_seq),
            ("kb_replica_lag", "Changes committed but not yet applied here", state.lag),
            ("kb_embedding_queue_depth", "Chunks waiting for a vector", state.queue_depth),
            (
                "kb_embedding_failures",
                "Texts whose last embedding attempt failed (retried with back-off)",
                state.embedding_failures,
            ),
            ("kb_index_chunks", "Chunks in the current search generation", state.index_chunks),
            ("kb_index_vectors", "Vectors in the current search generation", state.index_vectors),
        )
        for name, documentation, value in gauges:
            if value is not None:
                yield GaugeMetricFamily(name, documentation, value=value)


def check_metrics_reader(
    token_setting: str | None, client_host: str | None, bearer: str | None
) -> None:
    """Who may read /metrics: with KB_METRICS_TOKEN set, whoever sends it as a bearer token;
    without it, only clients on the loopback interface (a scraper on the same host)."""
    if token_setting:
        if bearer is None or not secrets.compare_digest(bearer, token_setting):
            raise Forbidden(
                "/metrics needs the token set in KB_METRICS_TOKEN (Authorization: Bearer ...)"
            )
        return
    if not _is_loopback(client_host):
        raise Forbidden(
            "/metrics answers only on the loopback interface; set KB_METRICS_TOKEN to let a "
            "scraper on another host read it with that token"
        )


def _is_loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
