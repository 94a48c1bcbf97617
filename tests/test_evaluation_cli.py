"""``python -m assistant evaluate`` end to end, on a small question file (the full sets run in
tests/test_eval_gate.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from assistant.__main__ import main

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "corpus" / "tsu_2012_europe_economic_agreements.txt"


def small_question_file(tmp_path: Path, count: int = 6) -> Path:
    """The first answerable and unanswerable questions of the seed report's set."""
    lines = (REPO / "corpus" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines if line.strip()]
    answerable = [r for r in records if not r.get("unanswerable")][: count - 2]
    unanswerable = [r for r in records if r.get("unanswerable")][:2]
    path = tmp_path / "small.jsonl"
    path.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in answerable + unanswerable) + "\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def fresh_environment(tmp_path, monkeypatch, model_dir):
    """An empty data directory and a corpus holding only the seed report."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEED, corpus / SEED.name)
    monkeypatch.setenv("REPORTS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("REPORTS_CORPUS_DIR", str(corpus))
    monkeypatch.setenv("REPORTS_MODEL_DIR", str(model_dir))
    monkeypatch.delenv("REPORTS_CHROMA_URL", raising=False)
    monkeypatch.delenv("REPORTS_LLM_URL", raising=False)
    return tmp_path


def test_empty_index_is_ingested_first_and_json_holds_everything(fresh_environment, capsys):
    questions = small_question_file(fresh_environment)
    out = fresh_environment / "out"
    code = main(["evaluate", str(questions), "--json", "--out", str(out), "--baseline"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "index is empty" in captured.err
    payload = json.loads(captured.out)  # exactly one JSON object: progress went to stderr
    assert set(payload) == {"overall", "by_type", "questions", "baseline", "ratios"}
    assert payload["overall"]["n"] == 6 and len(payload["questions"]) == 6
    assert 0.0 <= payload["baseline"]["recall@5"] <= 1.0
    assert set(payload["ratios"]) >= {"recall@1", "recall@3", "recall@5", "mrr"}
    assert sorted(p.name for p in out.iterdir()) == ["report.md", "report.png", "results.jsonl"]


def test_table_output_on_the_same_index_does_not_ingest_again(fresh_environment, capsys):
    questions = small_question_file(fresh_environment)
    assert main(["evaluate", str(questions), "--json"]) == 0
    capsys.readouterr()
    assert main(["evaluate", str(questions), "--k", "3"]) == 0
    captured = capsys.readouterr()
    assert "index is empty" not in captured.err
    assert "answer_accuracy" in captured.out and "top k = 3" in captured.out


def test_a_report_that_cannot_be_ingested_stops_the_evaluation(fresh_environment, capsys):
    questions = small_question_file(fresh_environment)
    missing = fresh_environment / "no-such-report.txt"
    assert main(["evaluate", str(questions), "--reports", str(missing)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "no-such-report.txt" in captured.err and "could not be ingested" in captured.err


def test_an_empty_corpus_is_an_error_not_a_report_of_zeros(fresh_environment, capsys):
    questions = small_question_file(fresh_environment)
    (fresh_environment / "corpus" / SEED.name).unlink()
    assert main(["evaluate", str(questions)]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "no reports found" in captured.err


def test_ctrl_c_stops_with_a_japanese_line_and_keeps_the_finished_results(
    fresh_environment, tmp_path, model_dir
):
    """SIGINT to a real ``python -m assistant evaluate``: it says how many questions were
    done, writes their results and report marked incomplete, and shows no traceback."""
    import re
    import signal

    from tests.support.processes import cli_env, start_cli, wait_for

    records = [
        json.loads(line)
        for line in (REPO / "corpus" / "questions.jsonl").read_text("utf-8").split("\n")
        if line.strip()
    ]
    many = tmp_path / "many.jsonl"  # far more than can finish before the signal
    many.write_text(
        "".join(
            json.dumps({**r, "id": f"{r['id']}-{n}"}, ensure_ascii=False) + "\n"
            for n in range(20)
            for r in records
        ),
        encoding="utf-8",
    )
    total = 20 * len(records)
    out = tmp_path / "out"
    env = cli_env(
        REPORTS_DATA_DIR=str(fresh_environment / "data"),
        REPORTS_CORPUS_DIR=str(fresh_environment / "corpus"),
        REPORTS_MODEL_DIR=str(model_dir),
    )
    child = start_cli(
        ["assistant", "evaluate", str(many), "--out", str(out)], env, tmp_path / "logs", "eval"
    )
    with child:
        wait_for(lambda: "[3/" in child.stderr() or not child.running(), 600, "three answers")
        assert child.running(), child.output()
        child.signal_group(signal.SIGINT)  # what Ctrl-C in the terminal sends
        code = child.wait(120)
    err = child.stderr()
    assert code == 130, child.output()
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    said = re.search(r"評価を中断しました（Ctrl-C）。全 (\d+) 問のうち (\d+) 問を終えました。", err)
    assert said, err
    done = int(said.group(2))
    assert int(said.group(1)) == total and 3 <= done < total
    assert str(out) in err
    lines = (out / "results.jsonl").read_text(encoding="utf-8").split("\n")[:-1]
    results = [json.loads(line) for line in lines]
    assert len(results) == done and all(r["incomplete"] for r in results)
    report = (out / "report.md").read_text(encoding="utf-8")
    assert (
        report.startswith("> **未完了: ") and f"全 {total} 問のうち、終わった {done} 問" in report
    )
    assert (out / "report.png").stat().st_size > 0
    assert "未完了" in child.stdout()
