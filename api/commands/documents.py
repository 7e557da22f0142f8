"""Commands on documents: ingest, history, diff, show."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlmodel import Session

from api.commands.context import context
from api.commands.output import print_json, print_model, print_table, say
from api.commands.root import app
from api.schemas.documents import DiffPublic, DocumentDetail, VersionDetail, VersionsPublic
from kb.db import transaction
from kb.events import document_events
from kb.lifecycle import set_status
from kb.models import Event
from kb.store import resolve_document
from kb.versions import diff_versions, field_changes, get_version, list_versions
from search.duplicates import near_duplicate_report

JsonFlag = Annotated[bool, typer.Option("--json", help="machine-readable output")]


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="files or folders (walked)")],
    author: Annotated[
        str | None, typer.Option(envvar="KB_AUTHOR", help="author of new versions")
    ] = None,
    prune: Annotated[
        bool, typer.Option(envvar="KB_PRUNE", help="mark documents whose files are gone deleted")
    ] = False,
    strict: Annotated[
        bool, typer.Option(envvar="KB_STRICT", help="any failure is fatal; nothing is written")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Read documents into the store and make them searchable."""
    ctx = context()
    progress = sys.stderr.isatty() and not as_json
    report, sync = ctx.ingest(paths, author=author, prune=prune, strict=strict, progress=progress)
    duplicates = near_duplicate_report(
        ctx.indexes, report.document_ids, threshold=ctx.settings.near_duplicate_threshold
    )
    data = {**report.as_dict(), "index": sync.as_dict(), "near_duplicates": duplicates}
    if as_json:
        print_json(data)
    else:
        typer.echo(
            f"added {len(report.added)}, updated {len(report.updated)}, unchanged "
            f"{len(report.unchanged)}, deleted {len(report.deleted)}, failed "
            f"{len(report.failed)}, skipped {len(report.skipped)} "
            f"({report.chunks_written} chunks written, {sync.embedded} embedded)"
        )
        for failure in report.failed:
            say(f"  failed: {failure['path']}: {failure['error']}", err=True)
        for skipped in report.skipped:
            say(f"  skipped: {skipped['path']}: {skipped['reason']}", err=True)
        for item in duplicates:
            similar = ", ".join(
                f"{s['source_id']} ({s['similarity']:.2f})" for s in item["similar"]
            )
            say(f"  similar: {item['source_id']} ~ {similar}; update it instead?", err=True)
    if report.failed and strict:
        raise typer.Exit(code=1)


@app.command()
def history(
    ref: Annotated[str, typer.Argument(help="document id or source id")], as_json: JsonFlag = False
) -> None:
    """List a document's versions with the fields each changed, then its other events
    (reviews, archive, restore, delete, hand-overs)."""
    with Session(context().engine) as session:
        document = resolve_document(session, ref)
        versions = list_versions(session, document)
        changes = [field_changes(versions[i - 1], v) if i else [] for i, v in enumerate(versions)]
        assert document.id is not None
        event_rows = document_events(session, document.id)
        events = [_event_row(e) for e in event_rows]
    rows = [
        {
            "version": v.number,
            "author": v.author,
            "created_at": v.created_at.isoformat(),
            "title": v.title,
            "change_note": v.change_note,
            "hash": v.content_hash[:12],
            "changes": [c.as_dict() for c in found],
        }
        for v, found in zip(versions, changes, strict=True)
    ]
    if as_json:
        print_model(VersionsPublic.of(document, versions, event_rows))
        return
    say(f"{document.source_id} (id {document.id}, status {document.status})")
    for row, found in zip(rows, changes, strict=True):
        row["changes"] = "; ".join(c.describe() for c in found)
    print_table(rows, ["version", "author", "created_at", "title", "change_note", "changes"])
    for event in events:
        say(
            f"  {event['at']}  {event['action']} by {event['actor'] or '-'}  "
            f"{_detail(event['detail'])}"
        )


def _event_row(event: Event) -> dict[str, Any]:
    return {
        "at": event.at.isoformat(),
        "actor": event.actor,
        "action": event.action,
        "version": event.version,
        "detail": event.detail,
    }


def _detail(detail: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in detail.items() if v not in (None, "", []))


@app.command()
def diff(
    ref: Annotated[str, typer.Argument(help="document id or source id")],
    v1: Annotated[int, typer.Argument(help="older version")],
    v2: Annotated[int, typer.Argument(help="newer version")],
    as_json: JsonFlag = False,
) -> None:
    """Show what changed between two versions: fields (tags added and removed, owner,
    confidentiality, status, ...), then the text as a unified diff."""
    with Session(context().engine) as session:
        document = resolve_document(session, ref)
        text = diff_versions(session, document, v1, v2)
        before, after = get_version(session, document, v1), get_version(session, document, v2)
        changes = field_changes(before, after)
    if as_json:
        print_model(DiffPublic.of(document, before, after, text))
        return
    for change in changes:
        say(change.describe())
    say(text or ("" if changes else "(no difference)"))


@app.command()
def restore(
    ref: Annotated[str, typer.Argument(help="document id or source id")],
    as_: Annotated[
        str | None, typer.Option("--as", envvar="KB_AUTHOR", help="who restores it")
    ] = None,
) -> None:
    """Bring an archived (or deleted) document back to active (recorded as an event)."""
    ctx = context()
    with transaction(ctx.engine) as session:
        document = resolve_document(session, ref)
        changed = set_status(session, document, "active", actor=as_)
    ctx.indexes.sync()
    say(f"restored {document.source_id}" if changed else f"{document.source_id} is active")


@app.command()
def show(
    ref: Annotated[str, typer.Argument(help="document id or source id")],
    version: Annotated[int | None, typer.Option(help="a past version")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Print a document (its current version, or an older one)."""
    with Session(context().engine) as session:
        document = resolve_document(session, ref)
        found = get_version(session, document, version or document.current_version)
    if as_json:
        shown = VersionDetail.of(found) if version else DocumentDetail.of_version(document, found)
        print_model(shown)
    else:
        say(f"# {found.title}  (v{found.number}, {document.kind}, owner {document.owner})")
        say(found.text)
