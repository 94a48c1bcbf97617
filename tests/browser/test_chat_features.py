"""The finished chat in Debian chromium: plain-text copy, questions shown as text, the length
limit, saved conversations across reloads and restarts, the report filter, feedback that
becomes a question set, a page without Gradio's English, and the start-up page."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time

import pytest

from tests.browser.app_server import (
    NEW_REPORT_NAME,
    NEW_REPORT_QUESTION,
    NEW_REPORT_TEXT,
    READY_LINE,
    REPO,
    running_app,
    write_report,
)
from tests.browser.conftest import DESKTOP, open_page
from tests.browser.test_chat_page import ANSWER_TIMEOUT, ask, open_tab, upload_reports
from tests.conftest import CONFUSABLE_REPORTS, SEED_REPORT
from tests.support.index_files import copy_index

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FLAGSHIP = "津市がOPIと協定を結んだのはいつ？"
# docs/screenshot.png is replaced only on request (REPORTS_UPDATE_SCREENSHOT=1, running this
# test alone so that the list holds one conversation); otherwise the shot goes to the artifacts
# and the tracked file is left alone.
SCREENSHOT = (
    REPO / "docs" / "screenshot.png"
    if os.environ.get("REPORTS_UPDATE_SCREENSHOT") == "1"
    else REPO / "test-artifacts" / "screenshot.png"
)
# ASCII words allowed on the page: names from the reports and the product's own terms.
ALLOWED_ASCII = {
    "OPI", "ARD", "JSONL", "jsonl", "LLM", "MRR", "API", "recall", "verify", "generate",
    "combined", "REPORTS_LLM_URL", "corpus", "questions", "txt", "pdf", "docx", "html", "htm",
    "md", "zip", "png", "report", "results", "evaluation", "CERN", "Gradio",
}  # fmt: skip


def bot_rows(page):
    return page.locator("#chatbot .message-row.bot-row")


def buttons_of(row):
    """The buttons Gradio shows under a message (the row's next sibling)."""
    return row.locator("xpath=following-sibling::div[contains(@class, 'message-buttons')][1]")


def user_questions(page):
    return page.locator("#chatbot .ra-question")


def test_copy_gives_the_answer_and_its_sources_as_plain_text(session):
    page = session.page
    ask(page, FLAGSHIP)
    buttons_of(bot_rows(page).last).get_by_role("button", name="回答をコピー").click()
    page.wait_for_timeout(300)
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "<" not in copied and "ra-msg" not in copied
    assert "11月21日" in copied
    assert "出典\n[1] " in copied and "tsu_2012_europe_economic_agreements.txt" in copied


def test_markup_in_a_question_is_shown_as_text_and_requests_nothing(session):
    page = session.page
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    question = "<img src=x onerror=alert(1)> OPIの代表は誰？"
    ask(page, question)
    assert user_questions(page).last.inner_text() == question
    assert page.locator("#chatbot img[src='x'], #chatbot script").count() == 0
    page.wait_for_timeout(500)
    assert not [url for url in requested if re.search(r"/x($|\?)", url)]
    assert session.dialogs == []


def test_an_empty_question_is_not_sent(session):
    page = session.page
    page.fill("#question textarea", "   ")
    page.keyboard.press("Enter")
    page.get_by_text("質問を入力してください。").first.wait_for()
    page.wait_for_timeout(500)
    assert user_questions(page).count() == 0


def test_the_length_limit_is_counted_and_a_longer_question_is_refused(session):
    page = session.page
    page.fill("#question textarea", "あ" * 600)
    counter = page.locator("#question-counter")
    counter.get_by_text("600 / 500 文字").wait_for()
    assert "長すぎます" in counter.inner_text()
    assert page.locator("#question textarea").input_value() == "あ" * 600  # nothing cut
    page.keyboard.press("Enter")
    page.get_by_text("質問が長すぎます（600文字）").first.wait_for()
    assert user_questions(page).count() == 0
    page.fill("#question textarea", "ARDの正式名称は？")
    counter.get_by_text("10 / 500 文字").wait_for()


def test_a_citation_marker_opens_its_source_card(session):
    page = session.page
    message = ask(page, FLAGSHIP)
    card = message.locator("details.ra-source").first
    assert card.get_attribute("open") is None
    message.locator(".ra-marker").first.click()
    page.wait_for_function(
        "el => el.open", arg=card.element_handle(), timeout=5_000
    )  # the card opened
    assert card.locator(".ra-passage").is_visible()


CONTRAST = """
el => {
  const rgb = c => c.match(/[\\d.]+/g).slice(0, 4).map(Number);
  const lum = ([r, g, b]) => {
    const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  let node = el, background = null;
  while (node && !background) {
    const c = rgb(getComputedStyle(node).backgroundColor);
    if (c.length < 4 || c[3] > 0.99) background = c; else node = node.parentElement;
  }
  const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(background || [255, 255, 255])];
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}
"""


def test_the_quoted_evidence_is_readable(session):
    page = session.page
    message = ask(page, FLAGSHIP)
    quote = message.locator(".ra-quote").first
    assert quote.evaluate(CONTRAST) >= 4.5


def choose_reports(page, *names: str) -> None:
    for name in names:
        page.locator("#report-filter input").click()
        page.locator("#report-filter input").fill(name)
        page.get_by_role("option", name=re.compile(re.escape(name))).first.click()
    page.keyboard.press("Escape")


def test_the_report_filter_limits_the_cited_reports(session, tmp_path):
    page = session.page
    upload_reports(page, write_report(tmp_path, NEW_REPORT_NAME, NEW_REPORT_TEXT))
    open_tab(page, "チャット")
    choose_reports(page, SEED_REPORT.name)
    message = ask(page, NEW_REPORT_QUESTION)
    places = message.locator("details.ra-source summary").all_inner_texts()
    assert places and all(SEED_REPORT.name in place for place in places)
    assert "絞り込み" in message.locator(".ra-scope").inner_text()

    page.click("#new-conversation")  # a new conversation starts without a filter
    page.wait_for_function("!document.querySelector('#report-filter').innerText.includes('tsu_')")
    message = ask(page, NEW_REPORT_QUESTION, answers_before=0)
    places = message.locator("details.ra-source summary").all_inner_texts()
    assert any(NEW_REPORT_NAME in place for place in places)


def evaluate_questions(path, data_dir) -> dict:
    env = {
        **os.environ,
        "REPORTS_DATA_DIR": str(data_dir),
        "REPORTS_CORPUS_DIR": str(REPO / "corpus"),
        "PYTHONPATH": str(REPO),
    }
    done = subprocess.run(
        [sys.executable, "-m", "assistant", "evaluate", str(path), "--json"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def test_a_thumbs_down_correction_is_exported_and_evaluated(session, app_data_dir, tmp_path):
    page = session.page
    question = "欧州ミッション団には何社が参加しましたか？"
    ask(page, question)
    buttons_of(bot_rows(page).last).get_by_role("button", name="役に立たなかった").click()
    page.locator("#correction textarea, #correction input[type=text]").first.fill("7社")
    page.click("#send-correction")
    page.locator("#feedback-status").get_by_text("訂正を記録しました").wait_for()

    open_tab(page, "評価")
    page.click("#export-feedback")
    page.locator("#feedback-export-status").get_by_text("1 問").wait_for(timeout=30_000)
    with page.expect_download() as download:
        page.locator("#feedback-export-file a").first.click()
    exported = tmp_path / "feedback.jsonl"
    download.value.save_as(exported)
    [line] = [json.loads(x) for x in exported.read_text(encoding="utf-8").splitlines()]
    assert line["question"] == question and line["expect_any"] == ["7社"]

    result = evaluate_questions(exported, app_data_dir)
    assert result["overall"]["n"] == 1
    assert result["questions"][0]["question"] == question


# What users and reports wrote (questions, answers, conversation names) is not the page's own.
# what users and reports wrote (questions, answers quoting reports, the evaluated answers in
# the failures table's fourth column): report text may hold Latin names (OPI's French name)
USER_CONTENT = (
    "#chatbot .ra-msg, #chatbot .ra-question, #conversation-list label, #failures td:nth-child(4)"
)


def visible_ascii_words(page) -> set[str]:
    """ASCII words in the page's own rendered text, tooltips and placeholders."""
    page.wait_for_timeout(1_000)  # no request still pending
    text = page.evaluate(
        """selector => {
            let text = document.body.innerText;
            for (const el of document.querySelectorAll(selector)) {
                text = text.split(el.innerText).join(' ');
            }
            return [text,
                ...Array.from(document.querySelectorAll('[title]'), e => e.title),
                ...Array.from(document.querySelectorAll('[placeholder]'), e => e.placeholder)
            ].join(' ');
        }""",
        USER_CONTENT,
    )
    text = re.sub(r"[\w.-]*[_.][\w.-]+", " ", text)  # file names: tsu_2012_….txt
    return set(re.findall(r"[A-Za-z]{3,}", text)) - ALLOWED_ASCII


def test_no_english_gradio_words_on_the_three_tabs(session, tmp_path):
    page = session.page
    ask(page, FLAGSHIP)
    found = {"チャット": visible_ascii_words(page)}
    open_tab(page, "資料")
    page.wait_for_function(
        "name => document.querySelector('#reports').innerText.includes(name)", arg=SEED_REPORT.name
    )
    found["資料"] = visible_ascii_words(page)
    open_tab(page, "評価")
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        json.dumps({"id": "x1", "question": FLAGSHIP, "expect_any": ["存在しない答え"]}) + "\n",
        encoding="utf-8",
    )
    page.locator("#questions-file input[type=file]").set_input_files(str(questions))
    page.locator("#questions-choice").get_by_text("q.jsonl").wait_for()
    page.click("#run-evaluation")
    page.locator("#evaluation-summary").get_by_text("1 問を評価しました").wait_for(timeout=180_000)
    found["評価"] = visible_ascii_words(page)
    assert found == {"チャット": set(), "資料": set(), "評価": set()}
    # the failures table fits the page instead of running off to the right
    assert "次のいずれか：存在しない答え" in page.locator("#failures").inner_text()
    table = page.locator("#failures table").first.bounding_box()
    assert table["x"] + table["width"] <= DESKTOP["width"]


def test_a_conversation_survives_a_reload_and_an_app_restart(
    browser, tmp_path_factory, corpus_data_dir, request
):
    data_dir = copy_index(corpus_data_dir, tmp_path_factory.mktemp("restart") / "data")
    with running_app(data_dir) as url:
        pages = open_page(browser, url, DESKTOP, request)  # closed (and its context) below
        page = next(pages).page
        ask(page, FLAGSHIP)
        page.locator("#conversation-list").get_by_text("津市がOPIと協定").wait_for()
        page.locator("#conversation-title input").fill("OPIとの協定")
        page.click("#rename-conversation")
        page.locator("#conversation-list").get_by_text("OPIとの協定").wait_for()
        page.reload()
        page.wait_for_selector("#chatbot .ra-msg")
        assert user_questions(page).first.inner_text() == FLAGSHIP
        assert "11月21日" in page.locator("#chatbot .ra-answer").first.inner_text()
        pages.close()
    with running_app(data_dir) as url:
        pages = open_page(browser, url, DESKTOP, request)  # closed (and its context) below
        page = next(pages).page
        page.wait_for_selector("#chatbot .ra-msg")
        assert user_questions(page).first.inner_text() == FLAGSHIP
        assert page.locator("#conversation-title input").input_value() == "OPIとの協定"
        follow_up = ask(page, "その協定は誰と結びましたか？", answers_before=1)
        assert follow_up.locator(".ra-answer").inner_text()
        page.reload()
        page.wait_for_function("document.querySelectorAll('#chatbot .ra-question').length === 2")
        pages.close()


def test_the_start_up_page_appears_before_the_index_is_ready(
    browser, tmp_path_factory, model_dir, request
):
    corpus = tmp_path_factory.mktemp("corpus")
    for report in (SEED_REPORT, *CONFUSABLE_REPORTS):
        shutil.copy(report, corpus / report.name)
    data_dir = tmp_path_factory.mktemp("startup") / "data"
    started = time.monotonic()
    with running_app(data_dir, wait_until_ready=False, REPORTS_CORPUS_DIR=str(corpus)) as url:
        served_after = time.monotonic() - started
        log = next(data_dir.parent.glob("app-*.log"))
        pages = open_page(browser, url, DESKTOP, request)  # closed (and its context) below
        page = next(pages).page
        status = page.locator("#startup-status")
        assert READY_LINE not in log.read_text(encoding="utf-8")
        assert re.search("準備|取り込んで", status.inner_text())
        page.locator("#startup-status progress").first.wait_for()
        status.get_by_text("準備ができました").wait_for(timeout=ANSWER_TIMEOUT * 3)
        assert not page.locator("#startup-status progress").count()
        assert READY_LINE in log.read_text(encoding="utf-8")
        assert "11月21日" in ask(page, FLAGSHIP).locator(".ra-answer").inner_text()
        pages.close()
    assert served_after < 60, f"the page took {served_after:.0f} s to be served"


def test_screenshot_of_the_chat(browser, app_url, request):
    """docs/screenshot.png: the chat at 1280 px, with a saved conversation and a source open."""
    pages = open_page(browser, app_url, {"width": 1280, "height": 860}, request)
    page = next(pages).page
    page.click("#new-conversation")
    message = ask(page, FLAGSHIP, answers_before=0)
    page.wait_for_function(
        "t => document.querySelector('#conversation-title input').value === t", arg=FLAGSHIP
    )  # the saved conversation is named after its question
    message.locator(".ra-marker").first.click()
    page.wait_for_timeout(800)
    page.evaluate("window.scrollTo(0, 0)")
    # the marker scrolls the chat to its source card; show the question and answer above it
    page.evaluate(
        "document.querySelectorAll('#chatbot *').forEach(e => {"
        " if (e.scrollHeight > e.clientHeight + 4) e.scrollTop = 0; })"
    )
    page.wait_for_timeout(300)
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))
    pages.close()
