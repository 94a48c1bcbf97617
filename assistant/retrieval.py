"""Hybrid retrieval: dense (e5 in Chroma) + BM25 (Japanese-aware keyword index), fused by RRF,
with a report prior.

Dense vectors find paraphrases; BM25 finds the exact names, numbers and abbreviations that
small embedding models blur. Reciprocal rank fusion needs no score calibration between the
two, which is why it is the default in hybrid search.

Report prior (hierarchical retrieval): reports on twin subjects share most of their wording
(「協力協定の締結について」, 「中小企業の具体的な動き」), so a question naming 四日市市 can rank a
passage of the 津市 report first. The names a question mentions are scored against whole
reports (``KeywordIndex.report_scores``), and the fused candidates re-ordered by their
report's score enter the fusion as a third ranking. A question that names nothing, or a
corpus where every candidate report scores the same, leaves the ranking as it was.

The reader then orders the fused pool by how well each passage's best sentence answers
(``assistant.service``): chunks of a report share most of their words, so a chunk that
mentions 「OPI」 five times outranks the one sentence defining it; the reader sees which
sentence answers.

The keyword index is the commit record: a chunk Chroma returns but the keyword index does not
hold belongs to a report still being ingested (or half-removed) and is not shown.

Other processes change the index while the app answers (``python -m ingest``, a second app).
An embedded Chroma client only knows the vectors it loaded when it was opened, so the keyword
index's chunk ids can be newer than the client: asking it for their embeddings fails. The
search therefore follows the keyword index's generation (which every write moves, in any
process) and opens the collection afresh (``reopen_collection``) before the first search
after it moved; a write that lands during a search is met by one reopen and retry.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from chromadb.errors import ChromaError
from langchain_core.embeddings import Embeddings

from assistant.records import Passage
from ingest.keyword_index import KeywordIndex

DENSE = "dense"
KEYWORD = "keyword"
REPORT_PRIOR = "report_prior"

log = logging.getLogger(__name__)


def reciprocal_rank_fusion(
    rankings: Mapping[str, Sequence[str]], weights: Mapping[str, float], rrf_k: int
) -> dict[str, float]:
    """Fused score per id: sum over rankings of ``weight / (rrf_k + rank)``, rank from 1."""
    fused: dict[str, float] = {}
    for name, ranking in rankings.items():
        weight = weights.get(name, 1.0)
        for rank, item in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + weight / (rrf_k + rank)
    return fused


def fuse_rankings(
    dense_ids: Sequence[str],
    keyword_ids: Sequence[str],
    *,
    rrf_k: int,
    dense_weight: float = 1.0,
    keyword_weight: float = 1.0,
    prior_ids: Sequence[str] = (),
    prior_weight: float = 1.0,
) -> list[tuple[str, float]]:
    """(id, fused score), best first; ``prior_ids`` is an optional third ranking (the report
    prior, see ``report_prior_ranking``).

    Ties are common in RRF (dense rank 2 alone = keyword rank 2 alone). They go to the better
    keyword rank, then the better dense rank: for the factual questions staff ask, an exact
    name or number match is the stronger evidence (bench/tokenization.py: +1-2% recall@1).
    """
    fused = reciprocal_rank_fusion(
        {DENSE: dense_ids, KEYWORD: keyword_ids, REPORT_PRIOR: prior_ids},
        {DENSE: dense_weight, KEYWORD: keyword_weight, REPORT_PRIOR: prior_weight},
        rrf_k,
    )
    dense_rank = {i: r for r, i in enumerate(dense_ids, start=1)}
    keyword_rank = {i: r for r, i in enumerate(keyword_ids, start=1)}

    def best_first(chunk_id: str) -> tuple:
        no_rank = math.inf
        return (
            -fused[chunk_id],
            keyword_rank.get(chunk_id, no_rank),
            dense_rank.get(chunk_id, no_rank),
            chunk_id,
        )

    return [(i, fused[i]) for i in sorted(fused, key=best_first)]


def report_prior_ranking(
    ranked_ids: Sequence[str], source_of: Mapping[str, str], report_scores: Mapping[str, float]
) -> list[str]:
    """``ranked_ids`` re-ordered by their report's score, best report first (ties keep their
    order); ``[]`` when the scores cannot tell the candidates' reports apart (no name in
    the question, or one report only), so the prior then changes nothing."""
    scores = {i: report_scores.get(source_of[i], 0.0) for i in ranked_ids}
    if len(set(scores.values())) < 2:
        return []
    return sorted(ranked_ids, key=lambda i: -scores[i])


class FusedSearch:
    """Top-``k`` passages for a question, from both retrievers: the search itself.

    Its subclasses hold the fields: ``collection``, a chromadb Collection (cosine space) whose
    documents are chunk texts and metadatas ``Chunk.metadata()``; ``keyword_index``;
    ``embeddings`` (the questions' encoder); ``k``; ``candidates`` per retriever; ``rrf_k``;
    ``sources``, which restricts every search to those reports; and the weights, where 0
    switches that retriever (or the report prior) off and skips its work. ``HybridSearch``
    is the plain one the assistant uses; ``assistant.langchain_retriever.HybridRetriever`` the
    same search behind LangChain's retriever interface, kept apart because importing that
    interface costs a cold ``ask`` about 0.6 s (LangSmith's tracing schemas).
    ``reopen_collection``, when given, opens the collection afresh: it is called once the
    keyword index changed since the collection was opened (see the module's docstring).
    """

    def follow_index(self) -> None:
        """Open the collection afresh when the keyword index moved since it was opened (a
        report added, replaced or removed, by this process or another)."""
        if self.reopen_collection is None:
            return
        generation = self.keyword_index.generation()
        if generation != self._opened_at:
            self._reopen(generation, self.collection)

    def _reopen(self, generation: int, stale: Any) -> None:
        """Replace ``stale`` (the collection a search used) by one opened now; the
        generation is read before, so the new client holds at least what it holds."""
        with self._reopening:
            if self.collection is stale:  # else another thread has just reopened it
                self.collection = self.reopen_collection()
                self._opened_at = generation

    @property
    def timings(self) -> dict[str, float]:
        """Milliseconds spent by the last search: dense, keyword (with the report scores),
        fusion, total."""
        return dict(self._timings)

    def search(
        self, query: str, k: int | None = None, sources: list[str] | None = None
    ) -> list[Passage]:
        """Fused top ``k`` passages; ``[]`` for a blank query or an empty ``sources`` list."""
        return self.search_with_vector(query, k, sources)[0]

    def search_with_vector(
        self, query: str, k: int | None = None, sources: list[str] | None = None
    ) -> tuple[list[Passage], list[float] | None]:
        """``search``, and the question's embedding (None when dense search is off), which
        the reader compares with the passages' sentences."""
        k = self.k if k is None else k
        sources = self.sources if sources is None else sources
        started = time.perf_counter()
        self.follow_index()
        timings = {DENSE: 0.0, KEYWORD: 0.0, "fusion": 0.0}
        if not query.strip() or k <= 0 or sources == []:
            self._timings = {**timings, "total": 0.0}
            return [], None

        query_vector, dense_hits = self._dense_search(query, sources)
        timings[DENSE] = _ms_since(started)
        keyword_started = time.perf_counter()
        keyword_hits = self._keyword_search(query, sources)
        report_scores = self._report_scores(query, sources)
        timings[KEYWORD] = _ms_since(keyword_started)
        fusion_started = time.perf_counter()
        passages = self._fuse(dense_hits, keyword_hits, report_scores, k, query_vector)
        timings["fusion"] = _ms_since(fusion_started)
        self._timings = {**timings, "total": _ms_since(started)}
        return passages, query_vector

    # -- the two retrievers ------------------------------------------------------------------

    def _dense_search(
        self, query: str, sources: list[str] | None
    ) -> tuple[list[float] | None, list[tuple[str, float]]]:
        """(query vector, [(chunk_id, cosine similarity)]) best first."""
        if self.dense_weight == 0:
            return None, []
        vector = self.embeddings.embed_query(query)
        result = self.collection.query(
            query_embeddings=[vector],
            n_results=self.candidates,
            where={"source": {"$in": list(sources)}} if sources is not None else None,
            include=["distances"],
        )
        ids, distances = result["ids"][0], result["distances"][0]
        return vector, [(i, 1.0 - d) for i, d in zip(ids, distances, strict=True)]

    def _keyword_search(self, query: str, sources: list[str] | None) -> list[tuple[str, float]]:
        if self.keyword_weight == 0:
            return []
        return self.keyword_index.search(query, self.candidates, sources)

    def _report_scores(self, query: str, sources: list[str] | None) -> dict[str, float]:
        if self.report_prior_weight == 0:
            return {}
        return self.keyword_index.report_scores(query, sources)

    # -- fusion ------------------------------------------------------------------------------

    def _fuse(
        self,
        dense_hits: list[tuple[str, float]],
        keyword_hits: list[tuple[str, float]],
        report_scores: Mapping[str, float],
        k: int,
        query_vector: list[float] | None,
    ) -> list[Passage]:
        committed = {
            c.chunk_id: c for c in self.keyword_index.get([i for i, _ in dense_hits + keyword_hits])
        }
        # Ranks count only visible chunks, so an unfinished report cannot push others down.
        dense_hits = [(i, s) for i, s in dense_hits if i in committed]
        keyword_hits = [(i, s) for i, s in keyword_hits if i in committed]
        dense_rank = {i: r for r, (i, _) in enumerate(dense_hits, start=1)}
        keyword_rank = {i: r for r, (i, _) in enumerate(keyword_hits, start=1)}
        similarity = dict(dense_hits)
        weights = {
            "rrf_k": self.rrf_k,
            "dense_weight": self.dense_weight,
            "keyword_weight": self.keyword_weight,
        }
        fused = fuse_rankings(list(dense_rank), list(keyword_rank), **weights)
        prior = report_prior_ranking(
            [i for i, _ in fused], {i: c.source for i, c in committed.items()}, report_scores
        )
        if prior:
            fused = fuse_rankings(
                list(dense_rank),
                list(keyword_rank),
                prior_ids=prior,
                prior_weight=self.report_prior_weight,
                **weights,
            )
        fused = dict(fused[:k])
        top = list(fused)
        missing = [i for i in top if i not in similarity]
        if missing and query_vector is not None:
            similarity.update(self._similarities(query_vector, missing))
        return [
            Passage(
                chunk=committed[i],
                score=fused[i],
                dense_rank=dense_rank.get(i),
                keyword_rank=keyword_rank.get(i),
                dense_similarity=similarity.get(i),
            )
            for i in top
        ]

    def named_passages(
        self,
        names: Sequence[str],
        k: int,
        query_vector: list[float] | None,
        sources: list[str] | None = None,
    ) -> list[Passage]:
        """The ``k`` chunks the keyword index ranks first for ``names`` alone (a question's
        city, partner, abbreviation): however many other reports are indexed, the chunks
        that name them are found (the reader's pool takes them first). ``sources``
        restricts them to those reports, as in ``search``."""
        sources = self.sources if sources is None else sources
        if not names or k <= 0 or self.keyword_weight == 0 or sources == []:
            return []
        self.follow_index()
        hits = self.keyword_index.search(" ".join(names), k, sources)
        chunks = {c.chunk_id: c for c in self.keyword_index.get([i for i, _ in hits])}
        ids = [i for i, _ in hits if i in chunks]
        similarity = self._similarities(query_vector, ids) if query_vector is not None else {}
        return [
            Passage(chunk=chunks[i], score=0.0, dense_similarity=similarity.get(i)) for i in ids
        ]

    def _similarities(self, query_vector: list[float], ids: list[str]) -> dict[str, float]:
        """Cosine similarity of keyword-only hits, so abstention can judge every passage."""
        if not ids:  # Chroma refuses an empty id list (a question whose names match nothing)
            return {}
        collection = self.collection
        try:
            stored = collection.get(ids=ids, include=["embeddings"])
        except ChromaError:
            if self.reopen_collection is None:
                raise
            # a report committed since the collection was opened: the client predates its
            # chunks (the module's docstring)
            log.info("the index changed since the collection was opened; reopening it")
            self._reopen(self.keyword_index.generation(), collection)
            stored = self.collection.get(ids=ids, include=["embeddings"])
        return {
            chunk_id: _cosine(query_vector, vector)
            for chunk_id, vector in zip(stored["ids"], stored["embeddings"], strict=True)
        }


@dataclass
class HybridSearch(FusedSearch):
    """The fused search as a plain object (what ``Assistant.retriever`` is)."""

    collection: Any
    keyword_index: KeywordIndex
    embeddings: Embeddings
    k: int = 5
    candidates: int = 30
    rrf_k: int = 60
    sources: list[str] | None = None
    dense_weight: float = 1.0
    keyword_weight: float = 1.0
    report_prior_weight: float = 1.0  # bench/tokenization.py: +.06-.08 recall@1, +.04 MRR
    reopen_collection: Callable[[], Any] | None = None
    _timings: dict[str, float] = field(default_factory=dict, init=False, repr=False)
    # the keyword index's generation when the collection was opened
    _opened_at: int | None = field(default=None, init=False, repr=False)
    _reopening: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.reopen_collection is not None:
            self._opened_at = self.keyword_index.generation()


def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    norm = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(a @ b) / norm if norm else 0.0


def _ms_since(start: float) -> float:
    return (time.perf_counter() - start) * 1000.0
