"""Start-up work that runs after the page is already being served: load (and on first start
convert) the embedding model, index corpus/ when the index is empty, build the keyword
statistics. ``Startup`` records what is happening so the page can show it.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

LOADING_MODEL = "埋め込みモデルを準備しています（初回はモデルの変換に1〜2分かかります）…"
INDEXING = "資料を索引に取り込んでいます…"
BUILDING_KEYWORDS = "キーワード検索の準備をしています…"
READY = "準備ができました。質問できます。"
FAILED = (
    "準備中に問題が発生しました（{error}）。サーバーのログを確認し、アプリを起動し直してください。"
)
_COUNTER = re.compile(r"\[(\d+)/(\d+)\]")


@dataclass(frozen=True)
class StartupState:
    """What the start-up is doing: a Japanese message, and ``done``/``total`` when it counts."""

    message: str
    ready: bool = False
    failed: bool = False
    done: int = 0
    total: int = 0
    elapsed_s: float = 0.0


class Startup:
    """Runs the start-up steps in a background thread and reports their progress."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._state = StartupState(LOADING_MODEL)
        self._thread: threading.Thread | None = None

    @property
    def state(self) -> StartupState:
        with self._lock:
            return StartupState(
                **{**self._state.__dict__, "elapsed_s": time.monotonic() - self._started}
            )

    @property
    def ready(self) -> bool:
        return self.state.ready

    def set(self, message: str, done: int = 0, total: int = 0) -> None:
        with self._lock:
            self._state = StartupState(message, done=done, total=total)

    def say(self, line: str) -> None:
        """A progress line of the first ingest (``ensure_corpus_indexed``); ``[i/n]`` in it
        becomes the progress bar."""
        print(line, flush=True)
        counter = _COUNTER.search(line)
        if counter:
            done, total = int(counter.group(1)) - 1, int(counter.group(2))
            self.set(f"{INDEXING}（{line.strip()}）", done, total)
        else:
            self.set(line.strip() or INDEXING)

    def run_in_background(self, steps: Callable[[Startup], None]) -> None:
        def work() -> None:
            try:
                steps(self)
            except Exception as exc:
                log.exception("start-up failed")
                with self._lock:
                    self._state = StartupState(FAILED.format(error=type(exc).__name__), failed=True)
                return
            with self._lock:
                self._state = StartupState(READY, ready=True)
            print(READY, flush=True)

        self._thread = threading.Thread(target=work, name="startup", daemon=True)
        self._thread.start()

    def mark_ready(self) -> None:
        """For an app whose parts were built already (tests build them in the process)."""
        with self._lock:
            self._state = StartupState(READY, ready=True)
