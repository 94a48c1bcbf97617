"""How close each retrieved sentence is in meaning to the question.

The ingest stores an embedding of every sentence of every chunk beside its keyword rows
(``KeywordIndex.sentence_vectors``); the retriever has already embedded the question. A
dot product of the two is the sentence's dense similarity, which lets the reader match a
paraphrased question (「値段」 / 「単価」) that shares few words with its answer.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from assistant.reader.candidates import PassageCandidates, Sentence
from assistant.reader.features import SentenceSimilarity
from assistant.records import Passage
from ingest.keyword_index import KeywordIndex


def stored_similarity(
    keyword_index: KeywordIndex, query_vector: Sequence[float] | None, passages: Sequence[Passage]
) -> SentenceSimilarity | None:
    """A ``SentenceSimilarity`` over the stored sentence embeddings of ``passages``; None
    without a question embedding (dense search switched off)."""
    if query_vector is None:
        return None
    query = np.asarray(query_vector, dtype=np.float32)
    norm = float(np.linalg.norm(query))
    if not norm:
        return None
    query /= norm
    stored = keyword_index.sentence_vectors(p.chunk.chunk_id for p in passages)
    similarities = {
        chunk_id: matrix @ query / np.maximum(np.linalg.norm(matrix, axis=1), 1e-6)
        for chunk_id, matrix in stored.items()
    }

    def similarity(group: PassageCandidates, sentence: Sentence) -> float | None:
        values = similarities.get(group.passage.chunk.chunk_id)
        if values is None or sentence.index >= len(values):
            return None
        return float(values[sentence.index])

    return similarity
