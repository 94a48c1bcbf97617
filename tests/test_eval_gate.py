"""Regression gate: the real assistant over the real question sets must not get worse.

The index holds corpus/ plus the confusable fixture reports (conftest's session index). The
thresholds in tests/eval_thresholds.json are the figures measured when they were set, rounded
down slightly; raise them when the assistant improves, never lower them to make a change pass.
The full report (report.md, report.png, results.jsonl) is written to
test-artifacts/evaluation/ for a person to read when this fails.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.evaluation.questions import load_questions
from assistant.evaluation.report import format_table, write_report
from assistant.evaluation.runner import evaluate

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
QUESTION_SETS = (
    REPO / "corpus" / "questions.jsonl",
    REPO / "tests" / "fixtures" / "questions.jsonl",
)
THRESHOLDS = json.loads((REPO / "tests" / "eval_thresholds.json").read_text(encoding="utf-8"))
ARTIFACTS = REPO / "test-artifacts" / "evaluation"


@pytest.fixture(scope="module")
def result(evaluation_assistant):
    questions = load_questions(QUESTION_SETS)
    outcome = evaluate(evaluation_assistant, questions, k=5)
    write_report(outcome, ARTIFACTS)
    print("\n" + format_table(outcome))
    return outcome


def below_thresholds(overall: dict) -> list[str]:
    problems = []
    for name, floor in THRESHOLDS["min"].items():
        value = overall.get(name)
        if value is None or value < floor:
            problems.append(f"{name} = {value} is below the threshold {floor}")
    for name, ceiling in THRESHOLDS["max"].items():
        value = overall.get(name)
        if value is None or value > ceiling:
            problems.append(f"{name} = {value} is above the threshold {ceiling}")
    return problems


def test_every_question_of_both_sets_was_asked(result):
    assert result.overall["n"] == len(load_questions(QUESTION_SETS))
    assert result.overall["n_unanswerable"] > 0 and result.overall["n_with_evidence"] > 0


def test_metrics_stay_at_or_above_the_recorded_thresholds(result):
    problems = below_thresholds(result.overall)
    assert not problems, (
        "\n".join(problems)
        + f"\n\nSee {ARTIFACTS / 'report.md'} for every failure.\n\n"
        + format_table(result)
    )


def test_every_citation_quotes_its_stored_chunk(result):
    bad = [
        (r.id, c["text"]) for r in result.questions for c in r.citation_details if not c["valid"]
    ]
    assert not bad, bad
