"""`kb <verb>`: the command line. Domain errors become a message on stderr and exit code 1."""

from __future__ import annotations

import sys

import typer

from kb.errors import KBError

app = typer.Typer(
    name="kb",
    help="Knowledge base for presales teams: ingest, search, serve, audit.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _register() -> None:
    from api.commands import documents, governance, index, people, serve  # noqa: F401


def main(argv: list[str] | None = None) -> None:
    _register()
    try:
        app(args=argv)
    except KBError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        sys.exit(1)
