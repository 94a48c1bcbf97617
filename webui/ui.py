"""The page: a start-up panel and three tabs (チャット, 資料, 評価) wired to ``WebApp`` handlers.

Endpoints open to API clients: ``/chat``, ``/ingest``, ``/list_reports``, ``/delete_report``,
``/evaluate``, ``/export_feedback``. Writes to the index (ingest, delete) run one at a time;
the evaluation runs one at a time beside them; chats run two at a time (two CPU cores) and
never wait for an ingest.
"""

from __future__ import annotations

import html
from pathlib import Path

import gradio as gr

from assistant.service import MAX_QUESTION_CHARS
from webui.chat import validate_question
from webui.chatbot import ReportChatbot
from webui.conversations import browser_secret
from webui.evaluation import (
    CHART_CAPTION,
    CHART_COLOR,
    CHART_COLORS,
    CHART_X,
    CHART_Y,
    COMPARE_HEADERS,
    FAILURE_COLUMN_WIDTHS,
    FAILURE_HEADERS,
    METRIC_HEADERS,
)
from webui.handlers import (
    ADD_AS_NEW,
    OUTCOME_HEADERS,
    REPLACE_SAME_NAME,
    REPORT_HEADERS,
    WebApp,
)
from webui.render import startup_html, status_html
from webui.startup import READY
from webui.uploads import UPLOAD_EXTENSIONS

TITLE = "報告書アシスタント"
EXAMPLES = [
    "津市がOPIと協定を結んだのはいつ？",
    "欧州ミッション団には何社が参加しましたか？",
    "ARDの正式名称は？",
]
QUESTION_PLACEHOLDER = "質問を入力してください（例：津市がOPIと協定を結んだのはいつ？）"
CHAT_CONCURRENCY = 2  # one per CPU core: answering is CPU-bound (embedding the question)
CSS_PATH = Path(__file__).with_name("style.css")
JS_PATH = Path(__file__).with_name("chat.js")
BROWSER_KEY = "reports-assistant-conversation"  # where the browser keeps the open conversation
STARTUP_POLL_S = 1.0
# After 👍 / 👎: the status line and (after 👎) the correction box sit under the question box;
# the page scrolls just enough to show them while the rated answer stays in sight, and the
# correction field takes the cursor.
SHOW_FEEDBACK_JS = """() => {
  setTimeout(() => {
    const box = [...document.querySelectorAll("#correction")].find((e) => e.offsetParent);
    const open = Boolean(box);
    const target = open ? box : document.querySelector("#feedback-status");
    if (target) target.scrollIntoView({ block: "nearest" });
    const field = open && box.querySelector("textarea, input[type=text]");
    if (field) field.focus({ preventScroll: true });
  }, 60);
}"""
# A saved conversation being put on screen: counted in the browser, so that a question sent
# meanwhile waits for it (chat.js, 4).
LOADING_STARTS_JS = "() => { window.__raLoading = (window.__raLoading || 0) + 1; }"
LOADING_ENDS_JS = """() => {
  window.__raLoading = Math.max(0, (window.__raLoading || 1) - 1);
  window.dispatchEvent(new Event("ra-conversation-shown"));
}"""
FILTER_LABEL = "質問する資料（選ばなければ、すべての資料から探します）"
# The counter under the question box, computed in the browser as the user types (a server
# round trip per keystroke would lag). Code points, as Python's len() counts them.
COUNTER_JS = f"""(text) => {{
  const n = [...(text || "").trim()].length;
  const over = n > {MAX_QUESTION_CHARS};
  const note = over ? "　長すぎます。{MAX_QUESTION_CHARS}文字以内にしてください。" : "";
  return `<div class="ra-counter${{over ? " ra-counter-over" : ""}}">${{n}} / {MAX_QUESTION_CHARS} 文字${{note}}</div>`;
}}"""
# System fonts only: the page must not fetch web fonts on an offline network.
THEME = gr.themes.Soft(
    primary_hue="indigo",
    neutral_hue="slate",
    font=[
        "Hiragino Sans",
        "Noto Sans JP",
        "Noto Sans CJK JP",
        "Yu Gothic UI",
        "Meiryo",
        "system-ui",
        "sans-serif",
    ],
    font_mono=["Noto Sans Mono CJK JP", "ui-monospace", "monospace"],
)

