"""The answer in a terminal: its tier first, the stated span marked in its quote, sources;
"not found" and hedged answers show their passages."""

from __future__ import annotations

from dataclasses import replace

from assistant.plain_text import answer_text, marked_quote
from assistant.records import ABSTENTION, LIKELY_INTRO, Answer, Citation

PASSAGE = "平成24年11月16日から25日にかけて、市内中小企業７社が参加しました。"


def quote(**changes) -> Citation:
    values = dict(
        marker=1,
        source="tsu.txt",
        title="欧州との経済協定",
        section="ミッション",
        page=2,
        chunk_id="c1",
        text=PASSAGE,
        quote_start=0,
        quote_end=len(PASSAGE),
        chunk_text=PASSAGE,
    )
    values.update(changes)
    return Citation(**values)


def test_the_stated_span_is_bracketed_in_its_quote():
    start = PASSAGE.index("７社")
    marked = quote(mark_start=start, mark_end=start + 2)
    assert (
        marked_quote(marked)
        == "平成24年11月16日から25日にかけて、市内中小企業【７社】が参加しました。"
    )
    assert marked_quote(quote()) == PASSAGE


def test_a_sure_answer_says_so_then_quotes_and_names_its_source():
    answer = Answer(
        answer="７社です。[1]\n[1] 「…」",
        abstained=False,
        lead="７社です。[1]",
        citations=[quote()],
        stated="７社",
    )
    lines = answer_text(answer).splitlines()
    assert lines[0] == "［回答］ ７社です。[1]"
    assert lines[1] == f"[1] 「{PASSAGE}」"
    assert "[1] tsu.txt  欧州との経済協定 / ミッション  2ページ" in lines


def test_a_hedged_answer_says_it_is_unsure_and_lists_its_candidates():
    second = replace(quote(), marker=2, text="展示会を視察しました。", chunk_id="c2")
    answer = Answer(
        answer="x", abstained=False, hedged=True, lead=LIKELY_INTRO, citations=[quote(), second]
    )
    text = answer_text(answer)
    assert text.startswith(f"［該当しそうな記述］ {LIKELY_INTRO}")
    assert "[2] 「展示会を視察しました。」" in text


def test_not_found_still_prints_the_related_passages():
    answer = Answer(answer=ABSTENTION, abstained=True, lead=ABSTENTION, related=[quote()])
    text = answer_text(answer)
    assert text.startswith(f"［見つかりません］ {ABSTENTION}")
    assert "関連する可能性のある箇所" in text and PASSAGE in text
