"""The extractive answerer: short answers stated from the passages, quoted exactly, or an
honest abstention."""

from assistant.citations import is_verbatim
from assistant.extractive import answer_extractively, split_sentences
from assistant.records import ABSTENTION, Passage
from ingest.records import Chunk

SIGNING = (
    "平成24年11月20日、津市とパリ地域経済開発局（ARD：Agence Régionale de Développement "
    "Paris Île-de-France）との間で、経済交流に関する協力協定を締結し、翌21日には津市と"
    "ジュネーブ州産業振興機構（OPI：Office de Promotion des Industries et des Technologies）"
    "との間で、経済交流に関する協力協定を締結しました。"
)
MISSION = (
    "平成２４年１１月１６日（金）から２５日（日）にかけて、市単独としては初となる欧州ミッション団を"
    "派遣し、市内中小企業７社が参加しました。一行は、欧州の産業市場や技術動向の情報収集を目的に、"
    "フランスやスイス・ドイツを訪問し、展示会視察、現地企業訪問、ビジネスマッチング等を実施しました。"
)
PARTNERS = (
    "OPIのピエール=フランソワ・アンジェ代表から、「今回の協定調印は両地域の中小企業にとって新たな"
    "ビジネスチャンスが生まれるまたとない機会。」との発言がありました。"
    "津市とARDが連携し、メカトロニクスや医療・福祉機器関連、環境・エネルギーや航空宇宙産業等の"
    "分野で中小企業連携を支援することが確認されました。"
)
HISTORY = (
    "平成２１年１１月、三重県知事を団長に、津市、四日市市のほか県内中小企業の関係者２５名が参加する"
    "経済ミッション団が欧州を訪問し、フランス・アヌシー市において、日仏８者間における産業協力協定を"
    "締結しました。"
)
MIN_SUPPORT = 0.45


def passage(text: str, index: int = 0) -> Passage:
    chunk = Chunk(
        chunk_id=f"tsu-{index}",
        text=text,
        source="tsu_2012_europe_economic_agreements.txt",
        title="津市の経済交流に関する協力協定の締結について",
        section="■これまでの経緯",
        start=0,
        end=len(text),
        content_hash=str(index),
        page=index + 1,
    )
    return Passage(chunk=chunk, score=1.0 / (index + 1), keyword_rank=index)


REPORT = [passage(SIGNING, 0), passage(MISSION, 1), passage(PARTNERS, 2), passage(HISTORY, 3)]


def ask(question: str, passages=REPORT):
    return answer_extractively(question, passages, min_support=MIN_SUPPORT)


def test_when_question_gets_both_calendars_and_resolves_the_next_day():
    answer = ask("津市がOPIと協定を結んだのはいつ？")
    assert not answer.abstained
    assert answer.answer.startswith("2012年（平成24年）11月21日です。[1]")


def test_answer_quotes_the_sentence_it_came_from_with_a_marker():
    answer = ask("津市がOPIと協定を結んだのはいつ？")
    [citation] = answer.citations
    assert citation.marker == 1
    assert citation.text == SIGNING
    assert f"[1] 「{SIGNING}」" in answer.answer
    assert is_verbatim(citation)
    assert (citation.source, citation.page, citation.chunk_id) == (
        "tsu_2012_europe_economic_agreements.txt",
        1,
        "tsu-0",
    )


def test_the_date_nearest_the_asked_partner_wins():
    assert ask("津市がARDと協定を締結したのはいつですか？").answer.startswith(
        "2012年（平成24年）11月20日です。"
    )


def test_period_question_gets_the_range_from_full_width_digits():
    answer = ask("欧州ミッション団の派遣期間は？")
    assert answer.answer.startswith("2012年（平成24年）11月16日から25日までです。")
    assert answer.citations[0].text.startswith("平成２４年１１月１６日（金）")  # quoted as written


