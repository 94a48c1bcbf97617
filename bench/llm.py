"""What does the LLM path cost, and does it keep answers right? From one run, against the
extractive path measured in the same run.

    python bench/llm.py [--questions 6] [--llm-url URL] [--evaluate [--out DIR]]

Latency: over a handful of corpus questions, time to first token and total time of the LLM
path vs the extractive path (whose whole answer is its first token), with ratios. Without
``--llm-url`` the bench starts the llama.cpp test server (``make test-llm`` prepares it).

``--evaluate`` also runs the whole question set through both paths and prints the figures
that decide whether the LLM path may be offered: answer accuracy (must not fall below the
extractive one), citation validity (must stay 1.0), who answered and how often a generated
answer was rejected by the grounding check. It then lists the questions the two paths
scored differently; ``--out DIR`` also writes each path's per-question records
(``extractive.jsonl``, ``llm.jsonl``, the lines of ``evaluate --out``'s results.jsonl).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach a model hub from a bench
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("REPORTS_MODEL_DIR", str(REPO / ".cache" / "models"))

from assistant.evaluation.questions import Question, load_questions  # noqa: E402
from assistant.records import Answer  # noqa: E402
from assistant.service import Assistant  # noqa: E402
from ingest.embeddings import load_embeddings  # noqa: E402
from ingest.pipeline import Ingestor  # noqa: E402
from ingest.settings import Settings  # noqa: E402
from scripts.setup_test_llm import LlamaServer  # noqa: E402

EVALUATION_FIGURES = (
    "answer_accuracy",
    "false_abstention_rate",
    "abstention_accuracy",
    "citation_validity",
    "cited_evidence_rate",
    "latency_ms_p50",
    "llm_rejection_rate",
    "llm_fallback_rate",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=6, help="questions timed (default 6)")
    parser.add_argument(
        "--llm-url", help="an OpenAI-compatible server (default: start the test server)"
    )
    parser.add_argument(
        "--evaluate", action="store_true", help="also evaluate the whole question set"
    )
    parser.add_argument(
        "--out", type=Path, help="with --evaluate: write both paths' per-question records here"
    )
    args = parser.parse_args()

    base = Settings.from_env()
    questions = load_questions([REPO / "corpus" / "questions.jsonl"])
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-llm-")))
        settings = base.with_(
            data_dir=tmp / "data", model_dir=base.cache_dir.resolve(), chroma_url=None
        )
        embeddings = load_embeddings(settings)
        failed = [
            o
            for o in Ingestor(settings, embeddings=embeddings).ingest_paths([REPO / "corpus"])
            if o.outcome == "failed"
        ]
        if failed:
            sys.exit(f"could not ingest the corpus: {failed}")
        llm_url = args.llm_url or stack.enter_context(LlamaServer()).url
        extractive = Assistant(settings, embeddings=embeddings)
        generative = Assistant(settings.with_(llm_url=llm_url), embeddings=embeddings)

        timed = pick_questions(questions, args.questions)
        print(f"server: {llm_url}  model: {settings.llm_model or '(server default)'}")
        print_latency_table(timed, extractive, generative)
        if args.evaluate:
            print_evaluation(questions, extractive, generative, out_dir=args.out)


def pick_questions(questions: list[Question], count: int) -> list[Question]:
    """The first questions of each type in file order (answerable first), so the handful
    timed covers dates, counts, names and an unanswerable one."""
    by_type: dict[str, list[Question]] = {}
    for question in questions:
        key = "unanswerable" if question.unanswerable else question.type
        by_type.setdefault(key, []).append(question)
    picked: list[Question] = []
    while len(picked) < count and any(by_type.values()):
        for group in by_type.values():
            if group and len(picked) < count:
                picked.append(group.pop(0))
    return picked


def timed_ask(assistant: Assistant, question: str) -> tuple[Answer, float, float]:
    """(answer, ms to first token, total ms). An extractive answer arrives all at once; an LLM
    answer's first token comes after retrieval, the extractive pass and the prompt."""
    started = time.perf_counter()
    answer = assistant.ask(question)
    total = (time.perf_counter() - started) * 1000
    if "llm" not in answer.timings_ms:
        return answer, total, total
    first = total - answer.timings_ms["llm"] + answer.timings_ms["llm_first_token"]
    return answer, first, total


