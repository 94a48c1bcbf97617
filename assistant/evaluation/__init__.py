"""Evaluation of the assistant against question sets whose answers are known.

``questions`` loads and validates JSONL question files, ``runner`` asks every question the
way the chat does, ``metrics`` scores the answers, ``outcomes`` names what became of each,
``report`` prints and writes the results, ``baseline`` measures the naive pipeline for
comparison, ``compare`` sets the LLM modes side by side, ``stability`` checks that unrelated
reports change no answer, ``cli`` is ``python -m assistant evaluate``.
"""

from ingest.public import lazy_exports

_EXPORTS = {
    "Question": "assistant.evaluation.questions",
    "QuestionFileError": "assistant.evaluation.questions",
    "load_questions": "assistant.evaluation.questions",
    "evaluate": "assistant.evaluation.runner",
    "EvaluationResult": "assistant.evaluation.metrics",
    "QuestionResult": "assistant.evaluation.metrics",
    "OUTCOMES": "assistant.evaluation.outcomes",
    "OVERALL_METRICS": "assistant.evaluation.report",
    "LLM_METRICS": "assistant.evaluation.report",
    "format_table": "assistant.evaluation.report",
    "format_value": "assistant.evaluation.report",
    "write_report": "assistant.evaluation.report",
    "COLUMNS": "assistant.evaluation.compare",
    "assistants_by_mode": "assistant.evaluation.compare",
    "best": "assistant.evaluation.compare",
    "compare_modes": "assistant.evaluation.compare",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
