"""The hybrid search behind LangChain's retriever interface (``invoke`` -> Documents).

``assistant.retrieval.FusedSearch`` does the work; this module only adds LangChain's
``BaseRetriever``, whose import (Runnables, LangSmith's tracing schemas) a cold
``python -m assistant ask`` does not pay: the assistant itself uses
``assistant.retrieval.HybridSearch``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import PrivateAttr

from assistant.records import Passage
from assistant.retrieval import FusedSearch
from ingest.keyword_index import KeywordIndex
from ingest.records import Chunk


class HybridRetriever(BaseRetriever, FusedSearch):
    """Top-``k`` passages for a question, from both retrievers, as LangChain Documents too.
    The fields are ``assistant.retrieval.HybridSearch``'s (see ``FusedSearch``)."""

    collection: Any
    keyword_index: KeywordIndex
    embeddings: Embeddings
    k: int = 5
    candidates: int = 30
    rrf_k: int = 60
    sources: list[str] | None = None
    dense_weight: float = 1.0
    keyword_weight: float = 1.0
    report_prior_weight: float = 1.0
    reopen_collection: Callable[[], Any] | None = None

    _timings: dict[str, float] = PrivateAttr(default_factory=dict)
    _opened_at: int | None = PrivateAttr(default=None)  # the keyword index's generation then
    _reopening: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    def model_post_init(self, context: Any) -> None:
        if self.reopen_collection is not None:
            self._opened_at = self.keyword_index.generation()

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return [passage_document(p) for p in self.search(query)]


def passage_document(passage: Passage) -> Document:
    """A LangChain Document: the chunk text, its metadata and the retrieval scores."""
    chunk: Chunk = passage.chunk
    return Document(
        id=chunk.chunk_id,
        page_content=chunk.text,
        metadata={
            **chunk.metadata(),
            "score": passage.score,
            "dense_rank": passage.dense_rank,
            "keyword_rank": passage.keyword_rank,
            "dense_similarity": passage.dense_similarity,
        },
    )
