"""Answer a question from retrieved passages without a generative model.

The method: split the passages into sentences, score each sentence for the question (how
many of its key terms it contains, weighted so that rare terms and names count most; whether
it holds a span of the kind asked for; the passage's retrieval rank), take the best one,
pull the span of the expected type nearest the question's terms out of it, and state it in a
short Japanese sentence followed by the exact quote. When the best sentence does not support
an answer well enough, abstain and show the closest passages as "possibly related".
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from assistant.question_types import (
    EXPECTED_SPANS,
    GENERIC_PLACE_NOUNS,
    QuestionType,
    asked_counter,
    classify,
    is_entity,
    key_terms,
    term_variants,
)
from assistant.records import ABSTENTION, Answer, Citation, Passage
from assistant.spans import (
    COUNTRIES,
    GAZETTEER,
    HIRAGANA,
    KANJI,
    KATAKANA,
    NAME_JOINERS,
    PLACE_SUFFIXES,
    TITLES,
    CountSpan,
    DateRangeSpan,
    DateSpan,
    EnumerationSpan,
    OrganisationSpan,
    PersonSpan,
    QuoteSpan,
    Span,
    SpanKind,
    find_spans,
    normalize,
)

DEFAULT_MIN_SUPPORT = 0.45
MAX_RELATED = 3
_MISSING_SPAN_FACTOR = 0.3  # a when-question answered by a sentence without a date
_MISSING_QUOTE_FACTOR = 0.25
_CONTEXT_CREDIT = 0.35  # a term found elsewhere in the same passage, not in the sentence
_NAME_IN_REPORT_CREDIT = 0.8  # 「松阪市」 in the report's title, not in the sentence
_PARAPHRASE_CREDIT = 0.9  # 「会社」 found as 「企業」: nearly as good as the word itself
_MISSING_NAME_FACTOR = 0.2  # the question's city or abbreviation is nowhere in the passage
_MISSING_WORD_NAME_FACTOR = 0.6  # a katakana/institution name of the question is missing
_SPAN_WINDOW = 24  # characters either side of a span that count as its clause
# A count far from what the question counts (「6社が参加」 for 「商談件数」) is usually a count
# of something else; other typed spans (dates, people) are less often confusable.
_UNPLACED_SPAN_FLOOR = {QuestionType.COUNT: 0.4}
_UNGOVERNED_LIST_FACTOR = 0.8  # a list, but not the one the question's verb or noun governs
_PLAIN_SENTENCE_FACTOR = 0.75
# Characters between a list's end and the word governing it: particles and a count fit
# (「等を実施」「の4分野で」「について議論」), a further clause does not.
_GOVERNING_REACH = 5
_SENTENCE_INTRO = "資料には次のように記載されています。"


# --------------------------------------------------------------------------------------
# Sentences
# --------------------------------------------------------------------------------------

_OPENERS, _CLOSERS = "「『（(【", "」』）)】"
_ENDERS = "。！？!?"


def split_sentences(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence in ``text``, whitespace trimmed.

    Splits after 。！？ and at line breaks, but not inside brackets, so that
    「…願っている。」と発言しました。 stays one sentence.
    """
    bounds: list[tuple[int, int]] = []
    depth, start = 0, 0
    for index, char in enumerate(text):
        if char in _OPENERS:
            depth += 1
        elif char in _CLOSERS:
            depth = max(0, depth - 1)
        if char == "\n" or (char in _ENDERS and depth == 0):
            bounds.append((start, index + (char != "\n")))
            start = index + 1
    bounds.append((start, len(text)))
    return [trimmed for s, e in bounds if (trimmed := _trim(text, s, e))]


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None


# --------------------------------------------------------------------------------------
# Term matching
# --------------------------------------------------------------------------------------


def _bigrams(text: str) -> set[str]:
    compact = re.sub(r"\s+", "", text)
    return {compact[i : i + 2] for i in range(len(compact) - 1)}


def term_match(term: str, normalized_text: str, text_bigrams: set[str]) -> float:
    """1.0 if the term occurs as is; nearly as much for a paraphrase (会社 / 企業); partial
    credit for most of its character bigrams (「協力協定」 vs 「協定」); 0 otherwise."""
    literal = _literal_match(term, normalized_text, text_bigrams)
    if literal >= _PARAPHRASE_CREDIT:
        return literal
    if any(v in normalized_text for v in term_variants(term)[1:]):
        return _PARAPHRASE_CREDIT
    return literal


def _literal_match(term: str, normalized_text: str, text_bigrams: set[str]) -> float:
    if term in normalized_text:
        return 1.0
    grams = _bigrams(term)
    if len(grams) < 2:
        return 0.0
    overlap = len(grams & text_bigrams) / len(grams)
    if overlap < 0.5:
        return 0.0
    # A name is either there or not: 「経済ミッション団」 is not 「欧州ミッション団」.
    return (0.3 if is_entity(term) else 0.7) * overlap


def _kind_weight(term: str) -> float:
    """Names matter most; verb stems (結ん) least, as reports paraphrase them (締結)."""
    if is_entity(term):
        return 1.5
    if re.search(f"[{HIRAGANA}]$", term):
        return 0.3
    if len(term) == 1:
        return 0.5
    return 1.0


@dataclass(frozen=True)
class _Sentence:
    passage_index: int
    start: int
    end: int
    normalized: str
    bigrams: frozenset[str]


@dataclass
class _Scored:
    sentence: _Sentence
    coverage: float
    type_factor: float
    rank_prior: float
    spans: list[Span] = field(default_factory=list)
    entity_factor: float = 1.0

    @property
    def support(self) -> float:
        return (
            self.coverage * self.type_factor * self.entity_factor * (0.85 + 0.15 * self.rank_prior)
        )


