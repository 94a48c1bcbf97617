"""BM25 written by hand (ingest/keyword_index.py) or by the bm25s library: same results, and
at what cost? Decides whether the keyword index scores with bm25s (issue 14).

Both score the same rows the index stores (chunk_id, source, space-joined tokens of
``Chunk.indexed_text`` in the product's tokenizer mode) with the same formula (Lucene's BM25,
k1 1.2, b 0.75), and both pick the top k with the index's own selection code (``Bm25.top``:
sources filter, equal scores in table order), so any difference is the library's scoring.
bm25s leaves out the constant (k1 + 1) factor; its scores are multiplied back so the report
prior sees the same values. The library is measured in float32 (its default) and float64.

1. Retrieval, per question set: keyword top 30 over the chunks of every report (corpus,
   fixtures, blind) at the product's chunk size; recall@1/3/5 and MRR of the evidence chunk
   (bench/tokenization.py's definitions), how many rankings are identical to the hand-written
   ones, and the report prior's top report (``report_scores``) agreeing.
2. Scale, at each ``--sizes``: chunks of ~300 characters cut from the real reports (as in
   bench/tokenization.py's latency table), tokenized once. Build seconds (the statistics from
   the stored token rows: what a refresh costs after every ingest), search p50/p95 in ms
   (query tokenization excluded, the same for both), and memory: tracemalloc's peak during
   the build and what the built statistics keep.

Ratios are library / hand-written, measured in the same run; one process, one thing at a
time. Run from the repository root:  .venv/bin/python bench/keyword_backends.py
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.tokenization import (  # noqa: E402
    Scores,
    chunk_reports,
    load_questions,
    report_slices,
)
from ingest.keyword_index import BM25_B, BM25_K1, Bm25, build_bm25, build_report_bm25  # noqa: E402
from ingest.records import Chunk  # noqa: E402
from ingest.settings import Settings  # noqa: E402
from ingest.tokenizer import DEFAULT_MODE, entity_terms, tokenize  # noqa: E402

REPORT_DIRS = (
    REPO / "corpus",
    REPO / "tests" / "fixtures" / "reports",
    REPO / "tests" / "fixtures" / "blind" / "reports",
)
FIXTURES = REPO / "tests" / "fixtures"
QUESTION_SETS = {
    "seed": REPO / "corpus" / "questions.jsonl",
    "fixtures": FIXTURES / "questions.jsonl",
    "holdout": FIXTURES / "holdout_questions.jsonl",
    "training": FIXTURES / "training_questions.jsonl",
    **{p.stem: p for p in sorted((FIXTURES / "batches").glob("batch-*.jsonl"))},
    "blind": FIXTURES / "blind" / "questions.jsonl",
}
CANDIDATES = 30
Rows = list[tuple[str, str, str]]


@dataclass
class LibraryBm25:
    """bm25s' scores behind the index's own ``top`` (same filter, order and tie-breaks)."""

    retriever: object  # bm25s.BM25
    chunk_ids: list[str]
    doc_sources: np.ndarray
    source_codes: dict[str, int]

    def scores(self, tokens: Iterable[str]) -> np.ndarray:
        # The index scores each distinct query term once; bm25s would add repeats again.
        ids = self.retriever.get_tokens_ids(list(dict.fromkeys(tokens)))
        if not ids:
            return np.zeros(len(self.chunk_ids))
        return self.retriever.get_scores_from_ids(ids) * (BM25_K1 + 1.0)

    top = Bm25.top
    source_mask = Bm25.source_mask


def build_library_bm25(rows: Rows, dtype: str) -> LibraryBm25:
    import bm25s

    retriever = bm25s.BM25(k1=BM25_K1, b=BM25_B, method="lucene", dtype=dtype)
    retriever.index([tokens.split() for _, _, tokens in rows], show_progress=False)
    source_codes: dict[str, int] = {}
    for _, source, _ in rows:
        source_codes.setdefault(source, len(source_codes))
    return LibraryBm25(
        retriever=retriever,
        chunk_ids=[row[0] for row in rows],
        doc_sources=np.asarray([source_codes[row[1]] for row in rows], dtype=np.int64),
        source_codes=source_codes,
    )


def library_report_bm25(rows: Rows, dtype: str) -> LibraryBm25:
    """One document per report, as ``build_report_bm25`` makes them."""
    by_source: dict[str, list[str]] = {}
    for _, source, tokens in rows:
        by_source.setdefault(source, []).append(tokens)
    return build_library_bm25(
        [(source, source, " ".join(t)) for source, t in by_source.items()], dtype
    )


BACKENDS: dict[str, Callable[[Rows], object]] = {
    "hand-written": lambda rows: build_bm25(0, DEFAULT_MODE, rows),
    "bm25s float32": lambda rows: build_library_bm25(rows, "float32"),
    "bm25s float64": lambda rows: build_library_bm25(rows, "float64"),
}
REPORT_BACKENDS: dict[str, Callable[[Rows], object]] = {
    "hand-written": lambda rows: build_report_bm25(0, DEFAULT_MODE, rows),
    "bm25s float32": lambda rows: library_report_bm25(rows, "float32"),
    "bm25s float64": lambda rows: library_report_bm25(rows, "float64"),
}


# -- 1. retrieval ----------------------------------------------------------------------------


def report_chunks(settings: Settings) -> list[Chunk]:
    return chunk_reports(settings, settings.chunk_size, settings.chunk_overlap, REPORT_DIRS)


def index_rows(chunks: Sequence[Chunk]) -> Rows:
    """What ``KeywordIndex`` stores: tokens of the title, section and text."""
    return [(c.chunk_id, c.source, " ".join(tokenize(c.indexed_text()))) for c in chunks]


def retrieval_table(chunks: list[Chunk]) -> None:
    rows = index_rows(chunks)
    built = {name: build(rows) for name, build in BACKENDS.items()}
    reports = {name: build(rows) for name, build in REPORT_BACKENDS.items()}
    print(f"1. retrieval: {len(chunks)} chunks of {len({c.source for c in chunks})} reports,")
    print(f"   keyword top {CANDIDATES}, tokenizer {DEFAULT_MODE}; evidence = NFKC, no spaces\n")
    header = f"{'set':<10}{'n':>4}  {'backend':<14}{'R@1':>6}{'R@3':>6}{'R@5':>6}{'MRR':>7}"
    print(header + f"{'same ranking':>14}{'same report':>13}{'max |Δscore|':>14}")
    for set_name, path in QUESTION_SETS.items():
        questions, _ = load_questions(path, chunks)
        reference = _rankings(built["hand-written"], questions)
        reference_reports = _top_reports(reports["hand-written"], questions)
        for name in BACKENDS:
            rankings = _rankings(built[name], questions)
            scores = Scores()
            for q in questions:
                scores.add(rankings[q.qid], q.relevant)
            same = sum(rankings[q.qid] == reference[q.qid] for q in questions)
            same_report = sum(
                a == b
                for a, b in zip(
                    _top_reports(reports[name], questions), reference_reports, strict=True
                )
            )
            delta = _max_score_difference(built[name], built["hand-written"], questions)
            print(
                f"{set_name:<10}{len(questions):>4}  {name:<14}{scores.recall(1):>6.3f}"
                f"{scores.recall(3):>6.3f}{scores.recall(5):>6.3f}{scores.mrr():>7.3f}"
                f"{same:>9}/{len(questions):<4}{same_report:>8}/{len(questions):<4}{delta:>14.2e}"
            )
    print()


def _rankings(bm25, questions) -> dict[str, list[str]]:
    return {
        q.qid: [cid for cid, _ in bm25.top(tokenize(q.question), CANDIDATES)] for q in questions
    }


def _top_reports(bm25, questions) -> list[str | None]:
    tops = []
    for q in questions:
        tokens = [t for term in entity_terms(q.question) for t in tokenize(term)]
        scores = bm25.scores(tokens)
        tops.append(bm25.chunk_ids[int(np.argmax(scores))] if scores.max() > 0 else None)
    return tops


def _max_score_difference(bm25, reference, questions) -> float:
    return max(
        float(
            np.abs(bm25.scores(tokenize(q.question)) - reference.scores(tokenize(q.question))).max()
        )
        for q in questions
    )


# -- 2. scale ----------------------------------------------------------------------------------


def synthetic_rows(settings: Settings, n_chunks: int) -> tuple[Rows, list[list[str]]]:
    """``n_chunks`` slices of ~300 characters of the real reports, 50 "reports", tokenized;
    and every question of every set, tokenized."""
    rows = [
        (f"c{i}", f"r{i % 50}.txt", " ".join(tokenize(text)))
        for i, (_, text) in enumerate(report_slices(settings, n_chunks, REPORT_DIRS))
    ]
    queries = [
        tokenize(json.loads(line)["question"])
        for path in QUESTION_SETS.values()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    return rows, queries


def measure_build(
    build: Callable[[Rows], object], rows: Rows, repeats: int
) -> tuple[object, float, float, float]:
    """(built, median seconds of ``repeats`` builds, peak MB during the build, MB the result
    keeps). Timed without tracemalloc (it slows every allocation down), then built again
    under it for memory."""
    times = []
    for _ in range(repeats):
        gc.collect()
        started = time.perf_counter()
        built = build(rows)
        times.append(time.perf_counter() - started)
        del built
    gc.collect()
    seconds = float(np.median(times))
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    built = build(rows)
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return built, seconds, (peak - before) / 2**20, (current - before) / 2**20


def measure_search(bm25, queries: list[list[str]], repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        for tokens in queries:
            started = time.perf_counter()
            bm25.top(tokens, CANDIDATES)
            times.append((time.perf_counter() - started) * 1000)
    return times


def scale_table(settings: Settings, sizes: list[int], repeats: int, build_repeats: int) -> None:
    print("2. scale: build = statistics from the stored token rows (a refresh); search = score")
    print(f"   + top {CANDIDATES} of a tokenized question; memory by tracemalloc\n")
    print(
        f"{'chunks':>7}  {'backend':<14}{'build s':>9}{'p50 ms':>8}{'p95 ms':>8}"
        f"{'peak MB':>9}{'kept MB':>9}   ratios to hand-written: build, p50, p95, peak, kept"
    )
    for size in sizes:
        rows, queries = synthetic_rows(settings, size)
        figures = {}
        for name, build in BACKENDS.items():
            built, seconds, peak, kept = measure_build(build, rows, build_repeats)
            times = measure_search(built, queries, repeats)
            figures[name] = (
                seconds,
                np.percentile(times, 50),
                np.percentile(times, 95),
                peak,
                kept,
            )
            del built
            gc.collect()
        base = figures["hand-written"]
        for name, values in figures.items():
            ratios = ", ".join(f"{v / b:.2f}" for v, b in zip(values, base, strict=True))
            print(
                f"{size:>7}  {name:<14}{values[0]:>9.2f}{values[1]:>8.2f}{values[2]:>8.2f}"
                f"{values[3]:>9.1f}{values[4]:>9.1f}   {ratios}"
            )
        print(
            f"         ({len(queries)} questions x {repeats}; build: median of {build_repeats};"
            f" load {' '.join(f'{x:.2f}' for x in os.getloadavg())})"
        )
    print()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,50000", help="chunk counts for the scale table")
    parser.add_argument("--repeats", type=int, default=3, help="search passes over the questions")
    parser.add_argument("--build-repeats", type=int, default=3, help="builds timed per backend")
    parser.add_argument("--skip-retrieval", action="store_true")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n")
    if not args.skip_retrieval:
        retrieval_table(report_chunks(settings))
    sizes = [int(s) for s in args.sizes.split(",")]
    scale_table(settings, sizes, args.repeats, args.build_repeats)
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
