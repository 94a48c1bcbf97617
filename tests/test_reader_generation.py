"""Questions generated from reports: the span replaced by its interrogative, near misses."""

import random

from assistant.evaluation.questions import Question
from assistant.reader.generation import near_miss, report_questions
from assistant.spans import find_dates

SENTENCE = "平成24年11月20日、津市とパリ地域経済開発局との間で協力協定を締結しました。"


def test_a_date_becomes_itsu_and_the_answer_is_the_date_as_written_and_shown():
    made = report_questions("tsu.txt", SENTENCE, random.Random(1))
    dated = [q for q in made if "いつ" in q.question]
    assert dated, made
    assert "平成24年11月20日" in dated[0].expect_any
    assert find_dates(SENTENCE)[0].value.display() in dated[0].expect_any


def test_a_near_miss_asks_the_same_about_a_name_the_report_does_not_hold():
    question = Question(
        id="g", question="いつ、津市とARDが協定を締結しましたか？", source="tsu.txt"
    )
    miss = near_miss(
        question, {"city": ["四日市市"], "abbreviation": [], "name": []}, random.Random(1)
    )
    assert miss.unanswerable and "四日市市" in miss.question and "津市" not in miss.question
