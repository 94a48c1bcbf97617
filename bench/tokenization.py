"""Which tokenizer should keyword search use, and what does hybrid retrieval add?

Over the same chunks of every report (the seed corpus and the confusable fixture reports),
for each question with evidence, the relevant chunks are those whose text contains the
evidence (NFKC, whitespace removed). Prints recall@1/3/5 and MRR (within the top
``--candidates``) for BM25 with each tokenizer, dense only (e5 in Chroma) and hybrid RRF
fusion, per question set. DEFAULT_MODE in ingest/tokenizer.py is chosen from this table.

Then the retrieval method step by step, from the previous product (300-character chunks,
chunk text only, two-way fusion) to the current one: context headers (title + section
embedded and keyword-indexed with each chunk), the report prior, and the chunk size in
ingest/settings.py. ``--sweep`` adds the chunk size / overlap table that size was chosen from.

Run from the repository root:  .venv/bin/python bench/tokenization.py [--misses] [--sweep]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach a model hub from a bench
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("REPORTS_MODEL_DIR", str(REPO / ".cache" / "models"))

import chromadb  # noqa: E402
from chromadb.config import Settings as ChromaSettings  # noqa: E402

from assistant.langchain_retriever import HybridRetriever  # noqa: E402
from assistant.retrieval import fuse_rankings, report_prior_ranking  # noqa: E402
from ingest.chunking import chunk_report  # noqa: E402
from ingest.embeddings import load_embeddings  # noqa: E402
from ingest.keyword_index import KeywordIndex, build_bm25, build_report_bm25  # noqa: E402
from ingest.loaders import load_report  # noqa: E402
from ingest.pipeline import Candidate, discover  # noqa: E402
from ingest.records import Chunk  # noqa: E402
from ingest.repair import repair  # noqa: E402
from ingest.settings import Settings  # noqa: E402
from ingest.tokenizer import (  # noqa: E402
    DEFAULT_MODE,
    bigram_tokens,
    combined_tokens,
    entity_terms,
    sudachi_tokens,
    tokenize,
)

QUESTION_SETS = {
    "seed": REPO / "corpus" / "questions.jsonl",
    "fixtures": REPO / "tests" / "fixtures" / "questions.jsonl",
}
REPORT_DIRS = (REPO / "corpus", REPO / "tests" / "fixtures" / "reports")
CUTOFFS = (1, 3, 5)
PREVIOUS_CHUNKING = (300, 1)  # (chunk_size, overlap) of the product before context headers
SWEEP_SIZES = (200, 300, 400, 500, 700)
SWEEP_OVERLAPS = (0, 1, 2)

# name -> tokenizer. The three product modes, plus the variants their choices rest on.
TOKENIZERS: dict[str, Callable[[str], list[str]]] = {
    "bigram": lambda t: tokenize(t, "bigram"),
    "sudachi": lambda t: tokenize(t, "sudachi"),
    "bigram+sudachi": lambda t: tokenize(t, "bigram+sudachi"),
    "bigram, no kanji unigrams": lambda t: bigram_tokens(t, kanji_unigrams=False),
    "sudachi mode A": lambda t: sudachi_tokens(t, split_mode="A"),
    "bigram+sudachi mode A": lambda t: combined_tokens(t, split_mode="A"),
}
HYBRID_TOKENIZERS = ("bigram", "sudachi", "bigram+sudachi")


def squash(text: str) -> str:
    """How evidence is compared: NFKC, all whitespace removed (as the evaluator does)."""
    return "".join(unicodedata.normalize("NFKC", text).split())


@dataclass
class Question:
    qid: str
    question: str
    source: str
    evidence: str
    relevant: set[str] = field(default_factory=set)


@dataclass
class Scores:
    """Recall@k and MRR over questions, from the 1-based rank of the first relevant hit."""

    ranks: list[int | None] = field(default_factory=list)

    def add(self, ranking: Sequence[str], relevant: set[str]) -> None:
        self.ranks.append(next((r for r, i in enumerate(ranking, 1) if i in relevant), None))

    def recall(self, k: int) -> float:
        return sum(1 for r in self.ranks if r is not None and r <= k) / max(len(self.ranks), 1)

    def mrr(self) -> float:
        return sum(1 / r for r in self.ranks if r is not None) / max(len(self.ranks), 1)


# -- corpus --------------------------------------------------------------------------------


def build_chunks(settings: Settings) -> list[Chunk]:
    """Chunks of every report at the configured size and overlap."""
    return chunk_reports(settings, settings.chunk_size, settings.chunk_overlap)


def chunk_reports(
    settings: Settings, size: int, overlap: int, report_dirs: Sequence[Path] = REPORT_DIRS
) -> list[Chunk]:
    """Chunks of every report, made the way the ingest makes them."""
    chunks: list[Chunk] = []
    for candidate in discover(report_dirs):
        if not isinstance(candidate, Candidate):
            raise SystemExit(f"cannot read {candidate.source}: {candidate.message}")
        report = repair(
            load_report(
                candidate.path,
                source=candidate.source,
                max_bytes=int(settings.max_file_mb * 1024 * 1024),
            )
        )
        chunks.extend(chunk_report(report, max_chars=size, overlap_sentences=overlap))
    return chunks


def load_questions(path: Path, chunks: list[Chunk]) -> tuple[list[Question], list[str]]:
    """Answerable questions with their relevant chunk ids; ids of those with none found."""
    squashed = [(c.chunk_id, c.source, squash(c.text)) for c in chunks]
    questions, unmatched = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        if row.get("unanswerable") or not row.get("evidence"):
            continue
        q = Question(row["id"], row["question"], row["source"], row["evidence"])
        needle = squash(q.evidence)
        q.relevant = {cid for cid, src, text in squashed if src == q.source and needle in text}
        (questions if q.relevant else unmatched).append(q if q.relevant else q.qid)
    return questions, unmatched


def dense_collection(chunks: list[Chunk], vectors: list[list[float]], name: str = "bench_chunks"):
    client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
    # Ephemeral clients share one in-memory store per process: start from an empty collection.
    if name in {c.name for c in client.list_collections()}:
        client.delete_collection(name)
    collection = client.get_or_create_collection(
        name, configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
    )
    collection.add(
        ids=[c.chunk_id for c in chunks],
        embeddings=vectors,
        documents=[c.text for c in chunks],
        metadatas=[c.metadata() for c in chunks],
    )
    return collection


# -- rankings ------------------------------------------------------------------------------


def keyword_rankings(
    chunks: list[Chunk], questions: list[Question], tokenizer, candidates: int
) -> tuple[dict[str, list[str]], float]:
    """BM25 top ``candidates`` per question (same scoring code as KeywordIndex)."""
    started = time.perf_counter()
    rows = [(c.chunk_id, c.source, " ".join(tokenizer(c.text))) for c in chunks]
    index_ms_per_chunk = (time.perf_counter() - started) * 1000 / max(len(chunks), 1)
    bm25 = build_bm25(0, "bench", rows)
    rankings = {
        q.qid: [cid for cid, _ in bm25.top(tokenizer(q.question), candidates)] for q in questions
    }
    return rankings, index_ms_per_chunk


def dense_rankings(
    collection, embeddings, questions: list[Question], candidates: int
) -> dict[str, list[str]]:
    rankings = {}
    for q in questions:
        result = collection.query(
            query_embeddings=[embeddings.embed_query(q.question)],
            n_results=candidates,
            include=["distances"],
        )
        rankings[q.qid] = result["ids"][0]
    return rankings


def fused_rankings(
    dense: dict[str, list[str]], keyword: dict[str, list[str]], rrf_k: int, keyword_weight=1.0
) -> dict[str, list[str]]:
    """The retriever's own fusion (same function), per question."""
    return {
        qid: [
            chunk_id
            for chunk_id, _ in fuse_rankings(
                dense[qid], keyword[qid], rrf_k=rrf_k, keyword_weight=keyword_weight
            )
        ]
        for qid in dense
    }


