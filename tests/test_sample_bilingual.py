"""Issue 14's examples on the sample content, as a new user meets them after the quickstart:
`kb ingest` stores the documents and saves the index files, then another process (`kb search`,
`kb serve`) starts from those files. Only the sample files the examples need are ingested."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app as cli
from api.commands import context as command_context
from api.context import Context
from kb.config import Settings
from search.embedder import SentenceTransformerEmbedder
from tests.api.conftest import Headers, add_people
from tests.conftest import CONTENT, make_context

SAMPLE = (
    "glossary",
    "products",
    "competitors",
    "proposals/selatan-power-soc.md",
    "proposals/jiangnan-bank-data-integration.md",
    "bids/bid-2025-031-jiangnan-bank-won.md",
    "bids/bid-2025-049-yuehai-energy-withdrawn.md",
    "bids/bid-2025-057-pacific-harbor-won.md",
    "bids/bid-2025-063-selatan-power-lost.md",
    "qa/dengbao3-materials-zh.md",
    "qa/sso-ldap-en.md",
    "qa/xinchuang-support.md",
)
ENERGY = {
    "competitors/huawei-cloud-price-cut-south-china.md",
    "competitors/splunk-es-vs-guardeye-battlecard.md",
    "proposals/selatan-power-soc.md",
    "bids/bid-2025-063-selatan-power-lost.md",
    "bids/bid-2025-049-yuehai-energy-withdrawn.md",
}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, embedder: SentenceTransformerEmbedder) -> Path:
    """A data folder holding the sample subset and the index files its ingest saved."""
    home = tmp_path_factory.mktemp("sample") / "kb"
    context = make_context(Settings(home=home), embedder)
    report, _ = context.ingest([CONTENT / path for path in SAMPLE])
    assert report.failed == []
    context.engine.dispose()
    return home


@pytest.fixture
def restarted(home: Path, embedder: SentenceTransformerEmbedder) -> Iterator[Context]:
    """A new process's context over that folder: its search starts from the saved files."""
    context = make_context(Settings(home=home), embedder)
    yield context
    context.engine.dispose()


def titles(context: Context, query: str, **filters: str) -> list[str]:
    return [hit.title for hit in context.search.search(query, top_k=5, filters=filters)]


@pytest.mark.parametrize(
    ("query", "wanted"),
    [
        ("GuardEye 容量规划", "GuardEye SOC Platform Sizing Guide"),
        ("许可模式和售后支持等级", "Yunheng Licensing Models and Support Tiers"),
        ("GuardEye price list and channel discounts", "GuardEye 2026 年价格表及渠道折扣"),
        ("why did we win the Jiangnan Bank bid", "BID-2025-031 江南银行实时数据集成"),
        ("GuardEye MLPS level 3 compliance mapping", "GuardEye 安全运营平台与等保 2.0"),
    ],
)
def test_a_query_in_one_language_finds_the_document_written_in_the_other(
    restarted: Context, query: str, wanted: str
) -> None:
    found = titles(restarted, query)[:3]
    assert any(title.startswith(wanted) for title in found), found


def test_metadata_filters_take_any_alias_after_a_restart(
    restarted: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers: Headers = add_people(restarted)["zhao.lei"]
    client = TestClient(create_app(context=restarted))
    energy = {
        alias: client.get("/documents", params={"industry": alias}, headers=headers).json()
        for alias in ("能源", "energy", "电力")
    }
    sources = {alias: {d["source_id"] for d in body["items"]} for alias, body in energy.items()}
    assert len(sources["能源"]) == len(ENERGY) and sources["能源"] == sources["energy"]
    assert sources["电力"] == sources["能源"]
    assert {d["metadata"]["industry"] for d in energy["能源"]["items"]} == {"Energy"}

    monkeypatch.setattr(command_context, "context", lambda: restarted)
    monkeypatch.setattr("api.commands.index.context", lambda: restarted)
    result = CliRunner().invoke(cli, ["search", "华为云", "-f", "competitor=Huawei", "--json"])
    hits = json.loads(result.stdout)["results"]
    assert result.exit_code == 0 and len(hits) >= 3
    meta = [hit["metadata"] for hit in hits]
    named = [[*m.get("competitors", []), m.get("competitor")] for m in meta]
    assert all("Huawei Cloud" in names for names in named), named
