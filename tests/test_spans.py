"""Typed spans: what the answerer can pull out of a report sentence."""

from assistant.spans import (
    DateValue,
    era_to_western,
    find_counts,
    find_date_ranges,
    find_dates,
    find_enumerations,
    find_languages,
    find_organisations,
    find_people,
    find_places,
    find_quotes,
    normalize_with_offsets,
    western_to_era,
)

ARD_SENTENCE = (
    "平成24年11月20日、津市とパリ地域経済開発局（ARD：Agence Régionale de Développement "
    "Paris Île-de-France）との間で、経済交流に関する協力協定を締結し、翌21日には津市と"
    "ジュネーブ州産業振興機構（OPI：Office de Promotion des Industries et des Technologies）"
    "との間で、経済交流に関する協力協定を締結しました。"
)


def test_era_and_western_years_convert_both_ways():
    assert era_to_western("平成", 24) == 2012
    assert era_to_western("令和", 1) == 2019
    assert era_to_western("昭和", 64) == 1989
    assert western_to_era(2012) == ("平成", 24)
    assert western_to_era(2019, 5, 1) == ("令和", 1)
    assert western_to_era(2019, 4, 30) == ("平成", 31)


def test_dates_are_shown_in_both_calendars():
    assert DateValue(2012, 11, 21).display() == "2012年（平成24年）11月21日"
    assert DateValue(2019, 5, 1).display() == "2019年（令和元年）5月1日"


def test_full_width_era_date_is_read():
    [date] = find_dates("平成２１年１１月、三重県知事を団長に")
    assert date.text == "平成２１年１１月"
    assert (date.value.year, date.value.month, date.value.day) == (2009, 11, None)


def test_spaced_pdf_digits_are_read_and_quoted_as_written():
    text = "平成 24 年 11 月 20 日に調印"
    [date] = find_dates(text)
    assert text[date.start : date.end] == date.text == "平成 24 年 11 月 20 日"
    assert date.display() == "2012年（平成24年）11月20日"


def test_next_day_resolves_from_the_earlier_date():
    dates = find_dates(ARD_SENTENCE)
    relative = [d for d in dates if d.relative]
    assert len(relative) == 1
    assert relative[0].text == "翌21日"
    assert relative[0].display() == "2012年（平成24年）11月21日"


def test_next_day_without_a_number_moves_one_day_across_month_end():
    [_, next_day] = find_dates("平成24年11月30日に出発し、翌日パリに到着した。")
    assert next_day.display() == "2012年（平成24年）12月1日"


def test_western_year_dates_get_their_era():
    [date] = find_dates("2009年にフランスで結んだ")
    assert date.display() == "2009年（平成21年）"


def test_day_range_with_weekdays_keeps_year_and_month():
    text = "平成 24 年 11 月 16 日（金）から 25 日（日）にかけて、欧州ミッション団を派遣し"
    [span] = find_date_ranges(text)
    assert span.first == DateValue(2012, 11, 16)
    assert span.last == DateValue(2012, 11, 25)
    assert span.display() == "2012年（平成24年）11月16日から25日まで"
    assert text[span.start : span.end] == span.text


def test_counts_read_full_width_and_kanji_numbers():
    counts = find_counts(
        "市内中小企業７社が参加し、関係者２５名、日仏８者間、１６社との商談、二つの協定"
    )
    assert [(c.number, c.counter) for c in counts] == [
        (7, "社"),
        (25, "名"),
        (8, "者"),
        (16, "社"),
        (2, "つ"),
    ]
    assert counts[0].display() == "7社"


def test_durations_count_but_dates_do_not():
    counts = find_counts("平成24年11月16日から10日間")
    assert [(c.number, c.counter) for c in counts] == [(10, "日間")]


def test_katakana_names_with_titles():
    people = find_people(
        "OPIのピエール=フランソワ・アンジェ代表から発言があり、ARDのサビーヌ・アンジャルベール局長も"
    )
    assert [(p.name, p.title) for p in people] == [
        ("ピエール=フランソワ・アンジェ", "代表"),
        ("サビーヌ・アンジャルベール", "局長"),
    ]
    assert people[0].display() == "ピエール=フランソワ・アンジェ代表"


def test_country_lists_are_not_mistaken_for_names():
    assert find_people("フランスやスイス・ドイツを訪問し") == []


def test_kanji_mayor_name_is_separated_from_the_city():
    [person] = find_people("津市産業政策振興課から、前葉泰幸津市長による協力協定の調印")
    assert person.name == "前葉泰幸"
    assert person.title == "津市長"


def test_byline_name_is_found():
    [person] = find_people("寄稿：津市商工観光部産業政策振興課 秋山 晴美")
    assert person.name == "秋山 晴美"


