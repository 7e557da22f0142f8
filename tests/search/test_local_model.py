"""A multilingual model drops in through KB_EMBEDDING_MODEL: a sentence-transformers folder
copied from another machine. The test builds a tiny one itself (random weights, a small
vocabulary of English words and Chinese characters): no download."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from api.context import Context
from kb.config import Settings

VOCABULARY = [
    "[PAD]",
    "[UNK]",
    "[CLS]",
    "[SEP]",
    "[MASK]",
    *"数据集成平台价格安全运营等保容量规划",
    *("data", "integration", "platform", "price", "security", "operations", "sizing", "guide"),
]
HIDDEN = 32


def build_tiny_model(folder: Path) -> Path:
    """A BERT of one layer with random weights plus mean pooling, saved as sentence-transformers
    saves any model (what `KB_EMBEDDING_MODEL` points at)."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    from transformers import BertConfig, BertModel, BertTokenizerFast

    (folder / "vocab.txt").write_text("\n".join(VOCABULARY) + "\n", encoding="utf-8")
    tokenizer = BertTokenizerFast(vocab_file=str(folder / "vocab.txt"), tokenize_chinese_chars=True)
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(VOCABULARY),
        hidden_size=HIDDEN,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
    )
    BertModel(config).save_pretrained(folder / "bert")
    tokenizer.save_pretrained(folder / "bert")
    transformer = Transformer(str(folder / "bert"), max_seq_length=128)
    pooling = Pooling(HIDDEN, pooling_mode="mean")
    SentenceTransformer(modules=[transformer, pooling], device="cpu").save(str(folder / "tiny"))
    return folder / "tiny"


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("model"))


def test_a_local_model_folder_indexes_and_searches_both_languages(
    tiny_model: Path, tmp_path: Path
) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "zh.md").write_text("# 数据集成平台价格\n\n数据集成平台的价格与容量规划。\n", "utf-8")
    (notes / "en.md").write_text("# Security operations\n\nSizing guide for security.\n", "utf-8")
    settings = Settings(
        home=tmp_path / "kb", embedding_model=str(tiny_model), model_languages="multi"
    )
    context = Context(settings)
    report, sync = context.ingest([notes])
    assert len(report.added) == 2 and sync.embedded == 2
    sidecar = json.loads((settings.index_dir / "snapshot" / "vectors" / "index.json").read_text())
    assert sidecar["model"] == str(tiny_model) and sidecar["dim"] == HIDDEN
    scores = context.search.rank_chunks(
        "数据集成 价格", mode="hybrid", filters={}, viewer=None, candidates=10
    )
    assert len(scores.semantic) == 2  # the model reads Chinese: hybrid uses its vectors
    hits = context.search.search("安全 运营", mode="semantic")
    assert {hit.source_id for hit in hits} == {"zh.md", "en.md"}
    context.engine.dispose()
