"""People admin (add, disable, enable, role, team, new token) and hand-over with a preview
that can split a leaver's documents between successors. Managers only."""

from __future__ import annotations

from collections import Counter
from typing import Annotated

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import ContextDep, SessionDep
from api.web.pages import page_router, render
from api.web.session import CsrfChecked, PageManager, form_of
from kb.access import may_own
from kb.db import transaction
from kb.errors import InvalidInput, KBError
from kb.handover import hand_over, owned_documents
from kb.people import add_person, issue_token, list_people, set_disabled, update_person
from kb.vocabulary import Role
from kb.vocabulary import values as choices

router = page_router()
LISTED = 200  # documents listed one by one in the preview (the rest go by kind)


def _people_page(
    request: Request, session: SessionDep, status: int = 200, **extra: object
) -> HTMLResponse:
    values = {"people": list_people(session), "roles": choices(Role), "token": None, "error": None}
    return render(request, "people.html", status=status, **{**values, **extra})


@router.get("/admin/people", response_class=HTMLResponse)
def people_page(request: Request, person: PageManager, session: SessionDep) -> HTMLResponse:
    return _people_page(request, session)


@router.post("/admin/people", response_class=HTMLResponse, dependencies=[CsrfChecked])
def people_action(
    request: Request,
    person: PageManager,
    session: SessionDep,
    context: ContextDep,
    action: Annotated[str, Form()],
    name: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form()] = "",
    team: Annotated[str, Form(max_length=200)] = "",
) -> HTMLResponse:
    """add | disable | enable | update (role, team) | token; a token is shown this once."""
    token = None
    try:
        with transaction(context.engine) as writing:
            if action == "add":
                _, token = add_person(
                    writing, name, role=role or Role.contributor.value, team=team.strip() or None
                )
            elif action in ("disable", "enable"):
                set_disabled(writing, name, action == "disable")
            elif action == "update":
                update_person(writing, name, role=role or None, team=team)
            elif action == "token":
                token = issue_token(writing, name)
            else:
                raise InvalidInput(f"unknown action '{action}'")
    except KBError as exc:
        session.expire_all()
        return _people_page(request, session, status=exc.status, error=exc.message)
    session.expire_all()
    return _people_page(request, session, token={"name": name, "token": token} if token else None)


@router.get("/handover", response_class=HTMLResponse)
def handover_page(
    request: Request, person: PageManager, session: SessionDep, leaver: str = ""
) -> HTMLResponse:
    """The preview: what a hand-over of `leaver` would move, and to whom."""
    people = list_people(session, include_disabled=False)
    successors = [p for p in people if may_own(p) and p.name != leaver]
    documents = owned_documents(session, leaver) if leaver else []
    return render(
        request,
        "handover.html",
        leaver=leaver,
        people=list_people(session),
        successors=successors,
        documents=documents,
        listed=documents[:LISTED],
        kinds=Counter(d.kind for d in documents),
        result=None,
    )


async def handover_form(request: Request) -> dict[str, str]:
    return await form_of(request)


@router.post("/handover", response_class=HTMLResponse)
def handover_commit(
    request: Request,
    person: PageManager,
    session: SessionDep,
    context: ContextDep,
    values: Annotated[dict[str, str], Depends(handover_form)],
) -> Response:
    """Each document goes to the successor chosen for it (`to_ID`), else the one chosen for
    its kind (`to_kind_KIND`), else `to`."""
    leaver = values.get("leaver", "")
    default = values.get("to", "")
    split: dict[str, list[int]] = {}
    for document in owned_documents(session, leaver):
        chosen = (
            values.get(f"to_{document.id}") or values.get(f"to_kind_{document.kind}") or default
        )
        if chosen and document.id is not None:
            split.setdefault(chosen, []).append(document.id)
    if not split:
        raise InvalidInput("choose a successor for the documents")
    results = []
    with transaction(context.engine) as writing:
        for successor, ids in split.items():
            results.append(hand_over(writing, leaver, successor, actor=person.name, only=ids))
        if values.get("disable"):
            set_disabled(writing, leaver, True)
    return render(
        request,
        "handover.html",
        leaver=leaver,
        people=list_people(session),
        successors=[],
        documents=[],
        result=[r.as_dict() for r in results],
    )
