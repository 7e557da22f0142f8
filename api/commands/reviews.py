"""`kb reviews`: review queues, requests and decisions (the local operator may do any)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from sqlmodel import Session

from api.commands.context import context
from api.commands.output import print_json, print_table
from api.commands.root import app
from kb.db import transaction
from kb.models import Document, ReviewRequest
from kb.review_requests import (
    decide_review,
    open_requests,
    request_review,
    request_stale_reviews,
    review_queue,
)
from kb.store import resolve_document

JsonFlag = Annotated[bool, typer.Option("--json", help="machine-readable output")]
AsFlag = Annotated[str | None, typer.Option("--as", envvar="KB_AUTHOR", help="who you are")]
COLUMNS = ("id", "document_id", "title", "owner", "version", "verifiers", "requested_at", "note")

reviews = typer.Typer(help="Review requests: queues, requests, decisions.")
app.add_typer(reviews, name="reviews")


@reviews.callback(invoke_without_command=True)
def queue(ctx: typer.Context, as_: AsFlag = None, as_json: JsonFlag = False) -> None:
    """List open review requests: NAME's queue with --as NAME, else all of them."""
    if ctx.invoked_subcommand is not None:
        return
    with Session(context().engine) as session:
        found = review_queue(session, as_) if as_ else open_requests(session)
        rows = [_row(session, r) for r in found]
    if as_json:
        print_json({"items": rows})
    else:
        print_table(rows, COLUMNS)


@reviews.command("request")
def request(
    ref: Annotated[str | None, typer.Argument(help="document id or source id")] = None,
    stale: Annotated[
        bool, typer.Option("--stale", help="every stale document (of --team)")
    ] = False,
    team: Annotated[str | None, typer.Option(help="with --stale: the owners' team")] = None,
    note: Annotated[str | None, typer.Option()] = None,
    as_: AsFlag = None,
) -> None:
    """Ask a document's verifiers (or those of every stale document) to review it."""
    ctx = context()
    with transaction(ctx.engine) as session:
        if stale:
            made = request_stale_reviews(
                session, team=team, requested_by=as_, due_soon_days=ctx.settings.due_soon_days
            )
        elif ref is not None:
            document = resolve_document(session, ref)
            made = [request_review(session, document, requested_by=as_, note=note)]
        else:
            raise typer.BadParameter("give a document, or --stale")
        rows = [_row(session, r) for r in made]
    typer.echo(f"{len(rows)} review request(s) open")
    print_table(rows, COLUMNS)


@reviews.command("decide")
def decide(
    request_id: Annotated[int, typer.Argument(help="the review request's id")],
    decision: Annotated[str, typer.Argument(help="approve|needs_changes")],
    note: Annotated[str | None, typer.Option()] = None,
    as_: AsFlag = None,
) -> None:
    """Approve a review request, or ask for changes (the owner is notified)."""
    with transaction(context().engine) as session:
        done = decide_review(session, request_id, decision, actor=as_, viewer=None, note=note)
    typer.echo(f"review request {done.id}: {done.status}")


def _row(session: Session, request: ReviewRequest) -> dict[str, Any]:
    document = session.get(Document, request.document_id)
    assert document is not None
    return {
        "id": request.id,
        "document_id": request.document_id,
        "title": document.title,
        "owner": document.owner,
        "version": request.version,
        "verifiers": request.verifiers,
        "requested_at": request.requested_at.isoformat(),
        "note": request.note,
        "status": request.status,
    }
