"""Uploaded files land under the uploads folder with safe names, or are refused clearly."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ingest.records import FileOutcome, Outcome
from webui.uploads import (
    MAX_NAME_BYTES,
    indexed_names,
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
        ("  報告 書 .txt ", "報告 書 .txt"),
        ("", "report"),
        # a name sanitizing changed gets a digest of the name as given (kept distinct)
        ("..", "report-#"),
        (".txt", "report-#.txt"),
        ("..txt", "report-#.txt"),
        (".hidden.html", "hidden-#.html"),
        ("a\x00b\x1f\x7fc.txt", "abc-#.txt"),
        ("report\u202etxt.exe.txt", "reporttxt.exe-#.txt"),  # right-to-left override removed
        ('what?<is>:"this|*.docx', "what__is___this__-#.docx"),
    ],
)
def test_sanitize_filename(raw, expected):
    pattern = re.escape(expected).replace("\\#", "[0-9a-f]{8}")
    assert re.fullmatch(pattern, sanitize_filename(raw)), sanitize_filename(raw)


def test_distinct_names_stay_distinct_and_one_name_keeps_its_name():
    names = [".txt", "..txt", "...txt", ".a.txt", "a.txt", "a\x00.txt", "a?.txt", "a_.txt"]
    sanitized = [sanitize_filename(n) for n in names]
    assert len(set(sanitized)) == len(names), sanitized
    assert sanitized == [sanitize_filename(n) for n in names]  # re-uploading replaces
    long_names = ["報" * 200 + "一.pdf", "報" * 200 + "二.pdf"]
    assert len({sanitize_filename(n) for n in long_names}) == 2


def test_uploads_of_dot_names_at_different_times_are_two_reports(tmp_path):
    uploads_dir = tmp_path / "data" / "uploads"
    first = write(tmp_path / "one" / ".txt", "一つ目の報告です。")
    second = write(tmp_path / "two" / "...txt", "二つ目の報告です。")
    [one], _ = store_uploads([first], uploads_dir, max_mb=1)
    [two], _ = store_uploads([second], uploads_dir, max_mb=1)
    assert one.name != two.name
    assert one.path.read_text(encoding="utf-8") == "一つ目の報告です。"
    assert two.path.read_text(encoding="utf-8") == "二つ目の報告です。"


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


def test_every_format_ingest_reads_can_be_uploaded(tmp_path):
    from ingest.loaders import SUPPORTED_EXTENSIONS
    from webui.uploads import UPLOAD_EXTENSIONS

    assert set(UPLOAD_EXTENSIONS) == SUPPORTED_EXTENSIONS
    files = [write(tmp_path / f"日程{ext}") for ext in (".xlsx", ".pptx")]
    stored, rejected = store_uploads(files, tmp_path / "uploads", max_mb=1)
    assert rejected == [] and sorted(s.name for s in stored) == ["日程.pptx", "日程.xlsx"]


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


# -- a file named like an indexed report: replace it, or add it as another report ------------


def test_a_same_named_upload_added_as_new_gets_a_free_name_and_leaves_the_old_copy(tmp_path):
    uploads_dir = tmp_path / "uploads"
    store_uploads([write(tmp_path / "a" / "報告.txt", "古い")], uploads_dir, max_mb=1)
    stored, _ = store_uploads(
        [write(tmp_path / "b" / "報告.txt", "新しい")],
        uploads_dir,
        max_mb=1,
        indexed={"報告.txt", "報告 (2).txt"},
        replace=False,
    )
    assert [(s.name, s.indexed_as) for s in stored] == [("報告 (3).txt", "報告.txt")]
    assert (uploads_dir / "報告.txt").read_text(encoding="utf-8") == "古い"
    assert (uploads_dir / "報告 (3).txt").read_text(encoding="utf-8") == "新しい"


def test_a_same_named_upload_that_replaces_keeps_the_name(tmp_path):
    stored, _ = store_uploads(
        [write(tmp_path / "b" / "報告.txt", "新しい")],
        tmp_path / "uploads",
        max_mb=1,
        indexed={"報告.txt"},
        replace=True,
    )
    assert [(s.name, s.indexed_as) for s in stored] == [("報告.txt", "報告.txt")]


def test_indexed_names_are_found_after_sanitizing():
    assert indexed_names(["/tmp/x/報告.txt", "/tmp/y/新規.txt"], {"報告.txt"}) == ["報告.txt"]


SEED_NAME = "tsu_2012_europe_economic_agreements.txt"


@pytest.fixture
def web_app(settings, embeddings):
    from assistant.service import Assistant
    from ingest.pipeline import Ingestor
    from tests.conftest import SEED_REPORT
    from webui.handlers import WebApp

    ingestor = Ingestor(settings, embeddings=embeddings)
    ingestor.ingest_paths([SEED_REPORT])
    return WebApp(settings, Assistant(settings, embeddings=embeddings), ingestor)


def test_uploading_an_indexed_name_asks_and_then_does_what_was_chosen(web_app, tmp_path):
    """The issue's case: a file named like the corpus report, uploaded in the web chat."""
    from webui.handlers import ADD_AS_NEW, REPLACE_SAME_NAME

    upload = write(
        tmp_path / "incoming" / SEED_NAME,
        "■概要\n令和6年5月、亀山市はナント市と協定を締結しました。\n",
    )
    _ready, choice, notice = web_app.same_name_notice([str(upload)])
    assert choice["visible"] is True and SEED_NAME in notice and "置き換える" in notice

    rows, reports, _choices = web_app.ingest_uploads([str(upload)], ADD_AS_NEW, progress=None)
    new_name = SEED_NAME.replace(".txt", " (2).txt")
    assert rows == [
        [
            new_name,
            "追加",
            f"同じ名前の資料「{SEED_NAME}」が登録済みのため、別の資料「{new_name}」として追加しました。",
        ]
    ]
    assert sorted(r[1] for r in reports) == sorted([SEED_NAME, new_name])

    newer = write(
        tmp_path / "again" / SEED_NAME, "■概要\n令和7年1月、亀山市はナント市を再訪しました。\n"
    )
    rows, reports, _choices = web_app.ingest_uploads([str(newer)], REPLACE_SAME_NAME, progress=None)
    assert rows == [
        [SEED_NAME, "更新", f"登録済みの資料「{SEED_NAME}」を、このファイルで置き換えました。"]
    ]
    assert sorted(r[1] for r in reports) == sorted([SEED_NAME, new_name])
    texts = {c.source: c.text for c in web_app.assistant.keyword_index.all_chunks()}
    assert "再訪" in texts[SEED_NAME] and "ナント市と協定" in texts[new_name]


