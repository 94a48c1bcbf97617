"""The LLM path against a real llama.cpp server (Qwen2.5-Coder-0.5B-Instruct, Q4_K_M).

A 0.5B model invents facts; what must hold regardless is that users only ever see an answer
whose checkable claims are in the passages it cites, or the extractive answer with a notice.
Each real LLM call takes 5-15 s on two cores, so the questions here are few.
``make test-llm`` (part of ``make test``) installs the server and assembles the model.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from langchain_core.callbacks import BaseCallbackHandler

from assistant.citations import is_verbatim
from assistant.grounding import check_agreement, check_grounding
from assistant.llm import (
    NOTICE_CUT,
    NOTICE_DISAGREES,
    NOTICE_GENERATING,
    NOTICE_LLM_FOUND_NOTHING,
    NOTICE_NOT_HELD,
    NOTICE_UNGROUNDED,
    NOTICE_UNREACHABLE,
)
from assistant.reader import LearnedReader
from assistant.reader.model import load_model
from assistant.records import Answer
from assistant.service import Assistant
from scripts.setup_test_llm import LlamaServer, chat_environment, free_port, model_ready
from tests.conftest import REPO

# Notices that say the model answered but its answer was not shown (never a server failure).
ANSWERED_NOTICES = (
    "",
    NOTICE_UNGROUNDED,
    NOTICE_DISAGREES,
    NOTICE_LLM_FOUND_NOTHING,
    NOTICE_NOT_HELD,
)
REJECTED_NOTICES = (NOTICE_UNGROUNDED, NOTICE_DISAGREES, NOTICE_NOT_HELD)


@pytest.fixture(scope="module")
def llm_server():
    if not model_ready():
        pytest.fail("the test model is missing: run `make test-llm` (scripts/setup_test_llm.py)")
    with LlamaServer() as server:
        yield server


@pytest.fixture(scope="module")
def llm_assistant(llm_server, evaluation_settings, embeddings) -> Assistant:
    settings = evaluation_settings.with_(llm_url=llm_server.url, llm_mode="verify")
    return Assistant(settings, embeddings=embeddings)


def assistant_in(mode: str, server_url: str, settings, embeddings, *, reader_abstains=False):
    assistant = Assistant(settings.with_(llm_url=server_url, llm_mode=mode), embeddings=embeddings)
    if reader_abstains:  # a reader that never finds the answer confident enough
        # (neither sure of an answer nor that the reports speak of it: "not found")
        assistant.reader = LearnedReader(
            replace(load_model(), threshold=1.01, likely_threshold=1.01)
        )
    return assistant


@pytest.fixture(scope="module")
def extractive_assistant(evaluation_settings, embeddings) -> Assistant:
    return Assistant(evaluation_settings, embeddings=embeddings)


def assert_grounded_or_fallback(answer: Answer, extractive: Answer) -> None:
    """What a user sees is a checked generated answer, or exactly the extractive one; where
    the extractive reader abstains or answers by quoting sentences, its answer stands and the
    model is not asked."""
    if extractive.abstained or not extractive.stated:
        assert answer.abstained == extractive.abstained and answer.answer == extractive.answer
        assert answer.answered_by == "extractive" and "llm" not in answer.timings_ms
        return
    assert "llm" in answer.timings_ms, f"the LLM was not asked: {answer.notice}"
    assert answer.notice in ANSWERED_NOTICES, answer.notice
    assert all(is_verbatim(c) for c in answer.citations)
    if answer.answered_by == "llm":
        generated = answer.answer.split("\n[1] 「", 1)[0]
        cited = {c.marker: c.chunk_text for c in answer.citations}
        assert check_grounding(generated, cited) == []
        reader_sentence = extractive.citations[0].text
        assert check_agreement(generated, extractive.stated, reader_sentence, cited) == []
    else:
        assert answer.answer == extractive.answer
        assert answer.llm_rejected == (answer.notice in REJECTED_NOTICES)


@pytest.mark.llm
@pytest.mark.slow
@pytest.mark.parametrize(
    "question",
    [
        "津市がパリ地域経済開発局と協力協定を締結したのはいつですか？",
        "欧州ミッション団に参加した市内中小企業は何社ですか？",
        "津市の人口は何人ですか？",  # not in any report: the model tends to invent one
    ],
)
def test_answers_are_grounded_generations_or_fallbacks(
    llm_assistant, extractive_assistant, question
):
    answer = llm_assistant.ask(question)
    assert_grounded_or_fallback(answer, extractive_assistant.ask(question))


@pytest.mark.llm
@pytest.mark.slow
def test_a_follow_up_is_condensed_and_answered(llm_assistant, extractive_assistant):
    history = [
        (
            "津市がジュネーブで協定を結んだ相手はどこですか？",
            "ジュネーブ州産業振興機構（OPI）です[1]。",
        )
    ]
    question = "その協定はいつ締結されましたか？"
    answer = llm_assistant.ask(question, history)
    assert answer.retrieval_query  # the standalone question that was searched
    assert_grounded_or_fallback(answer, extractive_assistant.ask(answer.retrieval_query))


@pytest.mark.llm
@pytest.mark.slow
def test_the_cli_reports_who_answered(llm_server, evaluation_settings):
    env = {
        **os.environ,
        "REPORTS_LLM_URL": llm_server.url,
        "REPORTS_LLM_MODE": "combined",  # the model is asked whatever the reader found
        "REPORTS_DATA_DIR": str(evaluation_settings.data_dir),
        "REPORTS_MODEL_DIR": str(evaluation_settings.model_dir),
    }
    result = subprocess.run(
        [sys.executable, "-m", "assistant", "ask", "OPIとは何の略ですか？", "--json"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["answered_by"] in ("llm", "extractive")
    assert shown["notice"] in ANSWERED_NOTICES
    assert "llm" in shown["timings_ms"]
    assert shown["citations"] or shown["abstained"]


class _KillOnFirstToken(BaseCallbackHandler):
    """Kills the server as soon as the answer has started streaming."""

    def __init__(self, server: LlamaServer):
        self.server = server
        self.killed = False

    def on_llm_new_token(self, token: str, **kwargs) -> None:
        if not self.killed:
            self.killed = True
            self.server.kill()


@pytest.mark.llm
@pytest.mark.slow
def test_a_server_dying_mid_answer_falls_back_and_a_restarted_one_is_used_again(
    evaluation_settings, embeddings, extractive_assistant
):
    question = "欧州ミッション団に参加した市内中小企業は何社ですか？"
    extractive = extractive_assistant.ask(question)
    port = free_port()
    server = LlamaServer(port).start()
    try:
        settings = evaluation_settings.with_(llm_url=server.url, llm_mode="generate")
        assistant = Assistant(settings, embeddings=embeddings)
        killer = _KillOnFirstToken(server)
        assistant.llm.chat_model.callbacks = [killer]

        cut = assistant.ask(question)
        assert killer.killed
        assert cut.answered_by == "extractive"
        assert cut.notice == NOTICE_CUT
        assert cut.answer == extractive.answer

        down = assistant.ask(question)
        assert down.notice == NOTICE_UNREACHABLE
        assert down.answer == extractive.answer

        assistant.llm.chat_model.callbacks = []
        server = LlamaServer(port).start()
        again = assistant.ask(question)
        assert "llm" in again.timings_ms, "the restarted server is asked again"
        assert again.notice in ANSWERED_NOTICES
        assert all(is_verbatim(c) for c in again.citations)
    finally:
        server.stop()


@pytest.mark.llm
@pytest.mark.slow
def test_where_the_reader_abstains_generate_shows_a_grounded_answer_and_verify_does_not(
    llm_server, evaluation_settings, embeddings
):
    question = "四日市市が覚書を結んだ相手はどこですか？"  # stated plainly in its report
    verify = assistant_in(
        "verify", llm_server.url, evaluation_settings, embeddings, reader_abstains=True
    )
    held_back = verify.ask(question)
    assert held_back.abstained and "llm" not in held_back.timings_ms  # the model is not asked
    generate = assistant_in(
        "generate", llm_server.url, evaluation_settings, embeddings, reader_abstains=True
    )
    shown = generate.ask(question)
    assert shown.answered_by == "llm" and not shown.abstained, shown.notice
    generated = shown.answer.split("\n[1] 「", 1)[0]
    cited = {c.marker: c.chunk_text for c in shown.citations}
    assert check_grounding(generated, cited) == []
    # the partner, by its name or its abbreviation (the small model picks either)
    assert "バイエルン" in generated or "BIW" in generated


@pytest.mark.llm
@pytest.mark.slow
def test_the_web_chat_shows_a_checked_answer_or_the_extractive_one(
    llm_server, tmp_path, corpus_data_dir
):
    from gradio_client import Client

    from tests.browser.app_server import running_app
    from tests.support.index_files import copy_index
    from webui.render import ANSWERED_BY_LABELS

    data_dir = copy_index(corpus_data_dir, tmp_path / "data")
    with running_app(data_dir, REPORTS_LLM_URL=llm_server.url, REPORTS_LLM_MODE="combined") as url:
        job = Client(url, verbose=False).submit(
            "津市がOPIと協定を結んだのはいつ？", api_name="/chat"
        )
        message = job.result()
        shown = job.outputs()
    # While the model wrote, the chat showed the extractive answer with its sources.
    writing = NOTICE_GENERATING.split("（", 1)[0]
    assert any(writing in m and ANSWERED_BY_LABELS["extractive"] in m for m in shown[:-1])
    assert all("出典" in m for m in shown if writing in m)
    assert writing not in message
    assert NOTICE_UNREACHABLE not in message and NOTICE_CUT not in message
    shown_by = [who for who, label in ANSWERED_BY_LABELS.items() if label in message]
    assert shown_by in (["llm"], ["extractive"]), message
    if shown_by == ["extractive"]:
        assert any(notice in message for notice in (*REJECTED_NOTICES, NOTICE_LLM_FOUND_NOTHING))
    assert "出典" in message


def test_make_llm_starts_the_chat_in_combined_mode_unless_the_user_chose_one():
    model = Path("qwen2.5-coder-1.5b-instruct-q4_k_m.gguf")
    url = "http://127.0.0.1:8080/v1"
    chosen = chat_environment(url, model, {"PATH": "/usr/bin"})
    assert chosen["REPORTS_LLM_URL"] == url and chosen["REPORTS_LLM_MODE"] == "combined"
    assert chosen["PATH"] == "/usr/bin"  # the rest of the user's environment is kept
    mine = chat_environment(url, model, {"REPORTS_LLM_MODE": "generate"})
    assert mine["REPORTS_LLM_MODE"] == "generate"
