"""Japanese repair of extracted report text: ``LoadedReport`` -> ``RepairedReport``.

PDF extraction leaves lines broken mid-sentence, PDF spacing around digits and Latin words,
page furniture (page numbers, running footers) and, on two-column pages, a jumble of
truncated, overlapping halves of the real lines. The repaired text is what gets chunked and
quoted in citations, so it must read as clean prose while keeping every fact of the original
(full-width digits stay full-width; only spurious spaces are dropped; matching elsewhere
uses NFKC).

The pipeline, in order:

1. split the text into lines, remembering where each starts in the original;
2. drop page numbers; move running headers/footers out of the running text;
3. reassemble two-column regions (runs of fragments that overlap each other);
4. join lines broken mid-sentence, keep headings, captions and paragraph breaks;
5. tidy the spacing inside each line;
6. locate section headings and re-map pages to the repaired text.
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from ingest.japanese import CLOSING_BRACKETS, QUOTATIVES, QUOTE_CLOSERS, SENTENCE_ENDS
from ingest.records import LoadedReport, PageSpan, RepairedReport

OPENING_FOR_CLOSING = {
    "」": "「", "』": "『", "）": "（", ")": "(", "】": "【", "〕": "〔", "〉": "〈",
    "》": "《", "］": "［", "]": "[",
}  # fmt: skip
HEADING_MARKERS = "■□◆◇●○▲△▼▽★☆"
HEADING_MAX_CHARS = 80  # a marker-led line longer than this is a bullet paragraph
SHORT_LINE_RATIO = 0.75  # narrower than this share of the body width: the line ended early
COLUMN_MIN_RATIO = 0.35  # a column of a two-column page is at least this share of the body
COLUMN_SIMILARITY = 0.85  # lines of one justified column differ less than this in width
COLUMN_NEIGHBOURS = 3  # how far to look for a line of the same width
BODY_WIDTH_PERCENTILE = 0.8

# Two-column reassembly. A link is a suffix of one line that is the prefix of a later line.
MIN_LINK_OVERLAP = 4  # shorter overlaps are common by chance ("した。")
MAX_LINK_DISTANCE = 60  # lines; one page's columns are closer than this
MAX_LINK_PHRASE_LINES = 3  # a true overlap is shared by the fragments of one row only
MIN_REGION_LINKS = 3
MAX_BOUNDARY_COMBINATIONS = 400  # beyond this, place one boundary at a time
MIN_CONTAINED_CHARS = 4
FOOTER_MAX_CHARS = 40
LINE_PER_PARAGRAPH_SUFFIXES = (".docx", ".xlsx", ".pptx")

_PAGE_NUMBER = re.compile(
    r"^[-－―‐—–・\s]*(?:(?:page|p\.?|ページ)\s*)?[0-9０-９]{1,4}"
    r"(?:\s*(?:/|／|of)\s*[0-9０-９]{1,4})?\s*(?:ページ|頁)?[-－―‐—–・\s]*$",
    re.IGNORECASE,
)
# The tail of a parenthesised running title, e.g. "ヨーロッパ市場特集号）" under every page.
_ISSUE_TAIL = re.compile(r"(?:号|版|No\.?\s*[0-9０-９]+|Vol\.?\s*[0-9０-９]+)\s*[）)]$")
_LINE_BREAK = re.compile(r"\r\n|\r|\n|\f|\v|\u2028|\u2029|\x85")
_INLINE_SPACES = re.compile(r"[ \u00a0]+")
_DIGITS = re.compile(r"[0-9０-９]+")
_WHITESPACE = re.compile(r"\s+")
_LIST_ITEM = re.compile(
    r"^\s*(?:[・•◦‣]|[-*+]\s|[0-9０-９]{1,2}[.．)）]\s?|[（(][0-9０-９]{1,2}[)）]|[①-⑳])"
)


# --- public entry point ------------------------------------------------------------------


def repair(report: LoadedReport) -> RepairedReport:
    """Repair ``report``'s text into clean Japanese prose with sections and page spans."""
    pages = report.pages or _form_feed_pages(report.text)
    raw_lines = _split_lines(report.text)
    if _is_markdown(report):
        raw_lines = _unmark_markdown_lines(raw_lines)
    structured = _lines_are_paragraphs(report)
    # Word, Excel and PowerPoint files carry no printed page furniture in their text (their
    # footers and slide numbers are not read): a slide's line repeated on every slide, or a
    # cell holding only a number, is content.
    page_numbers = set() if structured else _page_number_indexes(raw_lines)
    running_titles = set() if structured else _running_title_indexes(raw_lines, pages)
    lines = _text_lines(raw_lines, page_numbers | running_titles)
    layout = _Layout.measure(lines, markdown=_is_markdown(report), lines_are_paragraphs=structured)
    lines = _reassemble_columns(lines, layout)
    paragraphs = _join_lines(lines, layout)
    paragraphs.extend(_running_title_paragraphs(raw_lines, running_titles))
    text, starts = _render(paragraphs)
    return RepairedReport(
        source=report.source,
        title=report.title,
        text=text,
        sections=_sections(paragraphs, starts),
        pages=_remap_pages(pages, paragraphs, starts, len(text)),
        metadata=dict(report.metadata),
    )


