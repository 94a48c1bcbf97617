"""Japanese for the words Gradio itself puts on the page (tooltips, toasts, table menus).

Gradio's own Japanese dictionary lacks many of them (「Copy message」, 「Error」, 「Filter」…),
so a Japanese browser showed them in English. The keys are given flat ("chatbot.copy_message"):
Gradio's translation lookup takes a flat key before its own nested dictionaries, so these
words win for English browsers too, and the whole page is Japanese whatever the browser's
language (the product serves a Japanese office).
"""

from __future__ import annotations

import gradio as gr

JAPANESE = {
    # the chat
    "chatbot.edit": "編集",
    "chatbot.retry": "もう一度回答する",
    "chatbot.undo": "最後の質問を取り消す",
    "chatbot.submit": "送信",
    "chatbot.cancel": "キャンセル",
    "chatbot.like": "役に立った",
    "chatbot.dislike": "役に立たなかった",
    "chatbot.clear": "会話をクリア",
    "chatbot.complete": "完了",
    "chatbot.copy_message": "回答をコピー",
    "chatbot.copied_message": "コピーしました",
    "chat_interface.new_chat": "新しい会話",
    "chat_interface.message_placeholder": "質問を入力してください",
    "chat_interface.additional_inputs": "そのほかの入力",
    "chat_interface.chatbot": "会話",
    "chat_interface.conversation": "会話",
    # shared words, toasts and the footer
    "common.built_with": "作成：",
    "common.built_with_gradio": "Gradio で作成",
    "common.clear": "クリア",
    "common.download": "ダウンロード",
    "common.download_all": "すべてダウンロード",
    "common.edit": "編集",
    "common.empty": "空",
    "common.error": "エラー",
    "common.hosted_on": "ホスト：",
    "common.loading": "読み込み中",
    "common.logo": "ロゴ",
    "common.or": "または",
    "common.remove": "削除",
    "common.runs": "実行履歴",
    "common.runs_description": "このブラウザに保存された実行履歴を見る",
    "common.back_to_app": "アプリ",
    "common.back_to_app_description": "アプリに戻る",
    "common.settings": "設定",
    "common.share": "共有",
    "common.submit": "送信",
    "common.undo": "元に戻す",
    "common.no_devices": "デバイスが見つかりません",
    "common.language": "言語",
    "common.display_theme": "表示テーマ",
    "common.pwa": "プログレッシブウェブアプリ",
    "common.progress": "進行状況",
    "common.record": "録音",
    "common.stop_recording": "録音を停止",
    "common.screen_studio": "画面収録",
    "common.share_gradio_tab": "タブを共有",
    "common.run": "実行",
    "errors.use_via_api": "API として使う",
    "errors.use_via_api_or_mcp": "API または MCP として使う",
    "status.queue_position": "順番待ち：{size} 件中 {position} 番目",
    "blocks.lost_connection": "ページを離れたため接続が切れました。もう一度つなぎ直しています…",
    "blocks.waiting_for_inputs": "ファイルのアップロードが終わるまでお待ちください。",
    # uploads and tables
    "file.uploading": "アップロード中…",
    "upload_text.click_to_upload": "クリックしてファイルを選ぶ",
    "upload_text.drop_file": "ここにファイルをドロップ",
    "upload_text.drop_csv": "ここに CSV をドロップ",
    "upload_text.paste_clipboard": "クリップボードから貼り付け",
    "dataframe.filter": "絞り込み",
    "dataframe.clear_filter": "絞り込みを解除",
    "dataframe.clear_sort": "並べ替えを解除",
    "dataframe.sort_column": "列で並べ替え",
    "dataframe.sort_ascending": "昇順に並べ替え",
    "dataframe.sort_descending": "降順に並べ替え",
    "dataframe.import_empty_file": "ファイルが空です。",
    "dataframe.import_no_column_names": "ファイルに列名がありません。",
    "dataframe.import_static_columns": "読み取り専用の表には取り込めません。",
    "dropdown.dropdown": "選択肢",
    "checkbox.checkbox": "チェックボックス",
    "checkbox.checkbox_group": "チェックボックスの一覧",
    "radio.radio": "選択肢",
    "plot.plot": "グラフ",
    "label.label": "ラベル",
    "number.number": "数値",
    "login.username": "ユーザー名",
    "login.password": "パスワード",
    "login.login": "ログイン",
    "login.incorrect_credentials": "ユーザー名またはパスワードが違います",
}


def japanese_everywhere() -> gr.I18n:
    """Translations for ``launch(i18n=...)``: Japanese for Japanese and English browsers."""
    return gr.I18n(ja=JAPANESE, en=JAPANESE)
