"""Load on the web chat: --sessions concurrent chat sessions (default 50) over gradio_client on
loopback for a bounded time; latency p50/p95, errors, and the app's memory before and after.

    python bench/load.py [--sessions 50] [--seconds 60] [--url URL --pid PID] [--json]

Without --url it starts ``python app.py --port P`` itself on a free loopback port with a
throwaway data directory (the app ingests corpus/ on start) and stops it afterwards. Each
session is its own ``gradio_client.Client`` (its own Gradio session, so its own chat history)
and asks questions from corpus/questions.jsonl one after another until the time is up; a
question still running then is awaited for at most --grace seconds. An error is an exception
from the client, a timeout, or the app's own error message in place of an answer.

Targets: 0 errors; the app's resident memory grows by at most --rss-bound MB (default 200)
between the warm-up before the load and the end of it.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gradio_client import Client  # noqa: E402

from assistant.evaluation.metrics import percentile  # noqa: E402
from assistant.evaluation.questions import load_question_file  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
QUESTIONS = REPO / "corpus" / "questions.jsonl"
APP_ERROR_MARK = 'class="ra-msg ra-error"'  # webui.render.render_error


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=50, help="concurrent chat sessions")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to keep asking")
    parser.add_argument("--grace", type=float, default=120.0, help="wait for the last answers")
    parser.add_argument("--url", help="a running app to load instead of starting one")
    parser.add_argument("--pid", type=int, help="with --url: the app's process id, for RSS")
    parser.add_argument("--rss-bound", type=float, default=200.0, help="allowed growth, MB")
    parser.add_argument("--startup-timeout", type=float, default=600.0, help="seconds")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    return parser.parse_args(argv)


# -- the app under test ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def started_app(data_dir: Path, timeout: float) -> Iterator[tuple[str, int]]:
    """``python app.py`` on a free loopback port; yields (url, pid); stops its process group."""
    port = free_port()
    env = dict(
        os.environ,
        REPORTS_DATA_DIR=str(data_dir),
        REPORTS_CORPUS_DIR=str(REPO / "corpus"),
        REPORTS_MODEL_DIR=os.environ.get("REPORTS_MODEL_DIR", str(REPO / ".cache" / "models")),
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        GRADIO_ANALYTICS_ENABLED="False",
    )
    env.pop("REPORTS_AUTH", None)  # the load test logs in as nobody
    log_path = data_dir.parent / "app.log"
    with open(log_path, "w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [sys.executable, str(REPO / "app.py"), "--port", str(port)],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped as a whole, and only it
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until_serving(url, process, log_path, timeout)
        yield url, process.pid
    finally:
        stop(process)


def wait_until_serving(url: str, process: subprocess.Popen, log_path: Path, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"app.py exited with {process.returncode}:\n{tail(log_path)}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except urllib.error.HTTPError:
            return  # it answers (a login page counts)
        except OSError:
            time.sleep(1)
    raise RuntimeError(f"app.py did not serve within {timeout:.0f} s:\n{tail(log_path)}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=20)


def tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def tree_rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and all its descendants, from /proc."""
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        try:
            with open(f"/proc/{current}/status", encoding="ascii") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) / 1024.0
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children", encoding="ascii") as kids:
                    pending.extend(int(k) for k in kids.read().split())
        except (FileNotFoundError, ProcessLookupError):
            continue  # it exited meanwhile
    return total


# -- the load --------------------------------------------------------------------------------


def new_client(url: str) -> Client:
    return Client(url, verbose=False, analytics_enabled=False, download_files=False)


def chat_endpoint(client: Client) -> str:
    """The chat's API name, found in the app's own API description."""
    names = list(client.view_api(print_info=False, return_format="dict")["named_endpoints"])
    chats = [n for n in names if n.strip("/") == "chat"] or [n for n in names if "chat" in n]
    if not chats:
        raise RuntimeError(f"no chat endpoint among {names}")
    return chats[0]


@dataclass
class Tally:
    """What all sessions saw; appended to from many threads."""

    latencies_ms: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ok(self, latency_ms: float) -> None:
        with self.lock:
            self.latencies_ms.append(latency_ms)

    def failed(self, kind: str, example: str) -> None:
        with self.lock:
            self.errors[kind] = self.errors.get(kind, 0) + 1
            if len(self.examples) < 5:
                self.examples.append(f"{kind}: {example[:200]}")


