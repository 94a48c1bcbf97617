"""Ingestion: load -> repair -> chunk each file -> embed into Chroma + keyword index.

Files are prepared one by one and written in windows of about ``write_batch`` chunks (one
embedding call and one Chroma write for several reports).

Consistency rule: the keyword index (SQLite, transactional) is the commit record. A window's
new chunks are first written to Chroma (through LangChain's indexing API, which skips chunks
already stored), then each file's keyword rows and catalog row are committed in one
transaction, and only then are that file's stale chunks deleted from Chroma. A run killed at
any point leaves at worst orphan vectors, which ``reconcile`` removes at the start of the
next run; the retriever never shows a chunk the keyword index does not hold.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import logging
import os
import stat
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

import numpy as np
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from ingest import store
from ingest.catalog import Catalog, ReportInfo, now_iso, writing
from ingest.chunking import chunk_report, split_sentences
from ingest.keyword_index import KeywordIndex
from ingest.loaders import SUPPORTED_EXTENSIONS, extraction_version, load_report, sidecar_path
from ingest.records import Chunk, FileOutcome, IngestError, Outcome
from ingest.repair import repair
from ingest.settings import Settings

log = logging.getLogger(__name__)

# Bump when repair or chunking change their output: every report is then extracted and
# chunked again (a file whose bytes, sidecar, settings and extraction version are unchanged
# is not even read). A change in one format's extraction bumps that format's version in
# ingest.loaders.EXTRACTION_VERSIONS instead: only its reports are extracted again.
# "2": chunks are embedded with their title and section heading (Chunk.indexed_text).
PIPELINE_VERSION = "2"
# Chroma metadata key: how many leading characters of a stored document are the context
# header (embedded, never cited); the chunk text is the rest.
HEADER_CHARS = "header_chars"
# Files that live beside reports but are not reports (question sets, metadata sidecars).
IGNORED_SUFFIXES = (".meta.json", ".jsonl")
# Word, Excel and PowerPoint leave "~$<name>" beside a file while it is open (who has it).
OFFICE_OWNER_PREFIX = "~$"
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Pending:
    """A prepared file waiting in the write window: its chunks and what was stored before."""

    candidate: Candidate
    title: str
    chunks: list[Chunk]
    previous: ReportInfo | None
    metadata: dict
    input_hash: str = ""
    extraction: str = ""

    @property
    def source(self) -> str:
        return self.candidate.source

    @property
    def path(self) -> Path:
        return self.candidate.path


class IngestBusy(RuntimeError):
    """Another ingest holds the lock for longer than the configured wait."""


@dataclass(frozen=True)
class Candidate:
    """A file to ingest and the name users will see it under."""

    path: Path
    source: str


def discover(paths: Iterable[Path]) -> Iterator[Candidate | FileOutcome]:
    """Expand files and directories into candidates; a path that is missing or cannot be
    read (a folder without permission, at the top or anywhere below) becomes a failure."""
    for raw in paths:
        path = Path(raw)
        try:
            info = os.stat(path)
        except (FileNotFoundError, NotADirectoryError):
            info = None
        except OSError as exc:
            if os.path.islink(path):  # a looping link: the loader says so precisely
                yield Candidate(path, path.name)
            else:
                yield _unreadable(str(path), path, exc)
            continue
        if info is not None and stat.S_ISDIR(info.st_mode):
            yield from _walk(path)
        elif info is not None or os.path.islink(path):
            yield Candidate(path, path.name)
        else:
            yield FileOutcome(
                str(path),
                Outcome.FAILED,
                f"{path}: ファイルが見つかりません。パスを確認してください。",
            )


def _walk(root: Path) -> Iterator[Candidate | FileOutcome]:
    # followlinks=False: a symlink loop cannot send the walk in circles; linked files are
    # still offered as candidates and the loader reports broken or looping links.
    # os.walk skips a folder it cannot list unless told: each one becomes a failure.
    errors: list[OSError] = []
    for dirpath, dirnames, filenames in os.walk(root, onerror=errors.append, followlinks=False):
        yield from _folder_failures(root, errors)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith((".", OFFICE_OWNER_PREFIX)) or name.endswith(IGNORED_SUFFIXES):
                continue
            path = Path(dirpath) / name
            yield Candidate(path, path.relative_to(root).as_posix())
    yield from _folder_failures(root, errors)


def _folder_failures(root: Path, errors: list[OSError]) -> Iterator[FileOutcome]:
    for exc in errors:
        where = Path(exc.filename or root)
        shown = str(root) if where == root else where.relative_to(root).as_posix() + "/"
        yield _unreadable(shown, where, exc, folder=True)
    errors.clear()


def _unreadable(shown: str, path: Path, exc: OSError, *, folder: bool = False) -> FileOutcome:
    """A path that exists but cannot be read or listed: say which and what to do."""
    skipped = "このフォルダーの中の資料は取り込まれていません。" if folder else ""
    return FileOutcome(
        shown,
        Outcome.FAILED,
        f"{shown}: {_reason(exc)}。{skipped}読み取り権限を確認してから、もう一度実行してください。",
        path=str(path),
    )


def _reason(exc: OSError) -> str:
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "読み取る権限がありません"
    return f"読み取れません（{exc.strerror}）"


def _stat_error(path: str) -> OSError | None:
    try:
        os.stat(path)
    except OSError as exc:
        return exc
    return None


def _is_missing(error: OSError | None) -> bool:
    return isinstance(error, FileNotFoundError | NotADirectoryError)


def file_is_gone(path: str) -> bool:
    """True only when ``path`` surely no longer exists; a path that cannot be checked (a
    folder above it without permission) is not gone: its report must not be dropped."""
    return _is_missing(_stat_error(path))


def identity(path: Path | str) -> str:
    """What makes two candidates the same report: the real path of the file (the catalog's
    ``path`` column). realpath, not Path.resolve: a looping link must not raise here (the
    loader says what is wrong with it)."""
    return os.path.realpath(path)


def names_to_try(candidate: Candidate) -> Iterator[str]:
    """The candidate's own name, then that name with one more enclosing folder each time
    (``x2/report.txt``, ``tmp/x2/report.txt``), then numbered (``report (2).txt``)."""
    yield candidate.source
    own = PurePosixPath(candidate.source)
    folders = Path(os.path.abspath(candidate.path)).parts[1 : -len(own.parts)]
    for depth in range(1, len(folders) + 1):
        yield "/".join((*folders[-depth:], *own.parts))
    number = 2
    while True:
        yield str(own.with_name(f"{own.stem} ({number}){own.suffix}"))
        number += 1


def fingerprint(chunks: Sequence[Chunk], settings: Settings) -> str:
    """What must match for a file to count as unchanged: its chunks and how they were made."""
    digest = hashlib.sha256(f"{PIPELINE_VERSION}|{settings.embedding_model}".encode())
    for chunk in chunks:
        digest.update(chunk.chunk_id.encode())
    return digest.hexdigest()


def input_hash(path: Path, settings: Settings) -> str:
    """What a report's chunks are made from besides the code: the file's bytes, its sidecar's
    and the chunking settings. "" when the file is not a regular file within the size limit
    (the loader then says what is wrong)."""
    digest = hashlib.sha256(
        f"{PIPELINE_VERSION}|{settings.embedding_model}|{settings.chunk_size}|"
        f"{settings.chunk_overlap}".encode()
    )
    limit = settings.max_file_mb * 1024 * 1024
    for part in (path, sidecar_path(path)):
        try:
            info = os.stat(part)
            if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
                return ""
            digest.update(f"|{info.st_size}|".encode())
            with open(part, "rb") as handle:
                while block := handle.read(1 << 20):
                    digest.update(block)
        except FileNotFoundError:
            if part == path:
                return ""
            digest.update(b"|no sidecar|")
        except OSError:
            return ""
    return digest.hexdigest()


def _made_from(info: ReportInfo) -> tuple[str, str]:
    return info.input_hash, info.extraction


def with_stable_id(chunk: Chunk) -> Chunk:
    """The chunk id hashes text and metadata: identical input gives identical ids on every
    run, and any change (text, title, section, position) gives a new id."""
    metadata = chunk.metadata()
    metadata.pop("chunk_id")
    # The pipeline version is part of the id, so a change in what is embedded (e.g. the
    # context header) re-embeds every chunk instead of keeping vectors LangChain has seen.
    payload = (
        f"{PIPELINE_VERSION}\n"
        + json.dumps(metadata, sort_keys=True, ensure_ascii=False)
        + "\n"
        + chunk.text
    )
    return replace(chunk, chunk_id=hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32])


def chroma_document(chunk: Chunk) -> Document:
    """What Chroma stores for ``chunk``: the text that is embedded is the context header plus
    the chunk text; ``header_chars`` says where the citable chunk text starts."""
    header = chunk.context_header()
    return Document(
        page_content=header + chunk.text,
        metadata={**chunk.metadata(), HEADER_CHARS: len(header)},
        id=chunk.chunk_id,
    )


def chunk_from_chroma(document: str, metadata: dict) -> Chunk:
    """The chunk a stored Chroma record holds (inverse of ``chroma_document``; records
    written before headers existed have no ``header_chars`` and are taken whole)."""
    return Chunk.from_metadata(document[int(metadata.get(HEADER_CHARS, 0)) :], metadata)


@contextmanager
def ingest_lock(settings: Settings) -> Iterator[None]:
    """One ingest at a time per data directory; a second one waits, then gives up clearly."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    lock_path = settings.data_dir / "ingest.lock"
    with open(lock_path, "a+") as handle:
        deadline = time.monotonic() + settings.lock_timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IngestBusy(
                        f"別の取り込み処理が実行中です（{lock_path}）。終わってからもう一度"
                        "実行してください。"
                    ) from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ingest_running(settings: Settings) -> bool:
    """True while an ingest holds the data directory's lock (creates nothing)."""
    lock_path = settings.data_dir / "ingest.lock"
    if not lock_path.is_file():
        return False
    with open(lock_path, "rb") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


