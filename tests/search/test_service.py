"""Search end to end: real SQLite, real FAISS, the real bundled model."""

from __future__ import annotations

import fcntl
import json
import threading
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from api.context import Context
from ingest.submission import Submission, revise
from kb.changes import committed_seq
from kb.config import Settings
from kb.db import transaction
from kb.errors import IndexMismatch, InvalidInput
from kb.lifecycle import set_status
from kb.models import Embedding
from kb.store import resolve_document
from kb.versions import get_version
from search import snapshot
from search.embedder import SentenceTransformerEmbedder
from search.follower import Follower
from search.indexer import SearchIndexes
from tests.conftest import make_context

DOCS = {
    "x200.md": """---
id: x200-overview
kind: product_note
owner: li.na
products: [X-200]
tags: [hardware]
---
# X-200 appliance

## Certifications
The X-200 appliance is certified to ISO 27001 and passed MLPS level 3.

## 性能
X-200 单节点吞吐 800 MB/s，支持国产化信创环境部署。
""",
    "huawei.md": """---
id: ci-huawei
kind: competitor_intel
owner: wang.fang
competitor: 华为云
source: 客户访谈
observed: 2026-10-01
industry: 金融
---
# 华为云数据治理报价下调

华为云 DataArts 报价下调约三成，并与 GaussDB 打包销售，目标客户为城商行。
""",
    "flowdesk.md": """---
id: flowdesk-sso
kind: qa
question: Does FlowDesk support single sign-on?
owner: emma.scott
products: [FlowDesk]
---
FlowDesk supports single sign-on through SAML 2.0 and OpenID Connect, and LDAP directory sync.
""",
    "bid.md": """---
id: bid-lost
kind: bid_result
bid: BID-1
customer: 江北银行
outcome: lost
competitors: [华为云]
---
# 江北银行投标复盘

价格高于华为云 22%，客户已有 HCS 底座。
""",
}


@pytest.fixture
def kb_context(context: Context, tmp_path: Path) -> Context:
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in DOCS.items():
        (folder / name).write_text(text, encoding="utf-8")
    report = context.ingester.ingest_paths([folder])
    assert not report.failed
    context.indexes.sync()
    return context


def ids(hits: list) -> list[str]:  # noqa: ANN001
    return [hit.source_id for hit in hits]


def test_english_question_finds_the_answer_in_every_mode(kb_context: Context) -> None:
    for mode in ("hybrid", "semantic", "keyword"):
        hits = kb_context.search.search("Can users log in with SSO via SAML?", mode=mode)
        assert ids(hits)[0] == "flowdesk-sso", mode


def test_semantic_mode_finds_paraphrase_without_shared_words(kb_context: Context) -> None:
    hits = kb_context.search.search("federated identity login", mode="semantic", top_k=2)
    assert "flowdesk-sso" in ids(hits)
    assert kb_context.search.search("federated identity login", mode="keyword") == []


def test_chinese_query_ranks_by_keywords_when_model_cannot_read_it(kb_context: Context) -> None:
    scores = kb_context.search.rank_chunks(
        "华为云 报价", mode="hybrid", filters={}, viewer=None, candidates=10
    )
    assert scores.semantic == []
    assert [c for c, _ in scores.fused] == [c for c, _ in scores.keyword]
    hits = kb_context.search.search("华为云 报价")
    # on the scale of mixed and English searches (0-1), not raw BM25
    assert hits[0].score == 1.0 and all(0.0 <= hit.score <= 1.0 for hit in hits)
    assert ids(hits)[0] == "ci-huawei"
    assert "**华为云**" in hits[0].snippet


def test_product_codes_match_exactly(kb_context: Context) -> None:
    assert ids(kb_context.search.search("X-200", mode="keyword")) == ["x200-overview"]
    assert kb_context.search.search("X-2000", mode="keyword") == []
    hits = kb_context.search.search("ISO27001", mode="keyword")
    assert ids(hits) == ["x200-overview"] and hits[0].section == "X-200 appliance > Certifications"


