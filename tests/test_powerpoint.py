"""PowerPoint presentations: each slide is a page and a section named after it, its text in
reading order, its tables labelled with their headings, its notes kept; decks that cannot
be read get a Japanese message naming the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest import office
from ingest.loaders import load_report
from ingest.records import IngestError
from ingest.repair import repair

LIMIT = 50 * 1024 * 1024


def make_deck(path: Path) -> Path:
    import pptx
    from pptx.util import Inches

    deck = pptx.Presentation()
    deck.core_properties.title = "亀山市リヨン訪問報告"
    cover = deck.slides.add_slide(deck.slide_layouts[0])
    cover.shapes.title.text = "亀山市 リヨン訪問報告"
    cover.placeholders[1].text = "令和5年6月 国際交流課"

    members = deck.slides.add_slide(deck.slide_layouts[1])
    members.shapes.title.text = "訪問団"
    body = members.placeholders[1].text_frame
    body.text = "団長：亀山市長"
    body.add_paragraph().text = "市内企業6社の代表者が参加"
    members.notes_slide.notes_text_frame.text = "参加者は合計18名でした。"
    # A text box placed lower on the slide, but added before the one above it.
    low = members.shapes.add_textbox(Inches(1), Inches(6.5), Inches(6), Inches(0.5))
    low.text_frame.text = "（敬称略）"
    high = members.shapes.add_textbox(Inches(1), Inches(5.5), Inches(6), Inches(0.5))
    high.text_frame.text = "通訳1名が同行"

    schedule = deck.slides.add_slide(deck.slide_layouts[5])
    schedule.shapes.title.text = "視察日程"
    table = schedule.shapes.add_table(3, 2, Inches(1), Inches(2), Inches(6), Inches(2)).table
    rows = [["日付", "行程"], ["6月14日", "協定調印式"], ["6月15日", "企業訪問"]]
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            table.cell(r, c).text = text

    deck.slides.add_slide(deck.slide_layouts[6])  # a blank slide (a picture, say)
    deck.save(path)
    return path


def load(path: Path):
    return load_report(path, max_bytes=LIMIT)


def load_error(path: Path) -> str:
    with pytest.raises(IngestError) as info:
        load(path)
    return str(info.value)


def test_each_slide_is_a_page_headed_by_its_number_and_title(tmp_path):
    report = load(make_deck(tmp_path / "mission.pptx"))

    slides = [report.text[page.start : page.end].split("\n") for page in report.pages]
    assert slides == [
        ["■スライド1：亀山市 リヨン訪問報告", "令和5年6月 国際交流課"],
        [
            "■スライド2：訪問団",
            "団長：亀山市長",
            "市内企業6社の代表者が参加",
            "通訳1名が同行",
            "（敬称略）",
            "ノート：参加者は合計18名でした。",
        ],
        [
            "■スライド3：視察日程",
            "日付：6月14日／行程：協定調印式",
            "日付：6月15日／行程：企業訪問",
        ],
        ["■スライド4"],
    ]
    assert [page.number for page in report.pages] == [1, 2, 3, 4]
    assert report.title == "亀山市リヨン訪問報告"


def test_repair_keeps_slides_as_sections_and_lines_apart(tmp_path):
    repaired = repair(load(make_deck(tmp_path / "mission.pptx")))

    offset = repaired.text.index("日付：6月14日／行程：協定調印式")
    assert repaired.section_at(offset) == "スライド3：視察日程"
    assert repaired.page_at(offset) == 3
    assert "\n市内企業6社の代表者が参加\n" in repaired.text


def test_a_deck_without_a_document_title_is_titled_by_its_first_slide(tmp_path):
    import pptx

    path = make_deck(tmp_path / "mission.pptx")
    deck = pptx.Presentation(path)
    deck.core_properties.title = ""
    deck.save(path)

    assert load(path).title == "亀山市 リヨン訪問報告"


def test_a_deck_without_any_text_is_refused(tmp_path):
    import pptx

    deck = pptx.Presentation()
    deck.slides.add_slide(deck.slide_layouts[6])
    path = tmp_path / "pictures.pptx"
    deck.save(path)

    message = load_error(path)

    assert message.startswith("pictures.pptx: ") and "文字がありません" in message


def test_a_password_protected_deck_says_to_remove_the_password(tmp_path):
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = make_deck(tmp_path / "plain.pptx")
    locked = tmp_path / "locked.pptx"
    with open(plain, "rb") as source, open(locked, "wb") as target:
        OOXMLFile(source).encrypt("himitsu", target)

    message = load_error(locked)

    assert message.startswith("locked.pptx: ") and "PowerPoint" in message
    assert "パスワード" in message and "解除して保存し直して" in message


def test_an_old_ppt_renamed_to_pptx_says_to_save_it_as_pptx(tmp_path):
    path = tmp_path / "old.pptx"
    path.write_bytes(office.OLE_SIGNATURE + bytes(4000))

    assert ".pptx 形式として保存し直して" in load_error(path)


def test_a_workbook_renamed_to_pptx_is_corrupt(tmp_path):
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active.append(["日付", "行程"])
    path = tmp_path / "renamed.pptx"
    workbook.save(path)

    message = load_error(path)

    assert message.startswith("renamed.pptx: ") and "開けません" in message


def test_untitled_slides_alike_keep_their_sections_and_footers_are_left_out(tmp_path):
    import pptx
    from pptx.util import Inches

    deck = pptx.Presentation()
    for number in range(1, 5):
        slide = deck.slides.add_slide(deck.slide_layouts[6])
        box = slide.shapes.add_textbox(Inches(1), Inches(1), Inches(6), Inches(1))
        box.text_frame.text = f"第{number}回の協議を行いました。"
    with_footer = deck.slides.add_slide(deck.slide_layouts[1])  # its layout has a footer
    with_footer.shapes.title.text = "まとめ"
    with_footer.placeholders[1].text = "協議は4回でした。"
    footer = with_footer.shapes.add_textbox(Inches(1), Inches(7), Inches(3), Inches(0.3))
    footer.text_frame.text = "亀山市国際交流課"
    path = tmp_path / "talks.pptx"
    deck.save(path)

    repaired = repair(load(path))

    assert [name for _, name in repaired.sections] == [
        "スライド1",
        "スライド2",
        "スライド3",
        "スライド4",
        "スライド5：まとめ",
    ]
    assert repaired.page_at(repaired.text.index("第3回の協議")) == 3
    # A text box the author drew is content, wherever it sits.
    assert "亀山市国際交流課" in repaired.text


def test_footer_date_and_slide_number_placeholders_are_not_read(tmp_path):
    import copy

    import pptx

    deck = pptx.Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[1])
    slide.shapes.title.text = "訪問団"
    slide.placeholders[1].text = "市内企業6社の代表者が参加"
    layout_furniture = [
        shape
        for shape in deck.slide_layouts[1].placeholders
        if shape.placeholder_format.type in (13, 15, 16)  # slide number, footer, date
    ]
    assert layout_furniture
    for shape in layout_furniture:
        element = copy.deepcopy(shape._element)
        slide.shapes._spTree.append(element)
    for shape in slide.placeholders:
        if shape.placeholder_format.type in (13, 15, 16):
            shape.text_frame.text = "フッター：国際交流課 3"
    path = tmp_path / "footer.pptx"
    deck.save(path)

    assert "フッター" not in load(path).text
