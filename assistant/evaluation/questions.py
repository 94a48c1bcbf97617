"""Load question sets: JSONL files, one question per line.

Every problem is reported as a ``QuestionFileError`` naming the file and the line, so a
staff member can fix the file; nothing is evaluated from a file that has an error.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from assistant.jsonl import numbered_lines
from assistant.limits import MAX_QUESTION_CHARS

# What json's (English) messages mean, for the staff who write question files by hand.
_JSON_PROBLEMS = (
    ("Unterminated string", '文字列の終わりの " がありません'),
    ("Expecting property name", '項目名は " で囲んでください（最後の項目の後の , は不要です）'),
    ("Expecting ':'", "項目名の後に : がありません"),
    ("Expecting ','", "項目どうしの間に , がないか、{ } や [ ] の対応が合っていません"),
    ("Expecting value", '値がないか、書き方が JSON ではありません（文字列は " で囲みます）'),
    ("Extra data", "1行に JSON オブジェクトが2つ以上あるか、} の後に余計な文字があります"),
    ("Invalid control character", "文字列の中に改行やタブなどの制御文字があります"),
    ("Invalid \\escape", "\\ の後の文字が JSON で使えません（\\ そのものは \\\\ と書きます）"),
    ("Invalid \\uXXXX escape", "\\u の後は16進数4桁にしてください"),
)

# field name -> (accepted Python type, human description for error messages)
_FIELD_TYPES: dict[str, tuple[type, str]] = {
    "id": (str, "文字列"),
    "question": (str, "文字列"),
    "expect_any": (list, "文字列のリスト"),
    "expect_all": (list, "文字列のリスト"),
    "evidence": (str, "文字列"),
    "source": (str, "文字列"),
    "unanswerable": (bool, " true または false "),
    "type": (str, "文字列"),
    "paraphrase": (bool, " true または false "),
    "note": (str, "文字列"),
    # the earlier turns of a conversation, oldest first: the question is a follow-up
    "context": (list, "文字列のリスト（前の質問を古い順に）"),
}
ALLOWED_FIELDS = tuple(_FIELD_TYPES)
REQUIRED_FIELDS = ("id", "question")


class QuestionFileError(ValueError):
    """A question file cannot be used; the message names the file, the line and the fix."""


@dataclass(frozen=True)
class Question:
    """One test question and what a correct answer must contain."""

    id: str
    question: str
    expect_any: tuple[str, ...] = ()
    expect_all: tuple[str, ...] = ()
    evidence: str = ""
    source: str = ""
    unanswerable: bool = False
    type: str = ""
    paraphrase: bool = False
    note: str = ""
    context: tuple[str, ...] = ()  # earlier questions of the conversation, oldest first
    file: str = ""  # where it was read from, for messages and the report
    line: int = 0

    @property
    def answerable(self) -> bool:
        return not self.unanswerable

    def expected_text(self) -> str:
        """What a correct answer contains, as shown in reports and the failures table."""
        if self.unanswerable:
            return "（回答不能：回答を控えるのが正解）"
        parts = []
        if self.expect_any:
            parts.append("次のいずれか：" + "／".join(self.expect_any))
        if self.expect_all:
            parts.append("次のすべて：" + "＋".join(self.expect_all))
        return "；".join(parts)


def load_questions(paths: Iterable[Path | str]) -> list[Question]:
    """Load and validate question files in order; ids must be unique across all of them."""
    questions: list[Question] = []
    first_seen: dict[str, Question] = {}
    for path in paths:
        for question in load_question_file(path):
            earlier = first_seen.get(question.id)
            if earlier is not None:
                raise QuestionFileError(
                    f"{question.file}:{question.line}: id {question.id!r} が重複しています"
                    f"（{earlier.file}:{earlier.line} で使用済み）。質問ごとに別の id を付けてください。"
                )
            first_seen[question.id] = question
            questions.append(question)
    return questions


def load_question_file(path: Path | str) -> list[Question]:
    """Parse one JSONL file; blank lines are skipped."""
    path = Path(path)
    text = _read_utf8(path)
    questions = [_parse_line(raw, path, number) for number, raw in numbered_lines(text)]
    if not questions:
        raise QuestionFileError(
            f"{path}: 質問が1件もありません。1行に1つの JSON オブジェクトを書いてください"
            '（例: {"id": "q-001", "question": "…", "expect_any": ["…"]}）。'
        )
    return questions


def _read_utf8(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise QuestionFileError(f"{path}: ファイルが見つかりません。") from None
    except IsADirectoryError:
        raise QuestionFileError(
            f"{path}: フォルダーです。.jsonl ファイルを指定してください。"
        ) from None
    except OSError as exc:
        raise QuestionFileError(f"{path}: 読み込めません（{exc.strerror}）。") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise QuestionFileError(
            f"{path}:{line}: UTF-8 ではありません（{exc.start} バイト目）。UTF-8 で保存し直してください。"
        ) from None


def _parse_line(raw: str, path: Path, line: int) -> Question:
    where = f"{path}:{line}"
    try:
        record = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise QuestionFileError(
            f"{where}: JSON として読めません（{exc.colno} 文字目: {_json_problem(exc.msg)}）。"
            "各行は1つの JSON オブジェクトにしてください。"
        ) from None
    if not isinstance(record, dict):
        raise QuestionFileError(
            f"{where}: JSON オブジェクト（{{…}}）ではなく {type(record).__name__} です。"
        )
    _check_fields(record, where)
    return _build_question(record, path, line, where)


def _json_problem(message: str) -> str:
    """The Japanese for one of json's messages (never its English text)."""
    for start, japanese in _JSON_PROBLEMS:
        if message.startswith(start):
            return japanese
    return "JSON の書き方に誤りがあります"


