"""What the chat tab does: answer within the chosen reports, keep each conversation on disk,
take 👍 / 👎 with an optional correction, and turn corrections into a question set.

``ChatHandlers`` is mixed into ``WebApp`` (``handlers.py``), which supplies ``settings``,
``assistant``, ``ingestor``, ``startup``, ``conversations`` and ``feedback``.
"""

from __future__ import annotations

import html
import inspect
import logging
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from datetime import datetime

import gradio as gr

from assistant.feedback import BAD, GOOD, UNSTORABLE_TEXT, Feedback, FeedbackError, export
from assistant.records import Answer
from assistant.service import MAX_QUESTION_CHARS
from webui.conversations import (
    DEFAULT_TITLE,
    Conversation,
    ConversationError,
    Summary,
    rating_marks,
    title_from_question,
)
from webui.conversations import (
    message_key as _raw_key,
)
from webui.feedback import download_copy
from webui.render import (
    answer_text_from_message,
    history_pairs,
    message_text,
    render_answer,
    render_error,
    render_partial,
    status_html,
)

log = logging.getLogger(__name__)

STARTING = "アシスタントを準備しています。準備ができてから、もう一度質問してください。"
EMPTY_QUESTION = "質問を入力してください。"
QUESTION_TOO_LONG = "質問が長すぎます（{length}文字）。{limit}文字以内にまとめてください。"
NO_CONVERSATION = "まだ保存された会話はありません。質問すると、ここに保存されます。"
SAVE_FAILED = "会話を保存できませんでした。回答は表示されていますが、再読み込みすると消えます。"
FEEDBACK_THANKS = {
    GOOD: "👍 を記録しました。ありがとうございます。",
    BAD: "👎 を記録しました。正しい答えがわかれば、下の欄に入力して送ってください。",
}
CORRECTION_SAVED = (
    "訂正を記録しました。「評価」タブの「フィードバックを質問集として書き出す」で、"
    "テスト用の質問集に加えられます。"
)
MARK_REMOVED = "評価を取り消しました。"
# The chat's names for the marks (Gradio's feedback options), kept with the conversation.
MARKS = {GOOD: "Like", BAD: "Dislike"}
CORRECTION_NEEDED = "正しい答えを入力するか、「資料に答えはない」を選んでください。"
NO_ANSWER_TO_RATE = "評価する回答が見つかりませんでした。回答のあとにもう一度お試しください。"
WARNING_TITLE = "注意"


def message_key(content: str) -> str:
    """The key of a rendered answer as the browser shows it: Gradio passes message text
    through ``inspect.cleandoc`` on its way out, so the key is taken of that form."""
    return _raw_key(inspect.cleandoc(content))


def conversation_choices(summaries: Sequence[Summary]) -> list[tuple[str, str]]:
    """The list's (label, id) pairs. Conversations of the same name (the same first question
    asked twice) are told apart by when they were last updated, to the second if need be,
    and numbered if even that is shared."""
    counts = Counter(s.title for s in summaries)
    labels = [s.title if counts[s.title] == 1 else _dated(s, "%m/%d %H:%M") for s in summaries]
    counts = Counter(labels)
    labels = [
        label if counts[label] == 1 else _dated(s, "%m/%d %H:%M:%S")
        for label, s in zip(labels, summaries, strict=True)
    ]
    counts, seen = Counter(labels), Counter()
    numbered = []
    for label in labels:
        seen[label] += 1
        numbered.append(label if counts[label] == 1 else f"{label}・{seen[label]}")
    return [(label, s.id) for label, s in zip(numbered, summaries, strict=True)]


def _dated(summary: Summary, form: str) -> str:
    try:
        when = datetime.fromisoformat(summary.updated_at).astimezone().strftime(form)
    except (TypeError, ValueError):
        return summary.title
    return f"{summary.title}（{when}）"


def validate_question(message: str) -> dict:
    """Checked in the browser's request before the question is shown or sent: an empty or
    over-long question gets a Japanese message under the box instead of an empty bubble."""
    text = (message or "").strip()
    if not text:
        return gr.validate(False, EMPTY_QUESTION)
    if len(text) > MAX_QUESTION_CHARS:
        return gr.validate(
            False, QUESTION_TOO_LONG.format(length=len(text), limit=MAX_QUESTION_CHARS)
        )
    return gr.validate(True, "")


