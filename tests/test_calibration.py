"""The abstention threshold comes from the question sets, reproducibly."""

from __future__ import annotations

import pytest

from assistant.calibration import (
    DEFAULT_QUESTIONS,
    Observation,
    Thresholds,
    accuracy_with,
    calibrate_both,
    choose_threshold,
    load_thresholds,
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


def test_a_sentence_quoted_for_an_asked_span_gets_its_own_higher_threshold():
    """Unanswerable questions often reach a sentence on the topic without the asked date or
    name: those quotes need more support than answers stating a span."""
    observations = [
        Observation(0.9, True, True),
        Observation(0.4, True, True),
        Observation(0.2, False, False),
        Observation(0.6, True, True, quoted_for_span=True),
        Observation(0.5, False, False, quoted_for_span=True),
    ]
    result = calibrate_both(observations)
    assert result.min_support <= 0.4 and 0.5 < result.min_quote_support <= 0.6
    assert result.accuracy == 1.0
    assert choose_threshold(observations).accuracy < 1.0  # one threshold cannot do this


def test_the_quote_threshold_is_never_below_the_general_one():
    observations = [
        Observation(0.9, True, True),
        Observation(0.3, False, False),
        Observation(0.6, True, True, quoted_for_span=True),
    ]
    result = calibrate_both(observations)
    assert result.min_quote_support >= result.min_support


@pytest.mark.slow
def test_committed_thresholds_are_what_calibration_chooses(evaluation_settings, embeddings):
    """Re-running the calibration on the question sets finds the committed thresholds optimal."""
    from assistant.evaluation.questions import load_questions
    from assistant.service import Assistant

    observations = observe(
        Assistant(evaluation_settings, embeddings=embeddings), load_questions(DEFAULT_QUESTIONS)
    )
    best = calibrate_both(observations)
    committed = load_thresholds()
    assert accuracy_with(committed, observations) == pytest.approx(best.accuracy), (
        f"committed thresholds {committed} are no longer optimal (best {best.min_support:.4f}, "
        f"{best.min_quote_support:.4f}); run `python -m assistant calibrate --write`"
    )
    assert accuracy_with(Thresholds(best.min_support, best.min_support), observations) <= (
        best.accuracy
    )
