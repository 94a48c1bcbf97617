"""The chat around the answer, as a new user finds it (issue 25, item 7): the 👎 correction
box in sight, marks kept across a reload, an evaluation tab whose chart, tables and downloads
say what they show, a start-up panel that moves and says when it is ready, a question typed
while a conversation loads, conversations told apart, buttons of normal height, and Japanese
for screen readers and tooltips."""

from __future__ import annotations

import re
import shutil

import pytest

from tests.browser.app_server import running_app, small_question_file
from tests.browser.conftest import DESKTOP, open_page
from tests.browser.test_chat_features import bot_rows, buttons_of, user_questions
from tests.browser.test_chat_page import ANSWER_TIMEOUT, ask, open_tab
from tests.conftest import SEED_REPORT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

QUESTION = "欧州ミッション団には何社が参加しましたか？"
OTHER_QUESTION = "ARDの正式名称は？"


def inside_viewport(page, locator) -> bool:
    box = locator.bounding_box()
    height = page.viewport_size["height"]
    # a pixel's slack: scrolled into view, a box may end a fraction of a pixel below
    return box is not None and box["y"] >= -1 and box["y"] + box["height"] <= height + 1


def answered(page, question: str, answers_before: int | None = None):
    """``ask``, then wait until the chat has finished (its last update has arrived)."""
    message = ask(page, question, answers_before)
    page.locator("#question .submit-button").wait_for()
    return message


def test_after_thumbs_down_the_correction_box_is_in_sight_beside_the_answer(session):
    page = session.page
    answered(page, QUESTION)
    dislike = buttons_of(bot_rows(page).last).get_by_role("button", name="役に立たなかった")
    dislike.click()
    page.locator("#feedback-status").get_by_text("👎 を記録しました").wait_for()
    box = page.locator("#correction").first
    box.wait_for()
    page.wait_for_timeout(800)  # any scrolling has finished
    assert inside_viewport(page, box)
    assert inside_viewport(page, page.locator("#feedback-status"))
    assert inside_viewport(page, buttons_of(bot_rows(page).last))  # the answer is still there


def test_thumbs_marks_survive_a_reload(session):
    page = session.page
    answered(page, QUESTION)
    buttons_of(bot_rows(page).last).get_by_role("button", name="役に立った").click()
    page.locator("#feedback-status").get_by_text("👍 を記録しました").wait_for()
    answered(page, OTHER_QUESTION)
    buttons_of(bot_rows(page).last).get_by_role("button", name="役に立たなかった").click()
    page.locator("#feedback-status").get_by_text("👎 を記録しました").wait_for()
    page.wait_for_timeout(500)

    page.reload()
    page.wait_for_function("document.querySelectorAll('#chatbot .ra-question').length === 2")
    first, second = buttons_of(bot_rows(page).nth(0)), buttons_of(bot_rows(page).nth(1))
    first.get_by_role("button", name="役に立った（選択中）").wait_for(timeout=10_000)
    second.get_by_role("button", name="役に立たなかった（選択中）").wait_for(timeout=10_000)
    assert first.get_by_role("button", name="役に立たなかった", exact=True).count() == 1


def run_small_evaluation(page, tmp_path) -> None:
    open_tab(page, "評価")
    questions = small_question_file(tmp_path)
    page.locator("#questions-file input[type=file]").set_input_files(str(questions))
    page.locator("#questions-choice").get_by_text(questions.name).wait_for()
    page.click("#run-evaluation")
    page.locator("#evaluation-summary").get_by_text("3 問を評価しました").wait_for(timeout=180_000)
    page.locator("#evaluation-chart svg").first.wait_for()
    page.wait_for_timeout(1_000)  # the chart is drawn


