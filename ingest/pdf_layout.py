"""PDF page geometry -> text in reading order (issue 26, item 2).

pdfplumber (on pdfminer.six) gives every character with its box and the page's ruling lines;
this module decides the order a reader reads them in:

1. characters become line segments: one row of characters, cut where a gap is wider than
   a character (a column gutter);
2. tables (ruled grids found by pdfplumber) become one block each, a row per line with its
   column headings: 「日付：6月14日／行程：協定調印式」;
3. running headers, footers and page numbers (the same text at the same height on several
   pages, or a lone number in the margin) are dropped;
4. reading order: the page is cut into horizontal bands at gaps no segment crosses; bands
   that share a vertical gutter form one multi-column region, read column by column, left to
   right; everything else is read top to bottom. Text wrapped around a picture is a single
   column whose lines are shorter beside it.
5. vertical (縦書き) pages are turned a quarter first: their columns, right to left, become
   lines, top to bottom, and the same steps apply.

Pages without characters are left to OCR (``ingest.ocr``): ``PdfPage.text`` is empty.
"""

from __future__ import annotations

import io
import math
import re
import statistics
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

GUTTER_MIN_EM = 0.9  # a gap between columns is wider than this many character widths
SEGMENT_GAP_EM = 0.9  # a gap this wide inside a row ends a segment
MARGIN_BAND = 0.1  # running headers/footers sit in the top/bottom tenth of the page
TABLE_CELL_SEPARATOR = "／"
TABLE_HEADING_SEPARATOR = "："
_PAGE_NUMBER = re.compile(
    r"^[-－―‐—–・\s]*(?:(?:page|p\.?|ページ)\s*)?[0-9０-９]{1,4}"
    r"(?:\s*(?:/|／|of)\s*[0-9０-９]{1,4})?\s*(?:ページ|頁)?[-－―‐—–・\s]*$",
    re.IGNORECASE,
)
_DIGITS = re.compile(r"[0-9０-９]+")