# --- lines -------------------------------------------------------------------------------


@dataclass
class _Line:
    """One line of text. ``start`` is where it begins in the original report text."""

    text: str
    start: int
    blanks_before: int = 0  # blank lines between this line and the previous text line
    in_region: bool = False  # reassembled from two-column fragments
    caption: bool = False  # a photo caption or similar label: always its own line

    @property
    def key(self) -> str:
        return _squeeze(self.text)


def _split_lines(text: str) -> list[_Line]:
    """Lines with trailing whitespace stripped; any newline convention or form feed ends one."""
    lines, position = [], 0
    for match in _LINE_BREAK.finditer(text):
        lines.append(_Line(text[position : match.start()].rstrip(), position))
        position = match.end()
    lines.append(_Line(text[position:].rstrip(), position))
    return lines


def _text_lines(raw_lines: list[_Line], dropped: set[int]) -> list[_Line]:
    """Non-blank lines that are not furniture, each knowing how many blank lines preceded it."""
    lines, blanks = [], 0
    for index, line in enumerate(raw_lines):
        if index in dropped:
            continue
        if not line.text.strip():
            blanks += 1
            continue
        lines.append(_Line(line.text, line.start, blanks_before=blanks))
        blanks = 0
    return lines


def _form_feed_pages(text: str) -> tuple[PageSpan, ...]:
    """Plain text with form feeds has pages too: one per form-feed-separated part."""
    if "\f" not in text:
        return ()
    spans, start = [], 0
    for number, part in enumerate(text.split("\f"), start=1):
        spans.append(PageSpan(number, start, start + len(part)))
        start += len(part) + 1
    return tuple(spans)


# --- Markdown ----------------------------------------------------------------------------

_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s*(.*?)\s*#*\s*$")
_MD_QUOTE = re.compile(r"^\s{0,3}(?:>\s?)+")
_MD_BULLET = re.compile(r"^(\s*)[-*+]\s+")
_MD_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")
_MD_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_CODE = re.compile(r"`([^`]*)`")


def _is_markdown(report: LoadedReport) -> bool:
    return any(name.lower().endswith((".md", ".markdown")) for name in (report.source, report.path))


def _lines_are_paragraphs(report: LoadedReport) -> bool:
    """Word, Excel and PowerPoint loaders write one line per paragraph, table row or cell
    line: none of them is a line broken by the page's width."""
    return report.source.lower().endswith(LINE_PER_PARAGRAPH_SUFFIXES)


def _unmark_markdown_lines(lines: list[_Line]) -> list[_Line]:
    unmarked = []
    for line in lines:
        text = _unmark_markdown(line.text)
        if text is not None:
            unmarked.append(_Line(text, line.start))
    return unmarked


def _unmark_markdown(text: str) -> str | None:
    """Markdown markup is not report text: headings become ■ headings (as the loaders mark
    docx/html headings), table rows tab-separated lines, bullets ・, emphasis plain."""
    if _MD_TABLE_RULE.match(text) and "-" in text:
        return None
    heading = _MD_HEADING.match(text)
    if heading and text.lstrip().startswith("#"):
        return "■" + heading.group(1).lstrip(HEADING_MARKERS).strip() if heading.group(1) else ""
    text = _MD_QUOTE.sub("", text)
    text = _MD_BULLET.sub(r"\1・", text)
    text = _MD_LINK.sub(r"\1", _MD_CODE.sub(r"\1", _MD_EMPHASIS.sub(r"\2", text)))
    if text.strip().startswith("|") and text.strip().endswith("|"):
        return "\t".join(cell.strip() for cell in text.strip()[1:-1].split("|"))
    return text


# --- character classes -------------------------------------------------------------------


def _squeeze(text: str) -> str:
    """Text without any whitespace: fragments are compared this way (PDF spacing varies)."""
    return _WHITESPACE.sub("", text)


@lru_cache(maxsize=8192)
def _is_wide(char: str) -> bool:
    """Japanese script and full-width forms (the characters that take no spaces between)."""
    return bool(char) and not char.isspace() and unicodedata.east_asian_width(char) in "WF"


def _is_punctuation(char: str) -> bool:
    return unicodedata.category(char)[0] in "PS"


@lru_cache(maxsize=65536)
def _display_width(text: str) -> int:
    return sum(2 if _is_wide(c) else 1 for c in text)


def _ends_sentence(text: str) -> bool:
    """``。`` ``！`` ``？`` at the end, possibly inside closing brackets (「…。」)."""
    stripped = text.rstrip().rstrip(CLOSING_BRACKETS)
    return bool(stripped) and stripped[-1] in SENTENCE_ENDS


