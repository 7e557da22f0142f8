"""All configuration in one settings object, read from `KB_*` environment variables.

Built once at the edge (CLI entry, app start-up) and passed down; library code never reads
`os.environ` itself.
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_MODEL = "all-MiniLM-L6-v2"


class Settings(BaseSettings):
    """Every setting is documented in README.md (a test checks it)."""

    model_config = SettingsConfigDict(env_prefix="KB_", extra="ignore")

    home: Path = Field(Path(".kb"), description="data folder: SQLite database, search indexes")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default sqlite in the data folder"
    )
    database_read_url: str | None = Field(
        None, description="SQLAlchemy URL of a read replica for routes that only read"
    )
    embedding_model: str = Field(
        DEFAULT_MODEL,
        description="sentence-transformers model name or local path; default the bundled model",
    )
    model_languages: str = Field(
        "auto",
        description="languages the embedding model reads (comma list, 'multi', or 'auto')",
    )
    embedding_batch_size: int = Field(64, ge=1, description="chunks per encoding batch")
    embedding_precision: Literal["auto", "float32", "bfloat16"] = Field(
        "auto", description="arithmetic for batch encoding; auto = bfloat16 where the CPU has it"
    )
    embedding_encoder: Literal["auto", "torch", "onnx", "onnx-int8"] = Field(
        "auto",
        description="how chunks are embedded in bulk; auto = ONNX Runtime float32 when it fits; "
        "onnx-int8 stores its vectors under '<model>+int8'",
    )
    query_encoder: Literal["auto", "onnx", "torch"] = Field(
        "auto", description="how single queries are embedded; auto = ONNX Runtime when it fits"
    )
    hub_offline: bool = Field(
        True,
        description="never contact the Hugging Face hub: models load from a local folder or "
        "the local cache (set false to let KB_EMBEDDING_MODEL name a model to download)",
    )
    max_file_bytes: int = Field(20_000_000, ge=1, description="largest file ingest accepts")
    max_request_bytes: int = Field(25_000_000, ge=1, description="largest HTTP request body")
    ann_threshold: int = Field(
        50_000, ge=1, description="vectors above which search uses an HNSW graph"
    )
    hybrid_alpha: float = Field(
        0.5, ge=0.0, le=1.0, description="weight of semantic scores in hybrid ranking"
    )
    top_k: int = Field(10, ge=1, le=200, description="default number of search results")
    query_translation: bool = Field(
        True,
        description="keyword search also looks query terms up in the other language "
        "(glossary, then CC-CEDICT)",
    )
    near_duplicate_threshold: float = Field(
        0.9, ge=0.0, le=1.0, description="similarity above which a new document is a near-duplicate"
    )
    due_soon_days: int = Field(
        14, ge=0, description="days before a review is due that count as due soon"
    )
    request_threads: int = Field(
        default_factory=lambda: min(16, 4 * (os.cpu_count() or 2)),
        ge=1,
        description="requests the server works on at once (the others queue): 4 per CPU core, "
        "at most 16 (KB_DB_POOL_SIZE's default holds twice that)",
    )
    db_pool_size: int = Field(
        32,
        ge=2,
        description="database connections a process keeps at most; at least twice "
        "KB_REQUEST_THREADS (a request may hold two at a time)",
    )
    db_pool_timeout: float = Field(
        30.0, gt=0, description="seconds a request waits for a free database connection"
    )
    smtp_host: str | None = Field(None, description="SMTP server for email notifications")
    smtp_port: int = Field(25, ge=1, le=65535, description="SMTP port")
    smtp_user: str | None = Field(None, description="SMTP login (none: no login)")
    smtp_password: str | None = Field(None, description="SMTP password")
    smtp_starttls: bool = Field(False, description="upgrade the SMTP connection with STARTTLS")
    smtp_from: str = Field("kb@localhost", description="From address of notification emails")
    notify_interval_seconds: float = Field(
        60.0, ge=0, description="how often `kb serve` delivers notifications (0: never)"
    )
    notify_max_attempts: int = Field(
        6, ge=1, le=50, description="attempts before a delivery is marked failed"
    )
    notify_retry_seconds: float = Field(
        30.0, ge=0, description="wait before the first retry; doubles on each further one"
    )
    notify_lease_seconds: float = Field(
        300.0,
        gt=0,
        description="how long a delivery a dispatcher took stays its own (one that died "
        "mid-delivery is retried after this)",
    )
    notify_timeout_seconds: float = Field(
        10.0, gt=0, description="timeout of one SMTP or webhook delivery"
    )
    digest_weekday: int = Field(
        0, ge=0, le=6, description="weekday of the stale / due-soon digest (0 = Monday)"
    )
    embedding_workers: bool = Field(
        False,
        description="writes leave embedding to `kb worker` processes (PostgreSQL) instead of "
        "embedding their chunks themselves",
    )
    embedding_retry_seconds: float = Field(
        30.0,
        ge=0,
        description="wait before a `kb worker` tries a text that failed to embed again; "
        "doubles on each further failure, up to an hour (a text is never given up)",
    )
    snapshot_interval: float = Field(
        30.0, ge=0, description="seconds between saves of the index files by `kb serve`"
    )
    metrics_token: str | None = Field(
        None,
        description="bearer token that lets a scraper on another host read /metrics (unset: "
        "/metrics answers only on the loopback interface)",
    )
    log_format: Literal["text", "json"] = Field(
        "text",
        description="log lines of `kb serve` and `kb worker` on stderr: plain text or one JSON "
        "object per line",
    )
    host: str = Field("127.0.0.1", description="address `kb serve` binds")
    port: int = Field(8000, description="port `kb serve` listens on")
    session_secret: str | None = Field(
        None,
        description="key that signs web sign-in cookies; default a random key kept in the "
        "data folder (session.key)",
    )
    session_hours: int = Field(
        12, ge=1, le=24 * 30, description="hours a web sign-in lasts before signing in again"
    )
    session_cookie_secure: bool = Field(
        False,
        description="send the sign-in cookie over HTTPS only; set it when the site is served "
        "over HTTPS (a browser would not send it back over plain http://, e.g. on loopback)",
    )

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'kb.sqlite').resolve()}"

    @property
    def index_dir(self) -> Path:
        return self.home / "index"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")
