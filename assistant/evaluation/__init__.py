"""Evaluation of the assistant against question sets whose answers are known.

``questions`` loads and validates JSONL question files, ``runner`` asks every question the
way the chat does, ``metrics`` scores the answers, ``report`` prints and writes the results,
``baseline`` measures the naive pipeline for comparison, ``cli`` is ``python -m assistant
evaluate``.
"""
