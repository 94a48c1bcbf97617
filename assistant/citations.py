"""The last check before an answer leaves the assistant: every quote must be in its source.

A citation is kept only if its text occurs verbatim in the chunk it names, at the offsets it
claims. Anything else (a paraphrase from an LLM, a stale offset, a forged quote) is dropped,
the remaining markers are renumbered, and an answer with no verifiable source left becomes
an abstention: users were promised they can check every statement.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from assistant.records import ABSTENTION, Answer, Citation, Passage

_MARKER_RE = re.compile(r"\[(\d+)\]")
_QUOTE_LINE_RE = re.compile(r"^\[(\d+)\] 「")


def is_verbatim(citation: Citation) -> bool:
    """True if ``citation.text`` is exactly ``chunk_text[quote_start:quote_end]``."""
    start, end = citation.quote_start, citation.quote_end
    if not citation.text.strip() or not 0 <= start < end <= len(citation.chunk_text):
        return False
    return citation.chunk_text[start:end] == citation.text


def verify_citations(answer: Answer) -> Answer:
    """A copy of ``answer`` keeping only verbatim citations, renumbered 1..n in the text too."""
    kept = [c for c in answer.citations if is_verbatim(c)]
    related = _renumber([c for c in answer.related if is_verbatim(c)])
    if answer.abstained:
        return replace(answer, citations=_renumber(kept), related=related)
    if not kept:
        return replace(
            answer,
            answer=ABSTENTION,
            abstained=True,
            lead=ABSTENTION if answer.lead else "",
            citations=[],
            related=related,
        )
    mapping = {c.marker: new for new, c in enumerate(kept, start=1)}
    return replace(
        answer,
        answer=_rewrite_markers(answer.answer, mapping),
        lead=_rewrite_markers(answer.lead, mapping),
        citations=_renumber(kept),
        related=related,
    )


def _renumber(citations: list[Citation]) -> list[Citation]:
    return [replace(c, marker=number) for number, c in enumerate(citations, start=1)]


def _rewrite_markers(text: str, mapping: dict[int, int]) -> str:
    """Drop quote lines of removed citations and renumber every remaining [n]."""
    lines = []
    for line in text.split("\n"):
        quoted = _QUOTE_LINE_RE.match(line)
        if quoted and int(quoted.group(1)) not in mapping:
            continue
        lines.append(_MARKER_RE.sub(lambda m: _renumbered(m, mapping), line))
    return "\n".join(lines)


def _renumbered(match: re.Match[str], mapping: dict[int, int]) -> str:
    old = int(match.group(1))
    return f"[{mapping[old]}]" if old in mapping else ""


def citation_for(passage: Passage, start: int, end: int, marker: int) -> Citation:
    """A citation quoting ``passage.chunk.text[start:end]`` exactly."""
    chunk = passage.chunk
    return Citation(
        marker=marker,
        source=chunk.source,
        title=chunk.title,
        section=chunk.section,
        page=chunk.page,
        chunk_id=chunk.chunk_id,
        text=chunk.text[start:end],
        quote_start=start,
        quote_end=end,
        chunk_text=chunk.text,
        ocr=chunk.ocr,
    )


def quote_lines(citations: Sequence[Citation]) -> str:
    """One line per citation: ``[n] 「quoted text」``."""
    return "\n".join(f"[{c.marker}] 「{c.text}」" for c in citations)


# A quote longer than this shows only the clauses around its marked span (the whole sentence
# stays in the source card): 「７社」 should not take a 200-character sentence to read.
CLAUSE_LIMIT = 80
_CLAUSE_END = re.compile(r"[、，,；;]")


def clause_bounds(citation: Citation, limit: int = CLAUSE_LIMIT) -> tuple[int, int]:
    """The part of ``citation.text`` to show: the whole quote when short or unmarked, else
    the clauses (between 、) that hold the marked span, widened clause by clause while they
    fit in ``limit`` characters. Offsets into ``citation.text``."""
    text, mark = citation.text, citation.mark
    if mark is None or len(text) <= limit:
        return 0, len(text)
    cuts = [0, *(m.end() for m in _CLAUSE_END.finditer(text)), len(text)]
    start = max(c for c in cuts if c <= mark[0])
    end = min(c for c in cuts if c >= mark[1])
    while True:
        before = max((c for c in cuts if c < start), default=None)
        after = min((c for c in cuts if c > end), default=None)
        if after is not None and after - start <= limit:
            end = after
        elif before is not None and end - before <= limit:
            start = before
        else:
            return start, end
