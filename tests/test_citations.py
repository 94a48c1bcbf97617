"""Citation verification: no answer leaves with a quote its source does not contain."""

from dataclasses import replace

from assistant.citations import is_verbatim, verify_citations
from assistant.records import ABSTENTION, Answer, Citation

CHUNK = "平成24年11月20日、津市とARDとの間で協定を締結しました。翌21日にはOPIと締結しました。"
FIRST = "平成24年11月20日、津市とARDとの間で協定を締結しました。"
SECOND = "翌21日にはOPIと締結しました。"


def cite(marker: int, text: str, start: int | None = None) -> Citation:
    start = CHUNK.find(text) if start is None else start
    return Citation(
        marker=marker,
        source="tsu.txt",
        title="津市の協定",
        section="",
        page=1,
        chunk_id="c1",
        text=text,
        quote_start=start,
        quote_end=start + len(text),
        chunk_text=CHUNK,
    )


def answer_with(*citations: Citation) -> Answer:
    lines = "\n".join(f"[{c.marker}] 「{c.text}」" for c in citations)
    markers = "".join(f"[{c.marker}]" for c in citations)
    return Answer(
        answer=f"2012年（平成24年）11月20日です。{markers}\n{lines}",
        abstained=False,
        citations=list(citations),
    )


def test_exact_quotes_pass_unchanged():
    answer = answer_with(cite(1, FIRST), cite(2, SECOND))
    assert verify_citations(answer) == answer


def test_a_forged_quote_is_dropped_and_the_rest_renumbered():
    forged = cite(1, "平成24年11月20日、津市とCERNとの間で協定を締結しました。", start=0)
    verified = verify_citations(answer_with(forged, cite(2, SECOND)))
    assert [(c.marker, c.text) for c in verified.citations] == [(1, SECOND)]
    assert verified.answer == f"2012年（平成24年）11月20日です。[1]\n[1] 「{SECOND}」"
    assert "CERN" not in verified.answer


def test_a_quote_at_the_wrong_offset_is_dropped():
    moved = replace(cite(1, FIRST), quote_start=1, quote_end=1 + len(FIRST))
    assert not is_verbatim(moved)
    assert verify_citations(answer_with(moved, cite(2, SECOND))).citations[0].text == SECOND


def test_an_answer_with_no_verifiable_quote_becomes_an_abstention():
    forged = cite(1, "津市は人口30万人です。", start=0)
    verified = verify_citations(answer_with(forged))
    assert verified.abstained
    assert verified.answer == ABSTENTION
    assert verified.citations == []


def test_empty_quotes_are_not_evidence():
    assert not is_verbatim(cite(1, "", start=0))


def test_related_passages_of_an_abstention_are_checked_too():
    abstention = Answer(
        answer=ABSTENTION,
        abstained=True,
        related=[cite(1, "捏造された文。", start=0), cite(2, SECOND)],
    )
    verified = verify_citations(abstention)
    assert verified.answer == ABSTENTION
    assert [(c.marker, c.text) for c in verified.related] == [(1, SECOND)]


def test_a_long_quote_shows_the_clauses_around_its_marked_span():
    from assistant.citations import CLAUSE_LIMIT, clause_bounds

    text = (
        "市内にも自発的に海外展開を考えられる企業が増え、アジアをはじめとする新興国市場への進出に"
        "関心が集まっている一方で、各社がお持ちの高い技術を活かし、平成24年11月16日から25日に"
        "かけて欧州ミッション団を派遣し、市内中小企業７社が参加しました。"
    )
    start = text.index("７社")
    citation = Citation(
        1,
        "tsu.txt",
        "t",
        "",
        None,
        "c1",
        text,
        0,
        len(text),
        text,
        mark_start=start,
        mark_end=start + 2,
    )
    shown_start, shown_end = clause_bounds(citation)
    shown = text[shown_start:shown_end]
    assert "７社" in shown and len(shown) <= CLAUSE_LIMIT
    assert shown.endswith("市内中小企業７社が参加しました。")
    unmarked = Citation(1, "tsu.txt", "t", "", None, "c1", text, 0, len(text), text)
    assert clause_bounds(unmarked) == (0, len(text))  # nothing to centre on: the whole quote
