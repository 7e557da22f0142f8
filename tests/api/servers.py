"""Real servers for tests: uvicorn on a free loopback port, in a thread of the test process, or
`kb serve` in a process of its own."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn

from api.app import create_app
from api.context import Context
from kb.config import Settings
from tests.api.conftest import Headers, add_people
from tests.conftest import ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serve(context: Context) -> Iterator[str]:
    """The app over `context`, served until the block ends; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(context=context), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


@dataclass
class LiveServer:
    base: str
    people: dict[str, Headers]
    context: Context


@contextmanager
def live_server_over(context: Context) -> Iterator[LiveServer]:
    """A server over `context` with the PEOPLE cast added."""
    people = add_people(context)
    with serve(context) as base:
        yield LiveServer(base, people, context)


@contextmanager
def serve_process(settings: Settings, **environment: str) -> Iterator[ServedProcess]:
    """`kb serve` in a process of its own (which a test may kill) over `settings`' data folder
    and database, on a free port, once it answers /health; stopped when the block ends."""
    port = free_port()
    env = {
        **os.environ,
        "KB_HOME": str(settings.home),
        "HF_HUB_OFFLINE": "1",
        "KB_QUERY_ENCODER": "torch",  # no ONNX export per data folder: starts faster
        **environment,
    }
    if settings.database_url:
        env["KB_DATABASE_URL"] = settings.database_url
    log = settings.home.parent / f"serve-{port}.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "api", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    served = ServedProcess(f"http://127.0.0.1:{port}", process, log)
    try:
        served.wait_until_up()
        yield served
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


@dataclass
class ServedProcess:
    base: str
    process: subprocess.Popen[bytes]
    log: Path

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + 120
        while True:
            assert self.process.poll() is None, f"kb serve exited: {self.log.read_text()}"
            assert time.monotonic() < deadline, "kb serve did not start"
            try:
                if httpx.get(f"{self.base}/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs."""
        self.process.kill()
        self.process.wait(timeout=30)