def _is_heading(text: str) -> bool:
    """■/●/◆… headings (loaders mark docx/html headings with ■) and 【…】 label lines."""
    stripped = text.strip()
    if not stripped:
        return False
    if stripped[0] in HEADING_MARKERS:
        return len(stripped) <= HEADING_MAX_CHARS and not _ends_sentence(stripped)
    return stripped.startswith("【") and stripped.endswith("】") and stripped.count("【") == 1


def _heading_text(text: str) -> str:
    stripped = _tidy_spacing(text).lstrip(HEADING_MARKERS).strip()
    if stripped.startswith("【") and stripped.endswith("】"):
        stripped = stripped[1:-1].strip()
    return stripped


def _unbalanced_closing_tail(text: str) -> bool:
    """Ends with a closing bracket that opens nowhere in the line, e.g. "特集号）"."""
    stripped = text.strip()
    if not stripped or stripped[-1] not in OPENING_FOR_CLOSING:
        return False
    return OPENING_FOR_CLOSING[stripped[-1]] not in stripped


# --- page furniture ----------------------------------------------------------------------


# Page numbers carry nothing and go. Running headers and footers interrupt sentences and
# repeat, but may name the publication ("…ヨーロッパ市場特集号）" is the only place the seed
# names its issue), so they leave the running text and are kept once at its end.


def _page_number_indexes(lines: list[_Line]) -> set[int]:
    return {i for i, line in enumerate(lines) if _PAGE_NUMBER.match(line.text)}


def _running_title_indexes(lines: list[_Line], pages: Sequence[PageSpan]) -> set[int]:
    return _running_title_lines(lines, pages) | _footer_tail_lines(lines)


def _running_title_paragraphs(lines: list[_Line], indexes: set[int]) -> list[_Paragraph]:
    """Each distinct running title once, in order of first appearance, after the text."""
    paragraphs, seen = [], set()
    for index in sorted(indexes):
        line = lines[index]
        if line.key not in seen:
            seen.add(line.key)
            paragraph = _Paragraph(gap="\n\n", furniture=True)
            paragraph.add(line)
            paragraphs.append(paragraph)
    return paragraphs


def _furniture_shape(text: str) -> str:
    """Compare running headers with digits masked: "2012年 3頁" and "2012年 4頁" are one."""
    return _DIGITS.sub("#", _squeeze(text))


def _running_title_lines(lines: list[_Line], pages: Sequence[PageSpan]) -> set[int]:
    """First/last lines of pages that repeat on several pages (running headers, footers)."""
    if len(pages) < 2:
        return set()
    edges_by_page = [_page_edge_lines(lines, page) for page in pages]
    pages_with_shape = Counter(
        shape
        for edges in edges_by_page
        for shape in {_furniture_shape(lines[i].text) for i in edges}
    )
    needed = max(2, math.ceil(len(pages) / 3))
    return {
        i
        for edges in edges_by_page
        for i in edges
        if pages_with_shape[_furniture_shape(lines[i].text)] >= needed
    }


def _page_edge_lines(lines: list[_Line], page: PageSpan, depth: int = 2) -> list[int]:
    inside = [
        i
        for i, line in enumerate(lines)
        if page.start <= line.start < page.end and line.text.strip()
    ]
    return sorted(set(inside[:depth] + inside[-depth:]))


def _footer_tail_lines(lines: list[_Line]) -> set[int]:
    """Running titles of a magazine ("自治体国際化フォーラム（アジア市場特集号）") or their
    leftover tails ("ヨーロッパ市場特集号）") in pages extracted without page spans.

    A short non-sentence line ending in a closing bracket is furniture when it is shaped
    like an issue title (…号）) and is cut (its bracket opens nowhere), repeats, or sits
    inside a sentence of the running text; or when a cut bracket line repeats.
    """
    candidates = [
        i
        for i, line in enumerate(lines)
        if 0 < len(line.key) <= FOOTER_MAX_CHARS
        and line.key[-1] in OPENING_FOR_CLOSING
        and not _ends_sentence(line.text)
    ]
    repeats = Counter(lines[i].key for i in candidates)
    dropped = set()
    for i in candidates:
        repeated = repeats[lines[i].key] >= 2
        cut = _unbalanced_closing_tail(lines[i].text)
        if _ISSUE_TAIL.search(lines[i].key):
            furniture = cut or repeated or _interrupts_sentence(lines, i)
        else:
            furniture = cut and repeated
        if furniture:
            dropped.add(i)
    return dropped


def _interrupts_sentence(lines: list[_Line], index: int) -> bool:
    """The nearest text line above does not end its sentence: ``index`` sits inside one."""
    for line in reversed(lines[:index]):
        if line.text.strip() and not _PAGE_NUMBER.match(line.text):
            return not _ends_sentence(line.text) and not _is_heading(line.text)
    return False


