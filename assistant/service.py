"""The assistant: question -> retrieval -> grounded answer with verified citations.

One ``Assistant`` per process: it holds the embedding model, the Chroma collection and the
keyword index, so models load once. ``ask`` is what the CLI, the evaluation and the web chat
call; ``stream`` yields the same answer progressively for the chat.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Iterator, Sequence
from functools import cached_property
from typing import TYPE_CHECKING

from assistant.citations import verify_citations
from assistant.followup import resolve_followup
from assistant.interfaces import Encoder, Reader, Retriever, load_reader
from assistant.limits import MAX_QUESTION_CHARS
from assistant.names import names_of, question_names
from assistant.overview import OVERVIEW_KIND, overview_answer, report_in_question
from assistant.reader.similarity import stored_similarity
from assistant.records import Answer, Passage
from assistant.retrieval import HybridSearch
from assistant.spans import normalize
from ingest import store
from ingest.keyword_index import KeywordIndex
from ingest.settings import Settings

if TYPE_CHECKING:
    from assistant.llm import LLMAnswerer

# The reader's pool is taken from this many times as many fused candidates, and the chunks
# holding the question's names, those whose report names what the question names first
# (``naming_first``).
POOL_WIDENING = 3
EMPTY_QUESTION = "質問を入力してください。"
UNREADABLE_QUESTION = "質問の内容を読み取れませんでした。言葉で質問を入力してください。"
QUESTION_TOO_LONG = (
    "質問が長すぎます（{length}文字）。{limit}文字以内にまとめて、もう一度質問してください。"
)
STORE_DOWN = (
    "索引に接続できないため、いまは回答できません。しばらくしてからもう一度お試しください。"
)

EMPTY_INDEX = (
    "索引に資料がありません。先に python -m ingest [PATH ...] で資料を取り込んでください"
    "（PATH を省くと {corpus}/ を取り込みます）。"
)
EMPTY_INDEX_BUSY = (
    "索引はまだ空で、別の取り込み処理が実行中です。取り込みが終わってからもう一度質問してください。"
)
INGEST_IN_PROGRESS = (
    "別の取り込み処理が実行中です。回答には、取り込みが済んだ資料だけが使われます。"
)

History = Sequence[tuple[str, str]]


def index_state(settings: Settings) -> tuple[str | None, str | None]:
    """``(problem, notice)`` for asking this index: a problem when it holds no report (with
    what to run), a notice when an ingest is still filling it. Creates nothing."""
    from ingest.catalog import Catalog
    from ingest.pipeline import ingest_running

    busy = ingest_running(settings)
    has_reports = settings.catalog_path.exists() and bool(Catalog(settings.catalog_path).all())
    if not has_reports:
        return (EMPTY_INDEX_BUSY if busy else EMPTY_INDEX.format(corpus=settings.corpus_dir)), None
    return None, INGEST_IN_PROGRESS if busy else None


class Assistant:
    """``embeddings`` embeds documents (what an ingest through the assistant uses) and, when
    given, questions too; ``query_embeddings`` embeds questions only (by default
    REPORTS_QUERY_BACKEND's encoder, which needs no torch: ``ingest.embeddings``)."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        embeddings: Encoder | None = None,
        query_embeddings: Encoder | None = None,
    ):
        self.settings = settings or Settings.from_env()
        self._embeddings = embeddings
        self._query_embeddings = query_embeddings if query_embeddings is not None else embeddings

    # -- lazily built parts (models load once per process) ------------------------------
    @cached_property
    def embeddings(self) -> Encoder:
        if self._embeddings is None:
            from ingest.embeddings import load_embeddings

            self._embeddings = load_embeddings(self.settings)
        return self._embeddings

    @cached_property
    def query_embeddings(self) -> Encoder:
        if self._query_embeddings is None:
            from ingest.embeddings import load_query_embeddings

            self._query_embeddings = load_query_embeddings(self.settings)
        return self._query_embeddings

    @cached_property
    def keyword_index(self) -> KeywordIndex:
        return KeywordIndex(self.settings.catalog_path)

    @cached_property
    def retriever(self) -> Retriever:
        """The fused pool of candidates; the reader orders it (``_read``), so the retriever's
        own reranker hook stays unused here. It reopens the collection when the index
        changed, so reports other processes add or remove are answered from at once."""
        return HybridSearch(
            collection=store.open_collection(self.settings),
            reopen_collection=lambda: store.reopen_collection(self.settings),
            keyword_index=self.keyword_index,
            embeddings=self.query_embeddings,
            k=self.settings.top_k,
        )

    @cached_property
    def reader(self) -> Reader:
        """The reader REPORTS_READER names; by default the learned extractive reader
        (assistant/reader/model.json)."""
        return load_reader(self.settings.reader)

    @cached_property
    def llm(self) -> LLMAnswerer | None:
        """The generative answerer when an LLM server is configured (REPORTS_LLM_URL)."""
        if not self.settings.llm_enabled:
            return None
        from assistant.llm import LLMAnswerer

        return LLMAnswerer(self.settings)

    # -- answering ------------------------------------------------------------------------
    def ask(
        self, question: str, history: History = (), *, sources: Sequence[str] | None = None
    ) -> Answer:
        """The final answer (for the CLI and the evaluation)."""
        *_, final = self.answers(question, history, sources=sources)
        return final

    def stream(
        self, question: str, history: History = (), *, sources: Sequence[str] | None = None
    ) -> Iterator[Answer]:
        """For the chat: the answer as it grows, the last one final. An answer the LLM may
        replace is shown whole, marked ``pending``; otherwise the text grows line by line."""
        shown_whole = False
        for answer in self.answers(question, history, sources=sources):
            if answer.pending or shown_whole:
                shown_whole = True
                yield answer
            else:
                yield from _line_by_line(answer)

    def answers(
        self, question: str, history: History = (), *, sources: Sequence[str] | None = None
    ) -> Iterator[Answer]:
        """Every answer worth showing for ``question``, in turn, the last one final: the
        extractive answer, or, with an LLM, the extractive one while the model writes
        (``pending``) and then the checked answer. ``sources`` (report names) restricts
        both retrievers to those reports; None searches every report."""
        started = time.perf_counter()
        problem = question_problem(question)
        if problem:
            yield Answer(answer=problem, abstained=True, question_type="invalid")
            return
        question = clean_question(question)
        query = (
            self.llm.condense(question, list(history))
            if self.llm is not None
            else resolve_followup(question, list(history))
        )
        try:
            load_ms = self.load_index()
            t0 = time.perf_counter()
            # The reader reads the whole fused pool; the user and the LLM see its top_k.
            pool, query_vector = self.reader_pool(query, sources)
            retrieval_ms = (time.perf_counter() - t0) * 1000
        except store.StoreUnavailable as exc:
            yield Answer(answer=STORE_DOWN, abstained=True, notice=str(exc))
            return
        except Exception as exc:  # a Chroma server that went away mid-query
            if not self.settings.chroma_url:
                raise
            self._forget_collection()
            yield Answer(
                answer=STORE_DOWN,
                abstained=True,
                notice=store.describe_store_error(self.settings, exc),
            )
            return
        load_ms += self.load_reader()
        t0 = time.perf_counter()
        extractive, passages = self._read(query, pool, query_vector)
        overview = self._overview(query, extractive, pool)
        if overview is not None:
            extractive = overview
        reading_ms = (time.perf_counter() - t0) * 1000
        shown = (
            # falls back to the extractive answer, with a notice
            self.llm.answer_progressively(query, passages, extractive)
            if self.llm is not None
            else [extractive]
        )
        for answer in shown:
            answer.retrieval_query = query
            answer.retrieved = list(passages)
            answer.timings_ms.update(
                load=load_ms,
                retrieval=retrieval_ms,
                reading=reading_ms,
                answer=(time.perf_counter() - t0) * 1000,
                total=(time.perf_counter() - started) * 1000,
            )
            yield answer

    def load_index(self) -> float:
        """Load what retrieval needs once per process (the question encoder, the Chroma
        collection) and bring the keyword statistics up to date (rebuilt after an ingest);
        milliseconds it took, about 0 when all is loaded. ``timings_ms["load"]``."""
        started = time.perf_counter()
        _ = self.retriever  # the question encoder and the collection
        self.keyword_index.refresh()
        return (time.perf_counter() - started) * 1000

    def load_reader(self) -> float:
        """Load the reader (its model file) once per process; milliseconds it took."""
        started = time.perf_counter()
        _ = self.reader
        return (time.perf_counter() - started) * 1000

    def reader_pool(
        self, query: str, sources: Sequence[str] | None = None
    ) -> tuple[list[Passage], list[float] | None]:
        """The passages the reader reads for ``query`` (``naming_first`` over a widened fused
        list), and the query's embedding; only from ``sources`` when given."""
        wanted = list(sources) if sources is not None else None
        fused, query_vector = self.retriever.search_with_vector(
            query, k=self.settings.candidate_count * POOL_WIDENING, sources=wanted
        )
        named = self.retriever.named_passages(
            names_of(query), self.settings.candidate_count, query_vector, sources=wanted
        )
        seen = {p.chunk.chunk_id for p in fused}
        widened = fused + [p for p in named if p.chunk.chunk_id not in seen]
        return naming_first(query, widened)[: self.settings.candidate_count], query_vector

    def _read(
        self, query: str, pool: list[Passage], query_vector: list[float] | None
    ) -> tuple[Answer, list[Passage]]:
        """The reader's answer over the pool, and the pool's top_k in the order the reader
        ranks them (the passage whose sentence answers first; ties keep the fused order)."""
        similarity = stored_similarity(self.keyword_index, query_vector, pool)
        reading = self.reader.read(query, pool, similarity)
        scores = reading.passage_scores()
        order = (
            sorted(range(len(pool)), key=lambda i: -scores[i])
            if self.settings.rerank_pool
            else range(len(pool))
        )
        passages = [pool[i] for i in order][: self.settings.top_k]
        answer = verify_citations(
            self.reader.answer_reading(
                reading,
                threshold=self.settings.answer_threshold,
                likely_threshold=self.settings.likely_threshold,
            )
        )
        answer.retrieved = passages
        return answer, passages

    def _overview(self, query: str, read: Answer, pool: list[Passage]) -> Answer | None:
        """For an overview question (「要点は？」), the outline of the report in question (the
        pool puts the passages naming what the question names first), quoted sentence by
        sentence; None for any other question."""
        if read.question_type != OVERVIEW_KIND:
            return None
        source = report_in_question(pool)
        if source is None:
            return None
        answer = overview_answer(query, self.keyword_index.chunks_of(source))
        if answer is None:
            return None
        answer.retrieved = [p for p in pool if p.chunk.source == source][: self.settings.top_k]
        return verify_citations(answer)

    def _forget_collection(self) -> None:
        """Drop the cached retriever so the next question reconnects to the server."""
        self.__dict__.pop("retriever", None)
        store._client.cache_clear()