def test_count_question_gets_the_count_with_its_counter():
    assert ask("欧州ミッション団には何社参加しましたか？").answer.startswith("7社です。")
    assert ask("平成21年の経済ミッション団には何名が参加しましたか？").answer.startswith(
        "25名です。"
    )


def test_who_question_gets_the_name_and_title():
    assert ask("OPIの代表は誰ですか？").answer.startswith("ピエール=フランソワ・アンジェ代表です。")


def test_who_question_with_a_title_nobody_holds_abstains():
    assert ask("ARDの担当部長の名前は？").abstained


def test_abbreviation_question_spells_out_the_organisation():
    answer = ask("ARDは何の略ですか？")
    assert answer.answer.startswith(
        "パリ地域経済開発局（ARD：Agence Régionale de Développement Paris Île-de-France）の略です。"
    )


def test_where_question_gets_the_place():
    assert ask("日仏8者間の産業協力協定はどこで締結されましたか？").answer.startswith(
        "フランス・アヌシー市です。"
    )


def test_list_question_gets_every_item():
    assert ask("欧州ミッション団はどこを訪問しましたか？").answer.startswith(
        "フランス、スイス、ドイツです。"
    )


def test_fields_question_gets_the_whole_enumeration():
    answer = ask("ARDとの協定ではどの分野で連携しますか？")
    assert answer.answer.startswith(
        "メカトロニクス、医療・福祉機器関連、環境・エネルギー、航空宇宙産業などです。"
    )


def test_why_question_quotes_the_sentence():
    answer = ask("欧州ミッション団は何のために訪問したのですか？")
    assert not answer.abstained
    assert "情報収集を目的に" in answer.citations[0].text
    assert answer.answer.split("\n")[1] == f"[1] 「{answer.citations[0].text}」"


def test_question_about_an_absent_fact_abstains_with_related_passages():
    answer = ask("津市の人口は何人ですか？")
    assert answer.abstained
    assert answer.answer == ABSTENTION
    assert answer.citations == []
    assert 1 <= len(answer.related) <= 3
    assert all(is_verbatim(c) for c in answer.related)


def test_no_passages_means_abstention():
    answer = ask("津市がOPIと協定を結んだのはいつ？", passages=[])
    assert answer.abstained
    assert answer.related == []


def test_support_is_a_fraction_and_higher_for_a_supported_answer():
    supported = ask("津市がOPIと協定を結んだのはいつ？").support
    unsupported = ask("津市の人口は何人ですか？").support
    assert 0.0 <= unsupported < MIN_SUPPORT <= supported <= 1.0


def test_a_stricter_threshold_turns_an_answer_into_an_abstention():
    answer = answer_extractively(
        "欧州ミッション団には何社参加しましたか？", REPORT, min_support=1.01
    )
    assert answer.abstained


def test_sentences_split_after_periods_but_not_inside_quotes():
    text = "「願っている。」と発言しました。次の文です。"
    assert [text[s:e] for s, e in split_sentences(text)] == [
        "「願っている。」と発言しました。",
        "次の文です。",
    ]


SPEECH = (
    "これに対し市長からは、「一本の木では森にならない。多くのつながりを育て、両地域に豊かな森をつくりたい」"
    "と述べ、会場から大きな拍手が送られました。"
)
SIGNED_BY = "調印式はミュンヘン市内の本部で行われ、BIWの総裁と四日市市長が覚書に署名しました。"
DEALS = (
    "市内中小企業９社が参加しました。ミッション中の企業訪問により１６社との商談が行われ、"
    "具体的な引き合いもありました。"
)


YOKKAICHI = "四日市市とバイエルン州の産業協力に関する覚書の締結について"


def fixture_passage(text: str, title: str, index: int = 0) -> Passage:
    base = passage(text, index)
    return Passage(chunk=base.chunk.__class__(**{**base.chunk.__dict__, "title": title}), score=1.0)


