"""Typed records that flow through answering: retrieved passages, citations, answers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ingest.records import Chunk

ABSTENTION = "資料には該当する記述が見つかりませんでした。"


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its fused score and the ranks it had in each retriever."""

    chunk: Chunk
    score: float
    dense_rank: int | None = None
    keyword_rank: int | None = None
    dense_similarity: float | None = None  # cosine similarity, for abstention


@dataclass(frozen=True)
class Citation:
    """One numbered source under an answer. ``text`` occurs verbatim in the chunk text,
    at ``[quote_start, quote_end)``."""

    marker: int  # the n of [n] in the answer
    source: str
    title: str
    section: str
    page: int | None
    chunk_id: str
    text: str
    quote_start: int = 0
    quote_end: int = 0
    chunk_text: str = ""
    ocr: bool = False  # the passage was read by OCR from a scanned page: it may hold misreadings

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Answer:
    answer: str
    abstained: bool
    citations: list[Citation] = field(default_factory=list)
    related: list[Citation] = field(default_factory=list)  # "possibly related" when abstaining
    question_type: str = ""
    answered_by: str = "extractive"  # "extractive" | "llm"
    notice: str = ""  # one line for the user, e.g. why the LLM answer was not shown
    llm_rejected: bool = False  # an LLM answer was generated but failed the grounding check
    retrieval_query: str = ""  # the query actually searched (after follow-up resolution)
    retrieved: list[Passage] = field(default_factory=list, repr=False)
    timings_ms: dict[str, float] = field(default_factory=dict)
    support: float = 0.0  # how well the quoted text supports the answer, in [0, 1]
    stated: str = ""  # what the answer states (a date, a count, a name); "" for quotes
    pending: bool = False  # shown while the LLM writes; a checked answer will replace it
    excerpt: str = ""  # the reader's own answer, when shown under a generated one

    def to_dict(self) -> dict:
        """The shared-contract JSON shape, plus extra fields."""
        return {
            "answer": self.answer,
            "abstained": self.abstained,
            "citations": [
                {
                    "source": c.source,
                    "section": c.section,
                    "text": c.text,
                    "chunk_id": c.chunk_id,
                    "title": c.title,
                    "page": c.page,
                    "marker": c.marker,
                    "ocr": c.ocr,
                }
                for c in self.citations
            ],
            "related": [
                {"source": c.source, "section": c.section, "text": c.text, "chunk_id": c.chunk_id}
                for c in self.related
            ],
            "question_type": self.question_type,
            "support": round(self.support, 4),
            "stated": self.stated,
            "answered_by": self.answered_by,
            "notice": self.notice,
            "llm_rejected": self.llm_rejected,
            "retrieval_query": self.retrieval_query,
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
        }
