"""Loading report files: every format users add, every encoding they save in, and a clear
Japanese message naming the file for every input that cannot be loaded."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from ingest.loaders import SUPPORTED_EXTENSIONS, decode_text, detect_encoding, load_report
from ingest.records import IngestError

SEED_REPORT = (
    Path(__file__).resolve().parent.parent / "corpus" / "tsu_2012_europe_economic_agreements.txt"
)
LIMIT = 50 * 1024 * 1024
NOBODY = 65534


def load(path: Path, **kwargs):
    return load_report(path, max_bytes=kwargs.pop("max_bytes", LIMIT), **kwargs)


def load_error(path: Path, **kwargs) -> str:
    with pytest.raises(IngestError) as info:
        load(path, **kwargs)
    return str(info.value)


@pytest.fixture(scope="module")
def seed_text() -> str:
    return SEED_REPORT.read_text(encoding="utf-8")


# --- files made for the tests ------------------------------------------------------------


def make_pdf(path: Path, pages: list[list[str]], *, title: str | None = None) -> Path:
    """A real PDF whose Japanese text is drawn with a built-in CID font, one list per page."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("HeiseiMin-W3"))
    pdf = canvas.Canvas(str(path))
    if title:
        pdf.setTitle(title)
    for lines in pages:
        pdf.setFont("HeiseiMin-W3", 12)
        for row, line in enumerate(lines):
            pdf.drawString(50, 780 - 20 * row, line)
        pdf.showPage()
    pdf.save()
    return path


def make_scanned_pdf(path: Path) -> Path:
    """A page with only shapes: what a scan without OCR looks like to a text extractor."""
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path))
    pdf.rect(50, 500, 300, 200, fill=1)
    pdf.circle(300, 300, 80)
    pdf.showPage()
    pdf.save()
    return path


def encrypt_pdf(source: Path, target: Path, *, user_password: str, **options) -> Path:
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=source)
    writer.encrypt(user_password, **options)
    with open(target, "wb") as handle:
        writer.write(handle)
    return target


THREE_PAGES = [
    [
        "津市の経済交流に関する協力協定の締結について",
        "平成２４年１１月２０日、ARD と協定を締結しました。",
    ],
    ["ジュネーブ州産業振興機構（OPI）との協定", "翌２１日にはOPIと協力協定を締結しました。"],
    ["今後の展望", "市内中小企業７社が欧州ミッション団に参加しました。"],
]


# --- text files: encodings ----------------------------------------------------------------


def cp932_representable(text: str) -> str:
    # cp932 has no "Î" or "é" (in "Île-de-France", "Développement"); Shift_JIS users type
    # the plain letters, so the cp932 copy of the seed report uses them too.
    return text.replace("Î", "I").replace("é", "e")


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("utf-8", lambda t: t.encode("utf-8")),
        ("utf-8-sig", lambda t: t.encode("utf-8-sig")),
        ("utf-16", lambda t: t.encode("utf-16")),  # BOM, little-endian here
        ("utf-16", lambda t: "\ufeff".encode("utf-16-be") + t.encode("utf-16-be")),
        ("euc_jp", lambda t: t.encode("euc_jp")),
        ("cp932", lambda t: cp932_representable(t).encode("cp932")),
    ],
    ids=["utf-8", "utf-8-sig", "utf-16-le", "utf-16-be", "euc_jp", "cp932"],
)
def test_seed_report_in_any_encoding_loads_as_the_same_text(tmp_path, seed_text, encoding, encode):
    expected = cp932_representable(seed_text) if encoding == "cp932" else seed_text
    path = tmp_path / "report.txt"
    path.write_bytes(encode(seed_text))

    report = load(path)

    assert report.text == expected
    assert report.encoding == encoding


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_saved_without_a_byte_order_mark_is_text_not_binary(tmp_path, seed_text, encoding):
    path = tmp_path / "report.txt"
    path.write_bytes(seed_text.encode(encoding))

    report = load(path)

    assert report.text == seed_text
    assert report.encoding == encoding


