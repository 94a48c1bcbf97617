"""Question types and key terms: what a question asks for and what it is about."""

import pytest

from assistant.question_types import (
    QuestionType,
    asked_counter,
    classify,
    is_entity,
    key_terms,
    term_variants,
)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("津市がOPIと協定を結んだのはいつ？", QuestionType.WHEN),
        ("津市とOPIの協力協定の締結日は？", QuestionType.WHEN),
        ("欧州ミッション団の派遣期間は？", QuestionType.DURATION),
        ("欧州ミッション団には何社参加しましたか？", QuestionType.COUNT),
        ("関係者は何名でしたか", QuestionType.COUNT),
        ("予算額はいくらでしたか？", QuestionType.COUNT),
        ("OPIの代表は誰ですか？", QuestionType.WHO),
        ("ARDの担当部長の名前は？", QuestionType.WHO),
        ("日仏8者間の協定はどこで締結されましたか？", QuestionType.WHERE),
        ("ARDは何の略ですか？", QuestionType.WHAT),
        ("ARDの正式名称は？", QuestionType.WHAT),
        ("協定ではどの分野で連携しますか？", QuestionType.WHICH_FIELDS),
        ("なぜ欧州との経済交流を始めたのですか？", QuestionType.WHY),
        ("内需だけに頼らない理由は？", QuestionType.WHY),
        ("今後どのように支援していきますか？", QuestionType.HOW),
        ("ミッション団が訪問した国をすべて挙げてください", QuestionType.LIST),
        ("欧州ミッション団はどこを訪問しましたか？", QuestionType.LIST),
        ("津市はOPIと協定を結びましたか？", QuestionType.YES_NO),
        ("協定について教えて", QuestionType.OTHER),
    ],
)
def test_classify(question, expected):
    assert classify(question) == expected


def test_full_width_question_marks_and_letters_classify_the_same():
    assert classify("ＯＰＩの代表は誰ですか？") == QuestionType.WHO


def test_a_question_word_is_never_a_yes_no_question():
    assert classify("その人は何と発言しましたか？") != QuestionType.YES_NO


def test_key_terms_drop_particles_question_words_and_politeness():
    assert key_terms("津市がOPIと協定を結んだのはいつ？") == ["津市", "OPI", "協定", "結ん"]


def test_key_terms_drop_counter_questions_but_keep_the_verb_noun():
    assert key_terms("欧州ミッション団には何社参加しましたか？") == ["欧州ミッション団", "参加"]


def test_key_terms_normalise_full_width_letters():
    assert key_terms("ＡＲＤの正式名称は？") == ["ARD"]


def test_key_terms_keep_names_with_joiners():
    assert "ピエール=フランソワ・アンジェ" in key_terms(
        "ピエール＝フランソワ・アンジェ氏は何と述べましたか"
    )


def test_asking_verbs_are_not_terms():
    assert key_terms("寄稿者の名前を教えてください") == ["寄稿者"]


def test_entities_are_names_not_common_words():
    assert is_entity("OPI")
    assert is_entity("ジュネーブ")
    assert is_entity("津市")
    assert not is_entity("協定")
    assert not is_entity("参加")


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("市長は調印式でどんな言葉を述べましたか？", QuestionType.QUOTE),
        ("代表は両地域の交流を何にたとえましたか？", QuestionType.QUOTE),
        ("市長はどのことわざを引きましたか？", QuestionType.QUOTE),
        ("協定の有効期間は何年ですか？", QuestionType.DURATION),
        ("ミッション団の派遣期間は？", QuestionType.DURATION),
        ("調印式に同席したJETROの事務所は？", QuestionType.ORGANISATION),
        ("太陽集熱パネルに関わるスイスの会社はどこ？", QuestionType.ORGANISATION),
        ("参加した7社の社名を教えてください。", QuestionType.ORGANISATION),
        ("SRB ENERGY RESERCHはどこの企業ですか？", QuestionType.WHERE),
        ("ミッション団が訪問した国はどこですか？", QuestionType.LIST),
    ],
)
def test_classify_quotes_durations_and_organisations(question, expected):
    assert classify(question) == expected


def test_a_name_run_together_with_an_action_is_split():
    assert key_terms("ミッション団はトゥールーズ訪問中に何社と商談しましたか？") == [
        "ミッション団",
        "トゥールーズ",
        "訪問",
        "商談",
    ]


def test_a_mayor_is_split_into_city_and_title():
    assert key_terms("松阪市長は何と述べましたか")[:2] == ["松阪市", "市長"]


def test_a_city_whose_name_ends_in_shi_keeps_its_whole_name():
    assert key_terms("四日市市ドイツ経済ミッション団の派遣期間は？")[0] == "四日市市"


def test_paraphrase_variants_cover_common_report_wording():
    assert "企業" in term_variants("会社")
    assert "市内企業" in term_variants("地元企業")
    assert "締結" in term_variants("結ん")
    assert "欧州" in term_variants("ヨーロッパ")
    assert term_variants("協定") == ("協定",)


@pytest.mark.parametrize(
    ("question", "counter"),
    [
        ("欧州ミッション団には何社参加しましたか？", "社"),
        ("ミッションに同行した地元の会社はいくつ？", "社"),
        ("現地で商談相手になった企業の数は？", "社"),
        ("3年前に欧州へ行ったときの参加人数は？", "名"),
        ("SRB ENERGY RESERCHの従業員数は？", "名"),
        ("今回の欧州訪問で結んだ協定はいくつ？", "つ"),
        ("協定について教えて", None),
    ],
)
def test_the_counter_asked_for_comes_from_the_counted_noun(question, counter):
    assert asked_counter(question) == counter


def test_a_mayor_of_a_city_ending_in_shi_keeps_the_city_whole():
    assert key_terms("四日市市長は何にたとえましたか")[:2] == ["四日市市", "市長"]


def test_to_wa_meaning_with_is_not_a_what_is_question():
    assert classify("OPIとのレセプションで研究者とはどんな議論をしましたか？") is (
        QuestionType.WHICH_FIELDS
    )
    assert classify("ARDとは？") is QuestionType.WHAT


def test_the_noun_after_ikutsu_no_decides_the_counter():
    assert asked_counter("津市は中小企業の支援をいくつの観点から進めていますか？") == "つ"
    assert asked_counter("参加した会社はいくつ？") == "社"


def test_what_language_questions_want_a_language():
    assert classify("OPIとの協定書は何語で書かれていますか？") is QuestionType.LANGUAGE
    assert "語" not in key_terms("OPIとの協定書は何語で書かれていますか？")


def test_other_ways_of_asking_what_an_abbreviation_stands_for():
    for question in (
        "OPIのフルネームを教えてください",
        "DWFは何を指していますか？",
        "CERNとはどのような機関ですか？",
        "BIWという略語の元の名前は？",
    ):
        assert classify(question) is QuestionType.WHAT, question


def test_words_asking_for_a_full_name_are_not_key_terms():
    assert key_terms("OPIのフルネームを教えてください") == ["OPI"]
    assert key_terms("ADERLYの日本語名は何ですか？") == ["ADERLY"]


def test_a_kind_of_place_is_not_a_name():
    assert not is_entity("都市")
    assert not is_entity("各国")
    assert is_entity("四日市市")
    assert is_entity("津市")
