"""Start-up work that runs after the page is already being served: load (and on first start
convert) the embedding model, index corpus/ when the index is empty, build the keyword
statistics. ``Startup`` records what is happening so the page can show it.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.embeddings import Embeddings

from ingest.embeddings import similar_length_batches

log = logging.getLogger(__name__)

LOADING_MODEL = "埋め込みモデルを準備しています（初回はモデルの変換に1〜2分かかります）…"
INDEXING = "資料を索引に取り込んでいます…"
BUILDING_KEYWORDS = "キーワード検索の準備をしています…"
READY = "準備ができました。質問できます。"
FAILED = (
    "準備中に問題が発生しました（{error}）。サーバーのログを確認し、アプリを起動し直してください。"
)
EMBEDDED = "{file}：{done}/{total} 件を埋め込みました"
EMBED_SLICE = 64  # texts per progress step: two of the encoder's batches
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
        self._file = ""  # the report being indexed ("[i/n] name"), for the embedding steps
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
            self._file = line.strip()
            self.set(f"{INDEXING}（{line.strip()}）", done, total)
        else:
            self.set(line.strip() or INDEXING)

    def embedded(self, done: int, total: int) -> None:
        """Progress within a report: ``done`` of the ``total`` texts of the current embedding
        call (its chunks, then its sentences) are embedded; the bar counts them."""
        step = EMBEDDED.format(file=self._file or "資料", done=done, total=total)
        self.set(f"{INDEXING}（{step}）", done, total)

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


class ReportingEmbeddings(Embeddings):
    """The model's embeddings, called in slices of similar-length texts so that each slice
    can say how far the call has got (``report(done, total)``). A report's texts go to the
    model in one call otherwise, and the start-up bar would stand still for the whole
    report."""

    def __init__(self, inner: Embeddings, report: Callable[[int, int], None]) -> None:
        self.inner = inner
        self.report = report

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        texts = list(texts)
        vectors: list[list[float]] = [[] for _ in texts]
        done = 0
        for batch in similar_length_batches(texts, EMBED_SLICE):
            encoded = self.inner.embed_documents([texts[i] for i in batch])
            for i, vector in zip(batch, encoded, strict=True):
                vectors[i] = vector
            done += len(batch)
            self.report(done, len(texts))
        return vectors

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)

    def __getattr__(self, name: str) -> Any:  # e.g. ``dimension``
        return getattr(self.inner, name)
