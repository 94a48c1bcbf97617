"""The vocabulary file: every word list says where it came from, and lists agree."""

import tomllib

from assistant.vocabulary import VOCABULARY, VOCABULARY_FILE


def test_every_section_says_where_its_words_came_from():
    data = tomllib.loads(VOCABULARY_FILE.read_text(encoding="utf-8"))
    sections = [name for name in data if name != "counters"] + ["counters"]
    missing = [name for name in sections if "source" not in data[name]]
    assert not missing, f"sections without a source: {missing}"


def test_every_counter_has_a_kind_and_every_kind_counter_is_known():
    data = tomllib.loads(VOCABULARY_FILE.read_text(encoding="utf-8"))
    kinds = {c for counters in data["counters"]["kinds"].values() for c in counters}
    assert set(VOCABULARY.counters) <= kinds | {"割"}, set(VOCABULARY.counters) - kinds
    assert VOCABULARY.counter_kind("社") == "count_companies"
    assert VOCABULARY.counter_kind("万円") == "money"


def test_places_by_name_and_by_suffix():
    assert VOCABULARY.place_kind("フランス") == "country"
    assert VOCABULARY.place_kind("ジュネーブ州") == "region"
    assert VOCABULARY.place_kind("四日市市") == "city"
    assert VOCABULARY.place_kind("同市") == ""


def test_synonyms_stand_for_each_other():
    assert "企業" in VOCABULARY.variants("会社")
    assert "地元企業" in VOCABULARY.variants("市内企業")