# --------------------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------------------


@dataclass
class _Question:
    text: str
    type: QuestionType
    terms: list[str]
    weights: dict[str, float]
    counter: str | None


# Counters that count the same thing, however a report spells them (「３カ国」「３ヶ国」).
_COUNTER_GROUPS: tuple[tuple[str, ...], ...] = (
    ("人", "名", "万人"),
    ("か国", "カ国", "ヶ国", "ケ国"),
    ("か所", "カ所", "ヶ所", "箇所"),
    ("か月", "カ月", "ヶ月"),
    ("社", "企業"),
    ("つ", "件", "項目", "点"),
    ("円", "万円", "億円", "ドル", "ユーロ"),
    ("%", "パーセント", "割"),
)
# One-way equivalences: 「商談件数」 is reported per company (「１２社と商談」).
_ALSO_ANSWERS = {"件": ("社",)}


def _same_counters(counter: str) -> tuple[str, ...]:
    """The counters a count must carry to answer a question asking with ``counter``."""
    group = next((g for g in _COUNTER_GROUPS if counter in g), (counter,))
    return (*group, *_ALSO_ANSWERS.get(counter, ()))


_MONEY_IN_QUESTION = re.compile(r"いくら|金額|予算|額は|費用")
_DURATION_COUNTERS = ("年間", "か月", "ヶ月", "カ月", "日間", "週間", "時間")


def _term_weights(terms: list[str], sentences: list[_Sentence]) -> dict[str, float]:
    """Inverse sentence frequency over the candidates times a weight for the kind of term:
    「津市」 appears everywhere in a report about 津市, 「人口」 nowhere, and a sentence
    lacking the rare term should not count as an answer."""
    total = len(sentences)
    weights = {}
    for term in terms:
        df = sum(1 for s in sentences if term in s.normalized)
        weights[term] = math.log(1 + (total + 1) / (df + 1)) * _kind_weight(term)
    return weights


def _coverage(
    question: _Question, sentence: _Sentence, passage_text: str, passage_context: str
) -> float:
    """Weighted share of the question's key terms found in the sentence. A term found only
    elsewhere in the passage earns a little; a city or abbreviation found in the passage or
    its report's title earns nearly full credit, since reports name their city and partner
    once and then drop them (descriptive names such as 「ケミカルネット6」 earn that only in
    the sentence)."""
    if not question.terms:
        return 0.0
    got = 0.0
    for term in question.terms:
        here = term_match(term, sentence.normalized, set(sentence.bigrams))
        nearby = _CONTEXT_CREDIT if _in_context(term, passage_text) else 0.0
        if is_place_or_abbreviation(term) and _in_context(term, passage_context):
            nearby = _NAME_IN_REPORT_CREDIT
        got += question.weights[term] * max(here, nearby)
    total = sum(question.weights.values())
    return got / total if total else 0.0


def _in_context(term: str, context: str) -> bool:
    return any(variant in context for variant in term_variants(term))


def _is_municipality(term: str) -> bool:
    named = re.fullmatch(f"[{KANJI}]{{1,4}}[市県町村]", term) is not None
    return named and not GENERIC_PLACE_NOUNS.match(term)


def is_place_or_abbreviation(term: str) -> bool:
    """The names that tell confusable reports apart: municipalities (津市, 四日市市) and
    abbreviations (OPI, BIW). An answer about 四日市市 from a 津市 passage is no answer."""
    return bool(re.fullmatch(r"[A-Za-z][A-Za-z0-9&.\-]{1,15}", term)) or _is_municipality(term)


def _entity_factor(question: _Question, sentence: _Sentence, contexts: _Contexts) -> float:
    """How far the sentence is about what the question names. A city must occur in the
    sentence, its passage or its report's title (a 四日市市 report need not repeat 四日市市 in
    every sentence, but a 津市 report that mentions 四日市市 in passing is not about it); an
    abbreviation or descriptive name (「産業ミッション」) anywhere in the same report will do.
    A missing city or abbreviation nearly rules the sentence out, a missing descriptive
    name counts against it."""
    factor = 1.0
    for term in question.terms:
        if not is_entity(term):
            continue
        if term_match(term, sentence.normalized, set(sentence.bigrams)) >= 0.5:
            continue
        if _is_abbreviation(term) and _other_abbreviations(question, sentence):
            factor *= _MISSING_NAME_FACTOR  # 「津市とOPIとの協定」 is no answer about CERN
        elif _is_municipality(term):
            if not _in_context(term, contexts.passage):
                factor *= _MISSING_NAME_FACTOR
        elif not _in_context(term, contexts.report):
            factor *= _MISSING_NAME_FACTOR if _is_abbreviation(term) else _MISSING_WORD_NAME_FACTOR
    return factor


_ABBREVIATION_IN_TEXT = re.compile(r"(?<![A-Za-z])[A-Z][A-Z0-9&]{1,9}(?![A-Za-z])")


def _other_abbreviations(question: _Question, sentence: _Sentence) -> list[str]:
    """Abbreviations the sentence names when it names none the question does: a sentence
    about another partner than the one asked about. Not for questions asking for an
    organisation, whose answer may itself be abbreviated (「EPFL」)."""
    if question.type in (QuestionType.ORGANISATION, QuestionType.WHAT):
        return []
    asked = normalize(question.text)
    named = _ABBREVIATION_IN_TEXT.findall(sentence.normalized)
    if any(a in asked for a in named):
        return []
    return named


