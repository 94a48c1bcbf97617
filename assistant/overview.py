"""Overview questions (要点、概要、まとめ、どんな報告書か): the report's outline, quoted.

No one sentence answers 「この報告書の要点は？」, so the reader alone would say the reports are
silent. The overview is extractive: the report's lead sentence, then the first sentence of
each of its sections in the order of the text, each quoted with its source, so every line
can be checked like any other answer. The report is the one the question names (or the one
its best passage comes from).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from assistant.citations import citation_for, quote_lines
from assistant.records import Answer, Citation, Passage
from ingest.chunking import split_sentences
from ingest.japanese import CLOSING_BRACKETS, HIRAGANA, SENTENCE_ENDS
from ingest.records import Chunk

OVERVIEW_KIND = "overview"
OVERVIEW_INTRO = "「{title}」の要点を、資料の記述から順に挙げます。"
DEFAULT_POINTS = 5
MAX_POINTS = 8
# A sentence worth a line of an overview: long enough to say something (headings, bylines
# and dates alone are shorter) and written in sentences (it holds hiragana).
MIN_SENTENCE_CHARS = 20
_KANJI_NUMBERS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8}
_HIRAGANA = re.compile(f"[{HIRAGANA}]")
_POINTS_ASKED = re.compile(r"([0-9]+|[一二三四五六七八])\s*(?:行|点|つ|項目|文)")


def points_asked(question: str) -> int:
    """How many lines the question asks for (「3行で」「三つ」), else DEFAULT_POINTS."""
    found = _POINTS_ASKED.search(unicodedata.normalize("NFKC", question))
    if not found:
        return DEFAULT_POINTS
    value = found.group(1)
    number = int(value) if value.isdigit() else _KANJI_NUMBERS[value]
    return max(1, min(MAX_POINTS, number))


def report_in_question(passages: Sequence[Passage]) -> str | None:
    """The report an overview is about: the source of the best passage (the pool puts the
    passages naming what the question names first)."""
    return passages[0].chunk.source if passages else None


def outline(chunks: Sequence[Chunk], points: int) -> list[tuple[Chunk, int, int]]:
    """The lead sentence, then the first telling sentence of each further section, in the
    order of the text: ``(chunk, start, end)`` of each, at most ``points``."""
    chosen: list[tuple[Chunk, int, int]] = []
    sections_seen: set[str] = set()
    for chunk in chunks:
        if chunk.section in sections_seen and chosen:
            continue
        for span in split_sentences(chunk.text):
            sentence = chunk.text[span.start : span.end].strip()
            if _tells(sentence):
                sections_seen.add(chunk.section)
                chosen.append((chunk, span.start, span.end))
                break
        if len(chosen) == points:
            break
    return chosen


def _tells(sentence: str) -> bool:
    """A written sentence (it ends like one: a date line or a list of members does not)."""
    ended = sentence.rstrip(CLOSING_BRACKETS).endswith(tuple(SENTENCE_ENDS))
    return ended and len(sentence) >= MIN_SENTENCE_CHARS and bool(_HIRAGANA.search(sentence))


def overview_answer(question: str, chunks: Sequence[Chunk]) -> Answer | None:
    """An overview of the report whose ``chunks`` are given, or None when it has no sentence
    to quote (the reader then answers as for any question)."""
    lines = outline(chunks, points_asked(question))
    if not lines:
        return None
    citations: list[Citation] = [
        citation_for(Passage(chunk=chunk, score=0.0), start, end, number)
        for number, (chunk, start, end) in enumerate(lines, start=1)
    ]
    title = chunks[0].title or chunks[0].source
    lead = OVERVIEW_INTRO.format(title=title)
    return Answer(
        answer=f"{lead}\n{quote_lines(citations)}",
        abstained=False,
        lead=lead,
        citations=citations,
        question_type=OVERVIEW_KIND,
        support=1.0,
        answerable=1.0,
    )
