"""Hybrid retrieval over a real (embedded) Chroma collection and the real keyword index.

The vectors are hand-made so that the dense ranking is known exactly; BM25 runs on the
real tokenizer. That makes the fusion order checkable by hand.
"""

import math

import chromadb
import pytest
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from assistant.langchain_retriever import HybridRetriever
from assistant.retrieval import (
    HybridSearch,
    fuse_rankings,
    reciprocal_rank_fusion,
    report_prior_ranking,
)
from ingest.keyword_index import KeywordIndex
from ingest.records import Chunk, sha256_text


class TableEmbeddings(Embeddings):
    """Test equipment: a fixed vector per query, and a count of the calls."""

    def __init__(self, queries: dict[str, list[float]]):
        self.queries = queries
        self.calls = 0

    def embed_query(self, text: str) -> list[float]:
        self.calls += 1
        return self.queries.get(text, [0.0, 0.0, 1.0])

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        raise AssertionError("retrieval must not embed documents")


def make_chunk(source: str, n: int, text: str) -> Chunk:
    return Chunk(
        chunk_id=f"{source}#{n}",
        text=text,
        source=source,
        title=source,
        section="",
        start=n * 100,
        end=n * 100 + len(text),
        content_hash=sha256_text(text),
    )


LYON = make_chunk("lyon.txt", 0, "リヨンの機関と協定を締結した。")
BAVARIA = make_chunk("bavaria.txt", 0, "バイエルン州の機関と協定を締結した。")
TRADE_FAIR = make_chunk("bavaria.txt", 1, "ミュンヘンの見本市でバイエルン州の企業と商談した。")
WEATHER = make_chunk("lyon.txt", 1, "当日の天気は晴れだった。")
# Query "バイエルン州の協定" is the x axis: dense ranks LYON, WEATHER, BAVARIA, TRADE_FAIR.
VECTORS = {
    LYON.chunk_id: [1.0, 0.0, 0.0],
    WEATHER.chunk_id: [0.9, 0.0, math.sqrt(1 - 0.81)],
    BAVARIA.chunk_id: [0.8, 0.6, 0.0],
    TRADE_FAIR.chunk_id: [0.0, 1.0, 0.0],
}
QUERY = "バイエルン州の協定"


def add_to_chroma(collection, chunk: Chunk, vector: list[float]) -> None:
    collection.add(
        ids=[chunk.chunk_id],
        embeddings=[vector],
        documents=[chunk.text],
        metadatas=[chunk.metadata()],
    )


@pytest.fixture
def collection(tmp_path):
    client = chromadb.PersistentClient(path=str(tmp_path / "chroma"))
    return client.get_or_create_collection(
        "chunks", configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
    )


@pytest.fixture
def keyword_index(tmp_path):
    with KeywordIndex(tmp_path / "catalog.sqlite3", mode="bigram") as kw:
        yield kw


@pytest.fixture
def retriever(collection, keyword_index):
    chunks = [LYON, BAVARIA, TRADE_FAIR, WEATHER]
    for chunk in chunks:
        add_to_chroma(collection, chunk, VECTORS[chunk.chunk_id])
    for source in ("lyon.txt", "bavaria.txt"):
        keyword_index.replace_source(source, [c for c in chunks if c.source == source])
    return HybridRetriever(
        collection=collection,
        keyword_index=keyword_index,
        embeddings=TableEmbeddings({QUERY: [1.0, 0.0, 0.0]}),
        k=4,
    )


def ids(passages):
    return [p.chunk.chunk_id for p in passages]


def test_rrf_on_a_hand_made_example():
    fused = reciprocal_rank_fusion(
        {"dense": ["x", "y", "z"], "keyword": ["z", "w"]}, {"dense": 1, "keyword": 1}, rrf_k=60
    )
    assert fused["z"] == pytest.approx(1 / 63 + 1 / 61)
    assert fused["x"] == pytest.approx(1 / 61)
    assert fused["y"] == pytest.approx(fused["w"]) == pytest.approx(1 / 62)
    assert sorted(fused, key=fused.get, reverse=True)[:2] == ["z", "x"]


