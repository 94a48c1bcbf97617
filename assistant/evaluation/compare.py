"""The extractive path and every LLM mode on one question set, side by side.

``python -m assistant evaluate QUESTIONS.jsonl --compare`` (with ``REPORTS_LLM_URL`` set):
how a user picks ``REPORTS_LLM_MODE`` for their model. Each mode answers every question; the
model is asked once per distinct prompt (generate and combined send the same one, so they
share the generation, and its time is counted for both). The best mode is the one of
highest utility: a right answer or a right abstention earns 1, a wrong answer costs
``WRONG_ANSWER_COST`` (as in the reader's training), a false abstention nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from assistant.evaluation.metrics import EvaluationResult, percentile
from assistant.evaluation.questions import Question
from assistant.evaluation.runner import evaluate
from assistant.reader.training import WRONG_ANSWER_COST

EXTRACTIVE = "extractive"
COLUMNS = (
    "answer_accuracy",
    "wrong_answer_rate",
    "abstention_accuracy",
    "false_abstention_rate",
    "citation_validity",
    "llm_rejection_rate",
    "latency_ms_p50",
    "first_token_ms_p50",
    "utility",
)


@dataclass
class ModeResult:
    mode: str
    result: EvaluationResult

    @property
    def figures(self) -> dict:
        overall = self.result.overall
        figures = {name: overall.get(name) for name in COLUMNS}
        figures["utility"] = utility(self.result)
        latencies = [
            q.latency_ms + q.timings_ms.get("llm_cached_ms", 0.0) for q in self.result.questions
        ]
        figures["latency_ms_p50"] = percentile(latencies, 50)
        first = [
            q.timings_ms["llm_first_token"]
            for q in self.result.questions
            if "llm_first_token" in q.timings_ms
        ]
        figures["first_token_ms_p50"] = percentile(first, 50)
        return figures


def utility(result: EvaluationResult) -> float:
    """Per question: +1 right answer or right abstention, -WRONG_ANSWER_COST a wrong answer
    (an answer to an unanswerable question included), 0 a false abstention."""
    total = 0.0
    for q in result.questions:
        if q.unanswerable:
            total += 1.0 if q.abstained else -WRONG_ANSWER_COST
        elif not q.abstained:
            total += 1.0 if q.answer_correct else -WRONG_ANSWER_COST
    return round(total / len(result.questions), 4) if result.questions else 0.0


def assistants_by_mode(settings, embeddings) -> Callable[[str | None], object]:
    """``make(mode)``: an Assistant answering in ``mode`` (None: extractive, no LLM), all
    sharing one embedding model and one memo of generations, so a prompt two modes send
    alike reaches the server once."""
    from assistant import Assistant

    memo: dict = {}

    def make(mode: str | None):
        if mode is None:
            return Assistant(settings.with_(llm_url=None), embeddings=embeddings)
        made = Assistant(settings.with_(llm_mode=mode), embeddings=embeddings)
        made.llm.memo = memo
        return made

    return make


def compare_modes(
    make_assistant: Callable[[str | None], object],
    questions: Sequence[Question],
    modes: Sequence[str],
    *,
    k: int = 5,
    progress=None,
) -> list[ModeResult]:
    """``make_assistant(mode)`` gives an assistant answering in ``mode`` (None: extractive)."""
    results = [
        ModeResult(EXTRACTIVE, evaluate(make_assistant(None), questions, k=k, progress=progress))
    ]
    for mode in modes:
        results.append(
            ModeResult(mode, evaluate(make_assistant(mode), questions, k=k, progress=progress))
        )
    return results


def best(results: Sequence[ModeResult]) -> ModeResult:
    return max(results, key=lambda r: r.figures["utility"])


def format_comparison(results: Sequence[ModeResult]) -> str:
    header = ["mode", *COLUMNS]
    rows = [header]
    for r in results:
        rows.append([r.mode, *(_cell(name, r.figures[name]) for name in COLUMNS)])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.append(
        f"best: {best(results).mode} (highest utility; a wrong answer costs {WRONG_ANSWER_COST:g})"
    )
    return "\n".join(lines)


def _cell(name: str, value) -> str:
    if value is None:
        return "-"
    if "ms" in name:
        return f"{value:.0f}"
    return f"{value:.3f}"
