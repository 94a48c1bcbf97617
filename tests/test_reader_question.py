"""What the reader reads off a question: its kind, its terms, the counter or place asked."""

import pytest

from assistant.reader.question import ENTITY, NOUN, VERB, analyse, is_entity, key_terms


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("津市がOPIと協定を結んだのはいつ？", "when"),
        ("欧州ミッション団には何社参加しましたか？", "count"),
        ("協定に署名した学長は誰？", "who"),
        ("調印式はどこで行われましたか？", "where"),
        ("ミッション団が訪問した国は？", "list"),
        ("なぜ欧州との交流を始めたのですか？", "why"),
        ("ARDは何の略ですか？", "naming"),
        ("派遣期間はいつからいつまでですか？", "period"),
        ("市長は調印式で何と述べましたか？", "quote"),
        ("調印式は何語で行われましたか？", "language"),
        ("訪問した都市をすべて挙げてください。", "list"),
        ("協定の有効期間は何年間ですか？", "period"),
        ("予算はいくらですか？", "count"),
    ],
)
def test_the_question_word_decides_the_kind(question, kind):
    assert analyse(question).kind == kind


def test_full_width_letters_and_marks_read_the_same():
    assert analyse("ＡＲＤの正式名称は？").kind == analyse("ARDの正式名称は?").kind == "naming"


def test_key_terms_drop_particles_question_words_and_politeness():
    terms = key_terms("津市がOPIと協定を結んだのはいつ？")
    assert [t.text for t in terms] == ["津市", "OPI", "協定", "結ん"]
    assert [t.kind for t in terms] == [ENTITY, ENTITY, NOUN, VERB]


def test_a_mayor_is_a_city_and_a_title():
    assert [t.text for t in key_terms("松阪市長は何と述べましたか")][:2] == ["松阪市", "市長"]


def test_names_are_places_abbreviations_katakana_and_bodies():
    assert all(is_entity(t) for t in ("OPI", "ジュネーブ", "津市", "ジュネーブ州", "産業振興機構"))
    assert not any(is_entity(t) for t in ("協定", "都市", "各国", "同市"))


@pytest.mark.parametrize(
    ("question", "counter_kind"),
    [
        ("何社が参加しましたか", "count_companies"),
        ("参加人数は？", "count_people"),
        ("事業の予算はいくらですか", "money"),
        ("何か国を訪問しましたか", "count_countries"),
        ("有効回答は何件でしたか", "count_items"),
        ("輸出額は前年比何%でしたか", "percent"),
    ],
)
def test_the_counter_asked_for(question, counter_kind):
    assert analyse(question).counter_kind == counter_kind


def test_the_kind_of_place_asked_for():
    assert analyse("どの国を訪問しましたか").place_kind == "country"
    assert analyse("調印式はどの都市で行われましたか").place_kind == "city"
    assert analyse("姉妹提携している州はどこ？").place_kind == "region"


def test_the_predicate_is_what_the_asked_thing_attaches_to():
    assert analyse("津市がARDと協定を締結したのはいつですか").predicate.text == "締結"
    assert analyse("協定に署名した学長は誰？").focus == "学長"


def test_the_end_or_start_of_a_period():
    assert analyse("日程が終わったのは何日？").asks_end
    assert analyse("派遣は何曜日から始まりましたか").asks_start
    assert analyse("派遣は何曜日から始まりましたか").asks_weekday