class Ingestor:
    """Adds, updates and removes reports; used by the CLI and the web chat's upload."""

    def __init__(self, settings: Settings, embeddings: Embeddings | None = None):
        self.settings = settings
        self._embeddings = embeddings
        self.catalog = Catalog(settings.catalog_path)
        self.keyword_index = KeywordIndex(settings.catalog_path)

    # -- public API -----------------------------------------------------------------
    def ingest_paths(
        self,
        paths: Iterable[Path | str] | None = None,
        *,
        prune: bool = False,
        progress: Progress | None = None,
        replace_same_name: bool = False,
    ) -> list[FileOutcome]:
        """Index ``paths`` (default: the corpus folder). Every different file is its own
        report; a file whose name is taken by another indexed file gets a longer name,
        unless ``replace_same_name`` (the web upload's choice) says it replaces that report."""
        paths = [Path(p) for p in (paths or [self.settings.corpus_dir])]
        found = [item for path in paths for item in self._discover_one(path)]
        outcomes: list[FileOutcome] = [f for f in found if isinstance(f, FileOutcome)]
        candidates = [c for c in found if isinstance(c, Candidate)]
        with ingest_lock(self.settings):
            self.reconcile()
            named = self._assign_sources(candidates, claim=replace_same_name)
            outcomes.extend(self._ingest_candidates(named, progress))
            # After the ingest: a moved file has taken over its report by then, so that
            # report is kept, not removed and embedded again.
            if prune:
                outcomes.extend(self._prune())
        return outcomes

    @staticmethod
    def _discover_one(path: Path) -> list[Candidate | FileOutcome]:
        found = list(discover([path]))
        if not found:  # an empty folder, or one holding only question sets and sidecars
            supported = "、".join(sorted(SUPPORTED_EXTENSIONS))
            log.warning(
                f"{path}: 取り込める資料が見つかりませんでした。"
                f"対応している形式（{supported}）のファイルを置いてから実行してください。"
            )
        return found

    def _assign_sources(self, candidates: Sequence[Candidate], *, claim: bool) -> list[Candidate]:
        """The name each file is indexed under: the name it had before if it is indexed
        (so a re-run changes nothing), else its own name unless another file still holds
        it, else a longer one (``names_to_try``). ``claim``: a file takes over its own
        name from whichever report holds it (an upload that replaces a report)."""
        reports = self.catalog.all()
        by_path: dict[str, str] = {}
        for report in reports:  # oldest first: the name a file was first indexed under
            by_path.setdefault(report.path, report.source)
        holders = {r.source: r.path for r in reports}
        given: dict[str, str] = {}  # identity -> name, for this run
        named = []
        for candidate in candidates:
            key = identity(candidate.path)
            source = given.get(key) or by_path.get(key)
            if source is None:
                source = self._free_name(candidate, key, holders, set(given.values()), claim)
            given[key] = source
            named.append(replace(candidate, source=source))
        return named

    @staticmethod
    def _free_name(
        candidate: Candidate, key: str, holders: dict[str, str], given: set[str], claim: bool
    ) -> str:
        for i, name in enumerate(names_to_try(candidate)):
            if name in given:
                continue
            holder = holders.get(name)
            # A holder whose file is surely gone (moved, renamed folder, or unknown after
            # a rebuild) leaves its name to this file: that is an update, not a new report.
            if holder is None or holder == key or not holder or file_is_gone(holder):
                return name
            if claim and i == 0:
                return name
        raise AssertionError("names_to_try never ends")

    def _ingest_candidates(
        self, candidates: Sequence[Candidate], progress: Progress | None
    ) -> list[FileOutcome]:
        """Prepare files one by one; write them in windows of about ``write_batch`` chunks.

        Chroma's per-write cost grows with what it already stores, and the model encodes
        similar-length texts of many reports faster than each report's alone, so several
        reports share one embedding call and one Chroma write. Each report is still
        committed on its own, in order (see the module docstring).
        """
        results: list[FileOutcome | None] = [None] * len(candidates)
        window: list[Pending] = []
        slots: list[int] = []

        def flush() -> None:
            for slot, outcome in zip(slots, self._write_window(window), strict=True):
                results[slot] = outcome
            window.clear()
            slots.clear()

        for i, candidate in enumerate(candidates):
            if progress:
                progress(i, len(candidates), candidate.source)
            if any(p.source == candidate.source for p in window):
                flush()  # the same file given twice (a folder and a file in it)
            prepared = self._prepare(candidate, window)
            if isinstance(prepared, FileOutcome):
                results[i] = prepared
                continue
            window.append(prepared)
            slots.append(i)
            if sum(len(p.chunks) for p in window) >= self.settings.write_batch:
                flush()
        if window:
            flush()
        if progress:
            progress(len(candidates), len(candidates), "")
        return [r for r in results if r is not None]

    def list_reports(self) -> list[ReportInfo]:
        return self.catalog.all()

    def delete_report(self, source: str) -> bool:
        with ingest_lock(self.settings):
            return self._remove(source)

    def reconcile(self) -> list[str]:
        """Make Chroma, the record manager and the keyword index agree; say what was fixed
        (as warnings too, which the CLI prints on stderr)."""
        fixes = self._reconcile()
        filled = self._fill_sentence_vectors()
        if filled:
            fixes.append(f"文ごとの埋め込みが無いチャンク {filled} 件に埋め込みを追加しました。")
        for fix in fixes:
            log.warning(fix)
        return fixes

    def _reconcile(self) -> list[str]:
        fixes: list[str] = []
        collection = store.open_collection(self.settings)
        if not self.keyword_index.check():
            self._discard_catalog_file()
            fixes.append(self._rebuild_from_chroma(collection))
            return fixes
        chroma_ids = store.all_chroma_ids(collection)
        if self.keyword_index.needs_rebuild() or self._keyword_rows_lost(chroma_ids):
            fixes.append(self._rebuild_from_chroma(collection))
            return fixes
        keyword_ids = self.keyword_index.chunk_ids()
        orphans = chroma_ids - keyword_ids
        if orphans:
            collection.delete(ids=sorted(orphans))
            fixes.append(f"未確定のチャンク {len(orphans)} 件を索引から削除しました。")
        missing = keyword_ids - chroma_ids
        if missing:
            fixes.append(self._forget_reports_with(missing))
        manager = store.record_manager(self.settings)
        recorded = set(manager.list_keys())
        stale_records = recorded - (chroma_ids - orphans)
        if stale_records:
            manager.delete_keys(sorted(stale_records))
        unrecorded = self.keyword_index.get(sorted((keyword_ids & chroma_ids) - recorded))
        if unrecorded:
            # Without its record a chunk would survive the next update of its report.
            manager.update(
                [c.chunk_id for c in unrecorded], group_ids=[c.source for c in unrecorded]
            )
            fixes.append(f"記録の無いチャンク {len(unrecorded)} 件を記録し直しました。")
        return fixes

    def _fill_sentence_vectors(self) -> int:
        """Chunks without sentence embeddings (an index made before they existed, or rebuilt
        from Chroma) get them, report by report, so the reader never reads them without."""
        missing = self.keyword_index.chunks_without_sentence_vectors()
        by_source: dict[str, list[Chunk]] = {}
        for chunk in missing:
            by_source.setdefault(chunk.source, []).append(chunk)
        for source, chunks in by_source.items():
            self.keyword_index.add_sentence_vectors(source, self._embed_sentences(chunks))
        return len(missing)

    def _keyword_rows_lost(self, chroma_ids: set[str]) -> bool:
        """True when the keyword index lost rows that are still committed elsewhere.

        The catalog and the keyword rows are written in one transaction, so different chunk
        counts mean a damaged file (a table lost). An empty catalog beside a filled
        collection means the catalog file was deleted, or this is a new machine on an
        existing Chroma server. Reconciling as usual would delete every vector as an
        orphan; Chroma's copy rebuilds the keyword index instead. (A run killed before its
        first record has record-manager keys, so its orphans are still removed.)
        """
        reports = self.catalog.all()
        if reports:
            return sum(r.chunks for r in reports) != self.keyword_index.count()
        if not chroma_ids or self.keyword_index.count():
            return False
        return not store.record_manager(self.settings).list_keys()

    # -- one file: load, repair, chunk; decide whether it must be written ------------------
    def _prepare(self, candidate: Candidate, pending: Sequence[Pending]) -> FileOutcome | Pending:
        """The file's chunks to write, or its outcome when there is nothing to write."""
        source = candidate.source
        previous = self.catalog.get(source)
        inputs = input_hash(candidate.path, self.settings)
        extraction = extraction_version(candidate.path)
        if previous and inputs and _made_from(previous) == (inputs, extraction):
            # The same bytes, extracted the same way: extraction (OCR, layout analysis)
            # would give the same chunks, so the file is not read.
            return self._unchanged(candidate, previous.chunks, previous)
        try:
            report = repair(load_report(candidate.path, source=source, max_bytes=self._max_bytes))
            chunks = [
                with_stable_id(c)
                for c in chunk_report(
                    report,
                    max_chars=self.settings.chunk_size,
                    overlap_sentences=self.settings.chunk_overlap,
                )
            ]
            if not chunks:
                raise IngestError(
                    f"{source}: 本文が見つかりませんでした。内容のあるファイルを追加してください。"
                )
        except IngestError as exc:
            return FileOutcome(source, Outcome.FAILED, str(exc), path=str(candidate.path))

        if previous and previous.fingerprint == fingerprint(chunks, self.settings):
            if inputs and _made_from(previous) != (inputs, extraction):
                # Extracted again (a new extraction version, or a catalog from before they
                # were recorded) with the same result: remembered, so the next run skips it.
                self.catalog.set_extraction(source, inputs, extraction)
            return self._unchanged(candidate, len(chunks), previous)
        twin = self._twin(source, chunks[0].doc_hash, pending)
        if twin is not None:
            twin_source, twin_chunks = twin
            return FileOutcome(
                source,
                Outcome.UNCHANGED,
                f"{source}: 同じ内容の資料「{twin_source}」が登録済みのため、重複して登録しませんでした。",
                twin_chunks,
                str(candidate.path),
            )
        return Pending(
            candidate, report.title, chunks, previous, report.metadata, inputs, extraction
        )

    def _unchanged(self, candidate: Candidate, chunks: int, previous: ReportInfo) -> FileOutcome:
        if previous.path != identity(candidate.path):  # moved, or an upload replaced it
            self.catalog.set_path(previous.source, identity(candidate.path))
        return FileOutcome(
            previous.source, Outcome.UNCHANGED, "変更はありません。", chunks, str(candidate.path)
        )

    def _twin(
        self, source: str, doc_hash: str, pending: Sequence[Pending]
    ) -> tuple[str, int] | None:
        """The report already stored, or about to be, with the same text under another name."""
        for other in pending:
            if other.chunks[0].doc_hash == doc_hash and other.source != source:
                return other.source, len(other.chunks)
        twin = self.catalog.find_by_doc_hash(doc_hash)
        # A row rebuilt from Chroma has no path: its file is taken to be there.
        if twin and twin.source != source and not (twin.path and file_is_gone(twin.path)):
            return twin.source, twin.chunks
        return None

    # -- a window of files: one embedding and Chroma write, then one commit per file ------
    def _write_window(self, window: Sequence[Pending]) -> list[FileOutcome]:
        # Imported here: LangChain's indexing API brings its vector stores and Runnables,
        # which `python -m assistant ask` (it imports this module for ingest_running) skips.
        from langchain_core.indexing import index as langchain_index

        manager = store.record_manager(self.settings)
        old_ids = {p.source: set(manager.list_keys(group_ids=[p.source])) for p in window}
        try:
            langchain_index(
                [chroma_document(c) for p in window for c in p.chunks],
                manager,
                store.vector_store(self.settings, self.embeddings),
                cleanup=None,  # stale chunks are deleted after each report's commit
                source_id_key="source",
                key_encoder=lambda doc: doc.metadata["chunk_id"],
                batch_size=256,
            )
        except (store.StoreUnavailable, *store.WRITE_ERRORS) as exc:
            return [self._failed(p, exc) for p in window]
        sentence_vectors = self._embed_sentences(c for p in window for c in p.chunks)
        outcomes = []
        for p in window:
            try:
                self._commit(p, old_ids[p.source], sentence_vectors)
            except (store.StoreUnavailable, *store.WRITE_ERRORS) as exc:
                outcomes.append(self._failed(p, exc))
                continue
            outcome = Outcome.UPDATED if p.previous else Outcome.ADDED
            message = "更新しました。" if p.previous else "追加しました。"
            outcomes.append(FileOutcome(p.source, outcome, message, len(p.chunks), str(p.path)))
        return outcomes

    def _failed(self, pending: Pending, exc: BaseException) -> FileOutcome:
        if isinstance(exc, store.StoreUnavailable):
            message = str(exc)
        else:  # a full disk, a read-only file, a lost server
            message = store.describe_write_error(self.settings, exc)
        return FileOutcome(
            pending.source, Outcome.FAILED, f"{pending.source}: {message}", path=str(pending.path)
        )

    def _embed_sentences(self, chunks: Iterable[Chunk]) -> dict[str, np.ndarray]:
        """chunk_id -> the embedding of each of its sentences, in one call for the chunks
        not embedded yet (a chunk id is its text, so stored vectors stay valid): the reader
        compares them with the question (sentence-level dense similarity lifted the
        held-out accuracy by 4-7 points, see docs/quality.md)."""
        chunks = list(chunks)
        out = self.keyword_index.sentence_vectors(c.chunk_id for c in chunks)
        texts: list[str] = []
        owners: list[tuple[str, int]] = []
        for chunk in chunks:
            if chunk.chunk_id in out:
                continue
            spans = split_sentences(chunk.text)
            owners.append((chunk.chunk_id, len(spans)))
            texts.extend(chunk.text[s.start : s.end] for s in spans)
        if not texts:
            return out
        vectors = np.asarray(self.embeddings.embed_documents(texts), dtype=np.float32)
        at = 0
        for chunk_id, count in owners:
            out[chunk_id] = vectors[at : at + count]
            at += count
        return out

    def _commit(
        self,
        pending: Pending,
        old_ids: set[str],
        sentence_vectors: dict[str, np.ndarray] | None = None,
    ) -> None:
        """Make the report's new chunks searchable in one transaction, then drop its old ones."""
        chunks, previous = pending.chunks, pending.previous
        info = ReportInfo(
            source=pending.source,
            title=pending.title or pending.source,
            path=identity(pending.path),
            doc_hash=chunks[0].doc_hash,
            fingerprint=fingerprint(chunks, self.settings),
            chunks=len(chunks),
            added_at=previous.added_at if previous else now_iso(),
            updated_at=now_iso(),
            metadata=pending.metadata or {},
            input_hash=pending.input_hash,
            extraction=pending.extraction,
        )
        with writing(self.settings.catalog_path) as conn:
            self.keyword_index.replace_source(
                pending.source,
                chunks,
                conn=conn,
                sentence_vectors={
                    c.chunk_id: sentence_vectors[c.chunk_id]
                    for c in chunks
                    if sentence_vectors and c.chunk_id in sentence_vectors
                },
            )
            Catalog.upsert(conn, info)
        stale = sorted(old_ids - {c.chunk_id for c in chunks})
        if stale:
            store.open_collection(self.settings).delete(ids=stale)
            store.record_manager(self.settings).delete_keys(stale)

    def _remove(self, source: str) -> bool:
        if self.catalog.get(source) is None:
            return False
        manager = store.record_manager(self.settings)
        ids = manager.list_keys(group_ids=[source])
        with writing(self.settings.catalog_path) as conn:
            self.keyword_index.remove_source(source, conn=conn)
            Catalog.delete(conn, source)
        if ids:
            store.open_collection(self.settings).delete(ids=ids)
            manager.delete_keys(ids)
        return True

    def _prune(self) -> list[FileOutcome]:
        """Remove the reports whose file is surely gone; a file that cannot be checked (its
        folder became unreadable) keeps its report and is reported as a failure."""
        outcomes = []
        for info in self.catalog.all():
            if not info.path:  # rebuilt from Chroma: where it came from is unknown
                continue
            error = _stat_error(info.path)
            if error is not None and not _is_missing(error):
                outcomes.append(
                    FileOutcome(
                        info.source,
                        Outcome.FAILED,
                        f"{info.source}: 元のファイル {info.path} を確認できません"
                        f"（{_reason(error)}）。索引からは削除していません。"
                        "フォルダーの読み取り権限を確認してください。",
                        info.chunks,
                        info.path,
                    )
                )
            elif _is_missing(error):
                self._remove(info.source)
                outcomes.append(
                    FileOutcome(
                        info.source,
                        Outcome.REMOVED,
                        "元のファイルが無くなったため索引から削除しました。",
                        info.chunks,
                        info.path,
                    )
                )
        return outcomes

    # -- repair -----------------------------------------------------------------------
    def _rebuild_from_chroma(self, collection) -> str:
        """The keyword index or catalog is unreadable: rebuild both from Chroma's copy."""
        chunks = [
            chunk_from_chroma(document, metadata)
            for _id, document, metadata in store.iter_chroma_records(collection)
        ]
        self.keyword_index.rebuild(chunks)
        by_source: dict[str, list[Chunk]] = {}
        for chunk in chunks:
            by_source.setdefault(chunk.source, []).append(chunk)
        manager = store.record_manager(self.settings)
        with writing(self.settings.catalog_path) as conn:
            conn.execute("DELETE FROM reports")
            for source, items in by_source.items():
                Catalog.upsert(
                    conn,
                    ReportInfo(
                        source,
                        items[0].title,
                        "",
                        items[0].doc_hash,
                        "rebuilt",
                        len(items),
                        now_iso(),
                        now_iso(),
                        {},
                    ),
                )
        for source, items in by_source.items():
            manager.update([c.chunk_id for c in items], group_ids=[source] * len(items))
        return f"キーワード索引を Chroma から再構築しました（{len(chunks)} チャンク）。"

    def _discard_catalog_file(self) -> None:
        """The SQLite file is corrupt: move it aside (kept for inspection) and start anew."""
        path = self.settings.catalog_path
        self.keyword_index.close()
        for suffix in ("", "-wal", "-shm"):
            part = Path(f"{path}{suffix}")
            if part.exists():
                part.replace(part.with_name(part.name + ".corrupt"))
        self.keyword_index = KeywordIndex(path)
        self.catalog = Catalog(path)

    def _forget_reports_with(self, missing_ids: set[str]) -> str:
        """Chroma lost chunks (e.g. a server was reset): forget those reports so the next
        ingest adds them again instead of calling them unchanged."""
        sources = {c.source for c in self.keyword_index.get(sorted(missing_ids))}
        with writing(self.settings.catalog_path) as conn:
            for source in sources:
                self.keyword_index.remove_source(source, conn=conn)
                Catalog.delete(conn, source)
        return f"Chroma に無いチャンクがあったため、{len(sources)} 件の資料を再取り込み対象にしました。"

    # -- lazily loaded pieces -----------------------------------------------------------
    @property
    def embeddings(self) -> Embeddings:
        if self._embeddings is None:
            from ingest.embeddings import load_embeddings  # torch loads only when needed

            self._embeddings = load_embeddings(self.settings)
        return self._embeddings

    @property
    def _max_bytes(self) -> int:
        return int(self.settings.max_file_mb * 1024 * 1024)


