"""How answers look in the chat: markers, sources, highlighted spans, abstentions, escaping."""

from __future__ import annotations

import re
from dataclasses import replace
from html.parser import HTMLParser

from assistant.records import ABSTENTION, LIKELY_INTRO, TIER_LABELS, Answer, Citation
from webui.render import (
    OCR_NOTE,
    RELATED_HEADING,
    SOURCES_HEADING,
    answer_plain_text,
    answer_text_from_message,
    highlighted_passage,
    history_pairs,
    question_from_display,
    quote_span,
    render_answer,
    render_error,
    render_partial,
    render_question,
    startup_html,
    status_html,
)

PASSAGE = (
    "平成24年11月20日、津市とパリ地域経済開発庁（ARD）は協定を締結した。\n翌21日にはOPIと締結した。"
)


def citation(marker=1, text="平成24年11月20日", **changes) -> Citation:
    start = PASSAGE.find(text)
    values = dict(
        marker=marker,
        source="tsu_2012.txt",
        title="欧州との経済協定",
        section="1 協定の締結",
        page=3,
        chunk_id="c1",
        text=text,
        quote_start=start,
        quote_end=start + len(text),
        chunk_text=PASSAGE,
    )
    values.update(changes)
    return Citation(**values)


class TagCollector(HTMLParser):
    """Every start tag and attribute the browser would see."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags_of(markup: str) -> list[tuple[str, dict]]:
    parser = TagCollector()
    parser.feed(markup)
    return parser.tags


def test_answer_shows_marker_and_a_numbered_source_with_location():
    markup = render_answer(
        Answer(answer="平成24年11月20日です。[1]", abstained=False, citations=[citation()])
    )
    assert re.search(r'<span class="ra-marker"[^>]*>\[1\]</span>', markup)
    assert SOURCES_HEADING in markup
    summary = re.search(r"<summary>(.*?)</summary>", markup).group(1)
    assert "[1]" in summary and "欧州との経済協定" in summary
    assert "1 協定の締結" in summary and "3ページ" in summary and "tsu_2012.txt" in summary


def test_a_passage_read_by_ocr_says_so_beside_its_page():
    scanned = render_answer(
        Answer(answer="平成24年11月20日です。[1]", abstained=False, citations=[citation(ocr=True)])
    )
    typed = render_answer(
        Answer(answer="平成24年11月20日です。[1]", abstained=False, citations=[citation()])
    )

    summary = re.search(r"<summary>(.*?)</summary>", scanned).group(1)
    assert "3ページ" in summary and OCR_NOTE in summary
    assert OCR_NOTE not in typed


def test_source_expands_to_the_whole_passage_with_the_quote_marked():
    markup = render_answer(Answer(answer="答え [1]", abstained=False, citations=[citation()]))
    details = re.search(r"<details.*?</details>", markup).group(0)
    assert "<mark>平成24年11月20日</mark>" in details
    assert "翌21日にはOPIと締結した。" in details  # the rest of the passage is there too
    assert "<br>" in details  # the passage's line break survives


def test_message_is_one_html_block_so_markdown_never_reads_report_text():
    tricky = "見出し\n\n# 大見出し\n* 箇条書き\n$$x$$"
    markup = render_answer(
        Answer(
            answer=tricky, abstained=False, citations=[citation(chunk_text=tricky, text="大見出し")]
        )
    )
    assert "\n" not in markup
    assert markup.startswith("<div")


def test_report_and_question_text_is_escaped_everywhere():
    hostile = "<script>alert(1)</script><img src=x onerror=alert(1)>"
    cited = citation(
        text=hostile,
        chunk_text=f"前文{hostile}後文",
        title=hostile,
        section=hostile,
        source="a<b>.txt",
    )
    markup = render_answer(
        Answer(answer=hostile + " [1]", abstained=False, citations=[cited], notice=hostile)
    )
    names = {tag for tag, _ in tags_of(markup)}
    assert "script" not in names and "img" not in names
    assert not any(name.startswith("on") for _, attrs in tags_of(markup) for name in attrs)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in markup
    assert "&lt;img src=x onerror=alert(1)&gt;" in markup
    assert "<script" not in render_partial(hostile)
    assert "<img" not in status_html(hostile)


def test_abstention_is_a_muted_notice_with_possibly_related_passages_unnumbered():
    related = citation(text="協定", marker=0)
    markup = render_answer(Answer(answer=ABSTENTION, abstained=True, related=[related]))
    assert 'class="ra-msg ra-abstained"' in markup
    assert RELATED_HEADING in markup and SOURCES_HEADING not in markup
    assert "[0]" not in markup
    assert "<mark>協定</mark>" in markup


def test_abstention_without_related_passages_has_no_empty_source_list():
    markup = render_answer(Answer(answer=ABSTENTION, abstained=True))
    assert "ra-sources" not in markup


def test_unknown_markers_are_left_as_plain_text():
    markup = render_answer(Answer(answer="値は[2]です", abstained=False, citations=[citation()]))
    assert "ra-marker" not in markup


def test_llm_answers_say_they_were_generated_and_extractive_ones_that_they_are_quotes():
    llm = render_answer(
        Answer(answer="答え [1]", abstained=False, citations=[citation()], answered_by="llm")
    )
    quoted = render_answer(Answer(answer="答え [1]", abstained=False, citations=[citation()]))
    assert "言語モデル" in llm
    assert "抜き出した" in quoted


def test_wrong_quote_offsets_fall_back_to_finding_the_quote():
    shifted = citation(quote_start=0, quote_end=3)
    assert quote_span(shifted) == (
        PASSAGE.find("平成24年11月20日"),
        PASSAGE.find("平成24年11月20日") + 11,
    )


def test_quote_missing_from_passage_shows_the_passage_unmarked():
    assert "<mark>" not in highlighted_passage(citation(text="存在しない引用"))


def test_citation_without_passage_shows_the_quote_itself():
    assert highlighted_passage(citation(chunk_text="")) == "<mark>平成24年11月20日</mark>"


def test_answer_text_is_recovered_from_a_rendered_message_for_follow_ups():
    markup = render_answer(
        Answer(answer="A&Bの<協定>は\n11月20日 [1]", abstained=False, citations=[citation()])
    )
    assert answer_text_from_message(markup) == "A&Bの<協定>は\n11月20日 [1]"
    assert (
        answer_text_from_message([{"type": "text", "text": markup}])
        == "A&Bの<協定>は\n11月20日 [1]"
    )
    assert answer_text_from_message("plain text") == "plain text"


def test_history_pairs_questions_with_answers_and_skips_failed_turns():
    history = [
        {"role": "user", "content": "ARDとの協定はいつ？"},
        {
            "role": "assistant",
            "content": render_answer(
                Answer(answer="11月20日 [1]", abstained=False, citations=[citation()])
            ),
        },
        {"role": "user", "content": [{"type": "text", "text": "壊れた質問"}]},
        {"role": "assistant", "content": render_error()},
        {"role": "user", "content": [{"type": "text", "text": "OPIとは？"}]},
        {"role": "assistant", "content": [{"type": "text", "text": render_partial("翌21日")}]},
    ]
    assert history_pairs(history) == [
        ("ARDとの協定はいつ？", "11月20日 [1]"),
        ("OPIとは？", "翌21日"),
    ]


def test_supporting_quote_lines_are_set_apart_from_the_answer_sentence():
    text = "11月20日です。[1]\n[1] 「平成24年11月20日、協定を締結した。」"
    markup = render_answer(Answer(answer=text, abstained=False, citations=[citation()]))
    assert re.search(
        r'<span class="ra-quote"><span class="ra-marker"[^>]*>\[1\]</span> 「平成24年11月20日',
        markup,
    )
    assert answer_text_from_message(markup) == text


def test_an_answer_the_llm_may_replace_is_shown_whole_and_marked_pending():
    waiting = Answer(
        answer="11月20日 [1]",
        abstained=False,
        citations=[citation()],
        pending=True,
        notice="言語モデルが回答を作成しています（12文字）。",
    )
    markup = render_answer(waiting)
    assert markup.startswith('<div class="ra-msg ra-pending">')
    assert "（12文字）" in markup and "出典" in markup
    assert "ra-pending" not in render_answer(Answer(answer="11月20日 [1]", abstained=False))


def copied_text(markup: str) -> str:
    """What the copy button copies: the hidden .ra-copy element's text, as the browser reads it."""
    import html as html_module

    found = re.search(r'<span class="ra-copy">(.*?)</span>', markup)
    return html_module.unescape(found.group(1)) if found else ""


