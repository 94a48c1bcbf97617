"""tests/support/answers.py: the evaluation gate reuses recorded answers only when they are
the answers a fresh question would get."""

import pytest

from assistant.evaluation.questions import Question
from assistant.records import Answer
from tests.support.answers import RecordingAssistant


class CountingAssistant:
    """Answers with the question and how many questions came before it."""

    settings = "the wrapped assistant's settings"

    def __init__(self):
        self.asked = 0

    def ask(self, question, history=(), *, sources=None):
        self.asked += 1
        return Answer(answer=f"{question} #{self.asked}", abstained=False)


def test_answers_asked_without_a_history_are_kept_and_given_back_by_id():
    recording = RecordingAssistant(CountingAssistant())
    recording.ask("一つ目？")
    recording.ask("二つ目？", history=())
    questions = [Question(id="q2", question="二つ目？"), Question(id="q1", question="一つ目？")]
    assert {k: a.answer for k, a in recording.answers_to(questions).items()} == {
        "q2": "二つ目？ #2",
        "q1": "一つ目？ #1",
    }


def test_answers_in_a_conversation_or_within_chosen_reports_are_not_kept():
    recording = RecordingAssistant(CountingAssistant())
    recording.ask("その人は？", history=[("前の質問", "前の答え")])
    recording.ask("いつ？", sources=["a.txt"])
    with pytest.raises(KeyError, match="q1"):
        recording.answers_to([Question(id="q1", question="その人は？")])
    with pytest.raises(KeyError, match="q2"):
        recording.answers_to([Question(id="q2", question="いつ？")])


def test_everything_else_is_the_wrapped_assistants():
    wrapped = CountingAssistant()
    recording = RecordingAssistant(wrapped)
    assert recording.settings == wrapped.settings
    assert recording.ask("質問？").answer == "質問？ #1" and wrapped.asked == 1