@dataclass(frozen=True)
class _Contexts:
    passage: str  # title, section and text of the sentence's passage
    report: str  # the same plus every other retrieved passage of its report


def _contexts(passages: Sequence[Passage]) -> list[_Contexts]:
    """For each passage, what its report says as far as the retrieved passages show. A report
    names its mission once; a later chunk (「商談件数は12社」) is still about it."""
    by_source: dict[str, list[str]] = {}
    for p in passages:
        by_source.setdefault(p.chunk.source, []).append(p.chunk.text)
    return [
        _Contexts(
            passage=normalize(f"{p.chunk.title}\n{p.chunk.section}\n{p.chunk.text}"),
            report=normalize(
                "\n".join([p.chunk.title, p.chunk.section, *by_source[p.chunk.source]])
            ),
        )
        for p in passages
    ]


def _passage_spans(passage_text: str, kinds: Sequence[SpanKind]) -> list[Span]:
    """Typed spans found over the whole passage, so that 翌21日 resolves from a date in an
    earlier sentence."""
    return [span for kind in kinds for span in find_spans(passage_text, kind)]


def _within(spans: list[Span], sentence: _Sentence) -> list[Span]:
    return [s for s in spans if sentence.start <= s.start and s.end <= sentence.end]


def _useful_spans(
    question: _Question, spans: list[Span], sentence: _Sentence, text: str
) -> list[Span]:
    """Drop spans that only repeat the question (「津市」 for 「津市はどこを訪問…」) or are not
    of the asked kind; for 「何を…」 questions, prefer what the question's verb governs."""
    asked = normalize(question.text)
    useful = [s for s in spans if normalize(s.text).replace(" ", "") not in asked]
    if question.type is QuestionType.COUNT and question.counter:
        wanted = _same_counters(question.counter)
        useful = [s for s in useful if getattr(s, "counter", "") in wanted]
    if question.type is QuestionType.DURATION:
        useful = [s for s in useful if _is_duration(s, _asked_duration_unit(asked))]
    if question.type is QuestionType.WHICH_FIELDS:
        useful = [s for s in useful if isinstance(s, EnumerationSpan)]
        governed = [s for s in useful if _is_governed(question, s, text)]
        useful = governed or [s for s in useful if _is_strong_list(s)]
        if not governed and (phrase := _governed_phrase(question, sentence, text)) is not None:
            useful = [phrase]
    if question.type is QuestionType.LIST:
        # the enumeration the question's verb or noun governs (「…の３か国を訪問」)
        useful = [s for s in useful if _is_governed(question, s, text)] or useful
    if question.type is QuestionType.WHERE:
        useful = _places_by_the_asked_verb(question, useful, sentence, text)
    if question.type in (QuestionType.WHERE, QuestionType.LIST) and _ASKS_CITY.search(asked):
        useful = [s for s in useful if not _only_countries(s)]
    if question.type is QuestionType.WHO:
        useful = _people_with_asked_title(asked, useful)
    if question.type is QuestionType.ORGANISATION:
        useful = _organisations_of_asked_kind(question, useful)
    if question.type is QuestionType.WHAT and _asks_for_naming(question):
        useful = [s for s in useful if isinstance(s, OrganisationSpan) and s.abbreviation]
        useful = [s for s in useful if _naming_match(question, s) > 0]
    return useful


_WHERE_WORDS = re.compile(r"どこ|どちら|どの(?:国|都市|地域|州|場所|町|街)|場所|開催地|所在地")
# A place is where something happened when a locative particle joins it to the verb:
# 「トゥールーズ市内で商談会を開催」「ミュンヘンにある」; を only with a verb of visiting.
_LOCATIVE = re.compile(
    r"^\s*(?:市内|市街|郊外|近郊|中心部|内)?\s*(?:の[^、。]*?)?(?:において|にて|で|に|へ|から)"
)
_VISITING = re.compile(r"^\s*(?:市内|市街|内)?\s*を$")
_PLACE_REACH = 12  # characters from a place's end to the asked verb: 「のBIW本部で行われ」
_KATAKANA_WORD = re.compile(
    rf"(?<![{KATAKANA}{NAME_JOINERS}])[{KATAKANA}][{KATAKANA}{NAME_JOINERS}]+"
)


def _place_governors(question: _Question) -> list[str]:
    """The question's words after its place question word: 「どこで調印式が行われた」 ->
    調印式, 行わ. Without one, its descriptive words."""
    text = normalize(question.text)
    asked = _WHERE_WORDS.search(text)
    tail = text[asked.end() :] if asked else text
    return [t for t in question.terms if not is_entity(t) and t in tail]


def _places_by_the_asked_verb(
    question: _Question, places: list[Span], sentence: _Sentence, text: str
) -> list[Span]:
    """Places joined by a locative particle to what the question asks happened there: a
    sentence often names several (the city that sent a mission, the cities it visited).
    Katakana names no gazetteer lists (「ハノーファー」) count too when so placed."""
    verbs = _place_governors(question)
    if not verbs:
        return places
    sentence_text = text[sentence.start : sentence.end]
    candidates = list(places)
    for match in _KATAKANA_WORD.finditer(sentence_text):
        start, end = sentence.start + match.start(), sentence.start + match.end()
        named = match.group(0) in normalize(question.text)  # the question's own name
        if not named and not any(p.start <= start < p.end for p in places):
            candidates.append(Span(SpanKind.PLACE, match.group(0), start, end))
    placed = [p for p in candidates if _is_place_of(verbs, p, text, sentence.end)]
    return sorted(placed, key=lambda p: p.start) or places


