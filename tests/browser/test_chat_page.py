"""The page as a user sees it, in Debian chromium: ask, read the sources, add a report,
stay safe from hostile reports, check quality, and fit a phone screen."""

from __future__ import annotations

import pytest

from tests.browser.app_server import (
    HOSTILE_QUESTION,
    HOSTILE_REPORT_NAME,
    HOSTILE_REPORT_TEXT,
    NEW_REPORT_NAME,
    NEW_REPORT_QUESTION,
    NEW_REPORT_TEXT,
    small_question_file,
    write_report,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

RESULT_WORDS = "追加|更新|変更なし|失敗"
ANSWER_TIMEOUT = 90_000  # ms: the first question also warms up the models

# Records whether a still-growing (streaming) answer was ever shown, before the final one.
WATCH_STREAMING = """
() => {
  window.__sawStreaming = false;
  new MutationObserver(() => {
    if (document.querySelector('.ra-streaming')) window.__sawStreaming = true;
  }).observe(document.body, {childList: true, subtree: true});
}
"""


def ask(page, question: str, answers_before: int | None = None):
    """Type a question, press Enter, wait for its final answer; return that message."""
    messages = page.locator("#chatbot .ra-msg:not(.ra-streaming)")
    count = messages.count() if answers_before is None else answers_before
    page.fill("#question textarea", question)
    page.keyboard.press("Enter")
    page.wait_for_function(
        "n => document.querySelectorAll('#chatbot .ra-msg:not(.ra-streaming)').length > n",
        arg=count,
        timeout=ANSWER_TIMEOUT,
    )
    return messages.nth(count)


def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()


def upload_reports(page, *paths) -> None:
    open_tab(page, "資料")
    page.locator("#upload input[type=file]").set_input_files([str(p) for p in paths])
    page.locator("#ingest:enabled").wait_for()  # enabled once the upload has finished
    page.click("#ingest")
    # the result words appear only in the finished table, not in the progress overlay
    page.wait_for_function(
        "pattern => new RegExp(pattern).test(document.querySelector('#outcomes').innerText)",
        arg=RESULT_WORDS,
        timeout=ANSWER_TIMEOUT,
    )
    assert all(p.name in page.locator("#outcomes").inner_text() for p in paths)


def test_page_is_in_japanese_with_three_tabs(session):
    page = session.page
    assert page.title() == "報告書アシスタント"
    for name in ("チャット", "資料", "評価"):
        assert page.get_by_role("tab", name=name).is_visible()
    assert page.get_by_text("津市がOPIと協定を結んだのはいつ？").first.is_visible()  # an example


def test_answer_streams_in_and_its_citation_opens_to_the_highlighted_passage(session):
    page = session.page
    page.evaluate(WATCH_STREAMING)
    message = ask(page, "津市がOPIと協定を結んだのはいつ？")
    assert "11月21日" in message.locator(".ra-answer").inner_text()
    assert page.evaluate("window.__sawStreaming")
    assert message.locator(".ra-marker").first.inner_text() == "[1]"

    source = message.locator("details.ra-source").first
    passage = source.locator(".ra-passage")
    assert not passage.is_visible()
    source.locator("summary").click()
    assert passage.is_visible()
    highlighted = passage.locator("mark").first.inner_text()
    assert highlighted and highlighted in passage.inner_text()
    assert "tsu_2012_europe_economic_agreements.txt" in source.locator("summary").inner_text()


def test_follow_up_question_is_answered_in_context(session):
    page = session.page
    ask(page, "OPIの代表は誰？")
    follow_up = ask(page, "その人は何と発言しましたか？")
    assert "ピエール=フランソワ・アンジェ" in follow_up.locator(".ra-answer").inner_text()


def test_new_conversation_button_starts_an_empty_conversation(session):
    page = session.page
    ask(page, "ARDの正式名称は？")
    page.click("#new-conversation")
    page.wait_for_function("document.querySelectorAll('#chatbot .ra-msg').length === 0")
    assert page.locator("#conversation-title input").input_value() == ""


def test_unanswerable_question_shows_a_notice_and_possibly_related_passages(session):
    page = session.page
    message = ask(page, "津市の人口は何人ですか？")
    assert "ra-abstained" in message.get_attribute("class")
    assert (
        message.locator(".ra-sources-heading").get_by_text("関連する可能性のある箇所").is_visible()
    )
    assert message.locator(".ra-marker").count() == 0


def test_uploaded_report_becomes_answerable(session, tmp_path):
    page = session.page
    report = write_report(tmp_path, NEW_REPORT_NAME, NEW_REPORT_TEXT)
    upload_reports(page, report)
    assert "追加" in page.locator("#outcomes").inner_text()
    page.locator("#reports").get_by_text(NEW_REPORT_NAME).first.wait_for()

    open_tab(page, "チャット")
    message = ask(page, NEW_REPORT_QUESTION)
    # searched at once: quoted as the answer, or offered first among the related passages
    source = message.locator("details.ra-source").first
    assert NEW_REPORT_NAME in source.locator("summary").inner_text()
    source.locator("summary").click()
    assert "中学生12名" in source.inner_text()


def test_hostile_report_is_shown_as_text_and_never_runs(session, tmp_path):
    page = session.page
    upload_reports(page, write_report(tmp_path, HOSTILE_REPORT_NAME, HOSTILE_REPORT_TEXT))
    open_tab(page, "チャット")
    message = ask(page, HOSTILE_QUESTION)
    source = message.locator("details.ra-source").first
    source.locator("summary").click()
    passage_text = source.locator(".ra-passage").inner_text()
    assert "<script>alert(1)</script>" in passage_text
    assert "<img src=x onerror=alert(1)>" in passage_text
    assert page.locator("#chatbot script, #chatbot img[src='x']").count() == 0
    page.wait_for_timeout(500)  # give an injected handler the chance to fire
    assert session.dialogs == []


def test_report_is_deleted_only_after_confirmation(session, tmp_path):
    page = session.page
    name = "削除確認テスト.txt"
    upload_reports(
        page,
        write_report(
            tmp_path,
            name,
            "桑名市と台湾・台南市の観光交流報告\n令和4年3月1日、観光協会の職員6名が訪問しました。\n",
        ),
    )
    page.locator("#reports").get_by_text(name).first.click()  # selecting the row picks it
    page.click("#ask-delete")
    page.locator("#confirm-delete").first.get_by_text("よろしいですか").wait_for()
    page.click("#confirm-no")
    page.locator("#confirm-yes").wait_for(state="hidden")
    assert page.locator("#reports").get_by_text(name).count() > 0

    page.click("#ask-delete")
    page.click("#confirm-yes")
    page.locator("#reports-status").get_by_text("削除しました").wait_for()
    page.wait_for_function(
        "name => !document.querySelector('#reports').innerText.includes(name)", arg=name
    )


def test_evaluation_tab_shows_metrics_chart_and_downloads(session, tmp_path):
    page = session.page
    open_tab(page, "評価")
    questions = small_question_file(tmp_path)
    page.locator("#questions-file input[type=file]").set_input_files(str(questions))
    page.locator("#questions-choice").get_by_text(questions.name).wait_for()
    page.click("#run-evaluation")
    page.locator("#metrics").get_by_text("回答の正解率").wait_for(timeout=180_000)
    page.locator("#evaluation-summary").get_by_text("3 問を評価しました").wait_for()
    # drawn by the browser, with the Japanese metric names
    page.locator("#evaluation-chart").get_by_text("正解率").first.wait_for()
    page.wait_for_function(
        # the name is split into stem and extension elements
        "document.querySelector('#evaluation-downloads').textContent.replace(/\\s/g, '')"
        ".includes('evaluation.zip')"
    )


def test_phone_width_answer_and_sources_fit_the_screen(phone_session):
    page = phone_session.page
    message = ask(page, "欧州ミッション団には何社が参加しましたか？")
    message.locator("details.ra-source summary").first.click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    box = message.locator(".ra-passage").first.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
