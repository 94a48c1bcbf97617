"""Files replaced in one step: old content or new, never a part, nothing left behind."""

import pytest

from ingest.atomic import copy_atomically, replacing, write_text_atomically


def test_writing_replaces_the_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "sub" / "会話.json"
    write_text_atomically(target, "古い")
    write_text_atomically(target, "新しい")
    assert target.read_text(encoding="utf-8") == "新しい"
    assert [p.name for p in target.parent.iterdir()] == ["会話.json"]


def test_a_failure_while_writing_keeps_the_old_content(tmp_path):
    target = tmp_path / "questions.jsonl"
    target.write_text("元の内容\n", encoding="utf-8")
    with pytest.raises(RuntimeError), replacing(target) as temporary:
        temporary.write_text("書きかけ", encoding="utf-8")
        raise RuntimeError("disk full")
    assert target.read_text(encoding="utf-8") == "元の内容\n"
    assert [p.name for p in tmp_path.iterdir()] == ["questions.jsonl"]


def test_copy_gives_the_same_bytes(tmp_path):
    source = tmp_path / "report.txt"
    source.write_bytes("津市".encode("cp932"))
    target = tmp_path / "uploads" / "report.txt"
    copy_atomically(source, target)
    assert target.read_bytes() == source.read_bytes()
