"""Where chunks are stored: a Chroma collection (embedded or a server) and its record manager.

Chroma holds vectors, texts and metadata; LangChain's ``SQLRecordManager`` remembers which
chunk ids were written, so unchanged chunks are never embedded twice.
"""

from __future__ import annotations

import sqlite3
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urlparse

import chromadb
import httpx
from chromadb.api.shared_system_client import SharedSystemClient
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import ChromaError
from langchain_core.embeddings import Embeddings

from ingest.settings import Settings

if TYPE_CHECKING:
    # Imported where they are used: only writing needs them, and together they cost a
    # cold `ask` about 0.7 s of imports (SQLAlchemy, LangChain's indexing chains).
    from langchain_chroma import Chroma
    from langchain_classic.indexes import SQLRecordManager

COLLECTION_CONFIGURATION = {"hnsw": {"space": "cosine"}}


class StoreUnavailable(RuntimeError):
    """The Chroma server cannot be reached (or the embedded store cannot be opened)."""


def __getattr__(name: str):
    """``WRITE_ERRORS``: what a failed index write raises, as opposed to a bug: a full or
    read-only disk (OSError, SQLite and SQLAlchemy errors from the catalog), Chroma refusing
    the write (embedded Chroma reports a full disk as an InternalError), or a server that
    went away (httpx errors). Made on first use, so only writers import SQLAlchemy."""
    if name == "WRITE_ERRORS":
        from sqlalchemy.exc import SQLAlchemyError

        errors = (OSError, sqlite3.Error, SQLAlchemyError, ChromaError, httpx.HTTPError)
        globals()[name] = errors
        return errors
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    return (
        f"索引（{settings.chroma_dir}）を開けません: {exc}。"
        f"データディレクトリ（{settings.data_dir}）の空き容量と書き込み権限を確認してください。"
    )


def describe_write_error(settings: Settings, exc: BaseException) -> str:
    """What to tell a user when one of ``WRITE_ERRORS`` stopped a write."""
    if settings.chroma_url and isinstance(exc, (ChromaError, httpx.HTTPError)):
        return (
            f"Chromaサーバー（{settings.chroma_url}）に書き込めません（{type(exc).__name__}: {exc}）。"
            "サーバーが起動しているか、サーバーの空き容量を確認してください。"
        )
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    if getattr(exc, "filename", None):
        reason = f"{reason}: {exc.filename}"
    return (
        f"索引に書き込めません（{reason}）。データディレクトリ（{settings.data_dir}）の"
        "空き容量と書き込み権限を確認してください。"
    )


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


def reopen_collection(settings: Settings) -> chromadb.Collection:
    """The collection through a client opened now, which sees what other processes wrote.

    An embedded client keeps, in memory, the vectors it loaded when it was opened: chunks
    another process (``python -m ingest``, a second app) added since are in Chroma's SQLite
    file but not in that client's HNSW index, and ``get(ids=..., include=["embeddings"])``
    on them fails with "Error finding id". Chroma shares one client ("system") per folder
    in a process, so that cache is dropped first; clients and collections opened before
    keep working on what they loaded (a question in flight finishes). A server is one
    process and always current: the collection is looked up again (another process may have
    re-created it)."""
    if not settings.chroma_url:
        SharedSystemClient.clear_system_cache()
        _client.cache_clear()
    return open_collection(settings)


def vector_store(settings: Settings, embeddings: Embeddings) -> Chroma:
    """LangChain's view of the same collection, for the indexing API."""
    from langchain_chroma import Chroma

    return Chroma(
        client=chroma_client(settings),
        collection_name=settings.collection,
        embedding_function=embeddings,
        collection_configuration=COLLECTION_CONFIGURATION,
    )


def record_manager(settings: Settings) -> SQLRecordManager:
    from langchain_classic.indexes import SQLRecordManager

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
