"""Typed spans in Japanese report text: dates, counts, people, organisations, places, lists.

Matching runs on NFKC-normalised text (full-width digits, brackets and colons become
half-width), but every span records offsets into the ORIGINAL text, so a caller can quote
exactly what the report says while comparing normalised forms.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum

from assistant.vocabulary import VOCABULARY
from ingest.japanese import HIRAGANA, KANJI, KATAKANA

NAME_JOINERS = "・="  # after NFKC: ・ (U+30FB) and = (from ＝ or ゠ written as =)
_S = r"[ \t]*"  # repaired text may still have spaces around digits ("平成 24 年")

ERA_STARTS: dict[str, tuple[int, int, int]] = {
    # era name -> first day (western). Offsets: era year n = western year - (start year - 1).
    "令和": (2019, 5, 1),
    "平成": (1989, 1, 8),
    "昭和": (1926, 12, 25),
    "大正": (1912, 7, 30),
    "明治": (1868, 1, 25),
}


class SpanKind(StrEnum):
    DATE = "date"
    DATE_RANGE = "date_range"
    COUNT = "count"
    PERSON = "person"
    ORGANISATION = "organisation"
    PLACE = "place"
    ENUMERATION = "enumeration"
    QUOTE = "quote"
    LANGUAGE = "language"  # 日本語, フランス語
    PHRASE = (
        "phrase"  # the noun phrase a question's verb governs: 「海外連携コーディネーター」を設置
    )


# --------------------------------------------------------------------------------------
# Normalisation with an offset map
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Normalized:
    """NFKC form of ``original``; ``starts[i]``/``ends[i]`` give the original character range
    that produced normalised character ``i`` (a character may expand to several)."""

    original: str
    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        if start >= end:
            position = self.starts[start] if start < len(self.starts) else len(self.original)
            return position, position
        return self.starts[start], self.ends[end - 1]


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def normalize_with_offsets(text: str) -> Normalized:
    """NFKC character by character so that every normalised character maps back."""
    parts: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for index, char in enumerate(text):
        folded = unicodedata.normalize("NFKC", char)
        parts.append(folded)
        starts.extend([index] * len(folded))
        ends.extend([index + 1] * len(folded))
    return Normalized(text, "".join(parts), tuple(starts), tuple(ends))


# --------------------------------------------------------------------------------------
# Span records
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    """A typed piece of text; ``text == original[start:end]`` of the text it was found in."""

    kind: SpanKind
    text: str
    start: int
    end: int

    def display(self) -> str:
        return normalize(self.text).strip()


@dataclass(frozen=True)
class DateValue:
    """A calendar date, possibly partial (year only, month and day without a year)."""

    year: int | None
    month: int | None = None
    day: int | None = None

    def display(self) -> str:
        """「2012年（平成24年）11月21日」: both calendars, as staff write them."""
        out = ""
        if self.year is not None:
            out = f"{self.year}年"
            era = western_to_era(self.year, self.month, self.day)
            if era is not None:
                name, number = era
                out += f"（{name}{'元' if number == 1 else number}年）"
        if self.month is not None:
            out += f"{self.month}月"
        if self.day is not None:
            out += f"{self.day}日"
        return out

    def as_date(self) -> date | None:
        if self.year is None or self.month is None or self.day is None:
            return None
        try:
            return date(self.year, self.month, self.day)
        except ValueError:
            return None


@dataclass(frozen=True)
class DateSpan(Span):
    value: DateValue
    relative: bool = False  # 翌21日, 同月, 翌日 ...: resolved from an earlier date

    def display(self) -> str:
        return self.value.display()


@dataclass(frozen=True)
class DateRangeSpan(Span):
    first: DateValue
    last: DateValue

    def display(self) -> str:
        """「2012年（平成24年）11月16日から25日まで」: the end omits what it shares."""
        end = DateValue(
            None if self.last.year == self.first.year else self.last.year,
            None
            if self.last.year == self.first.year and self.last.month == self.first.month
            else self.last.month,
            self.last.day,
        )
        return f"{self.first.display()}から{end.display()}まで"


@dataclass(frozen=True)
class CountSpan(Span):
    number: int
    counter: str
    shown: str = ""  # the count as written, normalised: 「約498円」「2億1,480万円」「7回目」

    def display(self) -> str:
        return self.shown or f"{self.number}{self.counter}"


@dataclass(frozen=True)
class PersonSpan(Span):
    name: str  # empty for an office named without its holder: 「三重県知事」, 「市長からは「…」」
    title: str = ""
    role: str = ""  # a role the text gives them: 「三重県知事を団長に」 -> 団長

    def display(self) -> str:
        return f"{self.name}{self.title}"


@dataclass(frozen=True)
class OrganisationSpan(Span):
    name: str
    abbreviation: str = ""
    foreign_name: str = ""
    head: str = ""  # what kind of body: 企業/メーカー (before 「…」) or 機構/事務所 (its suffix)

    def display(self) -> str:
        if self.abbreviation and self.foreign_name:
            return f"{self.name}（{self.abbreviation}：{self.foreign_name}）"
        if self.abbreviation:
            return f"{self.name}（{self.abbreviation}）"
        return self.name


@dataclass(frozen=True)
class EnumerationSpan(Span):
    items: tuple[str, ...]

    def display(self) -> str:
        return "、".join(self.items)


# --------------------------------------------------------------------------------------
# Calendar conversion
# --------------------------------------------------------------------------------------


def era_to_western(era: str, era_year: int) -> int:
    """平成24 -> 2012 (平成 = 1988 + n, 令和 = 2018 + n, 昭和 = 1925 + n)."""
    if era not in ERA_STARTS:
        raise ValueError(f"unknown era {era!r}; known: {', '.join(ERA_STARTS)}")
    return ERA_STARTS[era][0] - 1 + era_year


def western_to_era(
    year: int, month: int | None = None, day: int | None = None
) -> tuple[str, int] | None:
    """2012 -> ("平成", 24). Without month/day the era covering most of that year wins."""
    when = (year, month or 7, day or 1)
    for name, start in ERA_STARTS.items():  # newest first
        if when >= start:
            return name, year - start[0] + 1
    return None


# --------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------

_NUM = r"\d{1,2}"
_WEEKDAY = rf"(?:{_S}\([月火水木金土日](?:曜日?)?(?:・祝)?\))?"
_DATE_RE = re.compile(
    rf"(?P<era>令和|平成|昭和|大正|明治){_S}(?P<ey>{_NUM}|元){_S}年度?"
    rf"(?:{_S}(?P<em>{_NUM}){_S}月(?:{_S}(?P<ed>{_NUM}){_S}日(?!間))?)?{_WEEKDAY}"
    rf"|(?<!\d)(?P<wy>(?:1[89]|20)\d\d){_S}年度?"
    rf"(?:{_S}(?P<wm>{_NUM}){_S}月(?:{_S}(?P<wd>{_NUM}){_S}日(?!間))?)?{_WEEKDAY}"
    rf"|(?P<same>同年|同月|翌年|翌月)(?:{_S}(?P<sm>{_NUM}){_S}月)?(?:{_S}(?P<sd>{_NUM}){_S}日(?!間))?{_WEEKDAY}"
    rf"|翌{_S}(?P<rd>{_NUM}){_S}日(?!間){_WEEKDAY}"
    rf"|(?P<nextday>翌日|前日|同日)"
    rf"|(?<![\d年])(?P<m>{_NUM}){_S}月(?:{_S}(?P<d>{_NUM}){_S}日(?!間))?{_WEEKDAY}"
)
_RANGE_JOIN_RE = re.compile(rf"{_S}(?:から|より|~|〜|-|‐|–|—){_S}")
_BARE_DAY_RE = re.compile(
    rf"(?:(?P<m>{_NUM}){_S}月{_S})?(?P<d>{_NUM}){_S}日(?!間){_WEEKDAY}(?:{_S}(?:まで|にかけて))?"
)


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    return 1 if value == "元" else int(value)


def _shift_day(anchor: DateValue, days: int) -> DateValue:
    base = anchor.as_date()
    if base is None:
        return anchor
    moved = base + timedelta(days=days)
    return DateValue(moved.year, moved.month, moved.day)


def _next_day_numbered(anchor: DateValue, day: int) -> DateValue:
    """翌21日 after 11月20日: the 21st of the same month, or of the next month if it wrapped."""
    year, month = anchor.year, anchor.month
    if month is not None and anchor.day is not None and day < anchor.day:
        month += 1
        if month > 12 and year is not None:
            year, month = year + 1, 1
    return DateValue(year, month, day)


def _resolve_date(match: re.Match[str], anchor: DateValue | None) -> tuple[DateValue, bool] | None:
    group = match.group
    if group("era"):
        year = era_to_western(group("era"), _int(group("ey")))
        return DateValue(year, _int(group("em")), _int(group("ed"))), False
    if group("wy"):
        return DateValue(int(group("wy")), _int(group("wm")), _int(group("wd"))), False
    if anchor is None:
        if group("m"):  # 11月21日 with no earlier year: keep month and day only
            return DateValue(None, _int(group("m")), _int(group("d"))), False
        return None
    if group("same"):
        year = anchor.year
        month = _int(group("sm"))
        if group("same") == "翌年" and year is not None:
            year += 1
        if group("same") in ("同月", "翌月"):
            month = anchor.month
            if group("same") == "翌月" and month is not None:
                month = month % 12 + 1
        return DateValue(year, month, _int(group("sd"))), True
    if group("rd"):
        return _next_day_numbered(anchor, int(group("rd"))), True
    if group("nextday"):
        shift = {"翌日": 1, "前日": -1, "同日": 0}[group("nextday")]
        return _shift_day(anchor, shift), True
    # 「11月21日」 after a full date: the year carries over
    return DateValue(anchor.year, _int(group("m")), _int(group("d"))), anchor.year is not None


def _make(norm: Normalized, start: int, end: int) -> tuple[str, int, int]:
    o_start, o_end = norm.to_original(start, end)
    return norm.original[o_start:o_end], o_start, o_end


def _strip_trailing_space(norm: Normalized, start: int, end: int) -> int:
    while end > start and norm.text[end - 1] == " ":
        end -= 1
    return end


def find_dates(text: str) -> list[DateSpan]:
    """Every date in ``text`` in order; relative ones (翌21日, 同月) are resolved from the
    nearest earlier date that has a month."""
    norm = normalize_with_offsets(text)
    spans: list[DateSpan] = []
    anchor: DateValue | None = None
    for match in _DATE_RE.finditer(norm.text):
        resolved = _resolve_date(match, anchor)
        if resolved is None:
            continue
        value, relative = resolved
        end = _strip_trailing_space(norm, match.start(), match.end())
        spans.append(DateSpan(SpanKind.DATE, *_make(norm, match.start(), end), value, relative))
        if value.month is not None and value.year is not None:
            anchor = value
    return spans


def find_date_ranges(text: str, dates: list[DateSpan] | None = None) -> list[DateRangeSpan]:
    """「16日から25日」, 「11月16日（金）から25日（日）にかけて」, 「平成24年4月〜平成25年3月」."""
    norm = normalize_with_offsets(text)
    dates = find_dates(text) if dates is None else dates
    by_start = {span.start: span for span in dates}
    ranges: list[DateRangeSpan] = []
    for first in dates:
        n_end = _normalized_index(norm, first.end)
        join = _RANGE_JOIN_RE.match(norm.text, n_end)
        if join is None or first.value.day is None and first.value.month is None:
            continue
        o_after, _ = norm.to_original(join.end(), join.end())
        if o_after in by_start:
            last_span = by_start[o_after]
            last, end = last_span.value, _normalized_index(norm, last_span.end)
        else:
            day = _BARE_DAY_RE.match(norm.text, join.end())
            if day is None:
                continue
            month = _int(day.group("m")) or first.value.month
            last = DateValue(first.value.year, month, int(day.group("d")))
            end = day.end()
        text_, o_start, o_end = _make(norm, _normalized_index(norm, first.start), end)
        ranges.append(DateRangeSpan(SpanKind.DATE_RANGE, text_, o_start, o_end, first.value, last))
    return ranges


def _normalized_index(norm: Normalized, original_index: int) -> int:
    """First normalised index at or after an original offset."""
    for index, start in enumerate(norm.starts):
        if start >= original_index:
            return index
    return len(norm.text)


# --------------------------------------------------------------------------------------
# Counts
# --------------------------------------------------------------------------------------

COUNTERS = VOCABULARY.counters  # longest first, from vocabulary.toml
_KANJI_DIGITS = {
    "〇": 0,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_KANJI_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
_NUMBER = r"\d[\d,]*(?:\.\d+)?"
_COUNT_RE = re.compile(
    rf"(?P<about>約|およそ|概ね)?"
    # 「2億1,480万円」「198万1,782人」「96.8%」「７社」: units of 億 and 万 inside the number
    rf"(?:(?<![\d.,])(?P<digits>(?:{_NUMBER}億)?(?:{_NUMBER}万)?{_NUMBER}|{_NUMBER}[億万])"
    rf"|(?<![{KANJI}])(?P<kanji>[一二三四五六七八九十百千]+))"
    rf"{_S}(?P<counter>{'|'.join(map(re.escape, COUNTERS))})"
    rf"(?P<suffix>目|ぶり|余り|余|以上|超|弱|強)?"
)


def kanji_number(text: str) -> int:
    """二十五 -> 25, 十六 -> 16, 百二 -> 102 (enough for counts in reports)."""
    total, current = 0, 0
    for char in text:
        if char in _KANJI_DIGITS:
            current = current * 10 + _KANJI_DIGITS[char] if current else _KANJI_DIGITS[char]
        else:
            total += (current or 1) * _KANJI_UNITS[char]
            current = 0
    return total + current


def find_counts(text: str) -> list[CountSpan]:
    """「７社」「25名」「８者」「二つ」「約498円」「2億1,480万円」「96.8%」「7回目」 with their
    numbers (the integral part, in units) and counters."""
    norm = normalize_with_offsets(text)
    spans = []
    for match in _COUNT_RE.finditer(norm.text):
        digits = match.group("digits")
        number = _number_value(digits) if digits else kanji_number(match.group("kanji"))
        shown = re.sub(r"\s+", "", match.group(0))
        spans.append(
            CountSpan(
                SpanKind.COUNT,
                *_make(norm, *match.span()),
                number,
                match.group("counter"),
                shown,
            )
        )
    return spans


def _number_value(digits: str) -> int:
    """「2億1,480万」 -> 214800000, 「96.8」 -> 96 (the integral part)."""
    total, rest = 0, digits.replace(",", "")
    for unit, size in (("億", 10**8), ("万", 10**4)):
        if unit in rest:
            head, rest = rest.split(unit, 1)
            total += int(float(head) * size)
    return total + (int(float(rest)) if rest else 0)


# --------------------------------------------------------------------------------------
# People
# --------------------------------------------------------------------------------------

TITLES = VOCABULARY.titles  # longest first
_PLACE_TITLES = VOCABULARY.place_titles
_TITLE_ALT = "|".join(map(re.escape, TITLES))
_KATAKANA_NAME_RE = re.compile(
    rf"(?<![{KATAKANA}{NAME_JOINERS}])(?P<name>[{KATAKANA}]+(?:[{NAME_JOINERS}][{KATAKANA}]+)*)"
    rf"(?P<title>{_S}(?:{_TITLE_ALT}))?"
)
_KANJI_TITLED_RE = re.compile(
    rf"(?<![{KANJI}])(?P<run>[{KANJI}]+?)(?P<title>{_TITLE_ALT})(?![{KANJI}])"
)
_BYLINE_RE = re.compile(
    rf"(?:寄稿|執筆|文責|報告者|作成者|文){_S}:{_S}(?P<unit>[^\s。]*?(?:課|部|室|係|局|所|センター|事務所))"
    rf"{_S}(?P<name>[{KANJI}]{{1,3}}{_S}[{KANJI}{HIRAGANA}]{{1,3}})(?![{KANJI}{HIRAGANA}])"
)


def find_people(text: str) -> list[PersonSpan]:
    """Katakana names with ・/= (and a title if one follows), kanji names before titles such as
    市長 (「前葉泰幸津市長」), and by-lines (「寄稿：…課 秋山 晴美」)."""
    norm = normalize_with_offsets(text)
    spans: list[PersonSpan] = []
    for match in _KATAKANA_NAME_RE.finditer(norm.text):
        name, title = match.group("name"), (match.group("title") or "").strip()
        has_joiner = any(j in name for j in NAME_JOINERS)
        if not title and not has_joiner or len(name) < 2:
            continue
        placed = _followed_by_place_suffix(norm.text, match.end("name")) and not title
        if _is_place_list(name) or placed:
            continue
        spans.append(PersonSpan(SpanKind.PERSON, *_make(norm, *match.span()), name, title))
    for match in _KANJI_TITLED_RE.finditer(norm.text):
        person = _kanji_person(norm, match)
        if person is not None:
            spans.append(person)
    taken = [(s.start, s.end) for s in spans]
    for person in _named_by_dictionary(norm):
        if not any(a < person.end and person.start < b for a, b in taken):
            spans.append(person)
    for match in _BYLINE_RE.finditer(norm.text):
        name = match.group("name")
        spans.append(PersonSpan(SpanKind.PERSON, *_make(norm, *match.span("name")), name))
    for match in _SPEAKER_TITLE_RE.finditer(norm.text):
        title = match.group("title")
        spans.append(PersonSpan(SpanKind.PERSON, *_make(norm, *match.span("title")), "", title))
    return sorted((_with_role(norm, span) for span in spans), key=lambda span: span.start)


# A kanji name before its title (「佐藤花子学長」) or after it in a list (「委員長 板東 和雄」): the
# dictionary tells a name (佐藤, 花子: 人名) from a job description (「担当部長」).
_NAME_BEFORE_TITLE_RE = re.compile(
    rf"(?P<name>[{KANJI}]{{1,6}}(?:[ \u3000][{KANJI}]{{1,3}})?)(?P<title>{_TITLE_ALT})"
)
_NAME_AFTER_TITLE_RE = re.compile(
    rf"(?<![{KANJI}])(?P<title>{_TITLE_ALT})[ \t\u3000]+(?P<name>[{KANJI}]{{1,3}}[ \u3000]?[{KANJI}]{{1,3}})(?![{KANJI}])"
)


def _named_by_dictionary(norm: Normalized) -> list[PersonSpan]:
    from ingest.tokenizer import person_name_suffix

    found = []
    for match in _NAME_BEFORE_TITLE_RE.finditer(norm.text):
        name = person_name_suffix(match.group("name"))
        if len(name.replace(" ", "")) >= 2:
            start = match.end("name") - len(name)
            found.append(PersonSpan(SpanKind.PERSON, *_make(norm, start, match.end()),
                                    name.replace(" ", ""), match.group("title")))  # fmt: skip
    for match in _NAME_AFTER_TITLE_RE.finditer(norm.text):
        name = match.group("name")
        if person_name_suffix(name) == name:
            found.append(PersonSpan(SpanKind.PERSON, *_make(norm, *match.span("name")),
                                    name.replace(" ", ""), match.group("title")))  # fmt: skip
    return found


# A title alone as the speaker of a quotation: 「これに対し市長からは「…」と述べ」.
_SPEAKER_TITLE_RE = re.compile(
    rf"(?<![{KANJI}{KATAKANA}])(?P<title>{_TITLE_ALT})(?:から|より)?(?:は|も|が)?、?「"
)
_ROLE_RE = re.compile(rf"{_S}を{_S}(?P<role>{_TITLE_ALT})(?:に|と)")


def _with_role(norm: Normalized, span: PersonSpan) -> PersonSpan:
    """「三重県知事を団長に」: the person also holds the role the sentence gives them."""
    end = _normalized_index(norm, span.end)
    role = _ROLE_RE.match(norm.text, end)
    return replace(span, role=role.group("role")) if role else span


def _kanji_person(norm: Normalized, match: re.Match[str]) -> PersonSpan | None:
    """Only titles that sit after a place (市長, 知事) tell a kanji name apart from a job
    description (「担当部長」); the place is the part the text also names on its own."""
    title, run = match.group("title"), match.group("run")
    if title not in _PLACE_TITLES:
        return None
    place_marker = title.removeprefix("副")[0]  # 市 / 知 (県知事 keeps its 県 in the run)
    for name_length in range(2, min(4, len(run)) + 1):
        name, place = run[:name_length], run[name_length:]
        if not place:
            break
        if f"{place}{place_marker}" in norm.text.replace(match.group(0), ""):
            return PersonSpan(SpanKind.PERSON, *_make(norm, *match.span()), name, place + title)
    if len(run) > 4 and not run.endswith(("県", "都", "府", "道")):
        from ingest.tokenizer import person_name_suffix

        named = person_name_suffix(run).replace(" ", "")
        name = named if len(named) >= 2 and run.startswith(named) else run[:4]
        return PersonSpan(
            SpanKind.PERSON, *_make(norm, *match.span()), name, run[len(name) :] + title
        )
    if title == "知事" and run.endswith(("県", "都", "府", "道")) and len(run) <= 4:
        # 「三重県知事を団長に」: the office, its holder not named
        return PersonSpan(SpanKind.PERSON, *_make(norm, *match.span()), "", run + title)
    return None


# --------------------------------------------------------------------------------------
# Places
# --------------------------------------------------------------------------------------

# Countries, world regions and major cities (vocabulary.toml): they let 「フランスやスイス・ドイツ」
# read as three places rather than one person's name. Smaller places are found by suffix.
GAZETTEER = VOCABULARY.gazetteer
COUNTRIES = VOCABULARY.countries
PLACE_SUFFIXES = VOCABULARY.running_text_place_suffixes
_PLACE_SUFFIX_RE = re.compile(
    rf"(?<![{KANJI}{KATAKANA}{NAME_JOINERS}])(?P<place>[{KANJI}{KATAKANA}][{KANJI}{KATAKANA}{NAME_JOINERS}]*?"
    rf"(?:{'|'.join(PLACE_SUFFIXES)})+)(?!場|内|民|長|役所|議会|単独|町村|[{KATAKANA}])"
)
_GAZETTEER_RE = re.compile(
    rf"(?<![{KATAKANA}])(?:{'|'.join(sorted(GAZETTEER, key=len, reverse=True))})(?![{KATAKANA}])"
)


# A name followed by the country it is in, as schedules write it: 「ミュルーズ（フランス）」.
_PLACE_WITH_COUNTRY_RE = re.compile(
    rf"(?<![{KATAKANA}{NAME_JOINERS}])(?P<place>[{KATAKANA}][{KATAKANA}{NAME_JOINERS}]+)"
    rf"{_S}\({_S}(?:{'|'.join(sorted(GAZETTEER, key=len, reverse=True))}){_S}\)"
)


def _is_place_list(name: str) -> bool:
    parts = re.split(f"[{NAME_JOINERS}]", name)
    return all(part in GAZETTEER for part in parts)


def _followed_by_place_suffix(text: str, end: int) -> bool:
    return text.startswith(PLACE_SUFFIXES, end)


def find_places(text: str) -> list[Span]:
    """Countries and cities (「フランス」「ジュネーブ」) and names ending in a place suffix
    (「四日市市」「ジュネーブ州」「フランス・アヌシー市」「イル＝ド＝フランス州」)."""
    norm = normalize_with_offsets(text)
    found: dict[tuple[int, int], Span] = {}
    for match in _PLACE_SUFFIX_RE.finditer(norm.text):
        place = match.group("place")
        if len(place) < 2 or place[:-1] in ("都", "各", "同", "本", "当", "全", "他"):
            continue
        found[match.span()] = Span(SpanKind.PLACE, *_make(norm, *match.span()))
    for match in _GAZETTEER_RE.finditer(norm.text):
        if not any(s <= match.start() and match.end() <= e for s, e in found):
            found[match.span()] = Span(SpanKind.PLACE, *_make(norm, *match.span()))
    for match in _PLACE_WITH_COUNTRY_RE.finditer(norm.text):
        span = match.span("place")
        found[span] = Span(SpanKind.PLACE, *_make(norm, *span))
        # the country in brackets only says where the place is
        found = {k: v for k, v in found.items() if not span[1] < k[0] < match.end()}
    return sorted(found.values(), key=lambda span: span.start)


# --------------------------------------------------------------------------------------
# Organisations
# --------------------------------------------------------------------------------------

ORG_SUFFIXES = VOCABULARY.organisation_suffixes
_NAME_CHARS = rf"{KANJI}{KATAKANA}{NAME_JOINERS}A-Za-z0-9"
# Latin words of a foreign name, accents included (Régionale, Île, Düsseldorfer).
_LATIN = r"A-Za-z\u00c0-\u024f0-9'’.,&\-/"
# 「名称（ABBR：foreign name）」. The foreign name may run over PDF line breaks, and a garbled
# extraction may lose its closing bracket (「（CERN: Organisation européenne pour la recherche」
# followed by another column's text): it ends where its Latin words end.
_ORG_ABBR_RE = re.compile(
    rf"(?<![{_NAME_CHARS}])(?P<name>[{_NAME_CHARS}]{{2,}})\({_S}(?P<abbr>[A-Z][A-Za-z0-9&.\-]{{1,15}})"
    rf"(?:{_S}:\s*(?P<foreign>[A-Za-z\u00c0-\u024f](?:[{_LATIN}\s]*[{_LATIN}])?)(?:{_S}\))?"
    rf"|{_S}\))"
)
# Words that may follow a name without being part of it: 「ジュネーブ事務所関係者」.
_ORG_FOLLOWERS = "|".join(VOCABULARY.organisation_followers)
_ORG_SUFFIX_RE = re.compile(
    rf"(?<![{KANJI}{KATAKANA}])(?P<name>[{KANJI}{KATAKANA}{NAME_JOINERS}]{{1,30}}?(?:{'|'.join(ORG_SUFFIXES)}))"
    rf"(?:(?![{KANJI}{KATAKANA}])|(?={_ORG_FOLLOWERS}))"
)
# A name in 「」 right after a noun saying what it is: 企業「…」, メーカー「…」, クラスター「…」.
ORG_INTRODUCERS = VOCABULARY.organisation_introducers
_ORG_QUOTED_RE = re.compile(rf"(?P<head>{'|'.join(ORG_INTRODUCERS)})「(?P<name>[^」]{{1,40}})」")


def find_organisations(text: str) -> list[OrganisationSpan]:
    """「パリ地域経済開発局（ARD：Agence …）」 -> name, abbreviation, foreign name; also names
    ending in 機構/局/センター/事務所/課…, and 企業「SRB ENERGY RESERCH」."""
    norm = normalize_with_offsets(text)
    found: list[OrganisationSpan] = []
    for match in _ORG_ABBR_RE.finditer(norm.text):
        foreign = " ".join((match.group("foreign") or "").split())
        found.append(
            OrganisationSpan(
                SpanKind.ORGANISATION,
                *_make(norm, *match.span()),
                match.group("name"),
                match.group("abbr"),
                foreign,
                _org_suffix(match.group("name")),
            )  # fmt: skip
        )
    for regex in (_ORG_SUFFIX_RE, _ORG_QUOTED_RE):
        for match in regex.finditer(norm.text):
            start, end = match.span("name")
            if any(o.start <= norm.starts[start] < o.end for o in found):
                continue
            name = match.group("name")
            head = match.groupdict().get("head") or _org_suffix(name)
            found.append(
                OrganisationSpan(SpanKind.ORGANISATION, *_make(norm, start, end), name, head=head)
            )
    return sorted(found, key=lambda span: span.start)


def _org_suffix(name: str) -> str:
    return next((suffix for suffix in ORG_SUFFIXES if name.endswith(suffix)), "")


def find_abbreviation(text: str, abbreviation: str) -> OrganisationSpan | None:
    """The organisation that ``abbreviation`` (e.g. "OPI") stands for, if ``text`` spells it out."""
    wanted = normalize(abbreviation).upper()
    for org in find_organisations(text):
        if org.abbreviation.upper() == wanted:
            return org
    return None


# --------------------------------------------------------------------------------------
# Enumerations
# --------------------------------------------------------------------------------------

_ITEM = rf"[{KANJI}{KATAKANA}{NAME_JOINERS}A-Za-z0-9]{{1,24}}"
_ENUM_SEPARATORS = r"(?:や|、|,|及び|および|並びに|ならびに)"
_ENUM_END = r"(?:等|など|を|が|の|に|は|で|へ|と)"
_ENUM_RE = re.compile(
    rf"(?<![{_NAME_CHARS}])(?P<items>{_ITEM}(?:{_S}{_ENUM_SEPARATORS}{_S}{_ITEM})+)(?P<end>{_ENUM_END})"
)
_JOINER_ONLY_RE = re.compile(
    rf"(?<![{_NAME_CHARS}])(?P<items>[{KANJI}{KATAKANA}]+(?:・[{KANJI}{KATAKANA}]+)+)"
)


def find_enumerations(text: str) -> list[EnumerationSpan]:
    """「メカトロニクスや医療・福祉機器関連、環境・エネルギーや航空宇宙産業等」 -> its items.

    Items are split on や/、/及び; a ・ splits only between known places (「スイス・ドイツ」),
    since 「医療・福祉機器」 is one field. A list joined by 、 alone must end in 等/など or a
    case particle, which keeps 「20日、津市と…」 from reading as a list.
    """
    norm = normalize_with_offsets(text)
    spans: list[EnumerationSpan] = []
    for match in _ENUM_RE.finditer(norm.text):
        raw_items = re.split(rf"{_S}{_ENUM_SEPARATORS}{_S}", match.group("items"))
        closed = match.group("end") in ("等", "など") or raw_items[-1].endswith("等")
        raw_items[-1] = raw_items[-1].removesuffix("等")
        weak = match.group("end") == "と" or not all(len(i) >= 2 for i in raw_items)
        if "や" not in match.group("items") and not closed and weak:
            continue
        items = _split_place_joiners(raw_items)
        if len(items) < 2 or _looks_like_date(items):
            continue
        end = match.end() if match.group("end") in ("等", "など") else match.end("items")
        spans.append(
            EnumerationSpan(SpanKind.ENUMERATION, *_make(norm, match.start(), end), tuple(items))
        )
    for match in _JOINER_ONLY_RE.finditer(norm.text):
        parts = match.group("items").split("・")
        covered = any(s.start <= norm.starts[match.start()] < s.end for s in spans)
        if not covered and all(p in GAZETTEER for p in parts):
            spans.append(
                EnumerationSpan(SpanKind.ENUMERATION, *_make(norm, *match.span()), tuple(parts))
            )
    return sorted(spans, key=lambda span: span.start)


def _split_place_joiners(items: list[str]) -> list[str]:
    out: list[str] = []
    for item in items:
        out.extend(item.split("・") if _is_place_list(item) else [item])
    return [item for item in out if item]


def _looks_like_date(items: list[str]) -> bool:
    return any(re.fullmatch(r"\d+[年月日]?|[年月日]", item) for item in items)


# --------------------------------------------------------------------------------------
# Quotations
# --------------------------------------------------------------------------------------

MIN_QUOTE_CHARS = 8  # shorter 「…」 are names or terms, not words someone said
_QUOTE_RE = re.compile(r"「(?P<words>(?:[^「」]|「[^「」]*」)+)」")
# PDF columns can cut a quotation so that only its closing half survives: 「…」と述べ needs
# no opening bracket to be recognised as speech when a verb of saying follows.
_CLOSING_ONLY_RE = re.compile(r"^(?P<words>[^「」]{8,}?)」(?=\s*(?:と|という|との))")


@dataclass(frozen=True)
class QuoteSpan(Span):
    words: str  # what was said, without the brackets

    def display(self) -> str:
        return f"「{normalize(self.words).strip()}」"


def _is_speech(words: str) -> bool:
    """Said words run on kana and punctuation; a name in 「」 (「津市ルネサンス５」,
    「SRB ENERGY RESERCH」) is short or has hardly any hiragana."""
    return len(normalize(words).strip()) >= MIN_QUOTE_CHARS and (
        len(re.findall(f"[{HIRAGANA}]", words)) >= 3
    )


def find_quotes(text: str) -> list[QuoteSpan]:
    """Quoted speech: 「一本の木では森にならない。…」 (one level of nested 「」 allowed), and a
    closing half 「…願っている。」と発言 at the start of the text whose opening was lost."""
    spans = []
    for match in _QUOTE_RE.finditer(text):
        words = match.group("words")
        if _is_speech(words):
            spans.append(QuoteSpan(SpanKind.QUOTE, match.group(0), *match.span(), words))
    half = _CLOSING_ONLY_RE.match(text)
    if half and not any(s.start < half.end() for s in spans):
        spans.insert(
            0, QuoteSpan(SpanKind.QUOTE, half.group(0), 0, half.end(), half.group("words"))
        )
    return spans


# --------------------------------------------------------------------------------------
# All spans of one kind
# --------------------------------------------------------------------------------------


_LANGUAGE_RE = re.compile(
    rf"(?<![{KATAKANA}{KANJI}])(?:[{KATAKANA}]{{2,}}|英|日本|中国|韓国|独|仏|伊|西)語(?![{KANJI}])"
)


def find_languages(text: str) -> list[Span]:
    """Names of languages: 「フランス語」「英語」「日本語」 (not 「日本語名」 or 「用語」)."""
    norm = normalize_with_offsets(text)
    return [
        Span(SpanKind.LANGUAGE, *_make(norm, *match.span()))
        for match in _LANGUAGE_RE.finditer(norm.text)
    ]


def find_spans(text: str, kind: SpanKind) -> list[Span]:
    """Spans of ``kind`` in ``text``, in order of appearance."""
    finders = {
        SpanKind.DATE: find_dates,
        SpanKind.DATE_RANGE: find_date_ranges,
        SpanKind.COUNT: find_counts,
        SpanKind.PERSON: find_people,
        SpanKind.ORGANISATION: find_organisations,
        SpanKind.PLACE: find_places,
        SpanKind.ENUMERATION: find_enumerations,
        SpanKind.QUOTE: find_quotes,
        SpanKind.LANGUAGE: find_languages,
    }
    if kind not in finders:
        raise ValueError(f"no finder for span kind {kind!r}")
    return list(finders[kind](text))
