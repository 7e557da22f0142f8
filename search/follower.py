"""The thread that keeps a serving process in step with the change log.

It applies new changes as they commit: woken by PostgreSQL's NOTIFY on `kb_changes` (with a
poll as a safety net), or by polling the counter on SQLite, or at once by a write made in this
process (`wake`). It saves the index files now and then, so a replica started later replays only
the recent log.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from typing import Any

from sqlalchemy.engine import Engine

from kb.changes import CHANNEL
from search.indexer import SAVE_INTERVAL, SearchIndexes

logger = logging.getLogger(__name__)
SQLITE_POLL = 0.1  # seconds
POSTGRES_POLL = 1.0  # seconds, beside NOTIFY
RETRY_PAUSE = 1.0


class Follower:
    def __init__(self, indexes: SearchIndexes, *, save_interval: float = SAVE_INTERVAL) -> None:
        self.indexes = indexes
        self.save_interval = save_interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kb-follower", daemon=True)
        self._saver: threading.Thread | None = None
        self.last_error: str | None = None

    def start(self) -> None:
        self.indexes.nudge = self.wake
        self.indexes.following = True
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)
        if self._saver is not None:
            self._saver.join(timeout=60)  # a save cut short is tidied at the next start anyway
        self.indexes.following = False

    def wake(self) -> None:
        """Look at the log now (a write in this process just committed)."""
        self._wake.set()

    def _run(self) -> None:
        listener = ChangeListener(self.indexes.engine)
        try:
            while not self._stop.is_set():
                self._step()
                poll = POSTGRES_POLL if listener.available else SQLITE_POLL
                listener.wait(poll, self._wake)
                self._wake.clear()
        finally:
            listener.close()

    def _step(self) -> None:
        try:
            self.indexes.catch_up()
            self.last_error = None
        except Exception as exc:  # noqa: BLE001 - keep following; report on /health
            self.last_error = f"{exc.__class__.__name__}: {exc}"
            logger.exception("following the change log failed; retrying")
            self._stop.wait(RETRY_PAUSE)
            return
        self._save_aside()

    def _save_aside(self) -> None:
        """Start saving the index files in the background when a save is due (one at a time)."""
        if self._saver is not None and self._saver.is_alive():
            return
        if not self.indexes.save_due(self.save_interval):
            return
        self._saver = threading.Thread(target=self._save, name="kb-snapshot", daemon=True)
        self._saver.start()

    def _save(self) -> None:
        try:
            self.indexes.save(if_older_than=self.save_interval)
        except Exception as exc:  # noqa: BLE001 - the next save tries again; report on /health
            self.last_error = f"saving the index files: {exc.__class__.__name__}: {exc}"
            logger.exception("saving the index files failed; trying again later")


class ChangeListener:
    """LISTEN kb_changes on its own PostgreSQL connection (nothing on SQLite)."""

    def __init__(self, engine: Engine) -> None:
        self._connection: Any = None
        self._engine = engine
        if engine.dialect.name == "postgresql":
            self._connect()

    @property
    def available(self) -> bool:
        return self._engine.dialect.name == "postgresql"

    def _connect(self) -> None:
        import psycopg

        url = self._engine.url.set(drivername="postgresql")
        try:
            self._connection = psycopg.connect(
                url.render_as_string(hide_password=False), autocommit=True
            )
            self._connection.execute(f"LISTEN {CHANNEL}")
        except Exception:  # noqa: BLE001 - polling still works; try again later
            logger.warning("cannot LISTEN on %s; polling", CHANNEL, exc_info=True)
            self._connection = None

    def wait(self, timeout: float, wake: threading.Event | None = None) -> None:
        """Until a notification, `timeout`, or `wake` (checked every 50 ms)."""
        wake = wake or threading.Event()
        if not self.available:
            wake.wait(timeout)
            return
        if self._connection is None:
            self._connect()
            wake.wait(timeout)
            return
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline and not wake.is_set():
                for _ in self._connection.notifies(timeout=0.05, stop_after=1):
                    return
        except Exception:  # noqa: BLE001 - a dropped connection: reconnect next time
            self.close()

    def close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                self._connection.close()
            self._connection = None
