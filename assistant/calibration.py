"""The abstention thresholds, calibrated on the question sets (answerable and unanswerable).

``python -m assistant calibrate --write`` indexes the corpus and the fixture reports in a
throwaway data directory, asks every question with abstention switched off, and picks the
support threshold that maximises the share of questions handled right: answerable ones
answered correctly above it, unanswerable ones below it. A second threshold is chosen the
same way, above the first, for the answers that are weaker evidence: a question asking for a
date, count, name or place that the reader could answer only by quoting a sentence (it found
no span of the asked kind). The result is written to ``assistant/calibration.json``, which
the assistant reads; ``tests/test_calibration.py`` checks that re-running the calibration
reproduces the committed values.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ingest.settings import Settings

CALIBRATION_FILE = Path(__file__).with_name("calibration.json")
REPO = Path(__file__).resolve().parent.parent
DEFAULT_QUESTIONS = (REPO / "corpus/questions.jsonl", REPO / "tests/fixtures/questions.jsonl")
DEFAULT_REPORTS = (REPO / "corpus", REPO / "tests/fixtures/reports")
# Used only until a calibration has been written (a fresh feature branch, say).
UNCALIBRATED_MIN_SUPPORT = 0.5


@dataclass(frozen=True)
class Observation:
    """One question asked with abstention off: its support score and whether the answer
    was right (answerable) — or that it should have been declined (unanswerable)."""

    support: float
    answerable: bool
    correct: bool
    quoted_for_span: bool = False  # a span was asked for, a sentence was quoted instead


@dataclass(frozen=True)
class Calibration:
    min_support: float
    accuracy: float
    answerable: int
    unanswerable: int
    min_quote_support: float | None = None

    def to_dict(self) -> dict:
        return {
            "min_support": round(self.min_support, 4),
            "min_quote_support": round(self.min_quote_support or self.min_support, 4),
            "accuracy_at_threshold": round(self.accuracy, 4),
            "answerable_questions": self.answerable,
            "unanswerable_questions": self.unanswerable,
            "how": "python -m assistant calibrate --write",
        }


@dataclass(frozen=True)
class Thresholds:
    """What the extractive reader needs to answer (see ``answer_extractively``)."""

    min_support: float
    min_quote_support: float


def load_thresholds(path: Path = CALIBRATION_FILE) -> Thresholds:
    try:
        values = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Thresholds(UNCALIBRATED_MIN_SUPPORT, UNCALIBRATED_MIN_SUPPORT)
    min_support = float(values["min_support"])
    return Thresholds(min_support, float(values.get("min_quote_support", min_support)))


def calibrate_both(observations: Sequence[Observation]) -> Calibration:
    """``min_support`` over every question, then ``min_quote_support`` (never below it) over
    the questions a sentence was quoted for instead of the asked span."""
    overall = choose_threshold(observations)
    quoted = [o for o in observations if o.quoted_for_span and o.support >= overall.min_support]
    quote_cut = choose_threshold(quoted).min_support if quoted else overall.min_support
    quote_cut = max(quote_cut, overall.min_support)
    right = sum(_handled_right(o, overall.min_support, quote_cut) for o in observations)
    return Calibration(
        min_support=overall.min_support,
        accuracy=right / len(observations),
        answerable=overall.answerable,
        unanswerable=overall.unanswerable,
        min_quote_support=quote_cut,
    )


def _handled_right(o: Observation, min_support: float, min_quote_support: float) -> bool:
    needed = min_quote_support if o.quoted_for_span else min_support
    return (o.support >= needed and o.correct) if o.answerable else o.support < needed


def accuracy_with(thresholds: Thresholds, observations: Sequence[Observation]) -> float:
    right = sum(
        _handled_right(o, thresholds.min_support, thresholds.min_quote_support)
        for o in observations
    )
    return right / len(observations)


def choose_threshold(observations: Sequence[Observation]) -> Calibration:
    """The threshold between two observed support values that handles most questions right;
    ties go to the widest margin (the midpoint of the largest gap among the best)."""
    supports = sorted({o.support for o in observations})
    cuts = [supports[0] - 1e-6] + [
        (a + b) / 2 for a, b in zip(supports, supports[1:], strict=False)
    ]
    cuts.append(supports[-1] + 1e-6)
    best: tuple[float, float, float] | None = None  # (accuracy, margin, cut)
    for cut in cuts:
        right = sum(
            (o.support >= cut and o.correct) if o.answerable else (o.support < cut)
            for o in observations
        )
        margin = min((abs(o.support - cut) for o in observations), default=0.0)
        key = (right / len(observations), margin, -cut)
        if best is None or key > best:
            best = key
    accuracy, _margin, negative_cut = best
    return Calibration(
        min_support=-negative_cut,
        accuracy=accuracy,
        answerable=sum(o.answerable for o in observations),
        unanswerable=sum(not o.answerable for o in observations),
    )


def observe(assistant, questions) -> list[Observation]:
    from assistant.evaluation.metrics import is_answer_correct
    from assistant.extractive import SPAN_QUESTION_TYPES

    # Answer everything: the thresholds are what we are choosing.
    assistant.thresholds = Thresholds(0.0, 0.0)
    observations = []
    for question in questions:
        answer = assistant.ask(question.question)
        correct = (not question.unanswerable) and is_answer_correct(question, answer)
        quoted = not answer.stated and answer.question_type in SPAN_QUESTION_TYPES
        observations.append(Observation(answer.support, not question.unanswerable, correct, quoted))
    return observations


def calibrate(
    questions_paths: Sequence[Path] = DEFAULT_QUESTIONS,
    report_paths: Sequence[Path] = DEFAULT_REPORTS,
    settings: Settings | None = None,
) -> Calibration:
    """Index the reports in a throwaway data directory and calibrate on the questions."""
    from assistant.evaluation.questions import load_questions
    from assistant.service import Assistant
    from ingest.pipeline import Ingestor

    base = settings or Settings.from_env()
    with tempfile.TemporaryDirectory(prefix="calibrate-") as tmp:
        settings = base.with_(
            data_dir=Path(tmp), model_dir=base.cache_dir.resolve(), chroma_url=None
        )
        Ingestor(settings).ingest_paths(list(report_paths))
        questions = load_questions(questions_paths)
        return calibrate_both(observe(Assistant(settings), questions))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("questions", nargs="*", type=Path, default=list(DEFAULT_QUESTIONS))
    parser.add_argument("--reports", nargs="+", type=Path, default=list(DEFAULT_REPORTS))
    parser.add_argument("--write", action="store_true", help=f"write {CALIBRATION_FILE.name}")


def run(args: argparse.Namespace) -> int:
    result = calibrate(args.questions, args.reports)
    text = json.dumps(result.to_dict(), ensure_ascii=False, indent=2)
    print(text)
    if args.write:
        CALIBRATION_FILE.write_text(text + "\n", encoding="utf-8")
        print(f"wrote {CALIBRATION_FILE}", file=sys.stderr)
    return 0