def test_a_new_name_needs_no_choice(web_app, tmp_path):
    upload = write(tmp_path / "incoming" / "新規.txt")
    ready, choice, notice = web_app.same_name_notice([str(upload)])
    assert ready["interactive"] is True and choice["visible"] is False and notice == ""


def test_an_upload_a_crash_left_unindexed_is_indexed_at_the_next_start(web_app, tmp_path):
    """kill -9 between storing an upload and indexing it left the copy in uploads/, unlisted:
    the next start indexes it and says so; indexed uploads are not touched again."""
    from webui.startup import Startup

    kept = write(
        tmp_path / "incoming" / "既存.txt", "■概要\n令和5年、名張市はダナン市を訪問しました。\n"
    )
    web_app.ingest_uploads([str(kept)], progress=None)
    left = write(
        web_app.settings.uploads_dir / "途中.txt",
        "■概要\n令和6年3月、亀山市はナント市と協定を締結しました。\n",
    )
    write(web_app.settings.uploads_dir / ".upload-partial.txt")  # a copy cut short: not a report

    said: list[str] = []
    startup = Startup()
    startup.say = said.append  # what the start-up page shows
    web_app.prepare(startup)
    sources = sorted(r.source for r in web_app.ingestor.list_reports())
    assert sources == sorted([SEED_NAME, "既存.txt", "途中.txt"])
    assert any("途中.txt" in line and "1 件" in line for line in said), said
    assert any("追加" in line and "途中.txt" in line for line in said), said
    assert not any("既存.txt" in line for line in said), said
    assert left.exists()
