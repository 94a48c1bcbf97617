"""Japanese-aware tokens for keyword search: the same function at index and query time.

Whitespace tokenizers see a Japanese sentence as one token, and trigram search misses
queries shorter than three characters. Here Japanese runs become overlapping character
bigrams (plus kanji unigrams, so「津」or「局」alone still match), Latin and digit runs become
whole lowercased words, and punctuation is dropped. Text is NFKC-normalised first, so
full-width digits and letters and half-width katakana match their usual forms.

Modes:
  ``"bigram"``          character bigrams (no dictionary, robust to PDF damage).
  ``"sudachi"``         SudachiPy words (normalized form), function words dropped.
  ``"bigram+sudachi"``  both streams; the word stream is prefixed so the vocabularies stay apart.
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata

from ingest.japanese import HIRAGANA, KANJI, KATAKANA

MODES = ("bigram", "sudachi", "bigram+sudachi")
# Chosen by bench/tokenization.py (149 questions over 8 reports, recall@1/@5, MRR): BM25
# bigram .60/.80/.69, sudachi .65/.87/.73, bigram+sudachi .62/.82/.71; fused with e5 all
# three land within a few questions of each other (.56-.62/.85-.87/.69-.72). Sudachi alone
# cannot match a 1-character query (「津」 is not the word 「津市」) nor part of a compound or
# a word broken by PDF extraction; the combined stream keeps that robustness and gains words.
DEFAULT_MODE = "bigram+sudachi"

WORD_PREFIX = "w:"  # marks Sudachi words in "bigram+sudachi", so 「協定」 word != 「協定」 bigram
SUDACHI_SPLIT_MODE = "C"  # longest units keep names like 津市 whole; mode A measured the same
_SUDACHI_MAX_CHARS = 4000  # Sudachi rejects inputs over ~49 KB; split long texts well below that
_FUNCTION_WORD_POS = frozenset({"助詞", "助動詞", "補助記号", "空白"})

_JAPANESE_CHAR = f"[{KANJI}{HIRAGANA}{KATAKANA}]"  # ー counts, ・ does not
_KANJI_CHAR = re.compile(f"[{KANJI}]")
# A Japanese run, or a run of other letters/digits (Latin, accented, Hangul, ...).
_RUNS = re.compile(f"(?P<ja>{_JAPANESE_CHAR}+)|(?P<word>(?:(?!{_JAPANESE_CHAR})[^\\W_])+)")
_HAS_JAPANESE = re.compile(_JAPANESE_CHAR)
_LATIN_NAME = re.compile(r"[a-z][a-z0-9&.\-]*[a-z0-9]")  # after normalize(): lowercase


def normalize(text: str) -> str:
    """NFKC + lowercase: the form both index and query are tokenized from."""
    return unicodedata.normalize("NFKC", text).lower()


def tokenize(text: str, mode: str = DEFAULT_MODE) -> list[str]:
    """Tokens of ``text`` for BM25; an unknown ``mode`` raises ValueError naming the modes."""
    if mode == "bigram":
        return bigram_tokens(text)
    if mode == "sudachi":
        return sudachi_tokens(text)
    if mode == "bigram+sudachi":
        return combined_tokens(text)
    raise ValueError(f"unknown tokenizer mode {mode!r}; use one of {', '.join(MODES)}")


def bigram_tokens(text: str, *, kanji_unigrams: bool = True) -> list[str]:
    """Overlapping bigrams of Japanese runs (and kanji unigrams), whole words otherwise."""
    tokens: list[str] = []
    for match in _RUNS.finditer(normalize(text)):
        run = match.group("ja")
        if run is None:
            tokens.append(match.group("word"))
            continue
        if len(run) == 1:
            tokens.append(run)
            continue
        tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
        if kanji_unigrams:
            tokens.extend(ch for ch in run if _KANJI_CHAR.match(ch))
    return tokens


def combined_tokens(text: str, *, split_mode: str = SUDACHI_SPLIT_MODE) -> list[str]:
    """Bigram stream + prefixed Sudachi words that contain Japanese."""
    # Latin/digit words are already whole words in the bigram stream: counting them
    # twice would double their weight against the Japanese terms.
    words = sudachi_tokens(text, split_mode=split_mode)
    return bigram_tokens(text) + [WORD_PREFIX + w for w in words if _HAS_JAPANESE.search(w)]


def sudachi_tokens(text: str, *, split_mode: str = SUDACHI_SPLIT_MODE) -> list[str]:
    """Content words of ``text`` in Sudachi's normalized form (e.g. 為る, 11), lowercased."""
    tokenizer = _thread_tokenizer(split_mode)
    tokens: list[str] = []
    for piece in _pieces(normalize(text), _SUDACHI_MAX_CHARS):
        for morpheme in tokenizer.tokenize(piece):
            if morpheme.part_of_speech()[0] in _FUNCTION_WORD_POS:
                continue
            # Tokens are stored space-joined, so a word must not contain whitespace.
            word = "".join(morpheme.normalized_form().lower().split())
            if word and _RUNS.search(word):
                tokens.append(word)
    return tokens


