"""Scoring: per-question outcomes and the aggregate metrics.

Matching is done on *normalised* text: Unicode NFKC (full-width digits and Latin equal their
half-width forms, half-width katakana equals full-width) with all whitespace removed (PDF
extraction inserts spaces and line breaks anywhere in Japanese text).

Character F1 (``char_f1``) is the usual tokenizer-free answer metric for Japanese (as in
JGLUE's JSQuAD): both strings are normalised as above and stripped of punctuation
(Unicode categories P*: 。、「」（）… carry no answer content), then compared as multisets of
characters: precision = shared / len(answer), recall = shared / len(reference),
F1 = 2PR / (P + R). The answer is its statement without the quoted passages under it (they
would swamp the score; see ``answer_statement``); the reference is the first ``expect_any``
item (the canonical answer), or all ``expect_all`` items joined when there is no
``expect_any``. An abstained answer scores 0.
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field

from assistant.evaluation.outcomes import (
    ABSTAINED_CORRECTLY,
    ANSWERED_UNANSWERABLE,
    CORRECT,
    FALSE_ABSTENTION,
    SUCCESSES,
    WRONG,
)
from assistant.evaluation.questions import Question
from assistant.records import TIER_ANSWER, TIER_LIKELY, TIER_NONE, TIERS, Answer, Citation, Passage

_WHITESPACE = re.compile(r"\s+")
_MARKER = re.compile(r"\[\d+\]")  # a citation marker, e.g. [1]
_QUOTE_LINE = re.compile(r"^\[\d+\]\s*")  # a line quoting a cited passage: [1] 「…」

# chunk_id -> stored chunk text (None when unknown)
ChunkTextLookup = Callable[[str], str | None]


def normalize(text: str) -> str:
    """NFKC and no whitespace: the form in which answers and evidence are compared."""
    return _WHITESPACE.sub("", unicodedata.normalize("NFKC", text))


def contains(haystack: str, needle: str) -> bool:
    return normalize(needle) in normalize(haystack)


def answer_statement(answer_text: str) -> str:
    """The answer without the quoted passages under it.

    An answer is a statement, then one line per quoted passage (``[1] 「…」``). The statement
    is the lines before the first quote, markers removed. A statement that cites nothing
    itself only introduces the quotes (e.g. 「資料には次のように記載されています。」): then
    the quotes are the answer.
    """
    lines = [line.strip() for line in answer_text.splitlines() if line.strip()]
    first_quote = next((i for i, line in enumerate(lines) if _QUOTE_LINE.match(line)), len(lines))
    statement, quotes = lines[:first_quote], lines[first_quote:]
    if quotes and not any(_MARKER.search(line) for line in statement):
        return "".join(_QUOTE_LINE.sub("", line) for line in quotes)
    return _MARKER.sub("", "".join(statement))


def char_f1(prediction: str, reference: str) -> float:
    """Character-level F1 of two strings (see the module docstring for the definition)."""
    predicted = Counter(_content_characters(prediction))
    expected = Counter(_content_characters(reference))
    shared = sum((predicted & expected).values())
    if shared == 0:
        return 0.0
    precision = shared / sum(predicted.values())
    recall = shared / sum(expected.values())
    return 2 * precision * recall / (precision + recall)


def _content_characters(text: str) -> str:
    return "".join(ch for ch in normalize(text) if not unicodedata.category(ch).startswith("P"))


def evidence_rank(evidence: str, passages: Sequence[Passage], k: int) -> int | None:
    """1-based rank of the first of the top ``k`` passages that holds the evidence."""
    if not evidence:
        return None
    target = normalize(evidence)
    for rank, passage in enumerate(passages[:k], start=1):
        if target in normalize(passage.chunk.text):
            return rank
    return None


def holds_expected(question: Question, text: str) -> bool:
    """``text`` contains one of ``expect_any`` and all of ``expect_all`` (normalised)."""
    if question.unanswerable:
        return False
    text = normalize(text)
    if question.expect_any and not any(normalize(e) in text for e in question.expect_any):
        return False
    return all(normalize(e) in text for e in question.expect_all)


def shown_statement(answer: Answer) -> str:
    """What an answer states, from its record: the stated span, else a generated answer's
    text without its quotes, else the quoted sentences (a quoting answer states them)."""
    if answer.stated:
        return answer.stated
    if answer.answered_by == "llm" or not answer.lead:  # not the reader's: only its text
        return answer_statement(answer.answer)
    return "".join(c.text for c in answer.citations)


def first_evidence(answer: Answer) -> str:
    """The first thing a user reads as the answer: the statement when there is one, else
    the first quote (for a "not found", the first related passage)."""
    if answer.stated:
        return answer.stated
    if not answer.abstained and (answer.answered_by == "llm" or not answer.lead):
        return answer_statement(answer.answer)
    best = answer.best_quote
    return best.text if best is not None else ""


def is_answer_correct(question: Question, answer: Answer) -> bool:
    """Answerable, answered as sure (tier ``answer``), and the answer's statement contains
    one of ``expect_any`` and all of ``expect_all``. The statement, not the quotes under it:
    a wrong statement (「フランスローヌ=アルプ地域圏です。」) is not rescued by a quoted passage
    that happens to mention the right answer (「パリ」) somewhere. A hedged answer
    (``likely``) is never counted right here: it is measured by ``evidence_at_1``."""
    if question.unanswerable or answer.tier != TIER_ANSWER:
        return False
    return holds_expected(question, shown_statement(answer))


def is_statement_exact(question: Question, statement: str) -> bool:
    """A short statement that is the asked fact: it holds the expected answer, and at least
    half of its characters are the expected answer's (nothing of another fact beside it)."""
    if not statement or not holds_expected(question, statement):
        return False
    reference = Counter(_content_characters(reference_answer(question)))
    stated = Counter(_content_characters(statement))
    shared = sum((stated & reference).values())
    return shared >= 0.5 * max(1, sum(stated.values()))


