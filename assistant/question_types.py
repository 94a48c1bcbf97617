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
    QUOTE = "quote"  # what someone said: answered by the words in 「…」
    DURATION = "duration"  # how long: a date range or a length of time (3年間)
    ORGANISATION = "organisation"  # which body/company/office (「…機関はどこ」)
    LANGUAGE = "language"  # 「何語で」: answered by a language's name
    WHICH_FIELDS = "which_fields"
    WHY = "why"
    HOW = "how"
    LIST = "list"
    YES_NO = "yes_no"
    OTHER = "other"


# Nouns that name a body rather than a place: 「…の公的機関はどこ」 wants 日本貿易振興機構, not
# the city it sits in. 「どこの企業」 asks where a company is from, so it stays WHERE.
_ORG_NOUNS = (
    "機関|会社|企業|部署|事務所|団体|組織|法人|大学|メーカー|商社|グループ|相手企業|支援機関"
)

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
            r"何の略|なんの略|略称|略され|略語|頭文字|正式名称|正式な名称|正式名|フルネーム"
            r"|日本語名|日本語の名称|日本語で何|英語名|原語|の略|って何|何を指|何のこと"
            # 「ARDとは？」「ARDとは何」, but not 「研究者とはどんな議論」 (とは = with); an
            # abbreviation before とは/って is always the thing asked about: 「OPIとはどんな機関」
            r"|とは(?:何|なに|なん|[?？]?$)|[A-Z]{2,}(?:とは|って)"
        ),
    ),
    (QuestionType.LANGUAGE, re.compile(r"何語|なに語|どの言語|何の言語|どんな言語|言語は")),
    (
        QuestionType.QUOTE,
        re.compile(
            r"何と(?:述べ|言|発言|語|話|あいさつ|挨拶)|どう(?:述べ|言|語|話)|どんな言葉|どのような言葉"
            r"|何にたと|たとえ(?:まし|た)|ことわざ|格言|(?:何|どんなこと)を[^誰]*と(?:述べ|言|発言|語)"
        ),
    ),
    (QuestionType.DURATION, re.compile(r"期間(?!中)|何年間|何日間|何か月|何ヶ月|何カ月")),
    (
        QuestionType.LIST,
        re.compile(
            r"挙げて|あげて|すべて|全て|全部|何と何|列挙|一覧|どこを訪問|(?:訪問し|訪れ|行っ)た(?:国|都市)|どの国を|どこの国|どこに行|どこへ行|どの都市を|どこを回"
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
        QuestionType.ORGANISATION,
        re.compile(
            rf"(?:{_ORG_NOUNS})(?:の名前|の名称|)は(?:どこ|何|[?？]?$)|どの(?:{_ORG_NOUNS})(?!の)"
            rf"|(?:{_ORG_NOUNS})はどちら|社名|企業名|会社名|団体名"
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
    QuestionType.ORGANISATION: (SpanKind.ORGANISATION,),
    QuestionType.QUOTE: (SpanKind.QUOTE,),
    QuestionType.LANGUAGE: (SpanKind.LANGUAGE,),
    QuestionType.DURATION: (SpanKind.DATE_RANGE, SpanKind.COUNT),
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
    r"何(?:社|名|人|者|つ|か国|カ国|ヶ国|件|回|団体|機関|都市|企業|日間|年間|か所|箇所|年|月|日|曜|割|個|語)?"
    r"|誰|何故|理由|日付|年月日|日時|時期|期間|氏名|人数|件数|社数|総数|正式名称|正式|名称|略称|名前|場所"
    r"|方法|内容|一覧|全部|全て|列挙|具体的|略語|略|言語"
    # ways of asking for a name in full: what is asked, not what it is about
    r"|フルネーム|頭文字|日本語名|英語名|原語"
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
    if _QUESTION_WORDS.fullmatch(term):
        return []  # 「フルネーム」
    if re.search(rf"[{KANJI}]", term) is None:
        return [term]
    pieces = [piece for piece in _QUESTION_WORDS.sub(" ", term).split(" ") if piece]
    return [
        part
        for piece in pieces
        for prefixed in _split_place_prefix(piece)
        for part in _split_name_and_action(prefixed)
    ]


_NAME_ACTION_RE = re.compile(rf"^([{KATAKANA}{NAME_JOINERS}]{{2,}})([{KANJI}]{{2,}}?)[中後時前]?$")
_MAYOR_RE = re.compile(rf"^([{KANJI}]{{1,4}}[市町村])(長)$")


def _split_name_and_action(term: str) -> list[str]:
    """「トゥールーズ訪問中」 -> ["トゥールーズ", "訪問"]; 「松阪市長」 -> ["松阪市", "市長"]: a
    question runs a name and what happened there together, reports keep them apart
    (「トゥールーズ市内の企業を訪問」, 「市長からは…」). Names with a one-kanji tail
    (ミッション団) stay whole."""
    mayor = _MAYOR_RE.match(term)
    if mayor:
        return [
            mayor.group(1),
            "市長" if mayor.group(1).endswith("市") else mayor.group(1)[-1] + "長",
        ]
    match = _NAME_ACTION_RE.match(term)
    if match and len(match.group(2)) >= 2:
        return [match.group(1), match.group(2)]
    return [term]


_PLACE_PREFIX_RE = re.compile(rf"^([{KANJI}]{{1,3}}[市県町村])([{KANJI}{KATAKANA}]{{2,}})$")


def _split_place_prefix(term: str) -> list[str]:
    """「津市欧州ミッション団」 -> ["津市", "欧州ミッション団"]: reports often drop the place
    in front of a name they have already introduced."""
    if _MAYOR_RE.match(term):
        return [term]  # 「四日市市長」 is a city and its mayor, split by _split_name_and_action
    match = _PLACE_PREFIX_RE.match(term)
    return [match.group(1), match.group(2)] if match else [term]


def _is_kanji(text: str) -> bool:
    return re.fullmatch(rf"[{KANJI}]+", text) is not None


# Kanji nouns that end like a place but name a kind of place, not one: 「都市」「各国」「同市」.
GENERIC_PLACE_NOUNS = re.compile(
    r"^(?:都|各|同|本|当|全|他|両|諸|外|自|相手|訪問|参加|加盟|先進|新興|周辺|近隣)[市県町村国州]$"
)


def is_entity(term: str) -> bool:
    """Names carry a question: Latin abbreviations (OPI), katakana words (ジュネーブ), and kanji
    compounds ending like a place or organisation (津市, 産業振興機構)."""
    if re.search(r"[A-Za-z]", term) or re.search(rf"[{KATAKANA}]{{2,}}", term):
        return True
    if GENERIC_PLACE_NOUNS.match(term):
        return False
    return (
        bool(re.search(r"(?:市|州|県|町|村|国|局|機構|団|センター|事務所|課|協会|大学)$", term))
        and len(term) >= 2
    )


# --------------------------------------------------------------------------------------
# Paraphrases
# --------------------------------------------------------------------------------------

# Groups of words that reports and the people asking about them use for the same thing in
# this domain (agreements, missions, delegations, organisations). Questions are paraphrased
# (「会社」「率いる」「ヨーロッパ」); reports keep to official wording (「企業」「団長」「欧州」).
# A question term containing one member also matches the others. General vocabulary only.
PARAPHRASE_GROUPS: tuple[tuple[str, ...], ...] = (
    ("企業", "会社", "事業者", "メーカー"),
    ("結ん", "結ば", "締結", "調印", "署名", "交わ"),
    ("訪問", "訪れ", "行っ", "訪ね"),
    ("率い", "団長", "代表", "トップ", "局長", "総裁", "理事長", "所長", "社長"),
    ("欧州", "ヨーロッパ"),
    ("地元", "市内"),
    ("同行", "参加", "同席", "出席"),
    ("グループ", "クラスター", "連携体"),
    ("きっかけ", "契機"),
)


def term_variants(term: str) -> tuple[str, ...]:
    """``term`` and the same term with a paraphrase group member swapped for each other one:
    「会社」 -> (会社, 企業, 事業者, メーカー); 「地元企業」 -> (地元企業, 市内企業, …)."""
    variants = [term]
    for group in PARAPHRASE_GROUPS:
        for word in group:
            if word in term:
                variants.extend(term.replace(word, other) for other in group if other != word)
    return tuple(dict.fromkeys(variants))


# What a bare いくつ / 数 counts: the noun it follows decides the counter.
_NOUN_COUNTERS: tuple[tuple[str, str], ...] = (
    ("会社", "社"), ("企業", "社"), ("事業者", "社"), ("社", "社"),
    ("人数", "名"), ("参加者", "名"), ("人", "名"), ("者", "名"),
    ("か国", "か国"), ("国", "か国"), ("都市", "都市"), ("団体", "団体"),
    ("協定", "つ"), ("観点", "つ"), ("件", "件"), ("回", "回"),
    ("従業員", "名"), ("職員", "名"), ("社員", "名"), ("人口", "人"),
)  # fmt: skip
_COUNTER_AFTER_WHAT = re.compile(
    r"何(社|名|人|者|つ|か国|カ国|ヶ国|件|回|団体|機関|都市|企業|日間|年間|か月|ヶ月)"
)
_BARE_COUNT = re.compile(r"いくつ|どのくらい|どれくらい|(?:の)?数は|数を|件数|人数|社数|総数")


def asked_counter(question: str) -> str | None:
    """The counter the answer must carry: 「何社」 -> 社; 「会社はいくつ」 -> 社 (the noun before
    いくつ); 「参加人数は」 -> 名; None when the question does not say."""
    text = normalize(question)
    explicit = _COUNTER_AFTER_WHAT.search(text)
    if explicit:
        return explicit.group(1)
    bare = _BARE_COUNT.search(text)
    if bare is None:
        return None
    following = _noun_counter(text[bare.end() :], after=True)
    if following is not None:
        return following  # 「いくつの観点」: the noun after いくつの is what is counted
    return _noun_counter(text[: bare.end()], after=False)


def _noun_counter(text: str, *, after: bool) -> str | None:
    """The counter of the noun directly after 「いくつの」 (``after``), or of the noun nearest
    the end of ``text`` (「会社はいくつ」)."""
    if after:
        noun = re.match(rf"の([{KANJI}{KATAKANA}]+)", text)
        if noun is None:
            return None
        word = noun.group(1)
        return next((c for n, c in _NOUN_COUNTERS if word.startswith(n) or word == n), None)
    best: tuple[int, str] | None = None
    for noun, counter in _NOUN_COUNTERS:
        position = text.rfind(noun)
        if position >= 0 and (best is None or position + len(noun) > best[0]):
            best = (position + len(noun), counter)
    return best[1] if best else None
