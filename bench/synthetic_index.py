"""Large indexes for the query and scale benchmarks, built honestly without embedding them all.

Embedding one 300-character chunk costs about 0.2 CPU-seconds here, so 10,000 chunks would
take over half an hour on two shared cores. The indexes are therefore built in three parts:

1. the real reports (corpus/ and tests/fixtures/reports) are ingested by the real pipeline,
   so every question in corpus/questions.jsonl still has its evidence in the index;
2. a sample of generated reports (bench/corpus_gen.py) is ingested by the real pipeline too,
   really embedded: these are the *donors*;
3. every further generated report is loaded, repaired and chunked by the real code, but each
   chunk *borrows* a vector: that of the donor chunk most similar to it (cosine of hashed
   character-bigram counts), plus Gaussian noise, renormalised. These chunks are written
   the way the pipeline writes them (Chroma ``collection.add`` with texts and metadata, the
   keyword index, the catalog and the record manager), so retrieval over them is real:
   BM25 scores their real text and Chroma's HNSW searches their vectors.

The naive baseline (LangChain splitter 1000/200, dense-only ``langchain_chroma.Chroma``,
same embeddings) gets the same reports, with the same donor scheme over its own documents.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import chromadb
import numpy as np
from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from assistant.evaluation.baseline import naive_documents
from assistant.evaluation.metrics import normalize, percentile
from assistant.evaluation.questions import Question
from bench.corpus_gen import generate
from ingest import store
from ingest.catalog import Catalog, ReportInfo, now_iso, writing
from ingest.chunking import chunk_report
from ingest.keyword_index import KeywordIndex
from ingest.loaders import load_report
from ingest.pipeline import Ingestor, fingerprint, with_stable_id
from ingest.records import Chunk, Outcome
from ingest.repair import repair
from ingest.settings import Settings

REPO = Path(__file__).resolve().parent.parent
REAL_REPORT_DIRS = (REPO / "corpus", REPO / "tests" / "fixtures" / "reports")
QUESTIONS = REPO / "corpus" / "questions.jsonl"

BIGRAM_BUCKETS = 1 << 14  # hashed character bigrams: enough to tell report paragraphs apart
DEFAULT_NOISE = 0.0128  # per-component sigma; expected cosine to the donor vector ~0.97
WRITE_BATCH = 2000  # chunks per Chroma add / SQLite transaction
CHUNKS_PER_REPORT_ESTIMATE = 10  # generated reports hold 8-20 chunks (11.8 on average)


# -- small measuring helpers --------------------------------------------------------------


@dataclass(frozen=True)
class Timed:
    """``items`` written in ``seconds``."""

    items: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.items / self.seconds if self.seconds > 0 else math.inf


def rss_mb(pid: int | str = "self") -> dict[str, float]:
    """Resident memory now and at its peak (MB) from /proc: no psutil needed on Linux."""
    values: dict[str, float] = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) / 1024.0
    return {"rss_mb": values.get("VmRSS", 0.0), "peak_rss_mb": values.get("VmHWM", 0.0)}


def disk_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def summary(values_ms: Sequence[float]) -> dict[str, float | None]:
    return {"p50": percentile(values_ms, 50), "p95": percentile(values_ms, 95)}


def evidence_found(question: Question, texts_and_sources: Sequence[tuple[str, str]]) -> bool:
    """The question's evidence sentence is in one of the retrieved texts of its own report
    (generated look-alikes of the seed report do not count)."""
    target = normalize(question.evidence)
    return any(
        target in normalize(text) and (not question.source or source == question.source)
        for text, source in texts_and_sources
    )


# -- the reports ---------------------------------------------------------------------------


def chunk_file(path: Path, settings: Settings) -> list[Chunk]:
    """The chunks the ingest pipeline would make of ``path`` (same loader, repair, chunker
    and ids), without embedding them."""
    report = repair(
        load_report(path, source=path.name, max_bytes=int(settings.max_file_mb * 1024 * 1024))
    )
    chunks = chunk_report(
        report, max_chars=settings.chunk_size, overlap_sentences=settings.chunk_overlap
    )
    return [with_stable_id(c) for c in chunks]


def generated_reports(
    folder: Path, settings: Settings, *, skip: int, chunks_wanted: int
) -> Iterator[tuple[Path, list[Chunk]]]:
    """Generated reports after the first ``skip``, chunked, until ``chunks_wanted`` chunks.

    corpus_gen is deterministic for a seed, so report ``n`` is the same whatever the total;
    reports are generated in one go from an estimate (regenerating more only if it fell short).
    """
    wanted_reports = skip + math.ceil(chunks_wanted / CHUNKS_PER_REPORT_ESTIMATE)
    total, position = 0, skip
    while total < chunks_wanted:
        paths = generate(folder, max(wanted_reports, position + 1))
        for path in paths[position:]:
            if total >= chunks_wanted:
                return
            chunks = chunk_file(path, settings)
            total += len(chunks)
            position += 1
            yield path, chunks
        wanted_reports *= 2


# -- borrowing vectors ---------------------------------------------------------------------


def bigram_profiles(texts: Sequence[str]) -> np.ndarray:
    """L2-normalised counts of hashed character bigrams, one row per text."""
    rows = np.zeros((len(texts), BIGRAM_BUCKETS), dtype=np.float32)
    for i, text in enumerate(texts):
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
        if len(codes) < 2:
            continue
        keys = (codes[:-1] * 1_000_003 + codes[1:]) % BIGRAM_BUCKETS
        rows[i] = np.bincount(keys, minlength=BIGRAM_BUCKETS)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.maximum(norms, 1e-9)


@dataclass
class Donors:
    """Really embedded texts whose vectors synthetic chunks borrow."""

    texts: list[str]
    vectors: np.ndarray  # (n, dim), unit length
    noise: float = DEFAULT_NOISE

    def __post_init__(self) -> None:
        if not self.texts:
            raise ValueError("borrowing vectors needs at least one really embedded donor")
        self._profiles = bigram_profiles(self.texts)

    def borrow(self, texts: Sequence[str], seed: int) -> np.ndarray:
        """For each text: the nearest donor's vector (by bigram cosine) plus noise."""
        nearest = np.concatenate(
            [
                np.argmax(bigram_profiles(texts[i : i + 1000]) @ self._profiles.T, axis=1)
                for i in range(0, len(texts), 1000)
            ]
        )
        rng = np.random.default_rng(seed)
        vectors = self.vectors[nearest] + rng.normal(
            0.0, self.noise, (len(texts), self.vectors.shape[1])
        )
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def describe_borrowing(donors: Donors) -> str:
    dimension = donors.vectors.shape[1]
    expected = 1.0 / math.sqrt(1.0 + dimension * donors.noise**2)
    return (
        f"vectors: chunks beyond the really embedded ones borrow the vector of the most similar "
        f"of {len(donors.texts)} really embedded donor chunks (cosine of hashed character "
        f"bigrams), plus Gaussian noise sigma={donors.noise} per component, renormalised "
        f"(expected cosine to the donor ~{expected:.2f}); written with Chroma collection.add; "
        "text, keyword index, catalog and record manager are real."
    )


