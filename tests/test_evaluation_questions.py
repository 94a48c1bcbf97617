"""Question files: what loads, and the clear error a staff member gets for each mistake."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import pytest

from assistant.evaluation import cli
from assistant.evaluation.questions import (
    ALLOWED_FIELDS,
    Question,
    QuestionFileError,
    load_question_file,
    load_questions,
)
from tests.test_jsonl import LINE_BREAKERS

GOOD = {
    "id": "q-001",
    "question": "津市がOPIと協定を結んだのはいつ？",
    "expect_any": ["平成24年11月21日", "11月21日"],
    "evidence": "21 日には津市とジュネーブ州",
    "source": "tsu.txt",
    "type": "date",
    "paraphrase": False,
    "unanswerable": False,
    "note": "",
}
UNANSWERABLE = {
    "id": "q-002",
    "question": "津市の人口は？",
    "unanswerable": True,
    "type": "unanswerable",
}


def write_lines(path, *records) -> str:
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def error_for(path) -> str:
    with pytest.raises(QuestionFileError) as caught:
        load_question_file(path)
    return str(caught.value)


def test_loads_every_field_and_remembers_where_each_question_came_from(tmp_path):
    path = write_lines(tmp_path / "q.jsonl", GOOD, "", UNANSWERABLE)
    first, second = load_question_file(path)
    assert first == Question(
        id="q-001",
        question="津市がOPIと協定を結んだのはいつ？",
        expect_any=("平成24年11月21日", "11月21日"),
        evidence="21 日には津市とジュネーブ州",
        source="tsu.txt",
        type="date",
        file=path,
        line=1,
    )
    assert second.unanswerable and second.line == 3  # the blank line is skipped, not renumbered


def test_several_files_load_in_order(tmp_path):
    a = write_lines(tmp_path / "a.jsonl", GOOD)
    b = write_lines(tmp_path / "b.jsonl", UNANSWERABLE)
    assert [q.id for q in load_questions([a, b])] == ["q-001", "q-002"]


def test_a_utf8_bom_is_accepted(tmp_path):
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(GOOD, ensure_ascii=False).encode())
    assert load_question_file(path)[0].id == "q-001"


def test_malformed_json_names_file_and_line(tmp_path):
    path = write_lines(tmp_path / "bad.jsonl", GOOD, '{"id": "q-9", "question": "抜け"')
    message = error_for(path)
    assert f"{path}:2" in message and "JSON として読めません" in message


def test_a_line_that_is_not_an_object_is_rejected(tmp_path):
    message = error_for(write_lines(tmp_path / "list.jsonl", '["q-1", "質問"]'))
    assert ":1" in message and "JSON オブジェクト" in message


@pytest.mark.parametrize("missing", ["id", "question"])
def test_missing_required_field_is_named(tmp_path, missing):
    record = {k: v for k, v in GOOD.items() if k != missing}
    message = error_for(write_lines(tmp_path / "q.jsonl", record))
    assert "q.jsonl:1" in message and f"必須の項目 {missing!r} がありません" in message


def test_unknown_field_is_named_with_the_allowed_ones(tmp_path):
    message = error_for(write_lines(tmp_path / "q.jsonl", GOOD | {"expected": ["11月21日"]}))
    assert "不明な項目 'expected'" in message
    assert all(name in message for name in ALLOWED_FIELDS)


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("expect_any", "11月21日", "は文字列のリストにしてください"),
        ("expect_all", [1, 2], "空でない文字列のリスト"),
        ("unanswerable", "yes", "は true または false にしてください"),
        ("id", 7, "は文字列にしてください"),
        ("question", "   ", "が空です"),
    ],
)
def test_wrong_types_are_explained(tmp_path, field, value, says):
    message = error_for(write_lines(tmp_path / "q.jsonl", GOOD | {field: value}))
    assert "q.jsonl:1" in message and repr(field) in message and says in message


def test_duplicate_id_names_both_places(tmp_path):
    path = write_lines(tmp_path / "q.jsonl", GOOD, UNANSWERABLE, GOOD | {"question": "別の質問"})
    with pytest.raises(
        QuestionFileError, match=r"q\.jsonl:3: id 'q-001' が重複しています.*q\.jsonl:1"
    ):
        load_questions([path])


def test_duplicate_id_across_files_is_rejected(tmp_path):
    a = write_lines(tmp_path / "a.jsonl", GOOD)
    b = write_lines(tmp_path / "b.jsonl", GOOD)
    with pytest.raises(QuestionFileError, match=r"b\.jsonl:1: id .*が重複しています.*a\.jsonl:1"):
        load_questions([a, b])


def test_empty_file_is_rejected(tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_text("\n  \n", encoding="utf-8")
    assert "質問が1件もありません" in error_for(path)


def test_non_utf8_file_names_the_line(tmp_path):
    path = tmp_path / "sjis.jsonl"
    good_line = json.dumps(GOOD, ensure_ascii=False)
    path.write_bytes((good_line + "\n").encode() + good_line.encode("cp932"))
    message = error_for(path)
    assert "sjis.jsonl:2" in message and "UTF-8" in message


def test_missing_file_is_named(tmp_path):
    assert "ファイルが見つかりません" in error_for(tmp_path / "nope.jsonl")


def test_answerable_question_without_expectation_is_rejected(tmp_path):
    record = {"id": "q-1", "question": "OPIとは？", "evidence": "OPI"}
    assert "expect_any も expect_all もありません" in error_for(
        write_lines(tmp_path / "q.jsonl", record)
    )


def test_unanswerable_question_with_an_answer_contradicts_itself(tmp_path):
    record = UNANSWERABLE | {"expect_any": ["27万人"]}
    assert "unanswerable（資料に答えがない）とされています" in error_for(
        write_lines(tmp_path / "q.jsonl", record)
    )


def test_cli_exits_2_and_prints_no_report_for_a_bad_file(tmp_path, capsys):
    good = write_lines(tmp_path / "good.jsonl", GOOD)
    bad = write_lines(tmp_path / "bad.jsonl", GOOD | {"id": "q-2", "typo": 1})
    args = argparse.Namespace(
        questions=[tmp_path / "good.jsonl", tmp_path / "bad.jsonl"],
        json=True,
        out=tmp_path / "out",
        k=5,
        baseline=False,
        reports=[],
    )
    assert cli.run(args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert bad in captured.err and "不明な項目 'typo'" in captured.err
    assert good not in captured.err
    assert not (tmp_path / "out").exists()


def test_the_real_question_sets_are_valid():
    repo = Path(__file__).resolve().parent.parent
    paths = [repo / "corpus" / "questions.jsonl", repo / "tests" / "fixtures" / "questions.jsonl"]
    questions = load_questions([p for p in paths if p.exists()])
    assert len(questions) >= 70


@pytest.mark.parametrize("char", LINE_BREAKERS.values(), ids=LINE_BREAKERS.keys())
def test_line_separators_inside_any_field_keep_the_line_whole(tmp_path, char):
    """A valid line holding U+2028 (raw, as json.dumps leaves it) or its kind loads, and the
    lines after it keep their numbers in the file."""
    text = f"前{char}後"
    record = {
        **GOOD,
        **dict.fromkeys(("id", "question", "evidence", "source", "type", "note"), text),
        "expect_any": [text],
        "expect_all": [text],
    }
    path = write_lines(tmp_path / "q.jsonl", record, UNANSWERABLE)
    first, second = load_question_file(path)
    for name in ("id", "question", "evidence", "source", "type", "note"):
        assert getattr(first, name) == text, name
    assert first.expect_any == (text,) and first.expect_all == (text,)
    assert (first.line, second.line) == (1, 2)
    write_lines(tmp_path / "q.jsonl", record, "{broken")
    assert "q.jsonl:2:" in error_for(tmp_path / "q.jsonl")


def test_a_question_longer_than_the_chat_accepts_is_refused_with_file_and_line(tmp_path):
    from assistant.service import MAX_QUESTION_CHARS

    longest = {**GOOD, "id": "q-long", "question": "あ" * MAX_QUESTION_CHARS}
    assert load_question_file(write_lines(tmp_path / "ok.jsonl", longest))
    too_long = {**GOOD, "id": "q-huge", "question": "あ" * (MAX_QUESTION_CHARS + 1)}
    message = error_for(write_lines(tmp_path / "long.jsonl", GOOD, too_long))
    assert f"{tmp_path / 'long.jsonl'}:2:" in message
    assert f"長すぎます（{MAX_QUESTION_CHARS + 1}文字）" in message
    assert f"{MAX_QUESTION_CHARS}文字以内" in message


@pytest.mark.parametrize(
    "line",
    [
        '{"id": "q-9", "question": "抜け"',  # no closing brace
        '{"id": "q-9", "question": "閉じていない}',
        "{'id': 'q-9'}",  # single quotes
        '{"id": "q-9", "question": "末尾のカンマ",}',
        '{"id" "q-9"}',
        '{"id": "q-9"} {"id": "q-10"}',
        '{"id": "q-9", "question": "\\x"}',
        '{"id": "q-9", "question": "\\u12"}',
        '{"id": "q-9", "question": "タブ\t入り"}',
        "{id: q-9}",
        "質問です",
    ],
)
def test_invalid_json_is_explained_in_japanese_without_the_decoder_english(tmp_path, line):
    message = error_for(write_lines(tmp_path / "bad.jsonl", line))
    assert "bad.jsonl:1:" in message and "JSON として読めません" in message
    english = re.findall(r"[A-Za-z]{2,}", message.replace(str(tmp_path), ""))
    assert set(english) <= {"JSON", "bad", "jsonl"}, message
