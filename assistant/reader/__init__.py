"""The extractive reader: the answer and the exact quote it came from, or an abstention.

Two learned stages, each its own module:

    question ─ question.analyse ─> QuestionAnalysis (kind via handlers, key terms, counter...)
    passages ─ candidates.passage_candidates ─> sentences and the typed spans inside them
    1. every sentence ─ features ─> model.sentence ─> P(the sentence holds the answer)
       best sentence below model.threshold ─> abstain (the reports are silent)
    2. spans of the best sentences ─ features ─> model.span ─> P(the span states the answer)
       best span ≥ model.span_threshold ─> a short answer phrased by its handler, with the
       sentence quoted; otherwise the sentence itself is quoted as the answer
    3. the best sentence's score, its lead over the next sentence of its passage and what it
       holds of the question ─> model.answerability ─> P(the answer is right); below
       model.threshold the reader abstains (the reports are silent or it cannot tell)

All three are logistic regressions fitted by ``python -m assistant train-reader`` on the
development questions and questions generated from the development reports, with whole
reports held apart for validation (``assistant.reader.training``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from assistant.citations import citation_for, quote_lines
from assistant.interfaces import Reader
from assistant.reader.candidates import Candidate, passage_candidates
from assistant.reader.features import (
    PassageFeatures,
    SentenceSimilarity,
    answerability_features,
)
from assistant.reader.handlers import BY_NAME, phrase
from assistant.reader.model import ReaderModel, load_model, sigmoid
from assistant.reader.question import QuestionAnalysis, analyse
from assistant.records import ABSTENTION, LIKELY_INTRO, Answer, Citation, Passage

__all__ = ["LearnedReader", "Reader", "Reading", "SENTENCE_INTRO"]

SENTENCE_INTRO = "資料には次のように記載されています。"
MAX_RELATED = 3
MAX_LIKELY = 3  # candidates a hedged answer shows, the reader's best first
# Spans are looked for in the sentences at least this share as likely as the best one, at
# most this many: the span model may prefer a second sentence that states the asked kind.
SPAN_SENTENCE_SHARE = 0.5
SPAN_SENTENCES = 5
_SECOND_QUOTE_SHARE = 0.8  # a second sentence is quoted when nearly as likely as the first


@dataclass(frozen=True)
class Scored:
    candidate: Candidate
    probability: float
    passage_index: int
    logit: float = 0.0
    names_held: bool = True  # its passage names everything the question names

    def order_key(self) -> tuple:
        """Best first: sentences of passages naming all the question names before the rest
        (when some passage does: a report that does not mention the city or partner asked
        about cannot answer for it, so an unrelated report can never take the answer);
        then by probability; ties by position, never by retrieval rank alone."""
        return (
            not self.names_held,
            -self.probability,
            self.passage_index,
            self.candidate.sentence.start,
            self.candidate.start,
        )


@dataclass
class Reading:
    """What the reader found for a question in ``passages``: every sentence scored, the best
    first; the best span (with its probability) if one may state the answer; and how likely
    the answer so chosen is right (``confidence``)."""

    question: QuestionAnalysis
    passages: Sequence[Passage]
    sentences: list[Scored]
    span: Scored | None
    span_sentence: Scored | None
    confidence: float = 0.0
    presence: float = 0.0  # P(the reports state what is asked at all)

    def passage_scores(self) -> list[float]:
        """Each passage's best sentence probability: how well the passage answers."""
        best = [0.0] * len(self.passages)
        for item in self.sentences:
            best[item.passage_index] = max(best[item.passage_index], item.probability)
        return best


