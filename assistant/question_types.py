"""What a question asks for (a date, a count, a person...) and which words carry its content.

A light rule set over NFKC text: Japanese questions mark what they ask with a small set of
question words (いつ, 何社, 誰, どこ, なぜ, どのように...), so ordered patterns classify them
reliably without a parser. Key terms are the runs of kanji, katakana and Latin letters left
after particles, question words and politeness are taken away.
"""

from __future__ import annotations

import re
from enum import StrEnum

from assistant.spans import HIRAGANA, KANJI, KATAKANA, NAME_JOINERS, SpanKind, normalize


class QuestionType(StrEnum):
    WHEN = "when"
    COUNT = "count"
    WHO = "who"
    WHERE = "where"
    WHAT = "what"  # what is X / full name / abbreviation
    WHICH_FIELDS = "which_fields"
    WHY = "why"
    HOW = "how"
    LIST = "list"
    YES_NO = "yes_no"
    OTHER = "other"


# Checked in order: the first pattern that matches decides. More specific cues come first
# (「何の略」 before a generic 「何」, 「どのように」 before 「どの」, 「何社」 before 「いつ」 in
# 「いつ何社が…」 is rare, so counts win only when a counter follows 何/いくつ).
_RULES: tuple[tuple[QuestionType, re.Pattern[str]], ...] = (
    (QuestionType.WHY, re.compile(r"なぜ|何故|どうして|理由|なんで|何のため|目的は")),
    (
        QuestionType.HOW,
        re.compile(r"どのように|どうやって|どのような方法|どんな方法|方法は|どう(?:し|進め|支援)"),
    ),
    (
        QuestionType.WHAT,
        re.compile(
            r"何の略|なんの略|略称|略され|正式名称|正式な名称|日本語名|日本語の名称|とは|の略|って何|とは何"
        ),
    ),
    (
        QuestionType.LIST,
        re.compile(
            r"挙げて|あげて|すべて|全て|全部|何と何|列挙|一覧|どこを訪問|(?:訪問|訪れ|行っ)た(?:国|都市)|どの国を|どこの国|どこに行|どこへ行|どの都市を|どこを回"
        ),
    ),
    (
        QuestionType.COUNT,
        re.compile(
            r"何(?:社|名|人|者|つ|か国|カ国|ヶ国|件|回|団体|機関|都市|企業|日間|年間|か所|箇所|割|%)|いくつ|何個|どれくらい|どのくらい|人数|件数|社数|総数|いくら|金額|予算|額は|数は|の数"
        ),
    ),
    (
        QuestionType.WHEN,
        re.compile(r"いつ|何年|何月|何日|日付|年月日|日時|時期|何曜|期間|日程|日は[?？]?$"),
    ),
    (
        QuestionType.WHO,
        re.compile(
            r"誰|だれ|どなた|どの人|何という人|氏名|人物|署名者|(?:者|人|長|代表|知事)の名前|役職|肩書|立場"
        ),
    ),
    (
        QuestionType.WHERE,
        re.compile(r"どこ|どちら|どの国|どの都市|どの地域|どの州|場所|開催地|所在地"),
    ),
    (
        QuestionType.WHICH_FIELDS,
        re.compile(r"どの分野|どんな分野|分野は|どのような|どんな|何を|何が|どういった|どういう"),
    ),
    (
        QuestionType.WHAT,
        re.compile(r"何ですか|何でしたか|なんですか|何という|何と呼|名前|名称|内容は|何か[？?]?$"),
    ),
    (
        QuestionType.YES_NO,
        re.compile(
            r"^(?!.*(?:何|誰|どこ|いつ|どの|どう|どんな|いくつ|どれ)).*(?:ます|ました|です|でした|ません|ある|いる|した)か[？?。]?\s*$"
        ),
    ),
)

EXPECTED_SPANS: dict[QuestionType, tuple[SpanKind, ...]] = {
    QuestionType.WHEN: (SpanKind.DATE_RANGE, SpanKind.DATE),
    QuestionType.COUNT: (SpanKind.COUNT,),
    QuestionType.WHO: (SpanKind.PERSON,),
    QuestionType.WHERE: (SpanKind.PLACE,),
    QuestionType.WHAT: (SpanKind.ORGANISATION,),
    QuestionType.WHICH_FIELDS: (SpanKind.ENUMERATION,),
    QuestionType.LIST: (SpanKind.ENUMERATION,),
}


