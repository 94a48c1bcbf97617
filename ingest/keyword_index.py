"""Persistent BM25 keyword index over chunks, stored in the catalog's SQLite file.

The ``kw_chunks`` table is the commit record of what is searchable: the ingest writes a
report's rows (and, through ``conn``, its catalog row) in one transaction, and the app's
retriever only returns chunks present here. BM25 statistics live in memory, are built lazily
from the table and rebuilt when ``kw_meta.generation`` changes (every write bumps it, in
whichever process it happens), so readers see new reports without restarting.

Safe across processes: WAL mode (readers never block the one writer), a busy timeout, and
all writes in one transaction each.

BM25 is scored here, not by the bm25s library: on the same rows bm25s ranks every question
of every set identically (bench/keyword_backends.py, bench/RESULTS.md section 8), answers a
search faster (p50 0.81x at 10,000 chunks, 0.71x at 50,000) and keeps less memory (0.57x,
0.52x), but it takes 2.05x / 2.34x as long to build the statistics (9.9 s -> 23.2 s at
50,000 chunks, paid after every ingest) and needs 2.05x the memory while building (1.26 GB
-> 2.59 GB at 50,000, beyond the 1.5 GB target), so it is no better on latency and memory.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ingest.records import Chunk
from ingest.sqlite import BUSY_TIMEOUT_S, connect, write_transaction
from ingest.tokenizer import DEFAULT_MODE, MODES, entity_terms, tokenize

BM25_K1 = 1.2
BM25_B = 0.75
_ID_BATCH = 500  # stays far below SQLite's bound-parameter limit
# What a row's tokens were made from. "2": title + section heading + text (Chunk.indexed_text);
# "3": the same, tokenized with the one kanji class of ingest.japanese (〇 is no longer a
# kanji, ヵ/ヶ are). Rows of an older format are re-tokenized by the ingest's reconcile
# (needs_rebuild()).
ROW_FORMAT = "3"

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS kw_chunks (
        chunk_id TEXT PRIMARY KEY,
        source TEXT NOT NULL,
        text TEXT NOT NULL,
        metadata TEXT NOT NULL,
        tokens TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS kw_chunks_source ON kw_chunks(source)",
    "CREATE TABLE IF NOT EXISTS kw_meta (key TEXT PRIMARY KEY, value)",
    # One row per chunk: the embedding of each of its sentences (ingest.chunking's split),
    # float16, row-major. The reader compares them with the question (assistant.reader).
    """CREATE TABLE IF NOT EXISTS kw_sentences (
        chunk_id TEXT PRIMARY KEY,
        source TEXT NOT NULL,
        dim INTEGER NOT NULL,
        vectors BLOB NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS kw_sentences_source ON kw_sentences(source)",
    "INSERT OR IGNORE INTO kw_meta (key, value) VALUES ('generation', 0)",
)


@dataclass(frozen=True)
class Bm25:
    """BM25 weights of one generation of the table, term-major (CSR-like) for fast scoring.

    The postings of term ``t`` are ``docs[indptr[t]:indptr[t+1]]`` with precomputed
    ``weights`` (idf * saturated, length-normalised tf), so a query is a sum of slices.
    """

    generation: int
    mode: str
    chunk_ids: list[str]
    doc_sources: np.ndarray  # source code per document
    source_codes: dict[str, int]
    vocabulary: dict[str, int]
    indptr: np.ndarray
    docs: np.ndarray
    weights: np.ndarray

    def scores(self, tokens: Iterable[str]) -> np.ndarray:
        term_ids = {self.vocabulary[t] for t in tokens if t in self.vocabulary}
        if not term_ids:
            return np.zeros(len(self.chunk_ids))
        spans = [slice(self.indptr[t], self.indptr[t + 1]) for t in sorted(term_ids)]
        docs = np.concatenate([self.docs[s] for s in spans])
        weights = np.concatenate([self.weights[s] for s in spans])
        return np.bincount(docs, weights=weights, minlength=len(self.chunk_ids))

    def top(
        self, tokens: Iterable[str], k: int, sources: Iterable[str] | None = None
    ) -> list[tuple[str, float]]:
        """Best ``k`` (chunk_id, score) with a positive score, optionally within ``sources``."""
        if k <= 0 or not self.chunk_ids:
            return []
        scores = self.scores(tokens)
        if sources is not None:
            scores = np.where(self.source_mask(sources), scores, 0.0)
        hits = np.flatnonzero(scores > 0)
        if len(hits) > k:
            hits = hits[np.argpartition(-scores[hits], k - 1)[:k]]
        # Best score first; equal scores in table order so results are deterministic.
        hits = hits[np.lexsort((hits, -scores[hits]))]
        return [(self.chunk_ids[i], float(scores[i])) for i in hits]

    def source_mask(self, sources: Iterable[str]) -> np.ndarray:
        codes = [self.source_codes[s] for s in sources if s in self.source_codes]
        return np.isin(self.doc_sources, codes)


