"""Suggestions are units of reuse: a whole section (or, too long, its lead and a list of its
subsections) or a whole Q&A; approved answers; one canonical answer for answers that say the
same thing; the service identity reads what it is suggested."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from kb.units import MAX_UNIT_CHARS
from tests.api.conftest import Headers, create

PROPOSAL = {"kind": "proposal", "industry": "金融", "customer": "北方银行", "products": ["X-200"]}
SOLUTION = (
    "## Solution\n\nWe deploy two X-200 backup appliances in active-active mode across the "
    "primary and disaster recovery data centres.\n\n"
    "### Architecture\n\nHourly immutable snapshots are replicated within fifteen minutes.\n\n"
    "### Pricing\n\nThe two appliances cost 400,000 a year."
)
DRAFT = "backup appliances active-active across data centres with hourly immutable snapshots"
ANSWER = (
    "## Approved answer\n\nYes. All data is encrypted in transit with TLS 1.2 or 1.3 and at "
    "rest with AES-256; keys rotate every 90 days."
)


def suggest(client: TestClient, headers: Headers, **body: Any) -> list[dict[str, Any]]:
    response = client.post("/suggestions", json=body, headers=headers)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["suggestions"]
    return found


def test_a_suggestion_is_the_whole_section_with_its_subsections(
    client: TestClient, people: dict[str, Headers]
) -> None:
    create(client, people["li.na"], title="DR offer", text=SOLUTION, **PROPOSAL)
    [solution] = suggest(client, people["proposal-tool"], text=DRAFT, section="solution")
    assert solution["section"] == "Solution" and solution["complete"]
    assert solution["text"].index("active-active") < solution["text"].index("Hourly")
    assert "400,000" in solution["text"] and len(solution["chunk_ids"]) == 3
    assert solution["ref"] == f"{solution['chunk_ids'][0]}:1"
    [pricing] = suggest(client, people["proposal-tool"], text="appliances cost", section="报价")
    assert pricing["section"] == "Solution > Pricing"
    assert pricing["text"] == "The two appliances cost 400,000 a year."


def test_a_long_section_holds_its_lead_and_lists_its_subsections(
    client: TestClient, people: dict[str, Headers]
) -> None:
    filler = " ".join(["Replication is monitored around the clock."] * (MAX_UNIT_CHARS // 40))
    text = SOLUTION.replace("### Architecture\n\n", f"### Architecture\n\n{filler}\n\n")
    create(client, people["li.na"], title="DR offer", text=text, **PROPOSAL)
    [found] = suggest(client, people["zhao.lei"], text=DRAFT, section="solution", top_k=1)
    assert not found["complete"] and found["section"] == "Solution"
    assert "Replication is monitored" not in found["text"]
    assert [(s["section"], s["section_type"]) for s in found["subsections"]] == [
        ("Solution > Architecture", "solution"),
        ("Solution > Pricing", "pricing"),
    ]


def test_a_qa_suggestion_is_the_whole_answer_and_the_service_may_read_it(
    client: TestClient, people: dict[str, Headers]
) -> None:
    answer = create(
        client,
        people["li.na"],
        title="How is data encrypted?",
        kind="qa",
        question="How is customer data encrypted in transit and at rest?",
        text=ANSWER,
    )
    note = create(client, people["li.na"], title="Encryption notes", text=ANSWER)
    tool = people["proposal-tool"]
    [found] = suggest(client, tool, text="How is customer data encrypted at rest", kinds=["qa"])
    assert found["ref"].endswith(":0") and found["text"].startswith("Yes. All data")
    assert found["question"].startswith("How is customer data") and not found["approved"]
    assert client.get(f"/documents/{answer['id']}", headers=tool).status_code == 200
    assert client.get(f"/documents/{answer['id']}/versions/1", headers=tool).status_code == 200
    assert client.get(f"/documents/{note['id']}", headers=tool).status_code == 403


def test_answers_saying_the_same_thing_show_once_under_the_approved_one(
    client: TestClient, people: dict[str, Headers]
) -> None:
    question = "How is customer data encrypted in transit and at rest?"
    first = create(
        client, people["li.na"], title="Encryption", kind="qa", question=question, text=ANSWER
    )
    copy = create(
        client,
        people["li.na"],
        title="RFP sheet row 7",
        kind="qa",
        question=question,
        text=ANSWER.replace("Yes. ", "Yes, "),
    )
    other = create(
        client,
        people["li.na"],
        title="SSO",
        kind="qa",
        question="Do you support SSO?",
        text="Yes, SAML 2.0 and OIDC, and data encrypted in transit.",
    )
    text = "How is customer data encrypted at rest"
    [canonical, *_] = suggest(client, people["zhao.lei"], text=text, kinds=["qa"])
    assert {canonical["document_id"], *(a["document_id"] for a in canonical["also_in"])} == {
        first["id"],
        copy["id"],
    }
    review = client.post(f"/documents/{copy['id']}/review", headers=people["li.na"])
    assert review.status_code == 200, review.text
    found = suggest(client, people["zhao.lei"], text=text, kinds=["qa"])
    assert found[0]["document_id"] == copy["id"] and found[0]["approved"]
    assert [a["document_id"] for a in found[0]["also_in"]] == [first["id"]]
    assert other["id"] not in {a["document_id"] for a in found[0]["also_in"]}
    edit = {"base_version": 1, "text": ANSWER + " Keys live in an HSM."}
    assert client.put(f"/documents/{copy['id']}", json=edit, headers=people["li.na"]).is_success
    found = suggest(client, people["zhao.lei"], text=text, kinds=["qa"])
    assert not any(s["approved"] for s in found)  # a new version needs a new approval