def with_report_prior(
    chunks: list[Chunk],
    questions: list[Question],
    dense: dict[str, list[str]],
    keyword: dict[str, list[str]],
    rrf_k: int,
    tokenizer=combined_tokens,
) -> dict[str, list[str]]:
    """The retriever's fusion with the report prior (same functions as HybridRetriever)."""
    rows = [(c.chunk_id, c.source, " ".join(tokenizer(c.indexed_text()))) for c in chunks]
    reports = build_report_bm25(0, "bench", rows)
    source_of = {c.chunk_id: c.source for c in chunks}
    rankings = {}
    for q in questions:
        tokens = [t for term in entity_terms(q.question) for t in tokenizer(term)]
        scores = dict(zip(reports.chunk_ids, reports.scores(tokens).tolist(), strict=True))
        base = [i for i, _ in fuse_rankings(dense[q.qid], keyword[q.qid], rrf_k=rrf_k)]
        prior = report_prior_ranking(base, source_of, {s: v for s, v in scores.items() if v > 0})
        fused = fuse_rankings(dense[q.qid], keyword[q.qid], rrf_k=rrf_k, prior_ids=prior)
        rankings[q.qid] = [i for i, _ in fused]
    return rankings


@dataclass
class MethodRun:
    """Rankings of one chunking for: hybrid on chunk text, + context headers, + report prior."""

    chunks: list[Chunk]
    questions: dict[str, list[Question]]
    systems: dict[str, dict[str, list[str]]]
    collection: object = None  # Chroma collection of the header-embedded chunks