def test_short_utf16_without_a_byte_order_mark_is_detected(tmp_path):
    path = tmp_path / "short.txt"
    path.write_bytes("■一\n尾鷲市は2018年にブレスト市と協定を締結しました。\n".encode("utf-16-le"))

    assert "ブレスト市" in load(path).text


def test_windows_newlines_become_line_feeds_and_nothing_else_changes(tmp_path, seed_text):
    path = tmp_path / "report.txt"
    path.write_bytes(seed_text.replace("\n", "\r\n").encode("cp932", errors="replace"))

    report = load(path)

    assert "\r" not in report.text
    assert (
        report.text.splitlines()
        == seed_text.encode("cp932", "replace").decode("cp932").splitlines()
    )


SNIPPETS = [
    "津市",
    "協力協定",
    "ジュネーブ",
    "締結しました。",
    "平成２４年１１月２０日",
    "ARDとの協定",
]


@pytest.mark.parametrize(
    ("snippet", "encoding"),
    [(snippet, encoding) for snippet in SNIPPETS for encoding in ("cp932", "euc_jp")]
    + [("①協定の概要", "cp932")]  # circled digits exist only in cp932
    + [("平", "euc_jp"), ("■ARD", "euc_jp")],  # valid UTF-8 by accident; a symbol and ASCII
)
def test_short_japanese_text_is_decoded_correctly(snippet, encoding):
    # charset-normalizer reads most of these as big5, cp949 or UTF-16: it is not used.
    data = snippet.encode(encoding)

    assert decode_text(data, "snippet.txt") == (snippet, encoding)
    assert data.decode(detect_encoding(data)) == snippet


def test_iso2022_jp_text_is_decoded(tmp_path):
    text = "件名：協定書の最終案\n署名欄の肩書きをご確認ください。\n"
    path = tmp_path / "mail.txt"
    path.write_bytes(text.encode("iso2022_jp"))

    report = load(path)

    assert report.text == text
    assert report.encoding.startswith("iso2022_jp")


def test_french_text_saved_by_windows_is_not_mistaken_for_japanese(tmp_path):
    text = "Agence Régionale de Développement Paris Île-de-France\nCoopération économique\n"
    path = tmp_path / "ard.txt"
    path.write_bytes(text.encode("cp1252"))

    assert load(path).text == text


def test_markdown_title_comes_from_its_first_heading_without_the_hashes(tmp_path):
    path = tmp_path / "mission.md"
    path.write_text("\n# 桑名市の欧州ミッション\n\n本文です。\n", encoding="utf-8")

    report = load(path)

    assert report.title == "桑名市の欧州ミッション"
    assert report.text == "\n# 桑名市の欧州ミッション\n\n本文です。\n"


def test_text_report_title_is_its_first_line_and_source_defaults_to_file_name(tmp_path, seed_text):
    path = tmp_path / "tsu.txt"
    path.write_text(seed_text, encoding="utf-8")

    report = load(path)

    assert report.title == "津市の経済交流に関する協力協定の締結について"
    assert report.source == "tsu.txt"
    assert report.path == str(path)
    assert report.pages == ()


def test_long_first_line_is_cut_to_80_characters_for_the_title(tmp_path):
    path = tmp_path / "long.txt"
    path.write_text("あ" * 200 + "\n本文", encoding="utf-8")

    assert load(path).title == "あ" * 80


def test_sidecar_metadata_is_kept_and_its_title_wins(tmp_path, seed_text):
    path = tmp_path / "tsu.txt"
    path.write_text(seed_text, encoding="utf-8")
    meta = {"title": "津市と欧州の協力協定", "date": "2012-11", "publisher": "CLAIR パリ事務所"}
    (tmp_path / "tsu.txt.meta.json").write_text(json.dumps(meta, ensure_ascii=False), "utf-8")

    report = load(path)

    assert report.title == "津市と欧州の協力協定"
    assert report.metadata == meta