def is_citation_valid(citation: Citation, stored_text: str | None) -> bool:
    """The quoted text is non-empty and occurs verbatim in the chunk it names; when the
    citation gives the quote's offsets, they must point at exactly that text (the page
    highlights that span)."""
    chunk_text = stored_text if stored_text is not None else citation.chunk_text
    if not citation.text or not chunk_text or citation.text not in chunk_text:
        return False
    if citation.quote_end > citation.quote_start:
        return chunk_text[citation.quote_start : citation.quote_end] == citation.text
    return True


def reference_answer(question: Question) -> str:
    if question.expect_any:
        return question.expect_any[0]
    return "".join(question.expect_all)


@dataclass
class QuestionResult:
    """Everything recorded about one question: written as one line of results.jsonl."""

    id: str
    question: str
    type: str
    unanswerable: bool
    paraphrase: bool
    expected: str
    evidence: str
    answer: str
    abstained: bool
    answered_by: str
    notice: str
    question_type: str
    answer_correct: bool | None  # None for unanswerable questions
    abstention_correct: bool | None  # None for answerable questions
    false_abstention: bool | None  # None for unanswerable questions
    evidence_rank: int | None
    cited_evidence: bool | None  # None when the question has no evidence
    citations: int
    valid_citations: int
    char_f1: float | None  # None for unanswerable questions
    latency_ms: float
    tier: str = TIER_ANSWER  # answer / likely / none (none exactly when abstained)
    # the first sentence or statement shown holds the answer (tiers answer and likely;
    # None for unanswerable questions)
    evidence_at_1: bool | None = None
    # the reader's first evidence holds the answer whatever the tier (for the risk-coverage
    # curve: what answering at a lower threshold would have shown)
    best_holds: bool | None = None
    confidence: float = 0.0  # the reader's P(right), the answer decision's score
    typed: bool = False  # the question asks for a typed fact (a date, a count, a name...)
    statement: str = ""  # the stated span, "" when the answer quotes
    statement_exact: bool | None = None  # None without a statement or for unanswerable
    timings_ms: dict[str, float] = field(default_factory=dict)
    llm_rejected: bool = False  # a generated answer failed the grounding check
    stated: bool = False  # the answer states a span (a date, a count, a name) before its quote
    citation_details: list[dict] = field(default_factory=list)
    retrieved: list[dict] = field(default_factory=list)
    source: str = ""
    file: str = ""
    line: int = 0

    @property
    def outcome(self) -> str:
        """One word for charts and reports. A hedged answer (tier ``likely``) is a success
        when its first sentence holds the answer (answerable) and, as the honest
        "probably this passage" it is, never counted as answering an unanswerable question."""
        if self.unanswerable:
            return ANSWERED_UNANSWERABLE if self.tier == TIER_ANSWER else ABSTAINED_CORRECTLY
        if self.abstained:
            return FALSE_ABSTENTION
        if self.tier == TIER_LIKELY:
            return CORRECT if self.evidence_at_1 else WRONG
        return CORRECT if self.answer_correct else WRONG

    @property
    def failed(self) -> bool:
        return self.outcome not in SUCCESSES

    def to_dict(self) -> dict:
        return {**asdict(self), "outcome": self.outcome}


