"""What a person sees after an evaluation: the terminal table, report.md, results.jsonl and
report.png."""

from __future__ import annotations

import json

import numpy as np
import pytest
from matplotlib import colors
from matplotlib import image as mpimg

from assistant.evaluation.chart import draw_chart
from assistant.evaluation.metrics import compare_to_baseline
from assistant.evaluation.questions import Question
from assistant.evaluation.report import OUTCOMES, format_table, write_report
from assistant.evaluation.runner import evaluate
from assistant.records import ABSTENTION, Answer, Passage
from ingest.records import Chunk

EVIDENCE_TEXT = "翌21日には津市とジュネーブ州産業振興機構（OPI）との間で協定を締結しました。"


def passage(text: str, chunk_id: str) -> Passage:
    chunk = Chunk(
        chunk_id=chunk_id,
        text=text,
        source="tsu.txt",
        title="t",
        section="■OPIとの調印",
        start=0,
        end=len(text),
        content_hash="h",
    )
    return Passage(chunk=chunk, score=0.5)


class ScriptedAssistant:
    def __init__(self, answers):
        self.answers = answers

    def ask(self, question, history=()):
        return self.answers[question]


@pytest.fixture
def result():
    """Thirty questions over four types with every kind of outcome."""
    retrieved = [passage("関係のない文です。", "x"), passage(EVIDENCE_TEXT, "e")]
    questions, answers = [], {}
    kinds = ["correct", "wrong", "false_abstention", "abstained_correctly", "answered_unanswerable"]
    for i in range(30):
        kind = kinds[i % 5]
        text = f"質問{i}：OPIと協定を結んだのはいつ？"
        unanswerable = kind in ("abstained_correctly", "answered_unanswerable")
        questions.append(
            Question(
                id=f"tsu-{i:03d}",
                question=text,
                unanswerable=unanswerable,
                expect_any=() if unanswerable else ("11月21日",),
                evidence="" if unanswerable else "ジュネーブ州産業振興機構",
                type="unanswerable" if unanswerable else ["date", "count", "place"][i % 3],
                paraphrase=i % 2 == 1,
            )
        )
        reply = {
            "correct": "11月21日です。",
            "wrong": "11月20日です。",
            "answered_unanswerable": "100万円です。",
        }.get(kind, ABSTENTION)
        answers[text] = Answer(answer=reply, abstained=reply == ABSTENTION, retrieved=retrieved)
    return evaluate(ScriptedAssistant(answers), questions, warm_up=False)


BASELINE = {
    "recall@1": 0.2,
    "recall@3": 0.4,
    "recall@5": 0.5,
    "mrr": 0.3,
    "latency_ms_p50": 20.0,
    "latency_ms_p95": 30.0,
}


def test_terminal_table_lists_metrics_types_failures_and_baseline_ratios(result):
    table = format_table(result, BASELINE, compare_to_baseline(result.overall, BASELINE))
    for name in (
        "answer_accuracy",
        "abstention_accuracy",
        "recall@5",
        "mrr",
        "char_f1",
        "latency_ms_p95",
        "date",
        "count",
        "unanswerable",
        "ratio",
    ):
        assert name in table
    assert "Failures: 18 of 30" in table
    assert "2.00x" in table  # our recall@5 (1.0) against the baseline's 0.5


def test_out_dir_gets_one_result_line_per_question(result, tmp_path):
    paths = write_report(result, tmp_path / "out")
    lines = paths["results"].read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["id"] for r in records] == [q.id for q in result.questions]
    first = records[0]
    assert first["outcome"] == "correct" and first["evidence_rank"] == 2
    assert first["retrieved"][1]["text"] == EVIDENCE_TEXT  # everything recorded, untruncated


