"""The `kb` Typer application that every command module registers on (imports nothing of
kb's own, so command modules and api.cli import it without a circle)."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="kb",
    help="Knowledge base for presales teams: ingest, search, serve, audit.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
