"""Sentence-aware chunking of a repaired report into citable passages.

A chunk is a run of whole sentences of one section, at most ``max_chars`` characters long,
and always an exact slice of the repaired text (``chunk.text == report.text[start:end]``),
so a citation can point at the very characters it quotes. Neighbouring chunks share
``overlap_sentences`` sentences so a fact stated across a chunk border is whole in one.

Section headings are not stripped: a heading line is the first sentence of its section's
first chunk, so "■OPIとの経済交流…" is searchable and the passage reads with its title.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from ingest.japanese import (
    CLOSING_BRACKETS,
    QUOTATIVES,
    QUOTE_CLOSERS,
    QUOTE_OPENERS,
    SENTENCE_ENDS,
)
from ingest.records import Chunk, RepairedReport, sha256_text

CLAUSE_BREAKS = "、，,；;："  # where an over-long sentence may be cut, after the mark
_LATIN_WORD_CHAR = re.compile(r"[0-9A-Za-z\u00c0-\u024f'’_-]")


@dataclass(frozen=True)
class TextSpan:
    """``[start, end)`` of the report text; ``inner`` are sentence ends inside quotes."""

    start: int
    end: int
    inner: tuple[int, ...] = ()

    @property
    def length(self) -> int:
        return self.end - self.start


def chunk_report(
    report: RepairedReport, *, max_chars: int, overlap_sentences: int = 1
) -> list[Chunk]:
    """Cut ``report`` into chunks of whole sentences, never across a section boundary."""
    if max_chars < 1:
        raise ValueError(f"max_chars must be at least 1, got {max_chars}")
    if overlap_sentences < 0:
        raise ValueError(f"overlap_sentences must not be negative, got {overlap_sentences}")
    text = report.text
    doc_hash = sha256_text(text)
    chunks = []
    for section_start, section_end in _section_ranges(report):
        units = [
            piece
            for sentence in split_sentences(text, section_start, section_end)
            for piece in _fit(text, sentence, max_chars)
        ]
        for start, end in _pack(units, max_chars, overlap_sentences):
            chunks.append(_make_chunk(report, start, end, doc_hash))
    return chunks


def chunk_id(source: str, start: int, end: int, content_hash: str) -> str:
    """Deterministic id: the same report text always yields the same ids."""
    payload = f"{source}\n{start}\n{end}\n{content_hash}"
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


def _make_chunk(report: RepairedReport, start: int, end: int, doc_hash: str) -> Chunk:
    text = report.text[start:end]
    content_hash = sha256_text(text)
    return Chunk(
        chunk_id=chunk_id(report.source, start, end, content_hash),
        text=text,
        source=report.source,
        title=report.title,
        section=report.section_at(start),
        start=start,
        end=end,
        content_hash=content_hash,
        page=report.page_at(start),
        doc_hash=doc_hash,
        ocr=report.ocr_at(start),
    )


def _section_ranges(report: RepairedReport) -> list[tuple[int, int]]:
    bounds = sorted({0, *(start for start, _ in report.sections if 0 < start < len(report.text))})
    return list(zip(bounds, [*bounds[1:], len(report.text)], strict=True))


# --- sentences ---------------------------------------------------------------------------


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[TextSpan]:
    """Sentence spans of ``text[start:end]``, without surrounding whitespace.

    A sentence ends at 。！？!? (closing brackets right after stay with it) or at a line
    break; not inside 「…」/『…』, where the ends are kept as ``inner`` split points for a
    quotation too long for one chunk. A blank line (paragraph) always ends a sentence, so
    an unclosed 「 cannot swallow the rest of the report.
    """
    end = len(text) if end is None else end
    spans: list[TextSpan] = []
    sentence_start, depth, inner = start, 0, []
    position = start
    while position < end:
        char = text[position]
        cut = None
        if char in QUOTE_OPENERS:
            depth += 1
        elif char in QUOTE_CLOSERS:
            depth = max(0, depth - 1)
        if char in SENTENCE_ENDS:
            after = _skip_closers(text, position + 1, end)
            depth -= sum(1 for c in text[position + 1 : after] if c in QUOTE_CLOSERS)
            depth = max(0, depth)
            if depth == 0 and not _quote_runs_on(text, position + 1, after, end):
                cut = after
            elif depth > 0:
                inner.append(after)
            position = after
        elif char == "\n":
            paragraph_end = text.startswith("\n\n", position)
            if depth == 0 or paragraph_end:
                cut = position
                depth = 0
            position += 1
        else:
            position += 1
        if cut is not None:
            _add_span(spans, text, sentence_start, cut, inner)
            sentence_start, inner = cut, []
    _add_span(spans, text, sentence_start, end, inner)
    return spans


def _skip_closers(text: str, position: int, end: int) -> int:
    while position < end and text[position] in CLOSING_BRACKETS:
        position += 1
    return position


def _quote_runs_on(text: str, sentence_end: int, after: int, end: int) -> bool:
    """「…。」と発言: the closing quote is followed by a quotative particle."""
    closed_quote = any(c in QUOTE_CLOSERS for c in text[sentence_end:after])
    return closed_quote and text.startswith(QUOTATIVES, after, end)


def _add_span(spans: list[TextSpan], text: str, start: int, end: int, inner: list[int]) -> None:
    start, end = _strip(text, start, end)
    if start < end:
        spans.append(TextSpan(start, end, tuple(p for p in inner if start < p < end)))


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


# --- fitting long sentences --------------------------------------------------------------


def _fit(text: str, sentence: TextSpan, max_chars: int) -> list[TextSpan]:
    """``sentence`` as pieces of at most ``max_chars``: whole if it fits, else cut at the
    sentence ends inside its quotation, then at 、 or spaces, and only then hard."""
    if sentence.length <= max_chars:
        return [sentence]
    pieces = []
    for part in _cut_at(text, sentence, sentence.inner):
        pieces.extend(_split_long(text, part, max_chars))
    return pieces


def _cut_at(text: str, span: TextSpan, cuts: tuple[int, ...]) -> list[TextSpan]:
    parts, start = [], span.start
    for cut in (*cuts, span.end):
        piece_start, piece_end = _strip(text, start, cut)
        if piece_start < piece_end:
            parts.append(TextSpan(piece_start, piece_end))
        start = cut
    return parts


def _split_long(text: str, span: TextSpan, max_chars: int) -> list[TextSpan]:
    pieces = []
    start = span.start
    while span.end - start > max_chars:
        cut = _clause_cut(text, start, max_chars) or _word_cut(text, start, max_chars)
        piece_start, piece_end = _strip(text, start, cut)
        if piece_start < piece_end:
            pieces.append(TextSpan(piece_start, piece_end))
        start, _ = _strip(text, cut, span.end)
    if start < span.end:
        pieces.append(TextSpan(start, span.end))
    return pieces


def _clause_cut(text: str, start: int, max_chars: int) -> int | None:
    """The last 、 or space within reach: cut right after the mark or at the space."""
    limit = start + max_chars
    for position in range(limit - 1, start, -1):
        if text[position] in CLAUSE_BREAKS:
            return position + 1
        if text[position].isspace():
            return position
    return None


def _word_cut(text: str, start: int, max_chars: int) -> int:
    """A cut at ``max_chars`` moved back so it does not fall inside a Latin word or number;
    a single word longer than the limit is cut at the limit (nothing else is possible)."""
    cut = start + max_chars
    position = cut
    while position > start and _inside_word(text, position):
        position -= 1
    return position if position > start else cut


def _inside_word(text: str, position: int) -> bool:
    return (
        0 < position < len(text)
        and bool(_LATIN_WORD_CHAR.match(text[position - 1]))
        and bool(_LATIN_WORD_CHAR.match(text[position]))
    )


# --- packing -----------------------------------------------------------------------------


def _pack(units: list[TextSpan], max_chars: int, overlap: int) -> list[tuple[int, int]]:
    """Greedy packing of whole units; each new chunk starts with the previous chunk's last
    ``overlap`` units when they fit with the next one."""
    chunks: list[tuple[int, int]] = []
    current: list[TextSpan] = []
    for unit in units:
        if current and unit.end - current[0].start > max_chars:
            chunks.append((current[0].start, current[-1].end))
            current = _carried_over(current, unit, overlap, max_chars)
        current.append(unit)
    if current:
        chunks.append((current[0].start, current[-1].end))
    return chunks


def _carried_over(
    previous: list[TextSpan], unit: TextSpan, overlap: int, max_chars: int
) -> list[TextSpan]:
    keep = min(overlap, len(previous) - 1)
    while keep > 0 and unit.end - previous[-keep].start > max_chars:
        keep -= 1
    return previous[len(previous) - keep :] if keep else []
