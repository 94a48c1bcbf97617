"""A second reader, to show that the assistant takes whichever reader the settings name
(REPORTS_READER): it quotes the first sentence of the passage retrieval ranks first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from assistant.citations import citation_for, quote_lines
from assistant.records import ABSTENTION, Answer, Passage
from ingest.chunking import split_sentences


@dataclass
class LeadReading:
    passages: Sequence[Passage]

    def passage_scores(self) -> list[float]:
        """Retrieval's order: the first passage answers."""
        return [1.0 if i == 0 else 0.0 for i in range(len(self.passages))]


class LeadSentenceReader:
    def read(self, question: str, passages: Sequence[Passage], similarity=None) -> LeadReading:
        return LeadReading(list(passages))

    def answer_reading(
        self,
        reading: LeadReading,
        *,
        threshold: float | None = None,
        likely_threshold: float | None = None,
    ) -> Answer:
        """Always sure: it has no confidence to compare with the cut-offs."""
        if not reading.passages:
            return Answer(answer=ABSTENTION, abstained=True)
        passage = reading.passages[0]
        first = split_sentences(passage.chunk.text)[0]
        citation = citation_for(passage, first.start, first.end, 1)
        return Answer(
            answer=f"資料の冒頭です。[1]\n{quote_lines([citation])}",
            abstained=False,
            citations=[citation],
            question_type="lead",
        )


class NotAReader:
    def answer(self, question: str) -> str:
        return question
