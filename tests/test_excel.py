"""Excel workbooks: each visible sheet is a section, each row a line labelled with its column
headings, and every workbook that cannot be read gets a Japanese message naming it."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest

from ingest import excel, office
from ingest.loaders import load_report
from ingest.records import IngestError
from ingest.repair import repair

LIMIT = 50 * 1024 * 1024


def make_workbook(path: Path) -> Path:
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.properties.title = "亀山市リヨン訪問団の記録"
    schedule = workbook.active
    schedule.title = "視察日程"
    schedule.append(["令和5年度 リヨン訪問団 日程"])
    schedule.append(["日付", "行程", "場所"])
    schedule.append([dt.datetime(2023, 6, 14), "協定調印式", "リヨン第三大学"])
    schedule["A3"].number_format = 'm"月"d"日"'
    schedule.append([dt.datetime(2023, 6, 15, 9, 30), "企業訪問", None])
    schedule["A4"].number_format = "yyyy/m/d h:mm"
    schedule.append([dt.date(2023, 6, 16), "帰国"])
    schedule["A5"].number_format = "ggge年m月d日"
    budget = workbook.create_sheet("予算")
    budget.append(["費目", "金額", "割合"])
    budget.append(["旅費", 1200000, 0.25])
    budget["B2"].number_format = "#,##0"
    budget["C2"].number_format = "0%"
    budget.append(["通訳謝金", 180000.0, None])
    lookup = workbook.create_sheet("選択肢")
    lookup.append(["区分", "値"])
    lookup.append(["非表示", "表示されない"])
    lookup.sheet_state = "hidden"
    workbook.create_sheet("空のシート")
    workbook.save(path)
    return path


def load(path: Path):
    return load_report(path, max_bytes=LIMIT)


def load_error(path: Path) -> str:
    with pytest.raises(IngestError) as info:
        load(path)
    return str(info.value)


def test_each_sheet_is_a_section_and_each_row_is_labelled_with_its_headings(tmp_path):
    report = load(make_workbook(tmp_path / "mission.xlsx"))

    assert report.text.split("\n") == [
        "■視察日程",
        "令和5年度 リヨン訪問団 日程",
        "日付：6月14日／行程：協定調印式／場所：リヨン第三大学",
        "日付：2023年6月15日 9:30／行程：企業訪問",
        "日付：令和5年6月16日／行程：帰国",
        "■予算",
        "費目：旅費／金額：1,200,000／割合：25%",
        "費目：通訳謝金／金額：180000",
    ]
    assert report.title == "亀山市リヨン訪問団の記録"
    assert report.pages == ()


def test_repair_keeps_every_row_its_own_line_under_its_sheet(tmp_path):
    repaired = repair(load(make_workbook(tmp_path / "mission.xlsx")))

    assert [name for _, name in repaired.sections] == ["視察日程", "予算"]
    row = "日付：6月14日／行程：協定調印式／場所：リヨン第三大学"
    assert f"\n{row}\n" in repaired.text
    assert repaired.section_at(repaired.text.index(row)) == "視察日程"
    assert repaired.section_at(repaired.text.index("通訳謝金")) == "予算"


def test_a_sheet_without_a_heading_row_gives_its_rows_as_they_are():
    rows = [["訪問団名簿"], ["亀山市長"], ["市内企業6社の代表者"]]
    assert list(excel.sheet_lines(rows)) == ["訪問団名簿", "亀山市長", "市内企業6社の代表者"]


def test_a_first_row_of_dates_or_numbers_is_data_not_headings():
    rows = [["6月14日", "協定調印式"], ["6月15日", "企業訪問"]]
    assert list(excel.sheet_lines(rows)) == ["6月14日 協定調印式", "6月15日 企業訪問"]


def encrypted_copy(source: Path, target: Path) -> Path:
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    with open(source, "rb") as handle:
        OOXMLFile(handle).encrypt("himitsu", out)
    target.write_bytes(out.getvalue())
    return target


def test_a_password_protected_workbook_says_to_remove_the_password(tmp_path):
    path = encrypted_copy(make_workbook(tmp_path / "plain.xlsx"), tmp_path / "locked.xlsx")

    message = load_error(path)

    assert message.startswith("locked.xlsx: ")
    assert "パスワード" in message and "解除して保存し直して" in message


def test_an_old_xls_workbook_renamed_to_xlsx_says_to_save_it_as_xlsx(tmp_path):
    path = tmp_path / "old.xlsx"
    path.write_bytes(office.OLE_SIGNATURE + bytes(4000))

    message = load_error(path)

    assert message.startswith("old.xlsx: ") and ".xls" in message
    assert ".xlsx 形式として保存し直して" in message


@pytest.mark.parametrize(
    "content",
    [b"PK\x03\x04 this is not a zip", "日付,行程\n6月14日,協定調印式\n".encode()],
    ids=["broken zip", "csv renamed"],
)
def test_a_corrupt_workbook_says_it_cannot_be_opened(tmp_path, content):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(content)

    message = load_error(path)

    assert message.startswith("broken.xlsx: ") and "開けません" in message
    assert ".xlsx 形式として保存し直して" in message


def test_a_zip_that_is_not_a_workbook_is_corrupt(tmp_path):
    import zipfile

    path = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(path, "w") as package:
        package.writestr("readme.txt", "報告書ではありません")

    assert "開けません" in load_error(path)


def test_a_workbook_without_values_is_empty(tmp_path):
    import openpyxl

    path = tmp_path / "blank.xlsx"
    openpyxl.Workbook().save(path)

    message = load_error(path)

    assert message.startswith("blank.xlsx: ") and "値の入ったセルがありません" in message


def test_a_workbook_with_too_many_cells_says_to_save_the_needed_part(tmp_path, monkeypatch):
    monkeypatch.setattr(excel, "MAX_CELLS", 5)

    message = load_error(make_workbook(tmp_path / "export.xlsx"))

    assert message.startswith("export.xlsx: ") and "セルが多すぎます" in message
    assert "別のブックに保存して" in message


def test_a_workbook_unpacking_to_too_much_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(office, "MAX_UNPACKED_BYTES", 1000)

    message = load_error(make_workbook(tmp_path / "bomb.xlsx"))

    assert message.startswith("bomb.xlsx: ") and "大きすぎます" in message


def test_a_sheet_whose_stated_size_is_wrong_is_read_whole(tmp_path):
    import re
    import zipfile

    source = make_workbook(tmp_path / "made.xlsx")
    path = tmp_path / "wrong_size.xlsx"
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(path, "w") as copy:
        for member in original.infolist():
            data = original.read(member)
            if member.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1"', data)
            copy.writestr(member, data)

    assert "日付：令和5年6月16日／行程：帰国" in load(path).text
