"""Uploaded files: safe names, size and type checks, and the copy under the uploads folder."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import unicodedata
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ingest.atomic import copy_atomically
from ingest.records import FileOutcome, Outcome

UPLOAD_EXTENSIONS = (".txt", ".md", ".pdf", ".docx", ".xlsx", ".pptx", ".html", ".htm")
OUTCOME_LABELS = {
    Outcome.ADDED: "追加",
    Outcome.UPDATED: "更新",
    Outcome.UNCHANGED: "変更なし",
    Outcome.FAILED: "失敗",
    Outcome.REMOVED: "削除",
}
FALLBACK_STEM = "report"
MAX_NAME_BYTES = 180  # well under the 255-byte limit of common file systems
# Characters that are path syntax or not allowed in Windows file names (the folder may be
# copied there); everything else, Japanese included, is kept.
_FORBIDDEN = re.compile(r'[<>:"|?*]')
_UNSAFE_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Zl", "Zp"}  # control, format (bidi), ...


def sanitize_filename(name: str) -> str:
    """A file name safe to create inside the uploads folder.

    Only the last path component survives (either separator), control and invisible format
    characters (e.g. right-to-left overrides) are dropped, leading dots go (no hidden files,
    no ``..``), and overly long names are shortened keeping the extension. When any of that
    changed the name, a digest of the name as given is added before the extension, so two
    uploads with different names never get the same one (``.txt`` and ``...txt``, or
    ``.a.txt`` and ``a.txt``), and the same name always gets the same (re-uploading
    replaces).
    """
    given = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1].strip()
    cleaned = _cleaned(given)
    if not given:
        return cleaned
    if cleaned == given and len(given.encode("utf-8")) <= MAX_NAME_BYTES:
        return given
    return _with_digest(cleaned, given)


def _cleaned(name: str) -> str:
    name = "".join(ch for ch in name if unicodedata.category(ch) not in _UNSAFE_CATEGORIES)
    name = _FORBIDDEN.sub("_", name).strip()
    stem, dot, extension = name.rpartition(".")
    if dot and not stem.strip(". "):  # ".txt" or "..txt": only an extension is left
        name = f"{FALLBACK_STEM}.{extension}"
    name = name.lstrip(". ").rstrip(". ")
    return name or FALLBACK_STEM


def _with_digest(name: str, given: str) -> str:
    digest = hashlib.sha256(given.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    path = Path(name)
    suffix = path.suffix if 1 < len(path.suffix) <= 10 else ""
    stem = name[: len(name) - len(suffix)] if suffix else name
    return _shorten(f"{stem}-{digest}{suffix}", keep=len(digest) + 1)


def _shorten(name: str, keep: int = 0) -> str:
    """``name`` within MAX_NAME_BYTES, cut before the extension and the last ``keep``
    characters of the stem (the digest)."""
    if len(name.encode("utf-8")) <= MAX_NAME_BYTES:
        return name
    path = Path(name)
    suffix = path.suffix if len(path.suffix) <= 10 else ""
    stem = name[: len(name) - len(suffix)]
    head, tail = (stem[:-keep], stem[-keep:]) if keep else (stem, "")
    while head and len((head + tail + suffix).encode("utf-8")) > MAX_NAME_BYTES:
        head = head[:-1]
    return head + tail + suffix


def _unique(name: str, taken: set[str]) -> str:
    """Two files of one upload that sanitize to the same name must not overwrite each other."""
    if name not in taken:
        return name
    path = Path(name)
    number = 2
    while f"{path.stem} ({number}){path.suffix}" in taken:
        number += 1
    return f"{path.stem} ({number}){path.suffix}"


@dataclass(frozen=True)
class StoredUpload:
    """An uploaded file copied under the uploads folder, ready to ingest.

    ``indexed_as``: the name of the indexed report that had this file's name when it was
    uploaded (empty when none did); ``name`` differs from it when the file was added as
    another report instead of replacing that one.
    """

    name: str
    path: Path
    indexed_as: str = ""


def check_upload(path: Path, name: str, max_mb: float) -> str | None:
    """Why this upload cannot be taken (a Japanese message naming the file), or None."""
    if Path(name).suffix.lower() not in UPLOAD_EXTENSIONS:
        allowed = " ".join(UPLOAD_EXTENSIONS)
        return f"{name}: 対応していない形式です。{allowed} のいずれかのファイルを選んでください。"
    size_mb = path.stat().st_size / (1024 * 1024)
    if size_mb > max_mb:
        return (
            f"{name}: ファイルが大きすぎます（{size_mb:.1f} MB）。{max_mb:g} MB 以下の"
            "ファイルにするか、分割してください。"
        )
    return None


def indexed_names(paths: Iterable[str | Path], indexed: Collection[str]) -> list[str]:
    """The uploads whose (sanitized) name an indexed report already has."""
    names = (sanitize_filename(Path(p).name) for p in paths)
    return [name for name in names if name in indexed]


def store_uploads(
    paths: Iterable[str | Path],
    uploads_dir: Path,
    max_mb: float,
    *,
    indexed: Collection[str] = frozenset(),
    replace: bool = True,
) -> tuple[list[StoredUpload], list[FileOutcome]]:
    """Copy acceptable uploads under ``uploads_dir`` with sanitized names.

    A file named like an ``indexed`` report replaces that report (``replace``) or, if not,
    is stored under a free numbered name (「報告 (2).txt」) so it becomes another report and
    the indexed one's copy is left as it is.

    Returns the stored files and a failure outcome for each rejected one. Each copy is
    written to a temporary file and renamed into place, so an ingest never reads a half
    copied file and re-uploading a report replaces it in one step.
    """
    uploads_dir.mkdir(parents=True, exist_ok=True)
    stored: list[StoredUpload] = []
    rejected: list[FileOutcome] = []
    taken: set[str] = set()
    for raw in paths:
        source = Path(raw)
        name = _unique(sanitize_filename(source.name), taken)
        indexed_as = name if name in indexed else ""
        if indexed_as and not replace:
            occupied = taken | set(indexed) | {p.name for p in uploads_dir.iterdir()}
            name = _unique(name, occupied)
        problem = check_upload(source, name, max_mb)
        if problem:
            rejected.append(FileOutcome(name, Outcome.FAILED, problem))
            continue
        taken.add(name)
        target = uploads_dir / name
        copy_atomically(source, target)
        stored.append(StoredUpload(name, target, indexed_as))
    return stored, rejected


def unindexed_uploads(uploads_dir: Path, indexed_paths: Collection[str]) -> list[Path]:
    """Uploaded copies no report was indexed from (``indexed_paths``: the catalog's real
    paths): the app stopped (a crash, kill -9) between storing and indexing them. Files
    still being copied (hidden temporary names) are not counted."""
    if not uploads_dir.is_dir():
        return []
    return sorted(
        path
        for path in uploads_dir.iterdir()
        if path.is_file()
        and not path.name.startswith(".")
        and path.suffix.lower() in UPLOAD_EXTENSIONS
        and os.path.realpath(path) not in indexed_paths
    )


def explain_outcome(outcome: FileOutcome, upload: StoredUpload | None) -> FileOutcome:
    """Say whether a same-named upload replaced the indexed report or became another one."""
    if upload is None or not upload.indexed_as:
        return outcome
    old = upload.indexed_as
    if upload.name != old and outcome.outcome == Outcome.ADDED:
        message = f"同じ名前の資料「{old}」が登録済みのため、別の資料「{upload.name}」として追加しました。"
    elif upload.name == old and outcome.outcome == Outcome.UPDATED:
        message = f"登録済みの資料「{old}」を、このファイルで置き換えました。"
    elif (
        upload.name == old
        and outcome.outcome == Outcome.UNCHANGED
        and "重複" not in outcome.message
    ):
        message = f"登録済みの資料「{old}」と同じ内容のため、置き換えても変わりません。"
    else:
        return outcome
    return dataclasses.replace(outcome, message=message)


def outcome_rows(outcomes: Sequence[FileOutcome]) -> list[list[str]]:
    """Rows for the per-file result table: file, result in Japanese, message."""
    return [[o.source, OUTCOME_LABELS.get(o.outcome, str(o.outcome)), o.message] for o in outcomes]
