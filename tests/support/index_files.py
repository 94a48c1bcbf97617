"""Report folders and index folders for fault tests: copies, locks and damage."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import CONFUSABLE_REPORTS, SEED_REPORT


def copy_reports(folder: Path) -> Path:
    """The seed report (with its metadata sidecar) and the seven confusable fixture reports,
    in one folder."""
    folder.mkdir(parents=True)
    for path in [SEED_REPORT, *SEED_REPORT.parent.glob(SEED_REPORT.name + ".meta.json")]:
        shutil.copy(path, folder / path.name)
    for path in CONFUSABLE_REPORTS:
        shutil.copy(path, folder / path.name)
    return folder


def copy_index(source: Path, target: Path) -> Path:
    """A copy of an idle data dir (Chroma replays its own log on open, SQLite has WAL)."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("ingest.lock"))
    return target


def move_reports(catalog: Path, old: Path, new: Path) -> None:
    """Record in a copied index that its reports now live in ``new`` (a copy of ``old``), as
    a re-ingest after moving the folder there would. A report is its file: without this, a
    changed copy elsewhere would be indexed as another report, not replace the original."""
    old_dir, new_dir = os.path.realpath(old) + os.sep, os.path.realpath(new) + os.sep
    with contextlib.closing(sqlite3.connect(catalog, timeout=30)) as conn, conn:
        conn.execute(
            "UPDATE reports SET path = ? || substr(path, ?) WHERE substr(path, 1, ?) = ?",
            (new_dir, len(old_dir) + 1, len(old_dir), old_dir),
        )


def committed_reports(catalog: Path) -> dict[str, str]:
    """source -> fingerprint of the reports committed so far (read-only; {} before any)."""
    if not catalog.exists():
        return {}
    with contextlib.closing(
        sqlite3.connect(f"file:{catalog}?mode=ro", uri=True, timeout=30)
    ) as conn:
        try:
            return dict(conn.execute("SELECT source, fingerprint FROM reports").fetchall())
        except sqlite3.OperationalError:
            return {}  # the table is not created yet


@contextlib.contextmanager
def catalog_write_lock(catalog: Path) -> Iterator[None]:
    """Hold SQLite's write lock on the catalog: an ingest stops at its next catalog write.

    Reads go on (WAL), so the ingest keeps embedding and writing to Chroma until it needs
    to record what it wrote; that is the moment a kill is most dangerous.
    """
    conn = sqlite3.connect(catalog, timeout=30, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        yield
        conn.execute("ROLLBACK")
    finally:
        conn.close()


def corrupt_catalog(catalog: Path, how: str) -> None:
    """Damage the catalog file the way disks and people do."""
    if how == "deleted":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{catalog}{suffix}").unlink(missing_ok=True)
        return
    _checkpoint(catalog)
    data = bytearray(catalog.read_bytes())
    if how == "garbage":
        data = bytearray(b"this is not a database" * (len(data) // 22))
    elif how == "truncated":
        data = data[: len(data) // 3]
    elif how == "torn_pages":
        page = int.from_bytes(data[16:18], "big") or 65536
        for start in range(2 * page, len(data), 3 * page):  # keep the header page intact
            data[start : start + page] = b"\xde\xad\xbe\xef" * (page // 4)
    else:
        raise ValueError(how)
    catalog.write_bytes(bytes(data))


def drop_table(catalog: Path, table: str) -> None:
    """A table that vanished (an old backup restored, a tool run against the file)."""
    with contextlib.closing(sqlite3.connect(catalog, isolation_level=None)) as conn:
        conn.execute(f"DROP TABLE {table}")
    _checkpoint(catalog)


def _checkpoint(catalog: Path) -> None:
    """Move everything from the WAL into the main file, so damaging it damages the data."""
    with contextlib.closing(sqlite3.connect(catalog, isolation_level=None)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for suffix in ("-wal", "-shm"):
        Path(f"{catalog}{suffix}").unlink(missing_ok=True)
