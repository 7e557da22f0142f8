"""Commands on documents: ingest, history, diff, show."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import Session

from api.cli import app
from api.commands.context import context
from api.commands.output import print_json, print_table
from kb.store import resolve_document
from kb.versions import diff_versions, get_version, list_versions
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
            f"{len(report.unchanged)}, deleted {len(report.deleted)}, failed {len(report.failed)}"
            f" ({report.chunks_written} chunks written, {sync.embedded} embedded)"
        )
        for failure in report.failed:
            typer.echo(f"  failed: {failure['path']}: {failure['error']}", err=True)
        for item in duplicates:
            similar = ", ".join(
                f"{s['source_id']} ({s['similarity']:.2f})" for s in item["similar"]
            )
            typer.echo(f"  similar: {item['source_id']} ~ {similar}; update it instead?", err=True)
    if report.failed and strict:
        raise typer.Exit(code=1)


@app.command()
def history(
    ref: Annotated[str, typer.Argument(help="document id or source id")], as_json: JsonFlag = False
) -> None:
    """List a document's versions."""
    with Session(context().engine) as session:
        document = resolve_document(session, ref)
        rows = [
            {
                "version": v.number,
                "author": v.author,
                "created_at": v.created_at.isoformat(),
                "title": v.title,
                "change_note": v.change_note,
                "hash": v.content_hash[:12],
            }
            for v in list_versions(session, document)
        ]
    if as_json:
        print_json(
            {
                "document_id": document.id,
                "source_id": document.source_id,
                "current_version": document.current_version,
                "versions": rows,
            }
        )
    else:
        typer.echo(f"{document.source_id} (id {document.id}, status {document.status})")
        print_table(rows, ["version", "author", "created_at", "title", "change_note"])


@app.command()
def diff(
    ref: Annotated[str, typer.Argument(help="document id or source id")],
    v1: Annotated[int, typer.Argument(help="older version")],
    v2: Annotated[int, typer.Argument(help="newer version")],
) -> None:
    """Show what changed between two versions (unified diff)."""
    with Session(context().engine) as session:
        document = resolve_document(session, ref)
        typer.echo(diff_versions(session, document, v1, v2) or "(no difference)")


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
        print_json(
            {
                "id": document.id,
                "source_id": document.source_id,
                "kind": document.kind,
                "version": found.number,
                "title": found.title,
                "owner": document.owner,
                "status": document.status,
                "metadata": document.meta,
                "text": found.text,
            }
        )
    else:
        typer.echo(f"# {found.title}  (v{found.number}, {document.kind}, owner {document.owner})")
        typer.echo(found.text)
