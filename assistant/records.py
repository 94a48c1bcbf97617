"""Typed records that flow through answering: retrieved passages, citations, answers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ingest.records import Chunk

ABSTENTION = "資料には該当する記述が見つかりませんでした。"
LIKELY_INTRO = "確かな回答は見つかりませんでしたが、次の記述が該当する可能性があります。"

# The three kinds of answer a user meets (issue 25): the reader is sure (a short statement
# where the question asks for a fact, and the quote); the reports speak about what is asked
# but the reader is not sure which sentence answers (its best sentences, the best first);
# the reports are silent (related passages only). ``Answer.abstained`` is true exactly for
# TIER_NONE.
TIER_ANSWER = "answer"
TIER_LIKELY = "likely"
TIER_NONE = "none"
TIERS = (TIER_ANSWER, TIER_LIKELY, TIER_NONE)
TIER_LABELS = {TIER_ANSWER: "回答", TIER_LIKELY: "該当しそうな記述", TIER_NONE: "見つかりません"}


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
    # The stated span inside the quote, as offsets into the chunk text (0, 0: none marked):
    # the words the short statement comes from, marked wherever the quote is shown.
    mark_start: int = 0
    mark_end: int = 0

    @property
    def mark(self) -> tuple[int, int] | None:
        """The marked span as offsets into ``text``, when it lies inside the quote."""
        if self.mark_end <= self.mark_start:
            return None
        start, end = self.mark_start - self.quote_start, self.mark_end - self.quote_start
        return (start, end) if 0 <= start < end <= len(self.text) else None

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
    # the reader is not sure which sentence answers, but the reports speak about what is
    # asked: the quotes are its best candidates (TIER_LIKELY); ignored when abstained
    hedged: bool = False
    # the line a user reads before the quotes: the statement with its marker
    # (「７社です。[1]」) or the tier's introduction; "" for answers not made by the reader
    lead: str = ""
    answerable: float = 0.0  # P(the reports state what is asked), the likely/none decision

    @property
    def tier(self) -> str:
        """TIER_NONE when abstained, TIER_LIKELY when hedged, else TIER_ANSWER (a field pair
        rather than a stored tier, so ``dataclasses.replace(answer, abstained=True)`` can
        never leave the two disagreeing)."""
        if self.abstained:
            return TIER_NONE
        return TIER_LIKELY if self.hedged else TIER_ANSWER

    @property
    def best_quote(self) -> Citation | None:
        """The first evidence a user sees: the first quote, or for TIER_NONE the first
        related passage (the reader's best sentence)."""
        shown = self.citations or self.related
        return shown[0] if shown else None

    def to_dict(self) -> dict:
        """The shared-contract JSON shape, plus extra fields."""
        return {
            "answer": self.answer,
            "abstained": self.abstained,
            "tier": self.tier,
            "citations": [
                {
                    "source": c.source,
                    "section": c.section,
                    "text": c.text,
                    "chunk_id": c.chunk_id,
                    "title": c.title,
                    "page": c.page,
                    "marker": c.marker,
                    "mark": _marked_text(c),
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
            "answerable": round(self.answerable, 4),
            "stated": self.stated,
            "answered_by": self.answered_by,
            "notice": self.notice,
            "llm_rejected": self.llm_rejected,
            "retrieval_query": self.retrieval_query,
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
        }


def _marked_text(citation: Citation) -> str:
    """The marked span's text ("" when none)."""
    mark = citation.mark
    return citation.text[mark[0] : mark[1]] if mark else ""
