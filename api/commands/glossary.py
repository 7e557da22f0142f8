"""`kb glossary`: the team's names for things, in Chinese and English."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlmodel import Session

from api.commands.context import context
from api.commands.output import print_json
from api.commands.root import app
from kb.errors import InvalidInput
from kb.glossary import ENTRY_TYPES, load_glossary


@app.command()
def glossary(
    query: Annotated[str, typer.Argument(help="a name in any form, or part of one")] = "",
    entry_type: Annotated[
        str | None, typer.Option("--type", help=f"one of {', '.join(ENTRY_TYPES)}")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Glossary entries (edit them in the glossary documents, kind `glossary`)."""
    if entry_type is not None and entry_type not in ENTRY_TYPES:
        raise InvalidInput(
            f"unknown glossary type '{entry_type}'; use one of {', '.join(ENTRY_TYPES)}"
        )
    with Session(context().engine) as session:
        entries = load_glossary(session).search(query, entry_type)
    if as_json:
        print_json({"total": len(entries), "entries": [e.as_dict() for e in entries]})
        return
    if not entries:
        typer.echo("no entries")
    for entry in entries:
        forms = "; ".join(form for form in entry.forms if form != entry.name)
        typer.echo(f"{entry.name} [{entry.type}]  {forms}")