def session(
    url: str,
    endpoint: str,
    questions: list[str],
    offset: int,
    stop_at: float,
    grace: float,
    tally: Tally,
) -> None:
    """One user: ask, wait for the answer, ask the next, until ``stop_at``."""
    try:
        client = new_client(url)
    except Exception as exc:  # any failure to connect is an error to count
        tally.failed("connect", repr(exc))
        return
    try:
        ask_until(client, endpoint, questions, offset, stop_at, grace, tally)
    finally:
        client.close()


def ask_until(client, endpoint, questions, offset, stop_at, grace, tally) -> None:
    n = 0
    while time.monotonic() < stop_at:
        question = questions[(offset + n) % len(questions)]
        n += 1
        started = time.monotonic()
        job = None
        try:
            job = client.submit(question, api_name=endpoint)
            message = job.result(timeout=max(stop_at - started, 0) + grace)
        except TimeoutError:
            if job is not None:
                job.cancel()
            tally.failed("timeout", question)
            continue
        except Exception as exc:  # the client raises many kinds; each is an error to count
            tally.failed(type(exc).__name__, repr(exc))
            continue
        latency = (time.monotonic() - started) * 1000.0
        if APP_ERROR_MARK in str(message):
            tally.failed("app error message", question)
        else:
            tally.ok(latency)


def drive(url: str, pid: int | None, args: argparse.Namespace) -> dict:
    questions = [q.question for q in load_question_file(QUESTIONS)]
    probe = new_client(url)
    endpoint = chat_endpoint(probe)
    warm_started = time.monotonic()
    probe.predict(questions[0], api_name=endpoint)  # first answer loads lazy parts: untimed
    warm_ms = (time.monotonic() - warm_started) * 1000.0
    rss_before = tree_rss_mb(pid) if pid else None

    tally = Tally()
    started = time.monotonic()
    stop_at = started + args.seconds
    with ThreadPoolExecutor(max_workers=args.sessions) as pool:
        users = [
            pool.submit(session, url, endpoint, questions, i * 7, stop_at, args.grace, tally)
            for i in range(args.sessions)
        ]
    for user in users:
        if user.exception() is not None:  # a bug in a session, not an app error: show it
            raise user.exception()
    elapsed = time.monotonic() - started
    rss_after = tree_rss_mb(pid) if pid else None
    return {
        "endpoint": endpoint,
        "sessions": args.sessions,
        "seconds": args.seconds,
        "elapsed_s": elapsed,
        "answers": len(tally.latencies_ms),
        "answers_per_s": len(tally.latencies_ms) / elapsed,
        "latency_ms": {
            "p50": percentile(tally.latencies_ms, 50),
            "p95": percentile(tally.latencies_ms, 95),
            "max": max(tally.latencies_ms, default=None),
        },
        "warm_up_answer_ms": warm_ms,
        "errors": sum(tally.errors.values()),
        "errors_by_kind": tally.errors,
        "error_examples": tally.examples,
        "rss_before_mb": rss_before,
        "rss_after_mb": rss_after,
        "rss_growth_mb": rss_after - rss_before if pid else None,
        "rss_bound_mb": args.rss_bound,
    }


def report(result: dict) -> str:
    latency = result["latency_ms"]
    lines = [
        f"{result['sessions']} concurrent sessions for {result['seconds']:.0f} s on {result['endpoint']} "
        f"(ran {result['elapsed_s']:.0f} s including the last answers)",
        f"answers: {result['answers']} ({result['answers_per_s']:.2f}/s); latency p50 "
        f"{_ms(latency['p50'])}, p95 {_ms(latency['p95'])}, max {_ms(latency['max'])}; "
        f"warm-up answer {result['warm_up_answer_ms']:.0f} ms",
        f"errors: {result['errors']} (target 0: {'met' if result['errors'] == 0 else 'MISSED'})"
        + (f" {result['errors_by_kind']}" if result["errors"] else ""),
    ]
    lines += [f"  e.g. {example}" for example in result["error_examples"]]
    if result["rss_before_mb"] is None:
        lines.append("app RSS: not measured (give --pid with --url)")
    else:
        growth = result["rss_growth_mb"]
        verdict = "met" if growth <= result["rss_bound_mb"] else "MISSED"
        lines.append(
            f"app RSS: {result['rss_before_mb']:.0f} MB before, {result['rss_after_mb']:.0f} MB "
            f"after; growth {growth:+.0f} MB (bound <= {result['rss_bound_mb']:.0f} MB: {verdict})"
        )
    return "\n".join(lines)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} ms"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.url:
        result = drive(args.url, args.pid, args)
    else:
        with (
            tempfile.TemporaryDirectory(prefix="bench-load-") as tmp,
            started_app(Path(tmp) / "data", args.startup_timeout) as (url, pid),
        ):
            result = drive(url, pid, args)
    print(report(result))
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0 if result["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
