"""Japanese writing, defined once: character classes and how a sentence ends.

Every module that reads Japanese takes these from here: the keyword tokenizer
(``ingest.tokenizer``), the repair of extracted text (``ingest.repair``), the sentence
splitter (``ingest.chunking``) and the reader's spans and questions (``assistant.spans``,
``assistant.reader``). The classes are bodies of regular-expression character classes:
``f"[{KANJI}{KATAKANA}]"``.
"""

from __future__ import annotations

# CJK ideographs: extension A, the unified block, compatibility ideographs, extensions B-H
# (rare, but in names: 𠮷), and the marks that stand for or behave like one inside a word:
# 々 (repetition), 〆, and ヵ/ヶ as counters and in place names (一ヶ月, 霞ヶ関).
KANJI = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f々〆ヵヶ"
HIRAGANA = "\u3041-\u309f"
KATAKANA = "\u30a1-\u30fa\u30fc-\u30ff"  # katakana and the long-vowel mark ー, without ・

SENTENCE_ENDS = "。！？!?"
CLOSING_BRACKETS = "」』）)】〕〉》］]”’\"'"  # stay with the sentence they close: 「…。」
QUOTE_OPENERS = "「『"
QUOTE_CLOSERS = "」』"
QUOTATIVES = ("と", "って", "など")  # 「…。」と言った: the quotation carries on into its sentence
