"""Scoring: what counts as a correct answer, a found passage, a valid citation.

The assistant here is a small stand-in that returns prepared Answers; the real one is
exercised by tests/test_eval_gate.py.
"""

from __future__ import annotations

import pytest

from assistant.evaluation.metrics import (
    answer_statement,
    char_f1,
    evidence_rank,
    is_answer_correct,
    is_citation_valid,
    is_statement_exact,
    normalize,
    percentile,
)
from assistant.evaluation.questions import Question
from assistant.evaluation.runner import evaluate
from assistant.records import ABSTENTION, Answer, Citation, Passage
from ingest.records import Chunk

OPI_SENTENCE = "翌２１日には津市とジュネーブ州産業振興機構（OPI）との間で、協力協定を締結しました。"
ARD_SENTENCE = "平成２４年１１月２０日、津市とパリ地域経済開発局（ARD）との間で協定を締結しました。"
OTHER_SENTENCE = "四日市市はバイエルン州の機関と覚書を交わしました。"


def chunk(text: str, chunk_id: str, source: str = "tsu.txt") -> Chunk:
    return Chunk(
        chunk_id=chunk_id,
        text=text,
        source=source,
        title="t",
        section="■経緯",
        start=0,
        end=len(text),
        content_hash="h",
    )


def passages(*texts: str) -> list[Passage]:
    return [Passage(chunk=chunk(t, f"c{i}"), score=1.0 / i) for i, t in enumerate(texts, 1)]


def cite(text: str, chunk_text: str, chunk_id: str = "c1", marker: int = 1, **kw) -> Citation:
    start = chunk_text.find(text)
    return Citation(
        marker=marker,
        source="tsu.txt",
        title="t",
        section="",
        page=None,
        chunk_id=chunk_id,
        text=text,
        quote_start=max(start, 0),
        quote_end=max(start, 0) + len(text),
        chunk_text=chunk_text,
        **kw,
    )


def question(**fields) -> Question:
    defaults = {"id": "q-1", "question": "津市がOPIと協定を結んだのはいつ？"}
    return Question(**(defaults | fields))


# -------------------------------------------------------------- normalisation


def test_normalize_equates_full_and_half_width_and_ignores_spaces():
    assert normalize("平成 24 年\n１１月　２１日") == normalize("平成24年11月21日")
    assert normalize("ＯＰＩ") == "OPI"


# -------------------------------------------------------------- answer correctness


def test_answer_with_full_width_digits_matches_half_width_expectation():
    q = question(expect_any=("11月21日",))
    assert is_answer_correct(q, Answer(answer="平成２４年１１月２１日です。", abstained=False))


def test_answer_needs_one_of_expect_any():
    q = question(expect_any=("平成24年11月21日", "2012年11月21日"))
    assert is_answer_correct(q, Answer(answer="2012年11月21日です。", abstained=False))
    assert not is_answer_correct(q, Answer(answer="2012年11月20日です。", abstained=False))


def test_answer_needs_every_item_of_expect_all():
    q = question(expect_all=("メカトロニクス", "航空宇宙"))
    assert is_answer_correct(q, Answer(answer="メカトロニクスや航空宇宙です。", abstained=False))
    assert not is_answer_correct(q, Answer(answer="メカトロニクスです。", abstained=False))


def test_a_wrong_statement_is_not_rescued_by_its_quote():
    q = question(expect_any=("パリ",))
    answer = "リヨンです。[1]\n[1] 「パリ地域に立地する企業を支援する」"
    assert not is_answer_correct(q, Answer(answer=answer, abstained=False))


def test_an_answer_given_only_as_a_quote_is_judged_by_the_quote():
    q = question(expect_any=("和やか",))
    answer = "資料には次のように記載されています。\n[1] 「終始和やかな雰囲気での調印式でした。」"
    assert is_answer_correct(q, Answer(answer=answer, abstained=False))


def test_an_abstention_is_never_a_correct_answer_even_if_the_text_matches():
    q = question(expect_any=("11月21日",))
    assert not is_answer_correct(q, Answer(answer="11月21日かもしれません", abstained=True))


# -------------------------------------------------------------- retrieval


def test_evidence_rank_is_the_first_passage_holding_the_evidence():
    ranked = passages(OTHER_SENTENCE, ARD_SENTENCE, OPI_SENTENCE)
    assert evidence_rank("平成 24 年 11 月 20 日、津市と", ranked, k=5) == 2


def test_evidence_beyond_k_is_not_found():
    ranked = passages(OTHER_SENTENCE, ARD_SENTENCE, OPI_SENTENCE)
    assert evidence_rank("ジュネーブ州産業振興機構", ranked, k=2) is None