def test_organisation_with_abbreviation_and_foreign_name():
    orgs = [o for o in find_organisations(ARD_SENTENCE) if o.abbreviation]
    assert [(o.name, o.abbreviation) for o in orgs] == [
        ("パリ地域経済開発局", "ARD"),
        ("ジュネーブ州産業振興機構", "OPI"),
    ]
    assert orgs[0].foreign_name == "Agence Régionale de Développement Paris Île-de-France"
    assert ARD_SENTENCE[orgs[0].start : orgs[0].end] == orgs[0].text


def test_quoted_company_name_is_an_organisation():
    orgs = find_organisations("ジュネーブ州の企業「SRB ENERGY RESERCH」との間で")
    assert "SRB ENERGY RESERCH" in [o.name for o in orgs]


def test_places_by_suffix_and_by_name():
    places = [
        p.text
        for p in find_places("津市、四日市市のほか、フランス・アヌシー市において、ジュネーブ州の")
    ]
    assert places == ["津市", "四日市市", "フランス・アヌシー市", "ジュネーブ州"]


def test_market_is_not_a_city():
    assert [p.text for p in find_places("海外市場や市内企業")] == []


def test_enumeration_keeps_compound_fields_together():
    text = "メカトロニクスや医療・福祉機器関連、環境・エネルギーや航空宇宙産業等を中心に"
    [span] = find_enumerations(text)
    assert span.items == (
        "メカトロニクス",
        "医療・福祉機器関連",
        "環境・エネルギー",
        "航空宇宙産業",
    )


def test_enumeration_splits_countries_joined_by_dots():
    [span] = find_enumerations("フランスやスイス・ドイツを訪問し")
    assert span.items == ("フランス", "スイス", "ドイツ")


def test_date_followed_by_comma_is_not_a_list():
    assert find_enumerations("平成24年11月20日、津市とパリ地域の") == []


def test_offsets_map_back_to_full_width_text():
    norm = normalize_with_offsets("７社（ＡＲＤ）")
    assert norm.text == "7社(ARD)"
    assert norm.to_original(3, 6) == (3, 6)


def test_quotations_keep_their_words_and_skip_short_names():
    text = "クラスター「津市ルネサンス５」の代表は「一本の木では森にならない。」と述べた。"
    [quote] = find_quotes(text)
    assert quote.words == "一本の木では森にならない。"
    assert quote.display() == "「一本の木では森にならない。」"
    assert text[quote.start : quote.end] == quote.text


def test_a_quotation_cut_at_its_opening_is_still_read_before_a_verb_of_saying():
    text = "将来に向けて実際のビジネスが実現されるよう願っている。」と発言しました。"
    [quote] = find_quotes(text)
    assert quote.words.startswith("将来に向けて")


def test_an_office_name_is_read_before_kankeisha():
    names = [o.text for o in find_organisations("日本貿易振興機構（JETRO）ジュネーブ事務所関係者")]
    assert names == ["日本貿易振興機構（JETRO）", "ジュネーブ事務所"]


def test_an_office_named_without_its_holder_is_a_person_with_the_role_given():
    [governor] = find_people("平成２１年１１月、三重県知事を団長に、県内企業の関係者が参加")
    assert (governor.display(), governor.name, governor.role) == ("三重県知事", "", "団長")


def test_a_bare_title_before_a_quotation_is_its_speaker():
    [speaker] = find_people(
        "これに対し、市長からは「協定は行政主導ではなく実現した」と発言しました。"
    )
    assert (speaker.text, speaker.title) == ("市長", "市長")


def test_a_bare_title_in_running_text_is_not_a_person():
    assert find_people("市長が協定書に署名しました。") == []


def test_a_name_in_brackets_after_what_it_is_keeps_that_kind():
    [maker] = find_organisations("近郊の鋳造メーカー「Rheinguss GmbH」と覚書を締結")
    assert (maker.name, maker.head) == ("Rheinguss GmbH", "メーカー")
    [office] = find_organisations("日本貿易振興機構ジュネーブ事務所関係者")
    assert office.head == "事務所"


def test_languages_are_found_but_not_words_that_merely_end_in_go():
    text = "協定書はフランス語と日本語で作成され、専門用語の日本語名も添えました。"
    assert [span.text for span in find_languages(text)] == ["フランス語", "日本語"]


def test_a_foreign_name_cut_off_by_a_garbled_column_ends_with_its_latin_words():
    text = (
        "欧州原子核研究機構（CERN: Organisation européenne pour la recherche \n\n"
        "ジュネーブ州企業関係者、津市欧州ミッション団、\n\nの参加のもと開催された"
    )
    [org] = [o for o in find_organisations(text) if o.abbreviation]
    assert (org.name, org.abbreviation) == ("欧州原子核研究機構", "CERN")
    assert org.foreign_name == "Organisation européenne pour la recherche"
    assert text[org.start : org.end] == org.text


def test_a_name_followed_by_its_country_is_a_place():
    places = find_places("5月21日（水）ミュルーズ（フランス）化学企業との商談会")
    assert [p.text for p in places] == ["ミュルーズ"]
