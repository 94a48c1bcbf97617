"""How the assistant scales with the index: per size (default 1k, 10k, 50k chunks), ingest
throughput (really embedded part and the write path), index size on disk, retrieval and
answer latency p50/p95 and process memory, with the same figures for the naive baseline
(LangChain splitter 1000/200 + dense-only Chroma, same embeddings) over the same reports.

    python bench/scale.py [--sizes 1000,10000,50000] [--questions 0] [--json]

Each (size, system) runs in a fresh child process, so its resident memory is its own and not
what an earlier, smaller index left behind. Every index holds the real reports (corpus/ and
tests/fixtures/reports) and --embedded-reports generated reports, all embedded for real by
the real pipeline; the rest of the chunks borrow vectors from those (see
bench/synthetic_index.py; the exact scheme is printed with the results).

Targets at 10k chunks (two cores): retrieval p50 <= 100 ms, answer p50 <= 300 ms,
RSS <= 1.5 GB.
"""

from __future__ import annotations

import argparse
import json
import subprocess
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
    Timed,
    bench_settings,
    chunk_file,
    describe_borrowing,
    disk_mb,
    generated_reports,
    ingest_for_real,
    limit_torch_threads,
    our_donors,
    rss_mb,
    time_naive,
    time_ours,
    torch_threads,
    write_borrowed,
)
from ingest.embeddings import load_embeddings  # noqa: E402
from ingest.keyword_index import KeywordIndex  # noqa: E402
from ingest.pipeline import Candidate, discover  # noqa: E402