# --- layout ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Layout:
    """What the page looked like: how wide a full body line is, how blank lines are used."""

    body_width: float
    paragraph_blanks: int  # this many blank lines between two lines mean a paragraph break
    authored_paragraphs: bool = False  # Markdown: a blank line always ends a paragraph
    lines_are_paragraphs: bool = False  # .docx/.xlsx/.pptx: no line was wrapped

    @classmethod
    def measure(
        cls, lines: list[_Line], *, markdown: bool = False, lines_are_paragraphs: bool = False
    ) -> _Layout:
        widths = sorted(_display_width(line.text) for line in lines)
        body_width = widths[math.ceil(BODY_WIDTH_PERCENTILE * (len(widths) - 1))] if widths else 0
        if lines_are_paragraphs:
            return cls(body_width=body_width, paragraph_blanks=1, lines_are_paragraphs=True)
        if markdown:
            return cls(body_width=body_width, paragraph_blanks=1, authored_paragraphs=True)
        return cls(body_width=body_width, paragraph_blanks=_paragraph_blanks(lines))

    def is_short(self, line: _Line) -> bool:
        return _display_width(line.text) < SHORT_LINE_RATIO * self.body_width

    def is_hard_break(self, line: _Line) -> bool:
        return line.blanks_before >= self.paragraph_blanks


def _paragraph_blanks(lines: list[_Line]) -> int:
    """Some extractions put a blank line after every line ("double spacing"); there a single
    blank line is just a line break and only two or more mark a paragraph."""
    if len(lines) < 4:
        return 1
    single = sum(1 for line in lines[1:] if line.blanks_before == 1)
    return 2 if single >= 0.5 * (len(lines) - 1) else 1


# --- two-column reassembly ---------------------------------------------------------------
#
# A two-column page comes out as each column's window of the real lines: first all left
# pieces, then all middle pieces, then all right pieces, each cut mid-word and overlapping
# its neighbour by a few characters ("ARD のサビーヌ・アンジャルベール" ... later
# "ビーヌ・アンジャルベール局長及び担当部長についてはともに"). Long overlaps are unambiguous
# links; they tell which lines are fragments, and that a linked line belongs to the next
# block. Rows are then rebuilt by aligning each block to the rows so far, like sequence
# alignment: order is preserved, and the score is the overlap length, so short overlaps
# ("…日に" + "に、津市と") are used where the long ones leave room for nothing else.


@dataclass(frozen=True)
class _Link:
    earlier: int
    later: int
    overlap: int


@lru_cache(maxsize=65536)
def _suffix_prefix_overlap(left: str, right: str) -> int:
    """Longest suffix of ``left`` that is a prefix of ``right`` (both already squeezed)."""
    for size in range(min(len(left), len(right)), 0, -1):
        if left.endswith(right[:size]):
            return size
    return 0


@lru_cache(maxsize=65536)
def _join_score(row: str, fragment: str) -> int:
    """How strongly ``fragment`` continues ``row``: the characters they share at the seam."""
    overlap = _suffix_prefix_overlap(row, fragment)
    if overlap:
        return overlap
    if len(fragment) >= MIN_CONTAINED_CHARS and fragment in row:
        return len(fragment)
    return 0


def _merge_fragment(row: str, fragment: str) -> str:
    """``row`` continued by ``fragment``, with the shared characters kept once."""
    row_key, fragment_key = _squeeze(row), _squeeze(fragment)
    overlap = _suffix_prefix_overlap(row_key, fragment_key)
    if overlap == 0:
        return row if fragment_key and fragment_key in row_key else row + fragment
    if overlap >= len(fragment_key):
        return row
    return row + _after_squeezed_chars(fragment, overlap)


def _after_squeezed_chars(text: str, count: int) -> str:
    """``text`` after its first ``count`` non-whitespace characters."""
    seen = 0
    for index, char in enumerate(text):
        if not char.isspace():
            seen += 1
            if seen == count:
                return text[index + 1 :]
    return ""


def _column_links(keys: list[str]) -> list[_Link]:
    """Pairs of lines where a rare suffix of the earlier one starts the later one."""
    by_prefix: dict[str, list[int]] = defaultdict(list)
    for index, key in enumerate(keys):
        if len(key) >= MIN_LINK_OVERLAP:
            by_prefix[key[:MIN_LINK_OVERLAP]].append(index)
    links = []
    for earlier, key in enumerate(keys):
        best: dict[int, int] = {}
        # position >= 1: the earlier line must have text of its own before the overlap
        for position in range(1, len(key) - MIN_LINK_OVERLAP + 1):
            suffix = key[position:]
            for later in by_prefix.get(suffix[:MIN_LINK_OVERLAP], ()):
                seam = (
                    earlier < later <= earlier + MAX_LINK_DISTANCE
                    and later not in best
                    and keys[later].startswith(suffix)
                    and _lines_near(keys, earlier, suffix) <= MAX_LINK_PHRASE_LINES
                )
                if seam:
                    best[later] = len(suffix)
        links.extend(_Link(earlier, later, size) for later, size in best.items())
    return links


