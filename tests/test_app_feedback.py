"""Feedback per login (webui/feedback.py): each login's 👎 and corrections are stored and
exported apart, as its conversations are; export files have names nobody guesses and are
downloaded from a copy, never from the data directory. Without a login, as it always was."""

from __future__ import annotations

import json

import gradio as gr
import pytest

from assistant.evaluation.questions import load_questions
from assistant.feedback import Feedback, feedback_folder
from ingest.settings import Settings
from webui.handlers import WebApp


@pytest.fixture
def app(tmp_path) -> WebApp:
    """The web app's feedback handlers; answering is not needed to rate an answer."""
    return WebApp(Settings(data_dir=tmp_path / "data"), assistant=None, ingestor=None)


def login(name: str | None) -> gr.Request:
    return gr.Request(username=name)


def thumbs_down(app: WebApp, user: str | None, question: str, correction: str) -> None:
    messages = [
        {"role": "user", "content": question},
        {"role": "assistant", "content": "平成24年11月20日です。"},
    ]
    liked = gr.LikeData(None, {"index": 1, "value": messages[1]["content"], "liked": False})
    _status, _box, rated = app.rate(liked, messages, None, login(user))
    app.correct(rated, correction, False, login(user))


def exported(app: WebApp, user: str | None) -> tuple[list[str], str]:
    """The questions of ``user``'s export, and the path the page downloads."""
    _status, path = app.export_feedback(login(user))
    return [q.question for q in load_questions([path])], path


def test_each_login_exports_only_its_own_corrections(app, tmp_path):
    thumbs_down(app, "sato", "佐藤の質問：協定はいつ？", "11月21日")
    thumbs_down(app, "tanaka", "田中の質問：何社参加？", "7社")

    sato, sato_file = exported(app, "sato")
    tanaka, tanaka_file = exported(app, "tanaka")
    assert sato == ["佐藤の質問：協定はいつ？"]
    assert tanaka == ["田中の質問：何社参加？"]
    assert app.feedback.of("tanaka").latest()[0][0].user == "tanaka"
    # nothing of either lands in the file all logins shared
    assert not (feedback_folder(app.settings.data_dir) / "feedback.jsonl").exists()


def test_a_login_without_feedback_is_told_so_and_sees_nobody_elses(app):
    thumbs_down(app, "sato", "佐藤の質問：協定はいつ？", "11月21日")
    with pytest.raises(gr.Error, match="書き出せるフィードバックがありません"):
        app.export_feedback(login("tanaka"))


def test_export_files_have_unguessable_names_and_are_downloaded_from_outside_the_data_dir(app):
    thumbs_down(app, "sato", "佐藤の質問：協定はいつ？", "11月21日")
    _, first = exported(app, "sato")
    _, second = exported(app, "sato")
    kept = sorted((feedback_folder(app.settings.data_dir) / "users").rglob("*.jsonl"))
    exports = [p for p in kept if p.parent.name == "exports"]
    assert len(exports) == 2 and exports[0].name != exports[1].name
    for path in exports:  # a readable date, then 32 random hex digits
        assert len(path.stem.rsplit("_", 1)[1]) == 32
    data_dir = app.settings.data_dir.resolve()
    for download in (first, second):
        assert not str(download).startswith(str(data_dir))


def test_feedback_given_before_it_was_kept_per_login_still_counts_for_its_login(app):
    pooled = feedback_folder(app.settings.data_dir) / "feedback.jsonl"
    pooled.parent.mkdir(parents=True)
    earlier = [
        Feedback(
            id=f"c:{user}",
            rating="bad",
            question=f"{user}の以前の質問？",
            answer="…",
            correction="答え",
            user=user,
            at="2026-01-01T00:00:00+00:00",
        )
        for user in ("sato", "tanaka")
    ]
    pooled.write_text(
        "".join(json.dumps(f.__dict__, ensure_ascii=False) + "\n" for f in earlier),
        encoding="utf-8",
    )
    assert exported(app, "sato")[0] == ["satoの以前の質問？"]
    assert exported(app, "tanaka")[0] == ["tanakaの以前の質問？"]
    assert pooled.read_text(encoding="utf-8").count("\n") == 2  # left as it was


