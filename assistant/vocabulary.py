"""The reader's word lists, read once from ``vocabulary.toml`` (the one place they live).

Each section of the file says where its words came from; this module only gives them
shapes the code can use (compiled patterns, look-up sets) and answers small questions
about one word: what a counter measures, what kind of place a name is.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

VOCABULARY_FILE = Path(__file__).with_name("vocabulary.toml")


@dataclass(frozen=True)
class Vocabulary:
    data: dict

    @classmethod
    def load(cls, path: Path = VOCABULARY_FILE) -> Vocabulary:
        with path.open("rb") as handle:
            return cls(tomllib.load(handle))

    # -- question cues --------------------------------------------------------------------
    @cached_property
    def question_cues(self) -> dict[str, re.Pattern[str]]:
        """Question kind -> one pattern of its cues, in the file's order."""
        cues = {k: v for k, v in self.data["question_cues"].items() if k != "source"}
        return {kind: re.compile("|".join(words)) for kind, words in cues.items()}

    def focus_words(self, name: str) -> tuple[str, ...]:
        return tuple(self.data["focus"][name])

    @cached_property
    def asked_words(self) -> re.Pattern[str]:
        return re.compile("|".join(self.data["question_words"]["asked"]))

    @cached_property
    def asking_stems(self) -> frozenset[str]:
        return frozenset(self.data["question_words"]["asking_stems"])

    @cached_property
    def honorifics(self) -> tuple[str, ...]:
        return tuple(self.data["question_words"]["honorifics"])

    # -- counters -------------------------------------------------------------------------
    @cached_property
    def counters(self) -> tuple[str, ...]:
        """Every counter, longest first so that 万円 wins over 円."""
        return tuple(sorted(set(self.data["counters"]["all"]), key=len, reverse=True))

    @cached_property
    def _counter_kinds(self) -> dict[str, str]:
        return {
            counter: kind
            for kind, counters in self.data["counters"]["kinds"].items()
            for counter in counters
        }

    def counter_kind(self, counter: str) -> str:
        """「社」 -> count_companies, 「万円」 -> money, 「年間」 -> duration."""
        return self._counter_kinds.get(counter, "count_other")

    @cached_property
    def counted_nouns(self) -> tuple[tuple[str, str], ...]:
        """(noun, counter kind), longest noun first: 「参加者」 counts people."""
        pairs = [
            (noun, kind) for kind, nouns in self.data["counters"]["nouns"].items() for noun in nouns
        ]
        return tuple(sorted(pairs, key=lambda pair: len(pair[0]), reverse=True))

    # -- paraphrases ----------------------------------------------------------------------
    @cached_property
    def paraphrase_groups(self) -> tuple[tuple[str, ...], ...]:
        return tuple(tuple(group) for group in self.data["paraphrases"]["groups"])

    def variants(self, term: str) -> tuple[str, ...]:
        """``term`` and the same term with a synonym swapped in: 「会社」 -> 会社, 企業, …"""
        out = [term]
        for group in self.paraphrase_groups:
            for word in group:
                if word in term:
                    out.extend(term.replace(word, other) for other in group if other != word)
        return tuple(dict.fromkeys(out))

    # -- places ---------------------------------------------------------------------------
    @cached_property
    def countries(self) -> frozenset[str]:
        return frozenset(self.data["places"]["countries"])

    @cached_property
    def world_regions(self) -> frozenset[str]:
        return frozenset(self.data["places"]["world_regions"])

    @cached_property
    def cities(self) -> frozenset[str]:
        return frozenset(self.data["places"]["cities"])

    @cached_property
    def gazetteer(self) -> frozenset[str]:
        return self.countries | self.world_regions | self.cities

    @cached_property
    def city_suffixes(self) -> tuple[str, ...]:
        return tuple(self.data["places"]["city_suffixes"])

    @cached_property
    def region_suffixes(self) -> tuple[str, ...]:
        return tuple(self.data["places"]["region_suffixes"])

    @cached_property
    def place_suffixes(self) -> tuple[str, ...]:
        return tuple(sorted({*self.city_suffixes, *self.region_suffixes}, key=len, reverse=True))

    @cached_property
    def running_text_place_suffixes(self) -> tuple[str, ...]:
        return tuple(self.data["places"]["running_text_suffixes"])

    @cached_property
    def generic_place_prefixes(self) -> tuple[str, ...]:
        return tuple(self.data["places"]["generic_prefixes"])

    def place_kind(self, name: str) -> str:
        """country, region (a state, prefecture or world region), city, or "" for a word
        that names no place."""
        name = name.strip()
        if name in self.countries:
            return "country"
        if name in self.world_regions:
            return "region"
        if name in self.cities:
            return "city"
        if name[:-1] in self.generic_place_prefixes or len(name) < 2:
            return ""
        if name.endswith(self.region_suffixes):
            return "region"
        if name.endswith(self.city_suffixes):
            return "city"
        return ""

    # -- people and organisations -----------------------------------------------------------
    @cached_property
    def titles(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.data["people"]["titles"]), key=len, reverse=True))

    @cached_property
    def place_titles(self) -> tuple[str, ...]:
        return tuple(self.data["people"]["place_titles"])

    @cached_property
    def byline_markers(self) -> tuple[str, ...]:
        return tuple(self.data["people"]["byline_markers"])

    @cached_property
    def organisation_suffixes(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.data["organisations"]["suffixes"]), key=len, reverse=True))

    @cached_property
    def organisation_introducers(self) -> tuple[str, ...]:
        return tuple(self.data["organisations"]["introducers"])

    @cached_property
    def organisation_followers(self) -> tuple[str, ...]:
        return tuple(self.data["organisations"]["followers"])

    @cached_property
    def _company_form(self) -> re.Pattern[str]:
        forms = "|".join(re.escape(f) for f in self.data["organisations"]["company_forms"])
        return re.compile(rf"\b(?:{forms})\.?$")

    def is_company(self, organisation) -> bool:
        """A company by what the text calls it (企業「…」, …株式会社) or by its legal form."""
        heads = self.data["organisations"]["company_heads"]
        name = getattr(organisation, "name", "")
        return (
            getattr(organisation, "head", "") in heads
            or name.startswith("株式会社")
            or bool(self._company_form.search(name))
        )

    # -- sentence cues ------------------------------------------------------------------------
    def sentence_cues(self, name: str) -> re.Pattern[str]:
        return re.compile("|".join(map(re.escape, self.data["sentence_cues"][name])))


VOCABULARY = Vocabulary.load()