INTRO = (
    f"## {TITLE}\n"
    "登録した報告書の内容について、日本語で質問できます。"
    "回答の下の「出典」を開くと、根拠となった箇所を確認できます。"
)
CHAT_PLACEHOLDER = (
    "<strong>報告書について質問してください</strong><br>"
    "協定の締結日、参加者数、相手機関の名称など、報告書に書かれていることに答えます。"
)
REPORTS_HELP = (
    "報告書ファイル（" + " ".join(UPLOAD_EXTENSIONS) + "）を追加すると、すぐに質問できるように"
    "なります。登録済みの資料と同じ名前のファイルは、その資料を置き換えるか、別の資料として"
    "追加するかを選べます。"
)
EVALUATION_HELP = (
    "質問集でアシスタントの回答を確かめます。質問ファイル（JSONL）を選ばなければ、"
    "既定の質問集（corpus/questions.jsonl）を使います。数分かかることがあります。"
)
FEEDBACK_HELP = (
    "チャットで 👎 を付けて正しい答えを入力した回答を、評価用の質問集（JSONL）として"
    "書き出します。書き出したファイルを上の「質問ファイル」に選ぶと、その質問で評価できます。"
)
CORRECTION_HELP = "この回答の正しい答え（日付・人数・名称などの要点）を入力してください。"


def counter_html(length: int = 0) -> str:
    return f'<div class="ra-counter">{length} / {MAX_QUESTION_CHARS} 文字</div>'


def startup_view(app: WebApp) -> str:
    """The start-up panel; once ready, a line saying so that folds away after a while
    (style.css), so that whoever waited sees the moment they can ask."""
    state = app.startup.state
    if state.ready:
        return f'<div class="ra-startup-ready" role="status">{html.escape(READY)}</div>'
    return startup_html(state.message, state.done, state.total, state.elapsed_s, state.failed)


def questions_choice(path: str | None) -> str:
    name = Path(path).name if path else "既定の質問集（corpus/questions.jsonl）"
    return status_html(f"使用する質問集：{name}")


def build_ui(app: WebApp) -> gr.Blocks:
    with gr.Blocks(title=TITLE, analytics_enabled=False, fill_height=True) as demo:
        gr.Markdown(INTRO, elem_id="intro")
        startup = gr.HTML(startup_view(app), elem_id="startup-status")
        timer = gr.Timer(STARTUP_POLL_S, active=not app.startup.ready)
        with gr.Tabs():
            with gr.Tab("チャット", id="chat", elem_id="tab-chat"):
                report_filter = _chat_tab(app, demo)
            with gr.Tab("資料", id="reports", elem_id="tab-reports"):
                reports_table, delete_choice = _reports_tab(app, report_filter)
            with gr.Tab("評価", id="evaluation", elem_id="tab-evaluation"):
                _evaluation_tab(app)
        demo.load(
            app.refresh_reports,
            None,
            [reports_table, delete_choice],
            api_name="list_reports",
            api_description="登録済みの資料の一覧",
        )

        def poll_startup():
            """The start-up panel; once ready it empties, stops polling and shows the
            reports the first start indexed."""
            state = app.startup.state
            if not (state.ready or state.failed):
                return startup_view(app), gr.skip(), gr.skip(), gr.skip(), gr.skip()
            table, choices = app.refresh_reports()
            return (
                startup_view(app),
                gr.Timer(active=False),
                table,
                choices,
                app.report_filter(),
            )

        def opened():
            """A page opened once the assistant is ready shows no start-up panel at all (the
            page is built before the start-up, with the panel in it)."""
            if app.startup.ready:
                return "", gr.Timer(active=False)
            return startup_view(app), gr.skip()

        demo.load(
            opened,
            None,
            [startup, timer],
            api_visibility="private",
            queue=False,
            show_progress="hidden",
        )
        timer.tick(
            poll_startup,
            None,
            [startup, timer, reports_table, delete_choice, report_filter],
            api_visibility="private",
            queue=False,
            show_progress="hidden",
        )
    return demo


