"""Scanned PDF pages are read by OCR: Debian's Tesseract with its Japanese data, on real page
images (a report page drawn by reportlab, rendered by pdfium, saved as an image-only PDF)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bench.pdf_testbed import character_accuracy
from ingest.chunking import chunk_report
from ingest.loaders import load_report
from ingest.ocr import (
    OcrUnavailable,
    TesseractEngine,
    denoised,
    is_vertical_text,
    render_pages,
    tidy_ocr_text,
)
from ingest.records import IngestError
from ingest.repair import repair
from tests.test_pdf_layout import FONT, VERTICAL_FONT, canvas_for

LIMIT = 50 * 1024 * 1024
LINES = [
    "令和５年６月１４日、亀山市とリヨン第三大学は",
    "学術交流に関する協定を締結しました。",
    "市内企業６社の代表者が訪問団として参加しました。",
]


def page_image(lines: list[str], *, vertical: bool = False):
    """One page of real Japanese text as a 300 dpi grey image, as a scanner would give it."""
    buffer = io.BytesIO()
    pdf = canvas_for(buffer, landscape=vertical)
    if vertical:
        pdf.setFont(VERTICAL_FONT, 16)
        for index, line in enumerate(lines):
            pdf.drawString(780 - 34 * index, 540, line)
    else:
        pdf.setFont(FONT, 16)
        for row, line in enumerate(lines):
            pdf.drawString(60, 760 - 34 * row, line)
    pdf.showPage()
    pdf.save()
    return next(render_pages(buffer.getvalue(), [1]))[1]


def image_only_pdf(path: Path, images) -> Path:
    first, *rest = images
    first.save(path, format="PDF", resolution=300.0, save_all=True, append_images=rest)
    return path


pytestmark = pytest.mark.slow  # Tesseract takes a few seconds a page


@pytest.fixture(scope="module")
def scanned_report(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("scan")
    return image_only_pdf(folder / "signed_agreement.pdf", [page_image(LINES)])


@pytest.fixture(scope="module")
def loaded_scan(scanned_report):
    return load_report(scanned_report, max_bytes=LIMIT)


def test_a_scanned_page_is_read_and_marked_as_ocr(loaded_scan):
    # NFKC: a scan cannot show whether a digit was full- or half-width (６ or 6)
    assert character_accuracy("".join(LINES), loaded_scan.text, nfkc=True) >= 0.95, loaded_scan.text
    assert [(page.number, page.ocr) for page in loaded_scan.pages] == [(1, True)]


def test_chunks_of_a_scanned_page_say_they_were_read_by_ocr(loaded_scan):
    chunks = chunk_report(repair(loaded_scan), max_chars=400)

    assert chunks
    assert all(chunk.metadata()["ocr"] is True for chunk in chunks)
    assert all(chunk.page == 1 for chunk in chunks)


def test_only_the_scanned_page_of_a_mixed_pdf_is_ocr_and_a_blank_page_is_not(tmp_path):
    from pypdf import PdfWriter

    typed = tmp_path / "typed.pdf"
    pdf = canvas_for(typed)
    pdf.setFont(FONT, 12)
    pdf.drawString(60, 780, "第１ページは文字情報のあるページです。")
    pdf.showPage()
    pdf.save()
    scanned = image_only_pdf(tmp_path / "scan.pdf", [page_image(LINES)])
    writer = PdfWriter()
    writer.append(str(typed))
    writer.append(str(scanned))
    writer.add_blank_page(width=595, height=842)
    writer.write(tmp_path / "mixed.pdf")

    report = load_report(tmp_path / "mixed.pdf", max_bytes=LIMIT)

    assert [(page.number, page.ocr) for page in report.pages] == [(1, False), (2, True), (3, False)]
    assert report.text.startswith("第１ページは文字情報のあるページです。")


def test_a_vertical_scan_is_read_with_the_vertical_model():
    image = page_image(LINES, vertical=True)

    assert is_vertical_text(image)
    assert not is_vertical_text(page_image(LINES))
    text = TesseractEngine.find().read(image)
    assert character_accuracy("".join(LINES), text, nfkc=True) >= 0.9, text


def test_a_grainy_slightly_turned_scan_is_still_read():
    import numpy as np
    from PIL import Image

    clean = page_image(LINES).rotate(0.7, fillcolor=255)
    rng = np.random.default_rng(7)
    pixels = np.asarray(clean, dtype=np.float32) + rng.normal(0, 18, clean.size[::-1])
    grainy = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))

    assert denoised(clean) is clean  # clean paper is left alone
    text = TesseractEngine.find().read(grainy)
    assert character_accuracy("".join(LINES), text, nfkc=True) >= 0.9, text


def test_spaces_tesseract_puts_between_japanese_characters_are_removed():
    assert tidy_ocr_text("令 和 ５ 年 の ARD Lyon 協 定 \n\n\n\n次 の 段 落") == (
        "令和５年のARD Lyon協定\n\n次の段落"
    )


def test_a_page_with_no_writing_on_it_is_refused_after_ocr(tmp_path):
    from PIL import Image, ImageDraw

    image = Image.new("L", (2480, 3508), 255)
    ImageDraw.Draw(image).rectangle((300, 400, 1500, 1200), fill=0)
    path = image_only_pdf(tmp_path / "photo.pdf", [image])

    with pytest.raises(IngestError) as info:
        load_report(path, max_bytes=LIMIT)

    message = str(info.value)
    assert message.startswith("photo.pdf: ")
    assert "文字を読み取れません" in message and "テキストファイル" in message


def test_without_tesseract_a_scan_is_refused_saying_what_to_install(
    scanned_report, tmp_path, monkeypatch
):
    monkeypatch.setenv("PATH", str(tmp_path))  # a machine where tesseract is not installed

    with pytest.raises(OcrUnavailable):
        TesseractEngine.find()
    with pytest.raises(IngestError) as info:
        load_report(scanned_report, max_bytes=LIMIT)

    message = str(info.value)
    assert message.startswith("signed_agreement.pdf: ")
    for words in ("テキストレイヤー", "OCR", "make ocr", "テキストファイル"):
        assert words in message, message