def test_quote_question_answers_with_the_words_said_not_the_signing_sentence():
    reports = [fixture_passage(SIGNED_BY, YOKKAICHI, 0), fixture_passage(SPEECH, YOKKAICHI, 1)]
    question = "四日市市長は調印式で両地域の交流を何にたとえましたか？"
    answer = answer_extractively(question, reports, min_support=0)
    assert answer.answer.startswith("「一本の木では森にならない。")
    assert answer.answer.split("\n")[0].endswith("と述べています。[1]")


def test_a_question_about_another_city_is_not_answered_from_this_report():
    about_tsu = ask("津市がOPIと協定を結んだのはいつ？").support
    about_yokkaichi = ask("四日市市がOPIと協定を結んだのはいつ？")
    assert about_yokkaichi.abstained
    assert about_yokkaichi.support < 0.5 * about_tsu


def test_the_report_title_supplies_the_city_a_sentence_leaves_out():
    question = "四日市市のミッションで商談した相手は何社？"
    in_its_report = ask(question, [fixture_passage(DEALS, YOKKAICHI)])
    in_another_report = ask(question, [passage(DEALS)])  # a 津市 report
    assert in_its_report.support > 2 * in_another_report.support


def test_count_question_takes_the_count_next_to_what_it_counts():
    answer = answer_extractively(
        "ミッションで商談した相手は何社？", [passage(DEALS)], min_support=0
    )
    assert answer.answer.startswith("16社です。")


def test_bare_ikutsu_counts_with_the_counter_of_the_noun_before_it():
    assert ask("ミッションに参加した地元の会社はいくつ？").answer.startswith("7社です。")


def test_weekday_question_gets_the_weekday_of_the_first_day():
    answer = ask("欧州ミッション団の派遣は何曜日から始まりましたか？")
    assert answer.answer.startswith("金曜日（2012年（平成24年）11月16日）です。")


def test_end_of_a_period_question_gets_the_last_day():
    answer = answer_extractively(
        "欧州ミッション団の日程が終わったのは何日？", REPORT, min_support=0
    )
    assert answer.answer.startswith("2012年（平成24年）11月25日です。")


def test_a_validity_period_is_not_answered_with_a_single_date():
    assert ask("津市とOPIの協力協定の有効期間は何年ですか？").abstained


def test_office_question_names_the_office_not_the_organisation_it_asks_about():
    text = "調印式には、日本貿易振興機構（JETRO）ジュネーブ事務所関係者が同席しました。"
    answer = ask("調印式に同席したJETROの事務所は？", [passage(text)])
    assert answer.answer.startswith("ジュネーブ事務所です。")


def test_paraphrased_question_words_still_find_the_sentence():
    answer = ask("会社の人たちは何のためにヨーロッパを訪れたの？")
    assert not answer.abstained
    assert "情報収集を目的に" in answer.citations[0].text


MATSUSAKA = "松阪市とリヨン地域の経済交流に関する協力協定の締結について"
MISSION_OPENING = (
    "松阪市は、市内中小企業６社が参加する産業ミッション団を組織し、フランスを訪問して、"
    "見本市の視察、現地企業との商談会等を実施しました。"
)
LATER_CHUNK = "ミッション期間中の商談件数は12社に上りました。"


def test_a_count_beside_the_counted_noun_beats_a_count_of_something_else():
    report = [
        fixture_passage(MISSION_OPENING, MATSUSAKA, 0),
        fixture_passage(LATER_CHUNK, MATSUSAKA, 1),
    ]
    answer = answer_extractively("松阪市の産業ミッションでの商談件数は？", report, min_support=0)
    assert answer.answer.startswith("12社です。")


def test_a_name_the_report_gave_once_still_holds_in_its_later_chunks():
    in_report = [
        fixture_passage(MISSION_OPENING, MATSUSAKA, 0),
        fixture_passage(LATER_CHUNK, MATSUSAKA, 1),
    ]
    alone = [fixture_passage(LATER_CHUNK, MATSUSAKA, 1)]
    question = "産業ミッションの商談件数は？"
    with_context = answer_extractively(question, in_report, min_support=0)
    assert with_context.answer.startswith("12社です。")
    assert with_context.support > answer_extractively(question, alone, min_support=0).support