def score_question(
    question: Question,
    answer: Answer,
    *,
    latency_ms: float,
    k: int,
    chunk_text: ChunkTextLookup,
) -> QuestionResult:
    """Score one answer. ``chunk_text`` gives the stored text of a chunk by id: citations are
    checked against what is stored, not against what the answerer claims it quoted from."""
    stored = {c.chunk_id: chunk_text(c.chunk_id) for c in answer.citations}
    validity = [is_citation_valid(c, stored[c.chunk_id]) for c in answer.citations]
    answerable = not question.unanswerable
    return QuestionResult(
        id=question.id,
        question=question.question,
        type=question.type or str(answer.question_type) or "other",
        unanswerable=question.unanswerable,
        paraphrase=question.paraphrase,
        expected=question.expected_text(),
        evidence=question.evidence,
        answer=answer.answer,
        abstained=answer.abstained,
        answered_by=answer.answered_by,
        notice=answer.notice,
        llm_rejected=answer.llm_rejected,
        stated=bool(answer.stated) or answer.answered_by == "llm",
        question_type=str(answer.question_type),
        answer_correct=is_answer_correct(question, answer) if answerable else None,
        abstention_correct=answer.abstained if question.unanswerable else None,
        false_abstention=answer.abstained if answerable else None,
        evidence_rank=evidence_rank(question.evidence, answer.retrieved, k),
        cited_evidence=_cites_evidence(question, answer, stored) if question.evidence else None,
        citations=len(answer.citations),
        valid_citations=sum(validity),
        char_f1=_answer_f1(question, answer) if answerable else None,
        latency_ms=latency_ms,
        tier=answer.tier,
        evidence_at_1=(
            (not answer.abstained and holds_expected(question, first_evidence(answer)))
            if answerable
            else None
        ),
        best_holds=holds_expected(question, first_evidence(answer)) if answerable else None,
        confidence=answer.support,
        typed=asks_typed_fact(answer.question_type),
        statement=answer.stated,
        statement_exact=(
            is_statement_exact(question, answer.stated) if answerable and answer.stated else None
        ),
        timings_ms=dict(answer.timings_ms),
        citation_details=[
            _citation_record(c, ok) for c, ok in zip(answer.citations, validity, strict=True)
        ],
        retrieved=[_passage_record(p) for p in answer.retrieved[:k]],
        source=question.source,
        file=question.file,
        line=question.line,
    )


def _cites_evidence(question: Question, answer: Answer, stored: dict[str, str | None]) -> bool:
    return any(
        contains(stored[c.chunk_id] or c.chunk_text, question.evidence) for c in answer.citations
    )


def _answer_f1(question: Question, answer: Answer) -> float:
    if answer.abstained:
        return 0.0
    return char_f1(shown_statement(answer), reference_answer(question))


def asks_typed_fact(question_type: str) -> bool:
    """The reader's question kind asks for a fact a short statement can give (its handler
    phrases spans rather than quoting sentences)."""
    from assistant.reader.handlers import BY_NAME

    handler = BY_NAME.get(str(question_type))
    return handler is not None and not handler.quotes


def _citation_record(citation: Citation, valid: bool) -> dict:
    return {
        "marker": citation.marker,
        "source": citation.source,
        "section": citation.section,
        "page": citation.page,
        "chunk_id": citation.chunk_id,
        "text": citation.text,
        "valid": valid,
    }