def test_broken_sidecar_names_the_report_and_the_sidecar(tmp_path):
    path = tmp_path / "tsu.txt"
    path.write_text("本文", encoding="utf-8")
    (tmp_path / "tsu.txt.meta.json").write_text('{"title": "津市",\n "date": }', "utf-8")

    message = load_error(path)

    assert message.startswith("tsu.txt: ")
    assert "tsu.txt.meta.json" in message
    assert "2 行目" in message


# --- PDF ----------------------------------------------------------------------------------


def test_pdf_pages_map_text_offsets_to_page_numbers(tmp_path):
    path = make_pdf(tmp_path / "report.pdf", THREE_PAGES, title="津市と欧州の協力協定")

    report = load(path)

    assert [page.number for page in report.pages] == [1, 2, 3]
    phrase = "翌２１日にはOPIと協力協定を締結しました。"
    offset = report.text.index(phrase)
    page = next(p for p in report.pages if p.start <= offset < p.end)
    assert page.number == 2
    for span, lines in zip(report.pages, THREE_PAGES, strict=True):
        assert all(line in report.text[span.start : span.end] for line in lines)
    assert report.text[report.pages[0].end : report.pages[1].start] == "\n\n"
    assert report.title == "津市と欧州の協力協定"
    assert report.encoding is None


def test_pdf_without_a_title_is_titled_by_its_first_line(tmp_path):
    path = make_pdf(tmp_path / "report.pdf", THREE_PAGES)

    assert load(path).title == "津市の経済交流に関する協力協定の締結について"


def test_pdf_title_left_by_the_authoring_tool_is_not_used(tmp_path):
    path = make_pdf(tmp_path / "report.pdf", THREE_PAGES, title="Microsoft Word - 報告書.docx")

    assert load(path).title == "津市の経済交流に関する協力協定の締結について"


def test_pdf_restricted_only_by_an_owner_password_loads(tmp_path):
    pytest.importorskip("cryptography", reason="pypdf needs cryptography for AES")
    plain = make_pdf(tmp_path / "plain.pdf", THREE_PAGES)
    path = encrypt_pdf(
        plain,
        tmp_path / "restricted.pdf",
        user_password="",
        owner_password="o",
        algorithm="AES-256",
    )

    assert "ジュネーブ州産業振興機構" in load(path).text


def test_pdf_radicals_and_letter_spacing_are_normalised_and_pages_still_fit(tmp_path):
    pages = [
        ["⻲⼭市とリヨン第三⼤学の協定", "さ い た ま 市 は 令 和 6 年 に 参 加"],
        ["6⽉14⽇に協定調印式を⾏いました。"],
    ]
    path = make_pdf(tmp_path / "radicals.pdf", pages, title="⻲⼭市の報告")

    report = load(path)

    assert "亀山市とリヨン第三大学の協定" in report.text
    assert "さいたま市は令和6年に参加" in report.text
    assert report.title == "亀山市の報告"
    second = report.text[report.pages[1].start : report.pages[1].end]
    assert "6月14日に協定調印式を行いました。" in second
    assert not any(0x2E80 <= ord(ch) <= 0x2FDF for ch in report.text)


def test_text_report_with_radicals_is_loaded_with_unified_kanji(tmp_path):
    path = tmp_path / "memo.txt"
    path.write_text("⻲⼭市の訪問\n市内企業6社の代表者が参加しました。\n", encoding="utf-8")

    report = load(path)

    assert report.text == "亀山市の訪問\n市内企業6社の代表者が参加しました。\n"
    assert report.title == "亀山市の訪問"


# --- Word ---------------------------------------------------------------------------------