def classify(question: str) -> QuestionType:
    """The kind of answer the question wants, e.g. 「いつ」 -> WHEN, 「何社」 -> COUNT."""
    text = normalize(question).strip()
    for question_type, pattern in _RULES:
        if pattern.search(text):
            return question_type
    return QuestionType.OTHER


# Words that say what is asked rather than what it is about; removed from key terms.
_QUESTION_WORDS = re.compile(
    r"何(?:社|名|人|者|つ|か国|カ国|ヶ国|件|回|団体|機関|都市|企業|日間|年間|か所|箇所|年|月|日|曜|割|個)?"
    r"|誰|何故|理由|日付|年月日|日時|時期|氏名|人数|件数|社数|総数|正式名称|正式|名称|略称|名前|場所"
    r"|方法|内容|一覧|全部|全て|列挙|具体的|略"
)
# Verbs of asking (教えて, 挙げて...) reduce to one kanji; dropped only when alone.
_HONORIFIC_RE = re.compile(r"(?:氏|様|殿)$")
_ASKING_STEMS = frozenset("教下願挙知言")
_TERM_RE = re.compile(
    rf"[A-Za-z][A-Za-z0-9&.\-]*(?: [A-Z][A-Za-z0-9&.\-]*)*"  # Latin names, "SRB ENERGY"
    rf"|[0-9]+(?:[年月日社名者つ人件回]|か国)?"
    rf"|[{KANJI}{KATAKANA}{NAME_JOINERS}]+(?P<okurigana>[{HIRAGANA}])?"
)
# Hiragana after a single kanji often belongs to the word (結ん, 行っ); keep one character so
# that the stem still matches 「結んだ」 but drop particles after compounds (協定を).
_STEM_KEEPS = set("んっいきしちにびみりうくすつぬぶむるえけせてねべめれ")


def key_terms(question: str) -> list[str]:
    """Content words and names of a question, in order, without duplicates.

    「津市がOPIと協定を結んだのはいつ？」 -> ["津市", "OPI", "協定", "結ん"].
    """
    text = normalize(question)
    terms: list[str] = []
    for match in _TERM_RE.finditer(text):
        term = match.group(0)
        okurigana = match.group("okurigana")
        if okurigana:
            term = term[:-1]
        for piece in _strip_question_words(term):
            if len(piece) >= 3:
                # 「アンジェ氏」 in a question is written 「アンジェ」 in reports
                piece = _HONORIFIC_RE.sub("", piece)
            if okurigana and len(piece) == 1 and _is_kanji(piece):
                if piece in _ASKING_STEMS:
                    continue
                if okurigana in _STEM_KEEPS:
                    piece += okurigana
            if len(piece) == 1 and not _is_kanji(piece) and not piece.isascii():
                continue  # a lone katakana is noise
            if piece not in terms:
                terms.append(piece)
    return terms


def _strip_question_words(term: str) -> list[str]:
    """「何社参加」 -> ["参加"]; names and numbers pass unchanged."""
    if re.search(rf"[{KANJI}]", term) is None:
        return [term]
    pieces = [piece for piece in _QUESTION_WORDS.sub(" ", term).split(" ") if piece]
    return [part for piece in pieces for part in _split_place_prefix(piece)]


_PLACE_PREFIX_RE = re.compile(rf"^([{KANJI}]{{1,3}}?[市県町村])([{KANJI}{KATAKANA}]{{2,}})$")


def _split_place_prefix(term: str) -> list[str]:
    """「津市欧州ミッション団」 -> ["津市", "欧州ミッション団"]: reports often drop the place
    in front of a name they have already introduced."""
    match = _PLACE_PREFIX_RE.match(term)
    return [match.group(1), match.group(2)] if match else [term]


def _is_kanji(text: str) -> bool:
    return re.fullmatch(rf"[{KANJI}]+", text) is not None


def is_entity(term: str) -> bool:
    """Names carry a question: Latin abbreviations (OPI), katakana words (ジュネーブ), and kanji
    compounds ending like a place or organisation (津市, 産業振興機構)."""
    if re.search(r"[A-Za-z]", term) or re.search(rf"[{KATAKANA}]{{2,}}", term):
        return True
    return (
        bool(re.search(r"(?:市|州|県|町|村|国|局|機構|団|センター|事務所|課|協会|大学)$", term))
        and len(term) >= 2
    )