def method_steps(
    settings: Settings, embeddings, size: int, overlap: int, args, *, plain: bool = True
) -> MethodRun:
    chunks = chunk_reports(settings, size, overlap)
    question_sets = {}
    for name, path in QUESTION_SETS.items():
        if path.exists():
            questions, unmatched = load_questions(path, chunks)
            # A question whose evidence no chunk holds whole counts as a miss, not left out.
            question_sets[name] = questions + [
                Question(qid, "", "", "", set()) for qid in unmatched
            ]
    everyone = [q for qs in question_sets.values() for q in qs if q.question]
    question_sets["all"] = [q for qs in list(question_sets.values()) for q in qs]
    label = f"{size}/{overlap}"
    systems: dict[str, dict[str, list[str]]] = {}
    keyword_tokens = TOKENIZERS[DEFAULT_MODE]
    if plain:
        vectors = embeddings.embed_documents([c.text for c in chunks])
        dense = dense_rankings(
            dense_collection(chunks, vectors, "plain"), embeddings, everyone, args.candidates
        )
        keyword, _ = keyword_rankings(chunks, everyone, keyword_tokens, args.candidates)
        systems[f"{label} hybrid, chunk text"] = fused_rankings(dense, keyword, args.rrf_k)
    headed = [_HeadedChunk(c) for c in chunks]
    collection = dense_collection(
        chunks, embeddings.embed_documents([c.indexed_text() for c in chunks]), "headed"
    )
    dense = dense_rankings(collection, embeddings, everyone, args.candidates)
    keyword, _ = keyword_rankings(headed, everyone, keyword_tokens, args.candidates)
    systems[f"{label} + context headers"] = fused_rankings(dense, keyword, args.rrf_k)
    systems[f"{label} + report prior"] = with_report_prior(
        chunks, everyone, dense, keyword, args.rrf_k
    )
    for rankings in systems.values():
        rankings.update({q.qid: [] for qs in question_sets.values() for q in qs if not q.question})
    return MethodRun(chunks, question_sets, systems, collection)


@dataclass
class _HeadedChunk:
    """A chunk whose ``text`` is what the keyword index tokenizes (header + text)."""

    chunk: Chunk

    @property
    def chunk_id(self) -> str:
        return self.chunk.chunk_id

    @property
    def source(self) -> str:
        return self.chunk.source

    @property
    def text(self) -> str:
        return self.chunk.indexed_text()


def score(rankings: dict[str, list[str]], questions: Iterable[Question]) -> Scores:
    scores = Scores()
    for q in questions:
        scores.add(rankings[q.qid], q.relevant)
    return scores


# -- report --------------------------------------------------------------------------------


def print_table(
    systems: dict[str, dict[str, list[str]]],
    question_sets: dict[str, list[Question]],
    notes: dict[str, str] | None = None,
) -> None:
    """One row per system; R@1 R@3 R@5 MRR for each question set side by side."""
    width = max(len(name) for name in systems) + 2
    titles = "".join(f"{f'{name} (n={len(qs)})':<21}" for name, qs in question_sets.items())
    metrics = "R@1  R@3  R@5  MRR   " * len(question_sets)
    print(f"{'':<{width}}{titles}\n{'system':<{width}}{metrics}")
    for system, rankings in systems.items():
        cells = ""
        for qs in question_sets.values():
            s = score(rankings, qs)
            cells += "".join(f"{s.recall(k):.2f} " for k in CUTOFFS) + f"{s.mrr():.2f}  "
        note = (notes or {}).get(system, "")
        print(f"{system:<{width}}{cells}{note}")


