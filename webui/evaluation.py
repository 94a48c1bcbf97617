"""The evaluation tab's work: run the question set, write the report files, shape the tables."""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from assistant.evaluation.metrics import EvaluationResult, QuestionResult
from assistant.evaluation.questions import Question, load_questions
from assistant.evaluation.report import LLM_METRICS, OVERALL_METRICS, format_value, write_report
from assistant.evaluation.runner import evaluate

METRIC_LABELS = {
    "n": "質問数",
    "evidence_at_1": "最初に示した記述が答えを含んだ率（回答・該当しそうな記述）",
    "answer_precision": "「回答」として示した答えが正しかった率",
    "answer_coverage": "答えられる質問に「回答」を示した率",
    "likely_precision": "「該当しそうな記述」の最初の記述が答えを含んだ率",
    "none_on_answerable": "答えられる質問に「見つかりません」とした率（低いほど良い）",
    "none_on_unanswerable": "回答不能な質問に「見つかりません」とした率",
    "answer_on_unanswerable": "回答不能な質問に「回答」を示した率（低いほど良い）",
    "statement_exact_match": "短く述べた答えが過不足なく正しかった率",
    "typed_stated_share": "日付・数などを問う質問で答えを短く述べた率",
    "answer_accuracy": "回答の正解率",
    "wrong_answer_rate": "答えられる質問に誤った答えを返した率（低いほど良い）",
    "stated_answer_share": "答えを短く述べた回答の割合（残りは該当文の引用）",
    "answer_stability": "無関係な資料の追加で答えが変わらなかった率",
    "abstention_accuracy": "回答不能な質問で回答を控えた率",
    "false_abstention_rate": "答えられる質問で回答を控えた率（低いほど良い）",
    "recall@1": "検索で根拠が1位に入った率（recall@1）",
    "recall@3": "検索で根拠が3位以内に入った率（recall@3）",
    "recall@5": "検索で根拠が5位以内に入った率（recall@5）",
    "mrr": "根拠の平均逆順位（MRR）",
    "citation_validity": "出典の引用が資料と一致した率",
    "char_f1": "回答と正解の文字単位F1",
    "latency_ms_p50": "応答時間の中央値（ミリ秒）",
    "latency_ms_p95": "応答時間の95パーセンタイル（ミリ秒）",
    "llm_rejection_rate": "LLMの回答を根拠不足で採用しなかった率",
    "llm_fallback_rate": "抜粋による回答に切り替えた率",
}
OUTCOME_LABELS = {
    "correct": "正解",
    "wrong": "誤答",
    "false_abstention": "答えられるのに回答を控えた",
    "abstained_correctly": "正しく回答を控えた",
    "answered_unanswerable": "回答不能な質問に回答した",
}
FAILURE_HEADERS = ["ID", "質問", "期待される答え", "アシスタントの回答", "結果"]
COMPARE_HEADERS = [
    "回答の方式",
    "正解率",
    "誤答率",
    "回答不能で控えた率",
    "答えられるのに控えた率",
    "出典の一致率",
    "LLM回答の不採用率",
    "応答時間の中央値（ミリ秒）",
    "最初の文字までの中央値（ミリ秒）",
    "総合点",
]
MODE_LABELS = {
    "extractive": "抜粋のみ（LLMなし）",
    "verify": "verify（抜粋の答えをLLMが文にする）",
    "generate": "generate（LLMが答える）",
    "combined": "combined（両方を照合）",
}
METRIC_HEADERS = ["指標", "値"]
# The bar chart drawn in the page (the report.png in the downloads keeps ASCII labels: the
# machine writing it may lack a Japanese font, while the browser always has one). Labels stay
# short enough to be drawn whole under the slanted axis; which way is better is the bar's
# colour, named in the legend and the caption.
CHART_METRICS = {
    "evidence_at_1": "最初の記述が正しい",
    "none_on_answerable": "答えあり・見つからず",
    "answer_accuracy": "正解率",
    "wrong_answer_rate": "誤答率",
    "abstention_accuracy": "回答不能で控えた率",
    "false_abstention_rate": "答えられるのに控えた率",
    "recall@1": "根拠が1位",
    "recall@3": "根拠が3位以内",
    "recall@5": "根拠が5位以内",
    "mrr": "平均逆順位",
    "citation_validity": "出典の一致率",
    "char_f1": "文字単位F1",
}
CHART_X, CHART_Y, CHART_COLOR = "指標", "値", "向き"
LOWER_IS_BETTER = {"wrong_answer_rate", "false_abstention_rate", "none_on_answerable"}
HIGHER_BETTER, LOWER_BETTER = "高いほど良い", "低いほど良い"
CHART_COLORS = {HIGHER_BETTER: "#2563eb", LOWER_BETTER: "#dc2626"}  # blue, red
CHART_CAPTION = (
    "結果のグラフ（値は 0〜1。青い棒は 1 に近いほど良く、赤い棒（凡例の「低いほど良い」）は"
    " 0 に近いほど良い）"
)
FAILURE_COLUMN_WIDTHS = ["9%", "25%", "20%", "34%", "12%"]
# progress(done, total) after each question
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class EvaluationView:
    """What the tab shows after a run."""

    summary: str
    metrics: list[list[str]]
    failures: list[list[str]]
    chart: pd.DataFrame
    downloads: list[Path]


