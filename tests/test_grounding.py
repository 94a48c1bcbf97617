"""A generated answer passes only if everything checkable in it is in the passages it cites."""

from __future__ import annotations

import pytest

from assistant.grounding import (
    check_agreement,
    check_grounding,
    cited_markers,
    is_abstention,
    quantities_in,
)
from assistant.records import ABSTENTION

PASSAGES = {
    1: (
        "平成 24 年 11 月 20 日、津市とパリ地域経済開発局（ARD：Agence Régionale de "
        "Développement Paris Île-de-France）との間で、経済交流に関する協力協定を締結し、"
        "翌２１日には津市とジュネーブ州産業振興機構（OPI）との間で協定を締結しました。"
    ),
    2: "市内中小企業７社が参加の下、欧州ミッション団としてフランスやスイス・ドイツを訪問しました。",
    3: "前葉市長は「今後も交流を続けたい」と述べました。参加企業は二十社を超える見込みです。",
}


def test_a_faithful_answer_is_grounded():
    answer = "津市は平成24年11月20日にパリ地域経済開発局（ARD）と協力協定を締結しました[1]。"
    assert check_grounding(answer, PASSAGES) == []


@pytest.mark.parametrize(
    "answer",
    [
        "協定は2012年11月20日に締結されました[1]。",  # 西暦 for the report's 平成24年
        "協定は平成24年11月21日に締結されました[1]。",
        "７社が参加しました[2]。",  # full-width digits in the answer
        "7社が参加しました[2]。",
        "ＯＰＩと協定を結びました[1]。",  # full-width Latin letters
        "二十社を超える見込みです[3]。",
        "20社を超える見込みです[3]。",  # kanji numeral in the source
        "前葉市長が交流の継続を望みました[3]。",
    ],
)
def test_numbers_dates_and_names_may_be_written_differently(answer):
    assert check_grounding(answer, PASSAGES) == []


def test_an_invented_number_is_rejected():
    problems = check_grounding("市内中小企業8社が参加しました[2]。", PASSAGES)
    assert problems == ["数値「8社」が引用元にありません"]


def test_an_invented_year_in_either_calendar_is_rejected():
    assert check_grounding("協定は平成25年11月20日に締結されました[1]。", PASSAGES)
    assert check_grounding("協定は2013年11月20日に締結されました[1]。", PASSAGES)


def test_an_invented_kanji_count_is_rejected():
    assert check_grounding("八社が参加しました[2]。", PASSAGES)


def test_a_fact_from_an_uncited_passage_does_not_count():
    # 7社 is in passage 2, but the answer cites passage 1 for it.
    assert check_grounding("市内中小企業7社が参加しました[1]。", PASSAGES)


@pytest.mark.parametrize(
    ("answer", "name"),
    [
        ("津市はロンドンの機関と協定を結びました[1]。", "ロンドン"),
        ("協定の相手はBerlin Partnerです[1]。", "Berlin"),
        ("津市はリヨン州産業振興機構と協定を結びました[1]。", "リヨン州産業振興機構"),
        ("津市はジュネーブ州経済局と協定を結びました[1]。", "ジュネーブ州経済局"),
        ("田中市長が協定に署名しました[1]。", "田中市長"),
    ],
)
def test_an_invented_name_is_rejected(answer, name):
    problems = check_grounding(answer, PASSAGES)
    assert any(name in problem for problem in problems), problems


def test_ordinary_words_and_pointers_back_are_not_treated_as_names():
    answer = "同市は両都市の企業の交流のため、ジュネーブ州産業振興機構と協定を結びました[1]。"
    assert check_grounding(answer, PASSAGES) == []


def test_a_citation_of_a_passage_the_model_was_not_shown_is_rejected():
    problems = check_grounding("協定を締結しました[4]。", PASSAGES)
    assert problems == ["[4] は提示された資料にありません"]


def test_an_answer_without_any_citation_is_rejected():
    assert check_grounding("協定を締結しました。", PASSAGES) == [
        "回答が資料を一つも引用していません"
    ]


@pytest.mark.parametrize("answer", ["[1]", "[1]。", " [1][2] "])
def test_an_answer_that_is_only_citation_markers_is_rejected(answer):
    assert check_grounding(answer, PASSAGES) == ["回答に引用番号しかありません"]


def test_the_abstention_sentence_passes_without_citations():
    assert check_grounding(ABSTENTION, PASSAGES) == []
    assert is_abstention(f" {ABSTENTION}\n")
    assert not is_abstention(f"{ABSTENTION}ただし津市は2015年に協定を結びました。")


def test_an_abstention_followed_by_a_claim_is_checked_like_any_answer():
    assert check_grounding(f"{ABSTENTION}ただし2015年に協定を結びました。", PASSAGES)


def test_cited_markers_are_distinct_in_order_and_read_full_width():
    assert cited_markers("A[2]。B[1]。C[2]。D［３］") == [2, 1, 3]


