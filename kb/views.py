"""When documents were last viewed, recorded without writing on the read path.

A read (`GET /documents/{id}`) only notes the view here, in memory; the serving process writes
the notes in one batch now and then (and when it stops), so reads can go to a read replica and
cost the primary nothing. A view is not a change search cares about: it takes no seq.
"""

from __future__ import annotations

import threading
from datetime import datetime

from sqlalchemy import bindparam, update
from sqlalchemy.engine import Engine

from kb.clock import utcnow
from kb.models import Document


class ViewLog:
    def __init__(self) -> None:
        self._pending: dict[int, datetime] = {}
        self._lock = threading.Lock()

    def record(self, document_id: int, at: datetime | None = None) -> datetime:
        """Note a view; returns its time."""
        at = at or utcnow()
        with self._lock:
            self._pending[document_id] = max(at, self._pending.get(document_id, at))
        return at

    def flush(self, engine: Engine) -> int:
        """Write the noted views (the latest per document) in one statement; returns how many."""
        with self._lock:
            pending, self._pending = self._pending, {}
        if not pending:
            return 0
        statement = (
            update(Document)
            .where(Document.id == bindparam("document"))  # type: ignore[arg-type]
            .values(viewed_at=bindparam("at"))
        )
        rows = [{"document": doc_id, "at": at} for doc_id, at in pending.items()]
        try:
            with engine.begin() as connection:
                connection.execute(statement, rows)
        except Exception:
            with self._lock:  # keep them for the next flush
                for doc_id, at in pending.items():
                    self._pending[doc_id] = max(at, self._pending.get(doc_id, at))
            raise
        return len(rows)
