"""The naive pipeline a user would otherwise build, measured on the same questions.

LangChain's ``RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)`` over the
raw loaded text (no Japanese repair), a dense-only ``langchain_chroma.Chroma`` store in an
in-memory Chroma client, the same embedding model as ours, top-k chunks. It answers nothing,
so only retrieval is compared: recall@1/3/5, MRR, the characters of the top k chunks (its
chunks are about three times longer than ours, which makes holding the evidence easier) and
query latency.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path

import chromadb
from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_text_splitters import RecursiveCharacterTextSplitter

from assistant.evaluation.metrics import latency_metrics, normalize, retrieval_metrics
from assistant.evaluation.questions import Question
from ingest.loaders import load_report
from ingest.pipeline import Candidate, discover
from ingest.records import IngestError
from ingest.settings import Settings

CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200


def naive_documents(paths: Iterable[Path], settings: Settings) -> list[Document]:
    """Every report under ``paths`` loaded as is and split with LangChain's defaults."""
    splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
    max_bytes = int(settings.max_file_mb * 1024 * 1024)
    documents: list[Document] = []
    for found in discover(paths):
        if not isinstance(found, Candidate):
            continue  # a path that does not exist: the ingest reports it
        try:
            report = load_report(found.path, source=found.source, max_bytes=max_bytes)
        except IngestError:
            continue  # the real ingest rejects it too, so neither pipeline has it
        documents += splitter.create_documents([report.text], metadatas=[{"source": report.source}])
    return documents


def evaluate_baseline(
    questions: Sequence[Question],
    documents: Sequence[Document],
    embeddings: Embeddings,
    k: int = 5,
) -> dict:
    """Retrieval metrics of the naive store over the questions that have evidence."""
    if not documents:
        raise ValueError("the baseline has no documents to search")
    store = _ephemeral_store(embeddings)
    try:
        store.add_documents(list(documents))
        return _measure(store, [q for q in questions if q.evidence], k)
    finally:
        store.delete_collection()


def _ephemeral_store(embeddings: Embeddings) -> Chroma:
    # a unique name: in-memory clients of one process share their collections
    client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
    return Chroma(
        collection_name=f"naive-baseline-{uuid.uuid4().hex[:8]}",
        embedding_function=embeddings,
        client=client,
    )


def _measure(store: Chroma, questions: Sequence[Question], k: int) -> dict:
    ranks: list[int | None] = []
    latencies: list[float] = []
    context_chars: list[int] = []
    store.similarity_search(questions[0].question if questions else "warm up", k=k)
    for question in questions:
        started = time.perf_counter()
        hits = store.similarity_search(question.question, k=k)
        latencies.append((time.perf_counter() - started) * 1000.0)
        ranks.append(_evidence_rank(question.evidence, hits))
        context_chars.append(sum(len(hit.page_content) for hit in hits))
    return {
        **retrieval_metrics(ranks),
        "context_chars": sum(context_chars) / len(context_chars) if context_chars else None,
        **latency_metrics(latencies),
        "k": k,
    }


def _evidence_rank(evidence: str, hits: Sequence[Document]) -> int | None:
    target = normalize(evidence)
    for rank, hit in enumerate(hits, start=1):
        if target in normalize(hit.page_content):
            return rank
    return None
