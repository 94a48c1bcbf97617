"""Query latency from one run: retrieval and full-answer p50/p95 of the assistant at the
corpus size (corpus/ + tests/fixtures/reports) and at >= 10,000 chunks, each against the naive
baseline (LangChain splitter 1000/200 + dense-only Chroma, same embeddings) on the same reports.

    python bench/query.py [--chunks 10000] [--embedded-reports 24] [--questions 0] [--json]

Questions: corpus/questions.jsonl, each asked once after one untimed warm-up. "retrieval" is
hybrid search (question embedding + Chroma + BM25 + fusion); "answer" is the whole ``ask``
(retrieval + extractive answer + citation check). The naive baseline answers nothing: its
figure is its query time (question embedding + Chroma search), compared with both of ours.
How the large index is built without embedding every chunk: see bench/synthetic_index.py
(the exact scheme is printed with the results).

Targets (two cores): retrieval p50 <= 100 ms, answer p50 <= 300 ms.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.evaluation.questions import load_question_file  # noqa: E402
from assistant.service import Assistant  # noqa: E402
from bench.corpus_gen import generate  # noqa: E402
from bench.synthetic_index import (  # noqa: E402
    DEFAULT_NOISE,
    QUESTIONS,
    REAL_REPORT_DIRS,
    NaiveIndex,
    bench_settings,
    describe_borrowing,
    generated_reports,
    ingest_for_real,
    limit_torch_threads,
    our_donors,
    time_naive,
    time_ours,
    time_query_embedding,
    torch_threads,
    write_borrowed,
)
from ingest.embeddings import load_embeddings  # noqa: E402
from ingest.keyword_index import KeywordIndex  # noqa: E402

RETRIEVAL_TARGET_MS = 100.0
ANSWER_TARGET_MS = 300.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=10_000, help="size of the large index")
    parser.add_argument(
        "--embedded-reports",
        type=int,
        default=24,
        help="generated reports embedded for real (the vector donors, ~12 chunks each)",
    )
    parser.add_argument("--noise", type=float, default=DEFAULT_NOISE, help="sigma of the noise")
    parser.add_argument("--questions", type=int, default=0, help="use the first N (0: all)")
    parser.add_argument("--k", type=int, default=5, help="passages retrieved per question")
    parser.add_argument(
        "--torch-threads",
        type=int,
        default=0,
        help="torch intra-op threads (0: the product's default, one per available CPU)",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    return parser.parse_args(argv)


def run(args: argparse.Namespace, tmp: Path) -> dict:
    settings = bench_settings(tmp / "data").with_(top_k=args.k)
    embeddings = load_embeddings(settings)
    embeddings.embed_documents(["ウォームアップ"])  # model load is not part of any figure
    limit_torch_threads(args.torch_threads)
    questions = load_question_file(QUESTIONS)
    questions = questions[: args.questions] if args.questions else questions
    naive = NaiveIndex(tmp / "naive", embeddings, settings)
    results: dict = {"questions": len(questions), "k": args.k, "torch_threads": torch_threads()}

    ingest_for_real(settings, embeddings, REAL_REPORT_DIRS)
    naive.add_for_real(naive.documents_of(REAL_REPORT_DIRS))
    results["corpus"] = measure(settings, embeddings, naive, questions, args.k)

    sample = generate(tmp / "generated", args.embedded_reports)
    ingest_for_real(settings, embeddings, sample)
    donors = our_donors(settings, {p.name for p in sample}, args.noise)
    have = KeywordIndex(settings.catalog_path).count()
    started = time.perf_counter()
    synthetic = list(
        generated_reports(
            tmp / "generated",
            settings,
            skip=args.embedded_reports,
            chunks_wanted=args.chunks - have,
        )
    )
    chunking_s = time.perf_counter() - started
    write_borrowed(settings, synthetic, donors)

    naive.add_for_real(naive.documents_of(sample))
    naive_donors = naive.donors({p.name for p in sample}, args.noise)
    naive.add_borrowed(naive.documents_of([p for p, _ in synthetic]), naive_donors)
    results["large"] = measure(settings, embeddings, naive, questions, args.k)
    results["large"]["build"] = {
        "really_embedded_chunks": have,
        "borrowed_chunks": sum(len(c) for _, c in synthetic),
        "chunking_s": chunking_s,
        "method": describe_borrowing(donors),
        "naive_donors": len(naive_donors.texts),
    }
    return results


def measure(settings, embeddings, naive: NaiveIndex, questions, k: int) -> dict:
    assistant = Assistant(settings, embeddings=embeddings)
    return {
        "chunks": KeywordIndex(settings.catalog_path).count(),
        "naive_documents": naive.documents,
        "ours": time_ours(assistant, questions),
        "naive": time_naive(naive, questions, k),
        "query_embedding_ms": time_query_embedding(embeddings, questions),
    }


def report(results: dict) -> str:
    lines = [
        f"questions: {results['questions']} (corpus/questions.jsonl), k={results['k']}, "
        "each asked once after one untimed warm-up; wall-clock ms unless marked CPU; "
        f"torch threads: {results['torch_threads']}",
        "",
        f"{'index':<8}{'system':<7}{'chunks':>8}{'retrieval p50/p95':>19}"
        f"{'answer p50/p95':>16}{'CPU ms p50':>12}{'evidence@k':>12}{'cold 1st':>10}",
    ]
    for size in ("corpus", "large"):
        row = results[size]
        ours, naive = row["ours"], row["naive"]
        lines.append(
            f"{size:<8}{'ours':<7}{row['chunks']:>8}{_pair(ours['retrieval_ms']):>19}"
            f"{_pair(ours['answer_ms']):>16}{ours['cpu_ms']['p50']:>12.0f}"
            f"{ours['evidence_recall']:>12.2f}{ours['cold_first_ask_ms']:>10.0f}"
        )
        lines.append(
            f"{'':<8}{'naive':<7}{row['naive_documents']:>8}{_pair(naive['retrieval_ms']):>19}"
            f"{'(no answerer)':>16}{naive['cpu_ms']['p50']:>12.0f}"
            f"{naive['evidence_recall']:>12.2f}{naive['cold_first_query_ms']:>10.0f}"
        )
    lines.append("")
    for size in ("corpus", "large"):
        row = results[size]
        base = row["naive"]["retrieval_ms"]["p50"]
        ours = row["ours"]
        lines.append(
            f"{size}: ours/naive p50 time ratio: retrieval "
            f"{ours['retrieval_ms']['p50'] / base:.2f}, full answer "
            f"{ours['answer_ms']['p50'] / base:.2f}; CPU ratio "
            f"{ours['cpu_ms']['p50'] / row['naive']['cpu_ms']['p50']:.2f}"
        )
        lines.append(
            f"{size}: where our time goes (p50): dense {ours['dense_ms']['p50']:.0f} ms "
            f"(question embedding alone {row['query_embedding_ms']['p50']:.0f} ms), BM25 "
            f"{ours['keyword_ms']['p50']:.0f} ms, extractive answer "
            f"{ours['answer_step_ms']['p50']:.0f} ms"
        )
    large = results["large"]["ours"]
    lines += [
        "",
        f"targets at {results['large']['chunks']} chunks: retrieval p50 "
        f"{large['retrieval_ms']['p50']:.0f} ms (<= {RETRIEVAL_TARGET_MS:.0f}: "
        f"{_verdict(large['retrieval_ms']['p50'], RETRIEVAL_TARGET_MS)}), answer p50 "
        f"{large['answer_ms']['p50']:.0f} ms (<= {ANSWER_TARGET_MS:.0f}: "
        f"{_verdict(large['answer_ms']['p50'], ANSWER_TARGET_MS)})",
        "",
        "large index: {really_embedded_chunks} chunks embedded for real, {borrowed_chunks} "
        "with borrowed vectors (chunking them took {chunking_s:.0f} s)".format(
            **results["large"]["build"]
        ),
        results["large"]["build"]["method"],
        f"naive baseline: same reports; its synthetic documents borrow from its "
        f"{results['large']['build']['naive_donors']} really embedded documents the same way.",
    ]
    return "\n".join(lines)


def _pair(stats: dict) -> str:
    return f"{stats['p50']:.0f} / {stats['p95']:.0f}"


def _verdict(value: float, target: float) -> str:
    return "met" if value <= target else "MISSED"


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-query-") as tmp:
        results = run(args, Path(tmp))
    print(report(results))
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
