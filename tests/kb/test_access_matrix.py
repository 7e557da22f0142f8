"""kb.access as a matrix: every kind of viewer against every rule, on a real store."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from kb.access import (
    Action,
    Viewer,
    check_changes,
    check_permitted,
    check_service_read,
    may_change_access,
    may_change_status,
    may_decide_edits,
    may_name_verifiers,
    may_own,
    may_review,
    may_see_all_deliveries,
    may_see_deleted,
    permits,
    readable_versions,
    sees_everything,
    visible_document,
)
from kb.config import Settings
from kb.db import make_engine, transaction
from kb.documents import build_draft
from kb.errors import Forbidden, NotFound
from kb.lifecycle import set_status
from kb.models import Person
from kb.store import save_draft

VIEWERS: dict[str, Viewer | None] = {
    "operator": None,  # the local `kb` command
    "manager": Viewer("mia", "manager"),
    "owner": Viewer("li.na", "contributor", team="east"),
    "verifier": Viewer("wang", "contributor", team="east"),
    "grantee": Viewer("zhao", "reader"),
    "teammate": Viewer("sun", "reader", team="north"),
    "reader": Viewer("chen", "reader"),
    "service": Viewer("proposal-tool", "service"),
}
ALL = frozenset(VIEWERS)


def allowed(*names: str) -> frozenset[str]:
    return frozenset(names)


def save(session: Session, source_id: str, text: str, **fields: Any) -> None:
    fields = {"id": source_id, "owner": "li.na", **fields}
    draft = build_draft(fields, text, origin=source_id, default_id=source_id, default_title="t")
    save_draft(session, draft, [], author="li.na")


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    home: Path = tmp_path_factory.mktemp("access")
    engine = make_engine(Settings(home=home))
    with transaction(engine) as session:
        save(session, "open", "Internal note.")
        save(
            session,
            "secret",
            "Pricing.",
            confidentiality="confidential",
            grants=["zhao", "team:north"],
        )
        save(session, "gone", "Old.")
        save(
            session, "proposal", "Our offer.", kind="proposal", customer="江北银行", industry="金融"
        )
        save(session, "reclassified", "First.", confidentiality="confidential")
        save(session, "reclassified", "Second.", confidentiality="internal")
        set_status(session, visible_document(session, "gone", None), "deleted", actor="mia")
    yield engine
    engine.dispose()


def sees(engine: Engine, ref: str) -> Callable[[Viewer | None], bool]:
    def check(viewer: Viewer | None) -> bool:
        with Session(engine) as session:
            try:
                visible_document(session, ref, viewer)
            except NotFound:
                return False
            return True

    return check


def reads_first_version(engine: Engine) -> Callable[[Viewer | None], bool]:
    def check(viewer: Viewer | None) -> bool:
        with Session(engine) as session:
            document = visible_document(session, "reclassified", viewer)
            numbers = [v.number for v in readable_versions(session, document, viewer)]
        assert 2 in numbers  # the current, internal version: everyone who sees it reads it
        return 1 in numbers

    return check


def changes(engine: Engine, fields: dict[str, Any]) -> Callable[[Viewer | None], bool]:
    def check(viewer: Viewer | None) -> bool:
        with Session(engine) as session:
            document = visible_document(session, "open", None)
            try:
                check_changes(session, viewer, document, fields)
            except Forbidden:
                return False
            return True

    return check


def reads_whole(engine: Engine, ref: str) -> Callable[[Viewer | None], bool]:
    def check(viewer: Viewer | None) -> bool:
        with Session(engine) as session:
            document = visible_document(session, ref, None)
            try:
                check_service_read(viewer, document)
            except Forbidden:
                return False
            return True

    return check


def open_document(engine: Engine) -> Any:
    with Session(engine) as session:
        return visible_document(session, "open", None)


RULES: dict[str, tuple[Callable[[Engine], Callable[[Viewer | None], bool]], frozenset[str]]] = {
    "sees an internal document": (lambda e: sees(e, "open"), ALL),
    "sees a confidential document": (
        lambda e: sees(e, "secret"),
        allowed("operator", "manager", "owner", "grantee", "teammate"),
    ),
    "sees a deleted document": (lambda e: sees(e, "gone"), allowed("operator", "manager")),
    "reads a version written while confidential": (
        reads_first_version,
        allowed("operator", "manager", "owner"),
    ),
    "reads a whole product note": (lambda e: reads_whole(e, "open"), ALL - {"service"}),
    "reads a whole proposal": (lambda e: reads_whole(e, "proposal"), ALL),
    "may see deleted documents": (lambda e: may_see_deleted, allowed("operator", "manager")),
    "sees every document unfiltered": (lambda e: sees_everything, allowed("operator", "manager")),
    "sees everyone's deliveries": (
        lambda e: may_see_all_deliveries,
        allowed("operator", "manager"),
    ),
    "changes the status": (lambda e: may_change_status, allowed("operator", "manager")),
    "archives in an update": (
        lambda e: changes(e, {"status": "archived"}),
        allowed("operator", "manager"),
    ),
    "changes access": (
        lambda e: lambda viewer: may_change_access(viewer, open_document(e)),
        allowed("operator", "manager", "owner"),
    ),
    "decides a pending edit": (
        lambda e: lambda viewer: may_decide_edits(viewer, open_document(e)),
        allowed("operator", "manager", "owner"),
    ),
    "names verifiers": (
        lambda e: lambda viewer: may_name_verifiers(viewer, open_document(e)),
        allowed("operator", "manager", "owner"),
    ),
    "makes a document confidential in an update": (
        lambda e: changes(e, {"confidentiality": "confidential"}),
        allowed("operator", "manager", "owner"),
    ),
    "hands a document to another owner in an update": (
        lambda e: changes(e, {"owner": "wang"}),
        allowed("operator", "manager", "owner"),
    ),
    "grants access in an update": (
        lambda e: changes(e, {"grants": ["chen"]}),
        allowed("operator", "manager", "owner"),
    ),
    "updates content, keeping access as it is": (
        lambda e: changes(e, {"title": "New", "owner": "li.na", "status": "active"}),
        ALL,
    ),
    "reviews": (
        lambda e: lambda viewer: may_review(viewer, owner="li.na", verifiers=["wang"]),
        allowed("operator", "manager", "owner", "verifier"),
    ),
}


@pytest.mark.parametrize("viewer_name", sorted(VIEWERS))
@pytest.mark.parametrize("rule", sorted(RULES))
def test_access_matrix(engine: Engine, rule: str, viewer_name: str) -> None:
    make_check, expected = RULES[rule]
    assert make_check(engine)(VIEWERS[viewer_name]) == (viewer_name in expected)


SUGGESTED = Action.read_suggested  # a document route open to services for what they are suggested
ROLE_ACTIONS = {
    "reader": {Action.search, Action.read, SUGGESTED},
    "contributor": {Action.search, Action.read, SUGGESTED, Action.write, Action.draft},
    "manager": set(Action),
    "service": {Action.search, SUGGESTED, Action.report, Action.draft},  # no other document route
}


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("role", sorted(ROLE_ACTIONS))
def test_role_permissions(role: str, action: Action) -> None:
    expected = action in ROLE_ACTIONS[role]
    assert permits(role, action) == expected
    if expected:
        check_permitted(role, action)
    else:
        with pytest.raises(Forbidden, match=f"role '{role}' may not do this"):
            check_permitted(role, action)


@pytest.mark.parametrize(
    ("role", "disabled", "expected"),
    [
        ("contributor", False, True),
        ("manager", False, True),
        ("reader", False, False),
        ("service", False, False),
        ("contributor", True, False),
    ],
)
def test_who_may_own_documents(role: str, disabled: bool, expected: bool) -> None:
    assert may_own(Person(name="x", role=role, disabled=disabled)) == expected
    assert not may_own(None)