def _is_place_of(verbs: list[str], place: Span, text: str, limit: int) -> bool:
    after = normalize(text[place.end : min(limit, place.end + _PLACE_REACH + 8)])
    for term in verbs:
        for variant in term_variants(term):
            at = after.find(variant)
            if at < 0 or at > _PLACE_REACH or re.search(r"[、。,]", after[:at]):
                continue
            between = after[:at]
            if _LOCATIVE.search(between) or (
                _VISITING.search(between) and variant in term_variants("訪問")
            ):
                return True
    return False


_ORG_HEAD_NOUNS = ("事務所", "大学", "機関", "部署", "課", "企業", "会社", "メーカー")


def _organisations_of_asked_kind(question: _Question, spans: list[Span]) -> list[Span]:
    """「JETROの事務所は？」 wants 「ジュネーブ事務所」: not the organisation the question
    already names (JETRO), and an office if any office is there to give."""
    asked = set(question.terms)
    fresh = [s for s in spans if getattr(s, "abbreviation", "") not in asked]
    text = normalize(question.text)
    if _COMPANY_NAME_CUES.search(text):
        return [s for s in fresh if _is_company(s)]  # 「社名は」: a JETRO office is no company
    heads = [noun for noun in _ORG_HEAD_NOUNS if noun in text]
    of_kind = [s for s in fresh if any(normalize(s.text).endswith(h) for h in heads)]
    return of_kind or fresh


_WH_WORDS = re.compile(r"何を|何が|何に|何の|どんな|どのような|どういった|どういう|どの")


def _governors(question: _Question) -> list[str]:
    """The words an answer attaches to: the question's words after its question word
    (「何を実施」 -> 実施, 「どんな分野で協力」 -> 分野, 協力), or with no question word its last
    two (「中心となる産業分野は」 -> 中心, 産業分野). Names never govern."""
    text = normalize(question.text)
    wh = _WH_WORDS.search(text)
    tail = text[wh.end() :] if wh else text
    words = [t for t in question.terms if not is_entity(t) and t in tail]
    return words if wh else words[-2:]


def _is_governed(question: _Question, span: Span, text: str) -> bool:
    """Whether one of the question's governing words follows the list closely: 「展示会視察、
    現地企業訪問…等を実施」 for 「何を実施」, 「…クリーンテックを中心とした」 for 「中心と
    なる分野」, 「…モータースポーツの4分野で」 for 「どんな分野」."""
    after = normalize(text[span.end : span.end + 40])
    return any(
        0 <= after.find(variant) <= _GOVERNING_REACH
        for term in _governors(question)
        for variant in term_variants(term)
    )


_PHRASE_CHARS = rf"{KANJI}{KATAKANA}A-Za-z0-9・=&\-"
_OBJECT_RE = re.compile(
    rf"((?:[{_PHRASE_CHARS}]+(?:の|的な))*[{_PHRASE_CHARS}]+)\s*(?:を|が|も|は)\s*$"
)
_ASKS_OBJECT = re.compile(r"何(?:を|が)")


def _governed_phrase(question: _Question, sentence: _Sentence, text: str) -> Span | None:
    """「何を設置しましたか」 answered by 「海外連携コーディネーターを設置し」: the noun phrase
    right before を/が/も and the question's verb, with its の/的な modifiers (「両地域の互恵的な
    経済活性を目指します」)."""
    if not _ASKS_OBJECT.search(normalize(question.text)):
        return None
    sentence_text = text[sentence.start : sentence.end]
    for verb in _governors(question)[:1]:
        for variant in term_variants(verb):
            at = sentence_text.find(variant)
            if at <= 0:
                continue
            found = _OBJECT_RE.search(normalize(sentence_text[:at]))
            if found is None or normalize(sentence_text[:at]) != sentence_text[:at]:
                continue
            start = sentence.start + found.start(1)
            return Span(SpanKind.PHRASE, text[start : sentence.start + found.end(1)],
                        start, sentence.start + found.end(1))  # fmt: skip
    return None


_COMPANY_NAME_CUES = re.compile(r"社名|会社名|企業名")
_COMPANY_HEADS = ("企業", "会社", "メーカー", "商社", "工房", "業者", "株式会社")
_COMPANY_FORMS = re.compile(r"\b(?:GmbH|AG|SA|SARL|SAS|JSC|Inc|Ltd|LLC|Co|S\.A|B\.V)\.?$")


def _is_company(span: Span) -> bool:
    """A company by what the text calls it (企業「…」, …株式会社) or by its legal form."""
    return isinstance(span, OrganisationSpan) and (
        span.head in _COMPANY_HEADS or bool(_COMPANY_FORMS.search(span.name))
    )


_ASKED_LONG_UNIT = re.compile(r"何(年|か月|ヶ月|カ月)")
_LONG_UNIT_COUNTERS = {
    "年": ("年間", "年"),
    "か月": ("か月", "ヶ月", "カ月"),
    "ヶ月": ("か月", "ヶ月", "カ月"),
    "カ月": ("か月", "ヶ月", "カ月"),
}


def _asked_duration_unit(asked: str) -> str | None:
    """「有効期間は何年」 asks in years: 年 (None when the question names no unit)."""
    found = _ASKED_LONG_UNIT.search(asked)
    return found.group(1) if found else None


def _is_duration(span: Span, unit: str | None = None) -> bool:
    """「期間」 is answered by a range of dates or a length of time (3年間), never one date.
    Asked in years or months (「何年間」), only a length in that unit answers: a trip's
    「16日から25日」 is no term of validity."""
    if unit is not None:
        return isinstance(span, CountSpan) and span.counter in _LONG_UNIT_COUNTERS[unit]
    return isinstance(span, DateRangeSpan) or (
        isinstance(span, CountSpan) and span.counter in _DURATION_COUNTERS
    )


