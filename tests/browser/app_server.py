"""Start ``python app.py`` in a subprocess on a free loopback port, with a throwaway data dir.

Used by the Playwright tests and by tests/test_app_client.py: the real app, the real models,
the real index; only the data directory is temporary. The converted embedding model is
shared through REPORTS_MODEL_DIR (set by tests/conftest.py) so it is not converted again,
and most tests start the app on a copy of the session's index of corpus/ (the
``corpus_data_dir`` fixture) so it does not index corpus/ again either.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT = 300  # seconds: torch import + model load + first ingest on 2 slow cores
READY_LINE = "準備ができました"  # printed by app.py once the models and the index are ready


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_environment(data_dir: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        REPORTS_DATA_DIR=str(data_dir),
        REPORTS_CORPUS_DIR=str(REPO / "corpus"),
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        GRADIO_ANALYTICS_ENABLED="False",
        PYTHONUNBUFFERED="1",
    )
    env.pop("REPORTS_AUTH", None)
    env.update(extra)
    return env


@contextmanager
def running_app(
    data_dir: Path, *, wait_until_ready: bool = True, **extra_env: str
) -> Iterator[str]:
    """Yield the URL of a running app (once it is ready to answer, unless
    ``wait_until_ready`` is False: then as soon as the page is served); stop it (and only it)
    afterwards."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = data_dir.parent / f"app-{port}.log"
    with open(log_path, "w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [sys.executable, str(REPO / "app.py"), "--port", str(port)],
            cwd=REPO,
            env=app_environment(data_dir, **extra_env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        url = f"http://127.0.0.1:{port}/"
        try:
            wait_until_serving(url, process, log_path)
            if wait_until_ready:
                wait_for_line(READY_LINE, process, log_path)
            yield url
        finally:
            stop(process)


def wait_until_serving(url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"app.py exited with {process.returncode}:\n{tail(log_path)}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except urllib.error.HTTPError:
            return  # it answers (e.g. 401 when a login is required)
        except OSError:
            time.sleep(1)
    raise RuntimeError(f"app.py did not start within {STARTUP_TIMEOUT} s:\n{tail(log_path)}")


def wait_for_line(text: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if text in log_path.read_text(encoding="utf-8", errors="replace"):
            return
        if process.poll() is not None:
            raise RuntimeError(f"app.py exited with {process.returncode}:\n{tail(log_path)}")
        time.sleep(0.5)
    raise RuntimeError(f"app.py was not ready within {STARTUP_TIMEOUT} s:\n{tail(log_path)}")


def stop(process: subprocess.Popen) -> None:
    """Stop the app's own process group (it was started in a new session)."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=20)


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def write_report(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


# A report whose facts appear nowhere in the corpus: answerable only once it is uploaded.
NEW_REPORT_NAME = "鈴鹿_姉妹都市交流_2019.txt"
NEW_REPORT_TEXT = """鈴鹿市とカナダ・ブラントフォード市の青少年交流事業報告

１　事業の概要
令和元年8月5日から8月14日まで、鈴鹿市の中学生12名がブラントフォード市を訪問し、
ホームステイと現地の学校での授業体験を行いました。

２　訪問団の構成
訪問団は中学生12名と引率教員2名の計14名で構成されました。
団長は鈴鹿市国際交流課の山田花子課長が務めました。
"""
NEW_REPORT_QUESTION = "ブラントフォード市を訪問した中学生は何名ですか？"

HOSTILE_REPORT_NAME = "hostile_report.txt"
HOSTILE_MARKUP = "<script>alert(1)</script><img src=x onerror=alert(1)>"
HOSTILE_REPORT_TEXT = f"""亀山市とポルトガル・コインブラ市の文化交流報告

１　交流の内容
令和2年10月3日、亀山市の文化使節団がコインブラ大学を訪問しました。{HOSTILE_MARKUP}
使節団はファド音楽の公演を鑑賞し、陶芸家9名と意見交換を行いました。{HOSTILE_MARKUP}
"""
HOSTILE_QUESTION = "亀山市の文化使節団が意見交換した陶芸家は何名？"


def small_question_file(directory: Path, count: int = 3) -> Path:
    """The first questions of the default set, for an evaluation that runs in seconds."""
    lines = (REPO / "corpus" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    path = directory / "questions_small.jsonl"
    directory.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines[:count]) + "\n", encoding="utf-8")
    return path
