"""Character recognition for PDF pages that are only a picture (scans, photographed agreements).

Tesseract 5 from Debian's packages (``tesseract-ocr``, ``tesseract-ocr-jpn``,
``tesseract-ocr-jpn-vert``; ``make ocr`` installs them) reads each page, rendered by pdfium at
300 dpi; ``jpn_vert`` reads pages whose text runs in vertical columns (縦書き), found from the
page's ink profile. bench/pdf_extraction.py measured it against RapidOCR's PP-OCR models
(bench/RESULTS.md, section 11).

Tesseract puts a space between many Japanese characters; those spaces are removed (a space stays
only between two Latin letters or digits).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

RENDER_DPI = 300
HORIZONTAL_LANGUAGE = "jpn"
VERTICAL_LANGUAGE = "jpn_vert"
PAPER_WHITE = 250  # paper greyer than this (median of the light pixels) is a noisy scan
TIMEOUT_SECONDS = 300  # one page; a hung engine must not hang the ingest run
_SPACES = re.compile(r"[ \u3000]+")


class OcrUnavailable(Exception):
    """The OCR engine or its Japanese data is not installed; the message says how to fix it."""


@dataclass(frozen=True)
class TesseractEngine:
    executable: str
    languages: frozenset[str]

    @classmethod
    def find(cls) -> TesseractEngine:
        """The installed Tesseract with Japanese data, or ``OcrUnavailable`` saying what to install."""
        executable = shutil.which("tesseract")
        if executable is None:
            raise OcrUnavailable(
                "文字認識（OCR）の部品 Tesseract が入っていません。管理者に make ocr"
                "（または apt-get install tesseract-ocr tesseract-ocr-jpn tesseract-ocr-jpn-vert）"
                "を依頼してください"
            )
        listed = subprocess.run(
            [executable, "--list-langs"], capture_output=True, text=True, timeout=60, check=False
        )
        languages = frozenset(listed.stdout.split()[1:]) if listed.returncode == 0 else frozenset()
        if HORIZONTAL_LANGUAGE not in languages:
            raise OcrUnavailable(
                "文字認識（OCR）の日本語データが入っていません。管理者に make ocr"
                "（または apt-get install tesseract-ocr-jpn tesseract-ocr-jpn-vert）を依頼してください"
            )
        return cls(executable, languages)

    def read(self, image) -> str:
        """The text of one page image (a PIL image), in reading order."""
        image = denoised(image.convert("L"))
        vertical = is_vertical_text(image) and VERTICAL_LANGUAGE in self.languages
        language = VERTICAL_LANGUAGE if vertical else HORIZONTAL_LANGUAGE
        png = io.BytesIO()
        image.save(png, format="PNG", dpi=(RENDER_DPI, RENDER_DPI))
        environment = {**os.environ, "OMP_THREAD_LIMIT": "1"}  # one page, one core: no thrashing
        # Vertical pages as one block of vertical columns (--psm 5): with automatic page
        # segmentation (3) jpn_vert dropped whole columns of short vertical pages.
        segmentation = "5" if vertical else "3"
        done = subprocess.run(
            [self.executable, "stdin", "stdout", "-l", language, "--psm", segmentation],
            input=png.getvalue(),
            capture_output=True,
            timeout=TIMEOUT_SECONDS,
            env=environment,
            check=False,
        )
        if done.returncode != 0:
            message = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise RuntimeError(message[-1] if message else f"tesseract exit {done.returncode}")
        return tidy_ocr_text(done.stdout.decode("utf-8", "replace"))


def tidy_ocr_text(text: str) -> str:
    """Tesseract's text without the spaces it puts between Japanese characters; blank lines
    between paragraphs are kept (one), trailing spaces dropped."""
    lines = []
    for line in text.replace("\f", "").splitlines():
        lines.append(_SPACES.sub(_space_or_nothing, line).strip())
    joined = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", joined).strip()


def _space_or_nothing(match: re.Match) -> str:
    before = match.string[match.start() - 1] if match.start() > 0 else ""
    after = match.string[match.end()] if match.end() < len(match.string) else ""
    return " " if _is_narrow_word_char(before) and _is_narrow_word_char(after) else ""


def _is_narrow_word_char(char: str) -> bool:
    return bool(char) and char.isalnum() and unicodedata.east_asian_width(char) in ("Na", "N", "H")


def denoised(image):
    """A grey page whose paper is not clean white (scanner grain) through a 3x3 median filter.

    Grain breaks Tesseract's binarisation: on the 200 dpi noisy scans of the test bed the
    filter lifted character accuracy from 0.59 to 0.94-0.98 (bench/RESULTS.md, section 11);
    clean renders (paper at 255) are left as they are, where it cost about half a point.
    """
    import numpy as np
    from PIL import ImageFilter

    pixels = np.asarray(image)
    paper = pixels[pixels > 160]
    if paper.size and float(np.median(paper)) < PAPER_WHITE:
        return image.filter(ImageFilter.MedianFilter(3))
    return image


def is_vertical_text(image) -> bool:
    """縦書き when the page's ink leaves more blank columns than blank rows: horizontal lines
    of text are separated by blank rows of pixels, vertical columns of text by blank columns."""
    import numpy as np

    ink = np.asarray(image.convert("L")) < 128
    rows, cols = ink.any(axis=1), ink.any(axis=0)
    if not rows.any():
        return False
    top, bottom = np.flatnonzero(rows)[[0, -1]]
    left, right = np.flatnonzero(cols)[[0, -1]]
    body = ink[top : bottom + 1, left : right + 1]
    # a few specks of scanner noise must not make a blank row count as inked
    row_ink, col_ink = body.sum(axis=1), body.sum(axis=0)
    blank_rows = float((row_ink <= max(2, body.shape[1] * 0.002)).mean())
    blank_cols = float((col_ink <= max(2, body.shape[0] * 0.002)).mean())
    return blank_cols > blank_rows


def render_pages(data: bytes, numbers: Iterable[int], dpi: int = RENDER_DPI):
    """PIL images of the given pages (1-based) of the PDF in ``data``, rendered by pdfium."""
    import pypdfium2

    pdf = pypdfium2.PdfDocument(data)
    try:
        for number in numbers:
            page = pdf[number - 1]
            try:
                yield number, page.render(scale=dpi / 72, grayscale=True).to_pil()
            finally:
                page.close()
    finally:
        pdf.close()


def ocr_pdf_pages(
    data: bytes,
    engine: TesseractEngine,
    numbers: Iterable[int] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[str]:
    """The recognised text of the given pages (default: all), one string a page.

    ``progress(done, total)`` is called after each page.
    """
    if numbers is None:
        import pypdfium2

        pdf = pypdfium2.PdfDocument(data)
        numbers = range(1, len(pdf) + 1)
        pdf.close()
    numbers = list(numbers)
    texts = []
    for done, (_number, image) in enumerate(render_pages(data, numbers), start=1):
        texts.append(engine.read(image))
        if progress:
            progress(done, len(numbers))
    return texts
