"""Feedback on answers, and corrections exported as a question set ``evaluate`` accepts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict

import pytest

from assistant.evaluation.questions import load_questions
from assistant.feedback import (
    BAD,
    GOOD,
    Feedback,
    FeedbackError,
    FeedbackStore,
    export,
    question_set,
)
from tests.conftest import REPO
from tests.test_jsonl import LINE_BREAKERS


def feedback(id="c1:m1", rating=BAD, **changes) -> Feedback:
    values = dict(
        id=id,
        rating=rating,
        question="津市がOPIと協定を結んだのはいつ？",
        answer="平成24年11月20日です。",
        citations=[{"source": "tsu_2012.txt", "section": "", "text": "…", "chunk_id": "x"}],
    )
    values.update(changes)
    return Feedback(**values)


@pytest.fixture
def store(tmp_path):
    return FeedbackStore(tmp_path / "feedback")


def test_feedback_is_stored_with_question_answer_and_citations(store):
    store.record(feedback(correction="11月21日"))
    [kept], problems = store.latest()
    assert problems == []
    assert kept.question.startswith("津市") and kept.answer.startswith("平成24年")
    assert kept.citations[0]["source"] == "tsu_2012.txt" and kept.correction == "11月21日"
    assert kept.at  # stamped when stored


def test_a_later_rating_of_the_same_answer_replaces_the_earlier_one(store):
    store.record(feedback(rating=BAD))
    store.record(feedback(rating=GOOD))
    store.record(feedback(id="c1:m2", rating=BAD))
    latest, _ = store.latest()
    assert [(f.id, f.rating) for f in latest] == [("c1:m1", GOOD), ("c1:m2", BAD)]
    lines = store.path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3  # nothing stored is rewritten


def test_only_thumbs_down_with_a_correction_or_no_answer_become_questions():
    questions = question_set(
        [
            feedback(id="a", rating=GOOD, correction="ignored"),
            feedback(id="b", rating=BAD),  # no correction: nothing to grade against
            feedback(id="c", rating=BAD, correction=" 11月21日 ", question="OPIとの協定は？"),
            feedback(id="d", rating=BAD, unanswerable=True, question="津市の人口は？"),
        ]
    )
    assert [(q["question"], q["expect_any"], q["unanswerable"]) for q in questions] == [
        ("OPIとの協定は？", ["11月21日"], False),
        ("津市の人口は？", [], True),
    ]
    assert all(q["id"].startswith("feedback-") for q in questions)


def test_a_follow_up_is_exported_as_the_question_that_was_searched():
    follow_up = feedback(
        question="その人は何と発言しましたか？",
        query="OPIの代表 ピエール=フランソワ・アンジェ その人は何と発言しましたか？",
        correction="小川がいずれ大河を形成する",
    )
    [question] = question_set([follow_up])
    assert question["question"].startswith("OPIの代表")


def test_export_writes_a_file_the_evaluation_loads(store, tmp_path):
    store.record(feedback(id="1", correction="11月21日"))
    store.record(feedback(id="2", unanswerable=True, question="津市の人口は何人ですか？"))
    out = tmp_path / "out" / "questions.jsonl"
    count, problems = export(store, out)
    assert (count, problems) == (2, [])
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert all(
        set(line) == {"id", "question", "expect_any", "expect_all", "evidence", "unanswerable"}
        for line in lines
    )
    loaded = load_questions([out])
    assert [q.expect_any for q in loaded] == [("11月21日",), ()]
    assert loaded[1].unanswerable


def test_nothing_to_export_is_said_in_japanese_and_writes_nothing(store, tmp_path):
    store.record(feedback(rating=GOOD))
    out = tmp_path / "questions.jsonl"
    with pytest.raises(FeedbackError, match="書き出せるフィードバックがありません"):
        export(store, out)
    assert not out.exists()


def test_a_broken_line_is_skipped_named_and_kept(store):
    store.record(feedback(id="1", correction="11月21日"))
    with open(store.path, "a", encoding="utf-8") as file:
        file.write('{"id": "cut short by a cra')
    latest, problems = store.latest()
    assert [f.id for f in latest] == ["1"]
    assert problems and "2 行目" in problems[0]
    assert store.path.read_text(encoding="utf-8").endswith("cut short by a cra")


def test_unknown_ratings_are_refused():
    with pytest.raises(FeedbackError):
        feedback(rating="meh")


def run_cli(*args, data_dir):
    env = {**os.environ, "REPORTS_DATA_DIR": str(data_dir), "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_export_command_writes_the_question_set(tmp_path):
    FeedbackStore(tmp_path / "data" / "feedback").record(feedback(correction="11月21日"))
    out = tmp_path / "feedback.jsonl"
    done = run_cli("feedback-export", str(out), data_dir=tmp_path / "data")
    assert done.returncode == 0, done.stderr
    assert "1 問" in done.stdout and str(out) in done.stdout
    assert load_questions([out])[0].expect_any == ("11月21日",)


def test_the_export_command_fails_clearly_without_corrections(tmp_path):
    done = run_cli("feedback-export", str(tmp_path / "x.jsonl"), data_dir=tmp_path / "data")
    assert done.returncode == 1 and "書き出せるフィードバックがありません" in done.stderr
    assert not (tmp_path / "x.jsonl").exists()


@pytest.mark.parametrize("char", LINE_BREAKERS.values(), ids=LINE_BREAKERS.keys())
def test_line_separators_pasted_into_any_field_are_kept_and_exported(store, tmp_path, char):
    """Text pasted from Word or PDF brings U+2028 and its kind: stored, read back and
    exported whole, in every field, never skipped as an unreadable line."""
    text = f"津市が{char}OPIと協定を結んだのはいつ？"
    stored = store.record(
        feedback(
            id=f"c1:{char}m1",
            question=text,
            answer=text,
            query=text,
            correction=f"11月{char}21日",
            citations=[{"source": text, "section": text, "text": text, "chunk_id": text}],
            sources=[text],
            user=f"staff{char}1",
        )
    )
    store.record(feedback(id="c1:m2", question="二つ目の質問？", correction="二つ目"))
    latest, problems = store.latest()
    assert problems == []
    assert latest[0] == stored and [f.id for f in latest] == [f"c1:{char}m1", "c1:m2"]

    out = tmp_path / "questions.jsonl"
    assert export(store, out) == (2, [])
    first, second = load_questions([out])
    assert first.question == text and first.expect_any == (f"11月{char}21日",)
    assert second.question == "二つ目の質問？"


def test_a_line_an_older_version_wrote_with_a_raw_u2028_is_read_and_numbers_stay_true(store):
    store.path.parent.mkdir(parents=True)
    older = json.dumps(
        {**asdict(feedback(id="1", correction="11月\u202821日")), "at": "x"}, ensure_ascii=False
    )
    store.path.write_text(older + "\n" + '{"id": "cut short\n', encoding="utf-8")
    latest, problems = store.latest()
    assert [f.correction for f in latest] == ["11月\u202821日"]
    assert len(problems) == 1 and "2 行目" in problems[0]


def test_the_export_command_exports_the_feedback_of_every_login(tmp_path):
    """Under REPORTS_AUTH the web chat keeps feedback per login (webui/feedback.py); the
    command line, run by whoever looks after the data directory, exports them all."""
    from assistant.feedback import USERS_FOLDER

    folder = tmp_path / "data" / "feedback"
    FeedbackStore(folder).record(feedback(id="a", question="共有の質問？", correction="一"))
    FeedbackStore(folder / USERS_FOLDER / "sato-1234abcd").record(
        feedback(id="b", question="佐藤の質問？", correction="二", user="sato")
    )
    out = tmp_path / "all.jsonl"
    done = run_cli("feedback-export", str(out), data_dir=tmp_path / "data")
    assert done.returncode == 0, done.stderr
    assert [q.question for q in load_questions([out])] == ["共有の質問？", "佐藤の質問？"]