def test_without_a_login_feedback_stays_in_the_one_file_as_before(app):
    thumbs_down(app, None, "質問：協定はいつ？", "11月21日")
    pooled = feedback_folder(app.settings.data_dir) / "feedback.jsonl"
    assert [json.loads(line)["question"] for line in pooled.read_text("utf-8").splitlines()] == [
        "質問：協定はいつ？",
        "質問：協定はいつ？",
    ]  # the 👎, then its correction
    assert exported(app, None)[0] == ["質問：協定はいつ？"]


# -- the real app, two logins ----------------------------------------------------------------


@pytest.mark.slow
def test_in_the_running_app_a_login_neither_exports_nor_fetches_anothers_feedback(tmp_path):
    import httpx
    from gradio_client import Client

    from tests.browser.app_server import running_app

    data_dir = tmp_path / "data"
    pooled = feedback_folder(data_dir) / "feedback.jsonl"  # sato's 👎, as every version keeps it
    pooled.parent.mkdir(parents=True)
    sato_feedback = Feedback(
        id="c:1",
        rating="bad",
        question="佐藤の質問：協定はいつ？",
        answer="…",
        correction="11月21日",
        user="sato",
        at="2026-01-01T00:00:00+00:00",
    )
    pooled.write_text(json.dumps(sato_feedback.__dict__, ensure_ascii=False) + "\n", "utf-8")
    logins = tmp_path / "users.txt"
    logins.write_text("sato:pass-1\ntanaka:pass-2\n", encoding="utf-8")

    with running_app(data_dir, wait_until_ready=False, REPORTS_AUTH=str(logins)) as url:
        sato = Client(url, auth=("sato", "pass-1"), verbose=False)
        _status, path = sato.predict(api_name="/export_feedback")
        assert [q.question for q in load_questions([path])] == ["佐藤の質問：協定はいつ？"]

        tanaka = Client(url, auth=("tanaka", "pass-2"), verbose=False)
        with pytest.raises(Exception, match="書き出せるフィードバックがありません"):  # noqa: B017
            tanaka.predict(api_name="/export_feedback")

        with httpx.Client(base_url=url, timeout=30) as browser:
            browser.post("login", data={"username": "tanaka", "password": "pass-2"})
            assert browser.get("config").status_code == 200  # logged in
            stored = [p for p in feedback_folder(data_dir).rglob("*") if p.is_file()]
            assert any(p.suffix == ".jsonl" and p != pooled for p in stored)  # sato's export
            for path in stored:  # even knowing where every file is
                response = browser.get(f"gradio_api/file={path.resolve()}")
                assert response.status_code == 403, (path, response.text[:200])


def test_a_lone_surrogate_in_a_correction_or_a_rated_message_is_refused_in_japanese(app):
    """A forged API call can send text UTF-8 cannot hold; it is named, never stored."""
    messages = [
        {"role": "user", "content": "質問\ud800です"},
        {"role": "assistant", "content": "回答\udc80です。"},
    ]
    liked = gr.LikeData(None, {"index": 1, "value": messages[1]["content"], "liked": False})
    with pytest.raises(gr.Error, match="U\\+DC80") as refused:
        app.rate(liked, messages, None, login("sato"))
    assert "評価した回答" in refused.value.message and "消して" in refused.value.message

    fine = [{"role": "user", "content": "質問です"}, {"role": "assistant", "content": "回答。"}]
    _status, _box, rated = app.rate(
        gr.LikeData(None, {"index": 1, "value": "回答。", "liked": False}),
        fine,
        None,
        login("sato"),
    )
    with pytest.raises(gr.Error, match="訂正に保存できない文字（U\\+D83D"):
        app.correct(rated, "11月\ud83d21日", False, login("sato"))
    [stored], problems = app.feedback.of("sato").latest()
    assert stored.correction == "" and problems == []  # the 👎 alone, the file still readable
