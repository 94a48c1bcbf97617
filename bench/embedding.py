"""Embedding speed and quality, from one run: LangChain's ``HuggingFaceEmbeddings`` (the naive
pipeline's encoder, the baseline), our torch backend and our fast int8 ONNX backend, on the
same model and the same chunks.

    python bench/embedding.py [--rounds 3] [--batch-size 32] [--batch-tokens 512] [--limit N]
                              [--json]

The chunks are the corpus and fixture reports as the ingest cuts them (load, repair, chunk).
Each round encodes them with every encoder in turn (the order rotates), so a busy machine
slows all of them alike; ratios are taken within a round, and the median over rounds is
reported. Quality: cosine between the fast and the full-precision vector of every chunk,
and dense-only recall@1/3/5 of the question sets' evidence with each backend.

Targets: fast / baseline throughput ≥ 2.0; fast-vs-torch cosine min > 0.98; recall within
0.01 of torch.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from assistant.evaluation.metrics import normalize, retrieval_metrics  # noqa: E402
from assistant.evaluation.questions import load_questions  # noqa: E402
from ingest import fast_encoder  # noqa: E402
from ingest.chunking import chunk_report  # noqa: E402
from ingest.embeddings import load_embeddings, resolve_model_path  # noqa: E402
from ingest.loaders import load_report  # noqa: E402
from ingest.pipeline import Candidate, discover  # noqa: E402
from ingest.records import Chunk, IngestError  # noqa: E402
from ingest.repair import repair  # noqa: E402
from ingest.settings import Settings  # noqa: E402

BASELINE, TORCH, FAST = "HuggingFaceEmbeddings (base)", "ours, torch fp32", "ours, onnx int8"
QUESTION_FILES = (REPO / "corpus" / "questions.jsonl", REPO / "tests/fixtures/questions.jsonl")


def corpus_chunks(settings: Settings) -> list[Chunk]:
    """The chunks an ingest of the corpus and the fixture reports stores."""
    paths = [settings.corpus_dir, REPO / "tests" / "fixtures" / "reports"]
    chunks: list[Chunk] = []
    for found in discover(paths):
        if not isinstance(found, Candidate):
            continue
        try:
            report = load_report(found.path, source=found.source, max_bytes=1 << 30)
        except IngestError:
            continue  # not a report (the question file): the ingest skips it too
        chunks += chunk_report(
            repair(report), max_chars=settings.chunk_size, overlap_sentences=settings.chunk_overlap
        )
    return chunks


def baseline_embeddings(settings: Settings):
    """What the naive pipeline builds: ``HuggingFaceEmbeddings`` on the same model folder.
    It is given the e5 passage prompt so that it encodes exactly the tokens we encode."""
    from langchain_huggingface import HuggingFaceEmbeddings

    return HuggingFaceEmbeddings(
        model_name=resolve_model_path(settings),
        model_kwargs={"device": "cpu", "local_files_only": True},
        encode_kwargs={
            "normalize_embeddings": True,
            "prompt": "passage: ",
            "batch_size": settings.embedding_batch_size,
        },
    )


def timed_rounds(encoders: dict, texts: list[str], rounds: int) -> tuple[dict, dict]:
    """Wall and CPU seconds per encoder per round, and each encoder's vectors."""
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in encoders}
    vectors: dict[str, np.ndarray] = {}
    names = list(encoders)
    for round_ in range(rounds):
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
            wall, cpu = time.perf_counter(), time.process_time()
            vectors[name] = np.array(encoders[name].embed_documents(texts), dtype=np.float32)
            times[name].append((time.perf_counter() - wall, time.process_time() - cpu))
        print(f"round {round_ + 1}/{rounds}: " + _round_line(times), file=sys.stderr)
    return times, vectors


def _round_line(times: dict) -> str:
    return ", ".join(f"{name} {runs[-1][0]:.1f} s" for name, runs in times.items())


def speed_table(times: dict, count: int) -> dict:
    """passages/s (median over rounds) and the per-round ratio to the baseline (median)."""
    table = {}
    for name, runs in times.items():
        table[name] = {
            "passages_per_s": count / statistics.median(wall for wall, _ in runs),
            "cpu_s_per_passage": statistics.median(cpu for _, cpu in runs) / count,
            "speedup_wall": statistics.median(
                base[0] / own[0] for base, own in zip(times[BASELINE], runs, strict=True)
            ),
            "speedup_cpu": statistics.median(
                base[1] / own[1] for base, own in zip(times[BASELINE], runs, strict=True)
            ),
        }
    return table


