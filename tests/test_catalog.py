"""The report catalog: a data dir written before extraction versions keeps working."""

from __future__ import annotations

import sqlite3

from ingest import catalog

# The table as catalogs were written before the input hash and extraction version existed.
OLD_SCHEMA = """
CREATE TABLE reports (
    source TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    path TEXT NOT NULL,
    doc_hash TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    chunks INTEGER NOT NULL,
    added_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    metadata TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX reports_doc_hash ON reports(doc_hash);
INSERT INTO reports VALUES ('a.txt', 'A', '/r/a.txt', 'h', 'f', 3, 't0', 't1', '{"date": "2012"}');
"""


def old_catalog(tmp_path):
    path = tmp_path / "catalog.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript(OLD_SCHEMA)
    conn.close()
    return path


def test_an_old_catalog_gains_the_new_columns_and_keeps_its_rows(tmp_path):
    path = old_catalog(tmp_path)

    info = catalog.Catalog(path).get("a.txt")

    assert info == catalog.ReportInfo(
        "a.txt", "A", "/r/a.txt", "h", "f", 3, "t0", "t1", {"date": "2012"}, "", ""
    )
    conn = sqlite3.connect(path)
    columns = [row[1] for row in conn.execute("PRAGMA table_info(reports)")]
    conn.close()
    assert columns[-2:] == ["input_hash", "extraction"]


def test_what_a_report_was_made_from_is_stored_and_updated(tmp_path):
    path = old_catalog(tmp_path)
    reports = catalog.Catalog(path)

    reports.set_extraction("a.txt", "inputs-1", "txt:2")
    assert (reports.get("a.txt").input_hash, reports.get("a.txt").extraction) == (
        "inputs-1",
        "txt:2",
    )
    with catalog.writing(path) as conn:
        catalog.Catalog.upsert(
            conn,
            catalog.ReportInfo(
                "b.pdf", "B", "/r/b.pdf", "h2", "f2", 1, "t2", "t2", {}, "inputs-2", "pdf:2"
            ),
        )
    assert [(r.source, r.extraction) for r in reports.all()] == [
        ("a.txt", "txt:2"),
        ("b.pdf", "pdf:2"),
    ]
    assert reports.find_by_doc_hash("h2").input_hash == "inputs-2"


def test_opening_a_current_catalog_twice_adds_nothing(tmp_path):
    path = tmp_path / "catalog.sqlite3"
    catalog.connect(path).close()
    catalog.connect(path).close()

    conn = sqlite3.connect(path)
    columns = [row[1] for row in conn.execute("PRAGMA table_info(reports)")]
    conn.close()
    assert columns.count("extraction") == 1 and columns.count("input_hash") == 1
