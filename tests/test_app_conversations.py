"""Saved conversations: kept per user, written whole or not at all, never lost when broken."""

from __future__ import annotations

import json

import pytest

from webui.chat import conversation_choices
from webui.conversations import (
    DEFAULT_TITLE,
    LOCAL_USER,
    Conversation,
    ConversationError,
    ConversationStore,
    Summary,
    browser_secret,
    rating_marks,
    title_from_question,
    user_folder,
)


@pytest.fixture
def store(tmp_path):
    return ConversationStore(tmp_path / "conversations")


def saved(store, user=None, question="津市がOPIと協定を結んだのはいつ？") -> Conversation:
    conversation = Conversation.new()
    conversation.title = title_from_question(question)
    conversation.messages = [
        {"role": "user", "content": question},
        {"role": "assistant", "content": '<div class="ra-msg">11月21日です。</div>'},
    ]
    conversation.sources = ["tsu_2012.txt"]
    store.save(user, conversation)
    return conversation


def test_a_saved_conversation_reads_back_whole(store):
    conversation = saved(store)
    again = store.load(None, conversation.id)
    assert again.messages == conversation.messages
    assert again.sources == ["tsu_2012.txt"] and again.title == conversation.title


def test_the_list_shows_the_latest_conversation_first(store):
    first, second = saved(store, question="最初の質問"), saved(store, question="次の質問")
    summaries, problems = store.summaries(None)
    assert [s.id for s in summaries] == [second.id, first.id] and problems == []
    store.save(None, store.load(None, first.id))  # answered again: it moves to the top
    assert store.summaries(None)[0][0].id == first.id


def test_each_login_has_its_own_conversations(store):
    mine = saved(store, user="sato")
    assert [s.id for s in store.summaries("sato")[0]] == [mine.id]
    assert store.summaries("tanaka") == ([], [])
    assert store.summaries(None) == ([], [])
    with pytest.raises(ConversationError):
        store.load("tanaka", mine.id)


def test_the_marks_on_answers_read_back_in_order_without_moving_the_conversation(store):
    first, second = saved(store, question="最初の質問"), saved(store, question="次の質問")
    first.messages += [
        {"role": "user", "content": "続きの質問"},
        {"role": "assistant", "content": '<div class="ra-msg">二つ目の回答</div>'},
    ]
    first.ratings = {"another answer": "Dislike"}  # no longer shown: no mark
    first.ratings['<div class="ra-msg">二つ目の回答</div>'] = "Like"
    store.save(None, first, touch=False)
    assert store.summaries(None)[0][0].id == second.id  # a mark does not reorder the list
    again = store.load(None, first.id)
    assert rating_marks(again, key_of=lambda content: content) == [None, "Like"]


def test_user_folders_are_safe_and_distinct():
    assert user_folder(None) == LOCAL_USER
    assert "/" not in user_folder("../../etc") and not user_folder("../x").startswith(".")
    assert user_folder("佐藤") != user_folder("佐藤 ")
    assert user_folder("a/b") != user_folder("a_b")


def test_rename_and_delete(store):
    conversation = saved(store)
    store.rename(None, conversation.id, "  OPI との協定  ")
    assert store.summaries(None)[0][0].title == "OPI との協定"
    store.delete(None, conversation.id)
    assert store.summaries(None) == ([], [])
    with pytest.raises(ConversationError, match="見つかりませんでした"):
        store.delete(None, conversation.id)


@pytest.mark.parametrize(("title", "message"), [("  ", "名前を入力"), ("あ" * 61, "長すぎます")])
def test_bad_names_are_refused_in_japanese(store, title, message):
    conversation = saved(store)
    with pytest.raises(ConversationError, match=message):
        store.rename(None, conversation.id, title)
    assert store.load(None, conversation.id).title == conversation.title


def test_a_broken_file_is_named_left_in_place_and_the_rest_still_listed(store):
    good = saved(store)
    broken = saved(store, question="壊れる会話")
    path = store.folder(None) / f"{broken.id}.json"
    path.write_text('{"id": "' + broken.id + '", "messages": [', encoding="utf-8")
    summaries, problems = store.summaries(None)
    assert [s.id for s in summaries] == [good.id]
    assert len(problems) == 1 and f"{broken.id}.json" in problems[0]
    assert "壊れています" in problems[0] and "残してあります" in problems[0]
    with pytest.raises(ConversationError, match="読み込めませんでした"):
        store.load(None, broken.id)
    assert path.read_text(encoding="utf-8").endswith('"messages": [')  # not lost


def test_saving_leaves_no_partial_files(store):
    conversation = saved(store)
    conversation.messages.append({"role": "user", "content": "次の質問"})
    store.save(None, conversation)
    files = sorted(p.name for p in store.folder(None).iterdir())
    assert files == [f"{conversation.id}.json"]
    assert json.loads((store.folder(None) / files[0]).read_text(encoding="utf-8"))["messages"][
        -1
    ] == {"role": "user", "content": "次の質問"}


@pytest.mark.parametrize("bad_id", ["../../secret", "", "abc", "A" * 32])
def test_only_our_own_ids_name_a_file(store, bad_id):
    with pytest.raises(ConversationError, match="見つかりませんでした"):
        store.load(None, bad_id)


def test_a_new_conversation_is_named_after_its_first_question():
    assert Conversation.new().title == DEFAULT_TITLE
    assert title_from_question("短い質問") == "短い質問"
    long = title_from_question("欧州ミッション団には何社が参加しましたか？" * 3)
    assert len(long) == 31 and long.endswith("…")


def test_the_browser_secret_survives_a_restart(tmp_path):
    first = browser_secret(tmp_path)
    assert first and browser_secret(tmp_path) == first


def test_conversations_of_the_same_name_are_told_apart_in_the_list():
    summaries = [
        Summary("a" * 32, "ARDの正式名称は？", "2026-12-07T14:40:05+00:00"),
        Summary("b" * 32, "ARDの正式名称は？", "2026-12-07T14:31:00+00:00"),
        Summary("c" * 32, "OPIの代表は誰？", "2026-12-07T14:20:00+00:00"),
        Summary("d" * 32, "同じ時刻", "2026-12-07T14:00:00+00:00"),
        Summary("e" * 32, "同じ時刻", "2026-12-07T14:00:00+00:00"),
    ]
    labels = [label for label, _id in conversation_choices(summaries)]
    assert len(set(labels)) == len(labels)
    assert labels[2] == "OPIの代表は誰？"  # a name of its own is shown as it is
    assert labels[0].startswith("ARDの正式名称は？（") and labels[0] != labels[1]
    assert [i for _label, i in conversation_choices(summaries)] == [s.id for s in summaries]