def _passage_record(passage: Passage) -> dict:
    chunk = passage.chunk
    return {
        "chunk_id": chunk.chunk_id,
        "source": chunk.source,
        "section": chunk.section,
        "page": chunk.page,
        "score": passage.score,
        "dense_rank": passage.dense_rank,
        "keyword_rank": passage.keyword_rank,
        "text": chunk.text,
    }


# ---------------------------------------------------------------- aggregate metrics

RETRIEVAL_KS = (1, 3, 5)


def summarize(results: Sequence[QuestionResult], *, llm_enabled: bool = False) -> dict:
    """The overall metrics of a group of question results.

    Rates are ``None`` when their group is empty (e.g. no unanswerable questions), so that a
    missing measurement is never shown as 0 or 1.
    """
    answerable = [r for r in results if not r.unanswerable]
    unanswerable = [r for r in results if r.unanswerable]
    with_evidence = [r for r in results if r.evidence]
    latencies = [r.latency_ms for r in results]
    summary = {
        "n": len(results),
        "n_answerable": len(answerable),
        "n_unanswerable": len(unanswerable),
        "answer_accuracy": _mean(r.answer_correct for r in answerable),
        # confident errors: answerable, answered, not right (worse than an abstention)
        # (a hedged answer, tier likely, says it is unsure: it is not a confident error)
        "wrong_answer_rate": _mean(
            r.tier == TIER_ANSWER and not r.answer_correct for r in answerable
        ),
        "abstention_accuracy": _mean(r.abstained for r in unanswerable),
        "false_abstention_rate": _mean(r.abstained for r in answerable),
        # answers stating a short span (the rest quote the sentence that holds the answer)
        "stated_answer_share": _mean(r.stated for r in answerable if r.tier == TIER_ANSWER),
        **retrieval_metrics([r.evidence_rank for r in with_evidence]),
        "context_chars": _mean(sum(len(p["text"]) for p in r.retrieved) for r in with_evidence),
        "cited_evidence_rate": _mean(r.cited_evidence for r in with_evidence if not r.abstained),
        "citation_validity": _ratio(
            sum(r.valid_citations for r in results), sum(r.citations for r in results)
        ),
        "char_f1": _mean(r.char_f1 for r in answerable),
        **tier_metrics(results),
        **latency_metrics(latencies),
        "answered_by": dict(Counter(r.answered_by for r in results)),
    }
    if llm_enabled:
        checked = [r for r in results if r.llm_rejected or r.answered_by == "llm"]
        summary["llm_rejection_rate"] = _mean(r.llm_rejected for r in checked)
        summary["llm_fallback_rate"] = _mean(_fell_back(r) for r in results)
    return summary


def tier_metrics(results: Sequence[QuestionResult]) -> dict:
    """What users meet, per tier (issue 25): the first evidence shown, how often each tier
    is given and how often it is right, "not found" on both kinds of question, and the short
    statements. ``answer_precision`` counts an unanswerable question answered as wrong."""
    answerable = [r for r in results if not r.unanswerable]
    unanswerable = [r for r in results if r.unanswerable]
    by_tier = {tier: [r for r in results if r.tier == tier] for tier in TIERS}
    answered = by_tier[TIER_ANSWER]
    typed_answers = [r for r in answerable if r.tier == TIER_ANSWER and r.typed]
    stated = [r for r in typed_answers if r.statement]
    return {
        "evidence_at_1": _mean(r.evidence_at_1 for r in answerable),
        "tiers": {tier: len(group) for tier, group in by_tier.items()},
        "answer_coverage": _mean(r.tier == TIER_ANSWER for r in answerable),
        "answer_precision": _mean(bool(r.answer_correct) for r in answered),
        "likely_precision": _mean(bool(r.evidence_at_1) for r in by_tier[TIER_LIKELY]),
        "none_on_answerable": _mean(r.tier == TIER_NONE for r in answerable),
        "none_on_unanswerable": _mean(r.tier == TIER_NONE for r in unanswerable),
        "answer_on_unanswerable": _mean(r.tier == TIER_ANSWER for r in unanswerable),
        "typed_stated_share": _mean(bool(r.statement) for r in typed_answers),
        "statement_exact_match": _mean(r.statement_exact for r in stated),
        "risk_coverage": risk_coverage(results),
    }