def entity_terms(text: str) -> list[str]:
    """The names in ``text`` that say which report it is about: proper nouns (places,
    people, organisations: 四日市市, バイエルン, JETRO) and Latin-letter words (ARD, OPI).

    Sudachi tags acronyms it does not know as common nouns, hence the Latin rule. Used by
    the report prior in retrieval: a question naming 四日市市 should prefer that report.

    The reader's names (``assistant.names``, from the vocabulary) serve the reader's pool,
    not this prior: scoring reports by them was measured on all 903 questions over the 40
    reports (2026-12-02, issue 14): the same 903 answers, but recall@5 .9894 -> .9881 and
    MRR .8983 -> .8980, so the prior keeps Sudachi's proper nouns.
    """
    terms: list[str] = []
    for piece in _pieces(normalize(text), _SUDACHI_MAX_CHARS):
        for morpheme in _thread_tokenizer(SUDACHI_SPLIT_MODE).tokenize(piece):
            surface = morpheme.surface().strip()
            if morpheme.part_of_speech()[1] == "固有名詞" or _LATIN_NAME.fullmatch(surface):
                terms.append(surface)
    return terms


def person_name_suffix(text: str) -> str:
    """The trailing words of ``text`` that Sudachi tags as a person's name (姓/名):
    「北海大学佐藤花子」 -> 佐藤花子, 「担当」 -> "". Spaces between them are kept."""
    morphemes = list(_thread_tokenizer(SUDACHI_SPLIT_MODE).tokenize(text))
    start = len(morphemes)
    while start > 0:
        pos = morphemes[start - 1].part_of_speech()
        surface = morphemes[start - 1].surface()
        if pos[2] == "人名" or (surface.isspace() and start < len(morphemes)):
            start -= 1
            continue
        break
    return "".join(m.surface() for m in morphemes[start:]).strip()


def _pieces(text: str, size: int) -> list[str]:
    """Split at line breaks into pieces of at most ``size`` characters (hard cut if none)."""
    pieces: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        while len(line) > size:
            pieces.append(line[:size])
            line = line[size:]
        if len(current) + len(line) > size:
            pieces.append(current)
            current = ""
        current += line
    if current:
        pieces.append(current)
    return pieces


@functools.cache
def _sudachi_dictionary():
    """The core dictionary, loaded once per process (about 70 MB mapped)."""
    from sudachipy import Dictionary

    return Dictionary(dict="core")


_local = threading.local()


def _thread_tokenizer(split_mode: str):
    """A Sudachi tokenizer per thread: one instance must not be used concurrently."""
    cache = getattr(_local, "tokenizers", None)
    if cache is None:
        cache = _local.tokenizers = {}
    if split_mode not in cache:
        cache[split_mode] = _sudachi_dictionary().tokenizer(mode=split_mode)
    return cache[split_mode]