def test_rrf_weights_shift_the_order():
    rankings = {"dense": ["x", "y"], "keyword": ["y", "x"]}
    keyword_heavy = reciprocal_rank_fusion(rankings, {"dense": 1, "keyword": 2}, rrf_k=60)
    dense_heavy = reciprocal_rank_fusion(rankings, {"dense": 2, "keyword": 1}, rrf_k=60)
    assert keyword_heavy["y"] > keyword_heavy["x"]
    assert dense_heavy["x"] > dense_heavy["y"]


def test_rrf_ties_go_to_the_better_keyword_rank():
    # x (dense 1 only) and y (keyword 1 only) have the same fused score 1/61.
    assert [i for i, _ in fuse_rankings(["x", "z"], ["y", "z"], rrf_k=60)] == ["z", "y", "x"]


def test_chunk_found_by_both_retrievers_comes_first(retriever, keyword_index):
    keyword_order = [i for i, _ in keyword_index.search(QUERY, k=30)]
    assert keyword_order[:2] == [BAVARIA.chunk_id, TRADE_FAIR.chunk_id]  # バイエルン is rare

    passages = retriever.model_copy(update={"report_prior_weight": 0.0}).search(QUERY)

    # BAVARIA: dense 3 + keyword 1 beats LYON: dense 1 + keyword 3 (協定/締結 only).
    assert ids(passages)[0] == BAVARIA.chunk_id
    top = passages[0]
    assert (top.dense_rank, top.keyword_rank) == (3, 1)
    expected = 1 / (60 + 3) + 1 / (60 + 1)
    assert top.score == pytest.approx(expected)
    assert top.dense_similarity == pytest.approx(0.8, abs=1e-5)
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)


def test_weights_switch_a_retriever_off(retriever):
    dense_only = retriever.model_copy(update={"keyword_weight": 0.0, "report_prior_weight": 0.0})
    assert ids(dense_only.search(QUERY)) == [
        LYON.chunk_id,
        WEATHER.chunk_id,
        BAVARIA.chunk_id,
        TRADE_FAIR.chunk_id,
    ]
    keyword_only = retriever.model_copy(update={"dense_weight": 0.0})
    assert ids(keyword_only.search(QUERY))[:2] == [BAVARIA.chunk_id, TRADE_FAIR.chunk_id]


def test_dense_hits_missing_from_the_keyword_index_are_not_returned(retriever, collection):
    unfinished = make_chunk("paris.txt", 0, "パリの機関との協定はまだ取り込み中。")
    add_to_chroma(collection, unfinished, [1.0, 0.0, 0.0])  # as close to the query as LYON

    passages = retriever.search(QUERY)

    assert unfinished.chunk_id not in ids(passages)
    lyon = next(p for p in passages if p.chunk.chunk_id == LYON.chunk_id)
    assert lyon.dense_rank == 1  # the invisible chunk does not push visible ones down


def test_source_filter_applies_to_both_retrievers(retriever):
    passages = retriever.search(QUERY, sources=["lyon.txt"])
    assert set(ids(passages)) == {LYON.chunk_id, WEATHER.chunk_id}
    assert retriever.search(QUERY, sources=[]) == []

    only_bavaria = retriever.model_copy(update={"sources": ["bavaria.txt"]})
    assert set(ids(only_bavaria.search(QUERY))) == {BAVARIA.chunk_id, TRADE_FAIR.chunk_id}


def test_k_limits_the_passages(retriever):
    assert len(retriever.search(QUERY, k=2)) == 2


def test_keyword_only_hits_get_their_cosine_similarity(retriever, collection, keyword_index):
    far = make_chunk("bavaria.txt", 2, "バイエルン州バイエルン州バイエルン州")
    add_to_chroma(collection, far, [0.0, 0.0, 1.0])
    keyword_index.replace_source("bavaria.txt", [BAVARIA, TRADE_FAIR, far])
    narrow = retriever.model_copy(update={"candidates": 2})  # dense top 2: LYON, WEATHER

    passage = next(p for p in narrow.search(QUERY) if p.chunk.chunk_id == far.chunk_id)

    assert passage.dense_rank is None and passage.keyword_rank is not None
    assert passage.dense_similarity == pytest.approx(0.0, abs=1e-6)


def test_names_no_report_holds_find_no_passage_and_raise_nothing(retriever):
    # a question naming only places the reports never mention (found crashing Chroma with
    # an empty id list while the reader's training read generated questions)
    assert retriever.named_passages(["ゴンドワナ"], 5, [1.0, 0.0, 0.0]) == []
    assert ids(retriever.named_passages(["リヨン"], 5, [1.0, 0.0, 0.0])) == [LYON.chunk_id]


