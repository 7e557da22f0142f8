"""Real servers for tests: uvicorn on a free loopback port, in a thread of the test process."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn

from api.app import create_app
from api.context import Context
from tests.api.conftest import Headers, add_people


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
