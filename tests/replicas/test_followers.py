"""Replicas on one PostgreSQL: writes through replica A (15 ms each way to the database) are
seen by searches on replica B, in commit order, within a bound; a restore is detected."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from tests.replicas.conftest import Cluster, run_kb

ROUNDS = 25
LAG_BOUND = 5.0  # seconds after a write's response by which every replica shows it


def search_ids(http: httpx.Client, headers: dict[str, str], query: str, **extra: Any) -> set[int]:
    response = http.post(
        "/search", json={"query": query, "mode": "keyword", **extra}, headers=headers
    )
    assert response.status_code == 200, response.text
    return {hit["document_id"] for hit in response.json()["results"]}


def lag_until(check: Callable[[], bool]) -> float:
    """Seconds until `check` holds (polled), failing past LAG_BOUND."""
    start = time.monotonic()
    while not check():
        elapsed = time.monotonic() - start
        assert elapsed < LAG_BOUND, f"not seen within {LAG_BOUND} s"
        time.sleep(0.01)
    return time.monotonic() - start


class Background:
    """Searches replica B all the time, counting server errors."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster, self.statuses = cluster, []  # type: ignore[var-annotated]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        with self.cluster.b.client() as http:
            while not self._stop.is_set():
                response = http.post(
                    "/search",
                    json={"query": "replica round marker appliance"},
                    headers=self.cluster.people["zhao.lei"],
                )
                self.statuses.append(response.status_code)

    def stop(self) -> list[int]:
        self._stop.set()
        self._thread.join(timeout=30)
        return self.statuses


def one_round(cluster: Cluster, a: httpx.Client, b: httpx.Client, round_: int) -> list[float]:
    """Create, reclassify and delete one document through A; B must show each change at
    once to a search that passes the write's seq, and to every search within the bound."""
    people = cluster.people
    outsider, manager = people["chen.jie"], people["wang.min"]
    marker = f"RM{round_}Q{round_}"
    created = a.post(
        "/documents",
        json={
            "title": f"Replica round {round_}",
            "kind": "product_note",
            "text": f"Replica round marker appliance {marker}.",
        },
        headers=people["li.na"],
    )
    assert created.status_code == 201, created.text
    doc, seq = created.json()["id"], created.json()["seq"]
    assert doc in search_ids(b, outsider, marker, min_seq=seq)  # 0 missed
    lags = [lag_until(lambda: doc in search_ids(b, outsider, marker))]

    secret = a.put(
        f"/documents/{doc}",
        json={"confidentiality": "confidential", "base_version": 1},
        headers=people["li.na"],
    )
    assert secret.status_code == 200, secret.text
    seq = secret.json()["seq"]
    assert doc not in search_ids(b, outsider, marker, min_seq=seq)  # 0 leaked
    assert doc in search_ids(b, manager, marker, min_seq=seq)
    lags.append(lag_until(lambda: doc not in search_ids(b, outsider, marker)))

    deleted = a.delete(f"/documents/{doc}", headers=manager)
    assert deleted.status_code == 200, deleted.text
    seq = deleted.json()["seq"]
    assert doc not in search_ids(b, manager, marker, min_seq=seq)
    lags.append(lag_until(lambda: doc not in search_ids(b, manager, marker)))
    return lags


def test_writes_on_one_replica_reach_searches_on_another(cluster: Cluster) -> None:
    background = Background(cluster)
    lags: list[float] = []
    with cluster.a.client() as a, cluster.b.client() as b:
        for round_ in range(ROUNDS):
            lags += one_round(cluster, a, b, round_)
    statuses = background.stop()
    assert statuses and all(status == 200 for status in statuses)  # 0 5xx
    assert max(lags) < LAG_BOUND
    health = httpx.get(f"{cluster.b.base}/health").json()
    assert health["ready"] and health["lag"] == 0 and health["seq"] > 0


def copy_tables(database_url: str, source: str, target: str) -> None:
    """Copy every kb table from schema `source` to schema `target` (a dump and a restore)."""
    engine = create_engine(database_url)
    with engine.begin() as connection:
        tables = [
            row[0]
            for row in connection.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            )
        ]
        if target == "backup":
            connection.execute(text("DROP SCHEMA IF EXISTS backup CASCADE"))
            connection.execute(text("CREATE SCHEMA backup"))
            for table in tables:
                connection.execute(text(f'CREATE TABLE backup."{table}" AS TABLE "{table}"'))
        else:
            names = ", ".join(f'"{table}"' for table in tables)
            connection.execute(text(f"TRUNCATE {names} CASCADE"))
            for table in tables:
                connection.execute(text(f'INSERT INTO "{table}" SELECT * FROM backup."{table}"'))
            for sequence, table, column in connection.execute(
                text(
                    "SELECT s.relname, t.relname, a.attname FROM pg_class s "
                    "JOIN pg_depend d ON d.objid = s.oid JOIN pg_class t ON t.oid = d.refobjid "
                    "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid "
                    "WHERE s.relkind = 'S'"
                )
            ).all():
                connection.execute(
                    text(
                        f"SELECT setval('\"{sequence}\"', "
                        f'COALESCE((SELECT max("{column}") FROM "{table}"), 0) + 1, false)'
                    )
                )
    engine.dispose()


def test_a_restore_under_running_replicas_is_detected_and_rebuilt(
    cluster: Cluster, tmp_path: Any
) -> None:
    people = cluster.people
    copy_tables(cluster.database_url, "public", "backup")
    with cluster.b.client() as b:
        gone = b.post(
            "/documents",
            json={"title": "Vanishing", "kind": "product_note", "text": "Vanishing VQ77X."},
            headers=people["li.na"],
        ).json()
        assert gone["id"] in search_ids(b, people["li.na"], "VQ77X", min_seq=gone["seq"])
        stale_home = tmp_path / "cli"
        built = run_kb(stale_home, cluster.database_url, "reindex")  # files stamped now
        assert built.returncode == 0, built.stderr

        copy_tables(cluster.database_url, "backup", "public")  # the restore
        fresh = b.post(
            "/documents",
            json={"title": "Fresh", "kind": "product_note", "text": "Fresh FR88X."},
            headers=people["li.na"],
        ).json()
        assert fresh["id"] == gone["id"]  # ids are reused after a restore
        # the seq went back with the restore: B notices and rebuilds within the bound
        lag_until(lambda: search_ids(b, people["li.na"], "FR88X") == {fresh["id"]})
        assert search_ids(b, people["li.na"], "VQ77X") == set()
        assert httpx.get(f"{cluster.b.base}/health").json()["rebuilt_because"]
    with cluster.a.client() as a:  # A follows too
        lag_until(lambda: search_ids(a, people["li.na"], "FR88X") == {fresh["id"]})
        assert search_ids(a, people["li.na"], "VQ77X") == set()
        assert httpx.get(f"{cluster.a.base}/health").json()["rebuilt_because"]
    checked = run_kb(stale_home, cluster.database_url, "check")  # the files made before it
    assert checked.returncode == 1 and "restore" in checked.stdout, checked.stdout