def test_copy_gives_the_answer_and_its_source_lines_as_plain_text():
    markup = render_answer(
        Answer(answer="平成24年11月20日です。[1]", abstained=False, citations=[citation()])
    )
    assert copied_text(markup) == (
        "平成24年11月20日です。[1]\n\n出典\n[1] 欧州との経済協定 ・ 1 協定の締結 ・ 3ページ ・ tsu_2012.txt"
    )
    assert "\n" not in markup  # the line breaks are character references, one HTML block


def test_copy_of_hostile_text_is_the_text_itself_not_markup():
    hostile = "<script>alert(1)</script>"
    answer = Answer(answer=hostile + " [1]", abstained=False, citations=[citation(title=hostile)])
    markup = render_answer(answer)
    assert "<script" not in markup
    assert copied_text(markup) == answer_plain_text(answer)
    assert copied_text(markup).startswith(hostile)


def test_related_passages_from_one_place_are_one_card_and_no_passage_repeats():
    same_place = [
        citation(text="平成24年11月20日", chunk_id="c1", marker=0),
        citation(text="翌21日", chunk_id="c1", marker=0),  # the same passage again
        citation(text="OPIと締結", chunk_id="c2", marker=0),  # another passage, same place
        citation(text="協定", chunk_id="c3", marker=0, section="2 その他"),
    ]
    markup = render_answer(Answer(answer=ABSTENTION, abstained=True, related=same_place))
    assert markup.count("<details") == 2
    assert markup.count('class="ra-passage"') == 3
    shown = markup.split('<span class="ra-copy">')[0]
    assert shown.count("1 協定の締結") == 1
    assert copied_text(markup).count("1 協定の締結") == 1