def build_report_bm25(generation: int, mode: str, rows: list[tuple[str, str, str]]) -> Bm25:
    """BM25 over whole reports: one document per source, the tokens of all its chunks.

    Its ``chunk_ids`` are source names. Scored with a question's entity terms it says
    which report a question is about (the report prior in retrieval).
    """
    by_source: dict[str, list[str]] = {}
    for _, source, tokens in rows:
        by_source.setdefault(source, []).append(tokens)
    return build_bm25(
        generation, mode, [(source, source, " ".join(t)) for source, t in by_source.items()]
    )


def build_bm25(generation: int, mode: str, rows: list[tuple[str, str, str]]) -> Bm25:
    """BM25 Okapi statistics from (chunk_id, source, space-joined tokens) rows.

    Public so bench/tokenization.py can score tokenizer variants with the same code.
    """
    vocabulary: dict[str, int] = {}
    source_codes: dict[str, int] = {}
    term_ids: list[int] = []
    lengths = np.zeros(len(rows), dtype=np.int64)
    for doc, (_, source, tokens) in enumerate(rows):
        words = tokens.split()
        lengths[doc] = len(words)
        term_ids.extend([vocabulary.setdefault(w, len(vocabulary)) for w in words])
        source_codes.setdefault(source, len(source_codes))
    n_docs, n_terms = len(rows), len(vocabulary)
    doc_of_token = np.repeat(np.arange(n_docs, dtype=np.int64), lengths)
    # One key per (term, doc) pair: np.unique sorts them term-major and counts tf at once.
    keys, tf = np.unique(
        np.asarray(term_ids, dtype=np.int64) * max(n_docs, 1) + doc_of_token, return_counts=True
    )
    terms, docs = np.divmod(keys, max(n_docs, 1))
    df = np.bincount(terms, minlength=n_terms)
    idf = np.log((n_docs - df + 0.5) / (df + 0.5) + 1.0)  # Lucene's form: never negative
    avgdl = lengths.mean() if n_docs else 1.0
    norm = BM25_K1 * (1.0 - BM25_B + BM25_B * lengths[docs] / max(avgdl, 1e-9))
    weights = idf[terms] * tf * (BM25_K1 + 1.0) / (tf + norm)
    indptr = np.zeros(n_terms + 1, dtype=np.int64)
    np.cumsum(df, out=indptr[1:])
    return Bm25(
        generation=generation,
        mode=mode,
        chunk_ids=[row[0] for row in rows],
        doc_sources=np.asarray([source_codes[row[1]] for row in rows], dtype=np.int64),
        source_codes=source_codes,
        vocabulary=vocabulary,
        indptr=indptr,
        docs=docs,
        weights=weights,
    )


