"""HTML for chat messages: the answer, its numbered sources and the highlighted passages.

Every piece of report or question text goes through ``html.escape`` before it is placed in
markup. The markup is emitted as one line that starts with a block-level tag, so the chat's
Markdown renderer treats the whole message as an HTML block and never interprets report text
as Markdown (an asterisk or a ``#`` in a report stays a character).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence

from assistant import Answer, Citation

SOURCES_HEADING = "出典"
RELATED_HEADING = "関連する可能性のある箇所"
ERROR_MESSAGE = "回答の作成中に問題が発生しました。しばらくしてからもう一度お試しください。"
ANSWERED_BY_LABELS = {
    "extractive": "資料の記述をそのまま抜き出した回答です。",
    "llm": "言語モデルが資料をもとに作成した回答です。出典の記述で確認してください。",
}

_MARKER = re.compile(r"\[(\d{1,3})\]")
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
        return f'<span class="ra-marker">{match.group(0)}</span>'

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


def render_source_list(
    citations: Sequence[Citation], heading: str, *, numbered: bool = True
) -> str:
    if not citations:
        return ""
    items = "".join(render_citation(c, numbered=numbered) for c in citations)
    return (
        f'<div class="ra-sources"><div class="ra-sources-heading">{html.escape(heading)}</div>'
        f"{items}</div>"
    )


def render_partial(text: str) -> str:
    """A streaming answer that is still growing (no sources yet)."""
    return (
        f'<div class="ra-msg ra-streaming"><div class="ra-answer">{text_to_html(text)}</div></div>'
    )


def render_answer(answer: Answer) -> str:
    """The final message: answer (or abstention notice) with its sources."""
    notice = f'<div class="ra-notice">{text_to_html(answer.notice)}</div>' if answer.notice else ""
    if answer.abstained:
        return (
            '<div class="ra-msg ra-abstained">'
            f'<div class="ra-answer">{text_to_html(answer.answer)}</div>'
            f"{notice}"
            f"{render_source_list(answer.related, RELATED_HEADING, numbered=False)}"
            "</div>"
        )
    markers = {c.marker for c in answer.citations}
    method = ANSWERED_BY_LABELS.get(answer.answered_by, "")
    method_html = f'<div class="ra-method">{html.escape(method)}</div>' if method else ""
    pending = " ra-pending" if answer.pending else ""
    return (
        f'<div class="ra-msg{pending}">'
        f'<div class="ra-answer">{_answer_html(answer.answer, markers)}</div>'
        f"{notice}"
        f"{render_source_list(answer.citations, SOURCES_HEADING)}"
        f"{method_html}"
        "</div>"
    )


def render_error(message: str = ERROR_MESSAGE) -> str:
    return f'<div class="ra-msg ra-error">{html.escape(message)}</div>'


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
