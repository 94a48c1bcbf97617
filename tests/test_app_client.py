"""The web app's endpoints through gradio_client, against ``python app.py`` on a free port."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from gradio_client import Client, handle_file

from tests.browser.app_server import (
    HOSTILE_QUESTION,
    HOSTILE_REPORT_NAME,
    HOSTILE_REPORT_TEXT,
    NEW_REPORT_NAME,
    NEW_REPORT_QUESTION,
    NEW_REPORT_TEXT,
    running_app,
    small_question_file,
    write_report,
)
from tests.support.index_files import copy_index

pytestmark = pytest.mark.slow

SEED = "tsu_2012_europe_economic_agreements.txt"


@pytest.fixture(scope="module")
def app_url(tmp_path_factory, corpus_data_dir):
    with running_app(copy_index(corpus_data_dir, tmp_path_factory.mktemp("app") / "data")) as url:
        yield url


@pytest.fixture
def client(app_url):
    """A new session per test: its own chat history."""
    return Client(app_url, verbose=False)


def answer_part(message: str) -> str:
    """The visible answer text of a rendered chat message (sources left out)."""
    answer = re.search(r'<div class="ra-answer">(.*?)</div>', message).group(1)
    return re.sub(r"<[^>]+>", "", answer)


def rows(table) -> list[list]:
    return table["data"] if isinstance(table, dict) else table


def upload(client: Client, *paths: Path):
    return client.predict([handle_file(str(p)) for p in paths], api_name="/ingest")


def test_startup_ingested_the_corpus(client):
    reports, _choices = client.predict(api_name="/list_reports")
    assert [row[1] for row in rows(reports)] == [SEED]


def test_chat_answers_with_markers_and_expandable_sources(client):
    message = client.predict("津市がOPIと協定を結んだのはいつ？", api_name="/chat")
    assert "11月21日" in answer_part(message)
    assert re.search(r'<span class="ra-marker"[^>]*>\[1\]</span>', message)
    assert "出典" in message
    assert re.search(
        r'<details class="ra-source"><summary><span class="ra-num">\[1\]</span>', message
    )
    assert re.search(r"<mark>[^<]+</mark>", message)
    assert SEED in message


def test_follow_up_questions_use_the_conversation(client):
    client.predict("OPIの代表は誰？", api_name="/chat")
    follow_up = client.predict("その人は何と発言しましたか？", api_name="/chat")
    assert "ピエール=フランソワ・アンジェ" in answer_part(follow_up)


def test_a_too_long_question_is_refused_with_the_limit(client):
    message = client.predict("津市がOPIと協定を結んだのはいつ？" + "あ" * 600, api_name="/chat")
    assert "長すぎます" in message and "500文字以内" in message
    assert "ra-source" not in message


def test_chat_within_chosen_reports_cites_only_them(client, tmp_path):
    name = "絞り込みテスト_報告.txt"
    text = "伊勢市とイタリア・ヴェローナ市の観光交流報告\n令和5年6月2日、観光協会の職員5名が訪問しました。\n"
    upload(client, write_report(tmp_path, name, text))
    question = "ヴェローナ市を訪問した観光協会の職員は何名？"
    assert name in client.predict(question, api_name="/chat")
    restricted = Client(client.src, verbose=False)  # a fresh conversation
    message = restricted.predict(question, [SEED], api_name="/chat")
    assert name not in message and SEED in message
    assert "絞り込み" in message


def test_unanswerable_question_abstains_visibly(client):
    message = client.predict("津市の人口は何人ですか？", api_name="/chat")
    assert 'class="ra-msg ra-abstained"' in message
    assert "関連する可能性のある箇所" in message


def test_uploaded_report_is_answerable_immediately(client, tmp_path):
    report = write_report(tmp_path, NEW_REPORT_NAME, NEW_REPORT_TEXT)
    outcomes, reports, _choices = upload(client, report)
    assert rows(outcomes)[0][:2] == [NEW_REPORT_NAME, "追加"]
    assert NEW_REPORT_NAME in [row[1] for row in rows(reports)]

    # the new report is searched at once: its sentence is the answer's quote, or, where the
    # reader is not confident enough to answer, among the related passages it offers
    message = client.predict(NEW_REPORT_QUESTION, api_name="/chat")
    assert NEW_REPORT_NAME in message
    assert "中学生12名" in message

    again, _reports, _choices = upload(client, report)
    assert rows(again)[0][:2] == [NEW_REPORT_NAME, "変更なし"]


def test_unreadable_file_fails_with_a_message_naming_it(client, tmp_path):
    broken = tmp_path / "壊れた資料.pdf"
    broken.write_bytes(b"this is not a pdf")
    outcomes, reports, _choices = upload(client, broken)
    name, result, message = rows(outcomes)[0]
    assert (name, result) == ("壊れた資料.pdf", "失敗")
    assert "壊れた資料.pdf" in message
    assert "Traceback" not in message and str(tmp_path) not in message
    assert "壊れた資料.pdf" not in [row[1] for row in rows(reports)]


def test_hostile_report_text_reaches_the_page_escaped(client, tmp_path):
    upload(client, write_report(tmp_path, HOSTILE_REPORT_NAME, HOSTILE_REPORT_TEXT))
    message = client.predict(HOSTILE_QUESTION, api_name="/chat")
    assert "9" in answer_part(message)
    assert "<script" not in message and "<img" not in message
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in message


def test_deleted_report_is_no_longer_listed_or_cited(client, tmp_path):
    name = "削除テスト_報告.txt"
    report = write_report(
        tmp_path,
        name,
        "四日市市とオランダ・ロッテルダム市の港湾協力報告\n令和3年5月20日、港湾技術者8名が視察しました。\n",
    )
    upload(client, report)
    status, reports, _choices = client.predict(name, api_name="/delete_report")
    assert "削除しました" in status
    assert name not in [row[1] for row in rows(reports)]
    message = client.predict("ロッテルダム市を視察した港湾技術者は何名？", api_name="/chat")
    assert name not in message


def test_deleting_an_unknown_report_says_so_in_japanese(client):
    with pytest.raises(Exception, match="見つかりませんでした"):
        client.predict("no-such-report.txt", api_name="/delete_report")


def test_evaluation_endpoint_returns_metrics_chart_and_downloads(client, tmp_path):
    questions = small_question_file(tmp_path)
    summary, metrics, chart, failures, downloads, comparison = client.predict(
        handle_file(str(questions)), False, api_name="/evaluate"
    )
    assert "3 問を評価しました" in summary
    names = [row[0] for row in rows(metrics)]
    assert "回答の正解率" in names and "検索で根拠が5位以内に入った率（recall@5）" in names
    assert any(name.startswith("答えられる質問に誤った答え") for name in names)
    assert rows(comparison) == []  # no mode comparison was asked for
    assert "正解率" in json.dumps(chart, ensure_ascii=False)  # the chart's Japanese labels
    assert any(str(p).endswith("evaluation.zip") for p in downloads)
    assert any(str(p).endswith("report.png") and Path(p).stat().st_size > 10_000 for p in downloads)
    assert isinstance(rows(failures), list)


def test_bad_question_file_is_refused_with_its_line_named(client, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x1", "question": "質問"}\nnot json\n', encoding="utf-8")
    with pytest.raises(Exception, match="bad.jsonl") as error:
        client.predict(handle_file(str(bad)), False, api_name="/evaluate")
    assert str(tmp_path) not in str(error.value)


def test_comparing_llm_modes_without_a_server_says_what_to_set(client, tmp_path):
    with pytest.raises(Exception, match="REPORTS_LLM_URL"):
        client.predict(handle_file(str(small_question_file(tmp_path))), True, api_name="/evaluate")


@pytest.fixture(scope="module")
def protected_url(tmp_path_factory, corpus_data_dir):
    data_dir = copy_index(corpus_data_dir, tmp_path_factory.mktemp("auth") / "data")
    with running_app(data_dir, REPORTS_AUTH="staff:s3cret:x") as url:
        yield url


def test_login_is_required_when_reports_auth_is_set(protected_url):
    with pytest.raises(Exception):  # noqa: B017 - gradio_client raises a plain ValueError
        Client(protected_url, verbose=False)
    with pytest.raises(Exception):  # noqa: B017
        Client(protected_url, auth=("staff", "wrong"), verbose=False)
    client = Client(protected_url, auth=("staff", "s3cret:x"), verbose=False)
    assert "11月21日" in answer_part(
        client.predict("津市がOPIと協定を結んだのはいつ？", api_name="/chat")
    )


def test_chat_keeps_answering_while_a_large_report_is_ingested(app_url, tmp_path):
    """Ingest and chat run in separate queues: a question is not held up by an upload."""
    paragraphs = [
        f"第{n}回の協議では、伊賀市の企業{n}社がリヨン市の展示会に出展し、"
        f"商談件数は{n * 3}件、成約見込みは{n}件でした。担当は国際課の職員{n % 7 + 2}名です。"
        for n in range(1, 121)
    ]
    report = write_report(
        tmp_path, "伊賀市_展示会報告_大.txt", "伊賀市の欧州展示会報告\n" + "\n".join(paragraphs)
    )
    uploader = Client(app_url, verbose=False)
    job = uploader.submit([handle_file(str(report))], api_name="/ingest")
    asker = Client(app_url, verbose=False)
    answers = []
    while not job.done() and len(answers) < 3:
        answers.append(
            asker.predict("欧州ミッション団には何社が参加しましたか？", api_name="/chat")
        )
    outcomes, _reports, _choices = job.result(timeout=600)
    assert rows(outcomes)[0][1] == "追加"
    assert answers, "the ingest finished before a single question was asked; make the report larger"
    for message in answers:
        assert "7社" in answer_part(message) or "７社" in answer_part(message)
