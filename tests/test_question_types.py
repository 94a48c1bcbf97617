"""Question types and key terms: what a question asks for and what it is about."""

import pytest

from assistant.question_types import QuestionType, classify, is_entity, key_terms


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("津市がOPIと協定を結んだのはいつ？", QuestionType.WHEN),
        ("津市とOPIの協力協定の締結日は？", QuestionType.WHEN),
        ("欧州ミッション団の派遣期間は？", QuestionType.WHEN),
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
