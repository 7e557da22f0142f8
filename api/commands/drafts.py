"""`kb draft`: a proposal draft (.docx or Markdown) from chosen sections and answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from api.commands.context import context
from api.commands.output import say
from api.commands.root import app
from api.errors import problems_of
from api.schemas.drafts import DraftCreate
from kb.db import transaction
from kb.draft_files import draft_docx, draft_markdown
from kb.drafts import DraftItem, compose_draft, record_draft_reuse
from kb.errors import InvalidInput
from kb.reuse import check_reuser


@app.command()
def draft(
    request: Annotated[
        Path,
        typer.Argument(
            help='JSON file: {"title", "customer", "items": [{"section_type", "ref", "text"}], '
            '"proposal_ref", "bid_ref", "user"} (as POST /drafts takes)'
        ),
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="file to write")],
    markdown: Annotated[bool, typer.Option("--md", help="Markdown instead of .docx")] = False,
) -> None:
    """Write a proposal draft: a heading per section type in standard order, the texts and a
    source list; every item is recorded as reuse."""
    body = _read(request)
    items = [DraftItem(i.section_type, i.ref, i.text) for i in body.items]
    with transaction(context().engine) as session:
        if body.user is not None:
            check_reuser(session, body.user)
        composed = compose_draft(session, body.title, body.customer, items, viewer=None)
        record_draft_reuse(
            session,
            items,
            proposal_ref=body.proposal_ref or composed.title,
            bid_ref=body.bid_ref,
            user=body.user,
            recorded_by=None,
        )
    if markdown:
        output.write_text(draft_markdown(composed), encoding="utf-8")
    else:
        output.write_bytes(draft_docx(composed))
    say(f"wrote {output} ({len(composed.sections)} sections, {len(items)} items)")


def _read(path: Path) -> DraftCreate:
    try:
        return DraftCreate.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"{path}: not a draft request: {exc}") from None
    except ValidationError as exc:
        raise InvalidInput(f"{path}: not a draft request: {problems_of(exc.errors())}") from None