def test_quantities_keep_their_units_and_read_kanji_and_era_years():
    assert {(2012, "年"), (11, "月"), (20, "日"), (21, "日")} <= quantities_in(
        "平成 24 年 11 月 20 日、翌21日"
    )
    assert (1000, "人") in quantities_in("1,000人")
    assert (7, "社") in quantities_in("七社")
    assert (3, "か国") in quantities_in("3カ国")
    assert not quantities_in("統一して一緒に十分な")


def test_a_number_must_come_with_the_same_unit():
    # The passage has 7社 and the days 16, 20, 21, 25: a 1社 or 20社 is not supported by them.
    assert check_grounding("市内中小企業20社が参加しました[2]。", {2: MISSION_WITH_DATES})
    assert check_grounding("16社が参加しました[2]。", {2: MISSION_WITH_DATES})
    assert check_grounding("7社が参加しました[2]。", {2: MISSION_WITH_DATES}) == []


MISSION_WITH_DATES = (
    "平成24年11月16日から25日にかけて、市内中小企業７社が参加しました。20日と21日に協定。"
)


# -- agreement with the extractive reader ---------------------------------------------------


def test_an_answer_agrees_when_it_states_the_readers_date_in_either_calendar():
    for said in ("2012年11月21日に締結しました[1]。", "平成24年11月21日です[1]。"):
        assert check_agreement(said, "平成２４年１１月２１日", "", {1: ""}) == [], said


def test_an_answer_with_another_number_than_the_reader_disagrees():
    [problem] = check_agreement("12社が参加しました[1]。", "７社", "", {1: ""})
    assert "7社" in problem


def test_a_list_agrees_whatever_separates_its_items():
    assert (
        check_agreement(
            "展示会視察とビジネスマッチング[1]", "展示会視察、ビジネスマッチング", "", {}
        )
        == []
    )
    assert check_agreement("展示会視察です[1]", "展示会視察、ビジネスマッチング", "", {})


def test_a_list_answer_must_keep_every_item_not_only_its_names():
    stated = "展示会視察、現地企業訪問、ビジネスマッチングなど"
    full = "展示会視察や現地企業訪問、ビジネスマッチングを行いました[1]。"
    assert check_agreement(full, stated, "", {}) == []
    problems = check_agreement("ビジネスマッチングなどを行いました[1]。", stated, "", {})
    assert len(problems) == 2
    assert "展示会視察" in problems[0] and "現地企業訪問" in problems[1]


def test_an_item_joined_by_a_middle_dot_stays_one_item():
    stated = "メカトロニクス、医療・福祉機器関連、環境・エネルギー"
    said = "メカトロニクス、医療福祉機器関連、環境とエネルギーの分野です[1]。"
    assert check_agreement(said, stated, "", {}) == []
    assert check_agreement("メカトロニクスとエネルギーの分野です[1]。", stated, "", {})


def test_a_quoted_answer_must_cite_the_passage_holding_the_readers_sentence():
    passages = {1: "協定を締結しました。", 2: "展示会を視察しました。"}
    assert check_agreement("展示会を視察した[2]。", "", "展示会を視察しました。", passages) == []
    assert check_agreement("協定を締結した[1]。", "", "展示会を視察しました。", passages)


def test_a_weekday_the_reader_stated_must_be_in_the_answer():
    stated = "金曜日（2012年（平成24年）11月16日）"
    assert check_agreement("平成24年11月16日（金曜日）に出発しました[1]。", stated, "", {}) == []
    assert check_agreement("平成24年11月16日に出発しました[1]。", stated, "", {})


# -- quotations ------------------------------------------------------------------------------


def test_words_in_quotation_marks_must_be_the_reports_own():
    assert check_grounding("市長は「今後も交流を続けたい」と述べました[3]。", PASSAGES) == []
    # spliced from two sentences of the same passage: every word occurs, the quote does not
    [problem] = check_grounding(
        "市長は「今後も交流を続けたい。参加企業は二十社を超える」と述べました[3]。", PASSAGES
    )
    assert "引用" in problem
    # the quote is real, but in a passage the answer does not cite
    assert check_grounding("市長は「今後も交流を続けたい」と述べました[1]。", PASSAGES)


def test_a_quotation_matches_across_the_spaces_and_breaks_of_pdf_text():
    said = "「平成24年11月20日、津市とパリ地域経済開発局」と書かれています[1]。"
    assert check_grounding(said, PASSAGES) == []


def test_when_the_reader_answered_with_someones_words_the_answer_must_repeat_them():
    stated = "「今後も交流を続けたい」"
    assert check_agreement("市長は「今後も交流を続けたい」と述べました[3]。", stated, "", {}) == []
    assert check_agreement("市長は交流の継続を望んでいます[3]。", stated, "", {})
