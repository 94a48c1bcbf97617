"""The index loses nothing when an ingest is killed, the disk fails, two ingests collide or
the catalog file is damaged: after the next run it equals the index a clean run makes.

Ingests run as real subprocesses (``python -m ingest``) that are killed with SIGKILL; every
index is read back in a fresh process (``tests.support.snapshot``), so nothing cached in the
test process hides a broken store.
"""

from __future__ import annotations

import json
import resource
import time
from pathlib import Path

import pytest

from ingest.pipeline import Ingestor, ingest_running
from ingest.records import Outcome
from ingest.settings import Settings
from tests.conftest import CORPUS_DIR, SEED_REPORT
from tests.support.index_files import (
    catalog_write_lock,
    committed_reports,
    copy_index,
    copy_reports,
    corrupt_catalog,
    drop_table,
    move_reports,
)
from tests.support.processes import Child, cli_env, run_cli, start_cli, wait_for
from tests.support.snapshot import IndexSnapshot, snapshot_in_subprocess, take_snapshot

pytestmark = pytest.mark.slow

INGEST_TIMEOUT = 300  # seconds; a full run takes ~25 s alone, much more on a busy machine
REPORT_COUNT = 8  # the seed report + 7 fixture reports
# Chunks per write window in the killed ingests: the 8 reports (79 chunks) then make seven
# windows (one holds two reports), so a kill 2.5 s after the first commit still lands before
# the last one on an idle machine (with 16, all were committed by then).
WRITE_BATCH = "8"


@pytest.fixture(scope="module")
def reports_dir(tmp_path_factory) -> Path:
    return copy_reports(tmp_path_factory.mktemp("faults") / "reports")


@pytest.fixture(scope="module")
def clean_settings(tmp_path_factory, reports_dir, model_dir, embeddings) -> Settings:
    """An index made by one uninterrupted run: what every recovered index must equal."""
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("clean") / "data",
        model_dir=model_dir,
        corpus_dir=CORPUS_DIR,
    )
    outcomes = Ingestor(settings, embeddings=embeddings).ingest_paths([reports_dir])
    assert [o.outcome for o in outcomes] == [Outcome.ADDED] * REPORT_COUNT, outcomes
    return settings


@pytest.fixture(scope="module")
def clean_index(clean_settings) -> IndexSnapshot:
    snapshot = take_snapshot(clean_settings)
    assert not snapshot.at_rest_problems()
    return snapshot


@pytest.fixture
def settings_here(tmp_path, model_dir) -> Settings:
    return Settings(data_dir=tmp_path / "data", model_dir=model_dir, corpus_dir=CORPUS_DIR)


@pytest.fixture
def healthy_copy(tmp_path, clean_settings, clean_index, model_dir) -> Settings:
    """This test's own copy of the clean index."""
    copy_index(clean_settings.data_dir, tmp_path / "data")
    return Settings(data_dir=tmp_path / "data", model_dir=model_dir, corpus_dir=CORPUS_DIR)


def start_ingest(settings: Settings, paths, name: str, **env) -> Child:
    args = ["ingest", *map(str, paths), "--json"]
    env.setdefault("REPORTS_WRITE_BATCH", WRITE_BATCH)
    return start_cli(args, cli_env(settings, **env), settings.data_dir.parent / "logs", name)


def run_ingest(
    settings: Settings, paths, name: str, preexec=None, log_dir: Path | None = None, **env
) -> tuple[int, dict | None, str]:
    """Run ``python -m ingest PATHS --json``: (exit code, parsed output or None, stderr)."""
    args = ["ingest", *map(str, paths), "--json"]
    log_dir = log_dir or settings.data_dir.parent / "logs"
    code, out, err = run_cli(args, cli_env(settings, **env), log_dir, name, INGEST_TIMEOUT, preexec)
    try:
        return code, json.loads(out), err
    except json.JSONDecodeError:
        return code, None, err


def outcomes(result: dict) -> dict[str, str]:
    return {f["source"]: f["outcome"] for f in result["files"]}


def assert_equal_to(expected: IndexSnapshot, actual: IndexSnapshot) -> None:
    assert not actual.at_rest_problems()
    assert set(actual.chroma) == set(expected.chroma), "Chroma ids differ from a clean run"
    assert actual.comparable() == expected.comparable()


def wait_for_first_commit(child: Child, catalog: Path) -> dict[str, str]:
    wait_for(
        lambda: committed_reports(catalog) or not child.running(), INGEST_TIMEOUT, "a first commit"
    )
    assert child.running(), f"the ingest ended before we could kill it:\n{child.output()}"
    return committed_reports(catalog)