def _people_with_asked_title(asked: str, people: list[Span]) -> list[Span]:
    """「担当部長の名前は？」 is not answered by the 局長's name: when the question names a
    title, only people holding it qualify."""
    titles = [t for t in TITLES if t != "氏" and t in asked]
    roles = _ROLE_NOUN_RE.findall(asked)
    if not titles and not roles:
        return people
    return [
        p
        for p in people
        if isinstance(p, PersonSpan)
        and any(t in p.title or t == p.role for t in titles)
        or any(r in getattr(p, "title", "") for r in roles)
    ]


# A role asked about by name (「担当者の名前」「責任者は誰」): a person must be called that.
_ROLE_NOUN_RE = re.compile(rf"([{KANJI}]*(?:担当者|責任者|窓口))(?:の(?:名前|氏名)|は誰|はだれ)")


def _is_strong_list(span: EnumerationSpan) -> bool:
    """Joined with や or closed by 等/など: 「A、B」 alone is as often two clauses as a list."""
    return "や" in span.text or normalize(span.text).endswith(("等", "など"))


_WHY_CUES = re.compile(r"ため|ことから|目的|契機|理由|により|によって|背景")
_HOW_CUES = re.compile(r"により|によって|を通じ|ことで|支援|実施|進め|行い|形で")


def _type_factor(question: _Question, spans: list[Span], sentence: _Sentence, text: str) -> float:
    """Whether the sentence holds the kind of answer asked for, and holds it where the
    question's words are: 「１６社との商談」 answers 「何社と商談」, 「７社が参加」 does not."""
    normalized_sentence = sentence.normalized
    if question.type is QuestionType.WHICH_FIELDS:
        # 「どのような…」 is often answered by a plain sentence, best by what its verb governs
        if any(_is_governed(question, s, text) or s.kind is SpanKind.PHRASE for s in spans):
            return 1.0
        return _UNGOVERNED_LIST_FACTOR if spans else _PLAIN_SENTENCE_FACTOR
    if question.type is QuestionType.WHAT and not _asks_for_naming(question):
        return 1.0  # 「契約の内容は？」: the sentence itself is the answer
    if question.type in EXPECTED_SPANS:
        if not spans:
            # words someone said are in 「…」 or they are not there at all
            return (
                _MISSING_QUOTE_FACTOR
                if question.type is QuestionType.QUOTE
                else _MISSING_SPAN_FACTOR
            )
        local = max(_local_share(question, span, sentence, text) for span in spans)
        floor = _UNPLACED_SPAN_FLOOR.get(question.type, 0.7)
        return floor + (1 - floor) * local
    if question.type is QuestionType.WHY:
        return 1.0 if _WHY_CUES.search(normalized_sentence) else 0.6
    if question.type is QuestionType.HOW:
        return 1.0 if _HOW_CUES.search(normalized_sentence) else 0.85
    return 1.0


def _local_share(question: _Question, span: Span, sentence: _Sentence, text: str) -> float:
    """Weighted share of the question's descriptive words (not its names, which usually open
    the sentence as its topic) found within a clause's reach of ``span``."""
    words = [t for t in question.terms if not is_entity(t)]
    if not words:
        return 1.0
    start = max(sentence.start, span.start - _SPAN_WINDOW)
    end = min(sentence.end, span.end + _SPAN_WINDOW)
    window = normalize(text[start:end])
    grams = _bigrams(window)
    total = sum(question.weights[t] for t in words) or 1.0
    return sum(question.weights[t] * term_match(t, window, grams) for t in words) / total


def _score_all(
    question: _Question, passages: Sequence[Passage], sentences: list[_Sentence]
) -> list[_Scored]:
    kinds = EXPECTED_SPANS.get(question.type, ())
    if question.type is QuestionType.LIST and _WHERE_CUES.search(question.text):
        kinds = (*kinds, SpanKind.PLACE)  # 「訪問した都市は」 may have one answer
    passage_texts = [normalize(p.chunk.text) for p in passages]
    contexts = _contexts(passages)
    passage_spans = [_passage_spans(p.chunk.text, kinds) for p in passages]
    scored = []
    for sentence in sentences:
        index = sentence.passage_index
        text = passages[index].chunk.text
        coverage = _coverage(question, sentence, passage_texts[index], contexts[index].passage)
        spans = _useful_spans(question, _within(passage_spans[index], sentence), sentence, text)
        type_factor = _type_factor(question, spans, sentence, text)
        rank_prior = 1.0 / (1.0 + 0.25 * sentence.passage_index)
        entity_factor = _entity_factor(question, sentence, contexts[index])
        scored.append(_Scored(sentence, coverage, type_factor, rank_prior, spans, entity_factor))
    return scored


def _ranking_key(item: _Scored) -> tuple[float, float]:
    return (item.support, -item.sentence.start)


# --------------------------------------------------------------------------------------
# Choosing the span and phrasing the answer
# --------------------------------------------------------------------------------------


def _term_positions(question: _Question, normalized_sentence: str) -> list[tuple[int, int, float]]:
    positions = []
    for term in question.terms:
        for match in re.finditer(re.escape(term), normalized_sentence):
            positions.append((match.start(), match.end(), question.weights[term]))
    return positions