def make_docx(path: Path) -> Path:
    import docx
    from docx.enum.style import WD_STYLE_TYPE

    document = docx.Document()
    document.core_properties.title = "四日市市とバイエルン州の覚書"
    document.add_paragraph("四日市市とバイエルン州の産業協力に関する覚書", style="Title")
    document.add_heading("これまでの経緯", level=1)
    document.add_paragraph("平成２６年、四日市市はバイエルン州と覚書を締結しました。")
    japanese_heading = document.styles.add_style("見出し 2", WD_STYLE_TYPE.PARAGRAPH)
    document.add_paragraph("日程", style=japanese_heading)
    table = document.add_table(rows=2, cols=3)
    for cell, text in zip(table.rows[0].cells, ["日付", "訪問先", "内容"], strict=True):
        cell.text = text
    for cell, text in zip(
        table.rows[1].cells, ["５月１９日", "ミュンヘン", "協定調印式"], strict=True
    ):
        cell.text = text
    document.add_paragraph("以上のとおり報告します。")
    document.save(str(path))
    return path


def test_docx_headings_are_marked_and_table_rows_are_labelled_with_their_headings(tmp_path):
    report = load(make_docx(tmp_path / "memo.docx"))

    lines = report.text.split("\n")
    assert lines == [
        "四日市市とバイエルン州の産業協力に関する覚書",
        "■これまでの経緯",
        "平成２６年、四日市市はバイエルン州と覚書を締結しました。",
        "■日程",
        "日付：５月１９日／訪問先：ミュンヘン／内容：協定調印式",
        "以上のとおり報告します。",
    ]
    assert report.title == "四日市市とバイエルン州の覚書"


def test_docx_rows_stay_lines_after_repair(tmp_path):
    from ingest.repair import repair

    repaired = repair(load(make_docx(tmp_path / "memo.docx")))

    assert "\n日付：５月１９日／訪問先：ミュンヘン／内容：協定調印式\n以上のとおり" in repaired.text


def test_docx_two_column_form_without_headings_keeps_its_cells_tab_separated(tmp_path):
    import docx

    document = docx.Document()
    table = document.add_table(rows=2, cols=2)
    for row, cells in zip(
        table.rows, [["日時", "６月１４日"], ["場所", "リヨン市庁舎"]], strict=True
    ):
        for cell, text in zip(row.cells, cells, strict=True):
            cell.text = text
    path = tmp_path / "form.docx"
    document.save(str(path))

    assert load(path).text.split("\n") == ["日時\t６月１４日", "場所\tリヨン市庁舎"]


def test_docx_table_marked_as_a_heading_row_is_labelled_even_with_two_columns(tmp_path):
    import docx
    from docx.oxml import OxmlElement

    document = docx.Document()
    table = document.add_table(rows=2, cols=2)
    for row, cells in zip(
        table.rows, [["日付", "行程"], ["６月１４日", "協定調印式"]], strict=True
    ):
        for cell, text in zip(row.cells, cells, strict=True):
            cell.text = text
    table.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    path = tmp_path / "schedule.docx"
    document.save(str(path))

    assert load(path).text == "日付：６月１４日／行程：協定調印式"


# A text box as Word writes it: DrawingML for current Word, a VML copy for old readers.
TEXT_BOX_RUN = """<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"
  xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"
  xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
  xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"
  xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"
  xmlns:v="urn:schemas-microsoft-com:vml">
<mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wp:anchor><wp:extent cx="1" cy="1"/>
<wp:docPr id="1" name="Text Box 1"/><a:graphic><a:graphicData
uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"><wps:wsp><wps:txbx>
<w:txbxContent><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:txbxContent>
</wps:txbx></wps:wsp></a:graphicData></a:graphic></wp:anchor></w:drawing></mc:Choice>
<mc:Fallback><w:pict><v:shape><v:textbox><w:txbxContent><w:p><w:r><w:t>{text}</w:t></w:r></w:p>
</w:txbxContent></v:textbox></v:shape></w:pict></mc:Fallback></mc:AlternateContent></w:r>"""