def _chat_tab(app: WebApp, demo: gr.Blocks) -> gr.Dropdown:
    current = gr.State(None)  # the id of the conversation on screen (None: not saved yet)
    remembered = gr.BrowserState(
        None, storage_key=BROWSER_KEY, secret=browser_secret(app.conversations.root)
    )
    rated = gr.State(None)  # the feedback a correction will be added to
    with gr.Row(equal_height=False):
        with gr.Column(scale=1, min_width=220, elem_id="conversations"):
            new = gr.Button("＋ 新しい会話", variant="primary", elem_id="new-conversation")
            listing = gr.Radio(
                choices=[], label="保存した会話", elem_id="conversation-list", interactive=True
            )
            title = gr.Textbox(label="会話の名前", max_lines=1, elem_id="conversation-title")
            with gr.Row():
                rename = gr.Button("名前を変更", size="sm", elem_id="rename-conversation")
                ask_delete = gr.Button(
                    "削除…", size="sm", variant="stop", elem_id="delete-conversation"
                )
            with gr.Group(visible=False, elem_id="confirm-conversation-delete") as confirm_box:
                gr.HTML(status_html("この会話を削除します。よろしいですか？", "warning"))
                with gr.Row():
                    yes = gr.Button("削除する", variant="stop", elem_id="conversation-delete-yes")
                    no = gr.Button("キャンセル", elem_id="conversation-delete-no")
            listing_status = gr.HTML(elem_id="conversation-status")
        with gr.Column(scale=4):
            report_filter = gr.Dropdown(
                label=FILTER_LABEL,
                choices=[],
                value=[],
                multiselect=True,
                # API clients name reports directly; the page's choices are set per session
                allow_custom_value=True,
                elem_id="report-filter",
            )
            chatbot = ReportChatbot(
                label="会話",
                show_label=False,
                elem_id="chatbot",
                height="58vh",
                min_height=320,
                placeholder=CHAT_PLACEHOLDER,
                latex_delimiters=[],  # report text with "$" must stay text
                feedback_options=("Like", "Dislike"),  # shown as 👍 / 👎
                buttons=["copy"],
            )
            textbox = gr.Textbox(
                label="質問",  # unlabelled, Gradio names the box "Textbox" for screen readers
                placeholder=QUESTION_PLACEHOLDER,
                show_label=False,
                elem_id="question",
                submit_btn="送信",
                stop_btn="停止",
            )
            chat = gr.ChatInterface(
                app.chat,
                chatbot=chatbot,
                textbox=textbox,
                additional_inputs=[report_filter, current],
                additional_outputs=[current],
                examples=[[q] for q in EXAMPLES],
                examples_label="質問の例",
                api_name="chat",
                api_description="質問に答える（会話の履歴はセッションごとに引き継がれます）",
                concurrency_limit=CHAT_CONCURRENCY,
                fill_height=False,
                autofocus=True,
                validator=validate_question,
            )
            counter = gr.HTML(counter_html(), elem_id="question-counter")
            feedback_status = gr.HTML(elem_id="feedback-status")
            with gr.Group(visible=False, elem_id="correction") as correction_box:
                correction = gr.Textbox(
                    label="正しい答え", info=CORRECTION_HELP, max_lines=3, elem_id="correction-text"
                )
                unanswerable = gr.Checkbox(
                    label="資料に答えはない（回答を控えるべきだった）",
                    elem_id="correction-unanswerable",
                )
                with gr.Row():
                    send = gr.Button("訂正を送る", variant="primary", elem_id="send-correction")
                    close = gr.Button("閉じる", elem_id="close-correction")

    shown = [current, chatbot, chat.chatbot_state, title, report_filter]
    private = {"api_visibility": "private"}

    def show(conversation: tuple) -> tuple:
        conversation_id, messages, name, sources, marks = conversation
        # the chat shows each answer's 👍 / 👎 as it was left
        shown_messages = gr.update(value=messages, feedback_value=marks)
        return conversation_id, shown_messages, messages, name, app.report_filter(sources)

    def restore(remembered_id, request: gr.Request):
        return show(app.restore(remembered_id, request))

    def open_selected(conversation_id, request: gr.Request):
        return show(app.open_conversation(conversation_id, request))

    def delete(conversation_id, request: gr.Request):
        return show(app.delete_conversation(conversation_id, request))

    def start_new():
        empty = gr.update(value=[], feedback_value=[])
        return None, empty, [], "", gr.update(value=[]), gr.update(visible=False), ""

    listed = {
        "fn": app.conversation_list,
        "inputs": [current],
        "outputs": [listing, listing_status, title],
    }
    # ChatInterface blanks the placeholder while it answers and never restores it.
    chatbot.change(
        lambda: gr.update(placeholder=QUESTION_PLACEHOLDER),
        None,
        [textbox],
        queue=False,
        show_progress="hidden",  # the box stays usable while a conversation is put on screen
        **private,
    )
    textbox.change(None, [textbox], [counter], js=COUNTER_JS, queue=False, **private)
    current.change(lambda c: c, [current], [remembered], queue=False, **private).then(
        **listed, queue=False, **private
    )
    listing.input(None, js=LOADING_STARTS_JS, **private)
    listing.input(open_selected, [listing], shown, queue=False, **private).then(
        None, js=LOADING_ENDS_JS, **private
    ).then(
        lambda: (gr.update(visible=False), ""), None, [correction_box, feedback_status], **private
    )
    new.click(
        start_new, None, [*shown, correction_box, feedback_status], queue=False, **private
    ).then(**listed, queue=False, **private)
    chatbot.clear(lambda: None, None, [current], queue=False, **private)
    rename.click(
        app.rename_conversation, [current, title], [listing, listing_status, title], **private
    )

    def confirm_delete(conversation_id):
        if not conversation_id:
            raise gr.Error("削除する会話を一覧から選んでください。", title="エラー")
        return gr.update(visible=True)

    ask_delete.click(confirm_delete, [current], [confirm_box], queue=False, **private)
    yes.click(delete, [current], shown, **private).then(
        lambda: gr.update(visible=False), None, [confirm_box], queue=False, **private
    ).then(**listed, queue=False, **private)
    no.click(lambda: gr.update(visible=False), None, [confirm_box], queue=False, **private)

    chatbot.like(
        app.rate, [chatbot, current], [feedback_status, correction_box, rated], **private
    ).then(None, js=SHOW_FEEDBACK_JS, **private)
    send.click(
        app.correct,
        [rated, correction, unanswerable],
        [feedback_status, correction_box, correction, unanswerable],
        **private,
    )
    close.click(lambda: gr.update(visible=False), None, [correction_box], queue=False, **private)

    # Every page load: the conversation this browser had open (else the latest) comes back.
    demo.load(None, js=LOADING_STARTS_JS, **private)
    demo.load(restore, [remembered], shown, queue=False, **private).then(
        None, js=LOADING_ENDS_JS, **private
    ).then(**listed, queue=False, **private)
    return report_filter


