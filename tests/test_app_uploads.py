"""Uploaded files land under the uploads folder with safe names, or are refused clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.records import FileOutcome, Outcome
from webui.uploads import (
    MAX_NAME_BYTES,
    outcome_rows,
    sanitize_filename,
    store_uploads,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("津市報告書.txt", "津市報告書.txt"),
        ("../../etc/passwd.txt", "passwd.txt"),
        ("/etc/cron.d/evil.md", "evil.md"),
        ("..\\..\\windows\\報告.pdf", "報告.pdf"),
        ("..", "report"),
        (".txt", "report.txt"),
        ("..txt", "report.txt"),
        (".hidden.html", "hidden.html"),
        ("a\x00b\x1f\x7fc.txt", "abc.txt"),
        ("report\u202etxt.exe.txt", "reporttxt.exe.txt"),  # right-to-left override removed
        ('what?<is>:"this|*.docx', "what__is___this__.docx"),
        ("  報告 書 .txt ", "報告 書 .txt"),
        ("", "report"),
    ],
)
def test_sanitize_filename(raw, expected):
    assert sanitize_filename(raw) == expected


def test_sanitize_keeps_decomposed_japanese_as_composed():
    assert sanitize_filename("カ\u3099イド.txt") == "ガイド.txt"  # macOS sends NFD names


def test_long_names_are_shortened_keeping_the_extension():
    name = sanitize_filename("報" * 200 + ".pdf")
    assert name.endswith(".pdf")
    assert len(name.encode("utf-8")) <= MAX_NAME_BYTES


def write(path: Path, text: str = "本文です。") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_uploads_are_copied_under_the_uploads_folder_only(tmp_path):
    upload = write(tmp_path / "incoming" / "報告.txt")
    uploads_dir = tmp_path / "data" / "uploads"
    stored, rejected = store_uploads([upload], uploads_dir, max_mb=1)
    assert rejected == []
    assert [s.name for s in stored] == ["報告.txt"]
    assert stored[0].path == uploads_dir / "報告.txt"
    assert stored[0].path.read_text(encoding="utf-8") == "本文です。"
    assert not list(uploads_dir.glob(".upload-*"))  # no temporary copies left behind


def test_reupload_replaces_the_earlier_copy(tmp_path):
    uploads_dir = tmp_path / "uploads"
    store_uploads([write(tmp_path / "a" / "報告.txt", "古い")], uploads_dir, max_mb=1)
    store_uploads([write(tmp_path / "b" / "報告.txt", "新しい")], uploads_dir, max_mb=1)
    assert (uploads_dir / "報告.txt").read_text(encoding="utf-8") == "新しい"
    assert sorted(p.name for p in uploads_dir.iterdir()) == ["報告.txt"]


def test_two_files_with_the_same_name_in_one_upload_both_survive(tmp_path):
    first = write(tmp_path / "a" / "報告.txt", "一")
    second = write(tmp_path / "b" / "報告.txt", "二")
    stored, _ = store_uploads([first, second], tmp_path / "uploads", max_mb=1)
    assert [s.name for s in stored] == ["報告.txt", "報告 (2).txt"]
    assert [s.path.read_text(encoding="utf-8") for s in stored] == ["一", "二"]


def test_unsupported_types_are_refused_with_a_message_naming_the_file(tmp_path):
    stored, rejected = store_uploads([write(tmp_path / "tool.exe")], tmp_path / "uploads", max_mb=1)
    assert stored == []
    assert rejected[0].outcome == Outcome.FAILED
    assert rejected[0].message.startswith("tool.exe:")
    assert ".pdf" in rejected[0].message
    assert not (tmp_path / "uploads" / "tool.exe").exists()


def test_files_over_the_size_limit_are_refused(tmp_path):
    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * (2 * 1024 * 1024))
    stored, rejected = store_uploads([big], tmp_path / "uploads", max_mb=1)
    assert stored == []
    assert "big.txt" in rejected[0].message and "1 MB" in rejected[0].message


def test_outcome_rows_use_japanese_result_words():
    rows = outcome_rows(
        [
            FileOutcome("a.txt", Outcome.ADDED, "追加しました。"),
            FileOutcome("b.txt", Outcome.UPDATED, "更新しました。"),
            FileOutcome("c.txt", Outcome.UNCHANGED, "変更はありません。"),
            FileOutcome("d.txt", Outcome.FAILED, "d.txt: 読めません。"),
        ]
    )
    assert [r[1] for r in rows] == ["追加", "更新", "変更なし", "失敗"]
    assert rows[3] == ["d.txt", "失敗", "d.txt: 読めません。"]
