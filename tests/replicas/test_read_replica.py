"""KB_DATABASE_READ_URL: routes that only read (document lists, versions, diff, glossary,
audits, contributions) go to the read replica, unless the caller passes a write's `seq` as
`min_seq` and the replica has not replayed it yet: then the primary answers (read-your-writes).

Two real PostgreSQL databases stand for the primary and its replica: the replica is a copy of
the primary taken before the write (CREATE DATABASE ... TEMPLATE), so it lags by that write;
the test then moves it on by hand, as replication would."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from api.app import create_app
from kb.changes import ChangeCounter
from kb.config import Settings
from kb.models import Document
from search.embedder import SentenceTransformerEmbedder
from tests.api.conftest import Headers, add_people, create
from tests.api.servers import serve
from tests.conftest import make_context


@pytest.fixture
def read_copy(replica_database: str) -> Iterator[str]:
    """A URL for a copy of the replica database, made when first asked for."""
    url = make_url(replica_database)
    name = f"{url.database}_read"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def copy_database(source: str, target: str) -> None:
    admin = create_engine(make_url(source).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(
            text(
                f'CREATE DATABASE "{make_url(target).database}" '
                f'TEMPLATE "{make_url(source).database}"'
            )
        )
    admin.dispose()


def titles(client: httpx.Client, headers: Headers, **params: Any) -> set[str]:
    response = client.get("/documents", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return {item["title"] for item in response.json()["items"]}


def test_reads_use_the_read_replica_unless_it_lacks_the_callers_write(
    replica_database: str,
    read_copy: str,
    embedder: SentenceTransformerEmbedder,
    tmp_path: Path,
) -> None:
    setup = make_context(Settings(home=tmp_path / "setup", database_url=replica_database), embedder)
    people = add_people(setup)
    old = create(TestClient(create_app(context=setup)), people["li.na"], title="Old note")
    setup.engine.dispose()
    copy_database(replica_database, read_copy)  # the replica holds everything up to here

    context = make_context(
        Settings(
            home=tmp_path / "server", database_url=replica_database, database_read_url=read_copy
        ),
        embedder,
    )
    with serve(context) as base, httpx.Client(base_url=base, timeout=60) as client:
        reader, manager = people["zhao.lei"], people["wang.min"]
        response = client.post(
            "/documents",
            json={"title": "Fresh note", "kind": "product_note", "text": "Written just now."},
            headers=people["li.na"],
        )
        assert response.status_code == 201, response.text
        fresh, seq = response.json()["source_id"], response.json()["seq"]

        # without min_seq: the replica answers, and it has not replayed the write
        assert titles(client, reader) == {"Old note"}
        assert client.get(f"/documents/{fresh}/versions", headers=reader).status_code == 404
        # with the write's seq: the replica lacks it, so the primary answers
        assert titles(client, reader, min_seq=seq) == {"Old note", "Fresh note"}
        for path in (
            f"/documents/{fresh}/versions",
            f"/documents/{fresh}/versions/1",
            f"/documents/{fresh}/diff",
            f"/documents/{fresh}",
            "/glossary",
        ):
            answer = client.get(path, params={"min_seq": seq}, headers=reader)
            assert answer.status_code == 200, (path, answer.text)
        audit = client.get("/audit/freshness", params={"min_seq": seq}, headers=manager)
        assert "Fresh note" in {row["title"] for row in audit.json()["documents"]}
        audit = client.get("/audit/freshness", headers=manager)
        assert "Fresh note" not in {row["title"] for row in audit.json()["documents"]}

        # replication catches up (by hand here): now the replica answers even with min_seq
        replica = create_engine(read_copy)
        with Session(replica) as session:
            counter = session.exec(select(ChangeCounter)).one()
            counter.seq = seq
            document = session.exec(
                select(Document).where(Document.source_id == old["source_id"])
            ).one()
            document.title = "Old note, as the replica has it"
            session.add_all([counter, document])
            session.commit()
        replica.dispose()
        assert titles(client, reader, min_seq=seq) == {"Old note, as the replica has it"}
        detail = client.get(
            f"/documents/{old['source_id']}", params={"min_seq": seq}, headers=reader
        )
        assert detail.json()["title"] == "Old note, as the replica has it"
    context.engine.dispose()
    context.read_engine.dispose()
