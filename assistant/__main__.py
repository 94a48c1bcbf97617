"""``python -m assistant ask|evaluate|train-reader|feedback-export``."""

from __future__ import annotations

import argparse
import json
import sys

from ingest.settings import Settings


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; with ``command``, only that command's arguments are defined,
    so ``ask`` does not import the evaluation's or the training's modules (a cold ``ask``
    is measured in bench/cold_ask.py)."""
    parser = argparse.ArgumentParser(
        prog="python -m assistant", description="Ask the reports, or evaluate the assistant."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def wanted(name: str) -> bool:
        return command is None or command == name

    ask = commands.add_parser("ask", help="answer one question with citations")
    if wanted("ask"):
        ask.add_argument("question")
        ask.add_argument("--json", action="store_true", help="print the answer as JSON")

    evaluate = commands.add_parser("evaluate", help="run a question set and report metrics")
    if wanted("evaluate"):
        from assistant.evaluation import cli as evaluation_cli

        evaluation_cli.add_arguments(evaluate)

    train = commands.add_parser(
        "train-reader",
        help="fit the reader's models on the development questions (reports held apart)",
    )
    if wanted("train-reader"):
        from assistant.reader import training

        training.add_arguments(train)

    export = commands.add_parser(
        "feedback-export",
        help="write the web chat's corrected answers (👎 with a correction) as a question set",
    )
    if wanted("feedback-export"):
        from assistant import feedback

        feedback.add_arguments(export)
    return parser


QUERY_EXPORT_NOTICE = (
    "質問用の埋め込みモデル（int8 ONNX）を一度だけ作成しています（1分ほどかかります）。"
    "python -m ingest が作成済みなら、この待ち時間はありません。"
)


def run_ask(args: argparse.Namespace) -> int:
    from assistant import Assistant, index_state

    settings = Settings.from_env()
    # Only `python -m ingest` (or the web app's first start) fills the index: an ask that
    # did would add corpus/ to an index the user is filling with other reports.
    problem, notice = index_state(settings)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 3
    if notice:
        print(notice, file=sys.stderr)
    from ingest.embeddings import query_export_pending

    if query_export_pending(settings):
        print(QUERY_EXPORT_NOTICE, file=sys.stderr)
    answer = Assistant(settings).ask(args.question)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
    else:
        from assistant.plain_text import answer_text

        print(answer_text(answer))
        if answer.notice:
            print(f"({answer.notice})", file=sys.stderr)
    return 0


ASK_FLAGS = ("--json", "-h", "--help")


def question_last(argv: list[str]) -> list[str]:
    """``ask`` arguments with ``--`` before the question, so a question starting with ``-``
    (「-5度の日は？」) is read as the question, not as an unknown option."""
    if not argv or argv[0] != "ask" or "--" in argv:
        return argv
    rest = argv[1:]
    return [
        "ask",
        *[a for a in rest if a in ASK_FLAGS],
        "--",
        *[a for a in rest if a not in ASK_FLAGS],
    ]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    command = argv[0] if argv and not argv[0].startswith("-") else None
    args = build_parser(command).parse_args(question_last(list(argv)))
    if args.command == "ask":
        return run_ask(args)
    if args.command == "evaluate":
        from assistant.evaluation import cli as evaluation_cli

        return evaluation_cli.run(args)
    if args.command == "feedback-export":
        from assistant import feedback

        return feedback.run(args)
    from assistant.reader import training

    return training.run(args)


if __name__ == "__main__":
    sys.exit(main())
