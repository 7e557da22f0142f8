"""The `Idempotency-Key` header of writes: a client that retries a write (its connection broke,
the server died mid-way) with the same key gets the first answer again, and nothing is written
twice.

A write route takes `once: Once` and, inside its transaction, calls `once.remember(...)` with
the answer known at commit; after its work past the commit, `once.completed(answer)` keeps the
final answer. Before the route runs, a key this caller already used answers from the store
(`Replay`), after finishing the earlier write's work if the server stopped before it did. Keys
are per caller; a key used with another request (method, path, query or body) is a 422.
Only writes that commit are kept: a request that failed (4xx) may be retried with its key.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

from fastapi import Depends, FastAPI, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from starlette.datastructures import UploadFile

from api.context import Context
from api.deps import ContextDep, CurrentPerson
from api.writes import searchable_from
from kb.changes import log_head
from kb.db import transaction
from kb.errors import KBError
from kb.idempotency import (
    KEY_MAX_LENGTH,
    IdempotentWrite,
    complete_write,
    earlier_write,
    remember_write,
)
from kb.models import Person

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
Answer = TypeVar("Answer", bound=BaseModel)


class Replay(Exception):  # noqa: N818 - not an error: the answer of an earlier write
    """Answer with what an earlier write with the same key answered."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


def install_replays(app: FastAPI) -> None:
    @app.exception_handler(Replay)
    async def replay(_request: Request, exc: Replay) -> JSONResponse:
        return JSONResponse(exc.body, status_code=exc.status, headers={REPLAYED_HEADER: "true"})


async def request_fingerprint(request: Request) -> str:
    """sha256 of the method, path, query and body (JSON compared by value, a form by its fields
    and the files' names and contents: a retry need not reproduce the multipart boundary).
    Empty for a request without a key (nothing to compare it with)."""
    if HEADER not in request.headers:
        return ""
    parts: list[Any] = [request.method, request.scope["path"], sorted(request.query_params.items())]
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        form = await request.form()
        for name, value in sorted(form.multi_items(), key=lambda item: item[0]):
            if isinstance(value, UploadFile):
                parts.append([name, value.filename, await _file_digest(value)])
            else:
                parts.append([name, value])
    else:
        raw = await request.body()
        try:
            parts.append(json.loads(raw) if raw else None)
        except ValueError:
            parts.append(raw.decode("utf-8", "replace"))
    canonical = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def _file_digest(file: UploadFile) -> str:
    digest = hashlib.sha256()
    while chunk := await file.read(1 << 20):
        digest.update(chunk)
    await file.seek(0)
    return digest.hexdigest()


