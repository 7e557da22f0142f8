"""`kb winloss`, `kb competitor`: what wins and loses bids."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlmodel import Session

from api.commands.context import context
from api.commands.output import print_csv, print_model, print_table
from api.commands.root import app
from api.schemas.analytics import CompetitorPublic, WinLossPublic
from kb.clock import utcnow
from kb.winloss import competitor_page, win_loss

COLUMNS = ("won", "lost", "withdrawn", "pending", "win_rate", "amount_won", "amount_lost")


@app.command()
def winloss(
    group_by: Annotated[
        str, typer.Option(envvar="KB_GROUP_BY", help="competitor|industry|product|quarter|owner")
    ] = "competitor",
    competitor: Annotated[str | None, typer.Option(help="only bids against it")] = None,
    industry: Annotated[str | None, typer.Option(help="only bids in it")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    as_csv: Annotated[bool, typer.Option("--csv")] = False,
) -> None:
    """Won / lost / withdrawn / pending bids, win rate, amounts and top reasons per group."""
    with Session(context().engine) as session:
        rows = win_loss(session, group_by=group_by, competitor=competitor, industry=industry)
    if as_json:
        print_model(WinLossPublic.of(group_by, rows), exclude_unset=True)
        return
    table = [
        {
            **row,
            "top_reason_won": (row["reasons_won"] or [{}])[0].get("reason"),
            "top_reason_lost": (row["reasons_lost"] or [{}])[0].get("reason"),
        }
        for row in rows
    ]
    columns = [group_by, *COLUMNS, "top_reason_won", "top_reason_lost"]
    if as_csv:
        print_csv(table, columns)
    else:
        print_table(table, columns)


@app.command()
def competitor(
    name: Annotated[str, typer.Argument(help="competitor name")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """A competitor's intel (newest first), the bids against it and our win rate."""
    ctx = context()
    with Session(ctx.engine) as session:
        page = competitor_page(
            session, name, now=utcnow(), due_soon_days=ctx.settings.due_soon_days
        )
    if as_json:
        print_model(CompetitorPublic.model_validate(page))
        return
    typer.echo(f"{name}: win rate {page['win_rate']} ({page['won']} won, {page['lost']} lost)")
    print_table(
        [{**i, "freshness": i["freshness"]["status"]} for i in page["intel"]],
        ["id", "observed", "freshness", "title"],
    )
    print_table(page["bids"], ["bid", "customer", "outcome", "amount", "decided"])
