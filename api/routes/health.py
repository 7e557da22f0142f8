"""GET /health: no auth; is the store reachable, how big is the index, which model."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import text

from api.deps import ContextDep
from kb import __version__

router = APIRouter(tags=["health"])


@router.get("/health")
def health(context: ContextDep) -> dict[str, Any]:
    try:
        with context.engine.connect() as connection:
            connection.execute(text("select 1"))
        database = "ok"
    except Exception as exc:  # any failure means "not reachable"; report, do not raise
        database = f"unreachable: {exc.__class__.__name__}"
    indexes = context.indexes
    return {
        "status": "ok" if database == "ok" else "degraded",
        "database": database,
        "index_size": len(indexes.keyword),
        "vector_count": len(indexes.vector),
        "model": context.embedder.model_id,
        "version": __version__,
    }
