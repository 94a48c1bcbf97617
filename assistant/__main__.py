"""``python -m assistant ask|evaluate|train-reader``."""

from __future__ import annotations

import argparse
import json
import sys

from ingest.settings import Settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m assistant", description="Ask the reports, or evaluate the assistant."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    ask = commands.add_parser("ask", help="answer one question with citations")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print the answer as JSON")

    from assistant.evaluation import cli as evaluation_cli

    evaluate = commands.add_parser("evaluate", help="run a question set and report metrics")
    evaluation_cli.add_arguments(evaluate)

    from assistant.reader import training

    train = commands.add_parser(
        "train-reader",
        help="fit the reader's models on the development questions (reports held apart)",
    )
    training.add_arguments(train)
    return parser


def run_ask(args: argparse.Namespace) -> int:
    from assistant.service import Assistant
    from ingest.pipeline import Ingestor, ensure_corpus_indexed

    assistant = Assistant(Settings.from_env())
    ensure_corpus_indexed(
        Ingestor(assistant.settings, embeddings=assistant.embeddings),
        say=lambda line: print(line, file=sys.stderr),
    )
    answer = assistant.ask(args.question)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(answer.answer)
        for citation in answer.citations:
            where = " / ".join(p for p in (citation.title, citation.section) if p)
            print(f"[{citation.marker}] {citation.source}  {where}")
        if answer.notice:
            print(f"({answer.notice})", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "ask":
        return run_ask(args)
    if args.command == "evaluate":
        from assistant.evaluation import cli as evaluation_cli

        return evaluation_cli.run(args)
    from assistant.reader import training

    return training.run(args)


if __name__ == "__main__":
    sys.exit(main())
