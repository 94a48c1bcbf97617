"""``python -m assistant evaluate [QUESTIONS.jsonl ...] [--json] [--out DIR] [--k 5]
[--baseline] [--reports PATH ...]``.

Exit codes: 0 evaluated; 1 the reports could not be ingested (or there are none); 2 a
question file (or a REPORTS_* setting) is invalid: nothing is evaluated and no partial report
is printed; 130 stopped by Ctrl-C: the questions finished so far are reported (and written
with ``--out``), marked incomplete. Progress goes to stderr, so
``--json`` leaves exactly one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path

from assistant.evaluation.metrics import compare_to_baseline
from assistant.evaluation.questions import Question, QuestionFileError, load_questions
from ingest.settings import Settings

EXIT_OK, EXIT_INGEST_FAILED, EXIT_BAD_INPUT = 0, 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a Ctrl-C


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "questions",
        nargs="*",
        type=Path,
        metavar="QUESTIONS.jsonl",
        help="question files (default: questions.jsonl in the corpus directory)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.add_argument(
        "--out", type=Path, metavar="DIR", help="write results.jsonl, report.md and report.png here"
    )
    parser.add_argument(
        "--k", type=_positive_int, default=5, help="passages counted for recall and MRR (default 5)"
    )
    parser.add_argument(
        "--baseline",
        action="store_true",
        help="also measure the naive LangChain pipeline and print ratios",
    )
    parser.add_argument(
        "--compare",
        action="store_true",
        help="run the extractive path and every LLM mode (REPORTS_LLM_URL must be set) and "
        "print them side by side with the best mode named",
    )
    parser.add_argument(
        "--stability-reports",
        nargs="+",
        type=Path,
        default=[],
        metavar="PATH",
        help="also re-ask the questions with these reports added (on a copy of the index) "
        "and report answer_stability over the questions that name nothing in them",
    )
    parser.add_argument(
        "--reports",
        nargs="+",
        type=Path,
        default=[],
        metavar="PATH",
        help="report files or directories to ingest (with the corpus) first",
    )


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def run(args: argparse.Namespace) -> int:
    from assistant.evaluation.runner import EvaluationInterrupted

    try:
        return _run(args)
    except EvaluationInterrupted as stopped:  # in --compare or the stability re-asking
        _stderr(
            f"評価を中断しました（Ctrl-C）。全 {stopped.total} 問のうち {stopped.done} 問を"
            "終えたところでした。比較・安定性の測定は途中の結果を書き出しません。"
        )
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:  # before or after the questions (loading, ingest, baseline)
        _stderr("評価を中断しました（Ctrl-C）。評価した質問の結果はありません。")
        return EXIT_INTERRUPTED


def _run(args: argparse.Namespace) -> int:
    try:
        settings = Settings.from_env()
    except ValueError as exc:  # a REPORTS_* variable that does not parse
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    paths = args.questions or [settings.corpus_dir / "questions.jsonl"]
    try:
        questions = load_questions(paths)
    except QuestionFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT

    from assistant import Assistant  # models load only once the input is known good

    assistant = Assistant(settings)
    report_paths = [settings.corpus_dir, *args.reports]
    if not _ensure_ingested(assistant, report_paths, always=bool(args.reports)):
        return EXIT_INGEST_FAILED

    if args.compare:
        return _compare(assistant, questions, args)

    from assistant.evaluation.runner import EvaluationInterrupted, evaluate

    try:
        result = evaluate(assistant, questions, k=args.k, progress=_print_progress)
    except EvaluationInterrupted as stopped:
        return _emit_interrupted(stopped, args)
    if args.stability_reports:
        from assistant.evaluation.stability import measure

        _stderr("Re-asking with the stability reports added (on a copy of the index)...")
        try:
            stability = measure(assistant, questions, args.stability_reports)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
        result.overall.update(stability.to_dict())
    baseline = ratios = None
    if args.baseline:
        baseline = _run_baseline(assistant, questions, report_paths, args.k)
        ratios = compare_to_baseline(result.overall, baseline)
    _emit(result, baseline, ratios, args)
    return EXIT_OK


def _ensure_ingested(assistant, report_paths: list[Path], *, always: bool) -> bool:
    """Ingest the reports when the index is empty (or extra reports were named); False when
    any file failed or nothing is indexed, since figures over a partial index would mislead."""
    if not always and assistant.keyword_index.count() > 0:
        return True
    if not always:
        _stderr("The index is empty: ingesting the reports first.")
    from ingest import IngestBusy, Ingestor

    try:
        outcomes = Ingestor(assistant.settings, assistant.embeddings).ingest_paths(report_paths)
    except IngestBusy as exc:
        _stderr(f"error: {exc}")
        return False
    for outcome in outcomes:
        _stderr(f"  {outcome.outcome:<9} {outcome.source}  {outcome.message}")
    failed = [o for o in outcomes if o.outcome == "failed"]
    if failed:
        _stderr(f"error: {len(failed)} report(s) could not be ingested; fix them and run again.")
        return False
    if assistant.keyword_index.count() == 0:
        _stderr(f"error: no reports found in {', '.join(map(str, report_paths))}.")
        return False
    return True


def _compare(assistant, questions: list[Question], args) -> int:
    from assistant import LLM_MODES
    from assistant.evaluation.compare import (
        assistants_by_mode,
        best,
        compare_modes,
        format_comparison,
    )

    if not assistant.settings.llm_enabled:
        print("error: --compare needs an LLM server: set REPORTS_LLM_URL", file=sys.stderr)
        return EXIT_BAD_INPUT
    # the modes answer like `evaluate` and `ask`: with the question encoder
    make = assistants_by_mode(assistant.settings, assistant.query_embeddings)
    results = compare_modes(make, questions, list(LLM_MODES), k=args.k, progress=_print_progress)
    if args.json:
        payload = {
            "comparison": [{"mode": r.mode, **r.figures} for r in results],
            "best": best(results).mode,
            "modes": {r.mode: r.result.overall for r in results},
        }
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        print(format_comparison(results))
    if args.out is not None:
        from assistant.evaluation.report import write_report

        for r in results:
            write_report(r.result, args.out / r.mode)
    return EXIT_OK


def _print_progress(index: int, total: int, result) -> None:
    _stderr(f"[{index}/{total}] {result.id:<10} {result.outcome:<22} {result.latency_ms:6.0f} ms")


def _run_baseline(assistant, questions: list[Question], report_paths: list[Path], k: int) -> dict:
    from assistant.evaluation.baseline import evaluate_baseline, naive_documents

    _stderr("Measuring the naive baseline (LangChain splitter 1000/200, dense-only Chroma)...")
    documents = naive_documents(report_paths, assistant.settings)
    return evaluate_baseline(questions, documents, assistant.embeddings, k=k)


def _emit(result, baseline, ratios, args) -> None:
    from assistant.evaluation.report import format_table, write_report

    if args.out is not None:
        paths = write_report(result, args.out, baseline=baseline, ratios=ratios)
        _stderr("Wrote " + ", ".join(str(p) for p in paths.values()))
    if args.json:
        payload = {
            "overall": result.overall,
            "by_type": result.by_type,
            "questions": [r.to_dict() for r in result.questions],
        }
        if baseline is not None:
            payload |= {"baseline": baseline, "ratios": ratios}
        print(json.dumps(payload, ensure_ascii=False))
    else:
        print(format_table(result, baseline, ratios))


def _emit_interrupted(stopped, args) -> int:
    """Report the questions finished before Ctrl-C, marked incomplete; a second Ctrl-C
    cannot cut the writing short."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    done, total = stopped.done, stopped.total
    said = f"評価を中断しました（Ctrl-C）。全 {total} 問のうち {done} 問を終えました。"
    if stopped.result is None:
        _stderr(said + "書き出す結果はありません。")
        return EXIT_INTERRUPTED
    from assistant.evaluation.report import format_table, incomplete_note, write_report

    result = stopped.result
    if args.out is not None:
        write_report(result, args.out, incomplete=(done, total))
        said += f"終えた分の結果を {args.out} に書き出しました（未完了と明記しています）。"
    if args.json:
        payload = {
            "complete": False,
            "questions_done": done,
            "questions_total": total,
            "overall": result.overall,
            "by_type": result.by_type,
            "questions": [r.to_dict() for r in result.questions],
        }
        print(json.dumps(payload, ensure_ascii=False))
    else:
        print(incomplete_note(done, total))
        print(format_table(result))
    _stderr(said)
    return EXIT_INTERRUPTED


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
