"""Users' feedback on answers (👍 / 👎, with an optional correct answer), and its export as a
question set that ``python -m assistant evaluate`` runs: corrections become test questions.

Feedback is appended to ``<data dir>/feedback/feedback.jsonl``, one JSON object per line;
a later line about the same answer (same ``id``) replaces an earlier one, so changing a 👍
to a 👎 or adding a correction never rewrites what is stored. A line that cannot be read
(e.g. cut short by a crash) is skipped and reported; the file itself is left as it is.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from assistant.jsonl import dumps_line, dumps_lines, numbered_lines
from ingest.atomic import write_text_atomically

GOOD = "good"
BAD = "bad"
RATINGS = (GOOD, BAD)
FEEDBACK_FILE = "feedback.jsonl"
# Under REPORTS_AUTH each login's feedback lives in <feedback folder>/users/<its folder>/
# (webui.feedback); the command line exports every login's.
USERS_FOLDER = "users"
QUESTION_FIELDS = ("id", "question", "expect_any", "expect_all", "evidence", "unanswerable")
NOTHING_TO_EXPORT = (
    "書き出せるフィードバックがありません。👎 を付けた回答に正しい答えを入力するか、"
    "「資料に答えはない」を選んでから、もう一度書き出してください。"
)


class FeedbackError(ValueError):
    """Feedback cannot be stored or exported; the message says why, in Japanese."""


# How each field is named to the user when it cannot be stored.
FIELD_NAMES = {
    "id": "回答の識別子",
    "rating": "評価",
    "question": "質問",
    "answer": "回答",
    "citations": "引用",
    "query": "検索した質問",
    "correction": "訂正",
    "sources": "資料の指定",
    "user": "ユーザー名",
    "at": "日時",
}
UNSTORABLE_TEXT = (
    "{field}に保存できない文字（{code} など、対になっていないサロゲート）が含まれています。"
    "その文字を消して、もう一度送ってください。"
)


def _unstorable(value: object) -> str | None:
    """The first lone surrogate in ``value`` (strings in lists and dicts included) as
    U+XXXX: UTF-8 cannot hold one, so the line could never be written."""
    if isinstance(value, str):
        bad = next((ch for ch in value if "\ud800" <= ch <= "\udfff"), None)
        return f"U+{ord(bad):04X}" if bad else None
    if isinstance(value, dict):
        value = [*value.keys(), *value.values()]
    if isinstance(value, list | tuple):
        return next((code for item in value if (code := _unstorable(item))), None)
    return None


@dataclass(frozen=True)
class Feedback:
    """One rating of one answer.

    ``id`` names the answer (conversation and message), so a later rating of it replaces
    this one. ``question`` is what was asked; ``query`` what was searched (a follow-up
    question resolved against the conversation), which is what a test question must ask.
    ``correction`` is the correct answer as the user wrote it; ``unanswerable`` says the
    reports hold no answer (the assistant should have declined).
    """

    id: str
    rating: str
    question: str
    answer: str
    citations: list[dict] = field(default_factory=list)
    query: str = ""
    correction: str = ""
    unanswerable: bool = False
    sources: list[str] = field(default_factory=list)
    user: str = ""
    at: str = ""

    def __post_init__(self) -> None:
        for name, label in FIELD_NAMES.items():
            code = _unstorable(getattr(self, name))
            if code:
                raise FeedbackError(UNSTORABLE_TEXT.format(field=label, code=code))
        if self.rating not in RATINGS:
            raise FeedbackError(f"評価は {' か '.join(RATINGS)} で指定してください。")
        if not self.question.strip():
            raise FeedbackError("質問のない回答には評価を付けられません。")

    @property
    def becomes_question(self) -> bool:
        """A 👎 that says what the right answer is (or that there is none)."""
        return self.rating == BAD and (bool(self.correction.strip()) or self.unanswerable)

    def to_question(self) -> dict:
        """The test question this correction makes, in the question-file format."""
        asked = self.query.strip() or self.question.strip()
        digest = hashlib.sha256(self.id.encode("utf-8")).hexdigest()[:12]
        correction = self.correction.strip()
        return {
            "id": f"feedback-{digest}",
            "question": asked,
            "expect_any": [] if self.unanswerable else [correction],
            "expect_all": [],
            "evidence": "",
            "unanswerable": self.unanswerable,
        }


class FeedbackStore:
    """``folder/feedback.jsonl``. With a login ``owner`` (the web chat under REPORTS_AUTH,
    one folder per login), ``pooled`` names the file every login shared before feedback
    was kept per login: its lines by ``owner`` are read as the oldest feedback, never
    rewritten, and the lines of other logins never."""

    def __init__(self, folder: Path, *, owner: str = "", pooled: Path | None = None):
        self.path = folder / FEEDBACK_FILE
        self.owner = owner
        self.pooled = pooled if owner and pooled is not None and pooled != self.path else None
        self._lock = threading.Lock()

    def record(self, feedback: Feedback) -> Feedback:
        """Append ``feedback`` (stamped with the time) and return it."""
        if not feedback.at:
            feedback = Feedback(**{**asdict(feedback), "at": _now()})
        line = dumps_line(asdict(feedback))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, open(self.path, "a", encoding="utf-8") as file:
            file.write(line)
            file.flush()
            os.fsync(file.fileno())
        return feedback

    def latest(self) -> tuple[list[Feedback], list[str]]:
        """The latest feedback per answer, oldest first, and a Japanese message for each line
        that could not be read."""
        by_id: dict[str, Feedback] = {}
        problems: list[str] = []
        if self.pooled is not None:  # a broken pooled line belongs to nobody we can tell
            pooled, _ = _read_feedback(self.pooled)
            for feedback in pooled:
                if feedback.user == self.owner:
                    by_id.pop(feedback.id, None)
                    by_id[feedback.id] = feedback
        own, problems = _read_feedback(self.path)
        for feedback in own:
            by_id.pop(feedback.id, None)  # re-inserted: the order is that of the last rating
            by_id[feedback.id] = feedback
        return list(by_id.values()), problems


def _read_feedback(path: Path) -> tuple[list[Feedback], list[str]]:
    """Every readable line of ``path`` in order, and a message for each one that is not."""
    if not path.exists():
        return [], []
    found: list[Feedback] = []
    problems: list[str] = []
    text = path.read_text(encoding="utf-8", errors="replace")
    for number, raw in numbered_lines(text):
        try:
            found.append(Feedback(**json.loads(raw)))
        except (ValueError, TypeError):
            problems.append(
                f"{path.name} の {number} 行目を読めなかったため飛ばしました"
                "（ファイルはそのまま残してあります）。"
            )
    return found, problems


def every_login(folder: Path) -> list[FeedbackStore]:
    """The store of the web chat without logins (which also holds the feedback every login
    shared before it was kept per login) and the store of each login."""
    users = folder / USERS_FOLDER
    logins = sorted(p for p in users.iterdir() if p.is_dir()) if users.is_dir() else []
    return [FeedbackStore(folder), *(FeedbackStore(p) for p in logins)]


class AllFeedback:
    """Several stores read as one (``every_login``), for ``export``."""

    def __init__(self, stores: Sequence[FeedbackStore]):
        self.stores = list(stores)

    def latest(self) -> tuple[list[Feedback], list[str]]:
        feedback: list[Feedback] = []
        problems: list[str] = []
        for store in self.stores:
            found, said = store.latest()
            feedback += found
            problems += [f"{store.path.parent.name}/{p}" for p in said]  # whose file it is
        return feedback, problems


def question_set(feedback: Iterable[Feedback]) -> list[dict]:
    """The test questions the corrections make; one per question, the latest correction."""
    questions: dict[str, dict] = {}
    for item in feedback:
        if item.becomes_question:
            question = item.to_question()
            questions[question["question"]] = question
    return list(questions.values())


def write_question_set(questions: Sequence[dict], out: Path) -> Path:
    """Write ``questions`` as JSONL (one object per line), replacing ``out`` in one step."""
    if not questions:
        raise FeedbackError(NOTHING_TO_EXPORT)
    lines = dumps_lines({k: q[k] for k in QUESTION_FIELDS} for q in questions)
    write_text_atomically(out, lines, prefix=".export-")
    return out


def export(store: FeedbackStore | AllFeedback, out: Path) -> tuple[int, list[str]]:
    """Write the corrections in ``store`` to ``out``; (questions written, problems)."""
    feedback, problems = store.latest()
    questions = question_set(feedback)
    write_question_set(questions, out)
    return len(questions), problems


def feedback_folder(data_dir: Path) -> Path:
    return data_dir / "feedback"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# -- ``python -m assistant feedback-export OUT.jsonl`` -------------------------------------
def add_arguments(parser) -> None:
    parser.add_argument("out", help="書き出す質問集（JSONL）のパス")


def run(args) -> int:
    import sys

    from ingest.settings import Settings

    settings = Settings.from_env()
    store = AllFeedback(every_login(feedback_folder(settings.data_dir)))
    out = Path(args.out)
    try:
        count, problems = export(store, out)
    except FeedbackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: {out} に書き込めません（{exc.strerror}）。", file=sys.stderr)
        return 1
    for problem in problems:
        print(problem, file=sys.stderr)
    print(
        f"{count} 問を {out} に書き出しました。python -m assistant evaluate {out} で評価できます。"
    )
    return 0
