"""Ask every question exactly as the chat does and score the answers."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Protocol

from assistant.evaluation.metrics import (
    ChunkTextLookup,
    EvaluationResult,
    QuestionResult,
    score_question,
    summarize,
    summarize_by,
)
from assistant.evaluation.questions import Question
from assistant.records import Answer

# progress(index (1-based), total, result) after each question
Progress = Callable[[int, int, QuestionResult], None]


class EvaluationInterrupted(Exception):
    """Ctrl-C while the questions were asked: ``result`` scores the ``done`` finished ones
    (None when none finished), of ``total``."""

    def __init__(self, result: EvaluationResult | None, done: int, total: int):
        super().__init__(f"interrupted after {done} of {total} questions")
        self.result, self.done, self.total = result, done, total


class AnswersQuestions(Protocol):
    """What the evaluation needs of the assistant (``assistant.service.Assistant``)."""

    def ask(self, question: str, history: Sequence[tuple[str, str]] = ()) -> Answer: ...


def evaluate(
    assistant: AnswersQuestions,
    questions: Sequence[Question],
    k: int = 5,
    *,
    chunk_text: ChunkTextLookup | None = None,
    llm_enabled: bool | None = None,
    progress: Progress | None = None,
    warm_up: bool = True,
) -> EvaluationResult:
    """Ask each question (after the earlier turns of its conversation, if any: ``context``)
    and score it against its expectations.

    ``k``: how many of the retrieved passages count for recall/MRR. ``chunk_text`` returns the
    stored text of a chunk id, to check citations against what is stored (after the chunks
    the assistant retrieved for the same question); by default the assistant's keyword
    index, the commit record of every stored chunk. ``llm_enabled`` (default: read from the
    assistant's settings) turns on the LLM rejection rate. ``warm_up`` asks the first question
    once, untimed, so model loading is not counted as the latency of a question.

    Ctrl-C (KeyboardInterrupt) raises ``EvaluationInterrupted`` with the questions finished
    so far scored, so what was measured is never lost.
    """
    if not questions:
        raise ValueError("no questions to evaluate")
    if chunk_text is None:
        chunk_text = index_lookup(assistant)
    if llm_enabled is None:
        llm_enabled = bool(getattr(getattr(assistant, "settings", None), "llm_enabled", False))
    results: list[QuestionResult] = []
    try:
        if warm_up:
            assistant.ask(questions[0].question, history=())
        for index, question in enumerate(questions, start=1):
            history = conversation_before(assistant, question)
            answer, latency_ms = _timed_ask(assistant, question.question, history)
            lookup = _lookup_with_retrieved(answer, chunk_text)
            result = score_question(question, answer, latency_ms=latency_ms, k=k, chunk_text=lookup)
            results.append(result)
            if progress is not None:
                progress(index, len(questions), result)
    except KeyboardInterrupt:
        finished = _result(assistant, results, k, llm_enabled) if results else None
        raise EvaluationInterrupted(finished, len(results), len(questions)) from None
    return _result(assistant, results, k, llm_enabled)


def _result(
    assistant: AnswersQuestions, results: list[QuestionResult], k: int, llm_enabled: bool
) -> EvaluationResult:
    return EvaluationResult(
        overall=summarize(results, llm_enabled=llm_enabled),
        by_type=summarize_by(results, lambda r: r.type, llm_enabled=llm_enabled),
        questions=results,
        k=k,
        settings=_describe_settings(assistant),
    )


def conversation_before(
    assistant: AnswersQuestions, question: Question
) -> tuple[tuple[str, str], ...]:
    """The turns a follow-up question (``context``) comes after, each asked as the chat
    would, with the answer the user saw; () for a question asked on its own."""
    history: tuple[tuple[str, str], ...] = ()
    for earlier in question.context:
        history += ((earlier, assistant.ask(earlier, history=history).answer),)
    return history


def _timed_ask(
    assistant: AnswersQuestions, question: str, history: Sequence[tuple[str, str]] = ()
) -> tuple[Answer, float]:
    started = time.perf_counter()
    answer = assistant.ask(question, history=tuple(history))
    return answer, (time.perf_counter() - started) * 1000.0


def _lookup_with_retrieved(answer: Answer, fallback: ChunkTextLookup | None) -> ChunkTextLookup:
    """Chunk text by id: first the passages the retriever returned for this question (these
    come from the index, not from the answerer), then ``fallback``."""
    retrieved = {p.chunk.chunk_id: p.chunk.text for p in answer.retrieved}

    def lookup(chunk_id: str) -> str | None:
        if chunk_id in retrieved:
            return retrieved[chunk_id]
        return fallback(chunk_id) if fallback is not None else None

    return lookup


def index_lookup(assistant) -> ChunkTextLookup | None:
    """Stored chunk text by id from the assistant's keyword index, if it has one."""
    index = getattr(assistant, "keyword_index", None)
    if index is None:
        return None

    def lookup(chunk_id: str) -> str | None:
        found = index.get([chunk_id])
        return found[0].text if found else None

    return lookup


def _describe_settings(assistant: AnswersQuestions) -> dict:
    """The settings that decide the figures, recorded next to them."""
    settings = getattr(assistant, "settings", None)
    if settings is None:
        return {}
    names = (
        "embedding_model",
        "embedding_backend",
        "chunk_size",
        "chunk_overlap",
        "top_k",
        "llm_model",
    )
    return {name: _plain(getattr(settings, name, None)) for name in names}


def _plain(value):
    return value if value is None or isinstance(value, int | float | str | bool) else str(value)
