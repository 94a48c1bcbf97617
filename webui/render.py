"""HTML for chat messages: the answer, its numbered sources and the highlighted passages.

Every piece of report or question text goes through ``html.escape`` before it is placed in
markup. The markup is emitted as one line that starts with a block-level tag, so the chat's
Markdown renderer treats the whole message as an HTML block and never interprets report text
as Markdown (an asterisk or a ``#`` in a report stays a character).

Each answer also carries its plain text in a hidden ``ra-copy`` element (the answer and its
出典 lines), which the copy button puts on the clipboard instead of the markup (``chat.js``).
Gradio's sanitizer drops ``data-*`` attributes, so the text is an element's content, its line
breaks written as ``&#10;`` so the message stays one line.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence

from assistant import Answer, Citation
from assistant.citations import clause_bounds
from assistant.records import TIER_LABELS, TIER_LIKELY

SOURCES_HEADING = "出典"
RELATED_HEADING = "関連する可能性のある箇所"
SCOPE_LABEL = "絞り込み"
OCR_NOTE = "スキャン画像から文字認識（OCR）"  # the passage may hold misreadings
ERROR_MESSAGE = "回答の作成中に問題が発生しました。しばらくしてからもう一度お試しください。"
ANSWERED_BY_LABELS = {
    "extractive": "資料の記述をそのまま抜き出した回答です。",
    "llm": "言語モデルが資料をもとに作成した回答です。出典の記述で確認してください。",
}

_MARKER = re.compile(r"\[(\d{1,3})\]")
_QUESTION_DIV = re.compile(r'^<div class="ra-question">(.*)</div>$', re.DOTALL)
_QUOTE_LINE = re.compile(r"^\s*\[\d{1,3}\]\s*「")
_ANSWER_DIV = re.compile(r'<div class="ra-answer">(.*?)</div>', re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


def text_to_html(text: str) -> str:
    """Escape text and keep its line breaks without emitting a newline character (a blank
    line would end the HTML block and hand the rest of the message to Markdown)."""
    escaped = html.escape(text.replace("\r\n", "\n").replace("\r", "\n"))
    return escaped.replace("\n", "<br>")


def _answer_html(text: str, markers: set[int]) -> str:
    """The answer text with its citation markers styled (unknown markers stay plain text).
    Lines that quote a source (``[1] 「…」``) are set apart from the answer sentence."""

    def style(match: re.Match) -> str:
        if int(match.group(1)) not in markers:
            return match.group(0)
        # role/tabindex: the marker opens its source card (chat.js), by mouse or keyboard
        return (
            f'<span class="ra-marker" role="button" tabindex="0" '
            f'title="出典 {match.group(0)} を開く">{match.group(0)}</span>'
        )

    lines = []
    for line in text.replace("\r\n", "\n").split("\n"):
        styled = _MARKER.sub(style, text_to_html(line))
        if _QUOTE_LINE.match(line):
            lines.append(f'<span class="ra-quote">{styled}</span>')
        else:
            lines.append(styled)
    return "<br>".join(lines)


def citation_location(citation: Citation) -> str:
    """Where a passage sits, for the summary line: title, section, page, file (escaped)."""
    parts = [f'<span class="ra-title">{html.escape(citation.title or citation.source)}</span>']
    if citation.section:
        parts.append(f'<span class="ra-section">{html.escape(citation.section)}</span>')
    if citation.page:
        parts.append(f'<span class="ra-page">{citation.page}ページ</span>')
    if citation.ocr:
        parts.append(f'<span class="ra-page">{OCR_NOTE}</span>')
    if citation.source and citation.source != citation.title:
        parts.append(f'<span class="ra-file">{html.escape(citation.source)}</span>')
    return '<span class="ra-sep"> ・ </span>'.join(parts)


def quote_span(citation: Citation) -> tuple[int, int] | None:
    """Where the quoted text sits in the passage; the recorded offsets when they agree with
    the quote, else the first occurrence; None when the quote is not in the passage."""
    passage, quote = citation.chunk_text, citation.text
    if not passage or not quote:
        return None
    start, end = citation.quote_start, citation.quote_end
    if 0 <= start < end <= len(passage) and passage[start:end] == quote:
        return start, end
    found = passage.find(quote)
    return (found, found + len(quote)) if found >= 0 else None


def highlighted_passage(citation: Citation) -> str:
    """The whole passage with the quoted span inside ``<mark>``."""
    if not citation.chunk_text:
        return f"<mark>{text_to_html(citation.text)}</mark>" if citation.text else ""
    span = quote_span(citation)
    if span is None:
        return text_to_html(citation.chunk_text)
    start, end = span
    passage = citation.chunk_text
    return (
        text_to_html(passage[:start])
        + f"<mark>{text_to_html(passage[start:end])}</mark>"
        + text_to_html(passage[end:])
    )


def render_citation(citation: Citation, *, numbered: bool = True) -> str:
    """One source as a ``<details>``: the summary says where, opening it shows the passage."""
    label = f'<span class="ra-num">[{citation.marker}]</span> ' if numbered else ""
    return (
        '<details class="ra-source">'
        f"<summary>{label}{citation_location(citation)}</summary>"
        f'<div class="ra-passage">{highlighted_passage(citation)}</div>'
        "</details>"
    )


def render_related(group: Sequence[Citation]) -> str:
    """Related passages from one place (same report, section and page) as one card: the
    place is named once, each distinct passage shown below it."""
    passages = "".join(f'<div class="ra-passage">{highlighted_passage(c)}</div>' for c in group)
    return (
        '<details class="ra-source ra-related">'
        f"<summary>{citation_location(group[0])}</summary>{passages}</details>"
    )


def related_groups(citations: Sequence[Citation]) -> list[list[Citation]]:
    """Related passages grouped by place, in order of first appearance; a passage listed
    twice (the same chunk) is kept once."""
    groups: dict[tuple, list[Citation]] = {}
    seen_chunks: set[str] = set()
    for citation in citations:
        if citation.chunk_id and citation.chunk_id in seen_chunks:
            continue
        seen_chunks.add(citation.chunk_id)
        place = (citation.source, citation.section, citation.page)
        groups.setdefault(place, []).append(citation)
    return list(groups.values())


def render_source_list(
    citations: Sequence[Citation], heading: str, *, numbered: bool = True
) -> str:
    if not citations:
        return ""
    if numbered:
        items = "".join(render_citation(c) for c in citations)
    else:
        items = "".join(render_related(group) for group in related_groups(citations))
    return (
        f'<div class="ra-sources"><div class="ra-sources-heading">{html.escape(heading)}</div>'
        f"{items}</div>"
    )


def render_partial(text: str) -> str:
    """A streaming answer that is still growing (no sources yet)."""
    return (
        f'<div class="ra-msg ra-streaming"><div class="ra-answer">{text_to_html(text)}</div></div>'
    )


def scope_text(scope: Sequence[str]) -> str:
    """Which reports an answer was restricted to, in a sentence; empty for every report."""
    if not scope:
        return ""
    names = "".join(f"「{name}」" for name in scope)
    return f"{SCOPE_LABEL}：{names}の中から探しました。"


def marked_quote_html(citation: Citation) -> str:
    """A quote's text, escaped, with its stated span (the fact the answer states) marked; a
    long quote shows the clauses around it, cut with … (its source card shows it whole)."""
    start, end = clause_bounds(citation)
    text = citation.text
    mark = citation.mark
    if mark is None:
        shown = text_to_html(text[start:end])
    else:
        a, b = mark
        shown = (
            text_to_html(text[start:a])
            + f'<mark class="ra-stated">{text_to_html(text[a:b])}</mark>'
            + text_to_html(text[b:end])
        )
    return f"{'…' if start > 0 else ''}{shown}{'…' if end < len(text) else ''}"


def _record_html(answer: Answer, markers: set[int]) -> str:
    """An answer the reader made, from its record: the lead line, then one line per quote
    with its stated span marked."""
    lines = [_answer_html(answer.lead, markers)]
    for c in answer.citations:
        marker = _answer_html(f"[{c.marker}]", markers)
        lines.append(f'<span class="ra-quote">{marker} 「{marked_quote_html(c)}」</span>')
    return "<br>".join(lines)


def _tier_html(answer: Answer) -> str:
    return (
        f'<div class="ra-tier ra-tier-{answer.tier}">{html.escape(TIER_LABELS[answer.tier])}</div>'
    )


def render_answer(answer: Answer, scope: Sequence[str] = ()) -> str:
    """The final message: its tier (回答 / 該当しそうな記述 / 見つかりません), the answer (or
    the notice that the reports are silent) with its sources. ``scope``: the titles of the
    reports the question was restricted to, said under the answer."""
    notice = f'<div class="ra-notice">{text_to_html(answer.notice)}</div>' if answer.notice else ""
    scoped = scope_text(scope)
    scope_html = f'<div class="ra-scope">{text_to_html(scoped)}</div>' if scoped else ""
    copy = _copy_text(answer_plain_text(answer, scope))
    if answer.abstained:
        return (
            '<div class="ra-msg ra-abstained">'
            f"{_tier_html(answer) if answer.lead else ''}"
            f'<div class="ra-answer">{text_to_html(answer.answer)}</div>'
            f"{notice}{scope_html}"
            f"{render_source_list(answer.related, RELATED_HEADING, numbered=False)}"
            f"{copy}</div>"
        )
    markers = {c.marker for c in answer.citations}
    method = ANSWERED_BY_LABELS.get(answer.answered_by, "")
    method_html = f'<div class="ra-method">{html.escape(method)}</div>' if method else ""
    pending = " ra-pending" if answer.pending else ""
    hedged = " ra-likely" if answer.tier == TIER_LIKELY else ""
    body = (
        _record_html(answer, markers)
        if answer.lead and answer.answered_by == "extractive"
        else _answer_html(answer.answer, markers)
    )
    return (
        f'<div class="ra-msg{pending}{hedged}">'
        f"{_tier_html(answer)}"
        f'<div class="ra-answer">{body}</div>'
        f"{notice}{scope_html}"
        f"{render_source_list(answer.citations, SOURCES_HEADING)}"
        f"{method_html}{copy}"
        "</div>"
    )


def citation_line(citation: Citation, *, numbered: bool = True) -> str:
    """Where a passage sits, as one line of plain text."""
    parts = [citation.title or citation.source, citation.section]
    if citation.page:
        parts.append(f"{citation.page}ページ")
    if citation.ocr:
        parts.append(OCR_NOTE)
    if citation.source and citation.source != citation.title:
        parts.append(citation.source)
    place = " ・ ".join(p for p in parts if p)
    return f"[{citation.marker}] {place}" if numbered else place


def answer_plain_text(answer: Answer, scope: Sequence[str] = ()) -> str:
    """What the copy button copies: the answer, then its sources one per line."""
    lines = [answer.answer.strip()]
    if answer.notice:
        lines.append(answer.notice)
    if scope:
        lines.append(scope_text(scope))
    if answer.abstained and answer.related:
        places = [citation_line(g[0], numbered=False) for g in related_groups(answer.related)]
        lines += ["", RELATED_HEADING, *places]
    elif answer.citations:
        lines += ["", SOURCES_HEADING, *(citation_line(c) for c in answer.citations)]
    return "\n".join(lines)


def _copy_text(text: str) -> str:
    escaped = html.escape(text.replace("\r\n", "\n").replace("\r", "\n"))
    return f'<span class="ra-copy">{escaped.replace(chr(10), "&#10;")}</span>'


def render_error(message: str = ERROR_MESSAGE) -> str:
    return f'<div class="ra-msg ra-error">{html.escape(message)}</div>'


def render_question(text: str) -> str:
    """A user's question as shown: text, never markup (``<img …>`` stays characters)."""
    return f'<div class="ra-question">{text_to_html(text)}</div>'


