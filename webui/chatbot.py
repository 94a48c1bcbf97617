"""The chat's message list: Gradio's Chatbot, showing a user's question as text.

Gradio renders every message as Markdown with HTML allowed, so a question such as
``<img src=x onerror=…>`` would become a (sanitized) image that requests ``x`` and the typed
text would be lost. Answers are markup on purpose (``render.py``); questions are wrapped in
escaped markup only on the way to the browser and unwrapped on the way back, so the
conversation the handlers, the API and the saved files see holds the question as typed.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from webui.render import question_from_display, render_question


class ReportChatbot(gr.Chatbot):
    # A template of gr.Chatbot: the browser uses the Chatbot component unchanged.
    is_template = True

    def postprocess(self, value):
        return super().postprocess([_shown(message) for message in value or []])

    def preprocess(self, payload):
        return [_as_typed(message) for message in super().preprocess(payload)]


def _shown(message: Any) -> Any:
    if not isinstance(message, dict) or message.get("role") != "user":
        return message
    content = message.get("content")
    if isinstance(content, str):
        return {**message, "content": render_question(content)}
    if isinstance(content, list):
        return {**message, "content": [_shown_part(part) for part in content]}
    return message


def _shown_part(part: Any) -> Any:
    if isinstance(part, str):
        return render_question(part)
    if isinstance(part, dict) and part.get("type") == "text":
        return {**part, "text": render_question(part.get("text", ""))}
    return part


def _as_typed(message: dict) -> dict:
    if message.get("role") != "user":
        return message
    content = [
        {**part, "text": question_from_display(part["text"])}
        if isinstance(part, dict) and part.get("type") == "text"
        else part
        for part in message.get("content", [])
    ]
    return {**message, "content": content}
