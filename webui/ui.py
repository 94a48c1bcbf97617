"""The page: three tabs (チャット, 資料, 評価) wired to ``WebApp`` handlers.

Endpoints open to API clients: ``/chat``, ``/ingest``, ``/list_reports``, ``/delete_report``,
``/evaluate``. Writes to the index (ingest, delete) run one at a time; the evaluation runs one
at a time beside them; chats run two at a time (two CPU cores) and never wait for an ingest.
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from webui.evaluation import COMPARE_HEADERS, FAILURE_HEADERS, METRIC_HEADERS
from webui.handlers import (
    ADD_AS_NEW,
    OUTCOME_HEADERS,
    REPLACE_SAME_NAME,
    REPORT_HEADERS,
    WebApp,
)
from webui.render import status_html
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


def questions_choice(path: str | None) -> str:
    name = Path(path).name if path else "既定の質問集（corpus/questions.jsonl）"
    return status_html(f"使用する質問集：{name}")


def build_ui(app: WebApp) -> gr.Blocks:
    with gr.Blocks(title=TITLE, analytics_enabled=False, fill_height=True) as demo:
        gr.Markdown(INTRO, elem_id="intro")
        with gr.Tabs():
            with gr.Tab("チャット", id="chat", elem_id="tab-chat"):
                _chat_tab(app)
            with gr.Tab("資料", id="reports", elem_id="tab-reports"):
                reports_table, delete_choice = _reports_tab(app)
            with gr.Tab("評価", id="evaluation", elem_id="tab-evaluation"):
                _evaluation_tab(app)
        demo.load(
            app.refresh_reports,
            None,
            [reports_table, delete_choice],
            api_name="list_reports",
            api_description="登録済みの資料の一覧",
        )
    return demo


def _chat_tab(app: WebApp) -> None:
    chatbot = gr.Chatbot(
        label="会話",
        show_label=False,
        elem_id="chatbot",
        height="62vh",
        min_height=320,
        placeholder=CHAT_PLACEHOLDER,
        latex_delimiters=[],  # report text with "$" must stay text
        feedback_options=None,
        buttons=["copy"],
    )
    textbox = gr.Textbox(
        placeholder=QUESTION_PLACEHOLDER,
        show_label=False,
        elem_id="question",
        max_length=500,
        submit_btn="送信",
        stop_btn="停止",
    )
    chat = gr.ChatInterface(
        app.chat,
        chatbot=chatbot,
        textbox=textbox,
        examples=EXAMPLES,
        examples_label="質問の例",
        api_name="chat",
        api_description="質問に答える（会話の履歴はセッションごとに引き継がれます）",
        concurrency_limit=CHAT_CONCURRENCY,
        fill_height=False,
        autofocus=True,
    )
    with gr.Row():
        clear = gr.Button(
            "会話をクリア",
            size="sm",
            variant="secondary",
            scale=0,
            min_width=140,
            elem_id="clear-chat",
        )
    # ChatInterface blanks the placeholder while it answers and never restores it.
    chatbot.change(
        lambda: gr.update(placeholder=QUESTION_PLACEHOLDER),
        None,
        [textbox],
        api_visibility="private",
        queue=False,
    )
    clear.click(
        lambda: ([], [], []),
        None,
        [chat.chatbot, chat.chatbot_state, chat.chatbot_value],
        queue=False,
        api_visibility="private",
    )


def _reports_tab(app: WebApp) -> tuple[gr.Dataframe, gr.Dropdown]:
    gr.Markdown("### 資料を追加\n" + REPORTS_HELP)
    files = gr.File(
        label=f"報告書ファイル（複数選べます。1ファイル {app.settings.upload_max_mb:g} MB まで）",
        file_count="multiple",
        file_types=list(UPLOAD_EXTENSIONS),
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
        headers=OUTCOME_HEADERS,
        label="取り込み結果",
        interactive=False,
        wrap=True,
        elem_id="outcomes",
    )
    gr.Markdown("### 登録済みの資料")
    reports = gr.Dataframe(
        headers=REPORT_HEADERS,
        label="登録済みの資料（行を選ぶと削除の対象になります）",
        interactive=False,
        wrap=True,
        elem_id="reports",
    )
    with gr.Row(equal_height=True):
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
    ingest.click(
        app.ingest_uploads,
        [files, same_name],
        [outcomes, reports, delete_choice],
        api_name="ingest",
        api_description="報告書ファイルを取り込む",
        concurrency_limit=1,
        concurrency_id="index_write",
    ).success(
        lambda: (None, gr.update(visible=False, value=REPLACE_SAME_NAME), ""),
        None,
        [files, same_name, same_name_notice],
        api_visibility="private",
        queue=False,
    )

    def pick_row(event: gr.SelectData) -> str:
        return event.row_value[1]  # the file column: the report's key

    reports.select(pick_row, None, [delete_choice], api_visibility="private", queue=False)
    refresh.click(app.refresh_reports, None, [reports, delete_choice], api_visibility="private")
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
    ).then(
        lambda: gr.update(visible=False), None, [confirm_box], api_visibility="private", queue=False
    )
    cancel.click(
        lambda: gr.update(visible=False), None, [confirm_box], api_visibility="private", queue=False
    )
    return reports, delete_choice


def _evaluation_tab(app: WebApp) -> None:
    gr.Markdown("### 評価\n" + EVALUATION_HELP)
    questions = gr.File(
        label="質問ファイル（JSONL、省略可）",
        file_types=[".jsonl"],
        type="filepath",
        elem_id="questions-file",
    )
    chosen = gr.HTML(questions_choice(None), elem_id="questions-choice")
    compare = gr.Checkbox(
        label="LLMの各方式（verify・generate・combined）と抜粋のみを並べて比較する（LLMサーバー設定時）",
        value=False,
        elem_id="compare-modes",
    )
    run = gr.Button("評価を実行", variant="primary", elem_id="run-evaluation")
    summary = gr.Markdown(elem_id="evaluation-summary")
    metrics = gr.Dataframe(
        headers=METRIC_HEADERS, label="全体の指標", interactive=False, elem_id="metrics"
    )
    chart = gr.Image(
        label="結果のグラフ", type="filepath", interactive=False, elem_id="evaluation-chart"
    )
    failures = gr.Dataframe(
        headers=FAILURE_HEADERS,
        label="期待どおりでなかった質問",
        interactive=False,
        wrap=True,
        elem_id="failures",
    )
    downloads = gr.File(
        label="結果のダウンロード（zip・report.md・results.jsonl・report.png）",
        file_count="multiple",
        interactive=False,
        elem_id="evaluation-downloads",
    )
    comparison = gr.Dataframe(
        headers=COMPARE_HEADERS,
        label="回答の方式の比較（総合点：正しい回答・正しく控えた +1、誤答 −2）",
        interactive=False,
        wrap=True,
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
    )