def test_markdown_report_shows_every_failure_with_question_answer_expected_and_sources(
    result, tmp_path
):
    report = write_report(result, tmp_path)["markdown"].read_text(encoding="utf-8")
    assert "## Overall" in report and "## By question type" in report
    assert "| paraphrased | 9 |" in report and "| as in the report | 9 |" in report
    assert "## Failures (18 of 30)" in report
    wrong = result.questions[1]
    section = report.split(f"### {wrong.id}: wrong answer", 1)[1].split("###", 1)[0]
    assert wrong.question in section
    assert "11月20日です。" in section  # the answer given
    assert "次のいずれか：11月21日" in section  # what was expected
    assert "tsu.txt / ■OPIとの調印" in section  # where the passages came from
    assert "2. tsu.txt / ■OPIとの調印: 翌21日には" in section
    assert section.count("← holds the evidence") == 1  # the passage that had the answer
    assert "### tsu-000" not in report  # a correct answer is not a failure


def test_chart_is_a_real_picture_with_every_outcome_colour(result, tmp_path):
    path = tmp_path / "report.png"
    draw_chart(result, path, baseline=BASELINE)
    assert path.stat().st_size > 20_000
    pixels = mpimg.imread(path)[..., :3]
    height, width = pixels.shape[:2]
    assert width >= 1000 and height >= 500
    for _, colour in OUTCOMES.values():
        target = np.array(colors.to_rgb(colour))
        share = np.mean(np.all(np.abs(pixels - target) < 0.02, axis=-1))
        assert share > 0.001, f"{colour} missing from the outcome grid"


def test_chart_copes_with_a_single_question_without_evidence(tmp_path):
    question = Question(id="only", question="q", expect_any=("x",))
    single = evaluate(
        ScriptedAssistant({"q": Answer(answer="x", abstained=False)}), [question], warm_up=False
    )
    draw_chart(single, tmp_path / "one.png")
    assert (tmp_path / "one.png").stat().st_size > 10_000


def test_result_lines_stay_whole_with_line_separators_in_questions_and_answers(tmp_path):
    """results.jsonl is read by other tools too: one line per question even when a question,
    its answer and its passages hold U+2028 and its kind (escaped when written)."""
    breakers = "\u2028\u2029\u0085\x0b\x0c\x1c\x1d\x1e"
    text = f"OPIと{breakers}協定"
    questions = [
        Question(id=f"q{breakers}{i}", question=f"{text}{i}？", expect_any=(text,), evidence=text)
        for i in range(3)
    ]
    answers = {
        q.question: Answer(answer=f"{text}です。", abstained=False, retrieved=[passage(text, "e")])
        for q in questions
    }
    result = evaluate(ScriptedAssistant(answers), questions, warm_up=False)
    lines = write_report(result, tmp_path / "out")["results"].read_text(encoding="utf-8")
    records = [json.loads(line) for line in lines.splitlines()]
    assert [r["id"] for r in records] == [q.id for q in questions]
    assert records[0]["answer"] == f"{text}です。"


def test_ctrl_c_mid_run_keeps_the_scored_questions_and_marks_the_report_incomplete(tmp_path):
    from assistant.evaluation.runner import EvaluationInterrupted

    questions = [
        Question(id=f"q{i}", question=f"質問{i}？", expect_any=("11月21日",)) for i in range(5)
    ]

    class StoppedAtTheThird(ScriptedAssistant):
        def ask(self, question, history=()):
            if question == "質問2？":
                raise KeyboardInterrupt
            return Answer(answer="11月21日です。", abstained=False)

    with pytest.raises(EvaluationInterrupted) as stopped:
        evaluate(StoppedAtTheThird({}), questions, warm_up=False)
    assert (stopped.value.done, stopped.value.total) == (2, 5)
    assert [r.id for r in stopped.value.result.questions] == ["q0", "q1"]
    paths = write_report(stopped.value.result, tmp_path / "out", incomplete=(2, 5))
    assert paths["markdown"].read_text("utf-8").startswith("> **未完了: ")
    lines = paths["results"].read_text("utf-8").splitlines()
    assert [json.loads(line)["incomplete"] for line in lines] == [True, True]