class KeywordIndex:
    """BM25 over the ``kw_chunks`` table of the SQLite file at ``path``.

    ``mode`` is the tokenizer mode new indexes are built with. An existing index keeps the
    mode its rows were tokenized with (stored in ``kw_meta``), for writes and queries alike,
    until ``rebuild`` re-tokenizes everything; ``needs_rebuild()`` says when that is due.
    """

    def __init__(self, path: Path | str, mode: str = DEFAULT_MODE):
        if mode not in MODES:
            raise ValueError(f"unknown tokenizer mode {mode!r}; use one of {', '.join(MODES)}")
        self.path = Path(path)
        self.mode = mode
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.RLock()
        self._bm25: tuple[Bm25, Bm25] | None = None

    # -- connection and transactions -------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        """Opened on first use, so ``check()`` works even when the file is corrupt."""
        if self._conn is None:
            conn = connect(self.path)
            try:
                self._create_schema(conn)
            except BaseException:
                conn.close()
                raise
            self._conn = conn
        return self._conn

    def _create_schema(self, conn: sqlite3.Connection) -> None:
        # Readers (the app) must not queue for the write lock behind an ingest: write only
        # when something is missing.
        if _has_schema(conn):
            return
        for statement in _SCHEMA:
            conn.execute(statement)
        conn.execute(
            "INSERT OR IGNORE INTO kw_meta (key, value) VALUES ('tokenizer_mode', ?)",
            (self.mode,),
        )
        _set_row_format(conn)

    @contextmanager
    def _writing(self, conn: sqlite3.Connection | None) -> Iterator[sqlite3.Connection]:
        """All-or-nothing write: our own transaction, or a savepoint in the caller's.

        With a caller's ``conn`` nothing is committed here: if it has no open transaction
        we open one, and the caller commits (or rolls back) our rows with its own.
        """
        if conn is None:
            with self._lock, write_transaction(self._connection()) as own:
                yield own
            return
        if not conn.in_transaction:
            conn.execute("BEGIN IMMEDIATE")
        conn.execute("SAVEPOINT kw_write")
        try:
            self._create_schema(conn)
            yield conn
        except BaseException:
            conn.execute("ROLLBACK TO kw_write")
            conn.execute("RELEASE kw_write")
            raise
        conn.execute("RELEASE kw_write")

    def _read(self, sql: str, params: Iterable = ()) -> list[tuple]:
        with self._lock:
            return self._connection().execute(sql, tuple(params)).fetchall()

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            self._bm25 = None

    def __enter__(self) -> KeywordIndex:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # -- writes ------------------------------------------------------------------------------

    def replace_source(
        self,
        source: str,
        chunks: Iterable[Chunk],
        conn: sqlite3.Connection | None = None,
        sentence_vectors: Mapping[str, np.ndarray] | None = None,
    ) -> None:
        """Make ``chunks`` the only rows of ``source`` (an empty list removes it), with the
        sentence embeddings of each chunk (chunk_id -> sentences x dim) when given."""
        chunks = list(chunks)
        strays = sorted({c.source for c in chunks} - {source})
        if strays:
            raise ValueError(
                f"replace_source({source!r}) got chunks of other sources: {', '.join(strays)}"
            )
        with self._writing(conn) as db:
            rows = self._rows(chunks, self._write_mode(db, source))
            db.execute("DELETE FROM kw_chunks WHERE source = ?", (source,))
            db.executemany("INSERT INTO kw_chunks VALUES (?, ?, ?, ?, ?)", rows)
            db.execute("DELETE FROM kw_sentences WHERE source = ?", (source,))
            if sentence_vectors:
                db.executemany(
                    "INSERT INTO kw_sentences VALUES (?, ?, ?, ?)",
                    _vector_rows(source, sentence_vectors),
                )
            _bump_generation(db)

    def chunks_without_sentence_vectors(self) -> list[Chunk]:
        ids = [
            row[0]
            for row in self._read(
                "SELECT chunk_id FROM kw_chunks WHERE chunk_id NOT IN (SELECT chunk_id FROM kw_sentences)"
            )
        ]
        return self.get(ids)

    def add_sentence_vectors(self, source: str, vectors: Mapping[str, np.ndarray]) -> None:
        with self._writing(None) as db:
            db.executemany(
                "INSERT OR REPLACE INTO kw_sentences VALUES (?, ?, ?, ?)",
                _vector_rows(source, vectors),
            )

    def sentence_vectors(self, ids: Iterable[str]) -> dict[str, np.ndarray]:
        """chunk_id -> the embeddings of its sentences (float32, sentences x dim), for the
        chunks that have them."""
        ids = list(dict.fromkeys(ids))
        out: dict[str, np.ndarray] = {}
        for start in range(0, len(ids), _ID_BATCH):
            batch = ids[start : start + _ID_BATCH]
            marks = ",".join("?" * len(batch))
            rows = self._read(
                f"SELECT chunk_id, dim, vectors FROM kw_sentences WHERE chunk_id IN ({marks})",
                batch,
            )
            for chunk_id, dim, blob in rows:
                out[chunk_id] = (
                    np.frombuffer(blob, dtype=np.float16).reshape(-1, dim).astype(np.float32)
                )
        return out

    def remove_source(self, source: str, conn: sqlite3.Connection | None = None) -> int:
        """Delete the rows of ``source``; returns how many there were."""
        with self._writing(conn) as db:
            removed = db.execute("DELETE FROM kw_chunks WHERE source = ?", (source,)).rowcount
            db.execute("DELETE FROM kw_sentences WHERE source = ?", (source,))
            if removed:
                _bump_generation(db)
        return removed

    def rebuild(self, chunks: Iterable[Chunk], conn: sqlite3.Connection | None = None) -> int:
        """Replace every row with ``chunks``, tokenized with this index's ``mode``."""
        rows = self._rows(chunks, self.mode)  # tokenize before taking the write lock
        with self._writing(conn) as db:
            db.execute("DELETE FROM kw_chunks")
            db.executemany("INSERT INTO kw_chunks VALUES (?, ?, ?, ?, ?)", rows)
            # sentence vectors of chunks that are gone go too; the others stay valid
            db.execute(
                "DELETE FROM kw_sentences WHERE chunk_id NOT IN (SELECT chunk_id FROM kw_chunks)"
            )
            db.execute(
                "INSERT OR REPLACE INTO kw_meta (key, value) VALUES ('tokenizer_mode', ?)",
                (self.mode,),
            )
            _set_row_format(db)
            _bump_generation(db)
        return len(rows)

    def _write_mode(self, db: sqlite3.Connection, source: str) -> str:
        """The stored mode, so one index never mixes two tokenizations; when ``source`` is
        all there is (or nothing is), switch to ``self.mode`` for free."""
        others = db.execute(
            "SELECT 1 FROM kw_chunks WHERE source != ? LIMIT 1", (source,)
        ).fetchone()
        if others is None:
            db.execute(
                "INSERT OR REPLACE INTO kw_meta (key, value) VALUES ('tokenizer_mode', ?)",
                (self.mode,),
            )
            _set_row_format(db)
            return self.mode
        return _stored_mode(db) or self.mode

    @staticmethod
    def _rows(chunks: Iterable[Chunk], mode: str) -> list[tuple[str, str, str, str, str]]:
        return [
            (
                c.chunk_id,
                c.source,
                c.text,
                json.dumps(c.metadata(), ensure_ascii=False),
                " ".join(tokenize(c.indexed_text(), mode)),
            )
            for c in chunks
        ]

    # -- reads -------------------------------------------------------------------------------

    def count(self) -> int:
        return self._read("SELECT count(*) FROM kw_chunks")[0][0]

    def chunk_ids(self) -> set[str]:
        return {row[0] for row in self._read("SELECT chunk_id FROM kw_chunks")}

    def sources(self) -> list[str]:
        return [row[0] for row in self._read("SELECT DISTINCT source FROM kw_chunks ORDER BY 1")]

    def get(self, ids: Iterable[str]) -> list[Chunk]:
        """Chunks for ``ids`` in the given order; ids not in the index are skipped."""
        ids = list(dict.fromkeys(ids))
        found: dict[str, Chunk] = {}
        for start in range(0, len(ids), _ID_BATCH):
            batch = ids[start : start + _ID_BATCH]
            marks = ",".join("?" * len(batch))
            sql = f"SELECT chunk_id, text, metadata FROM kw_chunks WHERE chunk_id IN ({marks})"
            for chunk_id, text, metadata in self._read(sql, batch):
                found[chunk_id] = Chunk.from_metadata(text, json.loads(metadata))
        return [found[i] for i in ids if i in found]

    def chunks_of(self, source: str) -> list[Chunk]:
        """Every chunk of one report, in the order of its text."""
        rows = self._read("SELECT text, metadata FROM kw_chunks WHERE source = ?", (source,))
        chunks = [Chunk.from_metadata(text, json.loads(metadata)) for text, metadata in rows]
        return sorted(chunks, key=lambda c: (c.start, c.chunk_id))

    def all_chunks(self) -> Iterator[Chunk]:
        """Every chunk, in insertion order, read page by page (no lock held between pages)."""
        last_rowid = 0
        while True:
            page = self._read(
                "SELECT rowid, text, metadata FROM kw_chunks WHERE rowid > ? ORDER BY rowid"
                f" LIMIT {_ID_BATCH}",
                (last_rowid,),
            )
            for _, text, metadata in page:
                yield Chunk.from_metadata(text, json.loads(metadata))
            if len(page) < _ID_BATCH:
                return
            last_rowid = page[-1][0]

    def generation(self) -> int:
        return int(self._read("SELECT value FROM kw_meta WHERE key = 'generation'")[0][0])

    def stored_mode(self) -> str:
        """The tokenizer mode the stored rows were built with."""
        with self._lock:
            return _stored_mode(self._connection()) or self.mode

    def needs_rebuild(self) -> bool:
        """True when the stored rows were tokenized with a mode other than ``self.mode``, or
        from other text than ``ROW_FORMAT`` says (an index written by an older version)."""
        with self._lock:
            stored_format = _stored_row_format(self._connection())
        return self.stored_mode() != self.mode or stored_format != ROW_FORMAT

    def check(self) -> bool:
        """False when the SQLite file is corrupt (then rebuild it from Chroma)."""
        if not self.path.exists():
            return True  # nothing stored yet is not damage
        try:
            with closing(sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S)) as conn:
                result = conn.execute("PRAGMA quick_check").fetchall()
                if result != [("ok",)]:
                    return False
                conn.execute("SELECT count(*) FROM kw_chunks").fetchone()
        except sqlite3.DatabaseError as exc:
            # A fresh file without our tables is fine; anything else is damage.
            return "no such table" in str(exc)
        return True

    # -- search ------------------------------------------------------------------------------

    def search(
        self, query: str, k: int, sources: Iterable[str] | None = None
    ) -> list[tuple[str, float]]:
        """Top ``k`` (chunk_id, BM25 score) for ``query``, best first; only chunks that share
        a token with the query. ``sources`` restricts the hits to those reports."""
        bm25, _ = self._current_bm25()
        return bm25.top(tokenize(query, bm25.mode), k, sources)

    def report_scores(self, query: str, sources: Iterable[str] | None = None) -> dict[str, float]:
        """BM25 of each report (``sources`` only, when given) for the names ``query`` mentions
        (``entity_terms``); ``{}`` when it names nothing any report contains.

        Whole reports are scored, not chunks: 「四日市市」 appears in the title of its report
        but rarely in the chunk that answers, so the report is the unit that knows the name.
        """
        _, reports = self._current_bm25()
        tokens = [t for term in entity_terms(query) for t in tokenize(term, reports.mode)]
        scores = reports.scores(tokens)
        if sources is not None:
            scores = np.where(reports.source_mask(sources), scores, 0.0)
        return {s: float(v) for s, v in zip(reports.chunk_ids, scores, strict=True) if v > 0}

    def refresh(self) -> None:
        """Bring the in-memory statistics up to date now (a no-op when they are), so that a
        process which just changed the index pays the rebuild instead of the next
        question: 3 s at 10,000 chunks, 13 s at 50,000 (bench/RESULTS.md)."""
        self._current_bm25()

    def _current_bm25(self) -> tuple[Bm25, Bm25]:
        """The cached statistics (chunks, reports), rebuilt when the generation moved (a cheap
        one-row read)."""
        with self._lock:
            generation = self.generation()
            if self._bm25 is None or self._bm25[0].generation != generation:
                self._bm25 = self._load_bm25()
            return self._bm25

    def _load_bm25(self) -> tuple[Bm25, Bm25]:
        conn = self._connection()
        conn.execute("BEGIN")  # one snapshot: the rows belong to the generation we record
        try:
            generation = int(
                conn.execute("SELECT value FROM kw_meta WHERE key = 'generation'").fetchone()[0]
            )
            mode = _stored_mode(conn) or self.mode
            rows = conn.execute(
                "SELECT chunk_id, source, tokens FROM kw_chunks ORDER BY rowid"
            ).fetchall()
        finally:
            conn.execute("COMMIT")
        return build_bm25(generation, mode, rows), build_report_bm25(generation, mode, rows)


