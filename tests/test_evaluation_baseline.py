"""The naive pipeline we compare against: LangChain's splitter over unrepaired text and a
dense-only in-memory Chroma with the same embedding model."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.embeddings import FakeEmbeddings

from assistant.evaluation.baseline import CHUNK_SIZE, evaluate_baseline, naive_documents
from assistant.evaluation.questions import Question

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"


@pytest.fixture(scope="module")
def documents():
    from ingest.settings import Settings

    return naive_documents([CORPUS], Settings())


def test_reports_are_split_as_loaded_without_repair(documents):
    assert len(documents) > 5
    assert all(len(d.page_content) <= CHUNK_SIZE for d in documents)
    assert {d.metadata["source"] for d in documents} == {"tsu_2012_europe_economic_agreements.txt"}
    # the PDF's spacing is still there: nothing was repaired
    assert any("平成 24 年 11 月 20 日" in d.page_content for d in documents)


@pytest.mark.slow
def test_baseline_measures_retrieval_of_the_evidence(documents, embeddings):
    questions = [
        Question(
            id="a",
            question="津市がARDと協定を締結したのはいつ？",
            expect_any=("11月20日",),
            evidence="パリ地域経済開発局",
        ),
        Question(
            id="b",
            question="ジュネーブの機関の名前は？",
            expect_any=("OPI",),
            evidence="ジュネーブ州産業振興機構",
        ),
        Question(id="c", question="津市の人口は？", unanswerable=True),
    ]
    measured = evaluate_baseline(questions, documents, embeddings, k=5)
    assert measured["n_with_evidence"] == 2  # the unanswerable question has nothing to find
    assert measured["recall@5"] == 1.0  # both facts are on the report's first page
    assert measured["context_chars"] > 2 * CHUNK_SIZE
    assert measured["latency_ms_p50"] > 0


def test_baseline_without_documents_is_an_error():
    with pytest.raises(ValueError, match="no documents"):
        evaluate_baseline([], [], FakeEmbeddings(size=8))
