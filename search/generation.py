"""One immutable generation of the search state: the read side of search.

A generation holds the catalog, the keyword index and the vector index as of one point of the
change log (`seq`). It is never changed once published: the follower (search/indexer.py) builds
the next one aside and swaps one reference. A query takes a generation once and reads only it,
through these methods, so it sees one consistent state and takes no lock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from kb.access import Viewer
from search.catalog import Catalog, DocEntry
from search.keyword import KeywordIndex
from search.vector_index import VectorIndex


@dataclass(frozen=True)
class Generation:
    seq: int  # the last change of the log this generation has applied
    token: str  # that change's token (tells a restored database from the one followed)
    identity: str  # the database followed
    catalog: Catalog
    keyword: KeywordIndex
    vector: VectorIndex

    # -- documents -----------------------------------------------------------------------
    @property
    def documents(self) -> Mapping[int, DocEntry]:
        return self.catalog.docs

    def document(self, document_id: int) -> DocEntry | None:
        return self.catalog.docs.get(document_id)

    def document_of(self, chunk_id: int) -> DocEntry | None:
        """The document a chunk belongs to, None when the chunk is not in search."""
        doc_id = self.catalog.chunk_doc.get(chunk_id)
        return self.catalog.docs.get(doc_id) if doc_id is not None else None

    def chunks_of(self, document_id: int) -> list[int]:
        return self.catalog.doc_chunks.get(document_id, [])

    def allowed_chunks(
        self, filters: Mapping[str, Any], viewer: Viewer | None
    ) -> np.ndarray | None:
        """Chunk ids a query may return, or None when everything is allowed."""
        return self.catalog.allowed_chunks(filters, viewer)

    # -- signals -------------------------------------------------------------------------
    def keyword_search(
        self,
        tokens: list[str],
        k: int,
        allowed: np.ndarray | None,
        groups: Sequence[Any] = (),
    ) -> list[tuple[int, float]]:
        """BM25 over `tokens`, with synonym `groups` (query translation) when given."""
        return self.keyword.search(tokens, k, allowed, groups) if tokens else []

    def vector_search(
        self, vector: np.ndarray, k: int, allowed: np.ndarray | None
    ) -> list[tuple[int, float]]:
        return self.vector.search(vector, k, allowed) if len(self.vector) else []

    def idf(self, term: str) -> float:
        return self.keyword.idf(term)

    @property
    def keyword_count(self) -> int:
        return len(self.keyword)

    @property
    def vector_count(self) -> int:
        return len(self.vector)