def _closest_span(question: _Question, best: _Scored, chunk_text: str) -> Span | None:
    """The span nearest (by weighted gap) to where the question's terms occur in the sentence.
    Positions are compared in the sentence's own characters, which is what a reader sees."""
    if not best.spans:
        return None
    offset = best.sentence.start
    sentence_text = chunk_text[best.sentence.start : best.sentence.end]
    positions = _term_positions(question, normalize(sentence_text))
    candidates = _prefer_ranges(best.spans)

    total_weight = sum(w for _, _, w in positions) or 1.0
    date_starts = sorted(
        s.start - offset for s in candidates if isinstance(s, DateSpan | DateRangeSpan)
    )

    def cost(span: Span) -> tuple[float, float]:
        if not positions:
            return 0.0, span.start - offset
        s, e = span.start - offset, span.end - offset
        gaps = [w * max(0, s - te, ts - e) for ts, te, w in positions]
        nearness = sum(gaps) / total_weight + _enumeration_bonus(span)
        if isinstance(span, DateSpan | DateRangeSpan):
            return -_clause_weight(s, date_starts, len(sentence_text), positions), nearness
        return 0.0, nearness

    return min(candidates, key=cost)


def _clause_weight(
    start: int,
    date_starts: list[int],
    sentence_length: int,
    positions: list[tuple[int, int, float]],
) -> float:
    """How much of the question's terms sit in the clause a date introduces: in Japanese the
    date comes first (「20日、津市とARDとの間で…締結し、翌21日には津市とOPIと…」), so a date
    owns the text up to the next date."""
    following = [d for d in date_starts if d > start]
    end = following[0] if following else sentence_length
    seen: dict[tuple[int, int], float] = {}
    for term_start, term_end, weight in positions:
        if start <= term_start < end:
            seen[(term_start, term_end)] = weight
    return sum(seen.values())


def _prefer_ranges(spans: list[Span]) -> list[Span]:
    """A date inside a range (「16日から25日」) is answered by the whole range."""
    ranges = [s for s in spans if isinstance(s, DateRangeSpan)]
    return [
        s
        for s in spans
        if not any(r.start <= s.start and s.end <= r.end and r is not s for r in ranges)
    ]


def _enumeration_bonus(span: Span) -> float:
    """Lists joined with や or closed by 等 are real enumerations more often than 「A、B」."""
    if not isinstance(span, EnumerationSpan):
        return 0.0
    return -5.0 * (len(span.items) - 1) - (20.0 if _is_strong_list(span) else 0.0)


def _phrase(question: _Question, span: Span) -> str:
    """A short natural Japanese answer stating the span."""
    if isinstance(span, DateSpan | DateRangeSpan):
        return _date_phrase(question, span)
    if isinstance(span, QuoteSpan):
        return f"{span.display()}と述べています。"
    if isinstance(span, EnumerationSpan):
        closed = normalize(span.text).endswith(("等", "など"))
        return f"{span.display()}{'など' if closed else ''}です。"
    if isinstance(span, OrganisationSpan) and "何の略" in normalize(question.text):
        return f"{span.display()}の略です。"
    return f"{span.display()}です。"


def _statement_core(phrase: str) -> str:
    """What a phrase states, without its copula: 「７社です。」 -> 「７社」."""
    for ending in ("と述べています。", "の略です。", "です。"):
        if phrase.endswith(ending):
            return phrase[: -len(ending)]
    return phrase


_WEEKDAYS = "月火水木金土日"
_END_CUES = re.compile(r"終わ|終了|最終|まで|帰国")
_START_CUES = re.compile(r"始ま|開始|出発|から|初日")


def _date_phrase(question: _Question, span: DateSpan | DateRangeSpan) -> str:
    """The date, or the part of it asked for: 「何曜日から始まり」 -> the first day's weekday,
    「終わったのは何日」 -> the last day of a range."""
    asked = normalize(question.text)
    value = span.value if isinstance(span, DateSpan) else None
    if isinstance(span, DateRangeSpan):
        wants_end = _END_CUES.search(asked) and not _START_CUES.search(asked)
        value = span.last if wants_end else span.first
        if _END_CUES.search(asked) or _START_CUES.search(asked) or "何曜" in asked:
            shown = value.display()
        else:
            return f"{span.display()}です。"
    else:
        shown = span.display()
    day = value.as_date() if value is not None else None
    if "何曜" in asked and day is not None:
        return f"{_WEEKDAYS[day.weekday()]}曜日（{shown}）です。"
    return f"{shown}です。"


# Ways of asking what an abbreviation stands for or what a body is called in full.
_NAMING_CUES = re.compile(
    r"略|名称|日本語|アルファベット|正式|フルネーム|頭文字|英語|原語|綴り|スペル|何を指|何のこと"
)


def _organisation_answer(
    question: _Question, passages: Sequence[Passage]
) -> tuple[OrganisationSpan, int] | None:
    """「ARDは何の略？」 / 「パリ地域経済開発局の略称は？」: the organisation, spelled out with
    its abbreviation somewhere in the passages, that the question names; and its passage."""
    if not _asks_for_naming(question):
        return None
    best: tuple[float, OrganisationSpan, int] | None = None
    for index, passage in enumerate(passages):
        for org in find_spans(passage.chunk.text, SpanKind.ORGANISATION):
            if not isinstance(org, OrganisationSpan) or not org.abbreviation:
                continue
            match = _naming_match(question, org)
            if match > 0 and (best is None or match > best[0]):
                best = (match, org, index)
    return (best[1], best[2]) if best else None


