"""Evaluation of the assistant against question sets whose answers are known.

``questions`` loads and validates JSONL question files, ``runner`` asks every question the
way the chat does, ``metrics`` scores the answers, ``outcomes`` names what became of each,
``report`` prints and writes the results, ``baseline`` measures the naive pipeline for
comparison, ``compare`` sets the LLM modes side by side, ``stability`` checks that unrelated
reports change no answer, ``cli`` is ``python -m assistant evaluate``.
"""

from ingest.public import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "assistant.evaluation.questions": ("Question", "QuestionFileError", "load_questions"),
        "assistant.evaluation.runner": ("evaluate",),
        "assistant.evaluation.metrics": ("EvaluationResult", "QuestionResult"),
        "assistant.evaluation.outcomes": ("OUTCOMES",),
        "assistant.evaluation.report": (
            "OVERALL_METRICS",
            "LLM_METRICS",
            "format_table",
            "format_value",
            "write_report",
        ),
        "assistant.evaluation.compare": ("COLUMNS", "assistants_by_mode", "best", "compare_modes"),
    },
)
