"""JSON Lines, read and written so that a line is exactly what ends in ``\\n``.

``str.splitlines()`` also breaks at U+2028, U+2029, U+0085, U+000B, U+000C and
U+001C-U+001E. ``json.dumps(..., ensure_ascii=False)`` leaves the first three raw in a
string (they arrive in text pasted from Word or PDF), so a valid line would be read as two
broken ones and skipped. Reading splits on ``\\n`` only; writing also escapes those three, so
tools that split lines the same way (JavaScript, editors) read our files whole too.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

# Line separators json.dumps keeps raw with ensure_ascii=False (it escapes the C0 controls).
_RAW_SEPARATORS = {"\u2028": "\\u2028", "\u2029": "\\u2029", "\u0085": "\\u0085"}


def dumps_line(record: object) -> str:
    """``record`` as one JSONL line, ``\\n`` included; Japanese stays readable."""
    text = json.dumps(record, ensure_ascii=False)
    for raw, escaped in _RAW_SEPARATORS.items():
        text = text.replace(raw, escaped)
    return text + "\n"


def dumps_lines(records: Iterable[object]) -> str:
    return "".join(dumps_line(r) for r in records)


def numbered_lines(text: str) -> Iterator[tuple[int, str]]:
    """(line number from 1, line) of a JSONL text, split at ``\\n`` only (a ``\\r`` before
    it, from a file saved on Windows, is dropped); blank lines are skipped."""
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.removesuffix("\r")
        if line.strip():
            yield number, line
