"""Saved conversations: one JSON file per conversation under ``<data dir>/conversations/``.

Each user has a folder of their own when ``REPORTS_AUTH`` is on (``_local`` otherwise), so one
staff member never sees another's questions. Files are written to a temporary file and
renamed into place, so a crash mid-write leaves the previous version intact. A file that
cannot be read is left exactly where it is and reported by name; it is never overwritten.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ingest.atomic import write_text_atomically

LOCAL_USER = "_local"  # the folder used when no login is configured
TITLE_CHARS = 30  # a new conversation is named after the start of its first question
MAX_TITLE_CHARS = 60
DEFAULT_TITLE = "新しい会話"
_ID = re.compile(r"^[0-9a-f]{32}$")
_UNSAFE_NAME = re.compile(r"[^\w.-]")


class ConversationError(Exception):
    """A conversation cannot be read or changed; the message says why, in Japanese."""


@dataclass
class Conversation:
    """A conversation as saved: its messages as shown, and what each answer was.

    ``messages``: ``{"role", "content"}`` in order; a question is its text, an answer the
    rendered message. ``answers``: for each answer (keyed by ``message_key`` of its rendered
    message) the question, the answer text and its citations, which feedback stores.
    ``sources``: the reports the conversation was restricted to (empty: every report).
    ``ratings``: the 👍 / 👎 shown on an answer (``message_key`` -> "Like" or "Dislike"), so
    the marks come back with the conversation.
    """

    id: str
    title: str
    created_at: str
    updated_at: str
    messages: list[dict] = field(default_factory=list)
    answers: dict[str, dict] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    ratings: dict[str, str] = field(default_factory=dict)

    @classmethod
    def new(cls) -> Conversation:
        now = _now()
        return cls(id=uuid.uuid4().hex, title=DEFAULT_TITLE, created_at=now, updated_at=now)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Summary:
    """One line of the conversation list."""

    id: str
    title: str
    updated_at: str


def message_key(content: str) -> str:
    """A stable key for a rendered answer, so feedback on it finds what it said."""
    return hashlib.sha256(content.encode("utf-8")).hexdigest()[:32]


def rating_marks(conversation: Conversation, key_of: Callable[[str], str]) -> list[str | None]:
    """The mark of each answer in order ("Like", "Dislike" or None), as the chat shows them;
    ``key_of`` gives the key of a rendered answer."""
    return [
        conversation.ratings.get(key_of(m.get("content") or ""))
        for m in conversation.messages
        if m.get("role") == "assistant"
    ]


def title_from_question(question: str) -> str:
    text = " ".join(question.split())
    return text if len(text) <= TITLE_CHARS else text[:TITLE_CHARS] + "…"


def user_folder(user: str | None) -> str:
    """A folder name for a login name: readable, safe on any file system, and distinct for
    names that differ only in characters the file system cannot hold."""
    if not user:
        return LOCAL_USER
    readable = _UNSAFE_NAME.sub("_", user)[:40].lstrip(".") or "user"
    digest = hashlib.sha256(user.encode("utf-8")).hexdigest()[:8]
    return f"{readable}-{digest}"


class ConversationStore:
    def __init__(self, root: Path):
        self.root = root
        self._lock = threading.Lock()  # two answers of one user may finish at once

    def folder(self, user: str | None) -> Path:
        return self.root / user_folder(user)

    def summaries(self, user: str | None) -> tuple[list[Summary], list[str]]:
        """The user's conversations, most recently updated first, and a Japanese message for
        each file that could not be read (those files are left untouched)."""
        summaries: list[Summary] = []
        problems: list[str] = []
        folder = self.folder(user)
        if not folder.is_dir():
            return [], []
        for path in sorted(folder.glob("*.json")):
            try:
                conversation = _read(path)
            except ConversationError as exc:
                problems.append(str(exc))
                continue
            summaries.append(Summary(conversation.id, conversation.title, conversation.updated_at))
        summaries.sort(key=lambda s: s.updated_at, reverse=True)
        return summaries, problems

    def load(self, user: str | None, conversation_id: str) -> Conversation:
        return _read(self._path(user, conversation_id))

    def save(self, user: str | None, conversation: Conversation, *, touch: bool = True) -> None:
        """Write the conversation; ``touch``: it moves to the top of the list (a new turn or
        name, not a 👍 / 👎)."""
        if touch:
            conversation.updated_at = _now()
        path = self._path(user, conversation.id)
        text = json.dumps(conversation.to_dict(), ensure_ascii=False, indent=1)
        with self._lock:
            write_text_atomically(path, text)

    def rename(self, user: str | None, conversation_id: str, title: str) -> Conversation:
        title = " ".join((title or "").split())
        if not title:
            raise ConversationError("会話の名前を入力してください。")
        if len(title) > MAX_TITLE_CHARS:
            raise ConversationError(
                f"会話の名前が長すぎます（{len(title)}文字）。{MAX_TITLE_CHARS}文字以内にしてください。"
            )
        conversation = self.load(user, conversation_id)
        conversation.title = title
        self.save(user, conversation)
        return conversation

    def delete(self, user: str | None, conversation_id: str) -> None:
        path = self._path(user, conversation_id)
        if not path.exists():
            raise ConversationError("その会話は見つかりませんでした（すでに削除されています）。")
        path.unlink()

    def _path(self, user: str | None, conversation_id: str) -> Path:
        # The id comes from the browser: only our own ids may name a file.
        if not _ID.match(conversation_id or ""):
            raise ConversationError("その会話は見つかりませんでした。")
        return self.folder(user) / f"{conversation_id}.json"


def _read(path: Path) -> Conversation:
    if not path.exists():
        raise ConversationError("その会話は見つかりませんでした（削除された可能性があります）。")
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        conversation = Conversation(**record)
        if not isinstance(conversation.messages, list) or conversation.id != path.stem:
            raise ValueError("unexpected content")
    except (OSError, UnicodeDecodeError, ValueError, TypeError) as exc:
        raise ConversationError(
            f"保存された会話ファイル「{path.name}」を読み込めませんでした（内容が壊れています）。"
            f"ファイルは {path.parent.name} フォルダにそのまま残してあります。"
        ) from exc
    return conversation


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def browser_secret(root: Path) -> str:
    """The key the browser's saved conversation id is encrypted with. Kept in the data
    directory: Gradio's default is a new key per start, which would forget the id when the
    app restarts."""
    path = root / ".browser-secret"
    if path.exists():
        secret = path.read_text(encoding="utf-8").strip()
        if secret:
            return secret
    secret = uuid.uuid4().hex
    write_text_atomically(path, secret)
    return secret
