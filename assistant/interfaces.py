"""What the assistant needs of its parts: an encoder, a retriever and a reader.

``assistant.service.Assistant`` depends on these Protocols, not on the classes that fill them
today (LangChain ``Embeddings`` from ``ingest.embeddings``, ``assistant.retrieval.
HybridSearch``, ``assistant.reader.LearnedReader``). The reader is chosen by configuration:
``REPORTS_READER=package.module:ClassName`` names a class built without arguments whose
instances have ``read`` and ``answer_reading`` (``load_reader``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

from assistant.records import Answer, Passage


@runtime_checkable
class Encoder(Protocol):
    """Texts to vectors: LangChain's ``Embeddings`` interface, all the assistant uses of it."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...


@runtime_checkable
class Retriever(Protocol):
    """Passages for a question: the fused candidates, and those naming the question's names."""

    def search_with_vector(
        self, query: str, k: int | None = None, sources: list[str] | None = None
    ) -> tuple[list[Passage], list[float] | None]:
        """The best ``k`` passages for ``query``, and its embedding (None without one)."""
        ...

    def named_passages(
        self, names: Sequence[str], k: int, query_vector: list[float] | None
    ) -> list[Passage]:
        """The best ``k`` passages for ``names`` alone (a question's city, partner, body)."""
        ...


@runtime_checkable
class Reading(Protocol):
    """What a reader found in the passages, before it phrases an answer."""

    def passage_scores(self) -> list[float]:
        """How well each passage answers, in the passages' order (to re-rank them)."""
        ...


# How close in meaning a passage's sentence is to the question (``assistant.reader.features.
# SentenceSimilarity``): the reader's own types in, a cosine or None out.
SentenceSimilarity = Callable[[Any, Any], float | None]


@runtime_checkable
class Reader(Protocol):
    """Reads the passages for a question, then answers with citations or abstains."""

    def read(
        self,
        question: str,
        passages: Sequence[Passage],
        similarity: SentenceSimilarity | None = None,
    ) -> Reading: ...

    def answer_reading(
        self,
        reading: Reading,
        *,
        threshold: float | None = None,
        likely_threshold: float | None = None,
    ) -> Answer:
        """The answer in one of three tiers (``Answer.tier``); the cut-offs, when given,
        replace the reader's own (REPORTS_ANSWER_THRESHOLD / REPORTS_LIKELY_THRESHOLD)."""
        ...


def load_reader(spec: str) -> Reader:
    """The reader ``spec`` (``package.module:ClassName``) names, built without arguments.

    Raises ValueError naming ``REPORTS_READER`` when the class cannot be found or is no reader.
    """
    module_name, _, class_name = spec.partition(":")
    if not module_name or not class_name:
        raise ValueError(
            f"REPORTS_READER={spec!r} is not of the form package.module:ClassName "
            "(the default is assistant.reader:LearnedReader)"
        )
    try:
        factory = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as exc:
        raise ValueError(
            f"REPORTS_READER={spec!r} names no class that can be imported: {exc}"
        ) from exc
    reader = factory()
    if not isinstance(reader, Reader):
        raise ValueError(
            f"REPORTS_READER={spec!r} is not a reader: it needs read(question, passages, "
            "similarity) and answer_reading(reading)"
        )
    return reader
