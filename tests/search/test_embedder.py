"""The embedder: the bundled model offline, its ONNX query path, token counting."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from search.embedder import SentenceTransformerEmbedder, model_languages

TEXTS = ["FlowDesk supports single sign-on through SAML 2.0.", "华为云报价下调三成"]


def test_default_model_is_bundled_and_normalised(embedder: SentenceTransformerEmbedder) -> None:
    vectors = embedder.encode(TEXTS)
    assert vectors.shape == (2, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert embedder.max_tokens == 254 and embedder.languages == frozenset({"en"})


def test_query_paths_agree_with_batch_encoding(
    embedder: SentenceTransformerEmbedder, tmp_path: Path
) -> None:
    torch_only = SentenceTransformerEmbedder("all-MiniLM-L6-v2", query_encoder="torch")
    batch = embedder.encode(TEXTS)
    for index, text in enumerate(TEXTS):
        assert float(embedder.encode_query(text) @ batch[index]) > 0.9999
        assert float(torch_only.encode_query(text) @ batch[index]) > 0.9999
    assert embedder._onnx_query_encoder is not None
    assert torch_only._onnx_query_encoder is None


def test_token_count_matches_the_model_tokenizer(embedder: SentenceTransformerEmbedder) -> None:
    assert embedder.count_tokens("hello world") == 2
    assert embedder.count_tokens("华为云") == 3  # one word piece per CJK character


def test_model_languages_setting() -> None:
    assert model_languages("auto", "all-MiniLM-L6-v2") == frozenset({"en"})
    assert model_languages("auto", "paraphrase-multilingual-MiniLM-L12-v2") is None
    assert model_languages("zh, en", "x") == frozenset({"zh", "en"})
    assert model_languages("multi", "x") is None
