"""Engine and sessions. SQLite (a file in the data folder) by default, PostgreSQL by URL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session, SQLModel, create_engine

from kb import embedding_queue, idempotency, models  # noqa: F401  (registers the tables)
from kb.changes import EVERYTHING, ensure_counter, note_change
from kb.config import Settings
from kb.errors import ConfigurationError
from kb.sections import assign_section_types
from kb.versions import move_bookkeeping_to_columns


def make_engine(settings: Settings) -> Engine:
    """Create the engine and the tables (idempotent)."""
    url = settings.resolved_database_url
    # One pool of at most KB_DB_POOL_SIZE connections, none beyond it: a burst waits for a
    # free connection (KB_DB_POOL_SIZE is sized above what KB_REQUEST_THREADS can hold).
    pool: dict[str, Any] = {
        "pool_size": settings.db_pool_size,
        "max_overflow": 0,
        "pool_timeout": settings.db_pool_timeout,
        "hide_parameters": True,  # errors and logs never carry the values of a statement
    }
    if url.startswith("sqlite"):
        settings.home.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **pool
        )
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True, **pool)
    try:
        SQLModel.metadata.create_all(engine)
        _add_missing_columns(engine)
        ensure_counter(engine)
        _backfill(engine)
    except OperationalError as exc:
        raise ConfigurationError(f"cannot open the database at {_safe(url)}: {exc.orig}") from exc
    return engine


def make_read_engine(settings: Settings) -> Engine | None:
    """An engine on the read replica (KB_DATABASE_READ_URL), None when there is none."""
    if not settings.database_read_url:
        return None
    return create_engine(
        settings.database_read_url,
        pool_pre_ping=True,
        pool_size=settings.db_pool_size,
        max_overflow=0,
        pool_timeout=settings.db_pool_timeout,
        hide_parameters=True,  # as the main engine: no values in errors and logs
    )


def _add_missing_columns(engine: Engine) -> None:
    """Bring a database made by an earlier kb up to date: add the nullable columns that later
    versions added to existing tables (the only kind of schema change kb makes in place)."""
    inspector = inspect(engine)
    existing_tables = set(inspector.get_table_names())
    for table in SQLModel.metadata.sorted_tables:
        if table.name not in existing_tables:
            continue
        present = {column["name"] for column in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in present and column.nullable:
                _add_column(engine, table.name, column)


def _backfill(engine: Engine) -> None:
    """Columns that rows stored by an earlier kb lack: section types of proposal chunks, the
    owner and status of versions (once kept in their metadata)."""
    with transaction(engine) as session:
        if assign_section_types(session):
            note_change(session, EVERYTHING)
        move_bookkeeping_to_columns(session)


def _add_column(engine: Engine, table: str, column: Any) -> None:
    """One ALTER in its own transaction; another process adding it first is fine."""
    kind = column.type.compile(dialect=engine.dialect)
    try:
        with engine.begin() as connection:
            connection.execute(text(f'ALTER TABLE "{table}" ADD COLUMN "{column.name}" {kind}'))
    except DBAPIError:
        if column.name not in {c["name"] for c in inspect(engine).get_columns(table)}:
            raise


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back everything on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def snapshot(engine: Engine) -> Iterator[Session]:
    """A read-only session whose statements all see one consistent state of the database
    (REPEATABLE READ on PostgreSQL, one read transaction on SQLite)."""
    with Session(engine) as session:
        if engine.dialect.name == "postgresql":
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        else:
            session.connection().exec_driver_sql("BEGIN")
        try:
            yield session
        finally:
            session.rollback()
