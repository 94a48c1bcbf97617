"""The chat's message list shows a question as the text typed, and hands it back unchanged."""

from __future__ import annotations

from webui.chatbot import ReportChatbot

HOSTILE = "<img src=x onerror=alert(1)> と **太字** の質問\n2行目"


def shown_text(chatbot, history):
    return [m.content[0].text for m in chatbot.postprocess(history).root]


def test_a_question_is_sent_to_the_page_escaped_and_answers_as_they_are():
    chatbot = ReportChatbot(render=False)
    answer = '<div class="ra-msg"><div class="ra-answer">答え</div></div>'
    question, shown_answer = shown_text(
        chatbot, [{"role": "user", "content": HOSTILE}, {"role": "assistant", "content": answer}]
    )
    assert "<img" not in question and "&lt;img src=x onerror=alert(1)&gt;" in question
    assert question.startswith('<div class="ra-question">') and "\n" not in question
    assert shown_answer == answer


def test_the_question_comes_back_as_typed():
    chatbot = ReportChatbot(render=False)
    payload = chatbot.postprocess([{"role": "user", "content": HOSTILE}])
    [message] = chatbot.preprocess(payload)
    assert message["content"][0]["text"] == HOSTILE
