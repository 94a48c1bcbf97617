"""Follow-up questions become self-contained retrieval queries."""

from assistant.followup import refers_back, resolve_followup
from assistant.records import ABSTENTION

MISSION_TURN = (
    "欧州ミッション団はいつ派遣されましたか？",
    "2012年（平成24年）11月16日から25日までです。[1]\n[1] 「平成24年11月16日から25日にかけて、市内中小企業７社が参加…」",
)
OPI_TURN = (
    "OPIの代表は誰？",
    "ピエール=フランソワ・アンジェ代表です。[1]\n[1] 「OPIのピエール=フランソワ・アンジェ代表から、…とパリのARDとの…」",
)


def test_a_self_contained_question_is_unchanged():
    question = "津市がARDと協定を結んだのはいつ？"
    assert resolve_followup(question, [MISSION_TURN]) == question


def test_without_history_the_question_is_unchanged():
    assert resolve_followup("何社参加しましたか？", []) == "何社参加しましたか？"


def test_a_question_without_its_own_subject_carries_the_previous_subject():
    query = resolve_followup("何社参加しましたか？", [MISSION_TURN])
    assert query.startswith("欧州ミッション団")
    assert query.endswith("何社参加しましたか？")


def test_a_pointing_word_carries_the_person_named_in_the_previous_answer():
    query = resolve_followup("その人は何と発言しましたか？", [OPI_TURN])
    for term in ("ピエール=フランソワ・アンジェ", "OPI", "代表"):
        assert term in query
    assert query.endswith("その人は何と発言しましたか？")


def test_names_in_the_quoted_source_are_not_carried():
    assert "ARD" not in resolve_followup("その人は何と発言しましたか？", [OPI_TURN])


def test_a_chain_of_follow_ups_keeps_the_original_subject():
    second = ("何社参加しましたか？", "7社です。[1]\n[1] 「市内中小企業７社が参加…」")
    assert "欧州ミッション団" in resolve_followup(
        "そこではどこを訪問しましたか？", [MISSION_TURN, second]
    )


def test_an_abstained_answer_contributes_no_names():
    turn = ("ARDの職員数は？", ABSTENTION)
    query = resolve_followup("その局長は誰ですか？", [turn])
    assert query.startswith("ARD ")
    assert "資料" not in query and "記述" not in query


def test_pointing_words_are_recognised_but_ordinary_words_with_同_are_not():
    assert refers_back("同社の製品は？")
    assert refers_back("それはいつですか？")
    assert not refers_back("OPIとの共同開発の分野は？")