class LearnedReader:
    def __init__(self, model: ReaderModel | None = None):
        self.model = model or load_model()

    # -- scoring ------------------------------------------------------------------------------
    def read(
        self,
        question: str,
        passages: Sequence[Passage],
        similarity: SentenceSimilarity | None = None,
    ) -> Reading:
        """Score every sentence of ``passages``, the spans of the best ones, and whether the
        answer they give is likely right."""
        analysis = analyse(question)
        model = self.model
        groups: list[PassageFeatures] = []
        sentences: list[Scored] = []
        features_of: dict[int, dict[str, float]] = {}
        for index, group in enumerate(passage_candidates(passages)):
            features = PassageFeatures(analysis, group, similarity)
            groups.append(features)
            for candidate, values in features.sentences():
                logit = model.sentence.logit(values)
                item = Scored(candidate, sigmoid(logit), index, logit, features.holds_names)
                features_of[id(item)] = values
                sentences.append(item)
        sentences.sort(key=Scored.order_key)
        reading = Reading(analysis, passages, sentences, None, None)
        if not sentences:
            return reading
        if not BY_NAME[analysis.kind].quotes:
            reading.span, reading.span_sentence = self._best_span(groups, sentences)
        best = sentences[0]
        runner_up = _runner_up(passages, sentences)
        decision = answerability_features(
            analysis.kind, best.logit, runner_up, features_of[id(best)]
        )
        reading.confidence = model.answerability.probability(decision)
        reading.presence = (
            model.presence.probability(decision) if model.presence is not None else 0.0
        )
        return reading

    def _best_span(
        self, groups: list[PassageFeatures], sentences: list[Scored]
    ) -> tuple[Scored | None, Scored | None]:
        """The span of highest P(sentence) x P(span) among the best few sentences."""
        chosen = None
        best = sentences[0].probability
        for item in sentences[:SPAN_SENTENCES]:
            if (
                item.probability < SPAN_SENTENCE_SHARE * best
                or item.names_held != sentences[0].names_held
            ):
                break
            for candidate, values in groups[item.passage_index].spans_of(item.candidate.sentence):
                p = self.model.span.probability(values)
                key = (item.probability * p, p)
                if chosen is None or key > chosen[0]:
                    chosen = (key, Scored(candidate, p, item.passage_index), item)
        return (chosen[1], chosen[2]) if chosen is not None else (None, None)

    def passage_scores(
        self,
        question: str,
        passages: Sequence[Passage],
        similarity: SentenceSimilarity | None = None,
    ) -> list[float]:
        return self.read(question, passages, similarity).passage_scores()

    # -- answering ----------------------------------------------------------------------------
    def answer(
        self,
        question: str,
        passages: Sequence[Passage],
        similarity: SentenceSimilarity | None = None,
        *,
        threshold: float | None = None,
        likely_threshold: float | None = None,
    ) -> Answer:
        return self.answer_reading(
            self.read(question, passages, similarity),
            threshold=threshold,
            likely_threshold=likely_threshold,
        )

    def answer_reading(
        self,
        reading: Reading,
        *,
        threshold: float | None = None,
        likely_threshold: float | None = None,
    ) -> Answer:
        """The answer to what ``read`` found, in one of three tiers: ``answer`` (the stated
        span or the quoted sentence) when P(right) reaches ``threshold``; else ``likely``
        (the best candidates, the best first, said to be uncertain) when P(the reports state
        it) reaches ``likely_threshold``; else ``none`` with related passages. The
        thresholds default to the model's, chosen by cross-validation."""
        passages = reading.passages
        threshold = self.model.threshold if threshold is None else threshold
        if likely_threshold is None:
            likely_threshold = self.model.likely_threshold
        ranked = reading.sentences
        if not ranked:
            return self._abstain(reading, passages, ranked)
        if reading.confidence >= threshold:
            return self._answer(reading, passages, ranked)
        if self.model.presence is not None and reading.presence >= likely_threshold:
            return self._likely(reading, passages, ranked)
        return self._abstain(reading, passages, ranked)

    def _answer(
        self, reading: Reading, passages: Sequence[Passage], ranked: list[Scored]
    ) -> Answer:
        best = ranked[0]
        span = reading.span
        if span is not None and span.probability >= self.model.span_threshold:
            statement = phrase(reading.question, span.candidate)
            citations = [_sentence_citation(passages, reading.span_sentence, 1, span)]
            lead, stated = f"{statement}[1]", _statement_core(statement)
        else:
            citations = self._quotes(passages, ranked, best, reading.span)
            lead, stated = SENTENCE_INTRO, ""
        return _reading_answer(
            reading,
            answer=f"{lead}\n{quote_lines(citations)}",
            abstained=False,
            lead=lead,
            citations=citations,
            stated=stated,
        )

    def _likely(
        self, reading: Reading, passages: Sequence[Passage], ranked: list[Scored]
    ) -> Answer:
        """The reader's best sentences (its ranking, not retrieval order), each distinct, the
        span it would state marked in the one it comes from. Only the best sentence's report
        supplies them: another report's sentence would make the answer depend on what else
        is indexed."""
        chosen: list[Scored] = []
        seen: set[str] = set()
        report = passages[ranked[0].passage_index].chunk.source
        for item in ranked:
            if item.names_held != ranked[0].names_held:
                break
            if passages[item.passage_index].chunk.source != report:
                continue
            if item.candidate.sentence.normalized in seen:
                continue
            seen.add(item.candidate.sentence.normalized)
            chosen.append(item)
            if len(chosen) == MAX_LIKELY:
                break
        citations = [
            _sentence_citation(passages, item, number, _inside(reading.span, item))
            for number, item in enumerate(chosen, start=1)
        ]
        return _reading_answer(
            reading,
            answer=f"{LIKELY_INTRO}\n{quote_lines(citations)}",
            abstained=False,
            hedged=True,
            lead=LIKELY_INTRO,
            citations=citations,
        )

    def _quotes(
        self,
        passages: Sequence[Passage],
        ranked: list[Scored],
        best: Scored,
        span: Scored | None = None,
    ) -> list[Citation]:
        """The best sentence, and a second one of the same passage nearly as likely (why/how
        answers often take two). Never another passage's: another report's sentence would
        make the answer depend on what else is indexed. ``span`` is marked where it lies."""
        citations = [_sentence_citation(passages, best, 1, _inside(span, best))]
        for item in ranked[1:]:
            if item.probability < _SECOND_QUOTE_SHARE * best.probability:
                break
            if item.passage_index != best.passage_index:
                continue
            if item.candidate.sentence.normalized == best.candidate.sentence.normalized:
                continue
            citations.append(_sentence_citation(passages, item, 2))
            break
        return citations

    def _abstain(
        self, reading: Reading, passages: Sequence[Passage], ranked: list[Scored]
    ) -> Answer:
        return _reading_answer(
            reading,
            answer=ABSTENTION,
            abstained=True,
            lead=ABSTENTION,
            related=_related(passages, ranked),
        )


