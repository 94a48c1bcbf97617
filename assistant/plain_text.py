"""An answer record as plain text, for the terminal (the web chat has ``webui.render``).

The tier comes first, so a user tells a sure answer from a hedged one at a glance; each quote
has the stated span marked 【like this】; sources follow, one per line. Nothing here is ever
parsed back: the record (``assistant.records.Answer``) is the answer.
"""

from __future__ import annotations

from assistant.citations import clause_bounds
from assistant.records import TIER_LABELS, TIER_NONE, Answer, Citation

RELATED_HEADING = "関連する可能性のある箇所"
SOURCES_HEADING = "出典"
MARK_OPEN, MARK_CLOSE = "【", "】"


def marked_quote(citation: Citation) -> str:
    """The quoted text with its marked span (the stated fact) in 【】; a long quote shows
    only the clauses around it, cut with …."""
    start, end = clause_bounds(citation)
    text = citation.text
    mark = citation.mark
    if mark is None:
        shown = text[start:end]
    else:
        a, b = mark
        shown = f"{text[start:a]}{MARK_OPEN}{text[a:b]}{MARK_CLOSE}{text[b:end]}"
    return f"{'…' if start > 0 else ''}{shown}{'…' if end < len(text) else ''}"


def place(citation: Citation) -> str:
    """Where a passage sits: file, title / section, page."""
    where = " / ".join(p for p in (citation.title, citation.section) if p)
    page = f"  {citation.page}ページ" if citation.page else ""
    return f"{citation.source}  {where}{page}".rstrip()


def answer_text(answer: Answer) -> str:
    """The whole answer for a terminal: tier, statement, marked quotes, sources."""
    if not answer.lead or answer.answered_by != "extractive":  # generated, or a message
        return "\n".join([f"［{TIER_LABELS[answer.tier]}］ {answer.answer}", *_sources(answer)])
    lines = [f"［{TIER_LABELS[answer.tier]}］ {answer.lead}"]
    if answer.tier == TIER_NONE:
        if answer.related:
            lines += ["", RELATED_HEADING]
            lines += [f"- {place(c)}\n  「{c.text}」" for c in answer.related]
        return "\n".join(lines)
    lines += [f"[{c.marker}] 「{marked_quote(c)}」" for c in answer.citations]
    return "\n".join(lines + _sources(answer))


def _sources(answer: Answer) -> list[str]:
    if not answer.citations:
        return []
    return ["", SOURCES_HEADING, *(f"[{c.marker}] {place(c)}" for c in answer.citations)]