# -- our index -----------------------------------------------------------------------------


def ingest_for_real(settings: Settings, embeddings: Embeddings, paths: Sequence[Path]) -> Timed:
    """Run the real ingest pipeline (load, repair, chunk, embed, write) over ``paths``."""
    started = time.perf_counter()
    outcomes = Ingestor(settings, embeddings=embeddings).ingest_paths(list(paths))
    seconds = time.perf_counter() - started
    failed = [o for o in outcomes if o.outcome == Outcome.FAILED]
    if failed:
        raise RuntimeError(f"benchmark ingest failed: {failed[0].source}: {failed[0].message}")
    return Timed(sum(o.chunks for o in outcomes), seconds)


def our_donors(settings: Settings, sources: set[str], noise: float) -> Donors:
    """The really embedded chunks of ``sources``, read back from Chroma."""
    collection = store.open_collection(settings)
    texts, vectors = [], []
    offset = 0
    while True:
        page = collection.get(
            include=["documents", "embeddings", "metadatas"], limit=1000, offset=offset
        )
        for text, vector, metadata in zip(
            page["documents"], page["embeddings"], page["metadatas"], strict=True
        ):
            if metadata["source"] in sources:
                texts.append(text)
                vectors.append(vector)
        if len(page["ids"]) < 1000:
            break
        offset += 1000
    return Donors(texts, np.asarray(vectors, dtype=np.float32), noise)


