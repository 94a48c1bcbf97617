"""What the page's buttons do: chat (``chat.py``), add and delete reports, run the evaluation.

One ``WebApp`` per process holds the one ``Assistant`` (models load once) and an
``Ingestor`` sharing its embedding model. ``WebApp.create`` loads nothing, so the page is
served at once; ``prepare`` (run in the background, see ``startup.py``) loads the model and
fills an empty index, and until it has finished the handlers say the assistant is starting.
Handlers never show a stack trace or a server path to the user: unexpected errors are
logged in full and reported as a short Japanese message.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

import gradio as gr

from assistant.evaluation.questions import QuestionFileError
from assistant.feedback import feedback_folder
from assistant.service import Assistant
from ingest.catalog import ReportInfo
from ingest.pipeline import IngestBusy, Ingestor, ensure_corpus_indexed
from ingest.records import FileOutcome
from ingest.settings import Settings
from webui.chat import ChatHandlers
from webui.conversations import ConversationStore
from webui.evaluation import EvaluationView, run_comparison, run_evaluation
from webui.feedback import FeedbackByLogin
from webui.render import status_html
from webui.startup import BUILDING_KEYWORDS, LOADING_MODEL, ReportingEmbeddings, Startup
from webui.uploads import (
    OUTCOME_LABELS,
    explain_outcome,
    indexed_names,
    outcome_rows,
    store_uploads,
    unindexed_uploads,
)

log = logging.getLogger(__name__)

REPORT_HEADERS = ["タイトル", "ファイル", "チャンク数", "追加日時", "更新日時"]
OUTCOME_HEADERS = ["ファイル", "結果", "メッセージ"]
NO_FILES = "取り込むファイルを選んでください。"
# What to do with an upload named like an indexed report (the choice shown with the upload).
REPLACE_SAME_NAME = "同名の資料を置き換える"
ADD_AS_NEW = "別の資料として追加する"
INGEST_BUSY = "別の取り込み処理が実行中です。終わってからもう一度お試しください。"
INGEST_FAILED = "取り込み中に問題が発生しました。ファイルを確認して、もう一度お試しください。"
NO_REPORT_SELECTED = "削除する資料を選んでください。"
REPORT_NOT_FOUND = "選んだ資料は見つかりませんでした（すでに削除されている可能性があります）。"
DELETE_FAILED = "削除中に問題が発生しました。しばらくしてからもう一度お試しください。"
EVALUATION_FAILED = "評価中に問題が発生しました。しばらくしてからもう一度お試しください。"
COMPARE_NEEDS_LLM = (
    "方式の比較にはLLMサーバーが必要です。REPORTS_LLM_URL を設定してから起動してください。"
)
DEFAULT_QUESTIONS_MISSING = (
    "既定の質問集（questions.jsonl）が見つかりません。質問ファイルをアップロードしてください。"
)
NOT_A_QUESTION_FILE = "{name}: 質問ファイルは JSONL（拡張子 .jsonl）を選んでください。"
STILL_STARTING = "アシスタントを準備しています。画面上部の表示が「準備ができました」になってから、もう一度お試しください。"
ERROR_TITLE = "エラー"


def user_error(message: str) -> gr.Error:
    """An error shown to the user as is. Gradio renders the message as HTML, so it is
    escaped (it may quote a file name or a line of an uploaded file); no stack trace."""
    return gr.Error(html.escape(message), title=ERROR_TITLE, print_exception=False)


def local_time(iso: str) -> str:
    """Catalog timestamps (UTC, ISO) as the server's local time, to the minute."""
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")
    except (TypeError, ValueError):
        return iso or ""


def report_rows(reports: Sequence[ReportInfo]) -> list[list]:
    return [
        [r.title or r.source, r.source, r.chunks, local_time(r.added_at), local_time(r.updated_at)]
        for r in reports
    ]


def report_choices(reports: Sequence[ReportInfo]) -> list[tuple[str, str]]:
    """Dropdown entries: the title people recognise, the file name to tell copies apart."""
    return [(f"{r.title or r.source}（{r.source}）", r.source) for r in reports]


def _without_path(message: str, path: Path | str) -> str:
    """Name an uploaded file by its name only: its temporary folder means nothing to users."""
    return message.replace(str(path), Path(path).name)


