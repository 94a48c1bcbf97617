"""Chunking: whole sentences, exact slices, bounded size, overlap, stable ids."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ingest.chunking import chunk_report, split_sentences
from ingest.records import LoadedReport, PageSpan, RepairedReport, sha256_text
from ingest.repair import repair

SEED_REPORT = (
    Path(__file__).resolve().parent.parent / "corpus" / "tsu_2012_europe_economic_agreements.txt"
)
SENTENCE_END = re.compile(r"[。！？!?」』）)、]$")


def report(text: str, sections=(), pages=(), source="report.txt") -> RepairedReport:
    return RepairedReport(
        source=source, title="報告書", text=text, sections=tuple(sections), pages=tuple(pages)
    )


@pytest.fixture(scope="module")
def seed() -> RepairedReport:
    text = SEED_REPORT.read_text(encoding="utf-8")
    return repair(LoadedReport(source=SEED_REPORT.name, path=str(SEED_REPORT), text=text))


@pytest.mark.parametrize("max_chars", [80, 150, 300, 600])
def test_seed_chunks_are_exact_slices_within_the_limit(seed, max_chars):
    chunks = chunk_report(seed, max_chars=max_chars)
    assert chunks
    for chunk in chunks:
        assert len(chunk.text) <= max_chars
        assert chunk.text == seed.text[chunk.start : chunk.end]
        assert chunk.content_hash == sha256_text(chunk.text)
        assert chunk.doc_hash == sha256_text(seed.text)
        assert chunk.source == seed.source


@pytest.mark.parametrize("max_chars", [150, 300])
def test_seed_chunks_cover_the_whole_text(seed, max_chars):
    chunks = chunk_report(seed, max_chars=max_chars)
    covered = set()
    for chunk in chunks:
        covered.update(range(chunk.start, chunk.end))
    uncovered = "".join(c for i, c in enumerate(seed.text) if i not in covered)
    assert uncovered.strip() == ""


def test_seed_chunks_end_at_sentence_ends(seed):
    # At 300 characters every sentence of the seed fits, so no chunk stops mid-sentence.
    for chunk in chunk_report(seed, max_chars=300):
        last_line = chunk.text.splitlines()[-1]
        assert SENTENCE_END.search(last_line) or "様子" in last_line or "秋山" in last_line, (
            chunk.text
        )


def test_seed_chunks_stay_inside_one_section(seed):
    section_starts = [start for start, _ in seed.sections]
    for chunk in chunk_report(seed, max_chars=300):
        assert chunk.section == seed.section_at(chunk.start)
        assert not any(chunk.start < start < chunk.end for start in section_starts)


def test_heading_is_searchable_in_the_first_chunk_of_its_section(seed):
    chunks = chunk_report(seed, max_chars=300)
    opi = [c for c in chunks if c.section.startswith("OPIとの")]
    assert opi[0].text.startswith("■OPIとの経済交流に関する協力協定への調印について")
    assert "平成24年11月21日に" in opi[0].text


def test_quotation_with_inner_sentence_end_is_not_cut_when_it_fits(seed):
    quote = (
        "「今回の協定調印は両地域の中小企業にとって新たなビジネスチャンスが生まれるまたとない機会。"
        "今回の合意については"
    )
    chunks = chunk_report(seed, max_chars=300)
    assert any(quote in chunk.text for chunk in chunks)


def test_consecutive_chunks_share_the_overlap_sentence():
    sentences = [f"第{n}の文では、報告書の内容について説明しています。" for n in range(1, 9)]
    text = "".join(sentences)
    chunks = chunk_report(report(text), max_chars=80, overlap_sentences=1)
    assert len(chunks) > 2
    for before, after in zip(chunks, chunks[1:], strict=False):
        shared = text[after.start : before.end]
        assert after.start < before.end
        assert shared in sentences


def test_no_overlap_when_asked_for_none():
    text = "".join(f"第{n}の文では、報告書の内容について説明しています。" for n in range(1, 9))
    chunks = chunk_report(report(text), max_chars=80, overlap_sentences=0)
    for before, after in zip(chunks, chunks[1:], strict=False):
        assert after.start >= before.end


def test_long_sentence_is_split_after_commas():
    clauses = [f"第{n}項目として市内企業の海外展開を支援し" for n in range(1, 10)]
    text = "、".join(clauses) + "ました。"
    chunks = chunk_report(report(text), max_chars=60, overlap_sentences=0)
    assert len(chunks) > 1
    for chunk in chunks[:-1]:
        assert chunk.text.endswith("、")
        assert len(chunk.text) <= 60
    assert "".join(c.text for c in chunks) == text


def test_latin_words_are_never_split():
    words = "Organisation europeenne pour la recherche nucleaire and Office de Promotion"
    text = f"欧州原子核研究機構（CERN: {words} {words} {words}）の関係者が出席した。"
    chunks = chunk_report(report(text), max_chars=25, overlap_sentences=0)
    vocabulary = set(re.findall(r"[A-Za-z]+", text))
    for chunk in chunks:
        assert len(chunk.text) <= 25
        assert set(re.findall(r"[A-Za-z]+", chunk.text)) <= vocabulary, chunk.text


def test_a_word_longer_than_the_limit_is_cut_hard():
    text = "A" * 50
    chunks = chunk_report(report(text), max_chars=20)
    assert [len(c.text) for c in chunks] == [20, 20, 10]


def test_chunk_ids_are_deterministic_and_depend_on_the_source(seed):
    first = [c.chunk_id for c in chunk_report(seed, max_chars=300)]
    second = [c.chunk_id for c in chunk_report(seed, max_chars=300)]
    assert first == second
    assert len(set(first)) == len(first)
    assert all(re.fullmatch(r"[0-9a-f]{32}", chunk_id) for chunk_id in first)
    renamed = RepairedReport(
        source="other.txt", title=seed.title, text=seed.text, sections=seed.sections
    )
    assert set(first).isdisjoint(c.chunk_id for c in chunk_report(renamed, max_chars=300))


def test_chunks_carry_section_and_page():
    text = "■概要\n一頁目の文です。\n\n■詳細\n二頁目の文です。"
    detail = text.index("■詳細")
    chunks = chunk_report(
        report(
            text,
            sections=[(0, "概要"), (detail, "詳細")],
            pages=[PageSpan(1, 0, detail), PageSpan(2, detail, len(text))],
        ),
        max_chars=300,
    )
    assert [(c.section, c.page) for c in chunks] == [("概要", 1), ("詳細", 2)]
    assert chunks[1].text == "■詳細\n二頁目の文です。"


def test_empty_report_has_no_chunks_and_bad_limits_are_refused():
    assert chunk_report(report("  \n "), max_chars=100) == []
    with pytest.raises(ValueError, match="max_chars"):
        chunk_report(report("文です。"), max_chars=0)
    with pytest.raises(ValueError, match="overlap_sentences"):
        chunk_report(report("文です。"), max_chars=10, overlap_sentences=-1)


# --- sentences ----------------------------------------------------------------------


def sentences_of(text: str) -> list[str]:
    return [text[s.start : s.end] for s in split_sentences(text)]


def test_sentences_end_at_japanese_stops_and_keep_closing_brackets():
    assert sentences_of("協定を締結した。（詳細は別紙。）次に進む！本当か？") == [
        "協定を締結した。",
        "（詳細は別紙。）",
        "次に進む！",
        "本当か？",
    ]


def test_sentence_inside_a_quotation_is_not_split():
    text = "代表は「今回は好機。今後に期待する。」と述べた。次の文。"
    assert sentences_of(text) == ["代表は「今回は好機。今後に期待する。」と述べた。", "次の文。"]


def test_line_breaks_end_sentences_and_blank_lines_close_unbalanced_quotes():
    assert sentences_of("■見出し\n本文です。") == ["■見出し", "本文です。"]
    assert sentences_of("「閉じない引用。\n\n次の段落。") == ["「閉じない引用。", "次の段落。"]


def test_quotation_longer_than_the_limit_is_split_at_its_inner_sentence_ends():
    inner = "".join(f"第{n}の点について述べる。" for n in range(1, 7))
    text = f"市長は「{inner}」と述べた。"
    chunks = chunk_report(report(text), max_chars=40, overlap_sentences=0)
    assert all(len(c.text) <= 40 for c in chunks)
    assert chunks[0].text.endswith("。")
    assert "".join(c.text for c in chunks) == text
