"""Is a generated answer supported by the passages it cites?

A small model states numbers, dates and names that are not in its context, fluently and
with a citation next to them. Before a generated answer reaches a user, every checkable
claim in it must be found in the passages it cites:

- every cited ``[n]`` is one of the numbered passages the model was shown;
- every number (counts, days, years), after NFKC, occurs in a cited passage with the same
  unit (7社 needs 7社, not just a 7); a year may be written in either calendar
  (平成24年 ↔ 2012年), a count in kanji (七社 ↔ 7社);
- every name-like word occurs in a cited passage: katakana runs of three or more
  (ジュネーブ), Latin words and acronyms (OPI, Paris), and kanji/katakana names ending in
  an organisation, place or title word (パリ地域経済開発局, 津市, 前葉市長);
- words in quotation marks (「…」, 『…』) occur verbatim in a cited passage: a quotation
  claims to be the report's own words, and small models splice quotes from two sentences;
- the answer cites at least one passage, unless it is the abstention sentence.

The check is deliberately one-sided: it cannot prove an answer right, but everything it
rejects contains something the sources do not say. Ordinary words are not checked, so a
correct paraphrase passes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from assistant.records import ABSTENTION
from assistant.spans import (
    COUNTERS,
    ERA_STARTS,
    era_to_western,
    kanji_number,
    normalize,
)
from ingest.japanese import KANJI, KATAKANA

MARKER_RE = re.compile(r"\[(\d+)\]")
_ERA_ALT = "|".join(ERA_STARTS)
# Calendar units and the report counters. Not 時/分: 十分 (enough) would read as ten minutes.
_UNITS = sorted({*COUNTERS, "年度", "年", "月", "日", "週間"}, key=len, reverse=True)
_UNIT_VARIANTS = {
    "年度": "年", "カ国": "か国", "ヶ国": "か国", "ヵ国": "か国", "ケ国": "か国",
    "カ所": "か所", "ヶ所": "か所", "箇所": "か所", "ヶ月": "か月", "カ月": "か月", "ヵ月": "か月",
}  # fmt: skip
_QUANTITY_RE = re.compile(
    rf"(?P<era>{_ERA_ALT})\s*(?P<ey>\d{{1,2}}|元)\s*年度?"
    rf"|(?:(?P<digits>\d+(?:,\d{{3}})*(?:\.\d+)?)|(?<![{KANJI}])(?P<kanji>[〇一二三四五六七八九十百千万]+))"
    rf"(?:\s*(?P<unit>{'|'.join(map(re.escape, _UNITS))}))?"
)
_KATAKANA_RUN_RE = re.compile(rf"[{KATAKANA}]{{3,}}")
_LATIN_WORD_RE = re.compile(r"[A-Za-zÀ-ÖØ-öø-ɏ][A-Za-zÀ-ÖØ-öø-ɏ'’\-]*[A-Za-zÀ-ÖØ-öø-ɏ]")
# Names end in words like these; a run of kanji/katakana ending in one is checked whole, so
# that an invented ロンドン州 fails even though ロンドン and 州 each occur somewhere.
_NAME_ENDINGS = (
    "市長", "知事", "町長", "村長", "社長", "会長", "理事長", "局長", "所長", "大使", "総領事",
    "領事", "氏", "市", "州", "県", "府", "町", "村", "区", "国", "省", "庁", "局", "課",
    "機構", "協会", "機関", "公社", "財団", "銀行", "大学", "会議所", "商工会", "組合",
    "連盟", "委員会", "事務所", "センター", "公団", "研究所",
)  # fmt: skip
_NAME_RUN_RE = re.compile(rf"[{KANJI}{KATAKANA}・]+")
# 同市, 各国, 両氏, 本課, 全国, 都市, 両都市: a stem made only of these characters before a
# name ending makes an ordinary noun or a pointer back to a name already checked.
_GENERIC_STEMS = frozenset("同各両本当他全諸外貴都")


def check_grounding(answer_text: str, passages_by_marker: Mapping[int, str]) -> list[str]:
    """Problems that make ``answer_text`` unsupported by the passages it cites; empty = grounded.

    ``passages_by_marker`` maps each ``n`` the model was shown as ``[n]`` to that passage's
    text.
    """
    if is_abstention(answer_text):
        return []
    cited = cited_markers(answer_text)
    if not cited:
        return ["回答が資料を一つも引用していません"]
    if not _has_content(answer_text):
        return ["回答に引用番号しかありません"]
    problems = [f"[{n}] は提示された資料にありません" for n in cited if n not in passages_by_marker]
    sources = normalize("\n".join(passages_by_marker[n] for n in cited if n in passages_by_marker))
    claims = normalize(MARKER_RE.sub(" ", answer_text))
    problems += _unsupported_numbers(claims, sources)
    problems += _unsupported_names(claims, sources)
    problems += _unsupported_quotations(
        claims, [passages_by_marker[n] for n in cited if n in passages_by_marker]
    )
    return problems


def _has_content(answer_text: str) -> bool:
    """False for an answer that is only markers and punctuation (small models echo "[1]")."""
    return any(ch.isalnum() for ch in MARKER_RE.sub("", normalize(answer_text)))


def is_abstention(answer_text: str) -> bool:
    """True for the abstention sentence alone (markers and whitespace aside)."""
    rest = MARKER_RE.sub("", answer_text).strip()
    return rest == ABSTENTION or rest == ABSTENTION.rstrip("。")


def cited_markers(answer_text: str) -> list[int]:
    """The distinct ``n`` of every ``[n]`` in the answer (also full-width ［１］), in order."""
    seen: dict[int, None] = {}
    for match in MARKER_RE.finditer(normalize(answer_text)):
        seen.setdefault(int(match.group(1)), None)
    return list(seen)


# -- quotations ---------------------------------------------------------------------------

_QUOTATION_RE = re.compile(r"「([^「」]+)」|『([^『』]+)』")


def quotations_in(text: str) -> list[str]:
    """The text inside each pair of quotation marks of ``text``."""
    return [a or b for a, b in _QUOTATION_RE.findall(text)]


def _unsupported_quotations(claims: str, cited_texts: Iterable[str]) -> list[str]:
    compact_sources = [_compact(normalize(text)) for text in cited_texts]
    return [
        f"引用「{quoted}」が引用元にそのまま書かれていません"
        for quoted in quotations_in(claims)
        if not any(_compact(quoted) in source for source in compact_sources)
    ]


def _compact(text: str) -> str:
    """Without whitespace (PDF text spaces out 平成 24 年) or closing punctuation."""
    return re.sub(r"\s+", "", text).rstrip("。．.")


# -- numbers ----------------------------------------------------------------------------

Quantity = tuple[int | str, str]  # (value, unit); unit "" for a bare number


def _unsupported_numbers(claims: str, sources: str) -> list[str]:
    """A number with a unit (7社, 20日, 2012年) must occur with that unit: a 7 elsewhere in the
    passage does not support 1社 → 7社 confusions the other way round. A bare number only
    needs its value somewhere."""
    known = quantities_in(sources)
    known_values = {value for value, _ in known}
    problems = []
    for (value, unit), written in _quantities_with_text(claims):
        supported = (value, unit) in known if unit else value in known_values
        if not supported:
            problems.append(f"数値「{written}」が引用元にありません")
    return problems


def quantities_in(text: str) -> set[Quantity]:
    """Every number NFKC ``text`` states, with its unit: digit runs, kanji numerals before a
    counter, 和暦 years as 西暦 (平成24年 → (2012, "年")). ２１ and 21 are the same number."""
    return {quantity for quantity, _ in _quantities_with_text(text)}


def _quantities_with_text(text: str) -> Iterable[tuple[Quantity, str]]:
    for match in _QUANTITY_RE.finditer(text):
        era, era_year, digits, kanji, unit = match.group("era", "ey", "digits", "kanji", "unit")
        if era:
            year = 1 if era_year == "元" else int(era_year)
            yield (era_to_western(era, year), "年"), match.group(0)
        elif digits:
            yield (_number_value(digits), _canonical_unit(unit)), match.group(0)
        elif unit:  # kanji numerals count only before a unit: 一 also starts words (一緒)
            yield (kanji_number(kanji), _canonical_unit(unit)), match.group(0)


def _canonical_unit(unit: str | None) -> str:
    if not unit:
        return ""
    return _UNIT_VARIANTS.get(unit, unit)


def _number_value(token: str) -> int | str:
    plain = token.replace(",", "")
    return plain.rstrip("0").rstrip(".") if "." in plain else int(plain)


# -- names ------------------------------------------------------------------------------


def _unsupported_names(claims: str, sources: str) -> list[str]:
    folded_sources = sources.casefold()
    problems = []
    for name in sorted(set(names_in(claims)), key=claims.find):
        if name.casefold() not in folded_sources:
            problems.append(f"名称「{name}」が引用元にありません")
    return problems


def names_in(text: str) -> list[str]:
    """Name-like words of NFKC ``text``: katakana runs of 3+, Latin words of 2+ letters,
    kanji/katakana runs ending in an organisation, place or title word."""
    names = _KATAKANA_RUN_RE.findall(text)
    names += _LATIN_WORD_RE.findall(text)
    for run in _NAME_RUN_RE.findall(text):
        name = run.strip("・")
        ending = next((e for e in _NAME_ENDINGS if name.endswith(e)), None)
        stem = name[: -len(ending)] if ending else ""
        if stem and not set(stem) <= _GENERIC_STEMS:
            names.append(name)
    return names


# -- agreement with the extractive reader -------------------------------------------------

_LIST_SEPARATORS = re.compile(r"(?:[\s、,，・/／と]|及び|および)+")
# Between the items of a list answer; 「・」 and 「と」 also join words inside one item
# (医療・福祉機器), so they do not split.
_ITEM_SEPARATORS = re.compile(r"[、,，]|及び|および")
_ITEM_TAIL = re.compile(r"(?:など|等|ほか)$")


def check_agreement(
    answer_text: str,
    stated: str,
    reader_sentence: str,
    passages_by_marker: Mapping[int, str],
) -> list[str]:
    """Problems that make a grounded ``answer_text`` disagree with the extractive reader.

    A small model's commonest error is a grounded wrong answer: a date or name that does
    occur in the cited passage but answers another question. So a generated answer must state
    what the reader stated (``stated``: every number and name of it, or the span itself when
    it has none), and an answer quoting sentences must cite the passage holding the reader's
    best sentence (``reader_sentence``). Empty = agrees.
    """
    claims = normalize(MARKER_RE.sub(" ", answer_text))
    if stated:
        return _missing_statement(claims, normalize(stated))
    cited = [passages_by_marker.get(n, "") for n in cited_markers(answer_text)]
    needle = normalize(reader_sentence)
    if needle and not any(needle in normalize(text) for text in cited):
        return ["回答が抜粋の根拠の文を含む資料を引用していません"]
    return []


_WEEKDAY_RE = re.compile(r"[月火水木金土日]曜")


def _missing_statement(claims: str, stated: str) -> list[str]:
    """What of ``stated`` the claims leave out, item by item: a list answer
    (展示会視察、現地企業訪問、ビジネスマッチングなど) agrees only if every item is there."""
    quoted = _QUOTATION_RE.fullmatch(stated.strip())
    if quoted:  # the words someone said: they are the answer, word for word
        words = quoted.group(1) or quoted.group(2)
        return (
            []
            if _compact(words) in _compact(claims)
            else [f"抜粋の答え「{words}」が回答にありません"]
        )
    missing = []
    for item in _ITEM_SEPARATORS.split(stated):
        item = _ITEM_TAIL.sub("", item.strip())
        if item:
            missing += _missing_item(claims, item)
    return [f"抜粋の答え「{item}」が回答にありません" for item in missing]


def _missing_item(claims: str, item: str) -> list[str]:
    """The numbers, names and weekdays of ``item`` the claims lack; an item with none of
    them must occur whole (separators aside)."""
    numbers = quantities_in(item)
    names = {name.casefold() for name in names_in(item)}
    weekdays = set(_WEEKDAY_RE.findall(item))
    if numbers or names or weekdays:
        missing = [f"{value}{unit}" for value, unit in numbers - quantities_in(claims)]
        missing += [name for name in sorted(names) if name not in claims.casefold()]
        return missing + [day for day in sorted(weekdays) if day not in claims]
    compact = _LIST_SEPARATORS.sub("", item)
    return [] if compact in _LIST_SEPARATORS.sub("", claims) else [item]