def test_docx_text_boxes_are_read_once_after_their_paragraph(tmp_path):
    import docx
    from lxml import etree

    document = docx.Document()
    anchor = document.add_paragraph("訪問の概要")
    anchor._p.append(etree.fromstring(TEXT_BOX_RUN.format(text="参加企業は市内6社でした。")))
    document.add_paragraph("以上のとおり報告します。")
    path = tmp_path / "box.docx"
    document.save(str(path))

    assert load(path).text.split("\n") == [
        "訪問の概要",
        "参加企業は市内6社でした。",
        "以上のとおり報告します。",
    ]


def test_password_protected_docx_says_to_remove_the_password(tmp_path):
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = make_docx(tmp_path / "plain.docx")
    locked = tmp_path / "locked.docx"
    with open(plain, "rb") as source, open(locked, "wb") as target:
        OOXMLFile(source).encrypt("himitsu", target)

    assert_message(load_error(locked), "locked.docx", "パスワード", "解除して保存し直して")


# --- HTML ---------------------------------------------------------------------------------

HTML_PAGE = """<!DOCTYPE html>
<html><head><meta charset="Shift_JIS"><title>岡崎市とバーゼルの協定</title>
<script>alert('from head')</script><style>p { color: red }</style></head>
<body>
<nav><a href="/">トップへ戻る</a></nav>
<h1>岡崎市とバーゼル地域の協力協定</h1>
<p>平成２６年５月２２日、<b>BRW</b>と協定を
締結しました。</p>
<script>alert(1)</script>
<p>メール本文：&lt;img src=x onerror=alert(1)&gt; と書かれていました。</p>
<h2>日程</h2>
<table><tr><th>日付</th><th>訪問先</th></tr><tr><td>５月２２日</td><td>バーゼル</td></tr></table>
<p><ruby>協定<rt>きょうてい</rt></ruby>書に署名しました。<!-- 内部メモ --></p>
</body></html>
"""


def test_html_keeps_the_text_a_reader_sees_and_nothing_else(tmp_path):
    path = tmp_path / "okazaki.html"
    path.write_bytes(HTML_PAGE.encode("cp932"))

    report = load(path)

    assert report.encoding == "cp932"
    assert report.title == "岡崎市とバーゼルの協定"
    assert report.text.split("\n") == [
        "■岡崎市とバーゼル地域の協力協定",
        "平成２６年５月２２日、BRWと協定を締結しました。",
        "メール本文：<img src=x onerror=alert(1)> と書かれていました。",
        "■日程",
        "日付\t訪問先",
        "５月２２日\tバーゼル",
        "協定書に署名しました。",
    ]
    assert "from head" not in report.text and "color" not in report.text
    assert "トップへ戻る" not in report.text and "内部メモ" not in report.text


def test_html_without_title_is_titled_by_its_first_h1(tmp_path):
    path = tmp_path / "page.htm"
    path.write_text("<body><p>パリ事務所</p><h1>津市の協定</h1><p>本文</p></body>", "utf-8")

    report = load(path)

    assert report.title == "津市の協定"
    assert report.encoding == "utf-8"


def test_html_without_charset_declaration_is_detected_like_text(tmp_path):
    path = tmp_path / "page.html"
    path.write_bytes("<p>ジュネーブ州産業振興機構と協定を締結しました。</p>".encode("euc_jp"))

    report = load(path)

    assert report.text == "ジュネーブ州産業振興機構と協定を締結しました。"
    assert report.encoding == "euc_jp"


def test_html_heading_already_marked_is_not_marked_twice(tmp_path):
    path = tmp_path / "page.html"
    path.write_text("<h2>■これまでの経緯</h2><p>本文</p>", "utf-8")

    assert load(path).text == "■これまでの経緯\n本文"


# --- bad input: one clear message naming the file -----------------------------------------


def assert_message(message: str, source: str, *advice: str) -> None:
    assert message.startswith(f"{source}: "), message
    for words in advice:
        assert words in message, (words, message)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")

    assert load_error(path) == "empty.txt: ファイルが空です。本文のあるファイルを追加してください。"


