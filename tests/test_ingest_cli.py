"""``python -m ingest`` as a user runs it: one line per path, nothing skipped in silence.

Root reads every folder whatever its mode, so the runs that must meet an unreadable folder
start the CLI with the capabilities that let root ignore permissions removed
(``tests.support.processes.without_read_override``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.__main__ import format_line, json_safe
from ingest.pipeline import Ingestor
from ingest.records import FileOutcome, Outcome
from tests.support.processes import PYTHON, Child, cli_env, without_read_override

INGEST_TIMEOUT = 300


@pytest.fixture
def obeying_permissions(tmp_path) -> list[str]:
    prefix = without_read_override(tmp_path)
    if isinstance(prefix, str):
        pytest.skip(prefix)
    return prefix


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def run_ingest(prefix: list[str], settings, args: list[str], logs: Path) -> tuple[int, dict, str]:
    with Child(
        [*prefix, PYTHON, "-m", "ingest", *args, "--json"], cli_env(settings), logs, "ingest"
    ) as child:
        code = child.wait(INGEST_TIMEOUT)
        assert "Traceback" not in child.stderr(), child.output()
        return code, json.loads(child.stdout()), child.stderr()


def by_source(result: dict) -> dict[str, dict]:
    return {f["source"]: f for f in result["files"]}


def test_unreadable_folders_are_failed_lines_naming_them(
    settings, tmp_path, embeddings, obeying_permissions
):
    reports = tmp_path / "reports"
    write(reports / "good.txt", "■概要\n令和6年5月、亀山市はナント市と協定を締結しました。\n")
    Ingestor(settings, embeddings=embeddings).ingest_paths([reports])
    private = reports / "private"
    write(private / "secret.txt", "■概要\n人事の資料です。\n")
    locked = tmp_path / "locked"
    write(locked / "inside.txt", "■概要\n鍵のかかった資料です。\n")
    for folder in (private, locked):
        folder.chmod(0)
    try:
        code, result, _err = run_ingest(
            obeying_permissions,
            settings,
            [str(reports), str(locked), str(locked / "inside.txt")],
            tmp_path / "logs",
        )
    finally:
        for folder in (private, locked):
            folder.chmod(0o700)
    files = by_source(result)
    assert code == 1, result
    assert files["good.txt"]["outcome"] == "unchanged"
    for shown in ("private/", str(locked), str(locked / "inside.txt")):
        assert files[shown]["outcome"] == "failed", files
        assert files[shown]["message"].startswith(f"{shown}: ")
        assert "権限" in files[shown]["message"]
    assert result["totals"]["failed"] == 3
    assert [r.source for r in Ingestor(settings).list_reports()] == ["good.txt"]


def test_prune_keeps_and_reports_a_report_whose_folder_became_unreadable(
    settings, tmp_path, embeddings, obeying_permissions
):
    kept = write(tmp_path / "a" / "kept.txt", "■概要\n伊賀市はリヨン市と協議しました。\n")
    write(tmp_path / "b" / "other.txt", "■概要\n名張市はダナン市に訪問団を派遣しました。\n")
    Ingestor(settings, embeddings=embeddings).ingest_paths([kept.parent, tmp_path / "b"])
    kept.parent.chmod(0)
    try:
        code, result, _err = run_ingest(
            obeying_permissions, settings, [str(tmp_path / "b"), "--prune"], tmp_path / "logs"
        )
    finally:
        kept.parent.chmod(0o700)
    files = by_source(result)
    assert code == 1, result
    assert files["other.txt"]["outcome"] == "unchanged"
    assert files["kept.txt"]["outcome"] == "failed"
    assert "削除していません" in files["kept.txt"]["message"]
    assert {r.source for r in Ingestor(settings).list_reports()} == {"kept.txt", "other.txt"}


def test_file_names_with_line_breaks_stay_on_one_line():
    outcome = FileOutcome("a\nb.txt", Outcome.FAILED, "a\nb.txt: ファイルが空です。")
    line = format_line(outcome)
    assert "\n" not in line and "a\\nb.txt" in line
    undecodable = FileOutcome("caf\udce9.txt", Outcome.ADDED, "追加しました。", 3)
    assert "caf\\udce9.txt" in format_line(undecodable)
    json.dumps(json_safe(undecodable), ensure_ascii=False).encode("utf-8")  # writable