def test_results_are_grouped_by_document(kb_context: Context) -> None:
    hits = kb_context.search.search("X-200 吞吐 ISO 27001", mode="keyword")
    assert ids(hits).count("x200-overview") == 1


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"kind": "qa"}, {"flowdesk-sso"}),
        ({"competitor": "华为云"}, {"ci-huawei", "bid-lost"}),
        ({"outcome": "lost"}, {"bid-lost"}),
        ({"owner": "li.na"}, {"x200-overview"}),
        ({"product": ["FlowDesk", "X-200"]}, {"flowdesk-sso", "x200-overview"}),
        ({"industry": "金融"}, {"ci-huawei"}),
        ({"tag": "hardware"}, {"x200-overview"}),
        ({"language": "zh"}, {"ci-huawei", "bid-lost"}),
        ({"updated_after": "2099-01-01"}, set()),
        ({"date_before": "2026-10-01"}, {"ci-huawei"}),
        ({"date_before": ["2026-09-30"]}, set()),
        ({"date_after": "2026-10-01", "date_before": "2026-10-01T00:00:00"}, {"ci-huawei"}),
        ({"date_after": "2026-10-02", "date_before": "2026-10-02"}, set()),
        ({"date_after": "0001-01-01", "date_before": "9999-12-31", "kind": "qa"}, {"flowdesk-sso"}),
    ],
)
def test_filters_restrict_results(kb_context: Context, filters: dict, expected: set) -> None:
    hits = kb_context.search.search(
        "华为云 X-200 FlowDesk single sign-on 报价", filters=filters, top_k=20
    )
    assert set(ids(hits)) == expected


def test_bad_requests_are_rejected_with_clear_messages(kb_context: Context) -> None:
    with pytest.raises(InvalidInput, match="unknown filter 'colour'"):
        kb_context.search.search("x", filters={"colour": "red"})
    with pytest.raises(InvalidInput, match="unknown mode"):
        kb_context.search.search("x", mode="fuzzy")
    with pytest.raises(InvalidInput, match="top_k must be between"):
        kb_context.search.search("x", top_k=0)
    with pytest.raises(InvalidInput, match="'date_after' takes one date, not 2"):
        kb_context.search.search("x", filters={"date_after": ["2026-01-01", "2026-02-01"]})
    with pytest.raises(InvalidInput, match="'date_before' needs a date YYYY-MM-DD"):
        kb_context.search.search("x", filters={"date_before": "2026-13-01"})
    with pytest.raises(InvalidInput, match="filter 'kind' has no value 'memo'; use one of"):
        kb_context.search.search("x", filters={"kind": ["qa", "memo"]})
    with pytest.raises(InvalidInput, match="filter 'language' has no value 'fr'"):
        kb_context.search.search("x", filters={"language": "fr"})
    with pytest.raises(InvalidInput, match="filter 'outcome' has no value 'maybe'"):
        kb_context.search.search("x", filters={"outcome": "maybe"})
    with pytest.raises(InvalidInput, match="query is empty"):
        kb_context.search.search("   ")


def test_deleted_documents_leave_search_and_history_finds_old_versions(
    kb_context: Context, tmp_path: Path
) -> None:
    folder = tmp_path / "docs"
    (folder / "flowdesk.md").write_text(
        DOCS["flowdesk.md"].replace("SAML 2.0 and OpenID Connect", "Kerberos only"),
        encoding="utf-8",
    )
    kb_context.ingester.ingest_paths([folder])
    current = kb_context.search.search("SAML OpenID Connect", mode="keyword")
    assert "flowdesk-sso" not in ids(current)
    past = kb_context.search.search("SAML OpenID Connect", mode="keyword", history=True)
    assert [(h.source_id, h.version, h.current) for h in past] == [("flowdesk-sso", 1, False)]
    with transaction(kb_context.engine) as session:
        set_status(session, resolve_document(session, "x200-overview"), "deleted", actor="t")
    assert "x200-overview" not in ids(kb_context.search.search("X-200 ISO 27001"))


def test_reindex_rebuilds_from_the_database_without_embedding(kb_context: Context) -> None:
    before = kb_context.search.search("single sign-on", mode="semantic")
    report = kb_context.indexes.rebuild()
    chunks = kb_context.indexes.generation().catalog.chunk_doc
    assert report.embedded == 0 and report.added == len(chunks)
    after = kb_context.search.search("single sign-on", mode="semantic")
    assert [(h.chunk_id, h.score) for h in after] == [(h.chunk_id, h.score) for h in before]
    assert kb_context.indexes.check().ok