def _check_fields(record: dict, where: str) -> None:
    unknown = sorted(set(record) - set(ALLOWED_FIELDS))
    if unknown:
        raise QuestionFileError(
            f"{where}: 不明な項目 {', '.join(map(repr, unknown))} があります。"
            f"使える項目: {', '.join(ALLOWED_FIELDS)}。"
        )
    for name in REQUIRED_FIELDS:
        if name not in record:
            raise QuestionFileError(f"{where}: 必須の項目 {name!r} がありません。")
    for name, value in record.items():
        expected, description = _FIELD_TYPES[name]
        # bool is a subclass of int, never of str/list, so isinstance is exact here
        if not isinstance(value, expected):
            raise QuestionFileError(
                f"{where}: 項目 {name!r} は{description}にしてください"
                f"（値: {json.dumps(value, ensure_ascii=False)}）。"
            )
        if expected is list and not all(isinstance(item, str) and item.strip() for item in value):
            raise QuestionFileError(
                f"{where}: 項目 {name!r} は空でない文字列のリストにしてください。"
            )
    for name in REQUIRED_FIELDS:
        if not record[name].strip():
            raise QuestionFileError(f"{where}: 項目 {name!r} が空です。")
    length = len(record["question"].strip())
    if length > MAX_QUESTION_CHARS:  # the chat refuses it too: it would measure nothing
        raise QuestionFileError(
            f"{where}: 項目 'question' が長すぎます（{length}文字）。チャットと同じく"
            f"{MAX_QUESTION_CHARS}文字以内にしてください。"
        )


def _build_question(record: dict, path: Path, line: int, where: str) -> Question:
    question = Question(
        id=record["id"].strip(),
        question=record["question"].strip(),
        expect_any=tuple(record.get("expect_any", ())),
        expect_all=tuple(record.get("expect_all", ())),
        evidence=record.get("evidence", ""),
        source=record.get("source", ""),
        unanswerable=record.get("unanswerable", False),
        type=record.get("type", "").strip(),
        paraphrase=record.get("paraphrase", False),
        note=record.get("note", ""),
        context=tuple(q.strip() for q in record.get("context", ())),
        file=str(path),
        line=line,
    )
    _check_consistency(question, where)
    return question


def _check_consistency(question: Question, where: str) -> None:
    """An answerable question needs something to grade against; an unanswerable one must not
    carry an expected answer (that would contradict itself)."""
    has_expectation = bool(question.expect_any or question.expect_all)
    if question.unanswerable and (has_expectation or question.evidence):
        raise QuestionFileError(
            f"{where}: 質問 {question.id!r} は unanswerable（資料に答えがない）とされていますが、"
            "expect_any/expect_all/evidence があります。それらを消すか unanswerable を false にしてください。"
        )
    if not question.unanswerable and not has_expectation:
        raise QuestionFileError(
            f"{where}: 質問 {question.id!r} に expect_any も expect_all もありません。"
            '期待する答えを書くか、"unanswerable": true にしてください。'
        )
