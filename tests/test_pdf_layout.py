"""PDF text in the order a reader reads it: columns, tables with their headings, running
headers and footers dropped, vertical pages right to left. Every PDF here is a real one drawn
by reportlab, its text drawn row by row across the page so that the drawing order is wrong
and only the geometry gives the reading order."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bench.pdf_testbed import (
    FONT,
    LAYOUTS,
    VERTICAL_FONT,
    character_accuracy,
    register_fonts,
    source_reports,
)
from ingest.pdf_layout import extract_pages, table_lines


def canvas_for(path: Path | io.BytesIO, *, landscape: bool = False):
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.pagesizes import landscape as turned
    from reportlab.pdfgen import canvas

    register_fonts()
    target = path if isinstance(path, io.BytesIO) else str(path)
    return canvas.Canvas(target, pagesize=turned(A4) if landscape else A4)


def text_of(path: Path) -> str:
    return "\n".join(page.text for page in extract_pages(path.read_bytes()))


LEFT = ["平成２４年１１月２０日、津市は", "ARD と経済交流に関する協力", "協定を締結しました。"]
RIGHT = ["翌２１日には OPI とも協定を", "結び、市内企業７社の欧州", "展開を支援することになった。"]


def two_column_pdf(path: Path) -> Path:
    pdf = canvas_for(path)
    pdf.setFont(FONT, 11)
    for row, (left, right) in enumerate(zip(LEFT, RIGHT, strict=True)):
        y = 780 - 20 * row
        pdf.drawString(50, y, left)  # row by row: left line, then the right line beside it
        pdf.drawString(310, y, right)
    pdf.showPage()
    pdf.save()
    return path


def test_two_columns_are_read_left_column_first(tmp_path):
    text = text_of(two_column_pdf(tmp_path / "two.pdf"))

    assert text.split("\n") == LEFT + RIGHT


def test_a_title_across_both_columns_comes_first(tmp_path):
    path = tmp_path / "titled.pdf"
    pdf = canvas_for(path)
    pdf.setFont(FONT, 16)
    pdf.drawString(50, 810, "津市の経済交流に関する協力協定の締結について")
    pdf.setFont(FONT, 11)
    for row, (left, right) in enumerate(zip(LEFT, RIGHT, strict=True)):
        pdf.drawString(310, 780 - 20 * row, right)  # right column drawn first, even
        pdf.drawString(50, 780 - 20 * row, left)
    pdf.showPage()
    pdf.save()

    lines = text_of(path).split("\n")

    assert lines == ["津市の経済交流に関する協力協定の締結について", *LEFT, *RIGHT]


def test_running_header_footer_and_page_numbers_are_dropped(tmp_path):
    path = tmp_path / "pages.pdf"
    bodies = [LEFT, RIGHT, ["今後の展望", "相互訪問を続けることを確認した。"]]
    pdf = canvas_for(path)
    for number, body in enumerate(bodies, start=1):
        pdf.setFont(FONT, 8)
        pdf.drawString(50, 815, "津市国際交流レポート　第１２号")
        pdf.drawCentredString(297, 30, f"- {number} -")
        pdf.setFont(FONT, 11)
        for row, line in enumerate(body):
            pdf.drawString(50, 760 - 20 * row, line)
        pdf.showPage()
    pdf.save()

    pages = extract_pages(path.read_bytes())

    assert [page.text.split("\n") for page in pages] == bodies


def test_a_lone_line_of_a_one_page_report_is_kept(tmp_path):
    path = tmp_path / "one.pdf"
    pdf = canvas_for(path)
    pdf.setFont(FONT, 11)
    pdf.drawString(50, 780, "訪問団は６月１４日に協定調印式に臨んだ。")
    pdf.showPage()
    pdf.save()

    assert text_of(path) == "訪問団は６月１４日に協定調印式に臨んだ。"


def ruled_table(pdf, top: float, rows: list[list[str]], widths: list[float]) -> None:
    height = 22
    for r, row in enumerate(rows):
        x = 50.0
        for cell, width in zip(row, widths, strict=True):
            y = top - (r + 1) * height
            pdf.rect(x, y, width, height)
            pdf.drawString(x + 4, y + 7, cell)
            x += width


def test_a_ruled_table_keeps_each_row_with_its_column_headings(tmp_path):
    path = tmp_path / "schedule.pdf"
    pdf = canvas_for(path)
    pdf.setFont(FONT, 11)
    pdf.drawString(50, 790, "訪問団の行程は次のとおり。")
    rows = [["日付", "行程"], ["6月13日", "リヨン到着"], ["6月14日", "協定調印式"]]
    ruled_table(pdf, 770, rows, [120, 300])
    pdf.drawString(50, 680, "以上の日程で実施した。")
    pdf.showPage()
    pdf.save()

    lines = text_of(path).split("\n")

    assert lines == [
        "訪問団の行程は次のとおり。",
        "日付：6月13日／行程：リヨン到着",
        "日付：6月14日／行程：協定調印式",
        "以上の日程で実施した。",
    ]


def test_table_lines_leave_out_empty_cells():
    rows = [["日付", "行程", "備考"], ["6月14日", "協定調印式", ""]]

    assert table_lines(rows) == ["日付：6月14日／行程：協定調印式"]


def test_a_vertical_page_is_read_column_by_column_from_the_right(tmp_path):
    path = tmp_path / "tate.pdf"
    columns = ["令和５年６月１４日、亀山市と", "リヨン第三大学は協定を", "締結しました。"]
    pdf = canvas_for(path, landscape=True)
    pdf.setFont(VERTICAL_FONT, 12)
    for index in reversed(range(len(columns))):  # drawn left to right: the wrong order
        pdf.drawString(760 - 24 * index, 550, columns[index])
    pdf.showPage()
    pdf.save()

    pages = extract_pages(path.read_bytes())

    assert pages[0].vertical
    assert pages[0].text.split("\n") == columns


def test_a_page_without_characters_is_left_empty_for_ocr(tmp_path):
    path = tmp_path / "picture.pdf"
    pdf = canvas_for(path)
    pdf.rect(50, 500, 300, 200, fill=1)
    pdf.showPage()
    pdf.save()

    assert [page.text for page in extract_pages(path.read_bytes())] == [""]


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_test_bed_layouts_come_out_whole(tmp_path, layout):
    """Each shape of the test bed (bench/pdf_testbed.py), made from one fixture report: at
    least 98 % of the characters in the right order (bench/RESULTS.md has all reports)."""
    report = next(r for r in source_reports() if r.name == "matsusaka_2013_lyon_agreement")
    path = tmp_path / f"{layout}.pdf"
    pages = LAYOUTS[layout](path, report)
    truth = "\n".join("\n".join(page.truth) for page in pages)

    assert character_accuracy(truth, text_of(path)) >= 0.98
