"""The learned reader, as users meet it: answers quote the sentence they came from, facts
the reports do not state get an abstention with the closest passages, and a report that has
nothing to do with a question never changes its answer."""

from __future__ import annotations

import pytest

from assistant.reader import SENTENCE_INTRO, LearnedReader
from assistant.reader.model import load_model
from assistant.records import ABSTENTION, LIKELY_INTRO, TIER_ANSWER, TIER_LIKELY, TIER_NONE
from tests.support.passages import passage

AGREEMENTS = (
    "平成 24 年 11 月 20 日、津市とパリ地域経済開発局（ARD）との間で、経済交流に関する協力協定を"
    "締結しました。翌２１日には津市とジュネーブ州産業振興機構（OPI）との間で協定を締結しました。"
)
MISSION = (
    "平成 24 年 11 月 16 日から 25 日にかけて、市内中小企業７社が参加の下、欧州ミッション団として"
    "フランスやスイス・ドイツを訪問しました。展示会視察やビジネスマッチングを実施しました。"
)
UNIVERSITY = (
    "令和5年6月2日、北海大学の佐藤花子学長が協定書に署名した。協定の有効期間は5年間である。"
)
SURVEY = "調査は令和元年7月から12月まで実施し、有効回答数は1,284件であった。"


@pytest.fixture(scope="module")
def reader():
    return LearnedReader()


@pytest.fixture
def passages():
    return [
        passage(AGREEMENTS, 1),
        passage(MISSION, 2),
        passage(
            UNIVERSITY, 3, source="hokkai_2023_agreement.txt", title="北海大学との学術交流協定"
        ),
    ]


def test_an_answer_quotes_verbatim_the_sentence_it_came_from(reader, passages):
    answer = reader.answer("協定に署名した学長は誰？", passages, threshold=0.0)
    assert not answer.abstained
    cited = answer.citations[0]
    assert cited.text in cited.chunk_text
    assert cited.chunk_text[cited.quote_start : cited.quote_end] == cited.text
    assert "佐藤花子" in cited.text


def test_a_short_answer_states_the_span_and_a_quote_answer_introduces_it(reader, passages):
    answer = reader.answer("欧州ミッション団には何社参加しましたか？", passages, threshold=0.0)
    statement = answer.answer.splitlines()[0]
    if answer.stated:
        assert statement == f"{answer.stated}です。[1]" and "7社" in statement
    else:
        assert statement == SENTENCE_INTRO and "７社" in answer.citations[0].text


def test_a_fact_the_passages_do_not_hold_gets_an_abstention_with_related_passages(reader, passages):
    answer = reader.answer("津市の人口は何人ですか？", passages, likely_threshold=1.01)
    assert answer.abstained and answer.answer == ABSTENTION and not answer.citations
    assert answer.tier == TIER_NONE
    assert 1 <= len(answer.related) <= 3
    assert all(c.text in c.chunk_text for c in answer.related)


def test_no_passages_means_an_abstention(reader):
    answer = reader.answer("津市がARDと協定を結んだのはいつ？", [])
    assert answer.abstained and answer.related == []


def test_the_thresholds_decide_between_the_three_tiers(reader, passages):
    question = "協定に署名した学長は誰？"
    assert reader.answer(question, passages, threshold=0.0).tier == TIER_ANSWER
    unsure = reader.answer(question, passages, threshold=1.01, likely_threshold=0.0)
    assert unsure.tier == TIER_LIKELY and not unsure.abstained
    silent = reader.answer(question, passages, threshold=1.01, likely_threshold=1.01)
    assert silent.tier == TIER_NONE and silent.abstained
    answer = reader.answer(question, passages)
    assert 0.0 <= answer.support <= 1.0 and 0.0 <= answer.answerable <= 1.0


def test_an_unsure_reader_says_so_and_shows_its_best_sentence_first(reader, passages):
    answer = reader.answer("協定に署名した学長は誰？", passages, threshold=1.01, likely_threshold=0)
    assert answer.lead == LIKELY_INTRO and answer.answer.startswith(LIKELY_INTRO)
    # the reader's ranking, not retrieval order: the university's passage is retrieved third
    assert "佐藤花子" in answer.citations[0].text
    texts = [c.text for c in answer.citations]
    assert 1 <= len(texts) <= 3 and len(set(texts)) == len(texts)
    assert not answer.stated  # nothing is stated as a fact when the reader is unsure


def test_the_span_a_short_answer_states_is_marked_inside_its_quote(reader, passages):
    for threshold in (0.0, 1.01):  # whether stated as sure or shown as likely
        answer = reader.answer(
            "欧州ミッション団には何社参加しましたか？",
            passages,
            threshold=threshold,
            likely_threshold=0.0,
        )
        quote = answer.citations[0]
        assert quote.mark is not None
        start, end = quote.mark
        assert quote.text[start:end] == "７社"


def test_the_passage_that_answers_scores_highest(reader, passages):
    scores = reader.passage_scores("協定に署名した学長は誰？", passages)
    assert scores.index(max(scores)) == 2


@pytest.mark.parametrize(
    "question",
    [
        "協定に署名した学長は誰？",
        "欧州ミッション団には何社参加しましたか？",
        "津市の人口は何人ですか？",
    ],
)
def test_an_unrelated_report_added_or_removed_changes_no_answer(reader, passages, question):
    unrelated = passage(
        SURVEY, 9, source="beppu_2019_survey.txt", title="別府市外国人観光客動向調査"
    )
    alone = reader.answer(question, passages)
    assert reader.answer(question, [*passages, unrelated]).answer == alone.answer
    assert reader.answer(question, [unrelated, *passages]).answer == alone.answer


def test_the_committed_model_has_its_thresholds_and_validation_figures():
    model = load_model()
    assert 0.0 < model.threshold < 1.0 and 0.0 < model.span_threshold <= 1.0
    assert model.metadata["held_out"], "train-reader records how the model did on held-out reports"
    assert not any("blind" in name for name in model.metadata["question_files"])
