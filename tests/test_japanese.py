"""Japanese writing defined once: the character classes every module shares, and the marks
that end a sentence."""

from __future__ import annotations

import re

import pytest

from assistant import spans
from assistant.reader import question
from ingest import chunking, japanese, repair, tokenizer
from ingest.japanese import HIRAGANA, KANJI, KATAKANA, SENTENCE_ENDS


def is_class(chars: str, char: str) -> bool:
    return re.fullmatch(f"[{chars}]", char) is not None


@pytest.mark.parametrize("char", ["津", "協", "々", "〆", "ヶ", "ヵ", "𠮷", "﨑"])
def test_kanji_include_the_marks_and_rare_ideographs_names_use(char):
    assert is_class(KANJI, char)


@pytest.mark.parametrize("char", ["〇", "・", "ー", "あ", "ア", "A", "１"])
def test_kanji_exclude_kana_and_symbols(char):
    assert not is_class(KANJI, char)


def test_katakana_hold_the_long_vowel_mark_but_not_the_middle_dot():
    assert is_class(KATAKANA, "ー") and is_class(KATAKANA, "ジ")
    assert not is_class(KATAKANA, "・")
    assert is_class(HIRAGANA, "ゝ") and not is_class(HIRAGANA, "ア")


def test_every_module_uses_the_one_definition():
    assert spans.KANJI is japanese.KANJI
    assert question.KANJI is japanese.KANJI and question.KATAKANA is japanese.KATAKANA
    assert repair.SENTENCE_ENDS is chunking.SENTENCE_ENDS is SENTENCE_ENDS
    assert repair.CLOSING_BRACKETS is chunking.CLOSING_BRACKETS


def test_the_tokenizer_reads_kanji_as_the_reader_does():
    # ヶ is a kanji inside a name (霞ヶ関); 〇, a list bullet in minutes, is not
    assert tokenizer.bigram_tokens("霞ヶ関") == ["霞ヶ", "ヶ関", "霞", "ヶ", "関"]
    assert tokenizer.bigram_tokens("〇議事日程") == [
        "〇", "議事", "事日", "日程", "議", "事", "日", "程",
    ]  # fmt: skip


def test_sentences_end_where_the_splitter_and_the_repair_say():
    text = "協定を結んだ。「よろしく！」と述べた？次"
    sentences = [text[s.start : s.end] for s in chunking.split_sentences(text)]
    assert sentences == ["協定を結んだ。", "「よろしく！」と述べた？", "次"]
    assert repair._ends_sentence("会議を開いた。」") and not repair._ends_sentence("会議を")