def _runner_up(passages: Sequence[Passage], sentences: list[Scored]) -> float | None:
    """The best logit of another sentence of the best sentence's passage: its lead over it
    says how sure the reader is, and depends on nothing else that is indexed."""
    best = sentences[0]
    for item in sentences[1:]:
        same_text = item.candidate.sentence.normalized == best.candidate.sentence.normalized
        if item.passage_index == best.passage_index and not same_text:
            return item.logit
    return None


def _sentence_citation(
    passages: Sequence[Passage], item: Scored, marker: int, span: Scored | None = None
) -> Citation:
    """The sentence of ``item`` quoted, with ``span`` (a span candidate inside it) marked."""
    sentence = item.candidate.sentence
    citation = citation_for(passages[item.passage_index], sentence.start, sentence.end, marker)
    found = span.candidate.span if span is not None else None
    if found is None or not (sentence.start <= found.start < found.end <= sentence.end):
        return citation
    return replace(citation, mark_start=found.start, mark_end=found.end)


def _inside(span: Scored | None, item: Scored) -> Scored | None:
    """``span`` when it lies in ``item``'s sentence, else None."""
    if span is None or span.passage_index != item.passage_index:
        return None
    return span if span.candidate.sentence == item.candidate.sentence else None


def _reading_answer(reading: Reading, **fields) -> Answer:
    """An answer of any tier, with what every tier records of the reading: the question's
    kind, the passages read, P(right) and P(the reports state it)."""
    return Answer(
        question_type=reading.question.kind,
        retrieved=list(reading.passages),
        support=round(reading.confidence, 4),
        answerable=round(reading.presence, 4),
        **fields,
    )


def _related(passages: Sequence[Passage], ranked: list[Scored]) -> list[Citation]:
    """The best sentence of each of the first few distinct passages, in the reader's order
    (the passage whose sentence it ranks highest first)."""
    related: list[Citation] = []
    seen_passages: set[int] = set()
    seen: set[str] = set()
    for item in ranked:
        if item.passage_index in seen_passages or item.candidate.sentence.normalized in seen:
            continue
        seen_passages.add(item.passage_index)
        seen.add(item.candidate.sentence.normalized)
        related.append(_sentence_citation(passages, item, len(related) + 1))
        if len(related) == MAX_RELATED:
            break
    return related


def _statement_core(statement: str) -> str:
    """What a phrase states, without its copula: 「７社です。」 -> 「７社」."""
    for ending in ("と述べています。", "の略です。", "です。"):
        if statement.endswith(ending):
            return statement[: -len(ending)]
    return statement
