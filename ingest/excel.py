"""Excel workbooks (.xlsx) as report text: each visible sheet a section, each row a line.

Participant lists, schedules and budgets arrive as workbooks. A fact in a cell means
something only with its column's heading and its sheet, so a sheet becomes

    ■日程
    日付：6月14日／行程：協定調印式／場所：リヨン市庁舎

(the sheet's name as a section heading; each row after the heading row as its filled
cells, each after its heading). Rows above the heading row (a sheet's title) stay plain
lines. Hidden sheets are left out: they hold lookup lists, not what the user shows.
Values are shown as Excel shows them where it matters for reading: dates as 「2023年6月14日」
(without the year when the cell's format has none), percentages as 「25%」, whole numbers
without 「.0」. Formulas give the value Excel last saved (openpyxl does not calculate).
"""

from __future__ import annotations

import datetime as dt
import io
import warnings
from collections.abc import Iterator, Sequence

from ingest.office import (
    EXCEL,
    check_package,
    corrupt_message,
    labelled_row,
    looks_like_headings,
    one_line,
)
from ingest.records import IngestError

MAX_CELLS = 500_000  # filled cells; more is a data export, not a report
SHEET_HEADING_MAX_CHARS = 60


def extract_workbook(data: bytes, source: str, heading_mark: str) -> tuple[str, str]:
    """``(text, title)`` of the workbook in ``data``; ``heading_mark`` starts section lines."""
    check_package(data, source, EXCEL)
    import openpyxl

    # openpyxl warns in English about parts it skips (data validation, conditional formats);
    # they do not touch the cell values read here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl, zipfile and lxml each raise their own errors
            raise IngestError(corrupt_message(source, EXCEL)) from exc
        try:
            title = workbook.properties.title or ""
            lines = list(_workbook_lines(workbook, source, heading_mark))
        except IngestError:
            raise
        except Exception as exc:  # a damaged sheet part shows only when it is read
            raise IngestError(corrupt_message(source, EXCEL)) from exc
        finally:
            workbook.close()
    if not lines:
        raise IngestError(
            f"{source}: どのシートにも値の入ったセルがありません。内容のあるブックを追加してください。"
        )
    return "\n".join(lines), title


def _workbook_lines(workbook, source: str, heading_mark: str) -> Iterator[str]:
    cells = 0
    for sheet in workbook.worksheets:
        if sheet.sheet_state != "visible":
            continue
        # Some tools write a wrong <dimension> (often "A1"); read-only mode would trust it.
        sheet.reset_dimensions()
        rows = []
        for row in sheet.iter_rows():
            texts = [_cell_text(cell) for cell in row]
            while texts and not texts[-1]:
                texts.pop()
            if not texts:
                continue
            cells += sum(1 for text in texts if text)
            if cells > MAX_CELLS:
                raise IngestError(
                    f"{source}: 値の入ったセルが多すぎます（{MAX_CELLS:,} 個を超えています）。"
                    "報告に必要なシートや範囲だけを別のブックに保存して追加してください。"
                )
            rows.append(texts)
        if rows:
            yield heading_mark + one_line(sheet.title)[:SHEET_HEADING_MAX_CHARS]
            yield from sheet_lines(rows)


def sheet_lines(rows: Sequence[Sequence[str]]) -> Iterator[str]:
    """A sheet's filled rows as lines: the first row naming two or more columns is the
    heading row, and every row after it is labelled with it."""
    headings: Sequence[str] | None = None
    for index, cells in enumerate(rows):
        if headings is None and index + 1 < len(rows) and looks_like_headings(cells):
            headings = cells
            continue
        if headings is None:
            yield " ".join(cell for cell in cells if cell)
        else:
            yield labelled_row(headings, cells)


def _cell_text(cell) -> str:
    value = getattr(cell, "value", None)
    if value is None:
        return ""
    number_format = (getattr(cell, "number_format", "") or "").lower()
    if isinstance(value, dt.datetime):
        return _date_text(value, number_format, with_time=value.time() != dt.time(0))
    if isinstance(value, dt.date):
        return _date_text(value, number_format, with_time=False)
    if isinstance(value, dt.time):
        return f"{value.hour}:{value.minute:02d}"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return _number_text(value, number_format)
    return one_line(str(value))


# Japanese eras as Excel's 「ggge年」 formats show them: (first day, name).
_ERAS = (
    (dt.date(2019, 5, 1), "令和"),
    (dt.date(1989, 1, 8), "平成"),
    (dt.date(1926, 12, 25), "昭和"),
)


def _date_text(value: dt.date, number_format: str, *, with_time: bool) -> str:
    # A format such as 'm"月"d"日"' shows no year: neither does the text.
    era = _era_year(value) if "g" in number_format and "e" in number_format else None
    shows_year = "y" in number_format or era is not None or "m" not in number_format
    text = f"{value.month}月{value.day}日"
    if shows_year:
        text = f"{era or value.year}年" + text
    if with_time and isinstance(value, dt.datetime):
        text += f" {value.hour}:{value.minute:02d}"
    return text


def _era_year(value: dt.date) -> str | None:
    day = value.date() if isinstance(value, dt.datetime) else value
    for first, name in _ERAS:
        if day >= first:
            return f"{name}{day.year - first.year + 1}"
    return None


def _number_text(value: float, number_format: str) -> str:
    if "%" in number_format:
        return f"{value * 100:.15g}%"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and "#,##0" in number_format:
        return f"{value:,}"
    return f"{value:.15g}" if isinstance(value, float) else str(value)
