"""PowerPoint presentations (.pptx) as report text: each slide a page and a section.

Mission reports are often slide decks. A slide becomes

    ■スライド3：視察日程
    (its text boxes, top to bottom and left to right, one line per paragraph)
    日付：6月14日／行程：協定調印式   (a table row after its heading row)
    ノート：(the speaker's notes, which often hold the figures the slide only hints at)

The heading names the slide and its title, so an answer's source says which slide it
quotes; each slide is a page of the loaded report, so the citation's page is the slide.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

from ingest.office import (
    POWERPOINT,
    check_package,
    corrupt_message,
    labelled_row,
    looks_like_headings,
    one_line,
)
from ingest.records import IngestError

SLIDE_HEADING_MAX_CHARS = 60
NOTES_LABEL = "ノート："


def extract_presentation(data: bytes, source: str, heading_mark: str) -> tuple[list[str], str]:
    """``(one text per slide, title)`` of the presentation in ``data``."""
    check_package(data, source, POWERPOINT)
    import pptx

    try:
        presentation = pptx.Presentation(io.BytesIO(data))
        # Without a document title, the first slide's title names the deck.
        title = presentation.core_properties.title or _title_of(presentation.slides)
        slides = [
            list(_slide_lines(slide, number, heading_mark))
            for number, slide in enumerate(presentation.slides, start=1)
        ]
    except Exception as exc:  # python-pptx, zipfile and lxml each raise their own errors
        raise IngestError(corrupt_message(source, POWERPOINT)) from exc
    if not any(_has_text(lines, number, heading_mark) for number, lines in enumerate(slides, 1)):
        raise IngestError(
            f"{source}: どのスライドにも文字がありません（画像の中の文字は読めません）。"
            "文字の入ったプレゼンテーションを追加してください。"
        )
    return ["\n".join(lines) for lines in slides], title


def _has_text(lines: list[str], number: int, heading_mark: str) -> bool:
    """More than the bare 「スライドN」 heading: a title, a text box, a table or notes."""
    return len(lines) > 1 or lines[0] != f"{heading_mark}スライド{number}"


def _title_of(slides) -> str:
    return _slide_title(slides[0]) if len(slides) else ""


def _slide_title(slide) -> str:
    shape = slide.shapes.title
    return one_line(shape.text_frame.text) if shape is not None else ""


def _slide_lines(slide, number: int, heading_mark: str) -> Iterator[str]:
    title_shape = slide.shapes.title
    title = _slide_title(slide)
    heading = f"スライド{number}：{title}" if title else f"スライド{number}"
    yield heading_mark + heading[:SLIDE_HEADING_MAX_CHARS]
    for shape in _in_reading_order(slide.shapes):
        if title_shape is not None and shape.shape_id == title_shape.shape_id:
            continue
        if _is_furniture(shape):
            continue
        yield from _shape_lines(shape)
    if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
        for paragraph in slide.notes_slide.notes_text_frame.paragraphs:
            if text := one_line(paragraph.text):
                yield NOTES_LABEL + text


def _is_furniture(shape) -> bool:
    """The footer, date and slide number PowerPoint repeats on every slide."""
    from pptx.enum.shapes import PP_PLACEHOLDER

    if not shape.is_placeholder:
        return False
    return shape.placeholder_format.type in (
        PP_PLACEHOLDER.FOOTER,
        PP_PLACEHOLDER.DATE,
        PP_PLACEHOLDER.SLIDE_NUMBER,
    )


def _in_reading_order(shapes) -> list:
    """Top to bottom, then left to right (a placeholder without its own position has the
    layout's)."""
    return sorted(shapes, key=lambda shape: (shape.top or 0, shape.left or 0))


def _shape_lines(shape) -> Iterator[str]:
    if shape.has_text_frame:
        for paragraph in shape.text_frame.paragraphs:
            if text := one_line(paragraph.text):
                yield text
    if getattr(shape, "has_table", False) and shape.has_table:
        yield from _table_lines(shape.table)
    if hasattr(shape, "shapes"):  # a group
        for member in _in_reading_order(shape.shapes):
            yield from _shape_lines(member)


def _table_lines(table) -> Iterator[str]:
    rows = [[one_line(cell.text) for cell in row.cells] for row in table.rows]
    headings = rows[0] if rows and len(rows) > 1 and _has_heading_row(table, rows[0]) else None
    for cells in rows[1:] if headings else rows:
        line = labelled_row(headings, cells) if headings else "\t".join(cells).strip()
        if line:
            yield line


def _has_heading_row(table, first_row: list[str]) -> bool:
    # PowerPoint marks it (「タイトル行」, on by default); a table drawn without the mark
    # may still start with its headings.
    return table.first_row or looks_like_headings(first_row)