def test_whitespace_only_file(tmp_path):
    path = tmp_path / "blank.txt"
    path.write_text(" \n\u3000\t\r\n\n", encoding="utf-8")

    assert_message(load_error(path), "blank.txt", "空白と改行しか", "本文のあるファイルを追加")


def test_binary_bytes_under_txt(tmp_path):
    path = tmp_path / "photo.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))

    assert_message(load_error(path), "photo.txt", "テキストではありません", "拡張子が正しいか")


def test_control_characters_without_nul_bytes_are_binary_too(tmp_path):
    path = tmp_path / "dump.txt"
    path.write_bytes(b"\x01\x02\x03\x04\x05abc\x06\x07\x08" * 50)

    assert_message(load_error(path), "dump.txt", "テキストではありません")


def test_utf8_file_with_a_shift_jis_line_pasted_in_is_undecodable(tmp_path, seed_text):
    path = tmp_path / "mixed.txt"
    path.write_bytes(seed_text.encode("utf-8") + "追記：協定書の写し\n".encode("cp932"))

    assert_message(
        load_error(path), "mixed.txt", "文字コードを判別できません", "UTF-8 として保存し直して"
    )


def test_bytes_no_encoding_fits_are_undecodable(tmp_path):
    path = tmp_path / "broken.txt"
    # A lone lead byte \x81 before a space: invalid in every Japanese codec and unassigned
    # in cp1252, as in a Shift_JIS file cut in the middle of a character.
    path.write_bytes("協定を締結しました。".encode("cp932") + b"\x81 ")

    assert_message(load_error(path), "broken.txt", "文字コードを判別できません", "UTF-8")


def test_a_pdf_the_library_warns_about_gives_one_japanese_line_naming_it(tmp_path, caplog):
    import re

    whole = make_pdf(tmp_path / "whole.pdf", THREE_PAGES).read_bytes()
    path = tmp_path / "damaged.pdf"
    path.write_bytes(re.sub(rb"startxref\s+\d+", b"startxref\n12", whole))  # wrong xref offset

    report = load(path)

    assert report.pages and report.text.strip()
    messages = [(r.name, r.getMessage()) for r in caplog.records]
    assert not [m for name, m in messages if name.startswith("pypdf")], messages
    assert [m for _name, m in messages if m.startswith("damaged.pdf: PDF の構造に不備")], messages


