"""The composition root: settings, store, embedder, indexes and services, built once."""

from __future__ import annotations

from functools import cached_property

from sqlalchemy.engine import Engine

from ingest.pipeline import Ingester
from ingest.preparation import ChunkBudget
from kb.config import Settings
from kb.db import make_engine
from search.embedder import SentenceTransformerEmbedder
from search.indexer import SearchIndexes
from search.service import SearchService


class Context:
    """Everything a command or request needs, built lazily from one Settings object."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings)

    @cached_property
    def embedder(self) -> SentenceTransformerEmbedder:
        return SentenceTransformerEmbedder.from_settings(self.settings)

    @cached_property
    def indexes(self) -> SearchIndexes:
        return SearchIndexes(self.settings, self.engine, self.embedder)

    @cached_property
    def search(self) -> SearchService:
        return SearchService(
            self.indexes, alpha=self.settings.hybrid_alpha, default_top_k=self.settings.top_k
        )

    @cached_property
    def ingester(self) -> Ingester:
        budget = ChunkBudget(self.embedder.count_tokens, self.embedder.max_tokens)
        return Ingester(self.engine, budget, max_file_bytes=self.settings.max_file_bytes)
