"""The hostile-file corpus uploaded to a real `kb serve` process, whose time and peak memory
are measured per file: each upload is a 422 naming the problem, the store does not change."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from kb.config import Settings
from kb.db import make_engine, transaction
from kb.people import add_person
from tests.api.servers import free_port
from tests.conftest import ROOT
from tests.hostile_files import MAX_PEAK_GROWTH, MAX_SECONDS, store_fingerprint


@pytest.fixture
def server(settings: Settings) -> Iterator[tuple[httpx.Client, int]]:
    """`kb serve` in its own process on a free port; a client with a contributor's token."""
    engine = make_engine(settings)
    with transaction(engine) as session:
        _, token = add_person(session, "li.na", role="contributor")
    engine.dispose()
    port = free_port()
    environment = {**os.environ, "KB_HOME": str(settings.home), "HF_HUB_OFFLINE": "1"}
    if settings.database_url:
        environment["KB_DATABASE_URL"] = settings.database_url
    process = subprocess.Popen(
        [sys.executable, "-m", "api", "serve", "--port", str(port)],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    client = httpx.Client(
        base_url=f"http://127.0.0.1:{port}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    try:
        _wait_until_up(client, process)
        yield client, process.pid
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=30)


def _wait_until_up(client: httpx.Client, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        try:
            if client.get("/health").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("kb serve did not start")


def test_each_hostile_upload_is_a_clear_422_quickly_in_bounded_memory_and_changes_nothing(
    server: tuple[httpx.Client, int],
    settings: Settings,
    hostile_files: dict[str, tuple[bytes, str]],
) -> None:
    client, pid = server
    good = client.post("/documents", json={"title": "Good", "kind": "product_note", "text": "Ok."})
    assert good.status_code == 201, good.text
    engine = make_engine(settings)
    before = store_fingerprint(engine)
    for name, (content, words) in hostile_files.items():
        Path(f"/proc/{pid}/clear_refs").write_text("5")  # the server's peak starts again
        resident = _status(pid, "VmRSS")
        start = time.monotonic()
        response = client.post("/documents/upload", files={"file": (name, content)})
        seconds = time.monotonic() - start
        assert response.status_code == 422, (name, response.text)
        error = response.json()["error"]
        assert error["code"] == "invalid_document" and words in error["message"], (name, error)
        assert seconds < MAX_SECONDS, (name, seconds)
        growth = _status(pid, "VmHWM") - resident
        assert growth < MAX_PEAK_GROWTH, (name, f"{growth / 2**20:.0f} MB")
    assert client.get("/health").status_code == 200
    assert store_fingerprint(engine) == before
    engine.dispose()


def _status(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no {field} for process {pid}")