def print_latency_table(
    questions: list[Question], extractive: Assistant, generative: Assistant
) -> None:
    extractive.ask(
        questions[0].question
    )  # load models and warm the server's prompt cache off the clock
    generative.ask(questions[0].question)
    rows = []
    print(
        f"\n{'id':<10}{'extractive ms':>14}{'LLM first ms':>14}{'LLM total ms':>14}  answered_by / notice"
    )
    for question in questions:
        _, _, extractive_ms = timed_ask(extractive, question.question)
        answer, first_ms, total_ms = timed_ask(generative, question.question)
        rows.append((extractive_ms, first_ms, total_ms))
        who = answer.answered_by + (f" ({answer.notice[:24]}…)" if answer.notice else "")
        print(f"{question.id:<10}{extractive_ms:>14.0f}{first_ms:>14.0f}{total_ms:>14.0f}  {who}")
    extractive_p50 = statistics.median(r[0] for r in rows)
    first_p50 = statistics.median(r[1] for r in rows)
    total_p50 = statistics.median(r[2] for r in rows)
    print(f"{'median':<10}{extractive_p50:>14.0f}{first_p50:>14.0f}{total_p50:>14.0f}")
    print(f"LLM time to first token / extractive answer time: {first_p50 / extractive_p50:.1f}x")
    print(f"LLM total time / extractive answer time:          {total_p50 / extractive_p50:.1f}x")


def print_evaluation(
    questions: list[Question],
    extractive: Assistant,
    generative: Assistant,
    out_dir: Path | None = None,
) -> None:
    from assistant.evaluation.report import write_results_jsonl
    from assistant.evaluation.runner import evaluate

    print(f"\nevaluation over {len(questions)} questions")
    evaluations = {}
    for name, assistant in (("extractive", extractive), ("llm", generative)):
        started = time.perf_counter()
        evaluations[name] = evaluate(assistant, questions)
        print(f"  {name}: {time.perf_counter() - started:.0f} s", file=sys.stderr)
        if out_dir is not None:
            out_dir.mkdir(parents=True, exist_ok=True)
            write_results_jsonl(evaluations[name], out_dir / f"{name}.jsonl")
    results = {name: evaluation.overall for name, evaluation in evaluations.items()}
    print(f"{'figure':<24}{'extractive':>12}{'llm path':>12}")
    for figure in EVALUATION_FIGURES:
        row = [results[name].get(figure) for name in ("extractive", "llm")]
        print(f"{figure:<24}" + "".join(f"{_cell(value):>12}" for value in row))
    for name in ("extractive", "llm"):
        counts = ", ".join(f"{k} {v}" for k, v in sorted(results[name]["answered_by"].items()))
        print(f"answered_by ({name}): {counts}")
    print_differences(evaluations["extractive"].questions, evaluations["llm"].questions)


def print_differences(extractive: list, generated: list) -> None:
    """The questions the two paths scored differently, with both answers: where the LLM path
    loses (or wins) accuracy."""
    differing = [
        (e, g) for e, g in zip(extractive, generated, strict=True) if e.outcome != g.outcome
    ]
    print(f"\nscored differently: {len(differing)}")
    for e, g in differing:
        print(f"{e.id}: {e.question}")
        print(f"  extractive  {e.outcome:<22}{_one_line(e.answer)}")
        print(f"  llm path    {g.outcome:<22}[{g.answered_by}] {_one_line(g.answer)}")


def _one_line(text: str, limit: int = 110) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _cell(value) -> str:
    if value is None:
        return "-"
    return f"{value:.0f}" if value > 10 else f"{value:.3f}"


if __name__ == "__main__":
    main()