def write_borrowed(
    settings: Settings, reports: Sequence[tuple[Path, list[Chunk]]], donors: Donors, seed: int = 0
) -> tuple[Timed, Timed]:
    """Write ``reports`` as the pipeline does, with borrowed vectors.

    Returns (vector borrowing, write path): the write path is Chroma add + keyword index +
    catalog + record manager, i.e. everything ingest does after embedding.
    """
    borrow_seconds = write_seconds = 0.0
    total = 0
    for batch_number, batch in enumerate(_report_batches(reports, WRITE_BATCH)):
        chunks = [c for _, report_chunks in batch for c in report_chunks]
        started = time.perf_counter()
        vectors = donors.borrow([c.text for c in chunks], seed=seed + batch_number)
        borrow_seconds += time.perf_counter() - started
        started = time.perf_counter()
        _write_batch(settings, batch, chunks, vectors)
        write_seconds += time.perf_counter() - started
        total += len(chunks)
    return Timed(total, borrow_seconds), Timed(total, write_seconds)


def _report_batches(
    reports: Sequence[tuple[Path, list[Chunk]]], size: int
) -> Iterator[list[tuple[Path, list[Chunk]]]]:
    batch: list[tuple[Path, list[Chunk]]] = []
    count = 0
    for report in reports:
        batch.append(report)
        count += len(report[1])
        if count >= size:
            yield batch
            batch, count = [], 0
    if batch:
        yield batch


def _write_batch(settings, batch, chunks: list[Chunk], vectors: np.ndarray) -> None:
    # Same order as the pipeline: vectors first, then the keyword rows and catalog rows in
    # one transaction (the commit record), then the record manager.
    store.open_collection(settings).add(
        ids=[c.chunk_id for c in chunks],
        embeddings=vectors,
        documents=[c.text for c in chunks],
        metadatas=[c.metadata() for c in chunks],
    )
    keyword_index = KeywordIndex(settings.catalog_path)
    try:
        with writing(settings.catalog_path) as conn:
            for path, report_chunks in batch:
                source = report_chunks[0].source
                keyword_index.replace_source(source, report_chunks, conn=conn)
                Catalog.upsert(conn, _report_info(path, report_chunks, settings))
    finally:
        keyword_index.close()
    store.record_manager(settings).update(
        [c.chunk_id for c in chunks], group_ids=[c.source for c in chunks]
    )


def _report_info(path: Path, chunks: list[Chunk], settings: Settings) -> ReportInfo:
    now = now_iso()
    return ReportInfo(
        source=chunks[0].source,
        title=chunks[0].title or chunks[0].source,
        path=str(path.resolve()),
        doc_hash=chunks[0].doc_hash,
        fingerprint=fingerprint(chunks, settings),
        chunks=len(chunks),
        added_at=now,
        updated_at=now,
    )


# -- the naive baseline ----------------------------------------------------------------------


class NaiveIndex:
    """The naive pipeline's store: LangChain splitter 1000/200 over the raw text, dense-only
    ``langchain_chroma.Chroma`` (persistent, so its size on disk can be measured)."""

    COLLECTION = "naive-baseline"

    def __init__(self, folder: Path, embeddings: Embeddings, settings: Settings):
        self.folder = folder
        self.settings = settings
        self.client = chromadb.PersistentClient(
            path=str(folder), settings=ChromaSettings(anonymized_telemetry=False)
        )
        self.store = Chroma(
            collection_name=self.COLLECTION, embedding_function=embeddings, client=self.client
        )
        self.documents = 0

    def documents_of(self, paths: Sequence[Path]) -> list[Document]:
        return naive_documents(paths, self.settings)

    def add_for_real(self, documents: list[Document]) -> Timed:
        """Embed and store, as the naive pipeline does (its splitting is not timed)."""
        started = time.perf_counter()
        for i in range(0, len(documents), 256):
            self.store.add_documents(documents[i : i + 256])
        self.documents += len(documents)
        return Timed(len(documents), time.perf_counter() - started)

    def donors(self, sources: set[str], noise: float) -> Donors:
        found = self.client.get_collection(self.COLLECTION).get(
            include=["documents", "embeddings", "metadatas"]
        )
        pairs = [
            (text, vector)
            for text, vector, metadata in zip(
                found["documents"], found["embeddings"], found["metadatas"], strict=True
            )
            if metadata.get("source") in sources
        ]
        return Donors([t for t, _ in pairs], np.asarray([v for _, v in pairs]), noise)

    def add_borrowed(self, documents: list[Document], donors: Donors, seed: int = 0) -> Timed:
        collection = self.client.get_collection(self.COLLECTION)
        started = time.perf_counter()
        for n, i in enumerate(range(0, len(documents), WRITE_BATCH)):
            batch = documents[i : i + WRITE_BATCH]
            collection.add(
                ids=[f"naive-{self.documents + i + j}" for j in range(len(batch))],
                embeddings=donors.borrow([d.page_content for d in batch], seed=seed + n),
                documents=[d.page_content for d in batch],
                metadatas=[d.metadata for d in batch],
            )
        self.documents += len(documents)
        return Timed(len(documents), time.perf_counter() - started)

    def search(self, question: str, k: int) -> list[tuple[str, str]]:
        return [
            (d.page_content, d.metadata.get("source", ""))
            for d in self.store.similarity_search(question, k=k)
        ]


