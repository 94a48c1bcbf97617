"""The catalog's SQLite file: how it is opened and how it is written.

One file holds the report catalog (``ingest.catalog``), the keyword index
(``ingest.keyword_index``) and LangChain's record manager, so a report's keyword rows and its
catalog row are committed together. Every writer takes the write lock at the start of its
transaction (``BEGIN IMMEDIATE``), not mid-way, so two processes never deadlock on an upgrade
from reading to writing; readers never block it (WAL).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BUSY_TIMEOUT_S = 30.0  # how long a writer waits for another one before failing


def connect(path: Path | str) -> sqlite3.Connection:
    """A connection suited to this file: WAL, busy timeout, explicit transactions only.

    Usable from any thread (its users serialise their own use).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(
        path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
    )
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
    return conn


@contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """All of the block's writes on ``conn`` or none: committed when it ends, rolled back
    when it raises (an interrupt too)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