# -------------------------------------------------------------- citations


def test_citation_quoting_its_chunk_is_valid():
    assert is_citation_valid(cite(OPI_SENTENCE[:20], OPI_SENTENCE), OPI_SENTENCE)


def test_citation_whose_text_is_not_in_the_stored_chunk_is_invalid():
    forged = cite("協定は無効です。", OPI_SENTENCE + "協定は無効です。")
    # the answerer claims a chunk text, but the stored chunk does not hold the quote
    assert not is_citation_valid(forged, OPI_SENTENCE)


def test_citation_falls_back_to_its_own_chunk_text_when_the_index_has_none():
    assert is_citation_valid(cite(OPI_SENTENCE[:10], OPI_SENTENCE), None)
    assert not is_citation_valid(cite("", OPI_SENTENCE), None)


def test_citation_with_offsets_pointing_elsewhere_is_invalid():
    shifted = cite(OPI_SENTENCE[:10], OPI_SENTENCE)
    shifted = Citation(**{**shifted.to_dict(), "quote_start": 1, "quote_end": 11})
    assert not is_citation_valid(shifted, OPI_SENTENCE)


# -------------------------------------------------------------- character F1


def test_char_f1_of_identical_answers_is_one_and_of_disjoint_ones_zero():
    assert char_f1("7社", "７社") == 1.0
    assert char_f1("ARD", "OPI") == 0.0


def test_char_f1_ignores_punctuation_and_spaces_and_counts_extra_characters():
    # 「7社です。」 vs 「7社」: precision 2/4, recall 2/2 -> F1 = 2*0.5*1/1.5
    assert char_f1("7 社です。", "7社") == pytest.approx(2 / 3)


def test_answer_statement_leaves_out_the_quoted_passages_and_markers():
    assert answer_statement("\n7社です。[1]\n[1] 「市内中小企業７社が参加」") == "7社です。"


def test_when_the_statement_only_introduces_its_quotes_the_quotes_are_the_answer():
    answer = (
        "資料には次のように記載されています。\n[1] 「和やかな雰囲気でした。」\n[2] 「以上です。」"
    )
    assert answer_statement(answer) == "「和やかな雰囲気でした。」「以上です。」"


# -------------------------------------------------------------- percentiles


def test_percentile_interpolates_like_numpy():
    assert percentile([10, 20, 30, 40], 50) == 25.0
    assert percentile([10, 20, 30, 40], 95) == pytest.approx(38.5)
    assert percentile([], 50) is None


# -------------------------------------------------------------- the whole run


class ScriptedAssistant:
    """Returns a prepared Answer per question text; records how it was asked."""

    def __init__(self, answers: dict[str, Answer]):
        self.answers = answers
        self.calls: list[tuple[str, tuple]] = []

    def ask(self, question: str, history=()) -> Answer:
        self.calls.append((question, tuple(history)))
        return self.answers[question]


@pytest.fixture
def scripted_run():
    ranked = passages(OTHER_SENTENCE, OPI_SENTENCE, ARD_SENTENCE)
    quote = OPI_SENTENCE[:30]
    questions = [
        question(
            id="a",
            question="OPIの協定日は？",
            expect_any=("11月21日",),
            evidence="ジュネーブ州産業振興機構",
            type="date",
        ),
        question(
            id="b",
            question="ARDの協定日は？",
            expect_any=("11月20日",),
            evidence="パリ地域経済開発局",
            type="date",
        ),
        question(
            id="c", question="参加企業は何社？", expect_any=("7社",), evidence="７社", type="count"
        ),
        question(id="d", question="津市の人口は？", unanswerable=True),
        question(id="e", question="予算は？", unanswerable=True, type="unanswerable"),
    ]
    answers = {
        "OPIの協定日は？": Answer(
            answer=f"11月21日です。[1]\n[1] 「{quote}」",
            abstained=False,
            citations=[cite(quote, OPI_SENTENCE, chunk_id="c2")],
            retrieved=ranked,
            question_type="when",
        ),
        "ARDの協定日は？": Answer(
            answer="11月21日です。",
            abstained=False,
            retrieved=ranked,
            citations=[cite("協定は無効です", "協定は無効です", chunk_id="c3")],
        ),
        "参加企業は何社？": Answer(answer=ABSTENTION, abstained=True, retrieved=ranked),
        "津市の人口は？": Answer(
            answer=ABSTENTION, abstained=True, retrieved=ranked, question_type="count"
        ),
        "予算は？": Answer(answer="100万円です。", abstained=False, retrieved=ranked),
    }
    assistant = ScriptedAssistant(answers)
    return assistant, evaluate(assistant, questions, k=5, warm_up=False)


