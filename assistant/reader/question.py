"""What a question asks for and what it is about.

``analyse`` turns a question into a ``QuestionAnalysis``: its kind (decided by the handler
registry, ``assistant.reader.handlers``), the key terms the answer's sentence should hold
(names, nouns, verb stems, each with its kind), the counter a count must carry, the kind of
place asked for (「どの国」), and the question's predicate (the verb or verbal noun the asked
thing attaches to: 「協定を締結したのはいつ」 -> 締結). Everything is read off the NFKC text
with the vocabulary of ``assistant/vocabulary.toml``; nothing here decides an answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.spans import NAME_JOINERS, normalize
from assistant.vocabulary import VOCABULARY
from ingest.japanese import HIRAGANA, KANJI, KATAKANA

ENTITY, NOUN, VERB, NUMBER = "entity", "noun", "verb", "number"


@dataclass(frozen=True)
class Term:
    text: str
    kind: str  # ENTITY (a name), NOUN, VERB (a stem such as 結ん), NUMBER
    position: int  # where it starts in the normalised question

    @property
    def variants(self) -> tuple[str, ...]:
        return VOCABULARY.variants(self.text)


@dataclass(frozen=True)
class QuestionAnalysis:
    text: str
    normalized: str
    kind: str  # the handler that recognised it: when, count, who, where, why...
    terms: tuple[Term, ...]
    counter_kind: str | None  # count_companies, money, duration... (count questions)
    counter: str | None  # the counter as asked: 「何者間」 -> 者
    place_kind: str | None  # country, city or region when the question says which
    predicate: Term | None  # the verb or verbal noun the asked thing attaches to
    focus: str | None  # the noun right before the question word: 「学長は誰」 -> 学長
    asks_end: bool = False  # 「終わったのは何日」: the last day of a period
    asks_start: bool = False  # 「何曜日から始まり」: its first day
    asks_weekday: bool = False
    cue_position: int = 0  # where the question word is

    @property
    def names(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if t.kind == ENTITY)

    @property
    def descriptive(self) -> tuple[Term, ...]:
        """The terms that describe what is asked (not names, which open a sentence as its
        topic and may sit anywhere)."""
        return tuple(t for t in self.terms if t.kind != ENTITY)


def analyse(question: str) -> QuestionAnalysis:
    from assistant.reader.handlers import handler_for  # the registry imports this module

    normalized = normalize(question).strip()
    handler, cue = handler_for(normalized)
    terms = tuple(key_terms(normalized))
    cue_position = cue.start() if cue else len(normalized)
    return QuestionAnalysis(
        text=question,
        normalized=normalized,
        kind=handler.name,
        terms=terms,
        counter_kind=asked_counter_kind(normalized),
        counter=asked_counter(normalized),
        place_kind=_asked_place_kind(normalized),
        predicate=_predicate(terms, cue_position),
        focus=_focus(normalized, cue_position),
        asks_end=bool(_END.search(normalized)) and not _START.search(normalized),
        asks_start=bool(_START.search(normalized)) and not _END.search(normalized),
        asks_weekday="曜" in normalized,
        cue_position=cue_position,
    )


_END = re.compile("|".join(VOCABULARY.focus_words("period_end")))
_START = re.compile("|".join(VOCABULARY.focus_words("period_start")))


# --------------------------------------------------------------------------------------
# Key terms
# --------------------------------------------------------------------------------------

_TERM_RE = re.compile(
    rf"[A-Za-z][A-Za-z0-9&.\-]*(?: [A-Z][A-Za-z0-9&.\-]*)*"  # Latin names, "SRB ENERGY"
    rf"|[0-9]+(?:[年月日社名者つ人件回]|か国)?"
    rf"|[{KANJI}{KATAKANA}{NAME_JOINERS}]+(?P<okurigana>[{HIRAGANA}])?"
)
# Hiragana after a single kanji often belongs to the word (結ん, 行っ); keep one character so
# that the stem still matches 「結んだ」 but drop particles after compounds (協定を).
_STEM_KEEPS = set("んっいきしちにびみりうくすつぬぶむるえけせてねべめれ")


def key_terms(question: str) -> list[Term]:
    """Content words and names of a question, in order, without duplicates.

    「津市がOPIと協定を結んだのはいつ？」 -> 津市 (name), OPI (name), 協定, 結ん (verb).
    """
    text = normalize(question)
    terms: list[Term] = []
    seen: set[str] = set()
    for match in _TERM_RE.finditer(text):
        term = match.group(0)
        okurigana = match.group("okurigana")
        if okurigana:
            term = term[:-1]
        for piece in _strip_question_words(term):
            if len(piece) >= 3 and piece.endswith(VOCABULARY.honorifics):
                piece = re.sub(f"(?:{'|'.join(VOCABULARY.honorifics)})$", "", piece)
            kind = term_kind(piece)
            if okurigana and len(piece) == 1 and _is_kanji(piece):
                if piece in VOCABULARY.asking_stems:
                    continue
                if okurigana in _STEM_KEEPS:
                    piece += okurigana
                    kind = VERB
            if len(piece) == 1 and not _is_kanji(piece) and not piece.isascii():
                continue  # a lone katakana is noise
            if piece and piece not in seen:
                seen.add(piece)
                terms.append(Term(piece, kind, max(0, text.find(piece))))
    return terms


def term_kind(term: str) -> str:
    if re.fullmatch(r"[0-9]+.*", term):
        return NUMBER
    if is_entity(term):
        return ENTITY
    if re.search(f"[{HIRAGANA}]$", term):
        return VERB
    return NOUN


def _strip_question_words(term: str) -> list[str]:
    """「何社参加」 -> ["参加"]; names and numbers pass unchanged."""
    asked = VOCABULARY.asked_words
    if asked.fullmatch(term):
        return []
    if re.search(rf"[{KANJI}]", term) is None:
        return [term]
    pieces = [piece for piece in asked.sub(" ", term).split(" ") if piece]
    return [
        part
        for piece in pieces
        for prefixed in _split_place_prefix(piece)
        for part in _split_name_and_action(prefixed)
    ]


_NAME_ACTION_RE = re.compile(rf"^([{KATAKANA}{NAME_JOINERS}]{{2,}})([{KANJI}]{{2,}}?)[中後時前]?$")
_MAYOR_RE = re.compile(rf"^([{KANJI}]{{1,4}}[市町村])(長)$")
_PLACE_PREFIX_RE = re.compile(rf"^([{KANJI}]{{1,3}}[市県町村])([{KANJI}{KATAKANA}]{{2,}})$")


def _split_name_and_action(term: str) -> list[str]:
    """「トゥールーズ訪問中」 -> トゥールーズ, 訪問; 「松阪市長」 -> 松阪市, 市長: a question runs
    a name and what happened there together, reports keep them apart."""
    mayor = _MAYOR_RE.match(term)
    if mayor:
        city = mayor.group(1)
        return [city, "市長" if city.endswith("市") else city[-1] + "長"]
    match = _NAME_ACTION_RE.match(term)
    if match and len(match.group(2)) >= 2:
        return [match.group(1), match.group(2)]
    return [term]


def _split_place_prefix(term: str) -> list[str]:
    """「津市欧州ミッション団」 -> 津市, 欧州ミッション団: reports drop the place in front of a
    name they have already introduced."""
    if _MAYOR_RE.match(term):
        return [term]
    match = _PLACE_PREFIX_RE.match(term)
    return [match.group(1), match.group(2)] if match else [term]


def _is_kanji(text: str) -> bool:
    return re.fullmatch(rf"[{KANJI}]+", text) is not None


def is_entity(term: str) -> bool:
    """Names carry a question: Latin abbreviations (OPI), katakana words (ジュネーブ), and
    place names (津市, ジュネーブ州) or organisation names (産業振興機構)."""
    if re.search(r"[A-Za-z]", term) or re.search(rf"[{KATAKANA}]{{2,}}", term):
        return True
    if VOCABULARY.place_kind(term):
        return True
    return len(term) >= 3 and term.endswith(VOCABULARY.organisation_suffixes)


def is_municipality(term: str) -> bool:
    return VOCABULARY.place_kind(term) == "city" and re.fullmatch(f"[{KANJI}]+", term) is not None


def is_abbreviation(term: str) -> bool:
    return re.fullmatch(r"[A-Za-z][A-Za-z0-9&.\-]{1,15}", term) is not None


# --------------------------------------------------------------------------------------
# What is asked
# --------------------------------------------------------------------------------------

_COUNTER_AFTER_WHAT = re.compile(
    "何(" + "|".join(re.escape(c) for c in VOCABULARY.counters if len(c) <= 3) + ")"
)
_BARE_COUNT = re.compile(
    r"いくつ|いくら|どのくらい|どれくらい|どれだけ|(?:の)?数は|数を|件数|人数|社数|総数|金額|予算|費用|割合|比率|何パーセント"
)


def asked_counter_kind(question: str) -> str | None:
    """What a count must measure: 「何社」 -> count_companies; 「参加人数は」 -> count_people;
    「予算はいくら」 -> money; None when the question asks no count."""
    text = normalize(question)
    explicit = _COUNTER_AFTER_WHAT.search(text)
    if explicit:
        return VOCABULARY.counter_kind(explicit.group(1))
    bare = _BARE_COUNT.search(text)
    if bare is None:
        return None
    after = re.match(rf"の([{KANJI}{KATAKANA}]+)", text[bare.end() :])
    if after:
        kind = _noun_counter_kind(after.group(1), prefix=True)
        if kind:
            return kind
    return _noun_counter_kind(text[: bare.end()], prefix=False) or None


def asked_counter(question: str) -> str | None:
    """The counter a question writes after 何: 「何者間」 -> 者, 「何回目」 -> 回目."""
    explicit = _COUNTER_AFTER_WHAT.search(normalize(question))
    return explicit.group(1) if explicit else None


def _noun_counter_kind(text: str, *, prefix: bool) -> str:
    """The counter kind of the noun starting ``text`` (``prefix``) or nearest its end."""
    best: tuple[int, str] | None = None
    for noun, kind in VOCABULARY.counted_nouns:
        if prefix:
            if text.startswith(noun):
                return kind
            continue
        position = text.rfind(noun)
        if position >= 0 and (best is None or position + len(noun) > best[0]):
            best = (position + len(noun), kind)
    return best[1] if best else ""


def _asked_place_kind(question: str) -> str | None:
    """「どの国」 -> country, 「どの都市」/「どこの市」 -> city, 「どの州」 -> region."""
    for kind in ("country", "city", "region"):
        words = "|".join(VOCABULARY.focus_words(kind))
        if re.search(
            rf"(?:どの|どこの|何という|何)(?:{words})|(?:{words})(?:名)?は(?:どこ|何)", question
        ):
            return kind
    return None


def _predicate(terms: tuple[Term, ...], cue_position: int) -> Term | None:
    """The last verb or noun before the question word (「締結したのはいつ」 -> 締結), or the
    last one at all: what the asked thing attaches to."""
    descriptive = [t for t in terms if t.kind in (VERB, NOUN)]
    before = [t for t in descriptive if t.position < cue_position]
    chosen = before or descriptive
    return chosen[-1] if chosen else None


_FOCUS_RE = re.compile(
    rf"([{KANJI}{KATAKANA}]+)(?:の名前|の氏名|の名称)?(?:は|が)(?:誰|だれ|どなた|どこ|何|いつ)"
)


def _focus(question: str, cue_position: int) -> str | None:
    """The noun the question word stands for: 「署名した学長は誰」 -> 学長."""
    match = _FOCUS_RE.search(question)
    return match.group(1) if match else None