def _reports_tab(app: WebApp, report_filter: gr.Dropdown) -> tuple[gr.Dataframe, gr.Dropdown]:
    gr.Markdown("### 資料を追加\n" + REPORTS_HELP)
    # No file_types: Gradio would refuse other files in the browser with an English message;
    # the upload handler refuses them with a Japanese one naming the file.
    files = gr.File(
        label=f"報告書ファイル（複数選べます。1ファイル {app.settings.upload_max_mb:g} MB まで）",
        file_count="multiple",
        type="filepath",
        elem_id="upload",
    )
    # Shown only when a chosen file has the name of an indexed report.
    same_name_notice = gr.HTML(elem_id="same-name-notice")
    same_name = gr.Radio(
        [REPLACE_SAME_NAME, ADD_AS_NEW],
        value=REPLACE_SAME_NAME,
        label="同じ名前の資料が登録済みのとき",
        visible=False,
        elem_id="same-name",
    )
    # Enabled once the browser has finished uploading: a click during the upload would
    # otherwise reach the server with no files.
    ingest = gr.Button("取り込む", variant="primary", interactive=False, elem_id="ingest")
    outcomes = gr.Dataframe(
        buttons=[],  # Gradio labels its table buttons in English only ("Copy table data")
        headers=OUTCOME_HEADERS,
        label="取り込み結果",
        interactive=False,
        wrap=True,
        elem_id="outcomes",
    )
    gr.Markdown("### 登録済みの資料")
    reports = gr.Dataframe(
        buttons=[],  # Gradio labels its table buttons in English only ("Copy table data")
        headers=REPORT_HEADERS,
        label="登録済みの資料（行を選ぶと削除の対象になります）",
        interactive=False,
        wrap=True,
        elem_id="reports",
    )
    # Not equal_height: the buttons would stretch to the dropdown and its label (96 px);
    # style.css puts them level with the dropdown's box instead.
    with gr.Row(equal_height=False, elem_id="report-actions"):
        # allow_custom_value: API clients name the report directly; an unknown name gets
        # the handler's Japanese "not found" instead of Gradio's choice check.
        delete_choice = gr.Dropdown(
            label="削除する資料",
            choices=[],
            allow_custom_value=True,
            scale=3,
            elem_id="delete-choice",
        )
        ask_delete = gr.Button("削除…", variant="stop", scale=1, elem_id="ask-delete")
        refresh = gr.Button("一覧を更新", scale=1, elem_id="refresh-reports")
    with gr.Group(visible=False, elem_id="confirm-delete") as confirm_box:
        question = gr.HTML()
        with gr.Row():
            confirm = gr.Button("削除する", variant="stop", elem_id="confirm-yes")
            cancel = gr.Button("キャンセル", elem_id="confirm-no")
    status = gr.HTML(elem_id="reports-status")

    files.change(
        app.same_name_notice,
        [files],
        [ingest, same_name, same_name_notice],
        api_visibility="private",
        queue=False,
    )
    refresh_filter = {
        "fn": app.report_filter,
        "inputs": [report_filter],
        "outputs": [report_filter],
        "api_visibility": "private",
        "queue": False,
    }
    ingest.click(
        app.ingest_uploads,
        [files, same_name],
        [outcomes, reports, delete_choice],
        api_name="ingest",
        api_description="報告書ファイルを取り込む",
        concurrency_limit=1,
        concurrency_id="index_write",
        show_progress_on=[outcomes],  # one progress bar, not one per output
    ).success(
        lambda: (None, gr.update(visible=False, value=REPLACE_SAME_NAME), ""),
        None,
        [files, same_name, same_name_notice],
        api_visibility="private",
        queue=False,
    ).then(**refresh_filter)

    def pick_row(event: gr.SelectData) -> str:
        return event.row_value[1]  # the file column: the report's key

    reports.select(pick_row, None, [delete_choice], api_visibility="private", queue=False)
    refresh.click(
        app.refresh_reports, None, [reports, delete_choice], api_visibility="private"
    ).then(**refresh_filter)
    ask_delete.click(
        app.confirm_text, [delete_choice], [question], api_visibility="private"
    ).success(
        lambda: gr.update(visible=True), None, [confirm_box], api_visibility="private", queue=False
    )
    confirm.click(
        app.delete_report,
        [delete_choice],
        [status, reports, delete_choice],
        api_name="delete_report",
        api_description="資料を索引から削除する",
        concurrency_limit=1,
        concurrency_id="index_write",
        show_progress_on=[status],
    ).then(
        lambda: gr.update(visible=False), None, [confirm_box], api_visibility="private", queue=False
    ).then(**refresh_filter)
    cancel.click(
        lambda: gr.update(visible=False), None, [confirm_box], api_visibility="private", queue=False
    )
    return reports, delete_choice