def _lines_near(keys: list[str], index: int, phrase: str) -> int:
    """How many lines around ``index`` contain ``phrase``. A true seam is shared by the
    fragments of one row only; a phrase in many nearby lines is a common word ("ました。")."""
    window = keys[max(0, index - MAX_LINK_DISTANCE) : index + 2 * MAX_LINK_DISTANCE]
    return sum(1 for key in window if phrase in key)


def _link_clusters(links: list[_Link]) -> list[list[_Link]]:
    """Links whose line spans overlap form one region; a lone link or two is coincidence."""
    clusters: list[list[_Link]] = []
    end = -1
    for link in sorted(links, key=lambda link: (link.earlier, link.later)):
        if clusters and link.earlier < end:
            clusters[-1].append(link)
            end = max(end, link.later)
        else:
            clusters.append([link])
            end = link.later
    return [cluster for cluster in clusters if len(cluster) >= MIN_REGION_LINKS]


def _reassemble_columns(lines: list[_Line], layout: _Layout) -> list[_Line]:
    """Replace each two-column region by its reassembled rows."""
    links = _column_links([line.key for line in lines])
    result: list[_Line] = []
    done = 0
    for cluster in _link_clusters(links):
        first = min(link.earlier for link in cluster)
        last = max(link.later for link in cluster)
        first = _extend_backwards(lines, first, floor=done, layout=layout)
        last = _extend_forwards(lines, last, layout=layout)
        region = lines[first : last + 1]
        local = [_Link(link.earlier - first, link.later - first, link.overlap) for link in cluster]
        result.extend(lines[done:first])
        result.extend(_assemble_region(region, local, layout))
        done = last + 1
    result.extend(lines[done:])
    return result


def _extend_backwards(lines: list[_Line], first: int, *, floor: int, layout: _Layout) -> int:
    """The left column starts before the first link: take the short lines above it, up to
    a heading, a paragraph break, or the tail of ordinary full-width text."""
    while first > floor:
        candidate = lines[first - 1]
        if layout.is_hard_break(lines[first]) or not layout.is_short(candidate):
            break
        if first - 1 > floor and _is_tail_of_text(lines[first - 2], candidate, layout):
            break
        first -= 1
        if _is_heading(candidate.text):
            break
    return first


def _is_tail_of_text(before: _Line, line: _Line, layout: _Layout) -> bool:
    """A short line right after a full line that runs on is the end of a normal paragraph."""
    return (
        not layout.is_short(before)
        and not _ends_sentence(before.text)
        and not layout.is_hard_break(line)
    )


def _extend_forwards(lines: list[_Line], last: int, *, layout: _Layout) -> int:
    """Short lines right after the last link (captions under the columns) belong to it."""
    while last + 1 < len(lines):
        candidate = lines[last + 1]
        if (
            layout.is_hard_break(candidate)
            or not layout.is_short(candidate)
            or _is_heading(candidate.text)
        ):
            break
        last += 1
    return last


def _mostly_narrow(region: list[_Line], layout: _Layout) -> bool:
    """Column fragments are narrower than body lines; full-width prose is never a region."""
    return sum(layout.is_short(line) for line in region) * 2 > len(region)


def _assemble_region(region: list[_Line], links: list[_Link], layout: _Layout) -> list[_Line]:
    """Rows of a two-column region, in reading order."""
    if not _mostly_narrow(region, layout):
        return region
    rows_text = _RowTexts(region)
    blocks = _best_blocks(rows_text, len(region), links)
    if blocks is None:
        return region  # links contradict a column layout: leave the lines alone
    rows, _ = _align_blocks(rows_text, blocks)
    captions = _caption_members(rows, blocks, region)
    assembled = []
    for row in rows:
        assembled.append(
            _Line(
                rows_text.text(row),
                region[row[0]].start,
                blanks_before=region[row[0]].blanks_before if row[0] == 0 else 0,
                in_region=True,
                caption=len(row) == 1 and row[0] in captions,
            )
        )
    return assembled


def _best_blocks(rows_text: _RowTexts, count: int, links: list[_Link]) -> list[range] | None:
    """Split the region into column blocks so every link joins neighbouring blocks.

    Links only bound where a block may start (a linked line is in the block after its
    partner's); among the possible splits, the one whose blocks align best wins, and on a
    tie the later split (a line stays in the block it was read in).
    """
    lowest = _lowest_levels(count, links)
    top = lowest[-1]
    if top == 0:
        return None
    highest = _highest_levels(count, links, top)
    ranges = []
    for level in range(1, top + 1):
        earliest = next(i for i in range(count) if highest[i] >= level)
        latest = next(i for i in range(count) if lowest[i] >= level)
        if earliest > latest:
            return None
        ranges.append(range(earliest, latest + 1))
    if math.prod(len(r) for r in ranges) <= MAX_BOUNDARY_COMBINATIONS:
        candidates: Iterable[tuple[int, ...]] = itertools.product(*ranges)
    else:
        candidates = _one_boundary_at_a_time(ranges)
    best, best_key = None, None
    for starts in candidates:
        blocks = _blocks_from_starts(starts, count)
        if blocks is None or not _links_join_neighbours(blocks, links):
            continue
        key = (_alignment_score(rows_text, blocks), starts)
        if best_key is None or key > best_key:
            best, best_key = blocks, key
    return best


