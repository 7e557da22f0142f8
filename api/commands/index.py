"""Commands on the search indexes: search, reindex, check."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from api.commands.context import context
from api.commands.output import print_json, print_model, say
from api.commands.root import app
from api.schemas.search import SearchResults
from kb.errors import InvalidInput
from kb.vocabulary import Mode, values
from search.catalog import FILTER_NAMES


def parse_filters(pairs: list[str]) -> dict[str, list[str]]:
    filters: dict[str, list[str]] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise InvalidInput(f"filter '{pair}' is not key=value (e.g. kind=proposal)")
        filters.setdefault(key.strip(), []).append(value.strip())
    return filters


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="what to look for, in Chinese or English")],
    top_k: Annotated[int | None, typer.Option("--top-k", "-k", envvar="KB_TOP_K")] = None,
    mode: Annotated[
        str, typer.Option(envvar="KB_SEARCH_MODE", help="|".join(values(Mode)))
    ] = Mode.hybrid.value,
    filter_: Annotated[
        list[str] | None,
        typer.Option(
            "--filter",
            "-f",
            help=f"key=value, repeatable ({', '.join(FILTER_NAMES)})",
        ),
    ] = None,
    history: Annotated[
        bool, typer.Option("--history", help="also search past versions and archived documents")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Search the knowledge base."""
    ctx = context()
    hits = ctx.search.search(
        query, top_k=top_k, mode=mode, filters=parse_filters(filter_ or []), history=history
    )
    expansions = ctx.search.expansions(query, mode)
    if as_json:
        expanded = [e.as_dict() for e in expansions]
        print_model(SearchResults.model_validate({"results": hits, "expansions": expanded}))
        return
    for expansion in expansions:
        shown = ", ".join(expansion.translations[:6])
        typer.echo(f"also searched: {expansion.term} → {shown} ({expansion.source})", err=True)
    if not hits:
        typer.echo("no results")
        if not ctx.indexes.generation().documents:
            home = ctx.settings.home.resolve()
            typer.echo(
                f"note: the knowledge base in {home} holds no documents; ingest some with "
                "`kb ingest PATH`, or point KB_HOME at the data folder you meant",
                err=True,
            )
    for rank, hit in enumerate(hits, 1):
        section = f" › {hit.section}" if hit.section else ""
        past = "" if hit.current else " (past version)"
        say(
            f"{rank}. {hit.title}{section}  [{hit.kind}, v{hit.version}{past}, "
            f"owner {hit.owner or '-'}, id {hit.document_id}]  score {hit.score:.3f}"
        )
        say(f"   {hit.snippet}")


@app.command()
def reindex(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Rebuild the vector and keyword indexes from the database (no re-embedding)."""
    report = context().indexes.rebuild(progress=sys.stderr.isatty() and not as_json)
    if as_json:
        print_json(report.as_dict())
    else:
        typer.echo(
            f"indexed {report.added} chunks ({report.embedded} embedded, "
            f"{report.reused} from stored embeddings)"
        )


@app.command()
def check(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Report differences between the store and the search indexes."""
    report = context().indexes.check()
    if as_json:
        print_json(report.as_dict())
    else:
        typer.echo(
            f"store: {report.store_chunks} chunks; vector index: {report.vector_count}; "
            f"keyword index: {report.keyword_count}"
        )
        for name in (
            "missing_in_vector",
            "extra_in_vector",
            "missing_in_keyword",
            "extra_in_keyword",
        ):
            ids = getattr(report, name)
            if ids:
                typer.echo(f"  {name.replace('_', ' ')}: {len(ids)} (e.g. {ids[:5]})")
        if report.index_files != "ok":
            typer.echo(f"  index files cannot be used: {report.index_files}")
        if report.missing_embeddings:
            typer.echo(f"  chunks without a stored embedding: {report.missing_embeddings}")
        for failure in report.failed_embeddings:
            typer.echo(
                f"  failed to embed {str(failure['content_hash'])[:12]} "
                f"({failure['attempts']} attempts, next {failure['next_attempt_at']}): "
                f"{failure['last_error']}"
            )
        typer.echo("ok" if report.ok else "differences found: run `kb reindex`")
    if not report.ok:
        raise typer.Exit(code=1)
