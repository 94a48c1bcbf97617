"""Feedback kept per login, as saved conversations are (``webui.conversations``).

Without REPORTS_AUTH everything stays where it always was: ``<data dir>/feedback/
feedback.jsonl``. With it, each login has ``<data dir>/feedback/users/<its folder>/``: its
feedback, and its exports, which only it downloads. Feedback given before it was kept per
login (the shared file) still counts for the login that gave it.

Exports are never served from the data directory (it is not in Gradio's ``allowed_paths``):
the file kept there has a random name, and the page gets a copy in a fresh temporary folder,
which Gradio serves from its cache under a name derived from a secret, only to the session
that asked for it.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
import threading
from datetime import datetime
from pathlib import Path

from assistant.feedback import USERS_FOLDER, FeedbackStore
from webui.conversations import user_folder

EXPORTS_FOLDER = "exports"


class FeedbackByLogin:
    def __init__(self, root: Path):
        self.root = root  # feedback_folder(data dir)
        self._stores: dict[str | None, FeedbackStore] = {}
        self._lock = threading.Lock()

    def folder(self, user: str | None) -> Path:
        return self.root / USERS_FOLDER / user_folder(user) if user else self.root

    def of(self, user: str | None) -> FeedbackStore:
        """The store of ``user`` (None: no login); one per login, so its lock is shared."""
        with self._lock:
            if user not in self._stores:
                shared = FeedbackStore(self.root)
                self._stores[user] = (
                    FeedbackStore(self.folder(user), owner=user, pooled=shared.path)
                    if user
                    else shared
                )
            return self._stores[user]

    def export_path(self, user: str | None) -> Path:
        """Where ``user``'s next export is kept: readable date, then a name nobody guesses."""
        stamp = f"{datetime.now():%Y%m%d-%H%M%S}"
        name = f"feedback_questions_{stamp}_{secrets.token_hex(16)}.jsonl"
        return self.folder(user) / EXPORTS_FOLDER / name


def download_copy(path: Path) -> Path:
    """A copy of ``path`` in a new temporary folder, for the page to download (Gradio takes
    files from the temporary directory into its cache, not from the data directory)."""
    folder = Path(tempfile.mkdtemp(prefix="feedback-export-"))
    copy = folder / path.name
    shutil.copyfile(path, copy)
    return copy
