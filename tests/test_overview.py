"""Overview questions get the report's outline, each line quoted from the report."""

from __future__ import annotations

from dataclasses import replace

from assistant.overview import DEFAULT_POINTS, outline, overview_answer, points_asked
from assistant.reader.question import analyse
from tests.support.passages import passage

TITLE = "津市の経済交流に関する協力協定の締結について"
SECTIONS = [
    (
        "",
        "津市　産業振興課\n平成24年11月、津市は欧州の二つの機関と経済交流に関する協力協定を締結しました。",
    ),
    (
        "■協定の締結",
        "調印式は11月20日にパリで行われました。翌日にはジュネーブでも協定を締結しました。",
    ),
    ("■欧州ミッション", "市内中小企業７社が参加し、展示会の視察やビジネスマッチングを行いました。"),
    ("■欧州ミッション", "商談は16社と行われ、今後の取引につながる成果がありました。"),
    ("■今後の展開", "今後は協定に基づき、企業の相互訪問を支援していきます。"),
]


def chunks():
    made = []
    offset = 0
    for number, (section, text) in enumerate(SECTIONS, start=1):
        chunk = passage(text, number, section=section, title=TITLE).chunk
        made.append(replace(chunk, start=offset, end=offset + len(text)))
        offset += len(text)
    return made


def test_overview_questions_are_recognised_and_other_questions_are_not():
    for question in (
        "この報告書の要点を3行でまとめてください",
        "どんな報告書ですか？",
        "津市の報告書の概要を教えて",
    ):
        assert analyse(question).kind == "overview", question
    for question in ("報告書を取りまとめたのは誰？", "会期中にまとめた契約は何件？"):
        assert analyse(question).kind != "overview", question


def test_the_number_of_lines_asked_for_is_kept():
    assert points_asked("要点を3行でまとめて") == 3
    assert points_asked("要点を三つ挙げて") == 3
    assert points_asked("概要を教えて") == DEFAULT_POINTS


def test_the_outline_is_the_lead_then_the_first_sentence_of_each_section_in_order():
    lines = [chunk.text[start:end] for chunk, start, end in outline(chunks(), 5)]
    assert lines == [
        "平成24年11月、津市は欧州の二つの機関と経済交流に関する協力協定を締結しました。",
        "調印式は11月20日にパリで行われました。",
        "市内中小企業７社が参加し、展示会の視察やビジネスマッチングを行いました。",
        "今後は協定に基づき、企業の相互訪問を支援していきます。",
    ]  # the byline is no sentence; the mission's second chunk is the same section


def test_an_overview_answer_quotes_every_line_and_names_the_report():
    answer = overview_answer("要点を3行でまとめて", chunks())
    assert answer is not None and answer.tier == "answer"
    assert answer.lead == f"「{TITLE}」の要点を、資料の記述から順に挙げます。"
    assert len(answer.citations) == 3
    for citation in answer.citations:
        assert citation.chunk_text[citation.quote_start : citation.quote_end] == citation.text


def test_a_report_without_sentences_gets_no_overview():
    heading_only = [replace(chunks()[0], text="津市　産業振興課")]
    assert overview_answer("要点は？", heading_only) is None
