"""The abstention threshold comes from the question sets, reproducibly."""

from __future__ import annotations

import pytest

from assistant.calibration import (
    DEFAULT_QUESTIONS,
    Observation,
    choose_threshold,
    load_min_support,
    observe,
)


def accuracy_at(threshold: float, observations) -> float:
    right = sum(
        (o.support >= threshold and o.correct) if o.answerable else o.support < threshold
        for o in observations
    )
    return right / len(observations)


def test_threshold_separates_answerable_from_unanswerable():
    observations = [
        Observation(0.9, answerable=True, correct=True),
        Observation(0.7, answerable=True, correct=True),
        Observation(0.3, answerable=False, correct=False),
        Observation(0.2, answerable=False, correct=False),
    ]
    result = choose_threshold(observations)
    assert 0.3 < result.min_support <= 0.7
    assert result.accuracy == 1.0


def test_wrong_answers_do_not_pull_the_threshold_down():
    """A low-support answer that is wrong anyway is better declined."""
    observations = [
        Observation(0.8, answerable=True, correct=True),
        Observation(0.4, answerable=True, correct=False),
        Observation(0.35, answerable=False, correct=False),
    ]
    assert choose_threshold(observations).min_support > 0.4


def test_ties_take_the_widest_margin():
    observations = [Observation(0.9, True, True), Observation(0.1, False, False)]
    assert choose_threshold(observations).min_support == pytest.approx(0.5)


@pytest.mark.slow
def test_committed_threshold_is_what_calibration_chooses(evaluation_settings, embeddings):
    """Re-running the calibration on the question sets finds the committed threshold optimal."""
    from assistant.evaluation.questions import load_questions
    from assistant.service import Assistant

    observations = observe(
        Assistant(evaluation_settings, embeddings=embeddings), load_questions(DEFAULT_QUESTIONS)
    )
    best = choose_threshold(observations)
    committed = load_min_support()
    assert accuracy_at(committed, observations) == pytest.approx(best.accuracy), (
        f"committed min_support {committed} is no longer optimal (best {best.min_support:.4f}); "
        "run `python -m assistant calibrate --write`"
    )
