from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from api.context import Context
from tests.api_governance.conftest import Headers, error_of, write


@pytest.fixture
def written(app_context: Context, tokens: dict[str, Headers]) -> None:
    write(app_context, "a", owner="li.na", at=datetime(2026, 3, 1, 9))
    write(app_context, "a", owner="wang.fang", at=datetime(2026, 3, 31, 23, 59), text="Changed.")
    write(
        app_context,
        "b",
        owner="wang.fang",
        at=datetime(2026, 4, 1),
        kind="competitor_intel",
        competitor="帆软",
        source="客户访谈",
        observed="2026-03-30",
    )


def test_contributions_by_person_over_a_range(
    client: TestClient, tokens: dict[str, Headers], written: None
) -> None:
    response = client.get(
        "/contributions",
        params={"since": "2026-03-01", "until": "2026-03-31"},
        headers=tokens["sun.hao"],
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["since"], body["until"], body["group_by"]) == (
        "2026-03-01",
        "2026-03-31",
        "person",
    )
    rows = {row["person"]: row for row in body["rows"]}
    assert set(rows) == {"li.na", "wang.fang"}
    assert (rows["li.na"]["documents_created"], rows["li.na"]["versions_written"]) == (1, 1)
    assert (rows["wang.fang"]["documents_created"], rows["wang.fang"]["versions_written"]) == (0, 1)
    assert rows["wang.fang"]["team"] == "south"


def test_contributions_by_team_and_kind(
    client: TestClient, tokens: dict[str, Headers], written: None
) -> None:
    teams = client.get("/contributions", params={"group_by": "team"}, headers=tokens["li.na"])
    assert {r["team"]: r["versions_written"] for r in teams.json()["rows"]} == {
        "east": 1,
        "south": 2,
    }
    kinds = client.get(
        "/contributions",
        params={"group_by": "kind", "since": "2026-04-01"},
        headers=tokens["li.na"],
    )
    assert [(r["kind"], r["competitor_intel_added"]) for r in kinds.json()["rows"]] == [
        ("competitor_intel", 1)
    ]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "2026-02-30"}, "since"),
        ({"until": "soon"}, "until"),
        ({"since": "2026-05-01", "until": "2026-04-01"}, "since"),
        ({"group_by": "role"}, "group_by"),
    ],
)
def test_bad_parameters_are_422(
    client: TestClient, tokens: dict[str, Headers], params: dict[str, str], field: str
) -> None:
    response = client.get("/contributions", params=params, headers=tokens["li.na"])
    assert field in error_of(response, 422, "invalid_input")


def test_contributions_need_a_token(client: TestClient, tokens: dict[str, Headers]) -> None:
    error_of(client.get("/contributions"), 401, "unauthorized")