def test_an_answer_within_chosen_reports_says_which():
    markup = render_answer(
        Answer(answer="答え [1]", abstained=False, citations=[citation()]), ["欧州との経済協定"]
    )
    assert "絞り込み：「欧州との経済協定」の中から探しました。" in markup
    assert "絞り込み" in copied_text(markup)
    assert "絞り込み" not in render_answer(Answer(answer="答え", abstained=False))


def test_a_marker_is_a_keyboard_reachable_button_for_its_source():
    markup = render_answer(Answer(answer="答え [1]", abstained=False, citations=[citation()]))
    [marker] = [attrs for tag, attrs in tags_of(markup) if attrs.get("class") == "ra-marker"]
    assert marker["role"] == "button" and marker["tabindex"] == "0"


def test_a_question_is_shown_as_text_and_read_back_as_typed():
    question = "<img src=x onerror=alert(1)>\n2行目 & 3"
    shown = render_question(question)
    assert not [tag for tag, _ in tags_of(shown) if tag == "img"]
    assert question_from_display(shown) == question
    assert question_from_display("ふつうの文字") == "ふつうの文字"


def test_the_startup_panel_shows_the_step_and_its_count():
    running = startup_html("資料を取り込んでいます…", 3, 8, 12.4, False)
    assert "資料を取り込んでいます" in running and "3/8 件" in running
    assert 'max="8" value="3"' in running and "経過 12 秒" in running
    failed = startup_html("準備中に問題が発生しました", 0, 0, 1, True)
    assert "<progress" not in failed and "ra-startup-failed" in failed


# -------------------------------------------------------------- tiers


def reader_answer(tier: str, **changes) -> Answer:
    quote = citation(text="平成24年11月20日、津市とパリ地域経済開発庁（ARD）は協定を締結した。")
    marked = replace(quote, mark_start=quote.quote_start, mark_end=quote.quote_start + 11)
    values = dict(
        answer="x",
        abstained=tier == "none",
        hedged=tier == "likely",
        lead={
            "answer": "平成24年11月20日です。[1]",
            "likely": LIKELY_INTRO,
            "none": ABSTENTION,
        }[tier],
        citations=[marked] if tier != "none" else [],
        related=[marked] if tier == "none" else [],
    )
    values.update(changes)
    return Answer(**values)


def test_each_answer_says_its_tier_first():
    for tier, label in TIER_LABELS.items():
        html = render_answer(reader_answer(tier))
        assert f'<div class="ra-tier ra-tier-{tier}">{label}</div>' in html
        assert html.index("ra-tier") < html.index("ra-answer")


def test_a_hedged_answer_looks_unlike_a_sure_one():
    hedged = render_answer(reader_answer("likely"))
    assert 'class="ra-msg ra-likely"' in hedged and LIKELY_INTRO in hedged
    assert "ra-likely" not in render_answer(reader_answer("answer"))


def test_the_stated_span_is_marked_inside_the_quote():
    html = render_answer(reader_answer("answer"))
    assert '<mark class="ra-stated">平成24年11月20日</mark>、津市と' in html
    # the quote line is built from the record, the lead keeps its marker button
    assert 'class="ra-marker"' in html and "平成24年11月20日です。" in html