def risk_coverage(results: Sequence[QuestionResult], points: int = 20) -> list[dict]:
    """Precision against coverage as the answer threshold moves: answering the questions of
    confidence >= t, how many are answered (coverage, of all questions) and how many of
    those have the reader's first evidence right (an unanswerable question answered is
    wrong). One point per distinct cut at about ``points`` coverage steps."""
    ranked = sorted(results, key=lambda r: -r.confidence)
    if not ranked:
        return []
    curve, right = [], 0
    step = max(1, len(ranked) // points)
    for count, result in enumerate(ranked, start=1):
        right += bool(result.best_holds)
        last = count == len(ranked)
        if count % step == 0 or last:
            if not last and ranked[count].confidence == result.confidence:
                continue  # a cut between equal confidences cannot be made
            curve.append(
                {
                    "threshold": round(result.confidence, 4),
                    "coverage": round(count / len(ranked), 4),
                    "precision": round(right / count, 4),
                }
            )
    return curve


def retrieval_metrics(ranks: Sequence[int | None]) -> dict:
    """recall@1/3/5 and MRR of evidence ranks (None = not in the top k)."""
    metrics: dict[str, float | None] = {
        f"recall@{k}": _mean(rank is not None and rank <= k for rank in ranks) for k in RETRIEVAL_KS
    }
    metrics["mrr"] = _mean(1.0 / rank if rank else 0.0 for rank in ranks)
    metrics["n_with_evidence"] = len(ranks)
    return metrics


def latency_metrics(latencies_ms: Sequence[float]) -> dict:
    return {
        "latency_ms_p50": percentile(latencies_ms, 50),
        "latency_ms_p95": percentile(latencies_ms, 95),
    }


def percentile(values: Sequence[float], pct: float) -> float | None:
    """Linear-interpolated percentile (numpy's default method); None for no values."""
    if not values:
        return None
    if len(values) == 1:
        return float(values[0])
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return float(cuts[int(pct) - 1])


def summarize_by(
    results: Sequence[QuestionResult],
    key: Callable[[QuestionResult], str],
    *,
    llm_enabled: bool = False,
) -> dict[str, dict]:
    groups: dict[str, list[QuestionResult]] = {}
    for result in results:
        groups.setdefault(key(result), []).append(result)
    return {name: summarize(group, llm_enabled=llm_enabled) for name, group in groups.items()}


# ``context_chars``: characters in the top k passages, what an answerer (or LLM) must read;
# the naive baseline's chunks are longer, which makes its recall easier to earn
BASELINE_METRICS = (
    "recall@1",
    "recall@3",
    "recall@5",
    "mrr",
    "context_chars",
    "latency_ms_p50",
    "latency_ms_p95",
)


def compare_to_baseline(ours: dict, baseline: dict) -> dict[str, float | None]:
    """ours / baseline for each metric both measure (None when the baseline is 0 or missing).
    Above 1 is better for recall and MRR, worse for context size and latency (ours also
    composes an answer)."""
    ratios: dict[str, float | None] = {}
    for name in BASELINE_METRICS:
        mine, theirs = ours.get(name), baseline.get(name)
        ratios[name] = mine / theirs if mine is not None and theirs else None
    return ratios


def _fell_back(result: QuestionResult) -> bool:
    """With an LLM configured, an extractive answer with a notice: the LLM failed, found
    nothing the reader found, or was rejected by the grounding check."""
    return result.answered_by == "extractive" and bool(result.notice.strip())


def _mean(values: Iterable[bool | float | None]) -> float | None:
    present = [float(v) for v in values if v is not None]
    return sum(present) / len(present) if present else None


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


@dataclass
class EvaluationResult:
    """The outcome of one evaluation run."""

    overall: dict
    by_type: dict[str, dict]
    questions: list[QuestionResult]
    k: int = 5
    settings: dict = field(default_factory=dict)  # what was evaluated (model, chunking, ...)

    @property
    def failures(self) -> list[QuestionResult]:
        return [r for r in self.questions if r.failed]

    def to_dict(self) -> dict:
        return {
            "overall": self.overall,
            "by_type": self.by_type,
            "questions": [r.to_dict() for r in self.questions],
            "k": self.k,
            "settings": self.settings,
        }
