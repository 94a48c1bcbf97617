"""Encoding detection written by hand (ingest/loaders.py) or by charset-normalizer: which
reads every fixture encoding right? Decides whether the loaders detect with the library
(issue 14).

A detection is right when the bytes decoded with the detected codec give exactly the text
that was encoded (cp932 and Shift_JIS, say, count as the same when they give the same text).
Four groups of cases:

1. files: every text report as it lies on disk (corpus, fixtures, blind); the true text is
   the only strict decoding among UTF-8, cp932 and EUC-JP (a file with more is reported);
2. re-encoded: every one of those reports written again in each encoding users save in
   (UTF-8, UTF-8 with BOM, UTF-16 with BOM, UTF-16-LE/BE without, cp932, EUC-JP,
   ISO-2022-JP), where the text is representable;
3. the seed report and the other whole-text cases of tests/test_loaders.py (a French text
   from Windows, an ISO-2022-JP mail);
4. short texts: the snippets of tests/test_loaders.py in cp932 and EUC-JP (a file name, a
   line pasted into a form).

Run from the repository root:  .venv/bin/python bench/encoding_detection.py
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.keyword_backends import REPORT_DIRS  # noqa: E402
from ingest.loaders import detect_encoding  # noqa: E402
from tests.test_loaders import SNIPPETS  # noqa: E402

TEXT_SUFFIXES = (".txt", ".md", ".html", ".htm")
ON_DISK_CANDIDATES = ("utf-8", "cp932", "euc_jp")
# name -> codec that writes it (Python's "utf-16" and "utf-8-sig" write a BOM)
RE_ENCODINGS = {
    "utf-8": "utf-8",
    "utf-8-sig": "utf-8-sig",
    "utf-16 (BOM)": "utf-16",
    "utf-16-le": "utf-16-le",
    "utf-16-be": "utf-16-be",
    "cp932": "cp932",
    "euc_jp": "euc_jp",
    "iso2022_jp": "iso2022_jp",
}
# tests/test_loaders.py: SNIPPETS, the circled digit only cp932 has, and two EUC-JP texts
# that are valid UTF-8 by accident.
SHORT_CASES = [(s, e) for s in SNIPPETS for e in ("cp932", "euc_jp")] + [
    ("①協定の概要", "cp932"),
    ("平", "euc_jp"),
    ("■ARD", "euc_jp"),
]
WHOLE_CASES = [
    ("French, Windows", "Agence Régionale de Développement Paris Île-de-France\n", "cp1252"),
    ("ISO-2022-JP mail", "件名：協定書の最終案\n署名欄の肩書きをご確認ください。\n", "iso2022_jp"),
]

Case = tuple[str, str, bytes, str]  # group, label, bytes, the text they hold


def hand_written(data: bytes) -> str | None:
    try:
        return data.decode(detect_encoding(data))
    except (ValueError, UnicodeDecodeError):
        return None


def charset_normalizer(data: bytes) -> str | None:
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    # it keeps a UTF-16 byte-order mark in the text; the loader would drop it, so do we here
    return None if best is None else str(best).removeprefix("\ufeff")


DETECTORS = {"hand-written": hand_written, "charset-normalizer": charset_normalizer}


def report_texts() -> Iterator[tuple[Path, bytes, str | None]]:
    """(path, bytes, true text or None when more than one codec decodes it)."""
    for folder in REPORT_DIRS:
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() not in TEXT_SUFFIXES:
                continue
            data = path.read_bytes()
            texts = {t for e in ON_DISK_CANDIDATES if (t := _strict(data, e)) is not None}
            yield path, data, texts.pop() if len(texts) == 1 else None


def _strict(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def cases() -> Iterator[Case]:
    seed = (REPO / "corpus" / "tsu_2012_europe_economic_agreements.txt").read_text("utf-8")
    for path, data, text in report_texts():
        if text is None:
            print(f"  (left out: {path.name} decodes as more than one of {ON_DISK_CANDIDATES})")
            continue
        yield "1. files on disk", path.name, data, text
        yield from _re_encoded("2. re-encoded", path.name, text)
    yield from _re_encoded("3. whole texts", "seed", seed)
    for label, text, encoding in WHOLE_CASES:
        yield "3. whole texts", label, text.encode(encoding), text
    for snippet, encoding in SHORT_CASES:
        yield "4. short texts", f"{snippet} {encoding}", snippet.encode(encoding), snippet


def _re_encoded(group: str, label: str, text: str) -> Iterator[Case]:
    """``text`` written in each encoding; the truth is what its own codec reads back (cp932
    writes U+2212 as the code it reads as U+FF0D: that is the text the file holds)."""
    for name, codec in RE_ENCODINGS.items():
        try:
            data = text.encode(codec)
        except UnicodeEncodeError:
            continue  # e.g. "Î" has no cp932 code: users of cp932 do not type it
        yield group, f"{label} {name}", data, data.decode(codec)


def main() -> None:
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    results: dict[str, dict[str, list[bool]]] = {}
    seconds = dict.fromkeys(DETECTORS, 0.0)
    misses: dict[str, list[str]] = {name: [] for name in DETECTORS}
    for group, label, data, text in cases():
        for name, detect in DETECTORS.items():
            started = time.perf_counter()
            right = detect(data) == text
            seconds[name] += time.perf_counter() - started
            results.setdefault(group, {}).setdefault(name, []).append(right)
            if not right:
                misses[name].append(f"{group[:2]} {label}")
    print(f"\n{'group':<20}{'cases':>6}" + "".join(f"{name:>20}" for name in DETECTORS))
    for group, by_detector in results.items():
        counts = [sum(by_detector[name]) for name in DETECTORS]
        total = len(by_detector["hand-written"])
        print(f"{group:<20}{total:>6}" + "".join(f"{c:>14}/{total:<5}" for c in counts))
    total_cases = sum(len(d["hand-written"]) for d in results.values())
    print(f"{'all':<20}{total_cases:>6}", end="")
    for name in DETECTORS:
        right = sum(sum(d[name]) for d in results.values())
        print(f"{right:>14}/{total_cases:<5}", end="")
    print("\n")
    base = seconds["hand-written"]
    for name in DETECTORS:
        print(
            f"{name}: {seconds[name]:.2f} s for all cases ({seconds[name] / base:.2f} x hand-written)"
        )
    for name, missed in misses.items():
        shown = ", ".join(missed[:12]) + (f" ... (+{len(missed) - 12})" if len(missed) > 12 else "")
        print(f"{name} wrong on {len(missed)}: {shown or 'none'}")
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