def metric_rows(overall: dict) -> list[list[str]]:
    """The overall metrics in reading order, with Japanese names."""
    names = ["n", *OVERALL_METRICS]
    names += [n for n in LLM_METRICS if n in overall]
    return [
        [METRIC_LABELS.get(n, n), format_value(n, overall.get(n))] for n in names if n in overall
    ]


def failure_rows(
    failures: Sequence[QuestionResult], questions: Sequence[Question] = ()
) -> list[list[str]]:
    by_id = {q.id: q for q in questions}
    return [
        [
            r.id,
            r.question,
            by_id[r.id].expected_text() if r.id in by_id else r.expected,
            r.answer,
            OUTCOME_LABELS.get(r.outcome, r.outcome),
        ]
        for r in failures
    ]


def chart_frame(overall: dict) -> pd.DataFrame:
    """The main metrics as bars with Japanese names and which way is better (metrics not
    measured are left out)."""
    rows = [
        (label, float(overall[name]), LOWER_BETTER if name in LOWER_IS_BETTER else HIGHER_BETTER)
        for name, label in CHART_METRICS.items()
        if overall.get(name) is not None
    ]
    return pd.DataFrame(rows, columns=[CHART_X, CHART_Y, CHART_COLOR])


def summary_line(result: EvaluationResult) -> str:
    total = len(result.questions)
    failed = len(result.failures)
    return f"{total} 問を評価しました。期待どおりでなかった質問：{failed} 問。"


def zip_files(paths: Sequence[Path], target: Path) -> Path:
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in paths:
            archive.write(path, arcname=path.name)
    return target


def new_run_dir(root: Path) -> Path:
    """A fresh folder per run, named by time, so earlier downloads stay valid."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    run_dir = root / stamp
    number = 2
    while run_dir.exists():
        run_dir = root / f"{stamp}-{number}"
        number += 1
    run_dir.mkdir(parents=True)
    return run_dir


def comparison_rows(results) -> list[list[str]]:
    """One row per mode of ``assistant.evaluation.compare``, in COMPARE_HEADERS order."""
    from assistant.evaluation import COLUMNS

    return [
        [MODE_LABELS.get(r.mode, r.mode), *(format_value(n, r.figures[n]) for n in COLUMNS)]
        for r in results
    ]


def run_comparison(settings, embeddings, question_files: Sequence[Path], progress=None):
    """The extractive path and every LLM mode on the question files (see
    ``assistant.evaluation.compare``); (rows, the best mode's label)."""
    from assistant import LLM_MODES
    from assistant.evaluation import assistants_by_mode, best, compare_modes

    make = assistants_by_mode(settings, embeddings)
    questions = load_questions(question_files)
    results = compare_modes(
        make,
        questions,
        list(LLM_MODES),
        progress=(lambda done, total, _r: progress(done, total)) if progress else None,
    )
    return comparison_rows(results), MODE_LABELS.get(best(results).mode, best(results).mode)


def run_evaluation(
    assistant,
    question_files: Sequence[Path],
    out_root: Path,
    *,
    chunk_text: Callable[[str], str | None] | None = None,
    progress: Progress | None = None,
) -> EvaluationView:
    """Evaluate the assistant on the question files and write report files for download.

    Raises ``QuestionFileError`` (message names the file and line) for a bad question file.
    """
    questions = load_questions(question_files)
    result = evaluate(
        assistant,
        questions,
        chunk_text=chunk_text,
        progress=(lambda done, total, _result: progress(done, total)) if progress else None,
    )
    run_dir = new_run_dir(out_root)
    written = write_report(result, run_dir)
    files = [written["markdown"], written["results"], written["chart"]]
    archive = zip_files(files, run_dir / "evaluation.zip")
    return EvaluationView(
        summary=summary_line(result),
        metrics=metric_rows(result.overall),
        failures=failure_rows(result.failures, questions),
        chart=chart_frame(result.overall),
        downloads=[archive, *files],
    )
