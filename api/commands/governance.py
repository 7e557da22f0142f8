"""`kb contributions`, `kb audit`, `kb review`, `kb handover`: keeping knowledge current and shared.

The CLI runs locally with full access: it sees every document and may review any of them.
"""

from __future__ import annotations

from typing import Annotated

import typer
from sqlmodel import Session

from api.commands.context import context
from api.commands.output import print_csv, print_model, print_table
from api.commands.root import app
from api.schemas.governance import (
    ContributionsPublic,
    FreshnessAuditPublic,
    HandoverPublic,
    ReviewPublic,
)
from kb.contributions import METRICS, contributions, parse_day
from kb.db import transaction
from kb.freshness import (
    AUDIT_COLUMNS,
    archive_candidates,
    audit_freshness,
    audit_time,
    freshness_of,
    owner_is_active,
    status_counts,
)
from kb.handover import hand_over
from kb.review import review_document
from kb.store import resolve_document

JsonFlag = Annotated[bool, typer.Option("--json", help="machine-readable output")]
CsvFlag = Annotated[bool, typer.Option("--csv", help="CSV for spreadsheets")]
TABLE_COLUMNS = (
    "document_id",
    "source_id",
    "kind",
    "owner",
    "team",
    "status",
    "score",
    "last_verified",
    "due_at",
    "days_overdue",
)


@app.command("contributions")
def contributions_(
    since: Annotated[
        str | None, typer.Option(envvar="KB_SINCE", help="first day, YYYY-MM-DD")
    ] = None,
    until: Annotated[
        str | None, typer.Option(envvar="KB_UNTIL", help="last day (included), YYYY-MM-DD")
    ] = None,
    group_by: Annotated[
        str, typer.Option(envvar="KB_GROUP_BY", help="person|team|kind")
    ] = "person",
    as_json: JsonFlag = False,
    as_csv: CsvFlag = False,
) -> None:
    """Who created, wrote, reviewed and shared knowledge (and how often others reused it)."""
    start, end = parse_day(since, "since"), parse_day(until, "until")
    with Session(context().engine) as session:
        rows = contributions(session, since=start, until=end, group_by=group_by)
    columns = [group_by, *(["team"] if group_by == "person" else []), *METRICS]
    if as_json:
        print_model(ContributionsPublic.of(start, end, group_by, rows), exclude_unset=True)
    elif as_csv:
        print_csv(rows, columns)
    else:
        print_table(
            [{k: "(none)" if v is None else v for k, v in r.items()} for r in rows], columns
        )


@app.command()
def audit(
    owner: Annotated[str | None, typer.Option(envvar="KB_AUDIT_OWNER")] = None,
    team: Annotated[str | None, typer.Option(envvar="KB_AUDIT_TEAM")] = None,
    kind: Annotated[str | None, typer.Option(envvar="KB_AUDIT_KIND")] = None,
    status: Annotated[
        str | None,
        typer.Option(
            envvar="KB_AUDIT_STATUS",
            help="fresh|due_soon|stale|unowned, or a document status active|archived",
        ),
    ] = None,
    document_status: Annotated[
        str, typer.Option(envvar="KB_AUDIT_DOCUMENT_STATUS", help="active|archived|deleted|all")
    ] = "active",
    archive: Annotated[
        bool, typer.Option("--archive-candidates", help="list documents worth archiving")
    ] = False,
    as_of: Annotated[
        str | None, typer.Option(envvar="KB_AS_OF", help="audit as of this day (default: now)")
    ] = None,
    as_json: JsonFlag = False,
    as_csv: CsvFlag = False,
) -> None:
    """Freshness of documents, worst first: fresh, due soon, stale or unowned."""
    now = audit_time(parse_day(as_of, "as-of"))
    ctx = context()
    with Session(ctx.engine) as session:
        if archive:
            rows = archive_candidates(session, now=now)
        else:
            rows = audit_freshness(
                session,
                now=now,
                owner=owner,
                team=team,
                kind=kind,
                status=status,
                document_status=document_status,
                due_soon_days=ctx.settings.due_soon_days,
            )
    data = [row.as_dict() for row in rows]
    if as_json:
        print_model(FreshnessAuditPublic.of(now, rows))
    elif as_csv:
        print_csv(data, AUDIT_COLUMNS)
    else:
        print_table(
            [
                {
                    **d,
                    "last_verified": (d["last_verified"] or "")[:10],
                    "due_at": (d["due_at"] or "")[:10],
                }
                for d in data
            ],
            TABLE_COLUMNS,
        )
        counts = ", ".join(f"{k} {v}" for k, v in status_counts(rows).items())
        typer.echo(f"{len(rows)} documents: {counts}")


@app.command()
def review(
    ref: Annotated[str, typer.Argument(help="document id or source id")],
    note: Annotated[str | None, typer.Option(help="what was checked")] = None,
    as_: Annotated[
        str | None, typer.Option("--as", envvar="KB_AUTHOR", help="who reviewed it")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Mark a document verified (no new version): its freshness clock starts again."""
    ctx = context()
    with transaction(ctx.engine) as session:
        document = resolve_document(session, ref)
        result = review_document(session, document, actor=as_, viewer=None, note=note)
        owner_active = owner_is_active(session, document.owner)
    if as_json:
        freshness = freshness_of(
            document,
            now=result.reviewed_at,
            owner_active=owner_active,
            due_soon_days=ctx.settings.due_soon_days,
        )
        print_model(ReviewPublic.of(result, freshness))
    else:
        typer.echo(
            f"reviewed {result.source_id} (id {result.document_id}, v{result.version}) "
            f"at {result.reviewed_at.isoformat()}"
        )


@app.command()
def handover(
    name: Annotated[str, typer.Argument(help="the leaver's user name")],
    to: Annotated[str, typer.Option("--to", help="the successor's user name")],
    disable: Annotated[bool, typer.Option("--disable", help="also disable the leaver")] = False,
    as_: Annotated[
        str | None, typer.Option("--as", envvar="KB_AUTHOR", help="who does the hand-over")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Give all of a leaver's documents to a successor (and optionally disable the leaver)."""
    with transaction(context().engine) as session:
        result = hand_over(session, name, to, actor=as_, disable=disable)
    if as_json:
        print_model(HandoverPublic.of(result))
        return
    typer.echo(
        f"handed {len(result.documents)} documents from {name} to {to}"
        + (f"; {name} is disabled" if result.disabled else "")
    )
