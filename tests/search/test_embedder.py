"""The embedder: the bundled model offline, its ONNX query path, token counting."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kb.errors import ConfigurationError
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
    assert embedder._onnx is not None
    assert torch_only._onnx is None


PASSAGES = [
    "Alterations of the architecture of cerebral white matter in the developing human brain can "
    "affect cortical development and result in functional disabilities. A line scan diffusion-"
    "weighted magnetic resonance imaging sequence with diffusion tensor analysis was applied.",
    "FlowDesk encrypts tenant data at rest with AES-256 and rotates keys every 90 days; backups "
    "are replicated to a second region and restored in under four hours.",
    "报价包含三年维保服务，华为云的价格比去年下调了三成。",
    "short",
]


def test_onnx_bulk_path_agrees_with_torch(
    embedder: SentenceTransformerEmbedder, model_cache: Path
) -> None:
    torch_only = SentenceTransformerEmbedder("all-MiniLM-L6-v2", encoder="torch")
    onnx = SentenceTransformerEmbedder("all-MiniLM-L6-v2", encoder="onnx", cache_dir=model_cache)
    reference = torch_only.encode(PASSAGES)
    vectors = onnx.encode(PASSAGES)  # padded batches of mixed lengths
    assert vectors.shape == reference.shape and vectors.dtype == np.float32
    assert np.min(np.sum(vectors * reference, axis=1)) > 0.999
    assert onnx.model_id == torch_only.model_id == "all-MiniLM-L6-v2"
    for index, text in enumerate(PASSAGES):  # one text unpadded agrees with its batch row
        assert float(onnx.encode_query(text) @ vectors[index]) > 0.9999


def test_int8_encoder_is_close_and_stored_under_its_own_id(
    embedder: SentenceTransformerEmbedder, int8_embedder: SentenceTransformerEmbedder
) -> None:
    reference = embedder.encode(PASSAGES)
    vectors = int8_embedder.encode(PASSAGES)
    cosines = np.sum(vectors * reference, axis=1)
    assert np.min(cosines) > 0.97 and np.max(cosines) < 0.99999  # close, not the same
    assert int8_embedder.model_id == "all-MiniLM-L6-v2+int8"
    query = int8_embedder.encode_query(PASSAGES[1])  # queries go through the same int8 model
    assert float(query @ vectors[1]) > 0.99 and float(query @ reference[1]) < 0.99999


def test_onnx_encoder_that_cannot_be_built_is_a_clear_error() -> None:
    without_folder = SentenceTransformerEmbedder("all-MiniLM-L6-v2", encoder="onnx-int8")
    with pytest.raises(ConfigurationError, match="KB_EMBEDDING_ENCODER=torch"):
        without_folder.encode(["text"])


def test_token_count_matches_the_model_tokenizer(embedder: SentenceTransformerEmbedder) -> None:
    assert embedder.count_tokens("hello world") == 2
    assert embedder.count_tokens("华为云") == 3  # one word piece per CJK character


def test_model_languages_setting() -> None:
    assert model_languages("auto", "all-MiniLM-L6-v2") == frozenset({"en"})
    assert model_languages("auto", "paraphrase-multilingual-MiniLM-L12-v2") is None
    assert model_languages("zh, en", "x") == frozenset({"zh", "en"})
    assert model_languages("multi", "x") is None
