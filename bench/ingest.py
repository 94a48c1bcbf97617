"""Ingest throughput, from one run: first ingest vs a bare ``model.encode`` of the same chunks,
and first ingest vs re-ingest of the unchanged corpus.

    python bench/ingest.py [--reports 80]

Targets: ingest throughput ≥ 0.8 × bare encode; first ingest ≥ 50 × re-ingest time.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus_gen import generate  # noqa: E402
from ingest.embeddings import load_embeddings  # noqa: E402
from ingest.keyword_index import KeywordIndex  # noqa: E402
from ingest.pipeline import Ingestor  # noqa: E402
from ingest.settings import Settings  # noqa: E402


def bare_encode(embeddings, texts: list[str], batch_size: int) -> None:
    """The model's own ``encode`` on the same texts: no LangChain, no Chroma, no SQLite."""
    model = getattr(embeddings, "model", None)
    if model is None:  # a backend without a SentenceTransformer object
        embeddings.embed_documents(texts)
    else:
        model.encode_document(texts, batch_size=batch_size, normalize_embeddings=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--reports", type=int, default=80, help="generated reports (~16 chunks each)"
    )
    args = parser.parse_args()
    base = Settings.from_env()
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        settings = base.with_(
            data_dir=Path(tmp) / "data", model_dir=base.cache_dir.resolve(), chroma_url=None
        )
        corpus = Path(tmp) / "corpus"
        generate(corpus, args.reports)
        embeddings = load_embeddings(settings)
        embeddings.embed_documents(["ウォームアップ"])  # model load is not part of either figure

        started = time.perf_counter()
        outcomes = Ingestor(settings, embeddings=embeddings).ingest_paths([corpus])
        first = time.perf_counter() - started
        chunks = sum(o.chunks for o in outcomes)

        started = time.perf_counter()
        again = Ingestor(settings, embeddings=embeddings).ingest_paths([corpus])
        second = time.perf_counter() - started
        assert all(o.outcome == "unchanged" for o in again)

        # the strings the ingest embedded: context header + chunk text
        texts = [c.indexed_text() for c in KeywordIndex(settings.catalog_path).all_chunks()]
        started = time.perf_counter()
        bare_encode(embeddings, texts, settings.embedding_batch_size)
        bare = time.perf_counter() - started

    print(
        f"corpus: {args.reports} generated reports, {chunks} chunks (model: {settings.embedding_model}, backend: {settings.embedding_backend})"
    )
    print(f"{'run':<28}{'seconds':>10}{'chunks/s':>12}")
    print(f"{'first ingest':<28}{first:>10.2f}{chunks / first:>12.1f}")
    print(f"{'bare encode, same chunks':<28}{bare:>10.2f}{len(texts) / bare:>12.1f}")
    print(f"{'re-ingest (unchanged)':<28}{second:>10.2f}{'-':>12}")
    print(
        f"ingest / bare-encode throughput ratio: {(chunks / first) / (len(texts) / bare):.2f}  (target ≥ 0.8)"
    )
    print(f"first ingest / re-ingest time ratio:   {first / second:.1f}  (target ≥ 50)")


if __name__ == "__main__":
    main()