def _vector_rows(source: str, vectors: Mapping[str, np.ndarray]) -> list[tuple]:
    return [
        (chunk_id, source, int(matrix.shape[1]), np.asarray(matrix, dtype=np.float16).tobytes())
        for chunk_id, matrix in vectors.items()
        if matrix.size
    ]


def _has_schema(conn: sqlite3.Connection) -> bool:
    tables = conn.execute(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
        " AND name IN ('kw_chunks', 'kw_meta', 'kw_sentences')"
    ).fetchone()[0]
    return tables == 3 and _stored_mode(conn) is not None


def _stored_mode(conn: sqlite3.Connection) -> str | None:
    row = conn.execute("SELECT value FROM kw_meta WHERE key = 'tokenizer_mode'").fetchone()
    return row[0] if row else None


def _stored_row_format(conn: sqlite3.Connection) -> str | None:
    row = conn.execute("SELECT value FROM kw_meta WHERE key = 'row_format'").fetchone()
    return row[0] if row else None


def _set_row_format(conn: sqlite3.Connection) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO kw_meta (key, value) VALUES ('row_format', ?)", (ROW_FORMAT,)
    )


def _bump_generation(conn: sqlite3.Connection) -> None:
    conn.execute("UPDATE kw_meta SET value = value + 1 WHERE key = 'generation'")