# -- kill -9 ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "delay", [0.0, 0.7, 2.5], ids=["at-first-commit", "0.7s-later", "2.5s-later"]
)
def test_kill_9_during_ingest_then_a_rerun_equals_a_clean_run(
    settings_here, reports_dir, clean_index, delay
):
    child = start_ingest(settings_here, [reports_dir], "killed")
    with child:
        wait_for_first_commit(child, settings_here.catalog_path)
        time.sleep(delay)
        assert child.running(), "the kill must land while the ingest is still embedding"
        child.kill()

    after_kill = snapshot_in_subprocess(settings_here)
    assert not after_kill.committed_problems()
    assert 1 <= len(after_kill.reports) < REPORT_COUNT

    code, result, err = run_ingest(settings_here, [reports_dir], "rerun")
    assert code == 0, err
    for source, outcome in outcomes(result).items():
        expected = "unchanged" if source in after_kill.reports else "added"
        assert outcome == expected, f"{source}: a committed report must not be embedded again"
    assert_equal_to(clean_index, snapshot_in_subprocess(settings_here))


def test_kill_9_between_writing_vectors_and_committing_them(
    settings_here, reports_dir, clean_index
):
    """The dangerous instant: Chroma holds a report's vectors, the catalog does not know them."""
    child = start_ingest(settings_here, [reports_dir], "killed")
    with child:
        wait_for_first_commit(child, settings_here.catalog_path)
        with catalog_write_lock(settings_here.catalog_path):
            child.wait_until_idle()  # stopped at its next catalog write
            child.kill()

    after_kill = snapshot_in_subprocess(settings_here)
    assert not after_kill.committed_problems()
    uncommitted = set(after_kill.chroma) - set(after_kill.keyword)
    assert uncommitted, "the kill should land after Chroma took the vectors of the next report"

    code, result, err = run_ingest(settings_here, [reports_dir], "rerun")
    assert code == 0, err
    assert f"未確定のチャンク {len(uncommitted)} 件" in err, (
        "the user should hear what was cleaned up"
    )
    assert_equal_to(clean_index, snapshot_in_subprocess(settings_here))


def utf8_texts(folder: Path) -> list[Path]:
    def is_utf8(path: Path) -> bool:
        try:
            path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            return False
        return True

    return [p for p in sorted(folder.iterdir()) if p.suffix in (".txt", ".md") and is_utf8(p)]


def test_kill_9_while_changed_reports_replace_their_old_chunks(
    tmp_path, healthy_copy, reports_dir, embeddings
):
    changed_dir = copy_reports(tmp_path / "changed")
    for path in utf8_texts(changed_dir)[:3]:  # others are Shift_JIS or EUC-JP on purpose
        path.write_text(
            path.read_text(encoding="utf-8") + "\n■追記\n令和7年、協定を更新しました。\n",
            encoding="utf-8",
        )
    # The changed copies are the indexed reports' files (the folder "moved" there), so
    # they replace those reports rather than being added as other ones.
    move_reports(healthy_copy.catalog_path, reports_dir, changed_dir)
    # What the same update gives without a kill (in another copy, in this process).
    expected_settings = healthy_copy.with_(data_dir=tmp_path / "expected")
    copy_index(healthy_copy.data_dir, expected_settings.data_dir)
    Ingestor(expected_settings, embeddings=embeddings).ingest_paths([changed_dir])
    expected = take_snapshot(expected_settings)

    before = committed_reports(healthy_copy.catalog_path)
    child = start_ingest(healthy_copy, [changed_dir], "killed")
    with child:
        wait_for(
            lambda: committed_reports(healthy_copy.catalog_path) != before or not child.running(),
            INGEST_TIMEOUT,
            "the first replaced report",
        )
        with catalog_write_lock(healthy_copy.catalog_path):
            child.wait_until_idle()
            assert child.running(), child.output()
            child.kill()

    after_kill = snapshot_in_subprocess(healthy_copy)
    assert not after_kill.committed_problems()
    assert len(after_kill.reports) == REPORT_COUNT, "a report being replaced must stay searchable"

    code, result, err = run_ingest(healthy_copy, [changed_dir], "rerun")
    assert code == 0, err
    assert_equal_to(expected, snapshot_in_subprocess(healthy_copy))


# -- the disk fails -----------------------------------------------------------------------


def new_report(folder: Path) -> Path:
    """A report the clean index does not hold (another year of the seed report)."""
    text = (
        SEED_REPORT.read_text(encoding="utf-8").replace("2012", "2013").replace("平成24", "平成25")
    )
    path = folder / "tsu_2013_europe_followup.txt"
    path.write_text(text + "\n■追記\n平成25年、パリ地域との協議を続けました。\n", encoding="utf-8")
    return path