def _asks_for_naming(question: _Question) -> bool:
    """「ARDの正式名称は？」「ARDは何の略？」「OPIとは？」: answered only by a name spelled out
    with its abbreviation. 「ARDの局長に共通することは何」 asks about something else."""
    text = normalize(question.text)
    if _NAMING_CUES.search(text):
        return True
    return any(
        re.search(rf"{re.escape(t)}(?:とは|って|は何|は[?？]?$)", text)
        for t in question.terms
        if _is_abbreviation(t)
    )


def _is_abbreviation(term: str) -> bool:
    return re.fullmatch(r"[A-Za-z][A-Za-z0-9&.\-]{1,15}", term) is not None


def _naming_match(question: _Question, org: OrganisationSpan) -> float:
    """1 if the question names the abbreviation; else how much of the Japanese name it names."""
    if any(t.upper() == org.abbreviation.upper() for t in question.terms if _is_abbreviation(t)):
        return 1.0
    name_grams = _bigrams(normalize(org.name))
    asked = _bigrams(normalize(question.text))
    overlap = len(name_grams & asked) / len(name_grams) if name_grams else 0.0
    return 0.9 * overlap if overlap >= 0.3 else 0.0


def _only_countries(span: Span) -> bool:
    """「フランス、スイス」 or 「ドイツ」: no answer to 「どの都市」."""
    items = span.items if isinstance(span, EnumerationSpan) else (normalize(span.text),)
    return set(items) <= COUNTRIES


def _places_as_list(question: _Question, best: _Scored, chunk_text: str) -> EnumerationSpan | None:
    """「どこを訪問」 answered by a sentence naming several countries without a list marker."""
    in_sentence = _within(_passage_spans(chunk_text, (SpanKind.PLACE,)), best.sentence)
    places = [p for p in in_sentence if normalize(p.text) in GAZETTEER]
    if _ASKS_CITY.search(normalize(question.text)):
        places = [p for p in places if not _only_countries(p)]
    names = list(dict.fromkeys(normalize(p.text) for p in places))
    if len(names) < 2:
        return None
    return EnumerationSpan(SpanKind.ENUMERATION, chunk_text[places[0].start : places[-1].end],
                           places[0].start, places[-1].end, tuple(names))  # fmt: skip


# --------------------------------------------------------------------------------------
# Citations
# --------------------------------------------------------------------------------------


def citation_for(passage: Passage, start: int, end: int, marker: int) -> Citation:
    """A citation quoting ``passage.chunk.text[start:end]`` exactly."""
    chunk = passage.chunk
    return Citation(
        marker=marker,
        source=chunk.source,
        title=chunk.title,
        section=chunk.section,
        page=chunk.page,
        chunk_id=chunk.chunk_id,
        text=chunk.text[start:end],
        quote_start=start,
        quote_end=end,
        chunk_text=chunk.text,
    )


def quote_lines(citations: Sequence[Citation]) -> str:
    return "\n".join(f"[{c.marker}] 「{c.text}」" for c in citations)


def _related(passages: Sequence[Passage], ranked: list[_Scored]) -> list[Citation]:
    """The best sentence of each of the first few distinct passages, in retrieval order."""
    best_by_passage: dict[int, _Scored] = {}
    for item in ranked:
        best_by_passage.setdefault(item.sentence.passage_index, item)
    related = []
    for index in sorted(best_by_passage)[:MAX_RELATED]:
        sentence = best_by_passage[index].sentence
        related.append(
            citation_for(passages[index], sentence.start, sentence.end, len(related) + 1)
        )
    return related


# --------------------------------------------------------------------------------------
# The answerer
# --------------------------------------------------------------------------------------


# Questions asking for one kind of thing (a date, a count, a name, a place, words said):
# answered by a quoted sentence only when no span of that kind was found.
SPAN_QUESTION_TYPES = frozenset(
    {
        QuestionType.WHEN,
        QuestionType.COUNT,
        QuestionType.WHO,
        QuestionType.WHERE,
        QuestionType.DURATION,
        QuestionType.ORGANISATION,
        QuestionType.LANGUAGE,
        QuestionType.QUOTE,
        QuestionType.LIST,
    }
)


def answer_extractively(
    question: str,
    passages: Sequence[Passage],
    *,
    min_support: float = DEFAULT_MIN_SUPPORT,
    min_quote_support: float | None = None,
    max_sentences: int = 2,
) -> Answer:
    """Answer ``question`` from ``passages`` (best first) with exact quotes, or abstain.

    ``min_support`` is the support any answer needs. ``min_quote_support`` (default: the
    same) is what a question asking for a date, count, name or place needs when the reader
    found no span of that kind and could only quote a sentence: weaker evidence, so the
    calibration gives it its own threshold.
    """
    parsed = _parse_question(question, passages)
    sentences = _sentences(passages)
    parsed.weights = _term_weights(parsed.terms, sentences)
    ranked = sorted(_score_all(parsed, passages, sentences), key=_ranking_key, reverse=True)
    if not ranked or ranked[0].support < min_support:
        return _abstain(parsed, passages, ranked)
    best = ranked[0]
    answered = _answer_span(parsed, passages, best)
    if (
        answered is None
        and parsed.type in SPAN_QUESTION_TYPES
        and best.support < max(min_support, min_quote_support or 0.0)
    ):
        return _abstain(parsed, passages, ranked)
    stated = ""
    if answered is not None:
        span, sentence = answered
        phrase = _phrase(parsed, span)
        stated = _statement_core(phrase)
        lead = f"{phrase}[1]"
        citations = [
            citation_for(passages[sentence.passage_index], sentence.start, sentence.end, 1)
        ]
    else:
        first = citation_for(
            passages[best.sentence.passage_index], best.sentence.start, best.sentence.end, 1
        )
        citations = [first, *_supporting(passages, ranked, best, max_sentences - 1)]
        lead = _SENTENCE_INTRO
    return Answer(
        answer=f"{lead}\n{quote_lines(citations)}",
        abstained=False,
        citations=citations,
        question_type=str(parsed.type),
        retrieved=list(passages),
        support=round(best.support, 4),
        stated=stated,
    )