@dataclass
class Segment:
    """A run of characters on one line, in page coordinates (top grows downwards)."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    kind: str = "text"  # "text" or "table" (a whole table, one row per line of ``text``)

    @property
    def middle(self) -> float:
        return (self.top + self.bottom) / 2


@dataclass
class PdfPage:
    number: int
    text: str  # empty when the page has no characters (a scan: see ingest.ocr)
    vertical: bool = False
    segments: list[Segment] = field(default_factory=list, repr=False)
    has_images: bool = False  # a page without characters but with a picture may be a scan


# --- public entry point ------------------------------------------------------------------


def extract_pages(data: bytes) -> list[PdfPage]:
    """The text of every page of the PDF in ``data``, in reading order, furniture dropped.

    Raises whatever pdfplumber/pdfminer raise on a broken or encrypted file; the loader
    turns that into a Japanese message.
    """
    import pdfplumber

    pages: list[PdfPage] = []
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            pages.append(_read_page(page, number))
            page.close()  # pdfplumber caches every object of a page; free them as we go
    _drop_furniture(pages)
    for page in pages:
        page.text = "\n".join(_ordered_lines(page.segments))
    return pages


# --- one page ------------------------------------------------------------------------------


def _read_page(page, number: int) -> PdfPage:
    # Spaces drawn as glyphs stay (「ARD と」); a gap with nothing drawn in it is judged by size.
    chars = [c for c in page.chars if c["text"] and (c["text"].strip() or c["text"] in " \u3000")]
    if not any(c["text"].strip() for c in chars):
        return PdfPage(number, "", has_images=bool(page.images))
    vertical = _is_vertical(chars)
    tables = [] if vertical else _tables(page)
    boxes = [t.bbox for t, _ in tables]
    free = [c for c in chars if not any(_inside(c, box) for box in boxes)]
    if vertical:
        free = [_turned(c, page.width) for c in free]
    segments = _segments(free)
    for table, rows in tables:
        x0, top, x1, bottom = table.bbox
        size = statistics.median(c["size"] for c in chars if _inside(c, table.bbox))
        segments.append(Segment("\n".join(rows), x0, x1, top, bottom, size, kind="table"))
    height = page.width if vertical else page.height
    return PdfPage(number, "", vertical, [_with_page_height(s, height) for s in segments])


def _with_page_height(segment: Segment, height: float) -> Segment:
    segment.page_height = height  # type: ignore[attr-defined]  # for the margin bands
    return segment


def _is_vertical(chars: list[dict]) -> bool:
    """縦書き when, in drawing order, the next character is mostly below rather than beside."""
    down = across = 0
    for a, b in zip(chars, chars[1:], strict=False):
        size = max(a["size"], 1.0)
        dx, dy = b["x0"] - a["x0"], b["top"] - a["top"]
        if abs(dx) < 0.3 * size and 0 < dy < 2 * size:
            down += 1
        elif abs(dy) < 0.3 * size and 0 < dx < 2 * size:
            across += 1
    return down > across


def _turned(char: dict, page_width: float) -> dict:
    """A vertical page turned a quarter: right-to-left columns become top-to-bottom lines."""
    return {
        **char,
        "x0": char["top"],
        "x1": char["bottom"],
        "top": page_width - char["x1"],
        "bottom": page_width - char["x0"],
    }


def _inside(char: dict, box: tuple[float, float, float, float]) -> bool:
    x0, top, x1, bottom = box
    cx, cy = (char["x0"] + char["x1"]) / 2, (char["top"] + char["bottom"]) / 2
    return x0 <= cx <= x1 and top <= cy <= bottom


# --- characters -> segments ------------------------------------------------------------------


def _segments(chars: list[dict]) -> list[Segment]:
    segments = []
    for row in _rows(chars):
        row.sort(key=lambda c: c["x0"])
        run = [row[0]]
        for char in row[1:]:
            size = max(char["size"], run[-1]["size"], 1.0)
            if char["x0"] - run[-1]["x1"] > SEGMENT_GAP_EM * size:
                segments.append(_segment(run))
                run = []
            run.append(char)
        segments.append(_segment(run))
    return [s for s in segments if s is not None]


def _rows(chars: list[dict]) -> list[list[dict]]:
    """Characters grouped by the line they sit on: vertical middles within half a size."""
    rows: list[list[dict]] = []
    for char in sorted(chars, key=lambda c: ((c["top"] + c["bottom"]) / 2, c["x0"])):
        middle = (char["top"] + char["bottom"]) / 2
        if rows:
            last = rows[-1]
            last_middle = statistics.fmean((c["top"] + c["bottom"]) / 2 for c in last[-3:])
            if abs(middle - last_middle) < 0.5 * max(char["size"], 1.0):
                last.append(char)
                continue
        rows.append([char])
    return rows


def _segment(run: list[dict]) -> Segment | None:
    while run and run[-1]["text"] == " ":
        run = run[:-1]
    while run and run[0]["text"] == " ":
        run = run[1:]
    if not run:
        return None
    parts = [run[0]["text"]]
    for a, b in zip(run, run[1:], strict=False):
        # PDFs without space glyphs: a word gap between Latin letters or digits is a space.
        gap = b["x0"] - a["x1"]
        if (
            gap > 0.2 * max(a["size"], 1.0)
            and a["text"].strip()
            and b["text"].strip()
            and _is_narrow(a["text"])
            and _is_narrow(b["text"])
        ):
            parts.append(" ")
        parts.append(b["text"])
    return Segment(
        text="".join(parts),
        x0=min(c["x0"] for c in run),
        x1=max(c["x1"] for c in run),
        top=min(c["top"] for c in run),
        bottom=max(c["bottom"] for c in run),
        size=statistics.median(c["size"] for c in run),
    )


def _is_narrow(text: str) -> bool:
    return bool(text) and unicodedata.east_asian_width(text[-1]) in ("Na", "H", "N")


# --- tables ------------------------------------------------------------------------------------


def _tables(page) -> list[tuple[object, list[str]]]:
    """Ruled tables of at least two rows and two columns, each with its rows as text."""
    found = []
    for table in page.find_tables():
        cells = [[_cell_text(cell) for cell in row] for row in table.extract()]
        cells = [row for row in cells if any(row)]
        if len(cells) < 2 or max(len(row) for row in cells) < 2:
            continue
        found.append((table, table_lines(cells)))
    return found


def _cell_text(cell: str | None) -> str:
    """A cell's lines joined: nothing between Japanese characters, a space between words."""
    if not cell:
        return ""
    lines = [line.strip() for line in cell.splitlines() if line.strip()]
    text = lines[0] if lines else ""
    for line in lines[1:]:
        text += (" " if _is_narrow(text[-1]) and _is_narrow(line[0]) else "") + line
    return text


def table_lines(rows: Sequence[Sequence[str]]) -> list[str]:
    """Each body row as 「見出し：値／見出し：値」, under the first row's headings."""
    headings, body = rows[0], rows[1:]
    lines = []
    for row in body:
        parts = []
        for index, value in enumerate(row):
            if not value:
                continue
            heading = headings[index] if index < len(headings) else ""
            parts.append(f"{heading}{TABLE_HEADING_SEPARATOR}{value}" if heading else value)
        if parts:
            lines.append(TABLE_CELL_SEPARATOR.join(parts))
    return lines


# --- running headers, footers, page numbers --------------------------------------------------


def _drop_furniture(pages: list[PdfPage]) -> None:
    """Drop segments in the margin bands that repeat across pages, and lone page numbers."""
    with_text = [p for p in pages if p.segments]
    needed = max(2, math.ceil(len(with_text) / 3))
    seen: Counter[tuple[str, int]] = Counter()
    for page in with_text:
        seen.update({_furniture_key(s) for s in page.segments if _in_margin(s, page)})
    for page in with_text:
        page.segments = [
            s
            for s in page.segments
            if not (
                _in_margin(s, page)
                and (
                    (len(with_text) > 1 and seen[_furniture_key(s)] >= needed)
                    or _PAGE_NUMBER.match(s.text)
                )
            )
        ]


