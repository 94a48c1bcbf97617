"""Japanese-aware tokens: what a keyword search on Japanese needs to match at all."""

import threading

import pytest

from ingest.tokenizer import DEFAULT_MODE, MODES, WORD_PREFIX, bigram_tokens, tokenize

SENTENCE = "平成２４年１１月２０日、津市とパリ地域経済開発局（ＡＲＤ）は協定を締結しました。"


def test_japanese_runs_become_overlapping_bigrams():
    assert bigram_tokens("協力協定", kanji_unigrams=False) == ["協力", "力協", "協定"]


@pytest.mark.parametrize("mode", ["bigram", "bigram+sudachi"])
def test_one_and_two_character_queries_share_tokens_with_the_text(mode):
    # Word tokenizers alone miss these (「津」 is not the word 「津市」): the bigram stream
    # with kanji unigrams is what makes short queries work.
    text_tokens = set(tokenize(SENTENCE, mode))
    for query in ["津", "局", "協定", "締結"]:
        assert set(tokenize(query, mode)) & text_tokens, query


@pytest.mark.parametrize("mode", MODES)
def test_full_width_digits_and_letters_match_half_width_queries(mode):
    text_tokens = set(tokenize(SENTENCE, mode))
    assert {"24", "11", "20", "ard"} <= text_tokens
    assert set(tokenize("11月20日", mode)) <= text_tokens


def test_half_width_katakana_matches_full_width():
    assert tokenize("ｼﾞｭﾈｰﾌﾞ", "bigram") == tokenize("ジュネーブ", "bigram")


def test_latin_words_stay_whole_and_lowercase():
    assert tokenize("Office de Promotion des Industries", "bigram") == [
        "office",
        "de",
        "promotion",
        "des",
        "industries",
    ]
    assert "régionale" in tokenize("Agence Régionale de Développement", "bigram")


@pytest.mark.parametrize("mode", MODES)
def test_punctuation_alone_gives_no_tokens(mode):
    assert tokenize("、。・（）「」！？ -- ", mode) == []
    assert tokenize("", mode) == []


def test_sudachi_gives_words_without_particles():
    words = tokenize("津市とパリの間で協定を締結しました", "sudachi")
    assert {"津市", "パリ", "協定", "締結"} <= set(words)
    assert "と" not in words and "を" not in words


def test_combined_mode_keeps_word_and_bigram_vocabularies_apart():
    tokens = tokenize("協定を締結", "bigram+sudachi")
    assert "協定" in tokens  # the bigram
    assert WORD_PREFIX + "協定" in tokens  # the word
    assert WORD_PREFIX + "ard" not in tokenize("ARD", "bigram+sudachi")  # Latin counted once


def test_tokens_never_contain_whitespace():
    for mode in MODES:
        assert all(t.split() == [t] for t in tokenize("New York と Île-de-France の 協定", mode))


def test_unknown_mode_is_a_clear_error():
    with pytest.raises(ValueError, match="bigram"):
        tokenize("協定", "mecab")


def test_default_mode_is_a_known_mode():
    assert DEFAULT_MODE in MODES


def test_sudachi_works_from_several_threads_at_once():
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def work():
        try:
            for _ in range(20):
                results.append(tokenize(SENTENCE, "sudachi"))
        except BaseException as exc:  # collected: a failure in a thread must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(results) == 80 and all(r == results[0] for r in results)


def test_entity_terms_are_the_names_a_question_mentions():
    from ingest.tokenizer import entity_terms

    assert entity_terms("四日市市とＢＩＷの覚書の有効期間は？") == ["四日市市", "biw"]
    assert "ジュネーブ" in entity_terms("ジュネーブの機関を率いているのは誰？")


def test_entity_terms_skip_common_words_and_question_words():
    from ingest.tokenizer import entity_terms

    assert entity_terms("ミッションに同行した地元の会社はいくつ？") == []
