"""`kb worker`: embed stored chunks that have no vector yet, beside other workers."""

from __future__ import annotations

import logging
import time
from typing import Annotated

import typer

from api.commands.context import context
from api.commands.output import print_json, say
from api.commands.root import app
from api.logs import configure_logging
from search.embedding_pass import ENCODE_BATCH, embed_claimed
from search.follower import ChangeListener

logger = logging.getLogger("kb.worker")
IDLE_WAIT = 1.0  # seconds between looks when there is nothing to do (a NOTIFY wakes sooner)


@app.command()
def worker(
    once: Annotated[
        bool, typer.Option("--once", help="stop when nothing is left to embed")
    ] = False,
    batch: Annotated[int, typer.Option(min=1, help="chunks per transaction")] = ENCODE_BATCH,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Embed chunks stored without a vector (every write's, when KB_EMBEDDING_WORKERS is
    set). Any number of workers, on any machine, share the work: each chunk is taken by one."""
    ctx = context()
    configure_logging(ctx.settings.log_format)
    ctx.embedder.encode(["warm up"])  # load the model before the clock starts
    listener = ChangeListener(ctx.engine)
    embedded, started = 0, time.perf_counter()
    try:
        while True:
            step = time.perf_counter()
            taken = embed_claimed(ctx.engine, ctx.embedder, batch)
            embedded += taken
            if taken:
                seconds = round(time.perf_counter() - step, 3)
                logger.info(
                    "embedded %d chunks",
                    taken,
                    extra={"event": "worker.embedded", "chunks": taken, "seconds": seconds},
                )
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
        print_json({"embedded": embedded, "seconds": round(seconds, 3)})
    else:
        say(f"embedded {embedded} chunks in {seconds:.1f} s")