@dataclass
class Once:
    """One write request, with or without a key (without one, every call here does nothing)."""

    key: str | None
    person: Person
    fingerprint: str
    request: str
    context: Context
    _event: threading.Event | None = field(default=None, init=False)

    def remember(
        self,
        session: Session,
        status: int,
        answer: BaseModel,
        document_ids: list[int | None],
        *,
        final: bool = False,
    ) -> None:
        """Inside the write's transaction, as its last step: keep the answer known now
        (`final`: the write has no work after its commit, so this is its answer)."""
        if self.key is None:
            return
        assert self.person.id is not None
        remember_write(
            session,
            person_id=self.person.id,
            key=self.key,
            fingerprint=self.fingerprint,
            request=self.request,
            status=status,
            body=answer.model_dump(mode="json"),
            document_ids=[d for d in document_ids if d is not None],
            complete=final,
        )
        if not final:
            self._event = _IN_FLIGHT.start(self._flight)

    def completed(self, answer: Answer) -> Answer:
        """After the write's work past its commit: keep the final answer, and return it (or
        the one a retry kept first, had it finished this write's work before it did)."""
        if self.key is None:
            return answer
        try:
            kept = self._complete(answer.model_dump(mode="json"))
        finally:
            _IN_FLIGHT.finish(self._flight, self._event)
        return type(answer).model_validate(kept)

    @contextmanager
    def replaying_a_twin(self) -> Iterator[None]:
        """A write that failed because a concurrent request with the same key committed first
        (the key's unique constraint, or the id the twin took) answers as that one did."""
        try:
            yield
        except (KBError, IntegrityError):
            if self.key is None:
                raise
            _IN_FLIGHT.finish(self._flight, self._event)
            self.replay_earlier()
            raise
        except BaseException:
            _IN_FLIGHT.finish(self._flight, self._event)
            raise

    def replay_earlier(self) -> None:
        """Raise `Replay` when this caller already made this write with this key: its
        answer, once its work past the commit is done (waiting for it when this process is
        doing it, doing it here when no one is: its server stopped)."""
        earlier = self._earlier()
        if earlier is None:
            return
        if not earlier.complete and _IN_FLIGHT.wait(self._flight):
            earlier = self._earlier() or earlier
        body = earlier.body if earlier.complete else self._finish(earlier)
        raise Replay(earlier.status, body)

    @property
    def _flight(self) -> tuple[int, int | None, str | None]:
        return (id(self.context), self.person.id, self.key)

    def _earlier(self) -> IdempotentWrite | None:
        assert self.key is not None and self.person.id is not None
        with Session(self.context.engine) as session:
            return earlier_write(session, self.person.id, self.key, self.fingerprint)

    def _finish(self, earlier: IdempotentWrite) -> Any:
        """The earlier write committed but its server stopped before its answer: embed what it
        stored, wait until this replica holds it, and complete its answer with its `seq`."""
        with Session(self.context.engine) as session:
            head = log_head(session)[0]
        seq = searchable_from(self.context, head, earlier.document_ids)
        return self._complete(with_seq(earlier.body, seq))

    def _complete(self, body: dict[str, Any]) -> Any:
        """Keep `body` as the answer, unless another request completed it first: the answer."""
        assert self.key is not None and self.person.id is not None
        with transaction(self.context.engine) as session:
            return complete_write(session, self.person.id, self.key, body)


class InFlight:
    """Keyed writes between their commit and their final answer in this process: a retry
    waits for the answer rather than doing the same work again."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: dict[Hashable, threading.Event] = {}

    def start(self, flight: Hashable) -> threading.Event:
        event = threading.Event()
        with self._lock:
            self._events[flight] = event
        return event

    def finish(self, flight: Hashable, event: threading.Event | None) -> None:
        """The write that started `event` is done (or failed)."""
        if event is None:
            return
        with self._lock:
            if self._events.get(flight) is event:
                del self._events[flight]
        event.set()

    def wait(self, flight: Hashable) -> bool:
        """Wait for a write in flight here to finish; False when there is none."""
        with self._lock:
            event = self._events.get(flight)
        return event is not None and event.wait(IN_FLIGHT_WAIT_SECONDS)


IN_FLIGHT_WAIT_SECONDS = 600
_IN_FLIGHT = InFlight()


def with_seq(body: Any, seq: int | None) -> Any:
    """The answer with its `seq` (and its documents' `seq`) filled in."""
    if not isinstance(body, dict):
        return body
    filled = dict(body)
    if "seq" in filled:
        filled["seq"] = seq
    if isinstance(filled.get("documents"), list):
        filled["documents"] = [with_seq(d, seq) for d in filled["documents"]]
    return filled


def once_per_key(
    request: Request,
    person: CurrentPerson,
    context: ContextDep,
    fingerprint: Annotated[str, Depends(request_fingerprint)],
    key: Annotated[
        str | None,
        Header(
            alias=HEADER,
            min_length=1,
            max_length=KEY_MAX_LENGTH,
            description="any unique string (a UUID) per write: a retry with the same key "
            "answers as the first request did and writes nothing again (kept for 24 hours, "
            "per caller); the same key with another request is a 422",
        ),
    ] = None,
) -> Once:
    once = Once(key, person, fingerprint, f"{request.method} {request.scope['path']}", context)
    if key is not None:
        once.replay_earlier()
    return once


OnceDep = Annotated[Once, Depends(once_per_key)]
