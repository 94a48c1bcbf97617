"""The catalog file's connections and its one transaction helper: all of a block's writes
or none, whatever ends the block."""

from __future__ import annotations

import sqlite3

import pytest

from ingest import catalog
from ingest.sqlite import connect, write_transaction


@pytest.fixture
def conn(tmp_path):
    conn = connect(tmp_path / "sub" / "catalog.sqlite3")
    conn.execute("CREATE TABLE t (x INTEGER)")
    yield conn
    conn.close()


def rows(conn) -> list[int]:
    return [x for (x,) in conn.execute("SELECT x FROM t ORDER BY x")]


def test_connections_use_wal_and_wait_for_a_busy_writer(tmp_path, conn):
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 30000
    assert conn.isolation_level is None  # explicit transactions only


def test_a_block_that_ends_commits_its_writes(conn):
    with write_transaction(conn) as db:
        db.execute("INSERT INTO t VALUES (1)")
        db.execute("INSERT INTO t VALUES (2)")
    assert not conn.in_transaction
    assert rows(conn) == [1, 2]


@pytest.mark.parametrize("error", [ValueError("bad row"), KeyboardInterrupt()])
def test_a_block_that_raises_writes_nothing(conn, error):
    with pytest.raises(type(error)), write_transaction(conn) as db:
        db.execute("INSERT INTO t VALUES (1)")
        raise error
    assert not conn.in_transaction
    assert rows(conn) == []


def test_the_write_lock_is_taken_at_the_start(tmp_path, conn):
    other = sqlite3.connect(tmp_path / "sub" / "catalog.sqlite3", timeout=0)
    try:
        with write_transaction(conn), pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
    finally:
        other.close()


def test_catalog_writes_commit_together_or_not_at_all(tmp_path):
    path = tmp_path / "catalog.sqlite3"
    info = catalog.ReportInfo("a.txt", "A", "/r/a.txt", "h", "f", 1, "t", "t", {})
    with catalog.writing(path) as db:
        catalog.Catalog.upsert(db, info)
    with pytest.raises(RuntimeError), catalog.writing(path) as db:
        catalog.Catalog.delete(db, "a.txt")
        raise RuntimeError("killed mid-way")
    assert [r.source for r in catalog.Catalog(path).all()] == ["a.txt"]