def ensure_corpus_indexed(
    ingestor: Ingestor, *, say: Callable[[str], None] = print
) -> list[FileOutcome]:
    """First start: index ``corpus_dir`` when the index holds no report yet, saying so, and
    build the question encoder's int8 export if it is missing (once per model, about a
    minute), so the first question does not pay it."""
    from ingest.embeddings import prepare_query_embeddings, query_export_pending

    if query_export_pending(ingestor.settings):
        say("質問用の埋め込みモデルを準備しています（初回のみ、1分ほどかかります）…")
        prepare_query_embeddings(ingestor.settings)
    corpus = ingestor.settings.corpus_dir
    if ingestor.list_reports():
        return []
    if ingest_running(ingestor.settings):  # whatever it is adding is what the user wants
        say(f"別の取り込み処理が実行中のため、{corpus}/ の取り込みは行いません。")
        return []
    if not corpus.is_dir() or not any(isinstance(c, Candidate) for c in discover([corpus])):
        say(
            f"{corpus}/ に資料がありません。「資料」タブまたは python -m ingest で追加してください。"
        )
        return []
    say(f"索引が空のため {corpus}/ の資料を取り込みます…")

    def progress(done: int, total: int, source: str) -> None:
        if source:
            say(f"  [{done + 1}/{total}] {source}")

    outcomes = ingestor.ingest_paths([corpus], progress=progress)
    for outcome in outcomes:
        say(f"  {outcome.outcome.value:<9} {outcome.source}  {outcome.message}")
    return outcomes
