"""Answer stability: a question's answer must not change when reports that have nothing to
do with it are added to the index (or removed from it).

The reader scores every candidate from its own passage only, so reports sharing no name
with a question can add candidates but never move the ones already there; this measures
that it holds end to end (retrieval included). A report is related to a question when it
contains one of the question's names (a city, a partner, an abbreviation:
``assistant.names``); only unrelated additions are expected to leave the answer alone,
since a related report may rightly answer better.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from assistant.evaluation.questions import Question
from assistant.names import names_of
from assistant.records import TIER_ANSWER, TIER_LIKELY, Answer
from assistant.spans import normalize


@dataclass
class StabilityResult:
    compared: int  # questions whose names occur in none of the added reports
    stable: int
    changed: list[dict] = field(default_factory=list)  # id, question, before, after

    @property
    def answer_stability(self) -> float | None:
        return self.stable / self.compared if self.compared else None

    def to_dict(self) -> dict:
        return {
            "answer_stability": self.answer_stability,
            "stability_compared": self.compared,
            "stability_changed": self.changed,
        }


def unrelated(question: str, report_texts: Iterable[str]) -> bool:
    """True when none of the question's names occurs in any of ``report_texts``."""
    texts = [normalize(t) for t in report_texts]
    return not any(name in text for name in names_of(question) for text in texts)


def same_answer(before: Answer, after: Answer) -> bool:
    """The same tier; a sure answer in the same words with the same quoted sentences; a
    hedged one with the same first candidate (what a user reads first)."""
    if before.tier != after.tier:
        return False
    if before.tier == TIER_ANSWER:
        return before.answer == after.answer
    if before.tier == TIER_LIKELY:
        return _first_quote(before) == _first_quote(after)
    return True


def _first_quote(answer: Answer) -> str:
    best = answer.best_quote
    return best.text if best is not None else ""


def compare(
    questions: Sequence[Question],
    before: Mapping[str, Answer],
    after: Mapping[str, Answer],
    added_texts: Sequence[str],
) -> StabilityResult:
    """Compare the answers given before and after reports with ``added_texts`` were added.

    A question that names nothing at all (「現地で商談相手になった企業の数は？」) is about
    whichever report speaks of it: in a larger index another report may rightly offer the
    better candidate, which is what a hedged answer says. Such a question is compared only
    when it got a sure answer either way: a sure answer must never change."""
    result = StabilityResult(0, 0)
    for question in questions:
        if not unrelated(question.question, added_texts):
            continue
        first, second = before[question.id], after[question.id]
        if not names_of(question.question) and TIER_ANSWER not in (first.tier, second.tier):
            continue
        result.compared += 1
        if same_answer(first, second):
            result.stable += 1
        else:
            result.changed.append(
                {
                    "id": question.id,
                    "question": question.question,
                    "before": first.answer,
                    "after": second.answer,
                }
            )
    return result


def answers(assistant, questions: Sequence[Question]) -> dict[str, Answer]:
    return {q.id: assistant.ask(q.question) for q in questions}


def report_texts(paths: Sequence, settings) -> list[str]:
    """The repaired text of every report under ``paths``, as the ingest would read them."""
    from ingest.loaders import load_report
    from ingest.pipeline import Candidate, discover
    from ingest.repair import repair

    texts = []
    for found in discover(list(paths)):
        if isinstance(found, Candidate):
            report = load_report(
                found.path, source=found.source, max_bytes=int(settings.max_file_mb * 2**20)
            )
            texts.append(repair(report).text)
    return texts


def measure(assistant, questions: Sequence[Question], added_paths: Sequence) -> StabilityResult:
    """Ask ``questions`` on the assistant's index, then on a copy of it with the reports
    under ``added_paths`` added, and compare. The assistant's own index is not touched."""
    import shutil
    import tempfile
    from pathlib import Path

    from assistant import Assistant
    from ingest.pipeline import Ingestor

    settings = assistant.settings
    if settings.chroma_url:
        raise ValueError(
            "answer stability is measured on a copy of an embedded index; unset "
            "REPORTS_CHROMA_URL (or evaluate against an embedded copy of the server's data)"
        )
    before = answers(assistant, questions)
    with tempfile.TemporaryDirectory(prefix="stability-") as tmp:
        copy = Path(tmp) / "data"
        shutil.copytree(settings.data_dir, copy, ignore=shutil.ignore_patterns("models", "uploads"))
        wider = Assistant(
            settings.with_(data_dir=copy, model_dir=settings.cache_dir.resolve()),
            embeddings=assistant.embeddings,
            query_embeddings=assistant.query_embeddings,  # the same answers before and after
        )
        outcomes = Ingestor(wider.settings, embeddings=wider.embeddings).ingest_paths(
            list(added_paths)
        )
        failed = [o.message for o in outcomes if o.outcome == "failed"]
        if failed:
            raise ValueError("; ".join(failed))
        after = answers(wider, questions)
        wider.keyword_index.close()
    return compare(questions, before, after, report_texts(added_paths, settings))