def _blocks_from_starts(starts: tuple[int, ...], count: int) -> list[range] | None:
    bounds = (0, *starts, count)
    if any(b <= a for a, b in itertools.pairwise(bounds)):
        return None
    return [range(a, b) for a, b in itertools.pairwise(bounds)]


def _one_boundary_at_a_time(ranges: list[range]) -> list[tuple[int, ...]]:
    """For very loose constraints: vary one boundary while the others stay at their latest."""
    latest = tuple(r[-1] for r in ranges)
    return [latest[:k] + (start,) + latest[k + 1 :] for k, r in enumerate(ranges) for start in r]


def _lowest_levels(count: int, links: list[_Link]) -> list[int]:
    """The earliest block each line can be in: blocks never go back, links step forward."""
    incoming = defaultdict(list)
    for link in links:
        incoming[link.later].append(link.earlier)
    levels: list[int] = []
    for index in range(count):
        level = levels[-1] if levels else 0
        for earlier in incoming[index]:
            level = max(level, levels[earlier] + 1)
        levels.append(level)
    return levels


def _highest_levels(count: int, links: list[_Link], top: int) -> list[int]:
    """The latest block each line can be in, the mirror image of ``_lowest_levels``."""
    outgoing = defaultdict(list)
    for link in links:
        outgoing[link.earlier].append(link.later)
    levels = [top] * count
    for index in reversed(range(count)):
        level = levels[index + 1] if index + 1 < count else top
        for later in outgoing[index]:
            level = min(level, levels[later] - 1)
        levels[index] = level
    return levels


def _links_join_neighbours(blocks: list[range], links: list[_Link]) -> bool:
    block_of = {i: b for b, block in enumerate(blocks) for i in block}
    return all(block_of[link.later] == block_of[link.earlier] + 1 for link in links)


def _alignment_score(rows_text: _RowTexts, blocks: list[range]) -> int:
    return _align_blocks(rows_text, blocks)[1]


def _align_blocks(rows_text: _RowTexts, blocks: list[range]) -> tuple[list[list[int]], int]:
    """Rows of the region's blocks, aligned left to right, and the total seam score."""
    rows: list[list[int]] = [[i] for i in blocks[0]]
    total = 0
    for block in blocks[1:]:
        rows, score = _align_block(rows_text, rows, list(block))
        total += score
    return rows, total


def _align_block(
    rows_text: _RowTexts, rows: list[list[int]], block: list[int]
) -> tuple[list[list[int]], int]:
    """Attach each line of ``block`` to at most one row, keeping both orders, maximising the
    characters shared at the seams (a global alignment in which only overlaps score)."""
    fragment_keys = [rows_text.key((i,)) for i in block]
    row_keys = [rows_text.key(row) for row in rows]
    seams = [[_join_score(row_key, key) for key in fragment_keys] for row_key in row_keys]
    best = [[0] * (len(block) + 1) for _ in range(len(rows) + 1)]
    for r, row_seams in enumerate(seams):
        above, here = best[r], best[r + 1]
        for f, seam in enumerate(row_seams):
            value = above[f + 1] if above[f + 1] > here[f] else here[f]
            if seam and above[f] + seam > value:
                value = above[f] + seam
            here[f + 1] = value
    steps = _trace_alignment(best, seams)
    return _apply_alignment(steps, rows, block), best[-1][-1]


def _trace_alignment(best: list[list[int]], seams: list[list[int]]) -> list[tuple[int, int]]:
    """Alignment steps front to back: (row, fragment) with -1 where one side has nothing."""
    steps = []
    r, f = len(seams), len(best[0]) - 1
    while r > 0 or f > 0:
        seam = seams[r - 1][f - 1] if r and f else 0
        if seam and best[r][f] == best[r - 1][f - 1] + seam:
            steps.append((r - 1, f - 1))
            r, f = r - 1, f - 1
        elif f and best[r][f] == best[r][f - 1]:
            steps.append((-1, f - 1))
            f -= 1
        else:
            steps.append((r - 1, -1))
            r -= 1
    return steps[::-1]


def _apply_alignment(
    steps: list[tuple[int, int]], rows: list[list[int]], block: list[int]
) -> list[list[int]]:
    """New rows; a fragment that continues no row becomes a row of its own, after the
    unmatched rows next to it (it sat to their right on the page)."""
    result: list[list[int]] = []
    pending: list[list[int]] = []
    for row, fragment in steps:
        if row >= 0 and fragment >= 0:
            result.extend(pending)
            pending = []
            result.append([*rows[row], block[fragment]])
        elif row >= 0:
            result.extend(pending)
            pending = []
            result.append(list(rows[row]))
        else:
            pending.append([block[fragment]])
    result.extend(pending)
    return result


