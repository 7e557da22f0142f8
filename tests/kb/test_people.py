"""People: importing a roster, tokens, disabling."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from kb.db import transaction
from kb.errors import Conflict, InvalidInput, NotFound, Unauthorized
from kb.handover import hand_over
from kb.people import authenticate, get_person, import_people, issue_token, set_disabled

ROSTER = [
    {"name": "li.na", "role": "contributor", "team": "华东售前", "display_name": "李娜"},
    {"name": "wang.min", "role": "manager", "team": "华东售前"},
]


def test_import_creates_then_updates_only_what_a_record_sets(engine: Engine) -> None:
    with transaction(engine) as session:
        assert import_people(session, ROSTER) == (2, 0)
    with transaction(engine) as session:
        assert import_people(session, ROSTER) == (0, 0)  # nothing changed, nothing counted
    with transaction(engine) as session:
        assert import_people(session, [{"name": "li.na", "team": "华南售前"}]) == (0, 1)
    with Session(engine) as session:
        li_na = get_person(session, "li.na")
        assert (li_na.role, li_na.team, li_na.display_name) == ("contributor", "华南售前", "李娜")


def test_reimporting_never_re_enables_a_disabled_person(engine: Engine) -> None:
    """A leaver disabled after the first import must stay locked out when the roster (which
    still lists them as enabled) is imported again."""
    with transaction(engine) as session:
        import_people(session, ROSTER)
        token = issue_token(session, "li.na")
    with transaction(engine) as session:
        set_disabled(session, "li.na")
    with transaction(engine) as session:
        import_people(session, ROSTER)
    with Session(engine) as session:
        assert get_person(session, "li.na").disabled
        with pytest.raises(Unauthorized, match="disabled"):
            authenticate(session, token)


def test_import_may_disable(engine: Engine) -> None:
    with transaction(engine) as session:
        import_people(session, ROSTER)
    with transaction(engine) as session:
        import_people(session, [{"name": "li.na", "disabled": True}])
    with Session(engine) as session:
        assert get_person(session, "li.na").disabled


def test_a_bad_role_fails_the_whole_import(engine: Engine) -> None:
    with pytest.raises(InvalidInput, match="unknown role 'boss'"), transaction(engine) as session:
        import_people(session, [*ROSTER, {"name": "x", "role": "boss"}])
    with Session(engine) as session, pytest.raises(NotFound, match="no person named 'li.na'"):
        get_person(session, "li.na")


def test_the_last_active_manager_cannot_be_disabled(engine: Engine) -> None:
    with transaction(engine) as session:
        import_people(session, ROSTER)
    last = "'wang.min' is the last active manager"
    with pytest.raises(Conflict, match=last), transaction(engine) as session:
        set_disabled(session, "wang.min")
    with pytest.raises(Conflict, match="last active manager"), transaction(engine) as session:
        hand_over(session, "wang.min", "li.na", actor="wang.min", disable=True)
    with transaction(engine) as session:
        import_people(session, [{"name": "zhao.lei", "role": "manager"}])
    with transaction(engine) as session:
        set_disabled(session, "wang.min")
    with Session(engine) as session:
        assert get_person(session, "wang.min").disabled


@pytest.mark.parametrize("name", ["team:east", "li na", ""])
def test_names_are_one_word_without_a_colon(engine: Engine, name: str) -> None:
    with pytest.raises(InvalidInput, match="not a valid user name"), transaction(engine) as s:
        import_people(s, [{"name": name or " ", "role": "reader"}])


@pytest.mark.parametrize("change", [{"disabled": True}, {"role": "contributor"}])
def test_an_import_cannot_disable_or_demote_the_last_manager(
    engine: Engine, change: dict[str, object]
) -> None:
    with transaction(engine) as session:
        import_people(session, ROSTER)
    with pytest.raises(Conflict, match="last active manager"), transaction(engine) as session:
        import_people(session, [{"name": "wang.min", **change}])
    with Session(engine) as session:
        wang = get_person(session, "wang.min")
        assert (wang.role, wang.disabled) == ("manager", False)
