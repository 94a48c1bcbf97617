"""One spelling per character: radicals and compatibility ideographs become the unified
ideographs users type, letter-spaced PDF lines are written together, nothing else changes."""

from __future__ import annotations

import unicodedata

import pytest

from ingest.characters import (
    RADICAL_TABLE,
    join_letter_spacing,
    normalise_characters,
    normalise_pages,
    unify_ideographs,
)
from ingest.records import PageSpan

# The blocks of CJK Unified Ideographs (the main block and extensions A to H, Unicode 15).
UNIFIED_BLOCKS = (
    (0x4E00, 0x9FFF),
    (0x3400, 0x4DBF),
    (0x20000, 0x2A6DF),
    (0x2A700, 0x2B73F),
    (0x2B740, 0x2B81F),
    (0x2B820, 0x2CEAF),
    (0x2CEB0, 0x2EBEF),
    (0x30000, 0x3134F),
    (0x31350, 0x323AF),
)
# How PDFs printed from a browser with Noto CJK spell common kanji (issue 26).
RADICAL_SPELLINGS = {
    "⻲⼭市": "亀山市",
    "⼤学": "大学",
    "6⽉14⽇": "6月14日",
    "⾏程": "行程",
    "リヨン第三⼤学との間で協定を締結しました": "リヨン第三大学との間で協定を締結しました",
}


def table_rows() -> list[tuple[str, str]]:
    lines = RADICAL_TABLE.read_text(encoding="utf-8").splitlines()
    return [tuple(line.split("\t")[:2]) for line in lines if line and not line.startswith("#")]


def is_unified_ideograph(char: str) -> bool:
    return any(low <= ord(char) <= high for low, high in UNIFIED_BLOCKS)


@pytest.mark.parametrize(("extracted", "typed"), RADICAL_SPELLINGS.items())
def test_radicals_from_pdf_fonts_become_the_kanji_users_type(extracted, typed):
    assert normalise_characters(extracted) == typed


def test_every_radical_of_the_table_maps_to_a_unified_ideograph():
    rows = table_rows()
    assert len(rows) > 300
    for radical, ideograph in rows:
        assert 0x2E80 <= ord(radical) <= 0x2FDF, radical
        assert is_unified_ideograph(ideograph), (radical, ideograph)


def test_the_table_agrees_with_nfkc_on_the_kangxi_block_and_covers_the_supplement():
    mapped = dict(table_rows())
    for code in range(0x2F00, 0x2FD6):  # every Kangxi radical
        assert mapped[chr(code)] == unicodedata.normalize("NFKC", chr(code))
    supplement = [chr(c) for c in range(0x2E81, 0x2EF4) if unicodedata.name(chr(c), "")]
    # Only U+2E80 (CJK RADICAL REPEAT) has no ideograph; everything else assigned is mapped.
    assert [ch for ch in supplement if ch not in mapped] == []
    assert mapped["⻲"] == "亀" and mapped["⻑"] == "長" and mapped["⻘"] == "青"


def test_compatibility_ideographs_are_mapped_as_nfkc_maps_them():
    compatibility = "".join(chr(c) for c in range(0xF900, 0xFB00) if unicodedata.name(chr(c), ""))
    unified = unify_ideographs(compatibility)
    assert len(unified) == len(compatibility)
    assert unified == "".join(unicodedata.normalize("NFKC", ch) for ch in compatibility)
    assert unify_ideographs("\uf9dc\ufa19") == "隆神"  # 隆 and 神 as old files store them


def test_full_width_and_half_width_forms_are_left_as_they_are():
    text = "２０２３年　ＡＢＣ　ｶﾀｶﾅ ①"
    assert normalise_characters(text) == text


@pytest.mark.parametrize(
    ("spaced", "joined"),
    [
        ("さ い た ま 市 は 令 和 6 年", "さいたま市は令和6年"),
        ("令 和 5 年 6 月 14 日 、 亀 山 市", "令和5年6月14日、亀山市"),
        ("報　告　書", "報告書"),  # ideographic spaces
        ("協定を 締 結 し ま し た", "協定を締結しました"),  # the glued part joins too
    ],
)
def test_letter_spaced_runs_are_written_together(spaced, joined):
    assert join_letter_spacing(spaced) == joined


@pytest.mark.parametrize(
    "text",
    [
        "Lyon Part-Dieu",
        "Agence Rhône-Alpes pour le Développement",
        "A B C",
        "1 2 3 4",
        "秋山 晴美",  # a space between two Japanese words
        "東京 と 大阪",
        "日付\t行程\t場所",  # table cells
        "日時　　場所",  # a wide gap between columns
    ],
)
def test_word_spaces_and_column_gaps_are_kept(text):
    assert join_letter_spacing(text) == text


def test_joining_stays_within_a_line():
    text = "さ い た ま\n市 は 令 和"
    assert join_letter_spacing(text) == "さいたま\n市は令和"


def test_page_spans_follow_the_shortened_text():
    first, second = "さ い た ま 市 は", "⻲⼭市 の 協 定 書"
    text = first + "\n\n" + second
    pages = (PageSpan(1, 0, len(first)), PageSpan(2, len(first) + 2, len(text)))
    normalised, spans = normalise_pages(text, pages)
    assert normalised == "さいたま市は\n\n亀山市の協定書"
    assert [normalised[s.start : s.end] for s in spans] == ["さいたま市は", "亀山市の協定書"]
    assert [s.number for s in spans] == [1, 2]