class _RowTexts:
    """Merged text of rows of region lines. Cached: every split tried rebuilds the same rows."""

    def __init__(self, region: list[_Line]) -> None:
        self._region = region
        self._texts: dict[tuple[int, ...], str] = {}
        self._keys: dict[tuple[int, ...], str] = {}

    def text(self, row: Sequence[int]) -> str:
        row = tuple(row)
        if row not in self._texts:
            fragment = self._region[row[-1]].text.strip()
            self._texts[row] = (
                _merge_fragment(self.text(row[:-1]), fragment) if len(row) > 1 else fragment
            )
        return self._texts[row]

    def key(self, row: Sequence[int]) -> str:
        row = tuple(row)
        if row not in self._keys:
            self._keys[row] = _squeeze(self.text(row))
        return self._keys[row]


def _caption_members(rows: list[list[int]], blocks: list[range], region: list[_Line]) -> set[int]:
    """A block's last line that continues nothing and is no sentence: a caption under a photo
    ("ARDとの調印式の様子"); it must not be glued to the text that follows."""
    alone = {row[0] for row in rows if len(row) == 1}
    return {
        block[-1]
        for block in blocks
        if block[-1] in alone
        and not _ends_sentence(region[block[-1]].text)
        and not _is_heading(region[block[-1]].text)
    }


# --- joining lines -----------------------------------------------------------------------


@dataclass
class _Paragraph:
    """One output line: input lines joined and tidied. ``origins`` are where those lines
    start in the original text; ``gap`` separates it from the previous output line."""

    parts: list[str] = field(default_factory=list)
    origins: list[int] = field(default_factory=list)
    gap: str = "\n"
    heading: bool = False
    furniture: bool = False  # a running title moved out of the text: no page of its own

    def add(self, line: _Line) -> None:
        self.parts.append(line.text)
        self.origins.append(line.start + _leading_space(line.text))

    @property
    def text(self) -> str:
        return _tidy_spacing(_concatenate(self.parts))

    def anchors(self) -> list[tuple[int, int]]:
        """(offset in ``text``, original offset) where each joined line begins. Tidying only
        touches spaces next to each character, so a prefix tidies the same way alone."""
        anchors = []
        for count, (part, origin) in enumerate(zip(self.parts, self.origins, strict=True), 1):
            prefix = _tidy_spacing(_concatenate(self.parts[:count]))
            anchors.append((max(0, len(prefix) - len(_tidy_spacing(part))), origin))
        return anchors


def _join_lines(lines: list[_Line], layout: _Layout) -> list[_Paragraph]:
    paragraphs: list[_Paragraph] = []
    previous: _Line | None = None
    for index, line in enumerate(lines):
        runs_on = bool(paragraphs) and len(paragraphs[-1].parts) > 1
        if index >= 1 and _in_narrow_column(lines, index - 1, layout):
            runs_on = True
        if previous is None or not _continues(previous, line, layout, runs_on=runs_on):
            paragraphs.append(
                _Paragraph(gap=_gap_before(previous, line, layout), heading=_is_heading(line.text))
            )
        paragraphs[-1].add(line)
        previous = line
    return paragraphs


def _continues(previous: _Line, line: _Line, layout: _Layout, *, runs_on: bool) -> bool:
    """Does ``line`` carry on the sentence of ``previous``? ``runs_on``: ``previous`` was
    itself the continuation of an earlier line, or is as wide as the line before it."""
    if previous.caption or line.caption or layout.lines_are_paragraphs:
        return False
    if _ends_sentence(previous.text):
        return _quote_runs_on(previous.text, line.text)
    if _is_heading(previous.text) or _is_heading(line.text):
        return False
    if "\t" in previous.text or "\t" in line.text:  # table rows
        return False
    if line.text.startswith("\u3000"):  # the Japanese paragraph indent
        return False
    if layout.authored_paragraphs and layout.is_hard_break(line):
        return False
    if previous.in_region or not layout.is_short(previous):
        return True
    if _LIST_ITEM.match(previous.text):
        return False
    # A line that stops well short of the body width ended its paragraph (a title, byline,
    # list item)... unless it belongs to running text that has not ended its sentence:
    # extraction wrapped it early (Latin words often do), or it is a narrow column's line.
    return (
        runs_on
        and not layout.is_hard_break(line)
        and not line.text[:1].isspace()
        and not _LIST_ITEM.match(line.text)
    )


def _in_narrow_column(lines: list[_Line], index: int, layout: _Layout) -> bool:
    """Is ``lines[index]`` a line of a narrow column (a two-column page extracted column by
    column)? Then a nearby line of its block is just as wide, with at most the short last
    lines of paragraphs between them, and both are too wide for titles or bylines."""
    line = lines[index]
    width = _display_width(line.text.strip())
    if width < COLUMN_MIN_RATIO * layout.body_width or _is_heading(line.text):
        return False
    for step in (-1, 1):
        position = index
        for _ in range(COLUMN_NEIGHBOURS):
            later = position if step < 0 else position + 1
            position += step
            if not 0 <= position < len(lines) or layout.is_hard_break(lines[later]):
                break
            neighbour = lines[position]
            other = _display_width(neighbour.text.strip())
            if min(width, other) >= COLUMN_SIMILARITY * max(width, other):
                return True
            if other > width or not _ends_sentence(neighbour.text):
                break  # only a paragraph's short last line may come between
    return False


