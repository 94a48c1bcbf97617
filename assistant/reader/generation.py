"""Training questions generated from the development reports.

People write a few hundred questions; the reports hold thousands of facts. For every
sentence holding a typed span (a date, a count, a person, a place, an abbreviation), the
span is replaced by the matching interrogative (いつ, 何社, 誰, どこ, いくら...) and the
clause around it kept, some words swapped for a synonym from the vocabulary:

    「平成24年11月20日、津市とパリ地域経済開発局…との間で…協力協定を締結し」
    -> 「いつ、津市とパリ地域経済開発局…との間で…協力協定を結んだか？」

About three in ten are made unanswerable by putting another report's city, partner or body
in them (a near miss: the same kind of fact about a name the report does not mention). The questions are
clumsy, but they teach what the reader needs most: which span of the asked kind sits where
the question's words are. They are weighted below the questions people wrote
(``training.GENERATED_WEIGHT``) and never scored in validation.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from pathlib import Path

from assistant.evaluation.questions import Question
from assistant.reader.candidates import fine_kind
from assistant.reader.question import is_abbreviation, is_entity, is_municipality, key_terms
from assistant.spans import CountSpan, OrganisationSpan, Span, SpanKind, find_spans, normalize
from assistant.vocabulary import VOCABULARY
from ingest.chunking import split_sentences
from ingest.settings import Settings

PER_REPORT = 40
UNANSWERABLE_SHARE = 0.3
_CONTEXT = 40  # characters kept either side of the span
_SEED = 20261202
_KINDS = (SpanKind.DATE, SpanKind.DATE_RANGE, SpanKind.COUNT, SpanKind.PERSON, SpanKind.PLACE,
          SpanKind.ORGANISATION)  # fmt: skip


def interrogative(span: Span) -> str | None:
    """The question word that asks for ``span``: 「７社」 -> 何社, a date -> いつ."""
    kind = fine_kind(span)
    if kind.startswith("date"):
        return "いつからいつまで" if kind == "date_range" else "いつ"
    if isinstance(span, CountSpan):
        if kind == "money":
            return "いくら"
        if kind == "percent":
            return "何%"
        return f"何{span.counter}"
    if kind in ("person", "office_holder"):
        return "誰"
    if kind in ("country", "city", "region", "place"):
        return "どこ"
    return None


def question_from(sentence: str, span: Span, rng: random.Random) -> str | None:
    """The clause around ``span`` with the span replaced by its interrogative."""
    if isinstance(span, OrganisationSpan):
        if not span.abbreviation:
            return None
        return f"{span.abbreviation}の正式名称は何ですか？"
    wh = interrogative(span)
    if wh is None:
        return None
    before = normalize(sentence[max(0, span.start - _CONTEXT) : span.start])
    after = normalize(sentence[span.end : span.end + _CONTEXT])
    before = re.split(r"[。]", before)[-1]
    after = re.split(r"[。]", after)[0]
    after = re.sub(r"[、,]\s*$", "", after)
    text = re.sub(r"\s+", "", f"{before}{wh}{after}")
    return _paraphrase(text, rng) + "か？"


def _paraphrase(text: str, rng: random.Random) -> str:
    """Swap a word for a synonym from the vocabulary, half the time."""
    for group in VOCABULARY.paraphrase_groups:
        for word in group:
            if word in text and rng.random() < 0.5:
                return text.replace(word, rng.choice([w for w in group if w != word]), 1)
    return text


def _is_prose(sentence: str) -> bool:
    """A sentence of running text, not a table row, a heading or a list of figures."""
    return (
        len(sentence) >= 20
        and not re.search(r"[\t│|]", sentence)
        and not sentence.lstrip().startswith(("■", "#", "・", "-", "【"))
        and bool(re.search(r"[。.]\s*$|(?:た|る|す|だ)\s*$", sentence))
    )


def expected_forms(sentence: str, span: Span) -> tuple[str, ...]:
    """What a right answer contains: the span as written (a quoted sentence holds it) and
    as the reader shows it (「2012年（平成24年）11月20日」)."""
    written = re.sub(r"\s+", "", normalize(sentence[span.start : span.end]))
    shown = re.sub(r"\s+", "", span.display())
    return tuple(dict.fromkeys([written, shown]))


def report_questions(source: str, text: str, rng: random.Random) -> list[Question]:
    made: list[Question] = []
    for number, bounds in enumerate(split_sentences(text)):
        sentence = text[bounds.start : bounds.end]
        if not _is_prose(sentence):
            continue
        spans = [s for kind in _KINDS for s in find_spans(sentence, kind)]
        rng.shuffle(spans)
        for span in spans[:2]:
            question = question_from(sentence, span, rng)
            if question is None:
                continue
            made.append(
                Question(
                    id=f"gen-{source}-{number}-{span.start}",
                    question=question,
                    expect_any=expected_forms(sentence, span),
                    source=source,
                    file="generated",
                    paraphrase=True,
                )
            )
    rng.shuffle(made)
    return made[:PER_REPORT]


def name_kind(term: str) -> str | None:
    """The kind of name a term is, for swapping it with another of the same kind: a city
    (津市), an abbreviation (OPI) or another katakana or kanji name (ジュネーブ, 産業振興機構)."""
    if is_municipality(term):
        return "city"
    if is_abbreviation(term):
        return "abbreviation"
    if is_entity(term) and len(term) >= 3:
        return "name"
    return None


def names_in(text: str) -> dict[str, set[str]]:
    names: dict[str, set[str]] = {}
    for term in key_terms(text):
        kind = name_kind(term.text)
        if kind is not None:
            names.setdefault(kind, set()).add(term.text)
    return names


def near_miss(
    question: Question, elsewhere: dict[str, list[str]], rng: random.Random
) -> Question | None:
    """The same question about a name the report does not mention (another report's city,
    partner or body): the reports hold the same kind of fact, but not for that name."""
    own = [t.text for t in key_terms(question.question) if name_kind(t.text)]
    rng.shuffle(own)
    for name in own:
        others = elsewhere.get(name_kind(name), [])
        if others:
            return Question(
                id=question.id + "-nm",
                question=question.question.replace(name, rng.choice(others)),
                source=question.source,
                file="generated",
                unanswerable=True,
            )
    return None


def generate_questions(report_paths: Sequence[Path], settings: Settings) -> list[Question]:
    """Generated questions for every report under ``report_paths`` (as the ingest finds
    them), the same ones on every run."""
    from ingest.loaders import load_report
    from ingest.pipeline import Candidate, discover
    from ingest.repair import repair

    rng = random.Random(_SEED)
    texts: dict[str, str] = {}
    for found in discover(list(report_paths)):
        if not isinstance(found, Candidate):
            continue
        report = repair(
            load_report(
                found.path, source=found.source, max_bytes=int(settings.max_file_mb * 1024 * 1024)
            )
        )
        texts[found.source] = report.text
    names_by_report = {source: names_in(text) for source, text in texts.items()}
    questions: list[Question] = []
    for source, text in sorted(texts.items()):
        elsewhere = {
            kind: sorted(
                {
                    n
                    for other, names in names_by_report.items()
                    if other != source
                    for n in names.get(kind, ())
                }
                - {n for n in names_by_report[source].get(kind, ())}
            )
            for kind in ("city", "abbreviation", "name")
        }
        elsewhere = {kind: [n for n in found if n not in text] for kind, found in elsewhere.items()}
        for question in report_questions(source, text, rng):
            if rng.random() < UNANSWERABLE_SHARE:
                miss = near_miss(question, elsewhere, rng)
                if miss is not None:
                    questions.append(miss)
                    continue
            questions.append(question)
    return questions