def limit_file_size(max_bytes: int):
    """For preexec_fn: writes past ``max_bytes`` fail with EFBIG, for root too (a full disk)."""

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))

    return apply


def test_a_disk_that_refuses_writes_fails_clearly_and_keeps_the_index(
    tmp_path, healthy_copy, clean_index, reports_dir
):
    extra_dir = tmp_path / "new"
    extra_dir.mkdir()
    new_report(extra_dir)
    # Far below every database file's size, so the first page written past it fails as on a
    # full disk. A limit at the largest file's size fails only if a file grows, and SQLite's
    # free pages can absorb a small report without growing.
    code, result, err = run_ingest(
        healthy_copy, [extra_dir], "disk-full", preexec=limit_file_size(64 * 1024)
    )
    assert code != 0
    assert "Traceback" not in err, err
    message = (result and result["files"][0]["message"]) or err
    assert str(healthy_copy.data_dir) in message and "空き容量" in message, message

    after_failure = snapshot_in_subprocess(healthy_copy)
    assert not after_failure.committed_problems()
    assert after_failure.keyword == clean_index.keyword, "the previous index must be intact"
    assert after_failure.reports.keys() == clean_index.reports.keys()

    code, result, err = run_ingest(healthy_copy, [reports_dir, extra_dir], "healthy")
    assert code == 0, err
    assert outcomes(result)["tsu_2013_europe_followup.txt"] == "added"
    healed = snapshot_in_subprocess(healthy_copy)
    assert not healed.at_rest_problems()
    assert set(clean_index.chroma) < set(healed.chroma)


def test_a_data_dir_that_cannot_be_created_is_a_clear_error(tmp_path, model_dir, reports_dir):
    blocker = tmp_path / "not_a_directory"
    blocker.write_text("a file where the data dir should be", encoding="utf-8")
    settings = Settings(data_dir=blocker / "data", model_dir=model_dir)

    code, _, err = run_ingest(settings, [reports_dir], "no-dir", log_dir=tmp_path / "logs")
    assert code != 0
    assert "Traceback" not in err, err
    assert str(blocker / "data") in err


# -- two ingests at once --------------------------------------------------------------------


def test_a_second_ingest_waits_or_is_refused_and_nothing_is_corrupted(
    settings_here, reports_dir, clean_index
):
    first = start_ingest(settings_here, [reports_dir], "first")
    with first:
        wait_for(
            lambda: ingest_running(settings_here),
            INGEST_TIMEOUT,
            "the first ingest's lock",
        )
        waiting = start_ingest(settings_here, [reports_dir], "waiting")
        with waiting:
            code, result, err = run_ingest(
                settings_here, [reports_dir], "impatient", REPORTS_LOCK_TIMEOUT="1"
            )
            assert first.running(), "the refusal must happen while the first ingest runs"
            assert code != 0 and result is None
            assert "別の取り込み処理が実行中です" in err

            assert first.wait(INGEST_TIMEOUT) == 0, first.output()
            assert waiting.wait(INGEST_TIMEOUT) == 0, waiting.output()
            waited = json.loads(waiting.stdout())
    assert set(outcomes(waited).values()) == {"unchanged"}, (
        "the waiting run must see the first run's work"
    )
    assert_equal_to(clean_index, snapshot_in_subprocess(settings_here))


# -- a damaged catalog ----------------------------------------------------------------------


@pytest.mark.parametrize("damage", ["garbage", "truncated", "torn_pages", "deleted"])
def test_a_damaged_catalog_is_rebuilt_from_chroma_and_the_user_is_told(
    healthy_copy, reports_dir, clean_index, damage
):
    corrupt_catalog(healthy_copy.catalog_path, damage)

    code, result, err = run_ingest(healthy_copy, [reports_dir], "repair")
    assert code == 0, err
    assert "キーワード索引を Chroma から再構築しました" in err, err
    assert set(outcomes(result).values()) <= {"unchanged", "updated"}, "nothing may be re-added"
    assert_equal_to(clean_index, snapshot_in_subprocess(healthy_copy))


@pytest.mark.parametrize("table", ["kw_chunks", "upsertion_record", "reports"])
def test_a_lost_table_in_the_catalog_is_restored(healthy_copy, reports_dir, clean_index, table):
    drop_table(healthy_copy.catalog_path, table)

    code, result, err = run_ingest(healthy_copy, [reports_dir], "repair")
    assert code == 0, err
    assert_equal_to(clean_index, snapshot_in_subprocess(healthy_copy))