def _evaluation_tab(app: WebApp) -> None:
    gr.Markdown("### 評価\n" + EVALUATION_HELP)
    questions = gr.File(  # no file_types: see the report upload
        label="質問ファイル（JSONL、省略可）",
        type="filepath",
        elem_id="questions-file",
    )
    chosen = gr.HTML(questions_choice(None), elem_id="questions-choice")
    # The comparison needs an LLM server: without one, neither its choice nor its (always
    # empty) table is shown. API clients may still ask and get the handler's message.
    with_llm = app.settings.llm_enabled
    compare = gr.Checkbox(
        label="LLMの各方式（verify・generate・combined）と抜粋のみを並べて比較する",
        value=False,
        visible=with_llm,
        elem_id="compare-modes",
    )
    run = gr.Button("評価を実行", variant="primary", elem_id="run-evaluation")
    summary = gr.Markdown(elem_id="evaluation-summary")
    metrics = gr.Dataframe(
        buttons=[],  # Gradio labels its table buttons in English only ("Copy table data")
        headers=METRIC_HEADERS,
        label="全体の指標",
        interactive=False,
        elem_id="metrics",
    )
    # Drawn by the browser, whose fonts show the Japanese labels.
    chart = gr.BarPlot(
        x=CHART_X,
        y=CHART_Y,
        color=CHART_COLOR,
        color_map=CHART_COLORS,
        y_lim=[0, 1],
        x_label_angle=-30,
        label=CHART_CAPTION,
        elem_id="evaluation-chart",
        height=360,
    )
    failures = gr.Dataframe(
        buttons=[],  # Gradio labels its table buttons in English only ("Copy table data")
        headers=FAILURE_HEADERS,
        label="期待どおりでなかった質問",
        interactive=False,
        wrap=True,
        column_widths=FAILURE_COLUMN_WIDTHS,
        elem_id="failures",
    )
    downloads = gr.File(
        label="結果のダウンロード（zip・report.md・results.jsonl・report.png）",
        file_count="multiple",
        interactive=False,
        elem_id="evaluation-downloads",
    )
    comparison = gr.Dataframe(
        buttons=[],  # Gradio labels its table buttons in English only ("Copy table data")
        headers=COMPARE_HEADERS,
        label="回答の方式の比較（総合点：正しい回答・正しく控えた +1、誤答 −2）",
        interactive=False,
        wrap=True,
        visible=with_llm,
        elem_id="mode-comparison",
    )
    # Says which question set will run; it changes only once an upload has finished.
    questions.change(questions_choice, [questions], [chosen], api_visibility="private", queue=False)
    run.click(
        app.evaluate,
        [questions, compare],
        [summary, metrics, chart, failures, downloads, comparison],
        api_name="evaluate",
        api_description="質問集で評価する",
        concurrency_limit=1,
        concurrency_id="evaluation",
        show_progress_on=[metrics],  # one progress bar, not one per output
    )

    gr.Markdown("### フィードバックから質問集を作る\n" + FEEDBACK_HELP)
    export = gr.Button("フィードバックを質問集として書き出す", elem_id="export-feedback")
    export_status = gr.HTML(elem_id="feedback-export-status")
    exported = gr.File(
        label="書き出した質問集（JSONL）", interactive=False, elem_id="feedback-export-file"
    )
    export.click(
        app.export_feedback,
        None,
        [export_status, exported],
        api_name="export_feedback",
        api_description="👎 と訂正の付いた回答を質問集（JSONL）として書き出す",
        show_progress_on=[export_status],
    )
