"""GET /glossary: the team's names for things, in Chinese and English.

Entries are edited like any document: the glossary documents (kind `glossary`) are created and
changed through POST and PUT /documents, versioned and owned like the rest.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import ReadSessionDep, Searcher
from api.schemas.glossary import GlossaryEntryPublic, GlossaryPublic
from kb.glossary import load_glossary
from kb.vocabulary import EntryType

router = APIRouter(tags=["glossary"])


@router.get("/glossary")
def list_glossary(
    session: ReadSessionDep,
    person: Searcher,
    type: Annotated[EntryType | None, Query(description="what the entry names")] = None,
    q: Annotated[str | None, Query(description="a name, in any form, or part of one")] = None,
) -> GlossaryPublic:
    """Glossary entries, by type and canonical name; `q` finds an entry by any of its forms."""
    entries = load_glossary(session).search(q or "", type)
    return GlossaryPublic(
        total=len(entries),
        entries=[GlossaryEntryPublic.model_validate(e.as_dict()) for e in entries],
    )