def test_each_question_is_asked_once_without_history(scripted_run):
    assistant, _ = scripted_run
    assert [history for _, history in assistant.calls] == [()] * 5
    assert len({q for q, _ in assistant.calls}) == 5


def test_overall_metrics_count_each_question_in_its_own_group(scripted_run):
    _, result = scripted_run
    overall = result.overall
    assert overall["n"] == 5
    assert overall["answer_accuracy"] == pytest.approx(1 / 3)  # a right, b wrong, c abstained
    assert overall["false_abstention_rate"] == pytest.approx(1 / 3)
    assert overall["abstention_accuracy"] == pytest.approx(1 / 2)  # d abstained, e answered
    assert overall["recall@1"] == 0.0
    assert overall["recall@3"] == pytest.approx(2 / 3)  # evidence of c is in no passage
    assert overall["mrr"] == pytest.approx((1 / 2 + 1 / 3 + 0) / 3)
    # b's citation quotes text its chunk (ARD sentence) does not hold
    assert overall["citation_validity"] == pytest.approx(1 / 2)
    assert overall["answered_by"] == {"extractive": 5}
    assert "llm_rejection_rate" not in overall


def test_per_question_records_say_what_happened(scripted_run):
    _, result = scripted_run
    outcomes = {r.id: r.outcome for r in result.questions}
    assert outcomes == {
        "a": "correct",
        "b": "wrong",
        "c": "false_abstention",
        "d": "abstained_correctly",
        "e": "answered_unanswerable",
    }
    a = result.questions[0]
    assert a.evidence_rank == 2 and a.cited_evidence is True and a.char_f1 > 0.5
    assert result.questions[2].cited_evidence is False  # abstained: cites nothing


def test_metrics_by_type_use_the_file_type_else_the_assistants(scripted_run):
    _, result = scripted_run
    assert set(result.by_type) == {"date", "count", "unanswerable"}
    # d has no type in the file: the assistant classified it as "count"
    assert result.by_type["count"]["n"] == 2
    assert result.by_type["date"]["answer_accuracy"] == 0.5
    assert result.by_type["unanswerable"]["answer_accuracy"] is None  # nothing to answer


def test_llm_rejections_are_reported_when_an_llm_is_configured():
    ranked = passages(OPI_SENTENCE)
    answers = {
        "q1": Answer(answer="11月21日です。", abstained=False, answered_by="llm", retrieved=ranked),
        "q2": Answer(
            answer="11月21日です。",
            abstained=False,
            retrieved=ranked,
            notice="LLMの回答が資料と一致しなかったため、抽出した回答を表示しています。",
            llm_rejected=True,
        ),
        "q3": Answer(
            answer="11月21日です。",
            abstained=False,
            retrieved=ranked,
            notice="LLMサーバーに接続できなかったため、抜粋による回答を表示しています。",
        ),
    }
    qs = [question(id=q, question=q, expect_any=("11月21日",)) for q in answers]
    result = evaluate(ScriptedAssistant(answers), qs, llm_enabled=True, warm_up=False)
    # of the two generated answers the check saw, one was rejected; the server failure is
    # a fallback, not a rejection
    assert result.overall["llm_rejection_rate"] == 0.5
    assert result.overall["llm_fallback_rate"] == 2 / 3
    assert result.overall["answered_by"] == {"llm": 1, "extractive": 2}


def test_warm_up_question_is_not_timed_or_scored():
    answers = {"q1": Answer(answer="11月21日です。", abstained=False)}
    assistant = ScriptedAssistant(answers)
    result = evaluate(assistant, [question(id="q1", question="q1", expect_any=("11月21日",))])
    assert len(assistant.calls) == 2 and len(result.questions) == 1


# -------------------------------------------------------------- tiers (what users meet)


def reader_answer(tier: str, quotes: list[Citation], stated: str = "", support: float = 0.5):
    """An answer as the reader makes it: its lead line, its quotes, its tier."""
    lead = {"answer": f"{stated}です。[1]" if stated else "資料には次のように記載されています。"}
    return Answer(
        answer="x",
        abstained=tier == "none",
        hedged=tier == "likely",
        lead=lead.get(tier, "…"),
        citations=quotes if tier != "none" else [],
        related=quotes if tier == "none" else [],
        stated=stated,
        support=support,
        retrieved=passages(OPI_SENTENCE, ARD_SENTENCE),
    )


