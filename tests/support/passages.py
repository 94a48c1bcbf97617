"""Passages built by hand, for tests of the reader and the LLM path (no index needed)."""

from __future__ import annotations

from assistant.records import Passage
from ingest.records import Chunk, sha256_text


def passage(
    text: str,
    index: int = 1,
    *,
    source: str = "tsu_2012_europe_economic_agreements.txt",
    title: str = "津市の経済交流に関する協力協定の締結について",
    section: str = "",
    similarity: float | None = None,
) -> Passage:
    chunk = Chunk(
        chunk_id=f"{source}-{index}",
        text=text,
        source=source,
        title=title,
        section=section,
        start=0,
        end=len(text),
        content_hash=sha256_text(text),
    )
    return Passage(chunk=chunk, score=1.0 / index, dense_similarity=similarity)