def test_blank_query_returns_nothing_without_embedding(retriever):
    assert retriever.search("") == []
    assert retriever.search("  \u3000 ") == []
    assert retriever.embeddings.calls == 0


def test_langchain_invoke_returns_documents_with_scores(retriever):
    documents = retriever.invoke(QUERY)
    assert all(isinstance(d, Document) for d in documents)
    first = documents[0]
    assert first.page_content == BAVARIA.text
    assert first.metadata["chunk_id"] == BAVARIA.chunk_id
    assert first.metadata["source"] == "bavaria.txt"
    assert first.metadata["keyword_rank"] == 1 and first.metadata["score"] > 0


def test_timings_of_the_last_search(retriever):
    retriever.search(QUERY)
    assert set(retriever.timings) == {"dense", "keyword", "fusion", "total"}
    assert retriever.timings["total"] >= retriever.timings["keyword"] >= 0


# -- report prior ----------------------------------------------------------------------------

YOKKAICHI_NAMED = make_chunk("yokkaichi.txt", 0, "四日市市とバイエルン州の機関が覚書を締結した。")
YOKKAICHI_SIGNING = make_chunk("yokkaichi.txt", 1, "調印式には市長が出席した。")
TSU_NAMED = make_chunk("tsu.txt", 0, "津市とパリ地域の機関が協定を締結した。")
TSU_SIGNING = make_chunk("tsu.txt", 1, "調印式には市長と企業の代表が出席した。")
NAMING_QUERY = "四日市市の調印式に出席したのは誰？"
UNNAMED_QUERY = "調印式に出席したのは誰？"


@pytest.fixture
def twin_reports(collection, keyword_index):
    """Two reports on twin subjects: without the prior, 津市's signing passage comes first
    (dense rank 1, keyword rank 2) and 四日市市's second (dense rank 3, keyword rank 1)."""
    vectors = {
        TSU_SIGNING: [1.0, 0.0, 0.0],
        TSU_NAMED: [0.9, math.sqrt(1 - 0.81), 0.0],
        YOKKAICHI_SIGNING: [0.8, 0.6, 0.0],
        YOKKAICHI_NAMED: [0.0, 1.0, 0.0],
    }
    for chunk, vector in vectors.items():
        add_to_chroma(collection, chunk, vector)
    keyword_index.replace_source("tsu.txt", [TSU_NAMED, TSU_SIGNING])
    keyword_index.replace_source("yokkaichi.txt", [YOKKAICHI_NAMED, YOKKAICHI_SIGNING])
    query_vector = [1.0, 0.0, 0.0]
    return HybridRetriever(
        collection=collection,
        keyword_index=keyword_index,
        embeddings=TableEmbeddings({NAMING_QUERY: query_vector, UNNAMED_QUERY: query_vector}),
        k=4,
    )


def test_report_prior_prefers_the_report_the_question_names(twin_reports):
    without_prior = twin_reports.model_copy(update={"report_prior_weight": 0.0})
    assert ids(without_prior.search(NAMING_QUERY))[0] == TSU_SIGNING.chunk_id

    passages = twin_reports.search(NAMING_QUERY)

    assert ids(passages)[0] == YOKKAICHI_SIGNING.chunk_id
    assert (passages[0].dense_rank, passages[0].keyword_rank) == (3, 1)


def test_report_prior_changes_nothing_for_a_question_naming_no_report(twin_reports):
    without_prior = twin_reports.model_copy(update={"report_prior_weight": 0.0})
    assert ids(twin_reports.search(UNNAMED_QUERY)) == ids(without_prior.search(UNNAMED_QUERY))


def test_report_prior_changes_nothing_within_one_report(twin_reports):
    without_prior = twin_reports.model_copy(update={"report_prior_weight": 0.0})
    only_tsu = ["tsu.txt"]
    with_prior = twin_reports.search(NAMING_QUERY, sources=only_tsu)
    assert ids(with_prior) == ids(without_prior.search(NAMING_QUERY, sources=only_tsu))
    assert [p.score for p in with_prior] == [
        p.score for p in without_prior.search(NAMING_QUERY, sources=only_tsu)
    ]