@pytest.fixture
def tiered_run():
    opi = cite(OPI_SENTENCE, OPI_SENTENCE, chunk_id="c1")
    ard = cite(ARD_SENTENCE, ARD_SENTENCE, chunk_id="c2")
    when = {"expect_any": ("21日",), "evidence": "ジュネーブ州"}
    questions = [
        question(id="sure", question="q1", **when),
        question(id="sure-wrong", question="q2", **when),
        question(id="hedged-right", question="q3", **when),
        question(id="hedged-second", question="q4", **when),
        question(id="silent", question="q5", **when),
        question(id="near-miss-answered", question="q6", unanswerable=True),
        question(id="near-miss-hedged", question="q7", unanswerable=True),
        question(id="near-miss-silent", question="q8", unanswerable=True),
    ]
    answers = {
        "q1": reader_answer("answer", [opi], stated="11月21日", support=0.95),
        "q2": reader_answer("answer", [ard], stated="11月20日", support=0.9),
        "q3": reader_answer("likely", [opi, ard], support=0.5),
        "q4": reader_answer("likely", [ard, opi], support=0.4),  # right one second
        "q5": reader_answer("none", [opi], support=0.1),
        "q6": reader_answer("answer", [ard], stated="11月20日", support=0.92),
        "q7": reader_answer("likely", [ard], support=0.3),
        "q8": reader_answer("none", [ard], support=0.05),
    }
    return evaluate(ScriptedAssistant(answers), questions, k=5, warm_up=False)


def test_evidence_at_1_counts_the_first_evidence_shown_in_sure_and_hedged_answers(tiered_run):
    records = {r.id: r for r in tiered_run.questions}
    assert records["sure"].evidence_at_1 and records["hedged-right"].evidence_at_1
    assert not records["hedged-second"].evidence_at_1  # the answer was only second
    assert not records["silent"].evidence_at_1  # "not found" shows no evidence as the answer
    assert tiered_run.overall["evidence_at_1"] == pytest.approx(2 / 5)


def test_each_tier_is_counted_with_its_precision(tiered_run):
    overall = tiered_run.overall
    assert overall["tiers"] == {"answer": 3, "likely": 3, "none": 2}
    # of three sure answers one is right: a near miss answered counts as wrong
    assert overall["answer_precision"] == pytest.approx(1 / 3)
    assert overall["likely_precision"] == pytest.approx(1 / 3)
    assert overall["answer_coverage"] == pytest.approx(2 / 5)


def test_not_found_is_counted_on_both_kinds_of_question(tiered_run):
    overall = tiered_run.overall
    assert overall["none_on_answerable"] == pytest.approx(1 / 5)
    assert overall["none_on_unanswerable"] == pytest.approx(1 / 3)
    assert overall["answer_on_unanswerable"] == pytest.approx(1 / 3)


def test_a_hedged_answer_is_no_confident_error(tiered_run):
    overall = tiered_run.overall
    # only the sure wrong answer is a wrong answer; the hedged ones are not
    assert overall["wrong_answer_rate"] == pytest.approx(1 / 5)
    assert overall["answer_accuracy"] == pytest.approx(1 / 5)
    outcomes = {r.id: r.outcome for r in tiered_run.questions}
    assert outcomes["near-miss-hedged"] == "abstained_correctly"
    assert outcomes["near-miss-answered"] == "answered_unanswerable"


def test_short_statements_are_scored_by_exact_match(tiered_run):
    records = {r.id: r for r in tiered_run.questions}
    assert records["sure"].statement_exact is True
    assert records["sure-wrong"].statement_exact is False
    assert tiered_run.overall["statement_exact_match"] is None  # no typed question kinds here


def test_a_statement_holding_another_fact_beside_the_answer_is_not_exact():
    q = question(expect_any=("7社",))
    assert is_statement_exact(q, "７社")
    assert not is_statement_exact(q, "市内中小企業７社と経済団体２団体、大学関係者３名")
    assert not is_statement_exact(q, "8社")


def test_the_risk_coverage_curve_falls_as_coverage_grows(tiered_run):
    curve = tiered_run.overall["risk_coverage"]
    assert curve[-1]["coverage"] == 1.0
    assert [p["coverage"] for p in curve] == sorted(p["coverage"] for p in curve)
    # the most confident answer (q1) is right: precision starts high and ends at the share
    # of questions whose first evidence holds the answer (q1, q3, q5 of 8)
    assert curve[0]["precision"] == 1.0
    assert curve[-1]["precision"] == pytest.approx(3 / 8)
