"""PDF text extraction on the test bed (bench/pdf_testbed.py): character accuracy and pages per
minute per layout, for the libraries' own text and for ours (issue 26, items 2 and 3).

    python bench/pdf_extraction.py BED_DIR [--make] [--methods ...] [--layouts ...] [--json]

Methods (digital pages):
- ``pypdf``: ``page.extract_text()`` (what ingest used before);
- ``pypdfium2``: pdfium's own text order (``get_text_bounded``);
- ``pdfminer``: pdfminer.six's layout analysis (``extract_text``, default LAParams);
- ``layout``: ``ingest.pdf_layout`` (pdfplumber's geometry, our reading order and tables);
- ``layout_pdfium``: the same reading order on pypdfium2's character boxes (no tables, no
  header/footer pass), to weigh the two geometry libraries;
- ``loader``: ``ingest.loaders.load_report`` + ``ingest.repair.repair`` (what gets chunked).
Methods (scanned pages): ``tesseract`` (Debian's jpn / jpn_vert), ``rapidocr`` (if installed).

Accuracy is 1 - edit distance / truth length with whitespace removed (``character_accuracy``),
per document, averaged per layout; speed is pages / total seconds * 60. Run ``uptime`` beside it.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pdf_testbed import build, character_accuracy, load_manifest  # noqa: E402

DIGITAL = ("pypdf", "pypdfium2", "pdfminer", "layout", "layout_pdfium", "loader")
SCANNED = ("tesseract", "rapidocr")


def pypdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def pypdfium2_text(data: bytes) -> str:
    import pypdfium2

    pdf = pypdfium2.PdfDocument(data)
    texts = []
    for page in pdf:
        textpage = page.get_textpage()
        texts.append(textpage.get_text_bounded())
        textpage.close()
        page.close()
    pdf.close()
    return "\n".join(texts)


def pdfminer_text(data: bytes) -> str:
    from pdfminer.high_level import extract_text

    return extract_text(io.BytesIO(data))


def layout_text(data: bytes) -> str:
    from ingest.pdf_layout import extract_pages

    return "\n".join(page.text for page in extract_pages(data))


def layout_pdfium_text(data: bytes) -> str:
    """Our reading order on pdfium's character boxes instead of pdfplumber's (no tables, no
    header/footer pass): what the geometry library alone costs and gives."""
    import pypdfium2
    import pypdfium2.raw as pdfium_c

    from ingest import pdf_layout

    pdf = pypdfium2.PdfDocument(data)
    texts = []
    for page in pdf:
        width, height = page.get_size()
        textpage = page.get_textpage()
        chars = []
        for index in range(textpage.count_chars()):
            char = textpage.get_text_range(index, 1)
            if not char.strip():
                continue
            left, bottom, right, top = textpage.get_charbox(index)
            size = pdfium_c.FPDFText_GetFontSize(textpage.raw, index)
            chars.append(
                {"text": char, "x0": left, "x1": right, "top": height - top,
                 "bottom": height - bottom, "size": size}
            )  # fmt: skip
        if chars and pdf_layout._is_vertical(chars):
            chars = [pdf_layout._turned(c, width) for c in chars]
        segments = pdf_layout._segments(chars) if chars else []
        texts.append("\n".join(s.text for s in pdf_layout._reading_order(segments)))
        textpage.close()
        page.close()
    pdf.close()
    return "\n".join(texts)


def loader_text(path: Path) -> str:
    from ingest.loaders import load_report
    from ingest.repair import repair

    return repair(load_report(path, max_bytes=1 << 30)).text


def tesseract_text(data: bytes) -> str:
    from ingest.ocr import TesseractEngine, ocr_pdf_pages

    return "\n".join(ocr_pdf_pages(data, TesseractEngine.find()))


def rapidocr_text(data: bytes) -> str:
    """RapidOCR 3.x with its packaged PP-OCR models, on the page rendered at 300 dpi."""
    import numpy as np
    import pypdfium2
    from rapidocr import RapidOCR

    engine = _rapid_engine(RapidOCR)
    texts = []
    pdf = pypdfium2.PdfDocument(data)
    for page in pdf:
        image = page.render(scale=300 / 72, grayscale=True).to_pil().convert("RGB")
        result = engine(np.asarray(image))
        texts.append("\n".join(result.txts or ()))
    pdf.close()
    return "\n".join(texts)


_ENGINES: dict = {}


def _rapid_engine(factory):
    if "rapid" not in _ENGINES:
        _ENGINES["rapid"] = factory()
    return _ENGINES["rapid"]


def run(path: Path, method: str) -> str:
    data = path.read_bytes()
    if method == "loader":
        return loader_text(path)
    return {
        "pypdf": pypdf_text,
        "pypdfium2": pypdfium2_text,
        "pdfminer": pdfminer_text,
        "layout": layout_text,
        "layout_pdfium": layout_pdfium_text,
        "tesseract": tesseract_text,
        "rapidocr": rapidocr_text,
    }[method](data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bed", type=Path)
    parser.add_argument("--make", action="store_true", help="build the test bed first")
    parser.add_argument("--methods", nargs="*", default=None)
    parser.add_argument("--layouts", nargs="*", default=None)
    parser.add_argument("--show", action="store_true", help="print the worst document's text")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    entries = build(args.bed) if args.make else load_manifest(args.bed)
    if args.layouts:
        entries = [e for e in entries if e.layout in args.layouts]
    scores: dict[tuple[str, str], list[float]] = defaultdict(list)
    folded: dict[tuple[str, str], list[float]] = defaultdict(list)  # NFKC on both sides
    seconds: dict[tuple[str, str], float] = defaultdict(float)
    pages: dict[tuple[str, str], int] = defaultdict(int)
    for entry in entries:
        scanned = entry.layout.startswith("scan")
        methods = args.methods or (SCANNED if scanned else DIGITAL)
        methods = [m for m in methods if (m in SCANNED) == scanned]
        truth = "\n".join(entry.truth(args.bed))
        for method in methods:
            started = time.perf_counter()
            try:
                text = run(entry.pdf(args.bed), method)
            except Exception as exc:  # a library failing on a page counts as nothing read
                print(f"{entry.name} {method}: {type(exc).__name__}: {exc}", file=sys.stderr)
                text = ""
            key = (entry.layout, method)
            seconds[key] += time.perf_counter() - started
            pages[key] += entry.pages
            score = character_accuracy(truth, text)
            scores[key].append(score)
            folded[key].append(character_accuracy(truth, text, nfkc=True))
            if args.show and score < 0.98:
                print(f"--- {entry.name} {method} {score:.3f}\n{text[:1500]}\n", file=sys.stderr)
    rows = [
        {
            "layout": layout,
            "method": method,
            "documents": len(values),
            "pages": pages[(layout, method)],
            "accuracy_mean": round(statistics.fmean(values), 4),
            "accuracy_min": round(min(values), 4),
            "accuracy_nfkc_mean": round(statistics.fmean(folded[(layout, method)]), 4),
            "accuracy_nfkc_min": round(min(folded[(layout, method)]), 4),
            "pages_per_minute": round(
                pages[(layout, method)] / max(seconds[(layout, method)], 1e-9) * 60, 1
            ),
        }
        for (layout, method), values in sorted(scores.items())
    ]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
    else:
        print(
            "| layout | method | docs | pages | accuracy mean | min | NFKC mean | NFKC min"
            " | pages/min |"
        )
        print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
        for r in rows:
            print(
                f"| {r['layout']} | {r['method']} | {r['documents']} | {r['pages']} | "
                f"{r['accuracy_mean']:.4f} | {r['accuracy_min']:.4f} | "
                f"{r['accuracy_nfkc_mean']:.4f} | {r['accuracy_nfkc_min']:.4f} | "
                f"{r['pages_per_minute']} |"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
