"""An assistant that remembers its answers, so a test can reuse them instead of asking again."""

from __future__ import annotations

from collections.abc import Sequence

from assistant.evaluation.questions import Question
from assistant.records import Answer


class RecordingAssistant:
    """Answers as the wrapped assistant does (everything else is the wrapped assistant's
    too) and keeps the latest answer to each question asked without a history.

    The evaluation gate asks 793 development questions on the full index for its figures;
    the stability check needs exactly those answers, so it takes them from here rather than
    asking the same questions of the same index a second time.
    """

    def __init__(self, assistant) -> None:
        self._assistant = assistant
        self._answers: dict[str, Answer] = {}

    def ask(self, question: str, history=(), **options) -> Answer:
        answer = self._assistant.ask(question, history, **options)
        if not history and not options:
            self._answers[question] = answer
        return answer

    def answers_to(self, questions: Sequence[Question]) -> dict[str, Answer]:
        """id -> the recorded answer of each question (every one must have been asked)."""
        missing = [q.id for q in questions if q.question not in self._answers]
        if missing:
            raise KeyError(f"never asked without a history: {missing[:10]}")
        return {q.id: self._answers[q.question] for q in questions}

    def __getattr__(self, name: str):
        return getattr(self._assistant, name)
