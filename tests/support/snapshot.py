"""What an index holds, read without changing it, and the rules a healthy index obeys.

``python -m tests.support.snapshot`` prints the snapshot of the index that the
``REPORTS_*`` environment describes as JSON: tests read indexes written by other processes
through it, so no Chroma client of the test process ever caches a stale view.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from contextlib import closing
from dataclasses import asdict, dataclass, field
from pathlib import Path

DENSE_PROBE_K = 5  # a stored vector must find its own chunk among this many neighbours


@dataclass(frozen=True)
class IndexSnapshot:
    """Chroma's chunks, the keyword index, the record manager and the catalog of one index.

    ``chroma``: id -> document text; ``metadata``: id -> Chroma metadata; ``records``:
    record-manager key -> group (the report); ``reports``: source -> catalog facts;
    ``keyword``: chunk id -> source; ``lost_vectors``: ids Chroma lists whose vector does
    not find them again (an HNSW index that lost writes).
    """

    chroma: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, dict] = field(default_factory=dict)
    keyword: dict[str, str] = field(default_factory=dict)
    records: dict[str, str] = field(default_factory=dict)
    reports: dict[str, dict] = field(default_factory=dict)
    lost_vectors: list[str] = field(default_factory=list)

    def committed_problems(self) -> list[str]:
        """Broken rules that must hold at every instant, even right after a kill -9."""
        problems = []
        unstored = set(self.keyword) - set(self.chroma)
        if unstored:
            problems.append(f"{len(unstored)} committed chunks are missing from Chroma")
        keyword_sources = set(self.keyword.values())
        if keyword_sources != set(self.reports):
            problems.append(
                f"catalog lists {sorted(self.reports)} but the keyword index holds {sorted(keyword_sources)}"
            )
        for source, facts in self.reports.items():
            rows = sum(1 for s in self.keyword.values() if s == source)
            if rows != facts["chunks"]:
                problems.append(
                    f"{source}: catalog says {facts['chunks']} chunks, keyword index has {rows}"
                )
        if self.lost_vectors:
            problems.append(
                f"{len(self.lost_vectors)} Chroma ids cannot be found by their own vector"
            )
        return problems

    def at_rest_problems(self) -> list[str]:
        """Broken rules after a run finished: the three stores hold exactly the same chunks."""
        problems = self.committed_problems()
        if set(self.chroma) != set(self.keyword):
            problems.append(
                f"Chroma and keyword index differ: {len(set(self.chroma) - set(self.keyword))} only in "
                f"Chroma, {len(set(self.keyword) - set(self.chroma))} only in the keyword index"
            )
        if set(self.records) != set(self.chroma):
            problems.append(
                f"record manager and Chroma differ: {len(set(self.records) - set(self.chroma))} stale "
                f"keys, {len(set(self.chroma) - set(self.records))} unrecorded chunks"
            )
        return problems

    def comparable(self) -> dict:
        """What two indexes of the same reports must share, whatever their history."""
        return {
            "chroma": self.chroma,
            "metadata": self.metadata,
            "keyword": self.keyword,
            "records": self.records,
            "reports": {
                s: {k: v for k, v in f.items() if k != "fingerprint"}
                for s, f in self.reports.items()
            },
        }

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> IndexSnapshot:
        return cls(**json.loads(text))


def take_snapshot(settings) -> IndexSnapshot:
    """Read every store of the index ``settings`` points at (Chroma embedded or server)."""
    from ingest import store

    collection = store.open_collection(settings)
    chroma, metadata, vectors = {}, {}, {}
    offset = 0
    while True:
        batch = collection.get(
            include=["documents", "metadatas", "embeddings"], limit=500, offset=offset
        )
        for chunk_id, text, meta, vector in zip(
            batch["ids"], batch["documents"], batch["metadatas"], batch["embeddings"], strict=True
        ):
            chroma[chunk_id], metadata[chunk_id], vectors[chunk_id] = text, meta, list(vector)
        if len(batch["ids"]) < 500:
            break
        offset += 500
    return IndexSnapshot(
        chroma=chroma,
        metadata=metadata,
        keyword=_keyword_rows(settings.catalog_path),
        records=_record_keys(settings.catalog_path, settings.collection),
        reports=_reports(settings.catalog_path),
        lost_vectors=_lost_vectors(collection, vectors),
    )


def snapshot_in_subprocess(settings, timeout: float = 120.0) -> IndexSnapshot:
    """``take_snapshot`` in a fresh process (no cached Chroma state of this one)."""
    from tests.support.processes import cli_env, run_cli

    log_dir = Path(settings.data_dir).parent / "logs"
    code, out, err = run_cli(
        ["tests.support.snapshot"], cli_env(settings), log_dir, "snapshot", timeout
    )
    assert code == 0, f"snapshot failed ({code}):\n{err}"
    return IndexSnapshot.from_json(out)


def _lost_vectors(collection, vectors: dict[str, list[float]]) -> list[str]:
    if not vectors:
        return []
    ids = list(vectors)
    found = collection.query(
        query_embeddings=[vectors[i] for i in ids],
        n_results=min(DENSE_PROBE_K, len(ids)),
        include=[],
    )["ids"]
    return sorted(i for i, hits in zip(ids, found, strict=True) if i not in hits)


def _read_only(path: Path) -> sqlite3.Connection | None:
    if not path.exists():
        return None
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)


def _table_rows(path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    conn = _read_only(path)
    if conn is None:
        return []
    with closing(conn):
        try:
            return conn.execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return []
            raise


def _keyword_rows(path: Path) -> dict[str, str]:
    return dict(_table_rows(path, "SELECT chunk_id, source FROM kw_chunks"))


def _record_keys(path: Path, collection: str) -> dict[str, str]:
    return dict(
        _table_rows(
            path,
            "SELECT key, group_id FROM upsertion_record WHERE namespace = ?",
            (f"chroma/{collection}",),
        )
    )


def _reports(path: Path) -> dict[str, dict]:
    rows = _table_rows(path, "SELECT source, doc_hash, fingerprint, chunks FROM reports")
    return {s: {"doc_hash": h, "fingerprint": f, "chunks": n} for s, h, f, n in rows}


def main() -> int:
    from ingest.settings import Settings

    print(take_snapshot(Settings.from_env()).to_json())
    return 0


if __name__ == "__main__":
    sys.exit(main())
