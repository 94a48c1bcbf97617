"""One spelling for every character a report's text is made of, applied as it is loaded.

PDF fonts often map a kanji's glyph to the radical that looks the same, so 「亀山市」 is
extracted as 「⻲⼭市」 and 「大学」 as 「⼤学」; old Word and Ichitaro files carry CJK
compatibility ideographs (U+F900-U+FAFF); justified PDF lines come out letter-spaced
(「さ い た ま 市 は 令 和 6 年」). Searches, embeddings and the reader see only the unified
ideographs a user types, so the loaded text is normalised here, once, before repair: what is
stored, indexed, embedded and quoted is then the same text.

Nothing else changes: full-width digits and letters, half-width kana and every other
character stay as the file holds them (matching elsewhere uses NFKC).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from ingest.records import PageSpan

RADICAL_TABLE = Path(__file__).with_name("radicals.tsv")  # scripts/make_radical_table.py
COMPATIBILITY_IDEOGRAPHS = ((0xF900, 0xFAFF), (0x2F800, 0x2FA1F))
# Spaces a justified line puts between its letters: one or two ASCII or no-break spaces, or
# one ideographic space. Longer gaps separate columns or table cells and stay.
_GAP = r"(?:[ \u00a0]{1,2}|\u3000)"
# A letter-spaced run: three or more single characters separated by gaps (digit groups count
# as one: "6 月 14 日"), with the gaps on either side of it.
_SPACED_RUN = re.compile(
    rf"(?P<before>(?<=\S){_GAP})?(?<!\S)(?P<run>(?:(?:\S|[0-9]+){_GAP}){{2,}}(?:\S|[0-9]+))"
    rf"(?!\S)(?P<after>{_GAP}(?=\S))?"
)
# Two spaced single characters: the cheap test that lets most lines skip the full pattern.
_MAYBE_SPACED = re.compile(rf"(?<!\S)\S{_GAP}\S(?!\S)")
MIN_WIDE_IN_RUN = 3  # fewer wide characters: Latin initials or numbers ("A B C", "1 2 3")


@lru_cache(maxsize=1)
def _translation() -> dict[int, str]:
    """Code point -> unified ideograph, for radicals and compatibility ideographs."""
    table: dict[int, str] = {}
    for line in RADICAL_TABLE.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            radical, ideograph = line.split("\t")[:2]
            table[ord(radical)] = ideograph
    for low, high in COMPATIBILITY_IDEOGRAPHS:
        for code in range(low, high + 1):
            nfkc = unicodedata.normalize("NFKC", chr(code))
            if nfkc != chr(code):  # a dozen code points of the block are unified ideographs
                table[code] = nfkc
    return table


def unify_ideographs(text: str) -> str:
    """Radicals and compatibility ideographs replaced by their unified ideographs
    (one character for one, so offsets into the text stay valid)."""
    return text.translate(_translation())


def join_letter_spacing(text: str) -> str:
    """Letter-spaced runs of Japanese written together, line by line.

    「さ い た ま 市 は 令 和 6 年」 -> 「さいたま市は令和6年」. A run must hold at least three
    wide (Japanese) characters, so word spaces between Latin words ("Lyon Part-Dieu") and
    spaced initials or numbers ("A B C") stay, and so does a space between two Japanese
    words of more than one character (「秋山 晴美」).
    """

    return "\n".join(
        _join_runs(line) if _MAYBE_SPACED.search(line) else line for line in text.split("\n")
    )


def _join_runs(line: str) -> str:
    def join(match: re.Match) -> str:
        run = match.group("run")
        before, after = match.group("before") or "", match.group("after") or ""
        if sum(1 for ch in run if _is_wide(ch)) < MIN_WIDE_IN_RUN:
            return match.group()
        # The gap to a neighbouring word goes too when both sides are Japanese: in a
        # letter-spaced line no space is a word space.
        if before and _is_wide(line[match.start() - 1]) and _is_wide(run[0]):
            before = ""
        if after and _is_wide(line[match.end()]) and _is_wide(run[-1]):
            after = ""
        return before + re.sub(_GAP, "", run) + after

    return _SPACED_RUN.sub(join, line)


def normalise_characters(text: str) -> str:
    """Unified ideographs, letter-spaced runs joined."""
    return join_letter_spacing(unify_ideographs(text))


def normalise_pages(text: str, pages: Sequence[PageSpan]) -> tuple[str, tuple[PageSpan, ...]]:
    """``normalise_characters`` over a paged text, with the page spans moved to match.

    Each page, and each stretch between pages, is normalised on its own (joining never
    crosses a page boundary), so every page still covers exactly its own text.
    """
    if not pages:
        return normalise_characters(text), ()
    pieces: list[str] = []
    spans: list[PageSpan] = []
    offset = 0  # in the original text
    length = 0  # of the normalised text so far
    for page in pages:
        gap = normalise_characters(text[offset : page.start])
        body = normalise_characters(text[page.start : page.end])
        pieces += [gap, body]
        start = length + len(gap)
        spans.append(PageSpan(page.number, start, start + len(body), page.ocr))
        length += len(gap) + len(body)
        offset = page.end
    pieces.append(normalise_characters(text[offset:]))
    return "".join(pieces), tuple(spans)


def _is_wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")
