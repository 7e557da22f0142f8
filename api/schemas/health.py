"""GET /health's answer."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class HealthPublic(BaseModel):
    status: Literal["ok", "degraded"] = Field(
        description="degraded when the database is unreachable"
    )
    ready: bool = Field(description="the indexes are loaded and the database answers")
    database: str
    seq: int | None = Field(description="the change-log position the indexes hold")
    lag: int | None = Field(description="changes the indexes are behind the database")
    rebuilt_because: str | None
    follower_error: str | None
    embedding_failures: int | None = Field(
        description="texts a `kb worker` failed to embed, waiting for their next attempt"
    )
    index_size: int
    vector_count: int
    model: str
    version: str
