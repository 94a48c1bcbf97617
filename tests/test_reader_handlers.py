"""How a span is stated: dates in both calendars, the asked end of a period, counts as written."""

from assistant.reader.candidates import passage_candidates
from assistant.reader.handlers import handler_for, phrase
from assistant.reader.question import analyse
from tests.support.passages import passage

MISSION = "平成 24 年 11 月 16 日（金）から 25 日（日）にかけて、市内中小企業７社が参加しました。"


def candidates(text):
    return passage_candidates([passage(text)])[0].candidates


def stated(question, text, kind):
    candidate = next(c for c in candidates(text) if c.kind == kind)
    return phrase(analyse(question), candidate)


def test_a_date_is_stated_in_both_calendars():
    assert stated("いつ出発しましたか？", "平成 24 年 11 月 16 日に出発した。", "date_day") == (
        "2012年（平成24年）11月16日です。"
    )


def test_a_period_is_stated_whole_and_its_end_when_the_end_is_asked():
    assert "16日から25日まで" in stated("派遣期間は？", MISSION, "date_range")
    assert (
        stated("日程が終わったのは何日？", MISSION, "date_range")
        == "2012年（平成24年）11月25日です。"
    )


def test_the_weekday_of_the_first_day():
    assert stated("何曜日から始まりましたか？", MISSION, "date_range").startswith("金曜日")


def test_a_count_is_stated_as_written():
    assert stated("何社参加しましたか？", MISSION, "count_companies") == "7社です。"
    assert (
        stated("決算額はいくら？", "決算額は2億1,480万円であった。", "money")
        == "2億1,480万円です。"
    )


def test_every_question_finds_a_handler():
    handler, cue = handler_for("こんにちは")
    assert handler.name == "other" and cue is None
    assert handler.quotes
