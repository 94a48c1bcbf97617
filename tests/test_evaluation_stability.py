"""Answer stability: unrelated reports must not change an answer."""

from dataclasses import replace

from assistant.evaluation.questions import Question
from assistant.evaluation.stability import compare, unrelated
from assistant.records import Answer, Citation


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


def quoted(text, *, hedged=False, abstained=False):
    citation = Citation(1, "tsu.txt", "t", "", None, "c1", text, 0, len(text), text)
    return Answer(
        answer=f"x\n[1] 「{text}」",
        abstained=abstained,
        hedged=hedged,
        citations=[] if abstained else [citation],
        related=[citation] if abstained else [],
    )


def test_a_hedged_answer_is_the_same_when_its_first_candidate_is():
    questions = [Question(id="q1", question="津市がARDと協定を結んだのはいつ？")]
    same = compare(
        questions,
        {"q1": quoted("11月20日に締結した。", hedged=True)},
        {"q1": replace(quoted("11月20日に締結した。", hedged=True), answer="other candidates")},
        ["別府市の外国人観光客調査"],
    )
    assert same.answer_stability == 1.0
    moved = compare(
        questions,
        {"q1": quoted("11月20日に締結した。", hedged=True)},
        {"q1": quoted("別府市の調査は7月に行った。", hedged=True)},
        ["別府市の外国人観光客調査"],
    )
    assert moved.answer_stability == 0.0


def test_a_change_of_tier_is_a_changed_answer():
    questions = [Question(id="q1", question="津市がARDと協定を結んだのはいつ？")]
    result = compare(
        questions,
        {"q1": quoted("11月20日に締結した。", abstained=True)},
        {"q1": quoted("11月20日に締結した。", hedged=True)},
        ["別府市の外国人観光客調査"],
    )
    assert result.answer_stability == 0.0


def test_a_question_naming_nothing_is_held_only_to_its_sure_answers():
    questions = [Question(id="q1", question="現地で商談相手になった企業の数は？")]
    added = ["別府市の外国人観光客調査"]
    hedged = compare(
        questions,
        {"q1": quoted("16社と商談した。", abstained=True)},
        {"q1": quoted("19社と商談した。", hedged=True)},
        added,
    )
    assert hedged.compared == 0  # ambiguous in a larger index: another report may be meant
    sure = compare(
        questions, {"q1": quoted("16社と商談した。")}, {"q1": quoted("19社と商談した。")}, added
    )
    assert sure.compared == 1 and sure.answer_stability == 0.0