def test_corrupt_pdf(tmp_path):
    whole = make_pdf(tmp_path / "whole.pdf", THREE_PAGES).read_bytes()
    path = tmp_path / "broken.pdf"
    path.write_bytes(whole[: len(whole) // 3])

    assert_message(load_error(path), "broken.pdf", "PDF を読み込めません", "作り直して")


def test_text_file_renamed_to_pdf_is_reported_as_a_corrupt_pdf(tmp_path):
    path = tmp_path / "notes.pdf"
    path.write_text("これは PDF ではありません。", encoding="utf-8")

    assert_message(load_error(path), "notes.pdf", "PDF を読み込めません")


def test_password_protected_pdf(tmp_path):
    plain = make_pdf(tmp_path / "plain.pdf", THREE_PAGES)
    path = encrypt_pdf(plain, tmp_path / "secret.pdf", user_password="himitsu")

    assert_message(load_error(path), "secret.pdf", "パスワード", "解除", "もう一度追加")


def test_pdf_of_shapes_only_is_refused_once_ocr_finds_no_text(tmp_path):
    # Scans are read by OCR (tests/test_ocr.py); a page with nothing to read stays refused.
    path = make_scanned_pdf(tmp_path / "scan.pdf")

    assert_message(
        load_error(path), "scan.pdf", "文字を読み取れません", "スキャンし直す", "テキストファイル"
    )


def test_unsupported_extension_lists_the_supported_ones(tmp_path):
    path = tmp_path / "budget.numbers"
    path.write_bytes(b"PK\x03\x04 spreadsheet")

    message = load_error(path)

    assert_message(message, "budget.numbers", "対応していません", ".numbers")
    assert all(extension in message for extension in SUPPORTED_EXTENSIONS)


def test_every_supported_format_has_an_extraction_version():
    from ingest.loaders import EXTRACTION_VERSIONS, extraction_version

    assert set(EXTRACTION_VERSIONS) == SUPPORTED_EXTENSIONS
    assert extraction_version("a/Report.PDF") == f"pdf:{EXTRACTION_VERSIONS['.pdf']}"
    assert extraction_version("budget.numbers") == ""


def test_file_over_the_size_limit_names_the_limit_and_the_setting(tmp_path):
    path = tmp_path / "huge.txt"
    path.write_bytes("協定".encode() * 300_000)  # 1.7 MiB

    message = load_error(path, max_bytes=1024 * 1024)

    assert_message(
        message, "huge.txt", "大きすぎます", "1.7 MB", "上限 1 MB", "REPORTS_MAX_FILE_MB"
    )


@pytest.fixture
def shared_dir():
    """A directory other users may enter (pytest's own tmp dirs are private to root)."""
    path = Path(tempfile.mkdtemp(prefix="loaders-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path)


def load_error_as_nobody(path: Path) -> str:
    """Root reads every file, so load in a child process that has dropped to 'nobody'."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        try:
            os.close(read_end)
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            try:
                load(path)
                message = "loaded without error"
            except IngestError as exc:
                message = str(exc)
            os.write(write_end, message.encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        message = pipe.read().decode()
    os.waitpid(pid, 0)
    return message


def test_unreadable_file(shared_dir):
    path = shared_dir / "private.txt"
    path.write_text("人事資料", encoding="utf-8")
    path.chmod(0o000)

    message = load_error_as_nobody(path) if os.geteuid() == 0 else load_error(path)

    assert_message(message, "private.txt", "読み取る権限がありません", "権限を確認")


def test_symlink_loop(tmp_path):
    (tmp_path / "a.txt").symlink_to(tmp_path / "b.txt")
    (tmp_path / "b.txt").symlink_to(tmp_path / "a.txt")

    assert_message(load_error(tmp_path / "a.txt"), "a.txt", "循環", "リンク先を確認")


def test_broken_symlink(tmp_path):
    (tmp_path / "link.txt").symlink_to(tmp_path / "deleted.txt")

    assert_message(load_error(tmp_path / "link.txt"), "link.txt", "リンク先が存在しません")


def test_working_symlink_loads_the_target(tmp_path):
    (tmp_path / "real.txt").write_text("協定の本文", encoding="utf-8")
    (tmp_path / "link.txt").symlink_to(tmp_path / "real.txt")

    assert load(tmp_path / "link.txt").text == "協定の本文"


def test_directory_passed_as_a_file(tmp_path):
    (tmp_path / "reports.txt").mkdir()

    assert_message(
        load_error(tmp_path / "reports.txt"), "reports.txt", "フォルダー", "ファイルを指定"
    )


def test_missing_file(tmp_path):
    assert_message(load_error(tmp_path / "gone.txt"), "gone.txt", "見つかりません")


def test_corrupt_docx(tmp_path):
    path = tmp_path / "old.docx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2000))  # a legacy .doc header

    assert_message(load_error(path), "old.docx", "Word", ".docx 形式として保存し直して")


def test_html_with_only_scripts_has_no_text(tmp_path):
    path = tmp_path / "app.html"
    path.write_text(
        "<html><head><title>T</title></head><body><script>go()</script></body>", "utf-8"
    )

    assert_message(load_error(path), "app.html", "本文の文字が見つかりません")


def test_messages_name_the_source_the_caller_gives(tmp_path):
    path = tmp_path / "empty.md"
    path.write_bytes(b"")

    assert load_error(path, source="2012/empty.md").startswith("2012/empty.md: ")