def passage_support(question: str, passages: Sequence[Passage]) -> list[float]:
    """How well each passage's best sentence answers ``question``: the score the answerer
    ranks sentences by, so a retriever can put the passage that answers first."""
    parsed = _parse_question(question, passages)
    sentences = _sentences(passages)
    parsed.weights = _term_weights(parsed.terms, sentences)
    best = [0.0] * len(passages)
    for scored in _score_all(parsed, passages, sentences):
        index = scored.sentence.passage_index
        best[index] = max(best[index], scored.support)
    return best


def _parse_question(question: str, passages: Sequence[Passage]) -> _Question:
    normalized = normalize(question)
    money = "円" if _MONEY_IN_QUESTION.search(normalized) else None
    return _Question(
        text=question,
        type=classify(question),
        terms=key_terms(question),
        weights={},
        counter=asked_counter(normalized) or money,
    )


def _sentences(passages: Sequence[Passage]) -> list[_Sentence]:
    out = []
    for index, passage in enumerate(passages):
        text = passage.chunk.text
        for start, end in split_sentences(text):
            normalized = normalize(text[start:end])
            out.append(_Sentence(index, start, end, normalized, frozenset(_bigrams(normalized))))
    return out


def _answer_span(
    question: _Question, passages: Sequence[Passage], best: _Scored
) -> tuple[Span, _Sentence] | None:
    """The span that answers the question and the sentence to quote for it."""
    chunk_text = passages[best.sentence.passage_index].chunk.text
    if question.type is QuestionType.WHAT:
        found = _organisation_answer(question, passages)
        if found is None:
            return None  # "what is X" without an abbreviation: quote the sentence
        org, index = found
        return org, _sentence_around(passages[index].chunk.text, index, org)
    if question.type is QuestionType.LIST and _WHERE_CUES.search(question.text):
        places = [s for s in best.spans if isinstance(s, EnumerationSpan) and _all_places(s)]
        single = [s for s in best.spans if s.kind is SpanKind.PLACE]
        best = replace(best, spans=places)
        if not places:
            found = _places_as_list(question, best, chunk_text)
            if found is None and single:
                best = replace(best, spans=single)  # one place is the whole answer
            else:
                return (found, best.sentence) if found is not None else None
    span = _closest_span(question, best, chunk_text)
    if span is None or _is_far_from_the_question(question, span, best.sentence, chunk_text):
        return None
    return span, best.sentence


# Span kinds that stand alone as an answer only beside what the question asks about: a count
# in a long sentence often belongs to another clause (「７社が参加」 for 「商談件数」). Dates
# are left out: a date opens the clause it governs, however long (see _clause_weight).
_PLACED_KINDS = frozenset(
    {SpanKind.COUNT, SpanKind.PERSON, SpanKind.PLACE, SpanKind.ORGANISATION, SpanKind.LANGUAGE}
)
_FAR_SPAN_SHARE = 0.25


def _is_far_from_the_question(
    question: _Question, span: Span, sentence: _Sentence, text: str
) -> bool:
    """Whether too few of the question's descriptive words sit within a clause of ``span``
    to state it as the answer; the whole sentence is then quoted instead (it still holds
    whatever answer the report gives, and staff can read it)."""
    if span.kind not in _PLACED_KINDS:
        return False
    return _local_share(question, span, sentence, text) < _FAR_SPAN_SHARE


_ASKS_CITY = re.compile(r"都市|どの町|どの街")
_WHERE_CUES = re.compile(r"どこ|どの国|どの都市|どの地域|国は|都市は")


def _all_places(span: EnumerationSpan) -> bool:
    return all(item in GAZETTEER or item.endswith(PLACE_SUFFIXES) for item in span.items)


def _sentence_around(text: str, passage_index: int, span: Span) -> _Sentence:
    for start, end in split_sentences(text):
        if start <= span.start < end:
            normalized = normalize(text[start:end])
            return _Sentence(passage_index, start, end, normalized, frozenset(_bigrams(normalized)))
    normalized = normalize(text[span.start : span.end])
    return _Sentence(passage_index, span.start, span.end, normalized, frozenset())


def _supporting(
    passages: Sequence[Passage], ranked: list[_Scored], best: _Scored, extra: int
) -> list[Citation]:
    """Up to ``extra`` more sentences nearly as good as the best (why/how answers often span
    two sentences), each quoted once."""
    chosen: list[Citation] = []
    for item in ranked[1:]:
        if len(chosen) >= extra or item.support < 0.8 * best.support:
            break
        sentence = item.sentence
        passage = passages[sentence.passage_index]
        text = passage.chunk.text[sentence.start : sentence.end]
        if (
            text
            == passages[best.sentence.passage_index].chunk.text[
                best.sentence.start : best.sentence.end
            ]
        ):
            continue  # the same sentence again, from an overlapping chunk
        chosen.append(citation_for(passage, sentence.start, sentence.end, len(chosen) + 2))
    return chosen


def _abstain(question: _Question, passages: Sequence[Passage], ranked: list[_Scored]) -> Answer:
    return Answer(
        answer=ABSTENTION,
        abstained=True,
        related=_related(passages, ranked),
        question_type=str(question.type),
        retrieved=list(passages),
        support=round(ranked[0].support, 4) if ranked else 0.0,
    )
