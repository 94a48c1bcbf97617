"""Generate a synthetic corpus of Japanese reports for benchmarks.

Reports are variations of the real report and the fixture reports: city names, partners,
dates and counts are swapped, and paragraphs are shuffled between reports of the same
template, so every generated report has different text (nothing deduplicates away) while
staying realistic Japanese prose of the same domain.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TEMPLATES = [REPO / "corpus" / "tsu_2012_europe_economic_agreements.txt"] + sorted(
    p for p in (REPO / "tests" / "fixtures" / "reports").glob("*.txt") if "nabari" not in p.name
)
CITIES = [
    "津市",
    "四日市市",
    "松阪市",
    "鈴鹿市",
    "伊勢市",
    "桑名市",
    "亀山市",
    "伊賀市",
    "名張市",
    "鳥羽市",
    "尾鷲市",
    "熊野市",
    "志摩市",
    "いなべ市",
    "岐阜市",
    "大垣市",
    "豊橋市",
    "岡崎市",
    "浜松市",
    "静岡市",
]
PARTNERS = [
    "リヨン",
    "トゥールーズ",
    "ナント",
    "ボルドー",
    "ストラスブール",
    "バーゼル",
    "ローザンヌ",
    "チューリッヒ",
    "ミュンヘン",
    "デュッセルドルフ",
    "シュトゥットガルト",
    "ハンブルク",
]
FIELDS = [
    "メカトロニクス",
    "医療・福祉機器",
    "環境・エネルギー",
    "航空宇宙",
    "食品加工",
    "精密機械",
    "半導体",
    "自動車部品",
    "バイオテクノロジー",
    "クリーンテック",
]


def read_template(path: Path) -> str:
    data = path.read_bytes()
    for encoding in ("utf-8", "cp932", "euc_jp"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValueError(path)


def vary(text: str, rng: random.Random, serial: int) -> str:
    city, partner = rng.choice(CITIES), rng.choice(PARTNERS)
    text = re.sub(r"津市|四日市市|松阪市|鈴鹿市|伊勢市|桑名市|岡崎市", city, text)
    text = re.sub(
        r"パリ|ジュネーブ|リヨン|バイエルン|ローザンヌ|トゥールーズ|デュッセルドルフ|バーゼル",
        partner,
        text,
    )
    text = re.sub(r"[0-9０-９]+", lambda m: str(rng.randint(1, 28)), text)
    text = re.sub(r"メカトロニクス|航空宇宙|クリーンテック", lambda m: rng.choice(FIELDS), text)
    paragraphs = text.split("\n\n")
    rng.shuffle(paragraphs[1:])
    return f"報告書番号 {serial}\n" + "\n\n".join(paragraphs)


def generate(folder: Path, reports: int, seed: int = 0) -> list[Path]:
    """Write ``reports`` UTF-8 reports into ``folder``; returns their paths."""
    rng = random.Random(seed)
    templates = [read_template(p) for p in TEMPLATES]
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for serial in range(reports):
        path = folder / f"generated_{serial:05d}.txt"
        path.write_text(vary(templates[serial % len(templates)], rng, serial), encoding="utf-8")
        paths.append(path)
    return paths