def test_what_was_done_is_the_list_the_verb_governs_not_the_countries():
    answer = ask("欧州ミッション団は現地で何を実施しましたか？")
    assert answer.answer.startswith("展示会視察、現地企業訪問、ビジネスマッチングなどです。")


def test_the_central_fields_are_the_list_before_wo_chuushin_to_shita():
    text = (
        "津市とOPIは、情報交換や人的交流の実施を含め、メカトロニクス産業やクリーンテックを"
        "中心とした産業振興、さらには産業投資や企業立地等も含めた協力を進めます。"
    )
    answer = ask("OPIとの協力で中心となる産業分野は？", [passage(text)])
    assert answer.answer.startswith("メカトロニクス産業、クリーンテックです。")


def test_what_was_set_up_is_the_object_of_the_asked_verb():
    text = (
        "平成２１年１１月、三重県や県内中小企業の関係者が参加する経済ミッション団が欧州を訪問しました。"
        "その後、津市では海外連携コーディネーターを設置し、市内企業の海外展開を支援しています。"
    )
    answer = ask("平成21年のミッションの後、津市は何を設置しましたか？", [passage(text)])
    assert answer.answer.startswith("海外連携コーディネーターです。")


def test_who_said_a_quoted_phrase_is_its_speaker_even_without_a_name():
    text = (
        "OPIのピエール=フランソワ・アンジェ代表から、「今回の協定調印はまたとない機会。」との"
        "発言がありました。これに対し、市長からは「OPIとの協定は行政主導ではなく、民間企業の"
        "熱意が実現したもの。」と発言しました。"
    )
    answer = ask("OPIとの協定について「行政主導ではなく」と発言したのは誰ですか？", [passage(text)])
    assert answer.answer.startswith("市長です。")


def test_the_leader_of_a_delegation_can_be_an_office_without_a_name():
    answer = ask("平成21年の経済ミッション団の団長は誰でしたか？")
    assert answer.answer.startswith("三重県知事です。")
    # asked for the governor's name, the report has none to give
    assert ask("平成21年の経済ミッション団の団長を務めた三重県知事の名前は？").abstained


SIGNATORIES = "調印式では、BRWのルーカス・マイヤー代表と内藤博之岡崎市長が協定書に署名しました。"


def test_a_role_asked_by_name_is_not_answered_by_someone_in_another_role():
    answer = ask("BRWの担当者の名前は？", [passage(SIGNATORIES)])
    assert answer.abstained


ATTENDEES = (
    "調印式には、ミッション団のほか、日本貿易振興機構（JETRO）パリ事務所関係者が同席しました。"
)


def test_company_names_are_not_answered_with_an_office():
    assert ask("ミッション団に参加した企業の社名は？", [passage(ATTENDEES)]).abstained
    deal = (
        "４社で構成する「桑名鋳物ネット４」が、鋳造メーカー「Rheinguss GmbH」と覚書を締結しました。"
    )
    answer = answer_extractively(
        "桑名鋳物ネット４が覚書を結んだ相手企業の社名は？", [passage(deal)], min_support=0
    )
    assert answer.answer.startswith("Rheinguss GmbHです。")


def test_what_language_is_answered_only_by_a_language():
    assert ask("OPIとの協定書は何語で書かれていますか？").abstained
    text = "OPIとの協定書は、フランス語と日本語の二か国語で作成されました。"
    answer = ask("OPIとの協定書は何語で書かれていますか？", [passage(text)])
    assert answer.answer.startswith("フランス語です。")


