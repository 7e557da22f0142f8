"""`kb worker`: embed stored chunks that have no vector yet, beside other workers."""

from __future__ import annotations

import logging
import time
from typing import Annotated

import typer
from sqlalchemy.engine import Engine

from api.commands.context import context
from api.commands.output import print_json, say
from api.commands.root import app
from api.logs import configure_logging
from kb.embedding_queue import RetryPolicy
from search.embedder import Embedder
from search.embedding_pass import ENCODE_BATCH
from search.embedding_worker import StepReport, embed_step
from search.follower import ChangeListener

logger = logging.getLogger("kb.worker")
IDLE_WAIT = 1.0  # seconds between looks when there is nothing to do (a NOTIFY wakes sooner)
ERROR_PAUSE = 5.0  # seconds after the database could not be reached


@app.command()
def worker(
    once: Annotated[
        bool, typer.Option("--once", help="stop when nothing is left that is due now")
    ] = False,
    batch: Annotated[int, typer.Option(min=1, help="chunks per transaction")] = ENCODE_BATCH,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Embed chunks stored without a vector (every write's, when KB_EMBEDDING_WORKERS is
    set). Any number of workers, on any machine, share the work: each chunk is taken by one.
    A text that fails is retried after a back-off (KB_EMBEDDING_RETRY_SECONDS, doubling) and
    listed by `kb check` meanwhile."""
    ctx = context()
    configure_logging(ctx.settings.log_format)
    ctx.embedder.encode(["warm up"])  # load the model before the clock starts
    policy = RetryPolicy(first_wait=ctx.settings.embedding_retry_seconds)
    listener = ChangeListener(ctx.engine)
    total, started = StepReport(), time.perf_counter()
    try:
        while True:
            step = _step(ctx.engine, ctx.embedder, batch, policy, keep_going=not once)
            total.embedded += step.embedded
            total.failed += step.failed
            if step.taken:
                continue
            if once:
                break
            listener.wait(IDLE_WAIT)
    except KeyboardInterrupt:
        pass
    finally:
        listener.close()
    seconds = time.perf_counter() - started
    if as_json:
        print_json(
            {"embedded": total.embedded, "failed": total.failed, "seconds": round(seconds, 3)}
        )
    else:
        say(f"embedded {total.embedded} chunks in {seconds:.1f} s ({total.failed} failed)")


def _step(
    engine: Engine, embedder: Embedder, batch: int, policy: RetryPolicy, *, keep_going: bool
) -> StepReport:
    """One step, logged; a database that cannot be reached pauses a running worker (one
    started with --once stops with the error)."""
    started = time.perf_counter()
    try:
        step = embed_step(engine, embedder, batch, policy)
    except Exception as exc:  # noqa: BLE001 - keep working once the database is back
        if not keep_going:
            raise
        logger.exception("taking work failed; trying again", extra={"event": "worker.error"})
        time.sleep(ERROR_PAUSE)
        return StepReport(taken=1, error=str(exc))
    if step.embedded:
        logger.info(
            "embedded %d chunks",
            step.embedded,
            extra={
                "event": "worker.embedded",
                "chunks": step.embedded,
                "seconds": round(time.perf_counter() - started, 3),
            },
        )
    return step
