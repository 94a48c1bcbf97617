"""Features the learned reader reads: one set for sentences, one for spans inside them.

The reader works in two stages (``assistant.reader``): which sentence answers the question,
then which span of that sentence states the answer. Every feature is general (no word of
any question set appears here) and local: it is computed from the question, the candidate,
its sentence and its own passage (with that passage's report title and section). Nothing
depends on the other retrieved passages, so a report added to the index cannot change the
score of a candidate already there (answer stability). Corpus-wide statistics such as IDF
are left out for the same reason; term rarity is measured inside the passage.

Sentence features: how much of the question the sentence, the passage and the report hold,
by kind of term (names, nouns, verb stems, numbers), weighted by rarity in the passage; the
question's predicate; whether the sentence holds a span of the kind asked for; the dense
similarity of the sentence (and of its passage) to the question; cue words of cause, means
and speech. Span features: the span's kind against the kind asked for (and the pair as an
indicator, so the model learns that a city does not answer 「どの国」), the counter, whether
the span repeats the question, how close the question's words sit to it (windows, the clause
it opens or closes, the distance to the predicate), and its form (date granularity, list
shape, a verb of saying after a quotation, a title next to a name).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from assistant.reader.candidates import Candidate, PassageCandidates, Sentence
from assistant.reader.handlers import BY_NAME
from assistant.reader.question import (
    ENTITY,
    NOUN,
    NUMBER,
    VERB,
    QuestionAnalysis,
    Term,
    is_abbreviation,
)
from assistant.spans import (
    DateSpan,
    EnumerationSpan,
    OrganisationSpan,
    PersonSpan,
    normalize,
)
from assistant.vocabulary import VOCABULARY
from ingest.japanese import KANJI

Features = dict[str, float]
# (passage, sentence) -> cosine similarity of the sentence to the question, None if unknown
SentenceSimilarity = Callable[[PassageCandidates, Sentence], float | None]

_PARTIAL_FLOOR = 0.5  # share of a term's character bigrams that counts as a partial match
_WINDOWS = (8, 20, 40)
_TERM_KINDS = ((ENTITY, "names"), (NOUN, "nouns"), (VERB, "verbs"), (NUMBER, "numbers"))
_SPEECH = VOCABULARY.sentence_cues("speech")
_PARTICLES = frozenset("がはをにでのとも、")
# A sentence that ends like a statement (a verb, a copula, a noun stopped by 。) rather than a
# heading: 「…締結しました。」「…となった」「…である」.
_PREDICATE_END = re.compile(r"(?:[。.!?！？]|た|る|す|だ|い|ず|ん)[」』)）]*\s*$")
_CUES = {"why": VOCABULARY.sentence_cues("why"), "how": VOCABULARY.sentence_cues("how")}


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


def match_strength(term: Term, text: str, grams: set[str] | None = None) -> float:
    """1 if the term (or a synonym of it) occurs in ``text``; the share of its character
    bigrams found for a partial match (「協力協定」 vs 「協定」), names excepted; else 0."""
    if any(variant in text for variant in term.variants):
        return 1.0
    if term.kind == ENTITY:
        return 0.0  # a name is there or not: 経済ミッション団 is not 欧州ミッション団
    term_grams = _bigrams(term.text)
    if len(term_grams) < 2:
        return 0.0
    grams = _bigrams(text) if grams is None else grams
    share = len(term_grams & grams) / len(term_grams)
    return share if share >= _PARTIAL_FLOOR else 0.0


def positions(term: Term, text: str) -> list[tuple[int, int]]:
    """Where the term or a synonym occurs in ``text``."""
    found = []
    for variant in term.variants:
        start = text.find(variant)
        while start >= 0:
            found.append((start, start + len(variant)))
            start = text.find(variant, start + 1)
    return found


def _share(terms: Iterable[Term], strength: dict[str, float]) -> tuple[float, bool]:
    """(share of the terms matched, whether there were any)."""
    terms = list(terms)
    if not terms:
        return 0.0, False
    return sum(strength.get(t.text, 0.0) for t in terms) / len(terms), True


@dataclass
class SentenceView:
    """What the features of one sentence and its spans share."""

    sentence: Sentence
    strength: dict[str, float]  # term text -> match strength in the sentence
    where: dict[str, list[tuple[int, int]]]  # term text -> positions in the sentence
    spans: list[Candidate]  # the span candidates of the sentence


class PassageFeatures:
    """The features of every sentence and span of one passage, for one question."""

    def __init__(
        self,
        question: QuestionAnalysis,
        group: PassageCandidates,
        similarity: SentenceSimilarity | None = None,
    ):
        self.question = question
        self.group = group
        self.similarity = similarity
        self.expected = set(BY_NAME[question.kind].expected_kinds(question))
        self.title = normalize(group.passage.chunk.title)
        section = normalize(group.passage.chunk.section or "")
        self.section_strength = (
            {t.text: match_strength(t, section) for t in question.terms} if section else {}
        )
        context_strength = {t.text: match_strength(t, group.context) for t in question.terms}
        self.shared = _passage_features(question, group, context_strength)
        # the passage (with its report title and section) names everything the question names
        self.holds_names = all(context_strength[t.text] > 0 for t in question.names)
        self.rarity = _rarity(question, group)
        self.kanji = _kanji_rarity(question, group)
        self.views: dict[int, SentenceView] = {}
        for sentence in group.sentences:
            grams = _bigrams(sentence.normalized)
            self.views[sentence.index] = SentenceView(
                sentence,
                {t.text: match_strength(t, sentence.normalized, grams) for t in question.terms},
                {t.text: positions(t, sentence.normalized) for t in question.terms},
                [],
            )
        for candidate in group.candidates:
            if not candidate.is_sentence:
                self.views[candidate.sentence.index].spans.append(candidate)

    def sentences(self) -> list[tuple[Candidate, Features]]:
        return [
            (candidate, self.sentence_features(candidate))
            for candidate in self.group.candidates
            if candidate.is_sentence
        ]

    def spans_of(self, sentence: Sentence) -> list[tuple[Candidate, Features]]:
        view = self.views[sentence.index]
        return [(span, self.span_features(span, view)) for span in view.spans]

    # -- sentences ---------------------------------------------------------------------------
    def sentence_features(self, candidate: Candidate) -> Features:
        question, view = self.question, self.views[candidate.sentence.index]
        strength = view.strength
        features: Features = dict(self.shared)
        for kind, name in _TERM_KINDS:
            share, present = _share((t for t in question.terms if t.kind == kind), strength)
            if present:
                features[f"sent_{name}"] = share
        features["sent_all"] = _share(question.terms, strength)[0]
        total = sum(self.rarity.values())
        if total:
            features["sent_rare"] = (
                sum(w * strength.get(t, 0.0) for t, w in self.rarity.items()) / total
            )
        if question.predicate is not None:
            features["sent_predicate"] = strength.get(question.predicate.text, 0.0)
        text = view.sentence.normalized
        # single kanji carry meaning across paraphrases: 出された / 提出, 多かった / 最も多く
        if self.kanji:
            found = [char for char in self.kanji if char in text]
            features["sent_kanji"] = len(found) / len(self.kanji)
            weight = sum(self.kanji.values())
            features["sent_kanji_rare"] = sum(self.kanji[c] for c in found) / weight
        features["sent_len"] = math.log1p(len(text)) / 5
        features["sent_first"] = float(view.sentence.index == 0)
        # a heading or title line names the subject and answers nothing
        features["heading"] = float(
            text.strip("■□●◆・-— ") in self.group.context[: len(self.title) + 2]
            or not _PREDICATE_END.search(text)
        )
        features["table_row"] = float(
            "\t" in self.group.passage.chunk.text[view.sentence.start : view.sentence.end]
        )
        for name, neighbour in (
            ("prev", view.sentence.index - 1),
            ("next", view.sentence.index + 1),
        ):
            other = self.views.get(neighbour)
            if other is not None:
                features[f"{name}_all"] = _share(question.terms, other.strength)[0]
        if self.section_strength:
            features["section_all"] = _share(question.terms, self.section_strength)[0]
        kinds = {span.kind for span in view.spans}
        has_expected = bool(kinds & self.expected)
        features["expected_in_sentence"] = float(has_expected)
        features[f"kind:{question.kind}:expected_in_sentence"] = float(has_expected)
        features[f"kind:{question.kind}"] = 1.0
        features["spans_in_sentence"] = math.log1p(len(view.spans))
        if question.counter_kind:
            features["asked_counter_in_sentence"] = float(question.counter_kind in kinds)
        cue = _CUES.get(question.kind)
        if cue is not None:
            features[f"{question.kind}_cue"] = float(bool(cue.search(view.sentence.normalized)))
        if question.kind == "quote":
            features["speech_in_sentence"] = float(bool(_SPEECH.search(view.sentence.normalized)))
        if self.similarity is not None:
            similarity = self.similarity(self.group, view.sentence)
            if similarity is not None:
                features["sent_dense"] = (similarity - 0.8) * 10
        return features

    # -- spans -------------------------------------------------------------------------------
    def span_features(self, candidate: Candidate, view: SentenceView) -> Features:
        question = self.question
        text = view.sentence.normalized
        start, end = candidate.start, candidate.end
        descriptive = question.descriptive
        kind = candidate.kind
        features: Features = {
            "bias": 1.0,
            f"pair:{question.kind}:{kind}": 1.0,
            "expected": float(kind in self.expected),
        }
        if question.counter_kind and kind.startswith(("count_", "money", "percent", "duration")):
            features["expected_counter"] = float(kind == question.counter_kind)
            if question.counter and candidate.span is not None:
                features["same_counter"] = float(
                    getattr(candidate.span, "counter", "") == question.counter
                )
        compact = re.sub(r"\s", "", candidate.text)
        # 「津市」 does not answer 「津市はどこを訪問」: the span repeats the question
        features["in_question"] = float(bool(compact) and compact in question.normalized)
        for width in _WINDOWS:
            window = text[max(0, start - width) : end + width]
            strength = {t.text: match_strength(t, window) for t in descriptive}
            features[f"win{width}"] = _share(descriptive, strength)[0]
        # the clause a span owns: up to the next span of its kind (「20日、…締結し、翌21日には
        # …締結」: each date opens its own clause), and back to the previous one
        same = sorted((c.start, c.end) for c in view.spans if c.kind == kind)
        following = [s for s, _ in same if s >= end]
        preceding = [e for _, e in same if e <= start]
        forward = text[end : following[0] if following else len(text)]
        backward = text[preceding[-1] if preceding else 0 : start]
        for name, segment in (("fwd", forward), ("bwd", backward)):
            strength = {t.text: match_strength(t, segment) for t in descriptive}
            features[f"{name}_cov"] = _share(descriptive, strength)[0]
            if question.predicate is not None:
                features[f"{name}_predicate"] = strength.get(question.predicate.text, 0.0)
        features["same_kind"] = math.log1p(len(same))
        features["first_of_kind"] = float(not preceding)
        features["only_expected"] = float(
            kind in self.expected and sum(1 for c in view.spans if c.kind in self.expected) == 1
        )
        features["distance"] = _closeness(view, descriptive, start, end)
        particle = text[end : end + 1]
        if particle in _PARTICLES:
            features[f"then:{particle}"] = 1.0
        features["clause_end"] = float(bool(re.match(r"\s*(?:[、。,)）」]|$)", text[end:])))
        if question.predicate is not None:
            features["predicate_distance"] = _closeness(view, (question.predicate,), start, end)
        features.update(_form_features(question, candidate, text))
        return features


def _rarity(question: QuestionAnalysis, group: PassageCandidates) -> dict[str, float]:
    """How rare each term is among the sentences of this passage: a name in every sentence
    of a report about it tells one sentence from another less than a rare word does."""
    total = len(group.sentences)
    out = {}
    for term in question.terms:
        df = sum(1 for s in group.sentences if any(v in s.normalized for v in term.variants))
        out[term.text] = math.log(1 + (total + 1) / (df + 1))
    return out


_KANJI_RE = re.compile(f"[{KANJI}]")


def _kanji_rarity(question: QuestionAnalysis, group: PassageCandidates) -> dict[str, float]:
    """The kanji of the question's terms, each weighted by its rarity among the passage's
    sentences (as ``_rarity`` does for whole terms)."""
    chars = {c for t in question.terms for c in _KANJI_RE.findall(t.text)}
    total = len(group.sentences)
    return {
        c: math.log(1 + (total + 1) / (sum(1 for s in group.sentences if c in s.normalized) + 1))
        for c in chars
    }


def _passage_features(
    question: QuestionAnalysis, group: PassageCandidates, context_strength: dict[str, float]
) -> Features:
    names = question.names
    features: Features = {"bias": 1.0}
    share, present = _share(names, context_strength)
    if present:
        features["ctx_names"] = share
    missing = [t for t in names if context_strength[t.text] == 0.0]
    features["missing_names"] = float(len(missing))
    features["missing_abbreviation"] = float(any(is_abbreviation(t.text) for t in missing))
    features["ctx_all"] = _share(question.terms, context_strength)[0]
    similarity = group.passage.dense_similarity
    if similarity is not None:
        features["dense"] = (similarity - 0.8) * 10  # e5 cosines sit in a narrow band
    return features


def _closeness(view: SentenceView, terms: Iterable[Term], start: int, end: int) -> float:
    """1 for a term right beside the span, towards 0 with distance; 0 when none of the terms
    is in the sentence."""
    gaps = [max(0, s - end, start - e) for term in terms for s, e in view.where.get(term.text, [])]
    return 1.0 / (1.0 + min(gaps) / 10.0) if gaps else 0.0


_NAMED_KINDS = frozenset(
    {"person", "office_holder", "organisation", "company", "organisation_abbreviated",
     "country", "city", "region", "place"}
)  # fmt: skip


def _form_features(question: QuestionAnalysis, candidate: Candidate, text: str) -> Features:
    span = candidate.span
    features: Features = {}
    after = text[candidate.end : candidate.end + 12]
    before = text[max(0, candidate.start - 12) : candidate.start]
    if isinstance(span, DateSpan):
        features["date_relative"] = float(span.relative)
        features["date_has_year"] = float(span.value.year is not None)
    if isinstance(span, EnumerationSpan):
        features["list_items"] = math.log1p(len(span.items))
        features["list_closed"] = float(bool(re.match(r"(?:等|など)", after)) or "や" in span.text)
    if isinstance(span, PersonSpan):
        focus, title = question.focus or "", span.title or ""
        features["person_titled"] = float(bool(title))
        features["person_title_asked"] = float(
            bool(focus) and bool(title) and (focus in title or title in focus)
        )
        features["person_role"] = float(bool(span.role))
    if isinstance(span, OrganisationSpan):
        asked = question.normalized
        features["org_abbreviation_asked"] = float(
            bool(span.abbreviation) and span.abbreviation.upper() in asked.upper()
        )
        name_grams = _bigrams(normalize(span.name))
        overlap = len(name_grams & _bigrams(asked)) / len(name_grams) if name_grams else 0.0
        features["org_name_asked"] = overlap
    if candidate.kind == "quote":
        features["speech_verb_after"] = float(bool(_SPEECH.search(after)))
    if question.focus and candidate.kind in _NAMED_KINDS:
        features["focus_adjacent"] = float(
            question.focus in before[-6:] or question.focus in after[:6]
        )
    return features


# --------------------------------------------------------------------------------------
# Whether to answer at all
# --------------------------------------------------------------------------------------

# The best sentence's features the answerability model reads besides its score.
_ANSWERABILITY_KEYS = (
    "sent_all", "sent_rare", "sent_nouns", "sent_verbs", "sent_predicate", "sent_dense",
    "sent_kanji_rare", "missing_names", "ctx_names", "heading", "table_row", "dense",
)  # fmt: skip


def answerability_features(
    kind: str, top_score: float, runner_up: float | None, top: Features
) -> Features:
    """What tells an answer the reports give from a near miss: how high the best sentence
    scored, by how much it beat the next sentence of its own passage (never another
    passage's, so nothing else indexed can move it), and how much of the question it holds."""
    features: Features = {
        "bias": 1.0,
        "top": top_score,
        "margin": top_score - runner_up if runner_up is not None else 5.0,
        f"kind:{kind}": 1.0,
    }
    for key in _ANSWERABILITY_KEYS:
        features["top_" + key] = top.get(key, 0.0)
    return features