def test_a_what_question_about_content_is_answered_by_its_sentence_with_full_support():
    text = (
        "５社で構成する企業グループ「岡崎メディカル５」は、医薬品製造装置メーカー"
        "「Rhein Pharma Tech AG」との間で、同社製品の販売代理店契約を締結しました。"
    )
    answer = ask("岡崎メディカル５がRhein Pharma Tech AGと結んだ契約は何ですか？", [passage(text)])
    assert not answer.abstained
    assert answer.citations[0].text == text
    assert answer.support > 0.8


def test_a_count_in_another_spelling_of_the_asked_counter_answers():
    report = [passage("一行は平成２６年にスイス、ドイツ、フランスの３ヶ国を訪問しました。")]
    answer = ask("一行は何カ国を訪問しましたか？", report)
    assert answer.answer.startswith("3ヶ国です。")


def test_where_question_prefers_the_place_where_the_asked_thing_happened():
    report = [
        passage(
            "四日市市の経済ミッション団は、ミュンヘン市内のBIW本部で調印式を行い、"
            "その後ハノーファーで開催された産業見本市を視察しました。"
        )
    ]
    assert ask("産業見本市はどこで開催されましたか？", report).answer.startswith(
        "ハノーファーです。"
    )
    assert ask("調印式はどこで行われましたか？", report).answer.startswith("ミュンヘン")


def test_a_count_far_from_what_is_counted_is_quoted_in_its_sentence_instead():
    report = [
        passage(
            "市内中小企業９社が参加するミッション団は、ドイツ各地の研究所や大学を訪問し、"
            "最終日にはデュッセルドルフの日系企業を訪ねて意見交換会を開催しました。"
        )
    ]
    answer = answer_extractively(
        "最終日の意見交換会では何社の日系企業を訪ねましたか？", report, min_support=0
    )
    assert answer.answer.startswith("資料には次のように記載されています。")
    assert "9社です" not in answer.answer


def test_full_name_question_in_other_words_spells_out_the_organisation():
    answer = ask("OPIのフルネームを教えてください")
    assert "Office de Promotion des Industries et des Technologies" in answer.answer.split("[1]")[0]


def test_which_city_is_not_answered_with_countries():
    city = answer_extractively(
        "欧州ミッション団はどの都市を訪問しましたか？", REPORT, min_support=0
    )
    assert not city.answer.startswith("フランス、スイス、ドイツ")
    country = answer_extractively(
        "欧州ミッション団はどの国を訪問しましたか？", REPORT, min_support=0
    )
    assert country.answer.startswith("フランス、スイス、ドイツです。")


def test_a_term_asked_in_years_is_not_answered_by_a_trip_of_days():
    answer = ask("津市とARDとの協力協定の有効期間は何年ですか？")
    assert "16日" not in answer.answer.split("\n")[0]
    assert not answer.answer.startswith("2012年（平成24年）11月16日")


def test_a_sentence_about_another_partner_does_not_answer_for_the_asked_one():
    asked_about_opi = ask("津市がOPIと協定を結んだのはいつ？")
    asked_about_cern = ask("津市がCERNと協定を結んだのはいつ？")
    assert not asked_about_opi.abstained
    assert asked_about_cern.support < asked_about_opi.support / 2


def test_a_sentence_quoted_for_a_name_the_reports_do_not_give_needs_the_quote_threshold():
    """「社名は？」 reaches the sentence about the mission, which names no company: only a
    quote is possible, and a quote for an asked span is held to its own, higher threshold."""
    question = "欧州ミッション団に参加した企業の社名は？"
    loose = answer_extractively(question, REPORT, min_support=0)
    assert not loose.abstained and not loose.stated
    strict = answer_extractively(
        question, REPORT, min_support=0, min_quote_support=loose.support + 0.01
    )
    assert strict.abstained and strict.related


def test_an_answer_stating_the_asked_span_is_not_held_to_the_quote_threshold():
    answer = answer_extractively(
        "欧州ミッション団はいつ出発しましたか？", REPORT, min_support=0, min_quote_support=1.0
    )
    assert not answer.abstained and "11月16日" in answer.stated
