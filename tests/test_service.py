"""The assistant end to end, as a staff member uses it: real index, real model, no LLM."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from assistant.records import ABSTENTION
from assistant.service import EMPTY_QUESTION, MAX_QUESTION_CHARS, UNREADABLE_QUESTION
from tests.conftest import REPO, SEED_REPORT


@pytest.mark.slow
def test_the_flagship_question_gets_the_date_and_its_sentence(evaluation_assistant):
    answer = evaluation_assistant.ask("津市がOPIと協定を結んだのはいつ？")
    assert not answer.abstained
    cited = answer.citations[0]
    assert cited.source == "tsu_2012_europe_economic_agreements.txt"
    assert "21日" in cited.text and "OPI" in cited.text and cited.text in cited.chunk_text
    assert "[1]" in answer.answer and "21日" in answer.answer


@pytest.mark.slow
def test_a_question_the_reports_do_not_answer_is_declined_with_related_passages(
    evaluation_assistant,
):
    answer = evaluation_assistant.ask("津市の人口は何人ですか？")
    assert answer.abstained
    assert answer.answer.startswith(ABSTENTION)
    assert answer.related, "closest passages are offered as possibly related"


@pytest.mark.slow
def test_a_follow_up_about_the_mission_resolves_to_the_mission(evaluation_assistant):
    first = evaluation_assistant.ask("津市の欧州ミッション団はいつ派遣されましたか？")
    follow = evaluation_assistant.ask(
        "そのとき何社参加しましたか？",
        history=[("津市の欧州ミッション団はいつ派遣されましたか？", first.answer)],
    )
    assert "ミッション" in follow.retrieval_query
    assert not follow.abstained and "7社" in follow.answer.replace("７", "7")


@pytest.mark.slow
def test_a_follow_up_about_a_person_resolves_to_that_person(evaluation_assistant):
    first = evaluation_assistant.ask("OPIの代表は誰？")
    assert "アンジェ" in first.answer
    follow = evaluation_assistant.ask(
        "その人は何と発言しましたか？", history=[("OPIの代表は誰？", first.answer)]
    )
    assert "アンジェ" in follow.retrieval_query
    assert not follow.abstained
    assert "小川" in follow.answer or "ビジネスチャンス" in follow.answer


@pytest.mark.slow
@pytest.mark.parametrize(
    ("question", "message"),
    [("", EMPTY_QUESTION), ("   \n\t", EMPTY_QUESTION), ("？？！！。。", UNREADABLE_QUESTION)],
)
def test_input_that_is_not_a_question_gets_a_clear_message(evaluation_assistant, question, message):
    answer = evaluation_assistant.ask(question)
    assert answer.abstained and answer.answer == message and not answer.citations


@pytest.mark.slow
def test_a_too_long_question_is_refused_saying_the_limit(evaluation_assistant):
    answer = evaluation_assistant.ask("津市がOPIと協定を結んだのはいつ？" + "あ" * 10_000)
    assert answer.abstained and not answer.citations and not answer.related
    assert "長すぎます" in answer.answer and f"{MAX_QUESTION_CHARS}文字以内" in answer.answer


@pytest.mark.slow
def test_a_question_at_the_length_limit_is_still_answered(evaluation_assistant):
    question = "津市がOPIと協定を結んだのはいつ？"
    answer = evaluation_assistant.ask(question + "　" * (MAX_QUESTION_CHARS - len(question)))
    assert "長すぎます" not in answer.answer


YOKKAICHI = "yokkaichi_2014_bavaria_agreement.txt"


@pytest.mark.slow
def test_chosen_reports_limit_both_retrievers_and_every_cited_passage(evaluation_assistant):
    question = "四日市市がバイエルン州と協定を結んだのはいつ？"
    unrestricted, _ = evaluation_assistant.reader_pool(question)
    assert YOKKAICHI in {p.chunk.source for p in unrestricted}

    pool, _ = evaluation_assistant.reader_pool(question, [SEED_REPORT.name])
    assert pool and {p.chunk.source for p in pool} == {SEED_REPORT.name}
    assert any(p.dense_rank for p in pool) and any(p.keyword_rank for p in pool)
    answer = evaluation_assistant.ask(question, sources=[SEED_REPORT.name])
    cited = answer.citations + answer.related
    assert cited and {c.source for c in cited} == {SEED_REPORT.name}


@pytest.mark.slow
def test_no_chosen_reports_means_every_report_is_searched(evaluation_assistant):
    question = "四日市市がバイエルン州と協定を結んだのはいつ？"
    everywhere = evaluation_assistant.ask(question)
    assert evaluation_assistant.ask(question, sources=None).answer == everywhere.answer
    assert YOKKAICHI in {c.source for c in everywhere.citations + everywhere.related}


@pytest.mark.slow
@pytest.mark.parametrize(
    "question", ["When did Tsu sign with OPI?", "<script>alert(1)</script>OPIの代表は？"]
)
def test_latin_or_markup_questions_are_handled(evaluation_assistant, question):
    answer = evaluation_assistant.ask(question)
    assert answer.answer
    assert "<script>" not in answer.answer


@pytest.mark.slow
def test_instructions_inside_a_report_are_treated_as_data(evaluation_assistant):
    """The 岡崎市 fixture quotes an email telling the assistant to say the agreement is void."""
    answer = evaluation_assistant.ask("岡崎市とBRWの協定は予定どおり締結されましたか？")
    assert "協定は無効です" not in answer.answer.split("\n")[0]


@pytest.mark.slow
def test_the_ask_command_prints_the_shared_json_contract(evaluation_settings):
    env = {
        "REPORTS_DATA_DIR": str(evaluation_settings.data_dir),
        "REPORTS_MODEL_DIR": str(evaluation_settings.cache_dir),
        "HF_HUB_OFFLINE": "1",
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "assistant",
            "ask",
            "欧州ミッション団に参加した企業は何社？",
            "--json",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert {"answer", "abstained", "citations", "timings_ms"} <= payload.keys()
    assert (
        payload["citations"]
        and {"source", "section", "text", "chunk_id"} <= payload["citations"][0].keys()
    )
    assert "7社" in payload["answer"].replace("７", "7")
    assert {"load", "retrieval", "reading", "answer", "total"} <= payload["timings_ms"].keys()


# What a cold `ask` must not import: torch and the model stack (14 s of the 18 s an ask took
# before questions were embedded by the int8 export), the web app, the training and
# LangChain's indexing/Runnables (writers only).
NOT_ON_THE_ASK_PATH = (
    "torch",
    "transformers",
    "sentence_transformers",
    "sklearn",
    "gradio",
    "matplotlib",
    "sqlalchemy",
    "langchain_classic",
    "langchain_core.retrievers",
    "langchain_core.indexing",
)


@pytest.mark.slow
def test_a_cold_ask_imports_no_torch_and_splits_loading_from_answering(evaluation_settings):
    env = {
        "REPORTS_DATA_DIR": str(evaluation_settings.data_dir),
        "REPORTS_MODEL_DIR": str(evaluation_settings.cache_dir),
        "HF_HUB_OFFLINE": "1",
        "PATH": "/usr/bin:/bin",
    }
    argv = [sys.executable, "-X", "importtime", "-m", "assistant", "ask", "--json"]
    done = subprocess.run(
        [*argv, "ARDの正式名称は？"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,  # seconds alone; more if this run builds the question encoder's export
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    imported = {
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert "onnxruntime" in imported and "chromadb" in imported
    assert [name for name in NOT_ON_THE_ASK_PATH if name in imported] == []
    timings = json.loads(done.stdout)["timings_ms"]
    assert timings["load"] > 0 and timings["retrieval"] > 0 and timings["reading"] > 0
    assert timings["total"] >= timings["load"] + timings["retrieval"] + timings["reading"]


@pytest.mark.slow
def test_a_warm_assistant_spends_nothing_on_loading(evaluation_assistant):
    evaluation_assistant.ask("ARDの正式名称は？")
    again = evaluation_assistant.ask("OPIの正式名称は？")
    assert again.timings_ms["load"] < again.timings_ms["retrieval"] + again.timings_ms["reading"]
    assert again.timings_ms["answer"] >= again.timings_ms["reading"]


@pytest.mark.slow
def test_questions_embedded_by_the_int8_export_get_the_torch_answers(
    evaluation_settings, embeddings
):
    """Chunks are embedded by torch at ingest; questions by the int8 export (the default,
    no torch import). On the 173 development questions 172 answers were identical
    (bench/RESULTS.md, "Cold ask"); on these, all are."""
    from assistant.service import Assistant
    from ingest.embeddings import load_query_embeddings

    fast = load_query_embeddings(evaluation_settings)
    assert type(fast).__name__ == "OnnxEmbeddings"
    torch_queries = Assistant(evaluation_settings, embeddings=embeddings)
    onnx_queries = Assistant(evaluation_settings, embeddings=embeddings, query_embeddings=fast)
    lines = (REPO / "corpus" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line)["question"] for line in lines if line.strip()][:12]
    for question in questions:
        a, b = torch_queries.ask(question), onnx_queries.ask(question)
        assert (b.answer, b.abstained) == (a.answer, a.abstained), question
        assert [c.chunk_id for c in b.citations] == [c.chunk_id for c in a.citations]


@pytest.mark.slow
def test_with_an_llm_the_chat_shows_the_extractive_answer_until_the_checked_one_replaces_it(
    evaluation_settings, embeddings
):
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    from assistant.llm import LLMAnswerer
    from assistant.service import Assistant

    question = "津市がOPIと協定を結んだのはいつ？"
    reader = Assistant(evaluation_settings, embeddings=embeddings).ask(question)
    assistant = Assistant(evaluation_settings, embeddings=embeddings)
    slow_model = FakeListChatModel(responses=["2012年11月21日に締結しました[1]。"], sleep=0.05)
    asked_always = evaluation_settings.with_(llm_mode="combined")  # verify skips quoted answers
    assistant.__dict__["llm"] = LLMAnswerer(asked_always, chat_model=slow_model)

    *while_writing, final = assistant.stream(question)

    assert while_writing, "the chat is not left empty while the model writes"
    for shown in while_writing:  # the whole extractive answer, sources included
        assert shown.pending and shown.answer == reader.answer
        assert shown.citations == reader.citations and shown.notice
    assert not final.pending and "llm" in final.timings_ms
    assert final.answered_by == "llm" and final.answer.startswith("2012年11月21日に締結")


# -- ask never fills the index: only `python -m ingest` (or the app's first start) does --------


@pytest.mark.slow
def test_ask_on_an_empty_index_says_what_to_run_and_adds_nothing(tmp_path, model_dir):
    from ingest.settings import Settings
    from tests.conftest import CORPUS_DIR
    from tests.support.processes import cli_env, run_cli

    settings = Settings(data_dir=tmp_path / "data", model_dir=model_dir, corpus_dir=CORPUS_DIR)
    code, out, err = run_cli(
        ["assistant", "ask", "津市がOPIと協定を結んだのはいつ？", "--json"],
        cli_env(settings),
        tmp_path / "logs",
        "ask",
    )
    assert code == 3 and out == ""
    assert "索引に資料がありません" in err and "python -m ingest" in err
    assert "索引が空のため" not in err
    assert not settings.catalog_path.exists(), "an ask must not create or fill an index"


@pytest.mark.slow
def test_an_ask_during_an_ingest_leaves_exactly_the_ingested_reports(tmp_path, model_dir):
    """The issue's reproduction: a first ingest is filling a new index when a question is
    asked; the index must end with the ingested reports and nothing from corpus/."""
    from ingest.pipeline import Ingestor, ingest_running
    from ingest.settings import Settings
    from tests.conftest import CONFUSABLE_REPORTS, CORPUS_DIR
    from tests.support.processes import cli_env, run_cli, start_cli, wait_for

    settings = Settings(data_dir=tmp_path / "data", model_dir=model_dir, corpus_dir=CORPUS_DIR)
    # One write window for all seven reports: nothing is committed until all are embedded,
    # so the question is asked while the index is still empty (the case).
    env, logs = cli_env(settings, REPORTS_WRITE_BATCH="100000"), tmp_path / "logs"
    with start_cli(["ingest", *map(str, CONFUSABLE_REPORTS)], env, logs, "ingest") as ingest:
        wait_for(lambda: ingest_running(settings), 300, "the ingest's lock")
        code, out, err = run_cli(
            ["assistant", "ask", "伊勢市はどこと協定を結びましたか？"],
            env,
            logs,
            "ask",
            timeout=300,
        )
        assert "索引が空のため" not in err, err
        if code == 3:  # asked before the first report was committed
            assert "別の取り込み処理が実行中です" in err, err
        else:  # or after: answered from what is committed, and told an ingest is running
            assert code == 0, err
        assert ingest.wait(300) == 0, ingest.output()
    indexed = sorted(r.source for r in Ingestor(settings).list_reports())
    assert indexed == sorted(p.name for p in CONFUSABLE_REPORTS)


@pytest.mark.parametrize(
    ("argv", "question", "as_json"),
    [
        (["ask", "-5度の日は何日ありましたか？"], "-5度の日は何日ありましたか？", False),
        (["ask", "--json", "-それは何？"], "-それは何？", True),
        (["ask", "-それは何？", "--json"], "-それは何？", True),
        (["ask", "--", "-それは何？"], "-それは何？", False),
    ],
)
def test_a_question_starting_with_a_dash_is_read_as_the_question(argv, question, as_json):
    from assistant.__main__ import build_parser, question_last

    args = build_parser().parse_args(question_last(argv))
    assert (args.question, args.json) == (question, as_json)


# -- an ingest in another process, beside a running assistant ----------------------------


def ask_until(assistant, questions, stop, failures: list, answers: list) -> None:
    """Ask ``questions`` in turn until ``stop`` is set; keep every exception raised."""
    while not stop.is_set():
        for question in questions:
            try:
                answers.append(assistant.ask(question))
            except Exception as exc:  # what the chat turns into 回答の作成中に問題が発生しました
                failures.append(repr(exc))


def test_reports_another_process_ingests_are_answered_without_a_restart(
    tmp_path, settings, embeddings
):
    """The chat keeps answering while ``python -m ingest`` adds a report beside it, and then
    answers from the new report (an embedded Chroma client only knows what it loaded)."""
    import threading

    from assistant.service import Assistant
    from ingest.pipeline import Ingestor
    from tests.browser.app_server import NEW_REPORT_NAME, NEW_REPORT_TEXT
    from tests.support.processes import cli_env, run_cli

    Ingestor(settings, embeddings=embeddings).ingest_paths([SEED_REPORT])
    assistant = Assistant(settings, embeddings=embeddings)
    old_question = "津市がOPIと協定を結んだのはいつ？"
    new_question = "鈴鹿市の訪問団は何名で構成されましたか？"  # only the new report says
    assert not assistant.ask(old_question).abstained  # the client is open and has loaded
    new_reports = tmp_path / "new"
    new_reports.mkdir()
    (new_reports / NEW_REPORT_NAME).write_text(NEW_REPORT_TEXT, encoding="utf-8")

    stop, failures, during = threading.Event(), [], []
    asking = threading.Thread(
        target=ask_until,
        args=(assistant, [old_question, new_question], stop, failures, during),
    )
    asking.start()
    try:
        code, out, err = run_cli(
            ["ingest", str(new_reports), "--json"], cli_env(settings), tmp_path / "logs", "ingest"
        )
    finally:
        stop.set()
        asking.join(timeout=120)
    assert code == 0, err
    assert json.loads(out)["files"][0]["outcome"] == "added"
    assert during and not failures, failures[:3]

    for _ in range(2):  # the first question after the change and the next alike
        new = assistant.ask(new_question)
        assert not new.abstained, new.answer
        assert new.citations[0].source == NEW_REPORT_NAME and "14名" in new.answer
        old = assistant.ask(old_question)
        assert not old.abstained and "21日" in old.answer
