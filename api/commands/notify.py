"""`kb notify`: deliver queued notifications once (and queue due digests); list failures."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlmodel import Session

from api.commands.context import context
from api.commands.output import print_json, print_table
from api.commands.root import app
from kb.dispatch import dispatch
from kb.outbox import deliveries

COLUMNS = ("id", "recipient", "topic", "channel", "target", "attempts", "last_error")


@app.command()
def notify(
    failed: Annotated[
        bool, typer.Option("--failed", help="list failed deliveries instead")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Deliver due notifications (email, WeCom / DingTalk / Feishu robots, JSON webhooks)
    and queue the weekly digests; `--failed` lists what could not be delivered."""
    ctx = context()
    if failed:
        with Session(ctx.engine) as session:
            rows = deliveries(session, status="failed")
        if as_json:
            print_json({"items": rows})
        else:
            print_table(rows, COLUMNS)
        return
    report = dispatch(ctx.engine, ctx.settings)
    if as_json:
        print_json(report.as_dict())
        return
    typer.echo(
        f"sent {report.sent}, retrying {report.retrying}, failed {report.failed}, "
        f"digests queued {report.digests}"
    )
    for error in report.errors:
        typer.echo(f"  {error}", err=True)