def test_check_reports_index_out_of_step(kb_context: Context) -> None:
    keyword = kb_context.indexes.generation().keyword
    victim = int(keyword.ids()[0])
    keyword.remove([victim])  # a damaged index (a generation is never changed otherwise)
    report = kb_context.indexes.check()
    assert not report.ok and report.missing_in_keyword == [victim]
    kb_context.indexes.rebuild()
    assert kb_context.indexes.check().ok


def test_index_built_by_another_model_is_refused(
    kb_context: Context, embedder: SentenceTransformerEmbedder
) -> None:
    stamp = kb_context.settings.index_dir / "snapshot" / "stamp.json"
    data = json.loads(stamp.read_text())
    stamp.write_text(json.dumps({**data, "model": "paraphrase-multilingual-MiniLM-L12-v2"}))
    fresh = make_context(Settings(home=kb_context.settings.home), embedder)
    with pytest.raises(IndexMismatch, match="run `kb reindex`"):
        fresh.search.search("single sign-on")
    fresh.indexes.rebuild()
    assert ids(fresh.search.search("single sign-on"))[0] == "flowdesk-sso"


def test_changing_the_encoder_to_int8_is_refused_until_reindexed(
    kb_context: Context, int8_embedder: SentenceTransformerEmbedder
) -> None:
    """int8 vectors are never mixed with the model's: the index files are refused by name, and
    a rebuild embeds every chunk again under the int8 id, keeping the float vectors."""
    fresh = make_context(Settings(home=kb_context.settings.home), int8_embedder)
    with pytest.raises(IndexMismatch, match=r"all-MiniLM-L6-v2\+int8.*run `kb reindex`"):
        fresh.search.search("single sign-on")
    report = fresh.indexes.rebuild()
    chunks = len(fresh.indexes.generation().catalog.chunk_doc)
    assert report.embedded == chunks > 0
    assert fresh.indexes.generation().vector.model_id == "all-MiniLM-L6-v2+int8"
    assert ids(fresh.search.search("single sign-on", mode="semantic"))[0] == "flowdesk-sso"
    with Session(fresh.engine) as session:
        rows = session.exec(select(Embedding.model, func.count()).group_by(Embedding.model))
        models = {model: count for model, count in rows.all()}
    assert models == {"all-MiniLM-L6-v2": chunks, "all-MiniLM-L6-v2+int8": chunks}


def test_new_content_is_searchable_after_ingest_in_another_process_context(
    kb_context: Context, embedder: SentenceTransformerEmbedder, tmp_path: Path
) -> None:
    other = make_context(Settings(home=kb_context.settings.home), embedder)
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "gpu.md").write_text("# GuardEye GPU appliance\n\nGuardEye ships a GPU appliance.\n")
    other.ingester.ingest_paths([extra])
    other.indexes.sync()
    assert "gpu.md" in ids(kb_context.search.search("GuardEye GPU appliance"))


def test_a_search_does_not_wait_for_a_catch_up_under_way(kb_context: Context) -> None:
    """In a serving process, a follower thread applies the log; while it builds the next
    generation (held here), searches answer from the current one, then see the change."""
    kb_context.start_following()
    try:
        generation = kb_context.indexes.generation()
        results: list[list[str]] = []
        with kb_context.indexes._build_lock:  # a long catch-up under way
            # deleted while the lock is held: the follower cannot apply it before the search
            with transaction(kb_context.engine) as session:
                set_status(session, resolve_document(session, "ci-huawei"), "deleted", actor="x")
            searcher = threading.Thread(
                target=lambda: results.append(ids(kb_context.search.search("华为云 报价"))),
                daemon=True,
            )
            searcher.start()
            searcher.join(timeout=60)  # a hang guard, not a speed check
            assert not searcher.is_alive(), "the search waited for the catch-up"
        assert "ci-huawei" in results[0]  # the generation it took was the current one
        later = kb_context.search.search("华为云 报价", min_seq=generation.seq + 1)
        assert "ci-huawei" not in ids(later)
    finally:
        kb_context.stop_following()


