"""Answer stability: unrelated reports must not change an answer."""

from assistant.evaluation.questions import Question
from assistant.evaluation.stability import compare, unrelated
from assistant.records import Answer


def answer(text, abstained=False):
    return Answer(answer=text, abstained=abstained)


def test_a_report_naming_the_questions_city_is_related():
    assert not unrelated("津市がARDと協定を結んだのはいつ？", ["津市とARDの協定について"])
    assert unrelated("津市がARDと協定を結んだのはいつ？", ["別府市の外国人観光客調査"])


def test_only_questions_unrelated_to_the_added_reports_are_compared():
    questions = [
        Question(id="q1", question="津市がARDと協定を結んだのはいつ？"),
        Question(id="q2", question="別府市の調査の有効回答数は？"),
    ]
    before = {"q1": answer("11月20日です。"), "q2": answer("", abstained=True)}
    after = {"q1": answer("11月20日です。"), "q2": answer("1,284件です。")}
    result = compare(questions, before, after, ["別府市の外国人観光客調査。有効回答数は1,284件。"])
    assert result.compared == 1 and result.answer_stability == 1.0


def test_a_changed_answer_is_listed():
    questions = [Question(id="q1", question="津市がARDと協定を結んだのはいつ？")]
    result = compare(
        questions,
        {"q1": answer("11月20日です。")},
        {"q1": answer("11月21日です。")},
        ["別府市の外国人観光客調査"],
    )
    assert result.answer_stability == 0.0
    assert result.changed == [
        {
            "id": "q1",
            "question": questions[0].question,
            "before": "11月20日です。",
            "after": "11月21日です。",
        }
    ]
