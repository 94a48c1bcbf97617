"""How the reader is trained: reports held apart, thresholds chosen on held-out predictions,
a wrong answer costing more than an abstention, the model stored as data."""

from __future__ import annotations

import json

import pytest

from assistant.evaluation.questions import Question
from assistant.reader import training
from assistant.reader.model import LogisticModel, ReaderModel
from tests.support.passages import passage

REPORTS = {
    "a.txt": "平成24年11月20日、津市とARDが協定を締結した。市内企業７社が参加した。",
    "b.txt": "平成26年5月22日、岡崎市とBRWが協定を締結した。市内企業8社が参加した。",
    "c.txt": "平成27年2月10日、鈴鹿市とTAPAが協定を締結した。市内企業5社が参加した。",
    "d.txt": "平成25年6月4日、松阪市とADERLYが協定を締結した。市内企業6社が参加した。",
    "e.txt": "平成28年4月13日、桑名市とDWFが協定を締結した。市内企業10社が参加した。",
}


def examples():
    made = []
    for source, text in REPORTS.items():
        city = text.split("、")[1][:3]
        for number, (question, expect) in enumerate(
            [
                (
                    f"{city}が協定を締結したのはいつ？",
                    text[:10].split("日")[0].split("月")[0] + "月",
                ),
                (f"{city}の企業は何社参加した？", text.split("企業")[1][:2]),
                (f"{city}の人口は？", None),
            ]
        ):
            q = Question(
                id=f"{source}-{number}",
                question=question,
                expect_any=(expect,) if expect else (),
                unanswerable=expect is None,
                source=source,
                file="dev.jsonl",
            )
            made.append(training.question_examples(q, [passage(text, source=source, title=source)]))
    return made


def test_a_reports_questions_are_never_split_across_folds():
    data = examples()
    folds = training._folds(data)
    for fold in folds:
        reports = {data[i].group for i in fold}
        others = {data[i].group for f in folds if f is not fold for i in f}
        assert not reports & others


def test_labels_say_which_sentence_holds_the_answer():
    example = examples()[1]  # a.txt, 何社: 「市内企業７社が参加した。」
    assert example.sentence_labels == [False, True]
    assert any(example.span_labels)


def test_unanswerable_questions_teach_only_negatives():
    example = examples()[2]
    assert not any(example.sentence_labels) and not any(example.span_labels)


def test_a_wrong_answer_costs_more_than_an_abstention():
    rights, answerable = [True, False, True], [True, True, True]
    confidence = [0.9, 0.6, 0.3]
    # answering the third (right) question would also answer the second (wrong) one
    assert training.choose_threshold(rights, answerable, confidence) > 0.6
    assert training.utility(rights, answerable, confidence, 0.65) > training.utility(
        rights, answerable, confidence, 0.2
    )


def test_the_answer_threshold_is_the_lowest_whose_answers_are_precise_enough():
    # 30 answers: the 20 most confident all right, then 10 of which 5 are wrong
    confidence = [0.95 - 0.01 * i for i in range(30)]
    rights = [True] * 20 + [True, False] * 5
    threshold = training.choose_precise_threshold(rights, confidence)
    given = [r for r, p in zip(rights, confidence, strict=True) if p >= threshold]
    assert sum(given) / len(given) >= training.ANSWER_PRECISION
    assert len(given) >= 20  # not the single most confident answer
    # lowering it one step would let the precision fall under the target
    lower = [r for r, p in zip(rights, confidence, strict=True) if p >= threshold - 0.02]
    assert sum(lower) / len(lower) < training.ANSWER_PRECISION


def test_no_answer_threshold_when_nothing_is_precise_enough():
    assert training.choose_precise_threshold([True, False] * 20, [0.9] * 40) is None


def test_the_likely_threshold_keeps_not_found_rare_on_answerable_questions():
    # 20 answerable questions not answered outright, 10 unanswerable; presence separates
    # them imperfectly
    answerable = [True] * 20 + [False] * 10
    answered = [False] * 30
    presence = [0.2 + 0.03 * i for i in range(20)] + [0.1 + 0.05 * i for i in range(10)]
    t = training.choose_likely_threshold(answerable, answered, presence)
    silent = sum(1 for can, p in zip(answerable, presence, strict=True) if can and p < t)
    assert silent / 20 <= training.MAX_NONE_ON_ANSWERABLE
    told = sum(1 for can, p in zip(answerable, presence, strict=True) if not can and p < t)
    assert told >= 3  # the cut-off is as high as the promise allows, not the lowest


def test_the_models_round_trip_through_json(tmp_path):
    model = ReaderModel(
        LogisticModel({"sent_all": 2.0}, -1.0),
        LogisticModel({"expected": 1.5}, 0.0),
        LogisticModel({"top": 0.5}, 0.1),
        threshold=0.6,
        span_threshold=0.8,
        presence=LogisticModel({"top": 0.3}, 0.0),
        likely_threshold=0.4,
        metadata={"held_out": {}},
    )
    path = tmp_path / "model.json"
    model.write(path)
    again = ReaderModel.from_dict(json.loads(path.read_text(encoding="utf-8")))
    assert again == model
    assert again.sentence.probability({"sent_all": 1.0}) == pytest.approx(0.7311, abs=1e-4)


def test_cross_validation_reports_every_question_file_it_was_given():
    report, _, decisions = training.cross_validate(examples())
    assert set(report) == {"dev.jsonl"}
    assert report["dev.jsonl"]["questions"] == 15
    assert 0.0 < decisions.threshold < 1.0 and 0.0 < decisions.span_threshold <= 1.0
    assert 0.0 < decisions.likely_threshold < 1.0
    assert {"none_on_answerable", "none_on_unanswerable", "answer_precision"} <= set(
        report["dev.jsonl"]
    )
