"""The report catalog: one row per indexed report (what the web chat's table lists).

Lives in the same SQLite file as the keyword index, so the pipeline commits a report's
keyword rows and its catalog row in one transaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ingest import sqlite

SCHEMA = """
CREATE TABLE IF NOT EXISTS reports (
    source TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    path TEXT NOT NULL,
    doc_hash TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    chunks INTEGER NOT NULL,
    added_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    metadata TEXT NOT NULL DEFAULT '{}',
    input_hash TEXT NOT NULL DEFAULT '',
    extraction TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS reports_doc_hash ON reports(doc_hash);
"""
# Columns added after the first catalogs were written: an older data dir gets them (empty,
# so each of its reports is extracted once more and then recorded).
ADDED_COLUMNS = (
    ("input_hash", "TEXT NOT NULL DEFAULT ''"),
    ("extraction", "TEXT NOT NULL DEFAULT ''"),
)
COLUMNS = (
    "source, title, path, doc_hash, fingerprint, chunks, added_at, updated_at, metadata, "
    "input_hash, extraction"
)


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class ReportInfo:
    source: str
    title: str
    path: str
    doc_hash: str
    fingerprint: str
    chunks: int
    added_at: str
    updated_at: str
    metadata: dict = field(default_factory=dict)
    # What the chunks were made from (the file, its sidecar, the chunking settings) and by
    # which extraction of its format (``loaders.extraction_version``): when both match, the
    # next ingest need not extract the file again.
    input_hash: str = ""
    extraction: str = ""


def connect(path: Path) -> sqlite3.Connection:
    """Open the catalog database (WAL, waits for a concurrent writer instead of failing)."""
    conn = sqlite.connect(path)
    conn.executescript(SCHEMA)
    _add_missing_columns(conn)
    return conn


def _add_missing_columns(conn: sqlite3.Connection) -> None:
    present = {row[1] for row in conn.execute("PRAGMA table_info(reports)")}
    missing = [(name, kind) for name, kind in ADDED_COLUMNS if name not in present]
    if not missing:
        return
    with sqlite.write_transaction(conn):
        present = {row[1] for row in conn.execute("PRAGMA table_info(reports)")}
        for name, kind in missing:
            if name not in present:  # another process may have added it meanwhile
                conn.execute(f"ALTER TABLE reports ADD COLUMN {name} {kind}")


@contextmanager
def writing(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection of its own to the catalog, inside one write transaction (committed when
    the block ends, rolled back when it raises), closed afterwards."""
    conn = connect(path)
    try:
        with sqlite.write_transaction(conn):
            yield conn
    finally:
        conn.close()


class Catalog:
    def __init__(self, path: Path):
        self.path = path

    @contextmanager
    def _conn(self) -> Iterator[sqlite3.Connection]:
        conn = connect(self.path)
        try:
            yield conn
        finally:
            conn.close()

    def get(self, source: str) -> ReportInfo | None:
        with self._conn() as conn:
            row = conn.execute(
                f"SELECT {COLUMNS} FROM reports WHERE source = ?", (source,)
            ).fetchone()
        return _to_info(row) if row else None

    def find_by_doc_hash(self, doc_hash: str) -> ReportInfo | None:
        with self._conn() as conn:
            row = conn.execute(
                f"SELECT {COLUMNS} FROM reports WHERE doc_hash = ? ORDER BY added_at LIMIT 1",
                (doc_hash,),
            ).fetchone()
        return _to_info(row) if row else None

    def all(self) -> list[ReportInfo]:
        with self._conn() as conn:
            rows = conn.execute(
                f"SELECT {COLUMNS} FROM reports ORDER BY added_at, source"
            ).fetchall()
        return [_to_info(r) for r in rows]

    def set_path(self, source: str, path: str) -> None:
        """Record where an unchanged report's file now is (moved, or replaced by an upload)."""
        with self._conn() as conn:
            conn.execute("UPDATE reports SET path = ? WHERE source = ?", (path, source))

    def set_extraction(self, source: str, input_hash: str, extraction: str) -> None:
        """Record that an unchanged report was extracted again with ``extraction`` (same
        chunks), so the next run need not extract it."""
        with self._conn() as conn:
            conn.execute(
                "UPDATE reports SET input_hash = ?, extraction = ? WHERE source = ?",
                (input_hash, extraction, source),
            )

    @staticmethod
    def upsert(conn: sqlite3.Connection, info: ReportInfo) -> None:
        """Insert or replace a row inside the caller's transaction (keeps added_at)."""
        conn.execute(
            f"""INSERT INTO reports ({COLUMNS})
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT(source) DO UPDATE SET
                 title=excluded.title, path=excluded.path, doc_hash=excluded.doc_hash,
                 fingerprint=excluded.fingerprint, chunks=excluded.chunks,
                 updated_at=excluded.updated_at, metadata=excluded.metadata,
                 input_hash=excluded.input_hash, extraction=excluded.extraction""",
            (
                info.source,
                info.title,
                info.path,
                info.doc_hash,
                info.fingerprint,
                info.chunks,
                info.added_at,
                info.updated_at,
                json.dumps(info.metadata, ensure_ascii=False),
                info.input_hash,
                info.extraction,
            ),
        )

    @staticmethod
    def delete(conn: sqlite3.Connection, source: str) -> None:
        conn.execute("DELETE FROM reports WHERE source = ?", (source,))


def _to_info(row: tuple) -> ReportInfo:
    (source, title, path, doc_hash, fingerprint, chunks, added_at, updated_at, metadata) = row[:9]
    input_hash, extraction = row[9:]
    return ReportInfo(
        source,
        title,
        path,
        doc_hash,
        fingerprint,
        chunks,
        added_at,
        updated_at,
        json.loads(metadata or "{}"),
        input_hash,
        extraction,
    )
