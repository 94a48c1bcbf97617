"""Where chunks are stored: a Chroma collection (embedded or a server) and its record manager.

Chroma holds vectors, texts and metadata; LangChain's ``SQLRecordManager`` remembers which
chunk ids were written, so unchanged chunks are never embedded twice.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlparse

import chromadb
from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma
from langchain_classic.indexes import SQLRecordManager
from langchain_core.embeddings import Embeddings

from ingest.settings import Settings

COLLECTION_CONFIGURATION = {"hnsw": {"space": "cosine"}}


class StoreUnavailable(RuntimeError):
    """The Chroma server cannot be reached (or the embedded store cannot be opened)."""


@lru_cache(maxsize=8)
def _client(chroma_url: str | None, chroma_dir: str) -> chromadb.ClientAPI:
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if chroma_url:
        url = urlparse(chroma_url if "://" in chroma_url else f"http://{chroma_url}")
        return chromadb.HttpClient(
            host=url.hostname or "127.0.0.1",
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            settings=chroma_settings,
        )
    return chromadb.PersistentClient(path=chroma_dir, settings=chroma_settings)


def chroma_client(settings: Settings) -> chromadb.ClientAPI:
    """One client per process and location: a server when REPORTS_CHROMA_URL is set."""
    try:
        return _client(settings.chroma_url, str(settings.chroma_dir))
    except Exception as exc:  # chromadb raises bare ValueError/ConnectionError variants
        raise StoreUnavailable(describe_store_error(settings, exc)) from exc


def describe_store_error(settings: Settings, exc: Exception) -> str:
    if settings.chroma_url:
        return (
            f"Chromaサーバー（{settings.chroma_url}）に接続できません。サーバーが起動しているか"
            f"確認してください。（{type(exc).__name__}）"
        )
    return f"索引（{settings.chroma_dir}）を開けません: {exc}"


def open_collection(settings: Settings) -> chromadb.Collection:
    """The collection of chunks; we always pass our own vectors (Chroma's default embedding
    function would try to download a model)."""
    try:
        return chroma_client(settings).get_or_create_collection(
            settings.collection,
            configuration=COLLECTION_CONFIGURATION,
            embedding_function=None,
        )
    except StoreUnavailable:
        raise
    except Exception as exc:
        raise StoreUnavailable(describe_store_error(settings, exc)) from exc


def vector_store(settings: Settings, embeddings: Embeddings) -> Chroma:
    """LangChain's view of the same collection, for the indexing API."""
    return Chroma(
        client=chroma_client(settings),
        collection_name=settings.collection,
        embedding_function=embeddings,
        collection_configuration=COLLECTION_CONFIGURATION,
    )


def record_manager(settings: Settings) -> SQLRecordManager:
    settings.catalog_path.parent.mkdir(parents=True, exist_ok=True)
    manager = SQLRecordManager(
        f"chroma/{settings.collection}",
        db_url=f"sqlite:///{settings.catalog_path}",
        engine_kwargs={"connect_args": {"timeout": 30}},
    )
    manager.create_schema()
    return manager


def all_chroma_ids(collection: chromadb.Collection, page: int = 5000) -> set[str]:
    ids: set[str] = set()
    offset = 0
    while True:
        batch = collection.get(include=[], limit=page, offset=offset)["ids"]
        ids.update(batch)
        if len(batch) < page:
            return ids
        offset += page


def iter_chroma_records(collection: chromadb.Collection, page: int = 1000):
    """Yield (id, document, metadata) for every chunk in the collection."""
    offset = 0
    while True:
        batch = collection.get(include=["documents", "metadatas"], limit=page, offset=offset)
        yield from zip(batch["ids"], batch["documents"], batch["metadatas"], strict=True)
        if len(batch["ids"]) < page:
            return
        offset += page
