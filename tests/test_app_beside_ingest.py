"""The running chat follows the index other processes change (README: the CLI ingest beside
the chat): ``python app.py`` keeps answering, from 20 questions at once, while two
``python -m ingest`` runs add reports and a third prunes one, and answers from what they
left; nothing is lost or stored twice."""

from __future__ import annotations

import threading

import pytest
from gradio_client import Client

from ingest.settings import Settings
from tests.browser.app_server import NEW_REPORT_NAME, NEW_REPORT_TEXT, running_app
from tests.conftest import CORPUS_DIR
from tests.support.processes import cli_env, run_cli
from tests.support.snapshot import snapshot_in_subprocess
from tests.test_app_client import answer_part, rows
from webui.render import ERROR_MESSAGE

pytestmark = pytest.mark.slow

OLD_QUESTION = "津市がOPIと協定を結んだのはいつ？"
SUZUKA_QUESTION = "鈴鹿市の訪問団は何名で構成されましたか？"  # only NEW_REPORT says
IGA_NAME = "伊賀市_大学連携_2021.txt"
IGA_TEXT = """伊賀市とフランス・ナンシー市の大学連携報告

１　連携の内容
令和3年6月10日、伊賀市とナンシー大学は学生交流に関する覚書を締結しました。
覚書に基づき、毎年6名の学生を相互に派遣します。
"""
IGA_QUESTION = "伊賀市がナンシー大学と覚書を締結したのはいつですか？"
ASKERS = 20


def ask_until(url: str, stop: threading.Event, replies: list, failures: list) -> None:
    client = Client(url, verbose=False)
    while not stop.is_set():
        for question in (OLD_QUESTION, SUZUKA_QUESTION, IGA_QUESTION):
            try:
                reply = client.predict(question, api_name="/chat")
            except Exception as exc:  # noqa: BLE001 - every failure counts, whatever it is
                failures.append(f"{question}: {exc!r}")
                continue
            (failures if ERROR_MESSAGE in reply else replies).append((question, reply))


def test_the_chat_answers_throughout_two_cli_ingests_and_a_prune(tmp_path, model_dir):
    data_dir = tmp_path / "data"
    settings = Settings(data_dir=data_dir, model_dir=model_dir, corpus_dir=CORPUS_DIR)
    reports = tmp_path / "reports"
    suzuka, iga = reports / "suzuka", reports / "iga"
    for folder, name, text in (
        (suzuka, NEW_REPORT_NAME, NEW_REPORT_TEXT),
        (iga, IGA_NAME, IGA_TEXT),
    ):
        folder.mkdir(parents=True)
        (folder / name).write_text(text, encoding="utf-8")
    env, logs = cli_env(settings), tmp_path / "logs"

    with running_app(data_dir) as url:
        first = Client(url, verbose=False)
        assert "21日" in answer_part(first.predict(OLD_QUESTION, api_name="/chat"))
        stop, replies, failures = threading.Event(), [], []
        askers = [
            threading.Thread(target=ask_until, args=(url, stop, replies, failures))
            for _ in range(ASKERS)
        ]
        for asker in askers:
            asker.start()
        try:
            for step, args in (
                ("ingest-suzuka", [str(suzuka)]),
                ("ingest-iga", [str(iga)]),
                ("prune-suzuka", ["--prune"]),
            ):
                if step == "prune-suzuka":
                    (suzuka / NEW_REPORT_NAME).unlink()
                code, _out, err = run_cli(["ingest", *args], env, logs, step, timeout=600)
                assert code == 0, f"{step}:\n{err}"
        finally:
            stop.set()
            for asker in askers:
                asker.join(timeout=300)
        assert replies and not failures, failures[:3]

        after = Client(url, verbose=False)
        iga_answer = answer_part(after.predict(IGA_QUESTION, api_name="/chat"))
        assert "6月10日" in iga_answer, iga_answer
        assert "21日" in answer_part(after.predict(OLD_QUESTION, api_name="/chat"))
        assert NEW_REPORT_NAME not in after.predict(SUZUKA_QUESTION, api_name="/chat")
        listed, _choices = after.predict(api_name="/list_reports")
        assert sorted(row[1] for row in rows(listed)) == sorted(
            [IGA_NAME, "tsu_2012_europe_economic_agreements.txt"]
        )
    snapshot = snapshot_in_subprocess(settings)
    assert not snapshot.at_rest_problems()
    assert sorted(set(snapshot.keyword.values())) == sorted(
        [IGA_NAME, "tsu_2012_europe_economic_agreements.txt"]
    )