def print_misses(rankings: dict[str, list[str]], questions: list[Question], chunks) -> None:
    by_id = {c.chunk_id: c for c in chunks}
    for q in questions:
        ranking = rankings[q.qid]
        rank = next((r for r, i in enumerate(ranking, 1) if i in q.relevant), None)
        if rank is None or rank > 3:
            top = by_id[ranking[0]] if ranking else None
            top_text = f"{top.source}: {squash(top.text)[:40]}" if top else "-"
            print(
                f"  {q.qid} rank={rank} {q.question}  [evidence {q.evidence}]\n      top1 {top_text}"
            )


def check_retriever_matches(
    chunks, collection, embeddings, questions, expected: dict[str, list[str]], candidates: int
) -> str:
    """The bench's hybrid ranking must be what HybridRetriever returns in the product."""
    with tempfile.TemporaryDirectory() as tmp, KeywordIndex(Path(tmp) / "kw.sqlite3") as index:
        index.rebuild(chunks)
        retriever = HybridRetriever(
            collection=collection,
            keyword_index=index,
            embeddings=embeddings,
            k=5,
            candidates=candidates,
        )
        same = sum(
            [p.chunk.chunk_id for p in retriever.search(q.question)] == expected[q.qid][:5]
            for q in questions
        )
    return (
        f"HybridRetriever ({DEFAULT_MODE}) top 5 identical to the bench on {same}/{len(questions)}"
    )


def report_slices(
    settings: Settings, n_chunks: int, report_dirs: Sequence[Path] = REPORT_DIRS, size: int = 300
) -> list[tuple[int, str]]:
    """``n_chunks`` (start, text) slices of ``size`` characters at random places of the real
    reports run together without whitespace (seeded: the same slices every run)."""
    import numpy as np

    texts = [
        load_report(c.path, source=c.source, max_bytes=int(settings.max_file_mb * 2**20)).text
        for c in discover(report_dirs)
        if isinstance(c, Candidate)
    ]
    corpus = "".join("".join(t.split()) for t in texts)
    starts = np.random.default_rng(0).integers(0, len(corpus) - size, size=n_chunks)
    return [(int(s), corpus[s : s + size]) for s in starts]


def latency(settings: Settings, n_chunks: int, repeats: int = 5) -> None:
    """Keyword search p50/p95 at ``n_chunks`` chunks of ~300 characters, per mode, with the
    bm25s library on the same tokens as the baseline (both include query tokenization)."""
    import bm25s
    import numpy as np

    chunks = [
        Chunk(f"c{i}", text, f"r{i % 50}.txt", "", "", start, start + 300, "")
        for i, (start, text) in enumerate(report_slices(settings, n_chunks))
    ]
    queries = [
        q.question for path in QUESTION_SETS.values() if path.exists() for q in _all_questions(path)
    ]
    print(f"keyword search latency, {n_chunks} chunks, {len(queries)} queries x {repeats}")
    print(f"{'mode':<16}{'index s':>9}{'p50 ms':>9}{'p95 ms':>9}{'bm25s p50':>11}{'ratio':>7}")
    for mode in HYBRID_TOKENIZERS:
        with tempfile.TemporaryDirectory() as tmp, KeywordIndex(Path(tmp) / "kw", mode) as index:
            started = time.perf_counter()
            index.rebuild(chunks)
            index.search("協定", 1)  # builds the in-memory statistics
            build_s = time.perf_counter() - started
            ours = _timed(lambda q, ix=index: ix.search(q, 30), queries, repeats)
        baseline = bm25s.BM25(k1=1.2, b=0.75, method="lucene")
        baseline.index([tokenize(c.text, mode) for c in chunks], show_progress=False)
        theirs = _timed(
            lambda q, m=mode, b=baseline: b.retrieve([tokenize(q, m)], k=30, show_progress=False),
            queries,
            repeats,
        )
        p50, p95, base50 = (
            np.percentile(ours, 50),
            np.percentile(ours, 95),
            np.percentile(theirs, 50),
        )
        print(f"{mode:<16}{build_s:>9.1f}{p50:>9.2f}{p95:>9.2f}{base50:>11.2f}{p50 / base50:>7.2f}")


