"""Several real `kb serve` processes on one PostgreSQL database of their own (created here,
beside the one KB_TEST_POSTGRES_URL names), one of them behind a delay proxy."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from api.context import Context
from kb.config import Settings
from search.embedder import SentenceTransformerEmbedder
from tests.api.conftest import Headers, add_people
from tests.api.servers import free_port
from tests.conftest import POSTGRES_URL, make_context
from tests.replicas.proxy import DelayProxy

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def replica_database() -> Iterator[str]:
    """A fresh database for these tests: `<the test database>_replicas`."""
    if not POSTGRES_URL:
        pytest.skip("needs PostgreSQL (KB_TEST_POSTGRES_URL)")
    url = make_url(POSTGRES_URL)
    name = f"{url.database}_replicas"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@dataclass
class Replica:
    name: str
    base: str
    home: Path
    process: subprocess.Popen[bytes]

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, timeout=60)


def queued_writer(
    database_url: str, embedder: SentenceTransformerEmbedder, tmp_path: Path
) -> Context:
    """A kb on `database_url` that stores chunks without embedding them
    (KB_EMBEDDING_WORKERS): `kb worker` processes embed them."""
    settings = Settings(home=tmp_path / "writer", database_url=database_url, embedding_workers=True)
    return make_context(settings, embedder)


def write_notes(folder: Path, notes: Mapping[str, str]) -> Path:
    """`folder` (made here) with a file per note: file name -> text."""
    folder.mkdir()
    for name, note in notes.items():
        (folder / name).write_text(note, encoding="utf-8")
    return folder


def environment(home: Path, database_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "KB_HOME": str(home),
        "KB_DATABASE_URL": database_url,
        "KB_QUERY_ENCODER": "torch",  # no ONNX export per data folder: faster to start
        "HF_HUB_OFFLINE": "1",
        **extra,
    }


def start_replica(name: str, home: Path, database_url: str, **extra: str) -> Replica:
    port = free_port()
    log = open(home.parent / f"{name}.log", "wb")  # noqa: SIM115 - kept open for the process
    process = subprocess.Popen(
        [sys.executable, "-m", "api", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=environment(home, database_url, **extra),
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    replica = Replica(name, f"http://127.0.0.1:{port}", home, process)
    deadline = time.monotonic() + 120
    while True:
        assert process.poll() is None, f"{name} exited: {(home.parent / f'{name}.log').read_text()}"
        assert time.monotonic() < deadline, f"{name} did not start"
        try:
            if httpx.get(f"{replica.base}/health", timeout=2).json().get("ready"):
                return replica
        except httpx.HTTPError:
            pass
        time.sleep(0.2)


def stop_replica(replica: Replica) -> None:
    replica.process.terminate()
    try:
        replica.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        replica.process.kill()


def run_kb(home: Path, database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "api", *args],
        env=environment(home, database_url),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


@dataclass
class Cluster:
    database_url: str
    a: Replica  # writes through a proxy that delays every packet
    b: Replica  # searched
    people: dict[str, Headers]


@pytest.fixture(scope="module")
def cluster(replica_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    folder = tmp_path_factory.mktemp("replicas")
    setup = Context(Settings(home=folder / "setup", database_url=replica_database))
    people = add_people(setup)
    setup.engine.dispose()
    url = make_url(replica_database)
    proxy = DelayProxy((url.host or "127.0.0.1", url.port or 5432), delay=0.015)
    behind_proxy = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    (folder / "a").mkdir()
    (folder / "b").mkdir()
    a = start_replica("a", folder / "a", behind_proxy)
    b = start_replica("b", folder / "b", replica_database, KB_SNAPSHOT_INTERVAL="3600")
    yield Cluster(replica_database, a, b, people)
    for replica in (a, b):
        stop_replica(replica)
    proxy.close()