def test_report_prior_ranking_orders_by_report_and_keeps_ties_in_order():
    source_of = {"a1": "a", "b1": "b", "a2": "a", "c1": "c"}
    ranked = ["a1", "b1", "a2", "c1"]
    assert report_prior_ranking(ranked, source_of, {"b": 2.0, "a": 1.0}) == [
        "b1",
        "a1",
        "a2",
        "c1",
    ]
    assert report_prior_ranking(ranked, source_of, {}) == []
    assert report_prior_ranking(["a1", "a2"], source_of, {"a": 3.0}) == []


# -- another process writes while the retriever is open ---------------------------------------


def other_process_client(path) -> chromadb.ClientAPI:
    """A client that does not share this process's cached one: what a second process
    (``python -m ingest``) has."""
    from chromadb.api.shared_system_client import SharedSystemClient

    SharedSystemClient.clear_system_cache()
    return chromadb.PersistentClient(path=str(path))


@pytest.fixture
def followed(tmp_path, keyword_index):
    """A retriever over LYON whose collection reopens from ``tmp_path / "chroma"``."""
    path = tmp_path / "chroma"

    def open_collection():
        return other_process_client(path).get_or_create_collection(
            "chunks", configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
        )

    collection = open_collection()
    add_to_chroma(collection, LYON, VECTORS[LYON.chunk_id])
    keyword_index.replace_source("lyon.txt", [LYON])
    assert collection.get(ids=[LYON.chunk_id], include=["embeddings"])["ids"]  # loaded
    retriever = HybridSearch(
        collection=collection,
        reopen_collection=open_collection,
        keyword_index=keyword_index,
        embeddings=TableEmbeddings({QUERY: [1.0, 0.0, 0.0]}),
        k=4,
    )
    return retriever, open_collection


def commit_elsewhere(open_collection, keyword_index, chunks) -> None:
    """Another process's ingest: vectors into Chroma, then the keyword rows (the commit)."""
    writer = open_collection()
    for chunk in chunks:
        add_to_chroma(writer, chunk, VECTORS[chunk.chunk_id])
    keyword_index.replace_source("bavaria.txt", chunks)


def test_chunks_another_process_commits_are_found_by_the_next_search(followed, keyword_index):
    retriever, open_collection = followed
    stale = retriever.collection
    commit_elsewhere(open_collection, keyword_index, [BAVARIA, TRADE_FAIR])
    with pytest.raises(chromadb.errors.InternalError):  # what the stale client does
        stale.get(ids=[BAVARIA.chunk_id], include=["embeddings"])

    found = retriever.search(QUERY)
    assert set(ids(found)) == {LYON.chunk_id, BAVARIA.chunk_id, TRADE_FAIR.chunk_id}
    assert all(p.dense_similarity is not None for p in found)
    assert retriever.collection is not stale


def test_a_commit_during_a_search_is_met_by_one_reopen(followed, keyword_index):
    """The keyword index moved after this search looked at it: its ids are newer than the
    client, and the similarity lookup reopens once instead of failing."""
    retriever, open_collection = followed
    retriever.follow_index()  # the search has begun
    commit_elsewhere(open_collection, keyword_index, [BAVARIA])
    similarity = retriever._similarities([1.0, 0.0, 0.0], [BAVARIA.chunk_id])
    assert similarity[BAVARIA.chunk_id] == pytest.approx(0.8)


def test_the_plain_search_finds_what_the_langchain_retriever_finds(retriever):
    """The assistant uses ``HybridSearch`` (no LangChain Runnables to import on a cold
    ``ask``); the LangChain retriever is the same search behind ``invoke``."""
    plain = HybridSearch(
        collection=retriever.collection,
        keyword_index=retriever.keyword_index,
        embeddings=retriever.embeddings,
        k=retriever.k,
    )
    passages, vector = plain.search_with_vector(QUERY)
    assert passages == retriever.search(QUERY)
    assert vector == [1.0, 0.0, 0.0]
    assert ids(plain.named_passages(["リヨン"], 5, vector)) == [LYON.chunk_id]
    assert set(plain.timings) == {"dense", "keyword", "fusion", "total"}
    assert [d.metadata["chunk_id"] for d in retriever.invoke(QUERY)] == ids(passages)