class WebApp(ChatHandlers):
    def __init__(
        self,
        settings: Settings,
        assistant: Assistant,
        ingestor: Ingestor,
        startup: Startup | None = None,
    ):
        self.settings = settings
        self.assistant = assistant
        self.ingestor = ingestor
        self.conversations = ConversationStore(settings.data_dir / "conversations")
        self.feedback = FeedbackByLogin(feedback_folder(settings.data_dir))
        if startup is None:  # built with its parts loaded already
            startup = Startup()
            startup.mark_ready()
        self.startup = startup

    @classmethod
    def create(cls, settings: Settings) -> WebApp:
        """The app with nothing loaded yet: ``prepare`` loads the models (in the background)."""
        return cls(settings, Assistant(settings), Ingestor(settings), Startup())

    def prepare(self, startup: Startup) -> None:
        """Load the embedding model (converting it on the first start), index corpus/ when
        the index is empty, build the keyword statistics; ``startup`` shows each step."""
        startup.set(LOADING_MODEL)
        embeddings = self.assistant.embeddings
        # the first ingest reports each slice it embeds, so the bar moves within a report
        first = Ingestor(
            self.settings, embeddings=ReportingEmbeddings(embeddings, startup.embedded)
        )
        ensure_corpus_indexed(first, say=startup.say)
        self.ingestor = Ingestor(self.settings, embeddings=embeddings)
        self._index_left_uploads(startup.say)
        startup.set(BUILDING_KEYWORDS)
        self.assistant.keyword_index.refresh()  # built before the first question

    def _index_left_uploads(self, say: Callable[[str], None]) -> None:
        """Index the uploads a previous run stored but stopped before indexing (a crash),
        saying which: they were uploaded to be searched, and would otherwise stay unlisted."""
        indexed = {r.path for r in self.ingestor.list_reports()}
        left = unindexed_uploads(self.settings.uploads_dir, indexed)
        if not left:
            return
        names = "、".join(p.name for p in left)
        say(f"前回、取り込みの途中で止まったアップロード {len(left)} 件を取り込みます: {names}")
        try:
            outcomes = self.ingestor.ingest_paths(left)
        except IngestBusy:
            say(
                "別の取り込み処理が実行中のため、後で「資料」タブからアップロードし直してください。"
            )
            return
        for outcome in outcomes:
            say(
                f"  {OUTCOME_LABELS.get(outcome.outcome, outcome.outcome)} {outcome.source}  {outcome.message}"
            )

    def start(self) -> None:
        self.startup.run_in_background(self.prepare)

    def _require_ready(self) -> None:
        if not self.startup.ready:
            raise user_error(STILL_STARTING)

    # -- reports ----------------------------------------------------------------------------
    def reports_table(self) -> list[list]:
        return report_rows(self.ingestor.list_reports())

    def refresh_reports(self) -> tuple[list[list], dict]:
        """The report table and the delete dropdown, read afresh from the catalog."""
        reports = self.ingestor.list_reports()
        return report_rows(reports), gr.update(choices=report_choices(reports), value=None)

    def report_filter(self, chosen: Sequence[str] | None = None) -> dict:
        """The chat's report filter: every indexed report, the still-indexed choices kept."""
        reports = self.ingestor.list_reports()
        known = {r.source for r in reports}
        return gr.update(
            choices=report_choices(reports), value=[s for s in chosen or [] if s in known]
        )

    def same_name_notice(self, files: Sequence[str] | None) -> tuple[dict, dict, str]:
        """When chosen files have the names of indexed reports: show the choice between
        replacing them and adding the files as other reports, and say which names."""
        names = indexed_names(files or [], {r.source for r in self.ingestor.list_reports()})
        ready = gr.update(interactive=bool(files))
        if not names:
            return ready, gr.update(visible=False), ""
        listed = "、".join(f"「{n}」" for n in names)
        notice = status_html(
            f"同じ名前の資料 {listed} が登録済みです。置き換えるか、別の資料として追加するかを"
            "選んでから「取り込む」を押してください。",
            "warning",
        )
        return ready, gr.update(visible=True), notice

    def ingest_uploads(
        self,
        files: Sequence[str] | None,
        same_name: str | None = REPLACE_SAME_NAME,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 - Gradio injects its tracker via this default
    ) -> tuple[list[list[str]], list[list], dict]:
        """Copy the uploads under the uploads folder, ingest them, show the outcome per file.

        A file named like an indexed report replaces it (``same_name`` =
        REPLACE_SAME_NAME, the default) or is added as another report under a numbered
        name (ADD_AS_NEW); the result says which happened."""
        self._require_ready()
        if not files:
            raise user_error(NO_FILES)
        replace = same_name != ADD_AS_NEW
        stored, rejected = store_uploads(
            files,
            self.settings.uploads_dir,
            self.settings.upload_max_mb,
            indexed={r.source for r in self.ingestor.list_reports()},
            replace=replace,
        )
        outcomes: list[FileOutcome] = list(rejected)
        if stored:
            by_path = {str(s.path): s for s in stored}
            outcomes.extend(
                explain_outcome(o, by_path.get(o.path))
                for o in self._ingest([s.path for s in stored], progress, replace)
            )
        return (outcome_rows(outcomes), *self.refresh_reports())

    def _ingest(
        self, paths: list[Path], progress: gr.Progress | None, replace: bool
    ) -> list[FileOutcome]:
        report = _progress_reporter(progress)
        try:
            outcomes = self.ingestor.ingest_paths(paths, progress=report, replace_same_name=replace)
            self.assistant.keyword_index.refresh()  # the next question need not rebuild it
            return outcomes
        except IngestBusy:
            raise user_error(INGEST_BUSY) from None
        except Exception:
            log.exception("ingesting %s failed", [p.name for p in paths])
            raise user_error(INGEST_FAILED) from None

    def confirm_text(self, source: str | None) -> str:
        """The question asked before a report is deleted."""
        if not source:
            raise user_error(NO_REPORT_SELECTED)
        info = next((r for r in self.ingestor.list_reports() if r.source == source), None)
        if info is None:
            raise user_error(REPORT_NOT_FOUND)
        title = info.title or info.source
        return status_html(
            f"「{title}」（{info.source}）を索引から削除します。この資料についての質問には"
            "答えられなくなります。よろしいですか？",
            "warning",
        )

    def delete_report(self, source: str | None) -> tuple[str, list[list], dict]:
        """Remove a report from the index (and its uploaded copy, never a corpus file)."""
        self._require_ready()
        if not source:
            raise user_error(NO_REPORT_SELECTED)
        info = next((r for r in self.ingestor.list_reports() if r.source == source), None)
        try:
            deleted = self.ingestor.delete_report(source)
            self.assistant.keyword_index.refresh()
        except IngestBusy:
            raise user_error(INGEST_BUSY) from None
        except Exception:
            log.exception("deleting %r failed", source)
            raise user_error(DELETE_FAILED) from None
        if not deleted:
            raise user_error(REPORT_NOT_FOUND)
        if info is not None:
            self._remove_uploaded_copy(Path(info.path))
        return status_html(f"「{source}」を削除しました。"), *self.refresh_reports()

    def _remove_uploaded_copy(self, path: Path) -> None:
        uploads = self.settings.uploads_dir.resolve()
        if path.is_absolute() and path.resolve().parent == uploads:
            path.unlink(missing_ok=True)

    # -- evaluation -------------------------------------------------------------------------
    def evaluate(
        self,
        questions_file: str | None,
        compare: bool = False,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 - Gradio injects its tracker via this default
    ) -> tuple[str, list[list[str]], object, list[list[str]], list[str], list[list[str]]]:
        """Run the question set (uploaded JSONL or the default one) and show the results;
        with ``compare``, also every LLM mode side by side."""
        self._require_ready()
        path = (
            Path(questions_file) if questions_file else self.settings.corpus_dir / "questions.jsonl"
        )
        if not path.exists():
            raise user_error(DEFAULT_QUESTIONS_MISSING)
        if path.suffix.lower() != ".jsonl":
            raise user_error(NOT_A_QUESTION_FILE.format(name=path.name))
        report = _progress_reporter(progress, unit="問")
        try:
            view: EvaluationView = run_evaluation(
                self.assistant,
                [path],
                self.settings.data_dir / "evaluations",
                chunk_text=self._stored_chunk_text,
                progress=(lambda done, total: report(done, total, "")) if report else None,
            )
            comparison: list[list[str]] = []
            summary = view.summary
            if compare:
                if not self.settings.llm_enabled:
                    raise user_error(COMPARE_NEEDS_LLM)
                comparison, best = run_comparison(
                    self.settings,
                    self.assistant.embeddings,
                    [path],
                    progress=(lambda done, total: report(done, total, "")) if report else None,
                )
                summary += f" 比較した方式のうち総合点が最も高いのは「{best}」です。"
        except QuestionFileError as exc:
            raise user_error(_without_path(str(exc), path)) from None
        except gr.Error:
            raise
        except Exception:
            log.exception("evaluation of %s failed", path.name)
            raise user_error(EVALUATION_FAILED) from None
        return (
            summary,
            view.metrics,
            view.chart,
            view.failures,
            [str(p) for p in view.downloads],
            comparison,
        )

    def _stored_chunk_text(self, chunk_id: str) -> str | None:
        """Citations are checked against the index's copy of the passage."""
        found = self.assistant.keyword_index.get([chunk_id])
        return found[0].text if found else None


def _progress_reporter(
    progress: gr.Progress | None, unit: str = "件"
) -> Callable[[int, int, str], None] | None:
    """Adapt ``progress(i, n, name)`` callbacks to Gradio's progress bar."""
    if progress is None:
        return None

    def report(done: int, total: int, name: str) -> None:
        description = f"{done}/{total} {unit}" + (f"：{name}" if name else "")
        progress((done, total), desc=description, unit=unit)  # Gradio's default unit: "steps"

    return report
