"""JSON Lines split at ``\\n`` only: the characters ``str.splitlines()`` also breaks at never
cut a record in two, whether we wrote the line or another tool did."""

from __future__ import annotations

import json

import pytest

from assistant.jsonl import dumps_line, dumps_lines, numbered_lines

# Every character str.splitlines() treats as a line end besides \n and \r: what pasted Word
# or PDF text brings along (U+2028, U+2029, U+0085), and the C0 controls it also splits at.
LINE_BREAKERS = {
    "U+2028": "\u2028",
    "U+2029": "\u2029",
    "U+0085": "\u0085",
    "U+000B": "\x0b",
    "U+000C": "\x0c",
    "U+001C": "\x1c",
    "U+001D": "\x1d",
    "U+001E": "\x1e",
}


def with_breaker(char: str) -> dict:
    text = f"前{char}後"
    return {text: text, "list": [text, {"nested": text}]}


@pytest.mark.parametrize("char", LINE_BREAKERS.values(), ids=LINE_BREAKERS.keys())
def test_a_written_line_is_one_line_for_any_reader_and_reads_back_equal(char):
    record = with_breaker(char)
    line = dumps_line(record)
    assert line.endswith("\n") and line.count("\n") == 1
    assert len(line.splitlines()) == 1  # even a reader that splits like str.splitlines()
    assert json.loads(line) == record
    assert "前" in line  # Japanese stays readable (ensure_ascii=False)


@pytest.mark.parametrize("char", LINE_BREAKERS.values(), ids=LINE_BREAKERS.keys())
def test_lines_another_tool_wrote_with_the_character_raw_are_read_whole(char):
    raw = json.dumps(with_breaker(char), ensure_ascii=False)  # U+2028 etc. stay raw here
    text = f"{raw}\n\n{dumps_line({'second': 2})}{raw}\r\n"
    lines = list(numbered_lines(text))
    assert [number for number, _ in lines] == [1, 3, 4]  # the file's own line numbers
    assert [json.loads(line) for _, line in lines] == [
        with_breaker(char),
        {"second": 2},
        with_breaker(char),
    ]


def test_dumps_lines_writes_one_line_per_record():
    assert dumps_lines([{"a": "\u2028"}, {"b": 1}]).split("\n") == [
        '{"a": "\\u2028"}',
        '{"b": 1}',
        "",
    ]
