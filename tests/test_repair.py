"""Japanese repair: what a user sees in stored and quoted text after PDF extraction damage."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ingest.records import LoadedReport, PageSpan
from ingest.repair import repair

SEED_REPORT = (
    Path(__file__).resolve().parent.parent / "corpus" / "tsu_2012_europe_economic_agreements.txt"
)

SENTENCE_OR_BRACKET_END = re.compile(r"[。！？!?」』）)]$")


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def loaded(text: str, **fields) -> LoadedReport:
    return LoadedReport(source="report.txt", path="/reports/report.txt", text=text, **fields)


@pytest.fixture(scope="module")
def seed_text() -> str:
    return SEED_REPORT.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def seed(seed_text):
    return repair(
        LoadedReport(
            source=SEED_REPORT.name,
            path=str(SEED_REPORT),
            text=seed_text,
            title="津市の経済交流に関する協力協定の締結について",
            metadata={"publisher": "パリ事務所"},
        )
    )


# --- the seed report -----------------------------------------------------------------


def test_seed_has_no_line_break_inside_a_sentence(seed):
    # Lines that are not sentences: the title block, headings, photo captions, the byline.
    standalone = {
        "津市の経済交流に関する協力協定の締結について",
        "-津市欧州ミッション団の派遣-",
        "パリ事務所",
        "ARDとの調印式の様子",
        "OPIとの調印式の様子",
        "欧州ミッション団の派遣の様子",
        "寄稿：津市商工観光部産業政策振興課 秋山 晴美",
    }
    for line in seed.text.splitlines():
        if not line or line.startswith("■") or line in standalone:
            continue
        assert SENTENCE_OR_BRACKET_END.search(line), f"broken line: {line!r}"


def test_seed_dates_lose_the_pdf_spacing_but_keep_full_width_digits(seed):
    assert "平成24年11月20日、津市とパリ地域経済開発局" in seed.text
    assert "平成24年11月16日（金）から25日（日）にかけて" in seed.text
    assert "平成２１年１１月、三重県知事を団長に" in seed.text  # not NFKC-normalised
    assert "平成 24" not in seed.text


def test_seed_latin_words_broken_over_lines_keep_one_space(seed):
    assert "Agence Régionale de Développement Paris Île-de-France" in seed.text
    assert "Office de Promotion des Industries et des Technologies" in seed.text
    assert "「SRB ENERGY RESERCH」" in seed.text


def test_seed_two_column_quotes_read_as_contiguous_sentences(seed):
    assert (
        "OPIのピエール=フランソワ・アンジェ代表から、「今回の協定調印は両地域の中小企業にとって"
        "新たなビジネスチャンスが生まれるまたとない機会。" in seed.text
    )
    assert (
        "ARDのサビーヌ・アンジャルベール局長及び担当部長についてはともに日本との関わりが深く、"
        "津市の中小企業7社で構成される津市欧州ミッション団や、" in seed.text
    )
    assert (
        "市長からは「OPIとの協定は行政主導ではなく、民間企業の熱意が行政を動かし実現したもので"
        "あり成果が期待できる。" in seed.text
    )
    assert "平成24年11月21日に、津市とOPIとの経済交流に関する協力協定への調印を行いました。" in (
        seed.text
    )
    assert "欧州原子核研究機構（CERN: Organisation européenne pour la recherche nucléaire）" in (
        seed.text
    )


def test_seed_quote_and_its_reporting_clause_stay_one_sentence(seed):
    assert "繋がることを期待する。」との発言がありました。" in seed.text


def test_seed_two_column_fragments_are_not_repeated(seed):
    # Each overlapping half appears once after reassembly, not as a second copy.
    assert seed.text.count("アンジャルベール局長及び担当部長") == 1
    assert seed.text.count("ピエール=フランソワ・アンジェ") == 1
    assert seed.text.count("Organisation européenne pour la recherche") == 1


def test_seed_photo_captions_stay_on_their_own_lines(seed):
    lines = seed.text.splitlines()
    for caption in ("ARDとの調印式の様子", "OPIとの調印式の様子", "欧州ミッション団の派遣の様子"):
        assert caption in lines


def test_seed_loses_no_text(seed_text, seed):
    """Every 8-character phrase of every original line is still there (spaces aside)."""
    repaired = squeeze(seed.text)
    for line in seed_text.splitlines():
        phrase_source = squeeze(line)
        for i in range(len(phrase_source) - 7):
            phrase = phrase_source[i : i + 8]
            assert phrase in repaired, f"lost {phrase!r} of line {line!r}"


def test_seed_running_footer_leaves_the_text_but_is_kept_once_at_the_end(seed):
    # The footer tail interrupts the column text twice; it is also the only place that
    # names the issue the report appeared in, so it stays findable, once.
    assert seed.text.count("ヨーロッパ市場特集号）") == 1
    assert seed.text.splitlines()[-1] == "ヨーロッパ市場特集号）"


def test_seed_sections_follow_the_headings(seed):
    headings = [name for _, name in seed.sections]
    assert headings == [
        "これまでの経緯",
        "ARDとの経済交流に関する協力協定への調印について",
        "OPIとの経済交流に関する協力協定への調印について",
        "中小企業の新事業創出やビジネス展開の具体的な動き・見通しと協定に基づく支援",
    ]
    for offset, _ in seed.sections:
        assert seed.text[offset] == "■"
    assert seed.section_at(seed.text.index("日仏８者間")) == "これまでの経緯"
    assert seed.section_at(seed.text.index("ピエール")) == headings[2]
    assert seed.section_at(0) == ""


def test_seed_keeps_title_source_and_metadata(seed):
    assert seed.source == SEED_REPORT.name
    assert seed.title == "津市の経済交流に関する協力協定の締結について"
    assert seed.metadata == {"publisher": "パリ事務所"}


# --- a synthetic two-column page ------------------------------------------------------

TWO_COLUMN_ROWS = [
    "令和5年6月12日に、市長とミラノ商工会議所の会頭が覚書に署名しました。",
    "覚書では、両地域の中小企業が見本市に相互に出展できるよう、",
    "双方の事務局が出展手続きを支援することが定められています。",
    "会頭からは「繊維と食品の分野で早期に商談が生まれることを",
    "期待している」との発言があり、市長も協力を約束しました。",
]
# Left and right windows of each row, overlapping by 8, 2, 5, 3 and 5 characters.
LEFT = [
    "令和 5 年 6 月 12 日に、市長とミラノ商工会議所",
    "覚書では、両地域の中小企業が見本",
    "双方の事務局が出展手続き",
    "会頭からは「繊維と食品の分野で早期に",
    "期待している」との発言があり、市長も協力",
]
RIGHT = [
    "ミラノ商工会議所の会頭が覚書に署名しました。",
    "見本市に相互に出展できるよう、",
    "出展手続きを支援することが定められています。",
    "早期に商談が生まれることを",
    "市長も協力を約束しました。",
]
BODY_BEFORE = (
    "本市は本年度、欧州の経済団体との交流を一層進めるため、様々な事業を実施してま\n"
    "いりました。以下では、その主な成果について、担当課からの報告をもとに紹介します。\n"
)
BODY_AFTER = (
    "■今後の予定\n"
    "来年度は、覚書に基づいて市内の中小企業をミラノの見本市に派遣する予定であり、\n"
    "参加企業の募集を今月から開始します。詳しくは産業政策課までお問い合わせください。\n"
)


def synthetic_two_column_report() -> str:
    column_page = "\n".join([*LEFT, "署名式の様子", *RIGHT])
    return BODY_BEFORE + "■ミラノとの覚書\n" + column_page + "\n" + BODY_AFTER


def test_two_column_page_is_reassembled_into_sentences():
    text = repair(loaded(synthetic_two_column_report())).text
    assert "令和5年6月12日に、市長とミラノ商工会議所の会頭が覚書に署名しました。" in text
    assert (
        "覚書では、両地域の中小企業が見本市に相互に出展できるよう、"
        "双方の事務局が出展手続きを支援することが定められています。" in text
    )
    assert (
        "会頭からは「繊維と食品の分野で早期に商談が生まれることを期待している」との発言があり、"
        "市長も協力を約束しました。" in text
    )


def test_two_column_caption_and_surrounding_text_are_kept_apart():
    repaired = repair(loaded(synthetic_two_column_report()))
    lines = repaired.text.splitlines()
    assert "署名式の様子" in lines
    assert (
        "本市は本年度、欧州の経済団体との交流を一層進めるため、様々な事業を実施してまいりました。"
        in repaired.text
    )
    assert [name for _, name in repaired.sections] == ["ミラノとの覚書", "今後の予定"]


def test_two_column_page_loses_nothing_and_repeats_nothing():
    source = synthetic_two_column_report()
    repaired = squeeze(repair(loaded(source)).text)
    for line in source.splitlines():
        assert squeeze(line) in repaired
    assert repaired.count("ミラノ商工会議所") == 1
    assert repaired.count("出展手続き") == 1


def test_unrelated_short_lines_are_not_taken_for_columns():
    text = (
        "■出席者\n"
        "市長\n"
        "副市長\n"
        "産業政策課長\n"
        "■議事\n"
        "本日の会議では、来年度の海外展開支援事業について、担当課から説明があり了承された。\n"
    )
    repaired = repair(loaded(text)).text
    assert "市長\n副市長\n産業政策課長" in repaired


# --- line joining and spacing ---------------------------------------------------------


def test_broken_lines_join_without_spaces_and_short_lines_stay_apart():
    text = (
        "海外事務所だより\n"
        "\n"
        "本市は平成 24 年 11 月 20 日、フランスのパリ地域経済開発局（ARD）との間で経済\n"
        "交流に関する協力協定を締結し、翌日にはスイスの OPI とも同様の協定を締結しまし\n"
        "た。今後は両地域の中小企業の連携を支援していきます。\n"
    )
    lines = repair(loaded(text)).text.splitlines()
    assert lines[0] == "海外事務所だより"
    assert lines[-1] == (
        "本市は平成24年11月20日、フランスのパリ地域経済開発局（ARD）との間で経済交流に関する"
        "協力協定を締結し、翌日にはスイスのOPIとも同様の協定を締結しました。今後は両地域の"
        "中小企業の連携を支援していきます。"
    )


def test_space_between_two_japanese_words_is_kept_but_not_after_punctuation():
    text = "確認されました。 なお、詳細は別紙のとおりです。\n\n寄稿：産業政策課 秋山 晴美\n"
    repaired = repair(loaded(text)).text
    assert "確認されました。なお、" in repaired
    assert "寄稿：産業政策課 秋山 晴美" in repaired


def test_letter_spaced_title_is_closed_up():
    repaired = repair(loaded("報 告 書\n\n本文はここから始まります。\n")).text
    assert repaired.splitlines()[0] == "報告書"


def test_ideographic_indent_starts_a_new_paragraph():
    text = (
        "本市の中小企業は、欧州市場への新規事業展開を検討しており、市としても支援を行う\n"
        "\u3000次に、アジア市場に向けた取り組みについて報告します。\n"
    )
    assert len(repair(loaded(text)).text.splitlines()) == 2


def test_heading_and_bracket_label_lines_become_sections():
    text = "前文です。\n【概要】\n概要の本文です。\n◆ 今後の予定\n予定の本文です。\n"
    repaired = repair(loaded(text))
    assert [name for _, name in repaired.sections] == ["概要", "今後の予定"]
    assert repaired.section_at(repaired.text.index("予定の本文")) == "今後の予定"
    assert repaired.section_at(repaired.text.index("前文")) == ""


# --- page furniture and pages ---------------------------------------------------------

PAGE_TEXTS = [
    "年次報告書 2023\n"
    "本市は、海外の都市との経済交流を進めるため、今年度も様々な事業を実施してきま\n"
    "した。主な成果は次のとおりです。\n"
    "- 1 -",
    "年次報告書 2023\n"
    "まず、ミラノ市との間で経済交流に関する覚書を締結し、両市の中小企業による相互\n"
    "訪問を開始しました。また、見本市への共同出展についても協議を進め、来年度の実\n"
    "Page 2",
    "年次報告書 2023\n"
    "施に向けた準備を整えました。今後も、市内企業の海外展開を支援していきます。\n"
    "３",
]


def paged_report() -> LoadedReport:
    spans, offset = [], 0
    for number, page in enumerate(PAGE_TEXTS, start=1):
        spans.append(PageSpan(number, offset, offset + len(page)))
        offset += len(page) + 2
    return loaded("\n\n".join(PAGE_TEXTS), pages=tuple(spans))


def test_page_numbers_go_and_running_headers_move_to_the_end_once():
    text = repair(paged_report()).text
    assert text.count("年次報告書") == 1
    assert text.splitlines()[-1] == "年次報告書2023"
    assert "- 1 -" not in text and "Page 2" not in text
    assert not any(line.strip() in {"３", "1", "2"} for line in text.splitlines())


def test_sentence_across_a_page_break_is_joined_and_pages_are_remapped():
    repaired = repair(paged_report())
    assert "来年度の実施に向けた準備を整えました。" in repaired.text
    assert repaired.page_at(repaired.text.index("本市は")) == 1
    assert repaired.page_at(repaired.text.index("まず、ミラノ市")) == 2
    # a sentence joined across the break starts on page 2; its continuation is on page 3
    assert repaired.page_at(repaired.text.index("また、見本市")) == 2
    assert repaired.page_at(repaired.text.index("施に向けた準備")) == 3
    assert repaired.page_at(repaired.text.index("今後も、市内企業")) == 3
    assert [page.number for page in repaired.pages] == [1, 2, 3]
    assert repaired.pages[-1].end == len(repaired.text)


def test_form_feeds_separate_pages_when_the_loader_gave_none():
    text = "一頁目の本文です。\f二頁目の本文です。\f三頁目の本文です。"
    repaired = repair(loaded(text))
    assert "\f" not in repaired.text
    assert repaired.page_at(repaired.text.index("三頁目")) == 3


def test_a_bracketed_line_that_opens_its_bracket_is_not_furniture():
    text = "（参考資料）\n協定書の写しは別添のとおり。\n（ヨーロッパ市場特集号）\n"
    repaired = repair(loaded(text)).text
    assert "（参考資料）" in repaired
    assert "（ヨーロッパ市場特集号）" in repaired


def test_windows_newlines_and_empty_report():
    assert repair(loaded("一行目の文です。\r\n二行目の文です。\r\n")).text == (
        "一行目の文です。\n二行目の文です。"
    )
    empty = repair(loaded(" \n\n "))
    assert empty.text == "" and empty.sections == ()


def test_magazine_footer_inside_a_sentence_moves_out_and_the_sentence_rejoins():
    text = (
        "これに対し市長からは、「千里の道も一歩から。今日の調印を第一歩として、企業同 \n\n"
        "－ １ － \n\n"
        "自治体国際化フォーラム（アジア市場特集号） \n\n"
        "士の信頼を着実に築いていきたい」とのあいさつがありました。調印式には、ミッシ \n\n"
        "ョン団のほか、ダナン市人民委員会関係者が同席しました。 \n"
    )
    repaired = repair(loaded(text)).text
    assert repaired.splitlines()[-1] == "自治体国際化フォーラム（アジア市場特集号）"
    assert "１" not in repaired
    assert "企業同士の信頼を着実に築いていきたい」とのあいさつがありました。" in repaired


def test_line_wrapped_early_around_latin_words_still_joins():
    text = (
        "  平成２７年１１月５日、名張市とダナン市産業振興センター（ＤＩＰＣ： \n\n"
        "Danang Industrial Promotion Center）との間 \n\n"
        "で、経済交流に関する協力協定を締結しました。名張市は、平成２７年１１月３日（ \n\n"
        "火）から７日（土）にかけて、市内中小企業１２社が参加する経済ミッション団を派 \n\n"
        "遣しました。 \n"
    )
    repaired = repair(loaded(text)).text
    assert (
        "（ＤＩＰＣ：Danang Industrial Promotion Center）との間で、経済交流に関する協力協定を"
        "締結しました。" in repaired
    )
    assert "平成２７年１１月３日（火）から７日（土）にかけて" in repaired


def test_markdown_markup_is_not_report_text():
    text = (
        "# 報告書の表題\n\n"
        "**－副題－**\n\n"
        "## ■協定の内容\n\n"
        "主な協力分野は次のとおりです。\n\n"
        "- 鋳物・金属加工\n"
        "- IoT（モノのインターネット）\n\n"
        "> 代表は「期待している」と述べた。\n\n"
        "| 区分 | 内容 |\n"
        "| --- | --- |\n"
        "| 企業連携体 | 技術提携に関する覚書を締結 |\n"
    )
    repaired = repair(
        LoadedReport(source="kuwana.md", path="/reports/kuwana.md", text=text, title="表題")
    )
    assert [name for _, name in repaired.sections] == ["報告書の表題", "協定の内容"]
    lines = repaired.text.splitlines()
    assert "－副題－" in lines
    assert "・鋳物・金属加工" in lines and "・IoT（モノのインターネット）" in lines
    assert "代表は「期待している」と述べた。" in lines
    assert "企業連携体\t技術提携に関する覚書を締結" in lines
    assert "---" not in repaired.text and "**" not in repaired.text


def test_narrow_columns_extracted_one_after_the_other_are_joined():
    """A two-column page that came out column by column: lines half as wide as the body
    lines around them are still running text, not titles."""
    text = (
        "本市は本年度、欧州の経済団体との交流を一層進めるため、様々な事業を実施してまい\n"
        "りました。以下では、その主な成果について、担当課からの報告をもとに紹介します。\n"
        "■調印式の様子\n"
        "調印式はミラノ市内の商工会議所で行\n"
        "われ、会頭と市長が覚書に署名しまし\n"
        "た。会頭からは、両地域の中小企業の\n"
        "交流に大きな期待を寄せているとの発\n"
        "言がありました。\n"
        "市長も、繊維と食品の分野での協力を\n"
        "約束しました。\n"
        "■今後の予定\n"
        "来年度は、覚書に基づいて市内の中小企業をミラノの見本市に派遣する予定であり、\n"
        "参加企業の募集を今月から開始します。詳しくは産業政策課までお問い合わせください。\n"
    )
    lines = repair(loaded(text)).text.splitlines()
    assert (
        "調印式はミラノ市内の商工会議所で行われ、会頭と市長が覚書に署名しました。"
        "会頭からは、両地域の中小企業の交流に大きな期待を寄せているとの発言がありました。" in lines
    )
    assert "市長も、繊維と食品の分野での協力を約束しました。" in lines


def test_pages_holding_nothing_but_running_titles_give_text_without_pages():
    page = "津市国際交流ニュース 第1号\n津市政策財務部"
    text = "\n\n".join([page] * 3)
    step = len(page) + 2
    pages = tuple(PageSpan(n + 1, n * step, n * step + len(page)) for n in range(3))

    repaired = repair(LoadedReport(source="news.pdf", path="/r/news.pdf", text=text, pages=pages))

    assert "津市政策財務部" in repaired.text  # kept once, as furniture is
    assert repaired.pages == ()


def test_word_excel_and_powerpoint_lines_are_never_joined_or_dropped():
    text = "■日程\n日付：6月14日／行程：協定調印式\n3\n日付：6月15日／行程：企業訪問"
    for name in ("a.docx", "a.xlsx", "a.pptx"):
        repaired = repair(LoadedReport(source=name, path=f"/r/{name}", text=text))
        assert repaired.text.split("\n")[2:] == [
            "日付：6月14日／行程：協定調印式",
            "3",
            "日付：6月15日／行程：企業訪問",
        ], name