def agreement(a: np.ndarray, b: np.ndarray) -> dict:
    cosines = (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return {"min": float(cosines.min()), "mean": float(cosines.mean())}


def dense_recall(embeddings, chunks: list[Chunk], vectors: np.ndarray, questions) -> dict:
    """recall@1/3/5 and MRR of the first top-5 chunk holding each question's evidence."""
    texts = [normalize(chunk.text) for chunk in chunks]
    ranks: list[int | None] = []
    for question in questions:
        scores = vectors @ np.array(embeddings.embed_query(question.question))
        top = np.argsort(-scores)[:5]
        target = normalize(question.evidence)
        hits = [rank for rank, row in enumerate(top, start=1) if target in texts[row]]
        ranks.append(hits[0] if hits else None)
    return retrieval_metrics(ranks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument(
        "--batch-tokens",
        type=int,
        default=fast_encoder.BATCH_TOKENS,
        help="padded tokens per ONNX Runtime call (the fast backend's batching)",
    )
    parser.add_argument("--limit", type=int, help="encode only the first N chunks")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    settings = Settings.from_env().with_(embedding_batch_size=args.batch_size)
    chunks = corpus_chunks(settings)[: args.limit]
    texts = [chunk.text for chunk in chunks]
    questions = [q for q in load_questions(QUESTION_FILES) if q.evidence]

    encoders = {
        BASELINE: baseline_embeddings(settings),
        TORCH: load_embeddings(settings.with_(embedding_backend="torch")),
        FAST: load_embeddings(settings.with_(embedding_backend="onnx")),
    }
    encoders[FAST].encoder.batch_tokens = args.batch_tokens
    for encoder in encoders.values():
        encoder.embed_documents(texts[:4])  # warm-up: first calls allocate
    times, vectors = timed_rounds(encoders, texts, args.rounds)
    result = {
        "chunks": len(texts),
        "mean_chars": sum(map(len, texts)) / len(texts),
        "rounds": args.rounds,
        "batch_size": args.batch_size,
        "batch_tokens": args.batch_tokens,
        "speed": speed_table(times, len(texts)),
        "agreement_fast_vs_torch": agreement(vectors[FAST], vectors[TORCH]),
        "agreement_baseline_vs_torch": agreement(vectors[BASELINE], vectors[TORCH]),
        "dense_recall": {
            name: dense_recall(encoders[name], chunks, vectors[name], questions)
            for name in (TORCH, FAST)
        },
    }
    print(json.dumps(result, ensure_ascii=False, indent=2) if args.json else report(result))


def report(result: dict) -> str:
    lines = [
        f"chunks: {result['chunks']} (mean {result['mean_chars']:.0f} chars), batch "
        f"{result['batch_size']} (fast: ≤ {result['batch_tokens']} tokens per call), "
        f"{result['rounds']} interleaved rounds",
        f"{'encoder':<30}{'passages/s':>11}{'CPU s/psg':>11}{'× base wall':>13}{'× base CPU':>12}",
    ]
    for name, row in result["speed"].items():
        lines.append(
            f"{name:<30}{row['passages_per_s']:>11.2f}{row['cpu_s_per_passage']:>11.3f}"
            f"{row['speedup_wall']:>13.2f}{row['speedup_cpu']:>12.2f}"
        )
    fast, base = result["agreement_fast_vs_torch"], result["agreement_baseline_vs_torch"]
    lines.append(
        f"cosine fast vs torch: min {fast['min']:.5f}, mean {fast['mean']:.5f}  (target min "
        f"> 0.98); baseline vs torch: min {base['min']:.5f}"
    )
    lines.append(f"fast / baseline speed-up: {result['speed'][FAST]['speedup_wall']:.2f}× wall  "
                 f"(target ≥ 2.0)")  # fmt: skip
    for name, metrics in result["dense_recall"].items():
        lines.append(
            f"dense recall {name:<18} @1 {metrics['recall@1']:.3f}  @3 {metrics['recall@3']:.3f}"
            f"  @5 {metrics['recall@5']:.3f}  MRR {metrics['mrr']:.3f}  "
            f"(n={metrics['n_with_evidence']})"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
