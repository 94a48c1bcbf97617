"""Typed records that flow through ingestion: a loaded report, its chunks, a file's outcome."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from enum import StrEnum


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class PageSpan:
    """Page ``number`` (1-based) covers ``[start, end)`` of the text it belongs to; ``ocr``:
    its text was recognised from a picture of the page (a scan), not read from the file."""

    number: int
    start: int
    end: int
    ocr: bool = False


@dataclass(frozen=True)
class LoadedReport:
    """What a loader read from one file, before any repair.

    ``text`` is the extracted text; ``pages`` maps character ranges of ``text`` to page
    numbers (empty for formats without pages). ``encoding`` is the detected text encoding
    (for .txt/.md/.html) or None.
    """

    source: str  # file name as shown to users, e.g. "tsu_2012_europe_agreements.txt"
    path: str  # absolute path it was read from
    text: str
    title: str = ""
    pages: tuple[PageSpan, ...] = ()
    encoding: str | None = None
    metadata: dict = field(default_factory=dict)


@dataclass(frozen=True)
class RepairedReport:
    """Report text after Japanese repair, with section headings located.

    ``sections`` holds ``(start_offset, heading)`` pairs in ascending order: the text from
    one offset to the next belongs to that heading. ``pages`` are re-mapped to the
    repaired text's offsets.
    """

    source: str
    title: str
    text: str
    sections: tuple[tuple[int, str], ...] = ()
    pages: tuple[PageSpan, ...] = ()
    metadata: dict = field(default_factory=dict)

    def section_at(self, offset: int) -> str:
        heading = ""
        for start, name in self.sections:
            if start > offset:
                break
            heading = name
        return heading

    def page_at(self, offset: int) -> int | None:
        for page in self.pages:
            if page.start <= offset < page.end:
                return page.number
        return self.pages[-1].number if self.pages and offset >= self.pages[-1].end else None

    def ocr_at(self, offset: int) -> bool:
        """Is the text at ``offset`` on a page read by OCR?"""
        number = self.page_at(offset)
        return any(page.ocr for page in self.pages if page.number == number)


@dataclass(frozen=True)
class Chunk:
    """A passage of a repaired report: what gets embedded, keyword-indexed and cited.

    ``text == report.text[start:end]`` of the repaired report it came from.
    """

    chunk_id: str
    text: str
    source: str
    title: str
    section: str
    start: int
    end: int
    content_hash: str
    page: int | None = None
    doc_hash: str = ""  # hash of the whole repaired report this chunk belongs to
    ocr: bool = False  # read by OCR from a scanned page: the source card says so

    def context_header(self) -> str:
        """The report title and section heading, one line: searched with the chunk, never cited.

        A passage such as 「調印式には市長が出席した」 does not say which city or which agreement
        it is about; its title and heading do. Embedding and keyword-indexing them with the text
        lifted recall@3 from 0.77 to 0.83 (bench/tokenization.py, 149 questions, 8 reports).
        """
        parts = [p for p in (self.title, self.section) if p and p.strip()]
        return " / ".join(parts) + "\n" if parts else ""

    def indexed_text(self) -> str:
        """What retrieval matches against: ``context_header() + text``."""
        return self.context_header() + self.text

    def metadata(self) -> dict:
        """Chroma-safe metadata (no None values)."""
        data = asdict(self)
        data.pop("text")
        if data["page"] is None:
            data["page"] = 0  # 0 = no page numbers in this format
        return data

    @classmethod
    def from_metadata(cls, text: str, metadata: dict) -> Chunk:
        keys = {f for f in cls.__dataclass_fields__ if f != "text"}
        values = {k: metadata[k] for k in keys if k in metadata}
        if values.get("page") == 0:
            values["page"] = None
        return cls(text=text, **values)


class Outcome(StrEnum):
    ADDED = "added"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    FAILED = "failed"
    REMOVED = "removed"  # only with --prune


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one file in an ingest run; ``message`` is shown to users as is."""

    source: str
    outcome: Outcome
    message: str = ""
    chunks: int = 0
    path: str = ""

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "path": self.path,
            "outcome": str(self.outcome),
            "chunks": self.chunks,
            "message": self.message,
        }


class IngestError(Exception):
    """A file cannot be ingested. The message names the file and says what to do."""
