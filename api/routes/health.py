"""GET /health: no auth; is the store reachable, are the indexes loaded (ready), which change
of the log they hold (seq) and how far behind the database they are (lag)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text
from sqlmodel import Session

from api.deps import ContextDep
from api.schemas.health import HealthPublic
from kb import __version__
from kb.changes import log_head
from kb.embedding_queue import failure_count

router = APIRouter(tags=["health"])


@router.get("/health")
def health(context: ContextDep) -> HealthPublic:
    try:
        with context.engine.connect() as connection:
            connection.execute(text("select 1"))
        database = "ok"
    except Exception as exc:  # any failure means "not reachable"; report, do not raise
        database = f"unreachable: {exc.__class__.__name__}"
    indexes = context.indexes
    generation = indexes.current
    head, failures = _log_head(context) if database == "ok" else (None, None)
    follower = context.follower.last_error if indexes.following else None
    ready = generation is not None and database == "ok"
    return HealthPublic(
        status="ok" if database == "ok" else "degraded",
        ready=ready,
        database=database,
        seq=generation.seq if generation is not None else None,
        lag=head - generation.seq if head is not None and generation is not None else None,
        rebuilt_because=indexes.rebuilt_because,
        follower_error=follower,
        embedding_failures=failures,
        index_size=generation.keyword_count if generation is not None else 0,
        vector_count=generation.vector_count if generation is not None else 0,
        model=context.embedder.model_id,
        version=__version__,
    )


def _log_head(context: ContextDep) -> tuple[int | None, int | None]:
    """The last seq committed and the texts a worker failed to embed (None: unknown)."""
    try:
        with Session(context.engine) as session:
            return log_head(session)[0], failure_count(session, context.embedder.model_id)
    except Exception:  # noqa: BLE001 - reported as unknown lag
        return None, None
