"""Is a generated answer supported by the passages it cites?

A small model states numbers, dates and names that are not in its context, fluently and
with a citation next to them. Before a generated answer reaches a user, every checkable
claim in it must be found in the passages it cites:

- every cited ``[n]`` is one of the numbered passages the model was shown;
- every number (counts, days, years), after NFKC, occurs in a cited passage as a number;
  a year may be written in either calendar (平成24年 ↔ 2012年), a count in kanji (七社 ↔ 7社);
- every name-like word occurs in a cited passage: katakana runs of three or more
  (ジュネーブ), Latin words and acronyms (OPI, Paris), and kanji/katakana names ending in
  an organisation, place or title word (パリ地域経済開発局, 津市, 前葉市長);
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
    KANJI,
    KATAKANA,
    era_to_western,
    kanji_number,
    normalize,
)

MARKER_RE = re.compile(r"\[(\d+)\]")
_ERA_ALT = "|".join(ERA_STARTS)
_ERA_YEAR_RE = re.compile(rf"({_ERA_ALT})\s*(\d{{1,2}}|元)\s*年")
_NUMBER_RE = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")
_KANJI_NUMERALS = "〇一二三四五六七八九十百千万"
# Kanji numerals count as numbers only before a counter: 一 also starts words (一緒, 統一).
_KANJI_COUNT_RE = re.compile(
    rf"(?<![{KANJI}])([{_KANJI_NUMERALS}]+)(?=\s*(?:{'|'.join(map(re.escape, COUNTERS))}))"
)
_KANJI_NUMERAL_RUN_RE = re.compile(rf"[{_KANJI_NUMERALS}]+")
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
    problems = [f"[{n}] は提示された資料にありません" for n in cited if n not in passages_by_marker]
    sources = normalize("\n".join(passages_by_marker[n] for n in cited if n in passages_by_marker))
    claims = normalize(MARKER_RE.sub(" ", answer_text))
    problems += _unsupported_numbers(claims, sources)
    problems += _unsupported_names(claims, sources)
    return problems


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


# -- numbers ----------------------------------------------------------------------------


def _unsupported_numbers(claims: str, sources: str) -> list[str]:
    known = numbers_in(sources)
    problems = []
    for era, year in _era_years(claims):
        if era_to_western(era, year) not in known:
            problems.append(f"年「{era}{year}年」が引用元にありません")
    without_eras = _ERA_YEAR_RE.sub(" ", claims)
    for token in _NUMBER_RE.findall(without_eras):
        if _number_value(token) not in known:
            problems.append(f"数値「{token}」が引用元にありません")
    for match in _KANJI_COUNT_RE.finditer(without_eras):
        if kanji_number(match.group(1)) not in known:
            problems.append(f"数値「{match.group(1)}」が引用元にありません")
    return problems


def numbers_in(text: str) -> set[int | str]:
    """Every number ``text`` states: digit runs, kanji numerals, and 和暦 years as 西暦.

    Values are ints (so ２１, 21 and 021 are the same number); decimals stay strings.
    """
    values: set[int | str] = set()
    for era, year in _era_years(text):
        values.add(era_to_western(era, year))
    values.update(_number_value(token) for token in _NUMBER_RE.findall(text))
    values.update(kanji_number(run) for run in _KANJI_NUMERAL_RUN_RE.findall(text))
    return values


def _era_years(text: str) -> Iterable[tuple[str, int]]:
    for match in _ERA_YEAR_RE.finditer(text):
        era, year = match.groups()
        yield era, 1 if year == "元" else int(year)


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
