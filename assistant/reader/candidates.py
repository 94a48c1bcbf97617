"""Answer candidates: every typed span and every sentence of the retrieved passages.

The reader does not decide with rules which span answers; it lists everything that could
(a date, a range, a count with its counter, a person, an organisation, a place, a list, a
quotation, a language, or a whole sentence to quote), gives each a fine-grained kind, and
lets the learned model (``assistant.reader.model``) score them. A candidate knows only its
own passage, so adding an unrelated report can add candidates but never changes the
features, and so the score, of the ones already there.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from assistant.records import Passage
from assistant.spans import (
    CountSpan,
    DateRangeSpan,
    DateSpan,
    EnumerationSpan,
    OrganisationSpan,
    PersonSpan,
    QuoteSpan,
    Span,
    SpanKind,
    find_spans,
    normalize,
)
from assistant.vocabulary import VOCABULARY
from ingest.chunking import split_sentences

# The span kinds a candidate can be; SENTENCE is a whole sentence to quote.
SENTENCE = "sentence"
_SPAN_KINDS = (
    SpanKind.DATE,
    SpanKind.DATE_RANGE,
    SpanKind.COUNT,
    SpanKind.PERSON,
    SpanKind.ORGANISATION,
    SpanKind.PLACE,
    SpanKind.ENUMERATION,
    SpanKind.QUOTE,
    SpanKind.LANGUAGE,
)


@dataclass(frozen=True)
class Sentence:
    """One sentence of a passage: offsets into the chunk text and its NFKC form."""

    passage_index: int
    index: int  # position within its passage
    start: int
    end: int
    normalized: str


@dataclass(frozen=True)
class Candidate:
    """Something that could answer: a typed span (``span``) or a whole sentence (None)."""

    kind: str  # fine-grained kind, see ``fine_kind``
    sentence: Sentence
    span: Span | None = None
    # Offsets of the candidate inside ``sentence.normalized`` (the whole sentence for SENTENCE)
    start: int = 0
    end: int = 0
    text: str = ""  # normalised candidate text
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def is_sentence(self) -> bool:
        return self.span is None


@dataclass
class PassageCandidates:
    """The sentences of one passage and the candidates found in them."""

    passage: Passage
    context: str  # title, section and text, normalised: where a report names its subject
    sentences: list[Sentence]
    candidates: list[Candidate]


def fine_kind(span: Span) -> str:
    """A span's kind at the grain questions ask for: 「どの国」 wants a country, not a city;
    「何名」 a count of people, 「いくら」 an amount of money."""
    if isinstance(span, DateRangeSpan):
        return "date_range"
    if isinstance(span, DateSpan):
        value = span.value
        if value.day is not None:
            return "date_day"
        return "date_month" if value.month is not None else "date_year"
    if isinstance(span, CountSpan):
        return VOCABULARY.counter_kind(span.counter)
    if isinstance(span, PersonSpan):
        return "person" if span.name else "office_holder"
    if isinstance(span, OrganisationSpan):
        if span.abbreviation:
            return "organisation_abbreviated"
        return "company" if VOCABULARY.is_company(span) else "organisation"
    if isinstance(span, EnumerationSpan):
        places = all(VOCABULARY.place_kind(item) != "" for item in span.items)
        return "list_places" if places else "list"
    if isinstance(span, QuoteSpan):
        return "quote"
    if span.kind is SpanKind.LANGUAGE:
        return "language"
    if span.kind is SpanKind.PLACE:
        return VOCABULARY.place_kind(normalize(span.text)) or "place"
    return str(span.kind)


def passage_candidates(passages: Sequence[Passage]) -> list[PassageCandidates]:
    return [_one_passage(index, passage) for index, passage in enumerate(passages)]


def _one_passage(index: int, passage: Passage) -> PassageCandidates:
    chunk = passage.chunk
    text = chunk.text
    sentences = [
        Sentence(index, number, span.start, span.end, normalize(text[span.start : span.end]))
        for number, span in enumerate(split_sentences(text))
    ]
    spans = [span for kind in _SPAN_KINDS for span in find_spans(text, kind)]
    candidates: list[Candidate] = []
    for sentence in sentences:
        inside = [s for s in spans if sentence.start <= s.start and s.end <= sentence.end]
        candidates.extend(_span_candidate(sentence, s, text) for s in _without_nested(inside))
        candidates.append(
            Candidate(SENTENCE, sentence, None, 0, len(sentence.normalized), sentence.normalized)
        )
    context = normalize(f"{chunk.title}\n{chunk.section}\n{text}")
    return PassageCandidates(passage, context, sentences, candidates)


def _without_nested(spans: list[Span]) -> list[Span]:
    """A date inside a range (「16日から25日」) or a place inside a list is still a candidate
    of its own; only exact duplicates (the same text found as two kinds) keep one."""
    seen: set[tuple[int, int, str]] = set()
    kept = []
    for span in spans:
        key = (span.start, span.end, fine_kind(span))
        if key not in seen:
            seen.add(key)
            kept.append(span)
    return kept


def _span_candidate(sentence: Sentence, span: Span, text: str) -> Candidate:
    # offsets inside the normalised sentence: normalise the prefix, which NFKC maps 1:n
    start = len(normalize(text[sentence.start : span.start]))
    end = start + len(normalize(text[span.start : span.end]))
    return Candidate(fine_kind(span), sentence, span, start, end, _display(span))


def _display(span: Span) -> str:
    return re.sub(r"\s+", "", span.display())