def question_from_display(content: str) -> str:
    """The question a ``render_question`` message shows (anything else unchanged)."""
    match = _QUESTION_DIV.match(content)
    if match is None:
        return content
    return html.unescape(match.group(1).replace("<br>", "\n"))


def startup_html(message: str, done: int, total: int, elapsed_s: float, failed: bool) -> str:
    """The start-up panel: what is happening, a progress bar when it counts, the time so far."""
    bar = (
        f'<progress class="ra-startup-bar" max="{total}" value="{done}"></progress>'
        f'<span class="ra-startup-count">{done}/{total} 件</span>'
        if total
        else '<progress class="ra-startup-bar"></progress>'
    )
    kind = "ra-startup-failed" if failed else "ra-startup-running"
    return (
        f'<div class="ra-startup {kind}" role="status">'
        f'<div class="ra-startup-message">{text_to_html(message)}</div>'
        f"{'' if failed else bar}"
        f'<div class="ra-startup-time">経過 {elapsed_s:.0f} 秒</div></div>'
    )


def status_html(text: str, kind: str = "info") -> str:
    """A one-line status (e.g. a delete confirmation) that may quote a report title."""
    return f'<div class="ra-status ra-status-{html.escape(kind)}">{text_to_html(text)}</div>'


# -- reading the conversation back -------------------------------------------------------
def message_text(content) -> str:
    """The text of a chat message, whatever shape Gradio hands it over in."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text") or content.get("content") or "")
    if isinstance(content, Iterable):
        return "".join(message_text(part) for part in content)
    return ""


def answer_text_from_message(content) -> str:
    """The plain answer of an assistant message this module rendered (sources dropped), or
    the message itself when it is plain text; empty for error messages."""
    text = message_text(content)
    match = _ANSWER_DIV.search(text)
    if match is None:
        return "" if text.startswith('<div class="ra-msg ra-error">') else text
    return html.unescape(_TAG.sub("", match.group(1).replace("<br>", "\n")))


def history_pairs(history: Sequence[dict]) -> list[tuple[str, str]]:
    """Chat history as (question, answer) pairs, oldest first, for follow-up questions.
    Turns whose answer failed are left out: they carry nothing to follow up on."""
    pairs: list[tuple[str, str]] = []
    question: str | None = None
    for message in history:
        role = message.get("role")
        if role == "user":
            question = message_text(message.get("content"))
        elif role == "assistant" and question is not None:
            answer = answer_text_from_message(message.get("content"))
            if answer:
                pairs.append((question, answer))
            question = None
    return pairs