def test_changes_are_applied_while_the_index_files_are_being_saved(kb_context: Context) -> None:
    """The follower saves the index files beside its work, not in it: a save (a second or more
    at 100,000 chunks; here held at the folder's lock, as another process's save would hold
    it) does not keep changes committed meanwhile from being applied."""
    follower = Follower(kb_context.indexes, save_interval=0.0)
    folder = kb_context.indexes.folder
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # every save of this folder now waits
        with transaction(kb_context.engine) as session:
            set_status(session, resolve_document(session, "ci-huawei"), "deleted", actor="x")
        first = committed_seq(session)
        assert first is not None
        follower.start()  # applies the deletion, then starts a save that waits for the lock
        try:
            with transaction(kb_context.engine) as session:
                set_status(
                    session, resolve_document(session, "x200-overview"), "deleted", actor="x"
                )
            seq = committed_seq(session)
            assert seq is not None
            follower.wake()
            generation = kb_context.indexes.generation(min_seq=seq, timeout=60)  # a hang guard
            assert generation.seq >= seq, "the change waited for the save"
            assert "x200-overview" not in ids(kb_context.search.search("X-200 throughput"))
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
            follower.stop()  # waits for the save the lock held back
    stamp = snapshot.read_stamp(folder)
    assert stamp is not None and stamp.seq >= first  # the held save went through once let go


def test_a_document_updated_while_searched_never_vanishes(kb_context: Context) -> None:
    """Each update replaces the document's chunks; a search sees the old ones or the new ones,
    never neither (a generation is swapped whole)."""
    kb_context.start_following()
    stop = threading.Event()
    missing: list[int] = []

    def search_all_the_time() -> None:
        while not stop.is_set():
            found = ids(kb_context.search.search("FlowDesk single sign-on", mode="keyword"))
            if "flowdesk-sso" not in found:
                missing.append(1)

    searcher = threading.Thread(target=search_all_the_time, daemon=True)
    searcher.start()
    try:
        for round_ in range(8):
            with transaction(kb_context.engine) as session:
                document = resolve_document(session, "flowdesk-sso")
                version = get_version(session, document, document.current_version)
                change = Submission(fields={}, text=f"{version.text}\nRound {round_}.")
                revise(
                    session,
                    kb_context.ingester.budget,
                    document,
                    change,
                    base_version=document.current_version,
                    author="x",
                )
            kb_context.applied(committed_seq(session))
    finally:
        stop.set()
        searcher.join(timeout=30)
        kb_context.stop_following()
    assert not missing


def test_indexes_are_persisted_and_reload(kb_context: Context) -> None:
    reopened = SearchIndexes(kb_context.settings, kb_context.engine, kb_context.embedder)
    loaded = reopened.generation()
    assert reopened.rebuilt_because is None  # started from the stamped files
    current = kb_context.indexes.generation()
    assert loaded.keyword_count == current.keyword_count > 0
    assert loaded.vector_count == current.vector_count
    assert loaded.seq == current.seq


PROPOSAL = """---
id: prop-sections
kind: proposal
owner: li.na
customer: 江南银行
industry: 金融
---
# 江南银行数据平台技术方案

## 项目背景
江南银行计划建设实时数据平台。

## 解决方案
采用 X-200 与 DataHub 构建实时数据集成平台。
"""


def test_a_replica_started_from_saved_files_keeps_section_types(
    kb_context: Context, tmp_path: Path
) -> None:
    folder = tmp_path / "proposal"
    folder.mkdir()
    (folder / "proposal.md").write_text(PROPOSAL, encoding="utf-8")
    assert not kb_context.ingester.ingest_paths([folder]).failed
    kb_context.indexes.sync()
    reopened = SearchIndexes(kb_context.settings, kb_context.engine, kb_context.embedder)
    loaded = reopened.generation()
    assert reopened.rebuilt_because is None  # started from the saved files
    assert loaded.seq == kb_context.indexes.generation().seq  # the proposal was in them
    assert set(loaded.catalog.chunk_section.values()) == {"background", "solution"}
    assert loaded.allowed_chunks({"section_type": "solution"}, None).size == 1