def _user(request: gr.Request | None) -> str | None:
    return getattr(request, "username", None) or None


def _plain_history(history: Sequence[dict]) -> list[dict]:
    return [
        {"role": m.get("role"), "content": message_text(m.get("content"))}
        for m in history
        if m.get("role") in ("user", "assistant")
    ]


def _citations(answer: Answer) -> list[dict]:
    return [
        {"source": c.source, "section": c.section, "text": c.text, "chunk_id": c.chunk_id}
        for c in answer.citations
    ]


class ChatHandlers:
    # -- asking ----------------------------------------------------------------------------
    def chat(
        self,
        message: str,
        history: list[dict],
        sources: Sequence[str] | None = None,
        conversation_id: str | None = None,
        request: gr.Request = None,
    ) -> Iterator[tuple[str, str | dict]]:
        """Stream the answer as HTML (the last message carries the sources), restricted to
        ``sources`` when some are chosen; then save the conversation and yield its id."""
        if not self.startup.ready:
            yield render_error(STARTING), gr.skip()
            return
        chosen = [s for s in (sources or []) if s]
        final = None
        answer: Answer | None = None
        try:
            scope = self._scope_titles(chosen)
            previous = None
            for answer in self.assistant.stream(
                message, history_pairs(history), sources=chosen or None
            ):
                if previous is not None:
                    shown = (
                        render_answer(previous, scope)
                        if previous.pending
                        else render_partial(previous.answer)
                    )
                    yield shown, gr.skip()
                previous = answer
            final = render_answer(previous, scope) if previous is not None else render_error()
        except Exception:
            log.exception("answering %r failed", message)
            final = render_error()
        saved = self._save_turn(
            _user(request), conversation_id, history, message, final, answer, chosen
        )
        yield final, saved or gr.skip()

    def _scope_titles(self, sources: Sequence[str]) -> list[str]:
        titles = {r.source: r.title or r.source for r in self.ingestor.list_reports()}
        return [titles.get(s, s) for s in sources]

    def _save_turn(
        self,
        user: str | None,
        conversation_id: str | None,
        history: Sequence[dict],
        question: str,
        shown: str,
        answer: Answer | None,
        sources: list[str],
    ) -> str | None:
        """Add the question and its answer to the conversation on disk; its id, or None when
        it could not be saved (the user is told)."""
        try:
            conversation = self._open_or_start(user, conversation_id)
            conversation.messages = [
                *_plain_history(history),
                {"role": "user", "content": question},
                {"role": "assistant", "content": shown},
            ]
            if answer is not None and not answer.pending:
                conversation.answers[message_key(shown)] = {
                    "question": question,
                    "query": answer.retrieval_query,
                    "answer": answer.answer,
                    "citations": _citations(answer),
                    "sources": sources,
                }
            shown_keys = {
                message_key(m["content"]) for m in conversation.messages if m["role"] == "assistant"
            }
            conversation.answers = {
                k: v for k, v in conversation.answers.items() if k in shown_keys
            }
            conversation.ratings = {
                k: v for k, v in conversation.ratings.items() if k in shown_keys
            }
            conversation.sources = sources
            if conversation.title == DEFAULT_TITLE:
                conversation.title = title_from_question(question)
            self.conversations.save(user, conversation)
            return conversation.id
        except Exception:
            log.exception("saving the conversation failed")
            gr.Warning(SAVE_FAILED, title=WARNING_TITLE)
            return None

    def _open_or_start(self, user: str | None, conversation_id: str | None) -> Conversation:
        if not conversation_id:
            return Conversation.new()
        try:
            return self.conversations.load(user, conversation_id)
        except ConversationError as exc:
            gr.Warning(f"{exc} 新しい会話として保存します。", title=WARNING_TITLE)
            return Conversation.new()

    # -- the conversation list -------------------------------------------------------------
    def conversation_list(
        self, selected: str | None, request: gr.Request = None
    ) -> tuple[dict, str, str]:
        """The list of saved conversations (``selected`` marked), a status line that names
        any file that could not be read, and the selected conversation's name."""
        summaries, problems = self.conversations.summaries(_user(request))
        titles = {s.id: s.title for s in summaries}
        status = status_html(" ".join(problems), "warning") if problems else ""
        if not summaries and not problems:
            status = status_html(NO_CONVERSATION)
        return (
            gr.update(
                choices=conversation_choices(summaries),
                value=selected if selected in titles else None,
            ),
            status,
            titles.get(selected, ""),
        )

    def restore(self, remembered: str | None, request: gr.Request = None) -> tuple:
        """On page load: the conversation this browser had open (else the latest one)."""
        summaries, _problems = self.conversations.summaries(_user(request))
        ids = [s.id for s in summaries]
        chosen = remembered if remembered in ids else (ids[0] if ids else None)
        return self.open_conversation(chosen, request)

    def open_conversation(self, conversation_id: str | None, request: gr.Request = None) -> tuple:
        """(conversation id, messages for the chat, title, chosen reports, the 👍 / 👎 mark
        of each answer)."""
        if not conversation_id:
            return None, [], "", [], []
        try:
            conversation = self.conversations.load(_user(request), conversation_id)
        except ConversationError as exc:
            gr.Warning(html.escape(str(exc)), title=WARNING_TITLE)
            return None, [], "", [], []
        known = {r.source for r in self.ingestor.list_reports()}
        sources = [s for s in conversation.sources if s in known]
        marks = rating_marks(conversation, message_key)
        return conversation.id, conversation.messages, conversation.title, sources, marks

    def rename_conversation(
        self, conversation_id: str | None, title: str, request: gr.Request = None
    ) -> tuple[dict, str]:
        if not conversation_id:
            raise _error(
                "名前を付ける会話がありません。先に質問するか、一覧から会話を選んでください。"
            )
        try:
            self.conversations.rename(_user(request), conversation_id, title)
        except ConversationError as exc:
            raise _error(str(exc)) from None
        return self.conversation_list(conversation_id, request)

    def delete_conversation(self, conversation_id: str | None, request: gr.Request = None) -> tuple:
        if not conversation_id:
            raise _error("削除する会話を一覧から選んでください。")
        try:
            self.conversations.delete(_user(request), conversation_id)
        except ConversationError as exc:
            raise _error(str(exc)) from None
        return None, [], "", [], []

    # -- feedback --------------------------------------------------------------------------
    def rate(
        self,
        data: gr.LikeData,
        messages: list[dict],
        conversation_id: str | None,
        request: gr.Request = None,
    ) -> tuple[str, dict, dict | None]:
        """Record 👍 / 👎 for the answer at ``data.index`` and keep the mark with the
        conversation; after a 👎 the correction box opens for it. A second click on the
        same mark takes it back (Gradio sends an empty value). (status, correction box
        update, the rated feedback)."""
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        if data.liked in ("", None):
            self._keep_mark(request, conversation_id, messages, index, None)
            return status_html(MARK_REMOVED), gr.update(visible=False), None
        rating = GOOD if data.liked is True else BAD
        try:
            feedback = self._feedback_for(messages, index, conversation_id, rating, request)
        except FeedbackError as exc:  # e.g. a forged message holding a lone surrogate
            raise _error(str(exc)) from None
        except UnicodeEncodeError as exc:  # the same in the rated message itself
            code = f"U+{ord(exc.object[exc.start]):04X}"
            raise _error(UNSTORABLE_TEXT.format(field="評価した回答", code=code)) from None
        if feedback is None:
            raise _error(NO_ANSWER_TO_RATE)
        self.feedback.of(_user(request)).record(feedback)
        self._keep_mark(request, conversation_id, messages, index, MARKS[rating])
        return (
            status_html(FEEDBACK_THANKS[rating]),
            gr.update(visible=rating == BAD),
            asdict(feedback),
        )

    def _keep_mark(
        self,
        request: gr.Request | None,
        conversation_id: str | None,
        messages: list[dict],
        index: int,
        mark: str | None,
    ) -> None:
        """Save the mark shown on an answer with its conversation (None: no mark)."""
        if not conversation_id or not isinstance(index, int) or not 0 <= index < len(messages):
            return
        key = message_key(message_text(messages[index].get("content")))
        user = _user(request)
        try:
            conversation = self.conversations.load(user, conversation_id)
            if mark is None:
                conversation.ratings.pop(key, None)
            else:
                conversation.ratings[key] = mark
            self.conversations.save(user, conversation, touch=False)
        except Exception:  # the feedback itself is stored; only the mark would not come back
            log.exception("saving the mark of %s failed", conversation_id)

    def _feedback_for(
        self,
        messages: list[dict],
        index: int,
        conversation_id: str | None,
        rating: str,
        request: gr.Request | None,
    ) -> Feedback | None:
        if not isinstance(index, int) or not 0 <= index < len(messages):
            return None
        shown = message_text(messages[index].get("content"))
        question = next(
            (
                message_text(m.get("content"))
                for m in reversed(messages[:index])
                if m.get("role") == "user"
            ),
            "",
        )
        if messages[index].get("role") != "assistant" or not question.strip():
            return None
        key = message_key(shown)
        meta = self._answer_record(request, conversation_id, key) or {}
        return Feedback(
            id=f"{conversation_id or 'unsaved'}:{key}",
            rating=rating,
            question=meta.get("question", question),
            answer=meta.get("answer") or answer_text_from_message(shown),
            citations=meta.get("citations", []),
            query=meta.get("query", ""),
            sources=meta.get("sources", []),
            user=_user(request) or "",
        )

    def _answer_record(
        self, request: gr.Request | None, conversation_id: str | None, key: str
    ) -> dict | None:
        if not conversation_id:
            return None
        try:
            conversation = self.conversations.load(_user(request), conversation_id)
        except ConversationError:
            return None
        return conversation.answers.get(key)

    def correct(
        self,
        rated: dict | None,
        correction: str,
        unanswerable: bool,
        request: gr.Request = None,
    ) -> tuple[str, dict, str, bool]:
        """Store the correct answer for the last 👎 (or that the reports hold none)."""
        if not rated:
            raise _error(NO_ANSWER_TO_RATE)
        correction = (correction or "").strip()
        if not correction and not unanswerable:
            raise _error(CORRECTION_NEEDED)
        if len(correction) > MAX_QUESTION_CHARS:
            raise _error(f"訂正が長すぎます。{MAX_QUESTION_CHARS}文字以内にしてください。")
        fields = {**rated, "correction": correction, "unanswerable": bool(unanswerable), "at": ""}
        user = _user(request)
        fields["user"] = user or ""
        try:
            self.feedback.of(user).record(Feedback(**fields))
        except FeedbackError as exc:
            raise _error(str(exc)) from None
        return status_html(CORRECTION_SAVED), gr.update(visible=False), "", False

    def export_feedback(self, request: gr.Request = None) -> tuple[str, str]:
        """Write this login's corrections as a question set for the evaluation; (status,
        file). The file is kept under a random name and downloaded from a copy
        (``webui.feedback``), so no other login can fetch it."""
        user = _user(request)
        out = self.feedback.export_path(user)
        try:
            count, problems = export(self.feedback.of(user), out)
            download = download_copy(out)
        except FeedbackError as exc:
            raise _error(str(exc)) from None
        except OSError as exc:
            log.exception("exporting feedback to %s failed", out)
            raise _error(
                f"質問集を書き出せません（{exc.strerror or exc}）。データディレクトリ"
                f"（{self.settings.data_dir}）の空き容量と書き込み権限を確認してください。"
            ) from None
        text = (
            f"{count} 問を質問集「{out.name}」に書き出しました。上の「質問ファイル」に選ぶと"
            "評価できます。"
        )
        return status_html(" ".join([text, *problems])), str(download)


def _error(message: str) -> gr.Error:
    return gr.Error(html.escape(message), title="エラー", print_exception=False)
