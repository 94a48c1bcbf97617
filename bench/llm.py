"""What does the LLM path cost, and which mode of it answers best? From one run, against the
extractive path measured in the same run.

    python bench/llm.py [--model 0.5b|1.5b] [--llm-url URL] [--time 6]
                        [--compare] [--questions FILE ...] [--out DIR]

Latency (``--time N``): over N questions, time to first token and total time of the LLM
path vs the extractive path (whose whole answer is its first token), with ratios. Without
``--llm-url`` the bench starts a llama.cpp server with the chosen test model
(``scripts/setup_test_llm.py --model 1.5b`` prepares the larger one).

``--compare`` runs the question sets (default: the development corpus questions) through
the extractive path and every ``REPORTS_LLM_MODE`` and prints them side by side
(``assistant.evaluation.compare``), with the load of the machine before and after: answer
accuracy, wrong-answer rate, abstention, citation validity, rejection rate, latency and time
to first token. ``--out DIR`` writes each mode's report.
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
from scripts.setup_test_llm import MODELS, LlamaServer, ensure_model  # noqa: E402

DEFAULT_REPORTS = (
    REPO / "corpus",
    REPO / "tests" / "fixtures" / "reports",
    REPO / "tests" / "fixtures" / "blind" / "reports",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=sorted(MODELS), default="0.5b")
    parser.add_argument("--llm-url", help="an OpenAI-compatible server (default: start one)")
    parser.add_argument("--time", type=int, default=0, help="questions timed (default none)")
    parser.add_argument("--compare", action="store_true", help="every mode, side by side")
    parser.add_argument(
        "--questions", nargs="+", type=Path, default=[REPO / "corpus" / "questions.jsonl"]
    )
    parser.add_argument("--reports", nargs="+", type=Path, default=list(DEFAULT_REPORTS))
    parser.add_argument("--out", type=Path, help="with --compare: write each mode's report here")
    parser.add_argument(
        "--sample", type=int, default=0, help="every k-th question, about this many (0: all)"
    )
    args = parser.parse_args()

    base = Settings.from_env()
    questions = load_questions(args.questions)
    if args.sample and args.sample < len(questions):
        step = len(questions) / args.sample
        questions = [questions[int(i * step)] for i in range(args.sample)]
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-llm-")))
        settings = base.with_(
            data_dir=tmp / "data", model_dir=base.cache_dir.resolve(), chroma_url=None
        )
        embeddings = load_embeddings(settings)
        failed = [
            o
            for o in Ingestor(settings, embeddings=embeddings).ingest_paths(args.reports)
            if o.outcome == "failed"
        ]
        if failed:
            sys.exit(f"could not ingest the reports: {failed}")
        if args.llm_url:
            llm_url = args.llm_url
        else:
            model = ensure_model(spec=MODELS[args.model])
            llm_url = stack.enter_context(LlamaServer(model=model)).url
        settings = settings.with_(llm_url=llm_url)
        print(f"server: {llm_url}  model: {args.model if not args.llm_url else 'given server'}")
        print(f"load before: {_load()}")
        if args.time:
            extractive = Assistant(settings.with_(llm_url=None), embeddings=embeddings)
            generative = Assistant(settings, embeddings=embeddings)
            print_latency_table(pick_questions(questions, args.time), extractive, generative)
        if args.compare:
            compare(settings, embeddings, questions, args.out)
        print(f"load after: {_load()}")


def compare(settings, embeddings, questions, out_dir) -> None:
    from assistant.evaluation.compare import assistants_by_mode, compare_modes, format_comparison
    from assistant.evaluation.report import write_report
    from assistant.llm import LLM_MODES

    make = assistants_by_mode(settings, embeddings)
    started = time.perf_counter()
    results = compare_modes(make, questions, list(LLM_MODES))
    print(f"\n{len(questions)} questions, {time.perf_counter() - started:.0f} s")
    print(format_comparison(results))
    if out_dir is not None:
        for r in results:
            write_report(r.result, out_dir / r.mode)


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} (1/5/15 min, {os.cpu_count()} cores)"


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


if __name__ == "__main__":
    main()