def _quote_runs_on(previous: str, line: str) -> bool:
    """「…。」 followed by と/って/など is still one sentence: "「…期待する。」との発言"."""
    return previous.rstrip().endswith(tuple(QUOTE_CLOSERS)) and line.lstrip().startswith(QUOTATIVES)


def _gap_before(previous: _Line | None, line: _Line, layout: _Layout) -> str:
    if previous is None:
        return ""
    if _is_heading(line.text) or _is_heading(previous.text) or layout.is_hard_break(line):
        return "\n\n"
    return "\n"


def _leading_space(text: str) -> int:
    return len(text) - len(text.lstrip())


def _concatenate(parts: Iterable[str]) -> str:
    """Join broken lines: no space inside Japanese, one space between Latin words."""
    text = ""
    for part in parts:
        part = part.strip()
        if text and part and _needs_space(text[-1], part[0]):
            text += " "
        text += part
    return text


def _needs_space(before: str, after: str) -> bool:
    if before == "-":  # "Île-de-" + "France": a hyphen at the break joins the word
        return False
    return not _is_wide(before) and not _is_wide(after)


# --- spacing -----------------------------------------------------------------------------


def _tidy_spacing(line: str) -> str:
    """Drop the PDF's spaces around digits, Latin words and Japanese punctuation.

    "平成 24 年 11 月 20 日" -> "平成24年11月20日", "ARD との" -> "ARDとの"; spaces between
    Latin words stay (one), and so does a space between two Japanese words ("秋山 晴美").
    Letter-spaced lines ("報 告 書") lose all their spaces.
    """
    line = line.strip()
    letter_spaced = _is_letter_spaced(line)

    def replace(match: re.Match) -> str:
        before = line[match.start() - 1] if match.start() else ""
        after = line[match.end()] if match.end() < len(line) else ""
        if not (_is_wide(before) or _is_wide(after)):
            return " "
        if (
            _is_wide(before)
            and _is_wide(after)
            and not letter_spaced
            and not _is_punctuation(before)
            and not _is_punctuation(after)
        ):
            return " "
        return ""

    return _INLINE_SPACES.sub(replace, line)


def _is_letter_spaced(line: str) -> bool:
    """Most Japanese characters are separated by single spaces (a spaced-out title)."""
    pairs = re.findall(r"(?=(\S) (\S))", line)
    wide_pairs = sum(1 for a, b in pairs if _is_wide(a) and _is_wide(b))
    wide_chars = sum(1 for c in line if _is_wide(c))
    return wide_chars >= 3 and wide_pairs >= 0.6 * (wide_chars - 1)


# --- output: text, sections, pages -------------------------------------------------------


def _render(paragraphs: list[_Paragraph]) -> tuple[str, list[int]]:
    """The repaired text and where each paragraph starts in it."""
    pieces, starts, offset = [], [], 0
    for paragraph in paragraphs:
        gap = paragraph.gap if pieces else ""
        offset += len(gap)
        text = paragraph.text
        starts.append(offset)
        pieces.append(gap + text)
        offset += len(text)
    return "".join(pieces), starts


def _sections(paragraphs: list[_Paragraph], starts: list[int]) -> tuple[tuple[int, str], ...]:
    return tuple(
        (start, _heading_text(paragraph.text))
        for paragraph, start in zip(paragraphs, starts, strict=True)
        if paragraph.heading and _heading_text(paragraph.text)
    )


def _remap_pages(
    pages: Sequence[PageSpan], paragraphs: list[_Paragraph], starts: list[int], length: int
) -> tuple[PageSpan, ...]:
    """Page spans over the repaired text. A page begins where its first line begins, also
    inside a sentence joined across a page break."""
    if not pages:
        return ()
    runs: list[list[int]] = []  # [page number, start]
    for paragraph, start in zip(paragraphs, starts, strict=True):
        if paragraph.furniture:
            continue
        for offset, origin in paragraph.anchors():
            number = _page_of(pages, origin)
            if number is None or (runs and runs[-1][0] == number):
                continue
            runs.append([number, start + offset if runs else 0])
    if not runs:  # every line was furniture
        return ()
    bounds = [start for _, start in runs[1:]] + [length]
    read_by_ocr = {page.number for page in pages if page.ocr}
    return tuple(
        PageSpan(number, start, end, number in read_by_ocr)
        for (number, start), end in zip(runs, bounds, strict=True)
    )


def _page_of(pages: Sequence[PageSpan], offset: int) -> int | None:
    for page in pages:
        if page.start <= offset < page.end:
            return page.number
    earlier = [page for page in pages if page.start <= offset]
    return earlier[-1].number if earlier else None