def naming_first(question: str, passages: Sequence[Passage]) -> list[Passage]:
    """``passages`` with those naming everything the question names (its city, partner,
    body; in the chunk, its section or its report's title) first, in fused order each.

    Reports that share no name with a question can then never push the passages that do out
    of the reader's pool, however many of them are added (answer stability); a question
    naming nothing keeps the fused order."""
    names = question_names(question)
    if not names:
        return list(passages)

    def names_all(passage: Passage) -> bool:
        chunk = passage.chunk
        context = normalize(f"{chunk.title}\n{chunk.section}\n{chunk.text}")
        return all(any(v in context for v in t.variants) for t in names)

    named = [p for p in passages if names_all(p)]
    return named + [p for p in passages if p not in named]


def _line_by_line(answer: Answer) -> Iterator[Answer]:
    """``answer`` growing one line at a time, then whole."""
    lines = answer.answer.split("\n")
    for i in range(1, len(lines)):
        yield Answer(
            answer="\n".join(lines[:i]),
            abstained=answer.abstained,
            question_type=answer.question_type,
        )
    yield answer


def clean_question(question: str) -> str:
    return question.strip()[:MAX_QUESTION_CHARS]


def question_problem(question: str) -> str | None:
    """A message for input that is not a question at all, else None."""
    text = (question or "").strip()
    if not text:
        return EMPTY_QUESTION
    if not any(unicodedata.category(ch)[0] in "LN" for ch in text):
        return UNREADABLE_QUESTION
    if len(text) > MAX_QUESTION_CHARS:
        return QUESTION_TOO_LONG.format(length=len(text), limit=MAX_QUESTION_CHARS)
    return None


def is_latin_only(question: str) -> bool:
    return bool(re.fullmatch(r"[\x00-\x7f]+", question))