# -- timing questions --------------------------------------------------------------------------


def time_ours(assistant, questions: Sequence[Question]) -> dict:
    """Ask every question once (after one untimed warm-up ask).

    Wall-clock latencies come from the answer's own timings; the retriever's breakdown says
    what dominates; CPU time (all threads of this process) is what the machine's load does
    not inflate, so it shows what an idle machine would see.
    """
    cold = _timed_call(lambda: assistant.ask(questions[0].question))
    figures: dict[str, list[float]] = {
        key: [] for key in ("retrieval", "answer_step", "answer", "dense", "keyword", "cpu")
    }
    found = []
    for question in questions:
        cpu_started = time.process_time()
        answer = assistant.ask(question.question)
        figures["cpu"].append((time.process_time() - cpu_started) * 1000.0)
        figures["retrieval"].append(answer.timings_ms["retrieval"])
        figures["answer_step"].append(answer.timings_ms["answer"])
        figures["answer"].append(answer.timings_ms["total"])
        breakdown = assistant.retriever.timings
        figures["dense"].append(breakdown.get("dense", 0.0))
        figures["keyword"].append(breakdown.get("keyword", 0.0))
        if question.evidence:
            retrieved = [(p.chunk.text, p.chunk.source) for p in answer.retrieved]
            found.append(evidence_found(question, retrieved))
    return {
        "cold_first_ask_ms": cold,
        **{f"{key}_ms": summary(values) for key, values in figures.items()},
        "evidence_recall": sum(found) / len(found) if found else None,
        "questions": len(questions),
    }


def time_naive(index: NaiveIndex, questions: Sequence[Question], k: int) -> dict:
    """The naive store's query time (embed the question + Chroma search) per question."""
    cold = _timed_call(lambda: index.search(questions[0].question, k))
    latencies, cpu, found = [], [], []
    for question in questions:
        started, cpu_started = time.perf_counter(), time.process_time()
        hits = index.search(question.question, k)
        latencies.append((time.perf_counter() - started) * 1000.0)
        cpu.append((time.process_time() - cpu_started) * 1000.0)
        if question.evidence:
            found.append(evidence_found(question, hits))
    return {
        "cold_first_query_ms": cold,
        "retrieval_ms": summary(latencies),
        "cpu_ms": summary(cpu),
        "evidence_recall": sum(found) / len(found) if found else None,
        "questions": len(questions),
    }


def time_query_embedding(embeddings: Embeddings, questions: Sequence[Question]) -> dict:
    """The question embedding alone: the floor under both systems' query time."""
    latencies = []
    for question in questions:
        started = time.perf_counter()
        embeddings.embed_query(question.question)
        latencies.append((time.perf_counter() - started) * 1000.0)
    return summary(latencies)


def _timed_call(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000.0


def limit_torch_threads(threads: int) -> None:
    """Run torch with ``threads`` intra-op threads (0: leave the product's choice)."""
    if threads:
        import torch

        torch.set_num_threads(threads)


def torch_threads() -> int:
    import torch

    return torch.get_num_threads()


def bench_settings(data_dir: Path) -> Settings:
    """Settings for a throwaway index; the converted model is shared, never re-made."""
    base = Settings.from_env()
    return base.with_(
        data_dir=data_dir,
        model_dir=(base.model_dir or REPO / ".cache" / "models").resolve(),
        chroma_url=None,
    )
