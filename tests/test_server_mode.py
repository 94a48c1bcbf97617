"""With REPORTS_CHROMA_URL the product runs on a real ``chroma run`` server: ingest, answers
and both CLIs work; the local keyword index follows the server's collection when either is
lost; and a server that stops mid-session costs answers, never the process.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from langchain_core.embeddings import Embeddings

from assistant.service import STORE_DOWN, Assistant
from ingest import store
from ingest.keyword_index import KeywordIndex
from ingest.pipeline import Ingestor
from ingest.records import Outcome
from ingest.settings import Settings
from tests.conftest import CORPUS_DIR, SEED_REPORT
from tests.support.index_files import corrupt_catalog
from tests.support.processes import ChromaServer, cli_env, free_port, run_cli

pytestmark = [pytest.mark.server, pytest.mark.slow]

# An answer the seed report states once, in a form users ask for (corpus/questions.jsonl).
QUESTION = "津市がARDと経済交流に関する協力協定を締結したのはいつですか？"
ANSWER_ANY = ("平成24年11月20日", "2012年11月20日", "11月20日")


class CountingEmbeddings(Embeddings):
    """The real model, counting the passages it embeds (what a server round trip costs)."""

    def __init__(self, inner: Embeddings):
        self.inner = inner
        self.documents = 0

    def embed_documents(self, texts):
        self.documents += len(texts)
        return self.inner.embed_documents(texts)

    def embed_query(self, text):
        return self.inner.embed_query(text)


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory):
    """One server for the tests that never stop it; each test uses its own collection."""
    root = tmp_path_factory.mktemp("chroma-server")
    with ChromaServer(root / "db", root / "logs") as server:
        yield server


@pytest.fixture
def server_settings(request, tmp_path, shared_server, model_dir) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        model_dir=model_dir,
        corpus_dir=CORPUS_DIR,
        chroma_url=shared_server.url,
        collection="reports-" + hashlib.sha1(request.node.name.encode()).hexdigest()[:12],
    )


@pytest.fixture
def counting(embeddings) -> CountingEmbeddings:
    return CountingEmbeddings(embeddings)


@pytest.fixture
def reports_dir(tmp_path) -> Path:
    folder = tmp_path / "reports"
    folder.mkdir()
    for path in SEED_REPORT.parent.glob(SEED_REPORT.name + "*"):
        shutil.copy(path, folder / path.name)
    return folder


def server_ids(settings: Settings) -> set[str]:
    return store.all_chroma_ids(store.open_collection(settings))


def keyword_ids(settings: Settings) -> set[str]:
    with KeywordIndex(settings.catalog_path) as index:
        return index.chunk_ids()


def assert_answers(answer) -> None:
    assert not answer.abstained, answer.answer
    assert any(a in answer.answer for a in ANSWER_ANY), answer.answer
    assert answer.citations and answer.citations[0].source == SEED_REPORT.name


# -- ingest and answers -------------------------------------------------------------------


def test_ingest_writes_to_the_server_once_and_nothing_locally(
    server_settings, reports_dir, counting
):
    first = Ingestor(server_settings, embeddings=counting).ingest_paths([reports_dir])
    assert [o.outcome for o in first] == [Outcome.ADDED]
    embedded = counting.documents

    second = Ingestor(server_settings, embeddings=counting).ingest_paths([reports_dir])
    assert [o.outcome for o in second] == [Outcome.UNCHANGED]
    assert counting.documents == embedded, "an unchanged report must not be sent again"
    assert server_ids(server_settings) == keyword_ids(server_settings)
    assert len(server_ids(server_settings)) == first[0].chunks
    assert not server_settings.chroma_dir.exists(), "vectors belong on the server"


def test_the_assistant_answers_from_the_server(server_settings, reports_dir, embeddings):
    Ingestor(server_settings, embeddings=embeddings).ingest_paths([reports_dir])
    assert_answers(Assistant(server_settings, embeddings=embeddings).ask(QUESTION))


def test_both_clis_work_with_the_server_url(server_settings, reports_dir, tmp_path):
    env = cli_env(server_settings)
    logs = tmp_path / "logs"
    code, out, err = run_cli(
        ["ingest", str(reports_dir), "--json"], env, logs, "ingest", timeout=300
    )
    assert code == 0, err
    assert json.loads(out)["totals"]["added"] == 1

    code, out, err = run_cli(
        ["assistant", "ask", QUESTION, "--json"], env, logs, "ask", timeout=300
    )
    assert code == 0, err
    answer = json.loads(out)
    assert not answer["abstained"], answer
    assert any(a in answer["answer"] for a in ANSWER_ANY), answer["answer"]
    assert answer["citations"][0]["source"] == SEED_REPORT.name
    assert len(server_ids(server_settings)) > 0


# -- the keyword index follows the server ---------------------------------------------------


def test_a_reset_collection_is_refilled_by_the_next_ingest(server_settings, reports_dir, counting):
    Ingestor(server_settings, embeddings=counting).ingest_paths([reports_dir])
    ids_before = server_ids(server_settings)
    store.chroma_client(server_settings).delete_collection(server_settings.collection)

    outcomes = Ingestor(server_settings, embeddings=counting).ingest_paths([reports_dir])
    assert [o.outcome for o in outcomes] == [Outcome.ADDED], "the lost report must come back"
    assert server_ids(server_settings) == ids_before == keyword_ids(server_settings)


def stored_sentences(settings) -> int:
    index = KeywordIndex(settings.catalog_path)
    return sum(len(v) for v in index.sentence_vectors(index.chunk_ids()).values())


def test_a_corrupt_keyword_index_is_rebuilt_from_the_server(
    server_settings, reports_dir, counting, embeddings
):
    Ingestor(server_settings, embeddings=counting).ingest_paths([reports_dir])
    ids_before = server_ids(server_settings)
    embedded = counting.documents
    corrupt_catalog(server_settings.catalog_path, "garbage")

    fixes = Ingestor(server_settings, embeddings=counting).reconcile()
    assert any("再構築" in fix for fix in fixes), fixes
    assert keyword_ids(server_settings) == ids_before == server_ids(server_settings)
    # the chunks' vectors are read back from the server; only the sentence embeddings, kept
    # beside the lost keyword rows, are made again
    assert counting.documents - embedded == stored_sentences(server_settings)
    assert_answers(Assistant(server_settings, embeddings=embeddings).ask(QUESTION))


def test_a_new_machine_adopts_the_servers_reports_instead_of_deleting_them(
    server_settings, reports_dir, counting, tmp_path
):
    Ingestor(server_settings, embeddings=counting).ingest_paths([reports_dir])
    ids_before = server_ids(server_settings)
    embedded = counting.documents
    elsewhere = server_settings.with_(data_dir=tmp_path / "another-machine")

    outcomes = Ingestor(elsewhere, embeddings=counting).ingest_paths([reports_dir])
    assert [o.outcome for o in outcomes] in ([Outcome.UNCHANGED], [Outcome.UPDATED])
    assert server_ids(server_settings) == ids_before == keyword_ids(elsewhere)
    # nothing the server holds is embedded again; the new machine's own sentence embeddings are
    assert counting.documents - embedded == stored_sentences(elsewhere)


# -- the server goes away -------------------------------------------------------------------


def test_ingest_says_clearly_when_the_server_is_down(tmp_path, reports_dir, model_dir):
    url = f"http://127.0.0.1:{free_port()}"  # nobody listens there
    settings = Settings(data_dir=tmp_path / "data", model_dir=model_dir, chroma_url=url)

    code, out, err = run_cli(
        ["ingest", str(reports_dir)], cli_env(settings), tmp_path / "logs", "ingest"
    )
    assert code != 0
    assert "Traceback" not in err, err
    assert url in err and "サーバー" in err


def test_the_assistant_survives_the_server_stopping_and_answers_after_a_restart(
    tmp_path, reports_dir, model_dir, embeddings
):
    with ChromaServer(tmp_path / "db", tmp_path / "logs") as server:
        settings = Settings(
            data_dir=tmp_path / "data",
            model_dir=model_dir,
            corpus_dir=CORPUS_DIR,
            chroma_url=server.url,
        )
        Ingestor(settings, embeddings=embeddings).ingest_paths([reports_dir])
        assistant = Assistant(settings, embeddings=embeddings)
        assert_answers(assistant.ask(QUESTION))

        server.stop()
        for _ in range(2):  # it keeps working, and keeps saying so
            down = assistant.ask(QUESTION)
            assert down.abstained and down.answer == STORE_DOWN
            assert server.url in down.notice

        server.start()
        assert_answers(assistant.ask(QUESTION))


def test_reports_another_process_ingests_through_the_server_are_answered_at_once(
    server_settings, reports_dir, embeddings, tmp_path
):
    """As tests/test_service.py checks for embedded Chroma: a ``python -m ingest`` beside the
    running assistant, through the same server, breaks no answer and is answered from."""
    import threading

    from tests.browser.app_server import NEW_REPORT_NAME, NEW_REPORT_TEXT
    from tests.test_service import ask_until

    Ingestor(server_settings, embeddings=embeddings).ingest_paths([reports_dir])
    assistant = Assistant(server_settings, embeddings=embeddings)
    old_question, new_question = QUESTION, "鈴鹿市の訪問団は何名で構成されましたか？"
    assert not assistant.ask(old_question).abstained
    new_reports = tmp_path / "new"
    new_reports.mkdir()
    (new_reports / NEW_REPORT_NAME).write_text(NEW_REPORT_TEXT, encoding="utf-8")

    stop, failures, during = threading.Event(), [], []
    asking = threading.Thread(
        target=ask_until, args=(assistant, [old_question, new_question], stop, failures, during)
    )
    asking.start()
    try:
        code, _out, err = run_cli(
            ["ingest", str(new_reports)], cli_env(server_settings), tmp_path / "logs", "ingest"
        )
    finally:
        stop.set()
        asking.join(timeout=120)
    assert code == 0, err
    assert during and not failures, failures[:3]
    assert not [a for a in during if a.answer == STORE_DOWN]
    new = assistant.ask(new_question)
    assert not new.abstained and new.citations[0].source == NEW_REPORT_NAME
    assert any(a in assistant.ask(old_question).answer for a in ANSWER_ANY)