def _all_questions(path: Path) -> list[Question]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [Question(r["id"], r["question"], r["source"], r.get("evidence", "")) for r in rows]


def _timed(search, queries: list[str], repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        for query in queries:
            started = time.perf_counter()
            search(query)
            times.append((time.perf_counter() - started) * 1000)
    return times


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=30)
    parser.add_argument("--rrf-k", type=int, default=60)
    parser.add_argument("--misses", action="store_true", help="list questions ranked below 3")
    parser.add_argument(
        "--sweep", action="store_true", help="also measure every chunk size and overlap"
    )
    parser.add_argument(
        "--latency", type=int, metavar="N", help="only time keyword search at N chunks"
    )
    args = parser.parse_args(argv)

    settings = Settings.from_env()
    if args.latency:
        latency(settings, args.latency)
        return
    started = time.perf_counter()
    chunks = build_chunks(settings)
    print(
        f"{len(chunks)} chunks from {len({c.source for c in chunks})} reports "
        f"(chunk_size={settings.chunk_size}, overlap={settings.chunk_overlap})"
    )
    question_sets: dict[str, list[Question]] = {}
    for name, path in QUESTION_SETS.items():
        if not path.exists():
            print(f"skipping {name}: {path} not found")
            continue
        questions, unmatched = load_questions(path, chunks)
        question_sets[name] = questions
        if unmatched:
            print(f"{name}: evidence found in no chunk for {', '.join(unmatched)} (left out)")
    question_sets["all"] = [q for qs in list(question_sets.values()) for q in qs]
    everyone = question_sets["all"]

    embeddings = load_embeddings(settings)
    vectors = embeddings.embed_documents([c.text for c in chunks])
    collection = dense_collection(chunks, vectors)
    dense = dense_rankings(collection, embeddings, everyone, args.candidates)
    print(f"indexed and embedded in {time.perf_counter() - started:.0f} s\n")

    systems: dict[str, dict[str, list[str]]] = {"dense (e5)": dense}
    notes: dict[str, str] = {}
    keyword: dict[str, dict[str, list[str]]] = {}
    for name, tokenizer in TOKENIZERS.items():
        keyword[name], ms = keyword_rankings(chunks, everyone, tokenizer, args.candidates)
        systems[f"BM25 {name}"] = keyword[name]
        notes[f"BM25 {name}"] = f"index {ms:.2f} ms/chunk"
    for name in HYBRID_TOKENIZERS:
        systems[f"hybrid e5 + {name}"] = fused_rankings(dense, keyword[name], args.rrf_k)
    print_table(systems, question_sets, notes)

    print(f"\nhybrid e5 + {DEFAULT_MODE}: keyword weight (dense weight 1, rrf_k {args.rrf_k})")
    print_table(
        {
            f"keyword weight {w}": fused_rankings(dense, keyword[DEFAULT_MODE], args.rrf_k, w)
            for w in (0.5, 1.0, 1.5, 2.0)
        },
        question_sets,
    )
    print("\nretrieval method, step by step (e5 + BM25 " + DEFAULT_MODE + ", RRF)")
    steps = method_steps(settings, embeddings, *PREVIOUS_CHUNKING, args)
    current = (settings.chunk_size, settings.chunk_overlap)
    final = (
        steps
        if current == PREVIOUS_CHUNKING
        else method_steps(settings, embeddings, *current, args, plain=False)
    )
    # Relevant chunk ids differ between chunkings: each run is scored on its own questions.
    print_table(steps.systems, steps.questions)
    if final is not steps:
        print_table(final.systems, final.questions)
    if args.sweep:
        print("\nchunk size / overlap sweep (context headers + report prior)")
        for size in SWEEP_SIZES:
            for overlap in SWEEP_OVERLAPS:
                run = method_steps(settings, embeddings, size, overlap, args, plain=False)
                print_table(
                    {f"{size}/{overlap}": run.systems[f"{size}/{overlap} + report prior"]},
                    run.questions,
                )
    product = final.systems[f"{current[0]}/{current[1]} + report prior"]
    answerable = [q for q in final.questions["all"] if q.question]
    print(
        "\n"
        + check_retriever_matches(
            final.chunks, final.collection, embeddings, answerable, product, args.candidates
        )
    )
    if args.misses:
        print("\nquestions ranked below 3 by the product's retrieval:")
        print_misses(product, answerable, final.chunks)


if __name__ == "__main__":
    main()
