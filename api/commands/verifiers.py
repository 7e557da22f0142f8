"""`kb verifiers`: who verifies documents, per document and by default per kind and team (the
local operator may set any). `--json` prints the API's shapes."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlmodel import Session

from api.commands.context import context
from api.commands.output import print_model, print_table, say
from api.commands.root import app
from api.schemas.reviews import VerifierDefaultPublic, VerifierDefaultsPublic, VerifiersPublic
from kb.db import transaction
from kb.store import resolve_document
from kb.verifiers import list_defaults, set_default_verifiers, set_document_verifiers, verifiers_of

JsonFlag = Annotated[bool, typer.Option("--json", help="machine-readable output")]
Names = Annotated[list[str] | None, typer.Argument(help="people; none: back to the defaults")]
Ref = Annotated[str, typer.Argument(help="document id or source id")]

verifiers = typer.Typer(
    help="Who verifies documents: per document, and defaults per kind and team."
)
app.add_typer(verifiers, name="verifiers")


@verifiers.command("show")
def show(ref: Ref, as_json: JsonFlag = False) -> None:
    """A document's verifiers and where they come from (as GET /documents/{ref}/verifiers)."""
    with Session(context().engine) as session:
        found = VerifiersPublic.of(verifiers_of(session, resolve_document(session, ref)))
    _print_verifiers(found, as_json)


@verifiers.command("set")
def set_verifiers(ref: Ref, names: Names = None, as_json: JsonFlag = False) -> None:
    """Name a document's verifiers; none goes back to the defaults (PUT .../verifiers)."""
    with transaction(context().engine) as session:
        document = resolve_document(session, ref)
        set_document_verifiers(session, document, names or [])
        session.flush()
        found = VerifiersPublic.of(verifiers_of(session, document))
    _print_verifiers(found, as_json)


@verifiers.command("defaults")
def defaults(as_json: JsonFlag = False) -> None:
    """The default verifiers per kind and team (as GET /verifier-defaults)."""
    with Session(context().engine) as session:
        found = VerifierDefaultsPublic(
            items=[VerifierDefaultPublic.of(d) for d in list_defaults(session)]
        )
    if as_json:
        print_model(found)
    else:
        print_table([_row(d) for d in found.items], ("kind", "team", "verifiers"))


@verifiers.command("set-default")
def set_default(
    kind: Annotated[str, typer.Argument(help="the documents' kind")],
    names: Names = None,
    team: Annotated[str | None, typer.Option(help="the owners' team; without it: any team")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Who verifies documents of KIND whose owner is in --team (any team without it); no
    names removes the default (as PUT /verifier-defaults)."""
    with transaction(context().engine) as session:
        found = VerifierDefaultPublic.of(set_default_verifiers(session, kind, team, names or []))
    if as_json:
        print_model(found)
    elif found.verifiers:
        say(f"{found.kind} ({found.team or 'any team'}): {', '.join(found.verifiers)}")
    else:
        say(f"{found.kind} ({found.team or 'any team'}): no default")


def _print_verifiers(found: VerifiersPublic, as_json: bool) -> None:
    if as_json:
        print_model(found)
    else:
        say(f"{', '.join(found.verifiers) or '(none)'} ({found.source})")


def _row(default: VerifierDefaultPublic) -> dict[str, str]:
    return {
        "kind": default.kind,
        "team": default.team or "(any)",
        "verifiers": ", ".join(default.verifiers),
    }
