"""`kb serve`: the HTTP API (uvicorn) on the data folder."""

from __future__ import annotations

import threading
from typing import Annotated

import typer

from api.commands.context import context
from api.commands.root import app
from api.logs import configure_logging
from kb.dispatch import run_periodically


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="address to bind (KB_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="port (KB_PORT)")] = None,
) -> None:
    """Serve the web pages at / and the API (OpenAPI docs at /docs), and deliver
    notifications in the background every KB_NOTIFY_INTERVAL_SECONDS."""
    import uvicorn

    from api.app import create_app

    ctx = context()
    configure_logging(ctx.settings.log_format)
    ctx.indexes.catch_up()  # load the indexes (files or rebuild) and replay the log first
    ctx.indexes.save()
    stop = threading.Event()
    if ctx.settings.notify_interval_seconds > 0:
        threading.Thread(
            target=run_periodically,
            args=(ctx.engine, ctx.settings, stop),
            name="kb-notify",
            daemon=True,
        ).start()
    uvicorn.run(
        create_app(context=ctx),
        host=host or ctx.settings.host,
        port=port or ctx.settings.port,
        log_config=None,  # uvicorn's lines go through configure_logging's handler
        access_log=False,  # api/request_log.py logs each request (with its route and user)
    )
    stop.set()
