"""Turn a follow-up question into a self-contained retrieval query.

「何社参加しましたか？」 after a question about 欧州ミッション団 means 欧州ミッション団's
participants; 「その人は何と発言しましたか？」 after 「OPIの代表は誰？」 means the person the
previous answer named. Retrieval sees one query, so the names the conversation is about are
put in front of the new question.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.reader import SENTENCE_INTRO
from assistant.reader.question import is_entity, key_terms
from assistant.records import ABSTENTION, LIKELY_INTRO
from assistant.spans import (
    SpanKind,
    find_spans,
    normalize,
)

# Words that point back to something said before. 「同」 only before a noun it stands in for
# (同社, 同氏, 同機構), since 同 also starts ordinary words (共同, 同時).
_REFERENCE_RE = re.compile(
    r"その|この|それ|そこ|あの|あれ|彼女|彼ら|彼|先ほど|さっき|前述|上記|当該"
    r"|(?<![共合協賛])同(?:社|氏|市|州|局|機構|団|機関|協定|国|年|月|日|事務所|センター)"
)
_MAX_CARRIED_TERMS = 6
_ANSWER_SPAN_KINDS = (SpanKind.PERSON, SpanKind.ORGANISATION, SpanKind.PLACE)


def refers_back(question: str) -> bool:
    """True when the question points at an earlier turn or names nothing of its own."""
    text = normalize(question)
    if _REFERENCE_RE.search(text):
        return True
    return not any(is_entity(term.text) for term in key_terms(text))


def resolve_followup(question: str, history: Sequence[tuple[str, str]]) -> str:
    """The query to search for ``question`` given ``history`` (oldest turn first).

    A self-contained question comes back unchanged; a follow-up is prefixed with the
    previous turn's names and key terms and the names in its answer.
    """
    if not history or not refers_back(question):
        return question
    carried = _carried_terms(history)
    own = {term.text for term in key_terms(question)}
    prefix = [term for term in carried if term not in own and term not in question]
    if not prefix:
        return question
    return f"{' '.join(prefix[:_MAX_CARRIED_TERMS])} {question}"


def _carried_terms(history: Sequence[tuple[str, str]]) -> list[str]:
    """Names from the last answer, then the previous question's terms (that question resolved
    against the turns before it, so a chain of follow-ups keeps its subject)."""
    previous_question, previous_answer = history[-1]
    resolved_previous = resolve_followup(previous_question, history[:-1])
    terms = _answer_names(previous_answer)
    question_terms = [term.text for term in key_terms(resolved_previous)]
    names_first = [t for t in question_terms if is_entity(t)] + [
        t for t in question_terms if not is_entity(t)
    ]
    for term in names_first:
        if term not in terms:
            terms.append(term)
    return terms


def _answer_names(answer: str) -> list[str]:
    """People, organisations and places stated in the answer's first line (not its quotes,
    which would drag in everything else the quoted sentence mentions); when the answer is a
    quoted sentence, in that sentence, which is then the answer."""
    lines = answer.strip().split("\n")
    first_line = lines[0]
    if not first_line or first_line.startswith(ABSTENTION):
        return []
    if first_line in (SENTENCE_INTRO, LIKELY_INTRO) and len(lines) > 1:
        first_line = re.sub(r"^\[\d+\]\s*「|」$", "", lines[1])
    first_line = re.sub(r"\[\d+\]", "", first_line)
    names: list[str] = []
    for kind in _ANSWER_SPAN_KINDS:
        for span in find_spans(first_line, kind):
            name = getattr(span, "name", "") or normalize(span.text)
            if name not in names:
                names.append(name)
    return names