def _in_margin(segment: Segment, page: PdfPage) -> bool:
    if segment.kind != "text":
        return False
    height = segment.page_height  # type: ignore[attr-defined]
    body = [s for s in page.segments if s.kind == "text"]
    top_edge = min(s.top for s in body)
    bottom_edge = max(s.bottom for s in body)
    near_top = segment.top <= max(top_edge, 0) + 1 and segment.bottom < height * MARGIN_BAND
    near_bottom = segment.bottom >= bottom_edge - 1 and segment.top > height * (1 - MARGIN_BAND)
    return near_top or near_bottom or _outside_body(segment, body)


def _outside_body(segment: Segment, body: list[Segment]) -> bool:
    """Above or below every other line by more than two lines' gap (a header over a rule)."""
    others = [s for s in body if s is not segment]
    if not others:
        return False
    above = min(s.top for s in others)
    below = max(s.bottom for s in others)
    gap = 2.5 * segment.size
    return segment.bottom < above - gap or segment.top > below + gap


def _furniture_key(segment: Segment) -> tuple[str, int]:
    """The same header on every page: its text with numbers blanked, at about the same height."""
    return (_DIGITS.sub("#", segment.text.strip()), round(segment.top / 6))


# --- reading order ---------------------------------------------------------------------------


def _ordered_lines(segments: list[Segment]) -> list[str]:
    lines: list[str] = []
    for segment in _reading_order(segments):
        lines.extend(segment.text.split("\n"))
    return lines


def _reading_order(segments: list[Segment]) -> list[Segment]:
    """Bands top to bottom; consecutive bands sharing a gutter are read column by column."""
    if len(segments) <= 1:
        return list(segments)
    ordered: list[Segment] = []
    group: list[Segment] = []
    gutters: list[tuple[float, float]] = []
    for band in _bands(segments):
        narrowed = _narrowed(gutters, band)
        if group and gutters and len(narrowed) == len(gutters):
            group.extend(band)
            gutters = narrowed
            continue
        ordered.extend(_read_group(group, gutters))
        group, gutters = list(band), _gutters(band)
    ordered.extend(_read_group(group, gutters))
    return ordered


def _read_group(group: list[Segment], gutters: list[tuple[float, float]]) -> list[Segment]:
    if not gutters:
        return sorted(group, key=lambda s: (s.top, s.x0))
    columns: list[list[Segment]] = [[] for _ in range(len(gutters) + 1)]
    for segment in group:
        index = sum(1 for g0, _ in gutters if segment.x0 >= g0)
        columns[index].append(segment)
    return [s for column in columns for s in _reading_order(column)]


def _bands(segments: list[Segment]) -> list[list[Segment]]:
    """Horizontal bands: segments whose vertical extents overlap, cut where none crosses."""
    bands: list[list[Segment]] = []
    bottom = -math.inf
    for segment in sorted(segments, key=lambda s: s.top):
        overlap = 0.25 * segment.size
        if bands and segment.top < bottom - overlap:
            bands[-1].append(segment)
            bottom = max(bottom, segment.bottom)
        else:
            bands.append([segment])
            bottom = segment.bottom
    return bands


def _gutters(band: list[Segment]) -> list[tuple[float, float]]:
    """Gaps between the segments of a band wide enough to be column gutters."""
    if len(band) < 2:
        return []
    size = statistics.median(s.size for s in band)
    spans = sorted((s.x0, s.x1) for s in band)
    gutters = []
    reach = spans[0][1]
    for x0, x1 in spans[1:]:
        if x0 - reach > GUTTER_MIN_EM * size:
            gutters.append((reach, x0))
        reach = max(reach, x1)
    return gutters


def _narrowed(gutters: list[tuple[float, float]], band: list[Segment]) -> list[tuple[float, float]]:
    """The gutters still open once ``band``'s segments are laid over them: a segment reaching
    into a gutter from one side narrows it; one spanning it (or leaving it too narrow) closes it.
    """
    if not band:
        return gutters
    size = statistics.median(s.size for s in band)
    open_gutters = []
    for g0, g1 in gutters:
        for segment in band:
            if segment.x1 <= g0 or segment.x0 >= g1:
                continue
            if segment.x0 <= g0:
                g0 = max(g0, segment.x1)
            elif segment.x1 >= g1:
                g1 = min(g1, segment.x0)
            else:
                g1 = g0  # a segment inside the gutter: no gutter there
        if g1 - g0 > GUTTER_MIN_EM * size:
            open_gutters.append((g0, g1))
    return open_gutters
