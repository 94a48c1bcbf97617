"""``python -m ingest [PATH ...] [--prune] [--json]``: index reports into Chroma."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections import Counter
from pathlib import Path

from ingest.pipeline import IngestBusy, Ingestor
from ingest.records import FileOutcome, Outcome
from ingest.settings import Settings
from ingest.store import WRITE_ERRORS, StoreUnavailable, describe_write_error

LABELS = {
    Outcome.ADDED: "追加",
    Outcome.UPDATED: "更新",
    Outcome.UNCHANGED: "変更なし",
    Outcome.FAILED: "失敗",
    Outcome.REMOVED: "削除",
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m ingest",
        description="Load, repair, chunk and index reports (default: corpus/).",
    )
    parser.add_argument("paths", nargs="*", type=Path, help="report files or directories")
    parser.add_argument("--prune", action="store_true", help="remove reports whose file is gone")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    return parser.parse_args(argv)


def progress_bar():
    """A tqdm bar on a terminal, nothing otherwise (logs and pipes stay clean)."""
    if not sys.stderr.isatty():
        return None, lambda: None
    from tqdm import tqdm

    bar = tqdm(total=0, unit="file", file=sys.stderr, leave=False)

    def update(done: int, total: int, source: str) -> None:
        bar.total = total
        bar.n = done
        bar.set_description(source[:40])
        bar.refresh()

    return update, bar.close


def printable(text: str) -> str:
    """``text`` safe for one output line: a newline, control character or undecodable byte
    of a file name is shown escaped (``\\n``, ``\\udce9``), never printed raw."""
    return "".join(ch if ch.isprintable() or ch == " " else repr(ch)[1:-1] for ch in text)


def format_line(outcome: FileOutcome) -> str:
    label = f"{outcome.outcome.value:<9} {LABELS[outcome.outcome]}"
    detail = f"{outcome.chunks} chunks" if outcome.outcome != Outcome.FAILED else outcome.message
    if outcome.outcome == Outcome.UNCHANGED and "重複" in outcome.message:
        detail = outcome.message
    return printable(f"{label}  {outcome.source}  {detail}")


def json_safe(outcome: FileOutcome) -> dict:
    """JSON escapes newlines itself, but a file name's undecodable bytes (lone surrogates)
    cannot be written as UTF-8: they are escaped as in the text output."""
    return {
        k: v.encode("utf-8", "backslashreplace").decode("utf-8") if isinstance(v, str) else v
        for k, v in outcome.to_dict().items()
    }


def totals(outcomes: list[FileOutcome]) -> dict[str, int]:
    counts = Counter(o.outcome.value for o in outcomes)
    return {o.value: counts.get(o.value, 0) for o in Outcome}


QUERY_EXPORT_NOTICE = (
    "質問用の埋め込みモデル（int8 ONNX）を作成しています（モデルごとに一度だけ、1分ほど）…"
)


def prepare_question_encoder(settings: Settings) -> None:
    """Build the int8 export that embeds questions (REPORTS_QUERY_BACKEND=onnx) if it is
    missing, so the first ``python -m assistant ask`` does not pay it; torch is loaded here
    anyway for the documents."""
    from ingest.embeddings import prepare_query_embeddings, query_export_pending

    if query_export_pending(settings):
        print(QUERY_EXPORT_NOTICE, file=sys.stderr)
        prepare_query_embeddings(settings)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logging.getLogger("ingest.ocr").setLevel(logging.INFO)  # OCR progress, one line a page
    settings = Settings.from_env()
    update, close = progress_bar()
    try:
        outcomes = Ingestor(settings).ingest_paths(
            args.paths or None, prune=args.prune, progress=update
        )
    except (IngestBusy, StoreUnavailable) as exc:
        close()
        print(f"error: {exc}", file=sys.stderr)
        return 3
    except WRITE_ERRORS as exc:  # the data dir itself is unusable (before any file)
        close()
        print(f"error: {describe_write_error(settings, exc)}", file=sys.stderr)
        return 3
    finally:
        close()
    prepare_question_encoder(settings)
    summary = totals(outcomes)
    if args.json:
        print(
            json.dumps(
                {"files": [json_safe(o) for o in outcomes], "totals": summary},
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        for outcome in outcomes:
            print(format_line(outcome))
        print("total: " + ", ".join(f"{k} {v}" for k, v in summary.items() if v or k != "removed"))
    return 1 if summary["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
