"""One handler per kind of question, registered in one place.

A handler says how to recognise its questions (cue patterns from the vocabulary file), which
candidate kinds can answer them, and how to phrase an answer from a candidate. The reader
never asks ``if kind == ...``: it asks the registry. Which of the candidates a handler
accepts actually answers is for the learned model to judge; the handler's ``expects`` is
one of its features, not a filter.

Adding a kind of question touches this file and the cues in ``vocabulary.toml`` only.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from assistant.reader.candidates import SENTENCE, Candidate
from assistant.spans import DateRangeSpan, DateSpan, EnumerationSpan, OrganisationSpan, QuoteSpan
from assistant.vocabulary import VOCABULARY

if TYPE_CHECKING:  # for annotations only: question.analyse asks this registry for a handler
    from assistant.reader.question import QuestionAnalysis

Phraser = Callable[["QuestionAnalysis", Candidate], str]

DATES = ("date_day", "date_month", "date_year", "date_range")
COUNTS = (
    "count_people",
    "count_companies",
    "count_countries",
    "count_places",
    "count_times",
    "count_items",
    "count_organisations",
    "count_other",
)
PLACES = ("country", "city", "region", "place", "list_places")
ORGANISATIONS = ("organisation_abbreviated", "organisation", "company")


@dataclass(frozen=True)
class Handler:
    name: str
    expects: tuple[str, ...]  # candidate kinds that can answer (SENTENCE: a quoted sentence)
    phrase: Phraser | None = None  # None: the answer quotes sentences
    narrows: Callable[[QuestionAnalysis], tuple[str, ...]] | None = field(default=None)

    def expected_kinds(self, question: QuestionAnalysis) -> tuple[str, ...]:
        """The candidate kinds this question wants, narrowed by what it says (「何社」)."""
        if self.narrows is not None:
            narrowed = self.narrows(question)
            if narrowed:
                return narrowed
        return self.expects

    @property
    def quotes(self) -> bool:
        return self.phrase is None


# --------------------------------------------------------------------------------------
# Phrasing
# --------------------------------------------------------------------------------------

_WEEKDAYS = "月火水木金土日"


def phrase_plain(question: QuestionAnalysis, candidate: Candidate) -> str:
    return f"{candidate.span.display()}です。"


def phrase_date(question: QuestionAnalysis, candidate: Candidate) -> str:
    """The date, or the part of it asked for: 「何曜日から始まり」 -> the first day's weekday,
    「終わったのは何日」 -> the last day of a range."""
    span = candidate.span
    value = span.value if isinstance(span, DateSpan) else None
    if isinstance(span, DateRangeSpan):
        if not (question.asks_end or question.asks_start or question.asks_weekday):
            return f"{span.display()}です。"
        value = span.last if question.asks_end else span.first
    shown = value.display() if value is not None else span.display()
    day = value.as_date() if value is not None else None
    if question.asks_weekday and day is not None:
        return f"{_WEEKDAYS[day.weekday()]}曜日（{shown}）です。"
    return f"{shown}です。"


def phrase_list(question: QuestionAnalysis, candidate: Candidate) -> str:
    span = candidate.span
    if isinstance(span, EnumerationSpan):
        closed = re.sub(r"\s", "", span.text).endswith(("等", "など"))
        return f"{span.display()}{'など' if closed else ''}です。"
    return phrase_plain(question, candidate)


def phrase_quote(question: QuestionAnalysis, candidate: Candidate) -> str:
    span = candidate.span
    if isinstance(span, QuoteSpan):
        return f"{span.display()}と述べています。"
    return phrase_plain(question, candidate)


def phrase_naming(question: QuestionAnalysis, candidate: Candidate) -> str:
    span = candidate.span
    if isinstance(span, OrganisationSpan) and "略" in question.normalized:
        return f"{span.display()}の略です。"
    return phrase_plain(question, candidate)


# --------------------------------------------------------------------------------------
# Narrowing by what the question says
# --------------------------------------------------------------------------------------


def _counts_asked(question: QuestionAnalysis) -> tuple[str, ...]:
    return (question.counter_kind,) if question.counter_kind else ()


def _places_asked(question: QuestionAnalysis) -> tuple[str, ...]:
    if question.place_kind is None:
        return ()
    return (question.place_kind, "list_places")


def _periods_asked(question: QuestionAnalysis) -> tuple[str, ...]:
    if re.search(r"何(?:年|か月|ヶ月|カ月|日)間", question.normalized):
        return ("duration",)
    return ()


# --------------------------------------------------------------------------------------
# The registry: tried in order, the first whose cues occur decides
# --------------------------------------------------------------------------------------

HANDLERS: tuple[Handler, ...] = (
    # 「要点は？」「どんな報告書？」: answered by an overview of the report
    # (assistant/overview.py), not by one sentence
    Handler("overview", (SENTENCE,)),
    Handler("why", (SENTENCE,)),
    Handler("how", (SENTENCE,)),
    Handler("naming", ("organisation_abbreviated",), phrase_naming),
    Handler("language", ("language",), phrase_plain),
    Handler("quote", ("quote",), phrase_quote),
    Handler("period", ("date_range", "duration"), phrase_date, _periods_asked),
    Handler("list", ("list", "list_places"), phrase_list),
    Handler("count", (*COUNTS, "money", "percent", "duration"), phrase_plain, _counts_asked),
    Handler("when", DATES, phrase_date),
    Handler("who", ("person", "office_holder"), phrase_plain),
    Handler("organisation", ORGANISATIONS, phrase_plain),
    Handler("where", PLACES, phrase_list, _places_asked),
    Handler("what", (SENTENCE, "list")),
    Handler("yes_no", (SENTENCE,)),
)
OTHER = Handler("other", (SENTENCE,))
BY_NAME = {handler.name: handler for handler in (*HANDLERS, OTHER)}


def handler_for(normalized_question: str) -> tuple[Handler, re.Match[str] | None]:
    """The first handler whose cues occur in the question, with the cue found."""
    cues = VOCABULARY.question_cues
    for handler in HANDLERS:
        found = cues[handler.name].search(normalized_question)
        if found:
            return handler, found
    return OTHER, None


def phrase(question: QuestionAnalysis, candidate: Candidate) -> str:
    """The short answer a span candidate states; phrase dates, lists and quotations the
    way their handler says, other kinds plainly."""
    handler = BY_NAME[question.kind]
    if candidate.is_sentence:
        raise ValueError("a sentence candidate is quoted, not phrased")
    by_kind: dict[str, Phraser] = {
        **dict.fromkeys(DATES, phrase_date),
        "list": phrase_list,
        "list_places": phrase_list,
        "quote": phrase_quote,
    }
    if candidate.kind in by_kind:
        return by_kind[candidate.kind](question, candidate)
    return (handler.phrase or phrase_plain)(question, candidate)