TARGET_SIZE = 10_000
RETRIEVAL_TARGET_MS = 100.0
ANSWER_TARGET_MS = 300.0
RSS_TARGET_MB = 1536.0
SYSTEMS = ("ours", "naive")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,50000", help="chunk counts, comma-separated")
    parser.add_argument("--embedded-reports", type=int, default=24, help="really embedded reports")
    parser.add_argument("--noise", type=float, default=DEFAULT_NOISE, help="sigma of the noise")
    parser.add_argument("--questions", type=int, default=0, help="use the first N (0: all)")
    parser.add_argument("--k", type=int, default=5, help="passages retrieved per question")
    parser.add_argument("--torch-threads", type=int, default=0, help="0: the product's default")
    parser.add_argument(
        "--timeout", type=float, default=3600.0, help="seconds allowed per (size, system) run"
    )
    parser.add_argument("--systems", default="ours,naive", help="which systems to run")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    parser.add_argument("--child", choices=SYSTEMS, help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


# -- one (size, system) in a child process ------------------------------------------------


def child(args: argparse.Namespace) -> dict:
    # Inside the parent's work folder, which it removes even if this child is killed.
    with tempfile.TemporaryDirectory(prefix=f"{args.child}-", dir=args.workdir) as tmp:
        tmp = Path(tmp)
        settings = bench_settings(tmp / "data").with_(top_k=args.k)
        embeddings = load_embeddings(settings)
        embeddings.embed_documents(["ウォームアップ"])  # model load is not part of any figure
        limit_torch_threads(args.torch_threads)
        questions = load_question_file(QUESTIONS)
        questions = questions[: args.questions] if args.questions else questions
        sample = generate(tmp / "generated", args.embedded_reports)
        real_paths = [*REAL_REPORT_DIRS, *sample]
        build = ours_build if args.child == "ours" else naive_build
        result = build(args, tmp, settings, embeddings, real_paths, sample, questions)
        result.update(size=args.size, system=args.child, torch_threads=torch_threads())
        result.update(rss_mb(), questions=len(questions))
        return result


def ours_build(args, tmp, settings, embeddings, real_paths, sample, questions) -> dict:
    embedded = ingest_for_real(settings, embeddings, real_paths)
    donors = our_donors(settings, {p.name for p in sample}, args.noise)
    synthetic, chunking = _synthetic_reports(args, tmp, settings, embedded.items)
    borrowing, writing = write_borrowed(settings, synthetic, donors)
    chunks = KeywordIndex(settings.catalog_path).count()
    after_build = rss_mb()["rss_mb"]
    timings = time_ours(Assistant(settings, embeddings=embeddings), questions)
    return {
        "chunks": chunks,
        "embedded": _rate(embedded),
        "chunking": _rate(chunking),
        "borrowing": _rate(borrowing),
        "write_path": _rate(writing),
        "disk_mb": disk_mb(settings.data_dir),
        "rss_after_build_mb": after_build,
        "method": describe_borrowing(donors),
        **timings,
    }


def naive_build(args, tmp, settings, embeddings, real_paths, sample, questions) -> dict:
    naive = NaiveIndex(tmp / "naive", embeddings, settings)
    embedded = naive.add_for_real(naive.documents_of(real_paths))
    donors = naive.donors({p.name for p in sample}, args.noise)
    # The same reports as ours: how many are needed is decided by our chunk count.
    ours_real = sum(1 for _ in _real_chunks(settings, real_paths))
    synthetic, _ = _synthetic_reports(args, tmp, settings, ours_real)
    writing = naive.add_borrowed(naive.documents_of([p for p, _ in synthetic]), donors)
    after_build = rss_mb()["rss_mb"]
    timings = time_naive(naive, questions, args.k)
    return {
        "chunks": naive.documents,
        "embedded": _rate(embedded),
        "write_path": _rate(writing),
        "disk_mb": disk_mb(tmp / "naive"),
        "rss_after_build_mb": after_build,
        **timings,
    }


def _real_chunks(settings, paths):
    for found in discover(paths):
        if isinstance(found, Candidate):
            yield from chunk_file(found.path, settings)


def _synthetic_reports(args, tmp, settings, have: int):
    started = time.perf_counter()
    reports = list(
        generated_reports(
            tmp / "generated",
            settings,
            skip=args.embedded_reports,
            chunks_wanted=max(args.size - have, 0),
        )
    )
    chunks = sum(len(c) for _, c in reports)
    return reports, Timed(chunks, time.perf_counter() - started)


def _rate(timed: Timed) -> dict:
    return {"items": timed.items, "seconds": timed.seconds, "per_second": timed.per_second}


# -- the parent: one child per (size, system), then the table -------------------------------


def run_child(args: argparse.Namespace, size: int, system: str, workdir: str) -> dict:
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        f"--child={system}",
        f"--size={size}",
        f"--embedded-reports={args.embedded_reports}",
        f"--noise={args.noise}",
        f"--questions={args.questions}",
        f"--k={args.k}",
        f"--torch-threads={args.torch_threads}",
        f"--workdir={workdir}",
    ]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=args.timeout, check=False
        )
    except subprocess.TimeoutExpired:  # subprocess.run kills the child before raising
        return {"size": size, "system": system, "error": f"timed out after {args.timeout:.0f} s"}
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-5:])
        return {"size": size, "system": system, "error": f"exit {done.returncode}: {tail}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(rows: list[dict]) -> str:
    header = (
        f"{'chunks':>7} {'system':<6}{'embed ch/s':>11}{'write ch/s':>11}{'disk MB':>9}"
        f"{'retrieval p50/p95':>19}{'answer p50/p95':>16}{'CPU p50':>9}{'evid@k':>8}"
        f"{'RSS MB':>8}{'peak MB':>9}"
    )
    lines = [header]
    for row in rows:
        if "error" in row:
            lines.append(f"{row['size']:>7} {row['system']:<6} failed: {row['error']}")
            continue
        answer = _pair(row["answer_ms"]) if "answer_ms" in row else "(no answerer)"
        lines.append(
            f"{row['chunks']:>7} {row['system']:<6}{row['embedded']['per_second']:>11.1f}"
            f"{row['write_path']['per_second']:>11.0f}{row['disk_mb']:>9.1f}"
            f"{_pair(row['retrieval_ms']):>19}{answer:>16}{row['cpu_ms']['p50']:>9.0f}"
            f"{row['evidence_recall']:>8.2f}{row['rss_mb']:>8.0f}{row['peak_rss_mb']:>9.0f}"
        )
    lines += ["", *_ratios(rows), *_targets(rows), "", *_notes(rows)]
    return "\n".join(lines)


def _ratios(rows: list[dict]) -> list[str]:
    by_key = {(r["size"], r["system"]): r for r in rows if "error" not in r}
    lines = []
    for (size, system), ours in sorted(by_key.items()):
        naive = by_key.get((size, "naive"))
        if system != "ours" or naive is None:
            continue
        base = naive["retrieval_ms"]["p50"]
        lines.append(
            f"{ours['chunks']} chunks: ours/naive p50 ratio: retrieval "
            f"{ours['retrieval_ms']['p50'] / base:.2f}, full answer "
            f"{ours['answer_ms']['p50'] / base:.2f}, RSS {ours['rss_mb'] / naive['rss_mb']:.2f}, "
            f"disk {ours['disk_mb'] / naive['disk_mb']:.2f}"
        )
    return lines


def _targets(rows: list[dict]) -> list[str]:
    ours = [r for r in rows if r.get("system") == "ours" and "error" not in r]
    at_target = [r for r in ours if r["size"] == TARGET_SIZE]
    if not at_target:
        return [f"(no 'ours' run at {TARGET_SIZE} chunks: targets not checked)"]
    row = at_target[0]
    checks = [
        ("retrieval p50", row["retrieval_ms"]["p50"], RETRIEVAL_TARGET_MS, "ms"),
        ("answer p50", row["answer_ms"]["p50"], ANSWER_TARGET_MS, "ms"),
        ("peak RSS", row["peak_rss_mb"], RSS_TARGET_MB, "MB"),
    ]
    return [
        f"target at {row['chunks']} chunks: {name} {value:.0f} {unit} <= {limit:.0f} {unit}: "
        f"{'met' if value <= limit else 'MISSED'}"
        for name, value, limit, unit in checks
    ]


def _notes(rows: list[dict]) -> list[str]:
    ours = [r for r in rows if r.get("system") == "ours" and "error" not in r]
    lines = [
        "embed ch/s: the real ingest pipeline over the really embedded part (real reports + "
        "sample), load to commit; write ch/s: the write path of the chunks with borrowed "
        "vectors (Chroma add, keyword index, catalog, record manager; naive: Chroma add), "
        "no embedding. CPU p50: process CPU ms per ask. RSS at the end of the run; peak = VmHWM."
    ]
    if ours:
        first = ours[0]
        lines.append(
            f"torch threads: {first['torch_threads']}; questions: {first['questions']} "
            "(corpus/questions.jsonl), each asked once after one untimed warm-up."
        )
        lines.append(first["method"])
        for row in ours:
            lines.append(
                f"{row['chunks']} chunks: chunking the borrowed part ran at "
                f"{row['chunking']['per_second']:.0f} ch/s, borrowing at "
                f"{row['borrowing']['per_second']:.0f} ch/s; dense p50 "
                f"{row['dense_ms']['p50']:.0f} ms, BM25 p50 {row['keyword_ms']['p50']:.0f} ms, "
                f"cold first ask {row['cold_first_ask_ms']:.0f} ms"
            )
    return lines


def _pair(stats: dict) -> str:
    return f"{stats['p50']:.0f} / {stats['p95']:.0f}"


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.child:
        print(json.dumps(child(args)))
        return
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    systems = [s for s in args.systems.split(",") if s in SYSTEMS]
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as workdir:
        for size in sizes:
            for system in systems:
                print(f"running {system} at {size} chunks…", file=sys.stderr, flush=True)
                rows.append(run_child(args, size, system, workdir))
    print(report(rows))
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