def test_the_evaluation_chart_caption_describes_the_chart(session, tmp_path):
    from webui.evaluation import CHART_METRICS

    page = session.page
    run_small_evaluation(page, tmp_path)
    chart = page.locator("#evaluation-chart")
    caption = chart.locator("[data-testid=block-info], label").first.inner_text()
    texts = chart.locator("svg text").evaluate_all("els => els.map(e => e.textContent)")
    assert "赤字" not in caption
    assert not [t for t in texts if t.endswith("…")], texts  # no label cut short
    assert {CHART_METRICS[m] for m in ("answer_accuracy", "false_abstention_rate")} <= set(texts)
    # what the caption says about lower-is-better metrics is what the legend shows
    assert "低いほど良い" in caption and "低いほど良い" in texts


def test_without_an_llm_the_empty_mode_comparison_is_hidden(session):
    page = session.page
    open_tab(page, "評価")
    page.locator("#run-evaluation").wait_for()
    assert not page.locator("#mode-comparison").is_visible()
    assert not page.locator("#compare-modes").is_visible()


def test_the_result_downloads_have_no_remove_buttons(session, tmp_path):
    page = session.page
    run_small_evaluation(page, tmp_path)
    downloads = page.locator("#evaluation-downloads")
    downloads.locator("a[download]").first.wait_for()
    assert downloads.locator("a[download]").count() == 4
    assert downloads.locator("button:visible").count() == 0


def test_the_start_up_bar_moves_within_a_report_and_says_when_it_is_ready(
    browser, tmp_path_factory, model_dir, request
):
    corpus = tmp_path_factory.mktemp("corpus-one")
    shutil.copy(SEED_REPORT, corpus / SEED_REPORT.name)
    data_dir = tmp_path_factory.mktemp("startup-one") / "data"
    with running_app(data_dir, wait_until_ready=False, REPORTS_CORPUS_DIR=str(corpus)) as url:
        context = browser.new_context(viewport=DESKTOP, locale="ja-JP")
        # every value the bar shows, from the first paint on
        context.add_init_script(
            """window.__bar = [];
            new MutationObserver(() => {
              const bar = document.querySelector('#startup-status progress[max]');
              if (bar) window.__bar.push(bar.value + '/' + bar.max);
            }).observe(document, {subtree: true, childList: true, attributes: true});"""
        )
        pages = open_page(browser, url, DESKTOP, request, context=context)
        page = next(pages).page
        status = page.locator("#startup-status")
        status.get_by_text("準備ができました").wait_for(timeout=ANSWER_TIMEOUT * 3)
        shown = list(dict.fromkeys(page.evaluate("window.__bar")))
        within = [v for v in shown if 0 < float(v.split("/")[0]) < float(v.split("/")[1])]
        assert len(within) >= 2, shown  # it moved while the one report was being embedded
        assert "11月21日" in ask(page, "津市がOPIと協定を結んだのはいつ？").inner_text()
        pages.close()


def test_a_page_opened_once_ready_shows_no_start_up_panel(session):
    page = session.page
    page.wait_for_timeout(2_000)  # past a poll of the start-up state
    assert page.locator("#startup-status").inner_text().strip() == ""


HOLD_LOADS = "**/gradio_api/run/predict*"  # the page's own (unqueued) events: the load too


def test_a_question_typed_while_the_conversation_loads_is_kept_and_sent(session):
    page = session.page
    answered(page, QUESTION)  # a saved conversation to load
    held, holding = [], [True]
    page.route(HOLD_LOADS, lambda route: held.append(route) if holding[0] else route.continue_())
    page.reload()
    page.wait_for_selector("#question textarea")
    for _ in range(50):  # until the load is under way (and held)
        if held:
            break
        page.wait_for_timeout(100)
    assert held
    page.fill("#question textarea", OTHER_QUESTION)
    page.keyboard.press("Enter")
    page.wait_for_timeout(1_500)
    # not sent into a conversation that is still being replaced, and not gone either
    assert page.locator("#question textarea").input_value() == OTHER_QUESTION
    assert "読み込" in page.locator("#question-pending").inner_text()
    holding[0] = False
    for route in held:
        route.continue_()
    page.wait_for_function(
        "q => Array.from(document.querySelectorAll('#chatbot .ra-question'))"
        ".some(e => e.innerText === q)",
        arg=OTHER_QUESTION,
        timeout=ANSWER_TIMEOUT,
    )
    page.wait_for_function(
        "document.querySelectorAll('#chatbot .ra-msg:not(.ra-streaming)').length === 2",
        timeout=ANSWER_TIMEOUT,
    )
    assert user_questions(page).all_inner_texts() == [QUESTION, OTHER_QUESTION]
    assert not page.locator("#question-pending").is_visible()


