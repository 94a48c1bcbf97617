"""The names a question is about: its city, partner, body or abbreviation.

What counts as a name is the reader's entity test (``assistant.reader.question.is_entity``,
through the ENTITY terms of ``key_terms``); the service's pool, the LLM's check and the
stability measure all ask here, so they agree on it.
"""

from __future__ import annotations

from assistant.reader.question import ENTITY, Term, key_terms


def question_names(question: str) -> list[Term]:
    """The question's names, in order (each with its spelling variants)."""
    return [t for t in key_terms(question) if t.kind == ENTITY]


def names_of(question: str) -> list[str]:
    """The question's names as written: 「津市がOPIと結んだ協定は」 -> [津市, OPI]."""
    return [t.text for t in question_names(question)]
