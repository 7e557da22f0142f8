"""`kb users ...`: people, roles and tokens."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import yaml
from sqlmodel import Session

from api.commands.context import context
from api.commands.output import print_model, print_table
from api.commands.root import app
from api.schemas.governance import UserPublic, UsersPublic
from kb.db import transaction
from kb.errors import InvalidInput
from kb.people import (
    UNSET,
    add_person,
    get_person,
    import_people,
    issue_token,
    list_people,
    set_disabled,
    update_person,
)
from kb.vocabulary import Role, values

users = typer.Typer(help="People and service identities.", no_args_is_help=True)
app.add_typer(users, name="users")


@users.command("add")
def add(
    name: str,
    role: Annotated[str, typer.Option(help="|".join(values(Role)))] = Role.contributor.value,
    team: Annotated[str | None, typer.Option()] = None,
    display_name: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Create a person and print their token (shown once)."""
    with transaction(context().engine) as session:
        person, token = add_person(session, name, role=role, team=team, display_name=display_name)
    typer.echo(f"created {person.name} ({person.role}); token (shown once):")
    typer.echo(token)


@users.command("list")
def list_(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List people."""
    with Session(context().engine) as session:
        people = UsersPublic(items=[UserPublic.of(p) for p in list_people(session)])
    if as_json:
        print_model(people)
    else:
        rows = [p.model_dump() for p in people.items]
        print_table(rows, ["name", "role", "team", "disabled", "display_name"])


@users.command("update")
def update(
    name: str,
    role: Annotated[str | None, typer.Option(help="|".join(values(Role)))] = None,
    team: Annotated[str | None, typer.Option(help="new team ('' clears it)")] = None,
) -> None:
    """Change a person's role and/or team (the last active manager stays one)."""
    if role is None and team is None:
        raise InvalidInput("give --role and/or --team")
    with transaction(context().engine) as session:
        person = update_person(session, name, role=role, team=UNSET if team is None else team)
    typer.echo(f"{person.name}: role {person.role}, team {person.team or '(none)'}")


@users.command("disable")
def disable(name: str) -> None:
    """Disable a person: their token stops working at once."""
    with transaction(context().engine) as session:
        set_disabled(session, name, True)
    typer.echo(f"disabled {name}")


@users.command("enable")
def enable(name: str) -> None:
    """Enable a disabled person again."""
    with transaction(context().engine) as session:
        set_disabled(session, name, False)
    typer.echo(f"enabled {name}")


@users.command("token")
def token(name: str, quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False) -> None:
    """Issue a new token for a person (the old one stops working)."""
    with transaction(context().engine) as session:
        new = issue_token(session, name)
        disabled = get_person(session, name).disabled
    typer.echo(new if quiet else f"new token for {name} (shown once):\n{new}")
    if disabled:
        typer.echo(
            f"note: {name} is disabled; the token works once `kb users enable {name}` is run",
            err=True,
        )


@users.command("import")
def import_(path: Path) -> None:
    """Create or update people from a YAML list of {name, role, team, display_name, disabled}."""
    try:
        entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidInput(f"{path}: cannot read people: {exc}") from exc
    if not isinstance(entries, list):
        raise InvalidInput(f"{path}: expected a list of people")
    with transaction(context().engine) as session:
        created, updated = import_people(session, entries)
    typer.echo(f"people: {created} created, {updated} updated")