def test_conversations_with_the_same_title_are_told_apart(session):
    page = session.page
    answered(page, OTHER_QUESTION)
    page.click("#new-conversation")
    page.wait_for_function("!document.querySelector('#chatbot .ra-msg')")
    answered(page, OTHER_QUESTION, answers_before=0)
    listing = page.locator("#conversation-list label")
    page.wait_for_function(
        "q => Array.from(document.querySelectorAll('#conversation-list label'))"
        ".filter(e => e.innerText.includes(q)).length >= 2",
        arg=OTHER_QUESTION,
    )
    labels = [t.strip() for t in listing.all_inner_texts()]
    assert len(labels) == len(set(labels)), labels


def test_the_report_buttons_are_of_normal_height(session):
    page = session.page
    open_tab(page, "資料")
    for selector in ("#ask-delete", "#refresh-reports"):
        button = page.locator(selector)
        button.wait_for()
        assert button.bounding_box()["height"] <= 48, selector


ENGLISH = re.compile(r"[A-Za-z]{3,}")


def labels_and_tooltips(page, selector: str) -> list[str]:
    return page.evaluate(
        """selector => Array.from(document.querySelectorAll(selector + ' [aria-label], '
             + selector + ' [title]'),
             e => (e.getAttribute('aria-label') || '') + ' ' + (e.getAttribute('title') || ''))""",
        selector,
    )


def test_screen_reader_labels_and_tooltips_are_japanese(session):
    page = session.page
    answered(page, QUESTION)
    answered(page, OTHER_QUESTION)
    answered(page, "津市がOPIと協定を結んだのはいつ？")
    # scrolled up, the chat offers a way back down to the latest answer
    page.locator("#chatbot").hover()
    for _ in range(3):  # what a wheel turned upwards does (an answer's last update may
        # still scroll the chat down once)
        page.mouse.wheel(0, -3_000)
        page.wait_for_timeout(300)
        page.evaluate(
            "document.querySelectorAll('#chatbot .bubble-wrap').forEach(e => {"
            " e.scrollTop = 0; e.dispatchEvent(new Event('scroll')); })"
        )
        page.wait_for_timeout(300)
    down = page.locator("#chatbot .scroll-down-button-container button")
    down.wait_for(timeout=10_000)
    page.wait_for_timeout(500)
    found = labels_and_tooltips(page, "#chatbot") + labels_and_tooltips(page, "footer")
    found += labels_and_tooltips(page, "[role=tablist]")
    # an answer's label goes on into the report text it quotes (「…」, which may hold Latin
    # names such as OPI's French one): only the words before the quotes are ours
    ours = [t.split("「", 1)[0] if t.startswith("回答：") else t for t in found]
    english = [t for t in ours if ENGLISH.search(re.sub(r"OPI|ARD|[\w.-]+\.txt", "", t))]
    assert not english, english
    assert not [t for t in found if "<" in t]
    # each answer is read out as an answer, in the words it is shown with (its tier first)
    assert page.locator("#chatbot [aria-label^='回答：']").count() >= 3
    assert page.locator(f"#chatbot [aria-label='質問：{QUESTION}']").count() == 1
    assert "最新" in (down.get_attribute("aria-label") or "")


def test_the_footer_has_no_stray_separator(session):
    page = session.page
    footer = page.locator("footer")
    footer.wait_for()
    assert "·" not in footer.inner_text()
    assert "API として使う" in footer.inner_text()
