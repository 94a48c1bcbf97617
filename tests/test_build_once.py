"""Folders built once: under a lock, in a temporary folder, marked ready last, renamed into
place; a failed build leaves nothing; a waiting process uses the first one's folder."""

from __future__ import annotations

import json
import os
import threading
import time

import pytest
from filelock import FileLock

from ingest.build_once import (
    MARKER,
    build_once,
    file_sha256,
    package_versions,
    read_marker,
    remove_leftovers,
)


class BuildFailed(RuntimeError):
    pass


def ready(dest) -> bool:
    marker = read_marker(dest)
    return bool(marker) and (dest / "data.txt").is_file()


def writing(text: str, calls: list):
    def build(folder):
        calls.append(folder)
        (folder / "data.txt").write_text(text, encoding="utf-8")
        return {"text": text}

    return build


def build(dest, builder, **kwargs):
    return build_once(
        dest,
        lambda: ready(dest),
        builder,
        lock_timeout=kwargs.get("lock_timeout", 30),
        error=BuildFailed,
    )


def test_a_build_is_put_in_place_with_its_marker_written_last(tmp_path):
    dest, calls = tmp_path / "model", []
    assert build(dest, writing("v1", calls)) == dest
    assert (dest / "data.txt").read_text(encoding="utf-8") == "v1"
    assert json.loads((dest / MARKER).read_text(encoding="utf-8")) == {"text": "v1"}
    assert calls[0].name.startswith(".model.partial-")  # built beside, not in place
    assert sorted(p.name for p in tmp_path.iterdir()) == [".model.lock", "model"]


def test_a_ready_folder_is_not_built_again(tmp_path):
    dest, calls = tmp_path / "model", []
    build(dest, writing("v1", calls))
    build(dest, writing("v2", calls))
    assert len(calls) == 1
    assert (dest / "data.txt").read_text(encoding="utf-8") == "v1"


def test_a_stale_folder_is_replaced_whole(tmp_path):
    dest = tmp_path / "model"
    dest.mkdir()
    (dest / "old-file.bin").write_bytes(b"old")  # no marker: not ready
    build(dest, writing("v1", []))
    assert sorted(p.name for p in dest.iterdir()) == [MARKER, "data.txt"]


def test_a_failed_build_leaves_nothing_behind(tmp_path):
    dest = tmp_path / "model"

    def fails(folder):
        (folder / "half-written").write_text("x", encoding="utf-8")
        raise ValueError("verification failed")

    with pytest.raises(ValueError, match="verification failed"):
        build(dest, fails)
    assert [p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")] == []


def test_leftovers_of_a_killed_build_are_removed_by_the_next(tmp_path):
    dest = tmp_path / "model"
    (tmp_path / ".model.partial-abc").mkdir()
    (tmp_path / ".model.stale-def").mkdir()
    (tmp_path / ".other.partial-xyz").mkdir()  # another folder's build: not ours to remove
    build(dest, writing("v1", []))
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".model.lock",
        ".other.partial-xyz",
        "model",
    ]
    remove_leftovers(dest)
    assert (tmp_path / ".other.partial-xyz").exists()


def test_a_second_builder_waits_and_uses_the_first_ones_folder(tmp_path):
    dest, calls = tmp_path / "model", []
    started = threading.Event()

    def slow(folder):
        started.set()
        time.sleep(0.5)
        return writing("first", calls)(folder)

    first = threading.Thread(target=build, args=(dest, slow))
    first.start()
    started.wait(10)
    build(dest, writing("second", calls))
    first.join()
    assert [c.name.startswith(".model.partial-") for c in calls] == [True]
    assert (dest / "data.txt").read_text(encoding="utf-8") == "first"


def test_a_lock_held_too_long_is_a_clear_error(tmp_path):
    dest = tmp_path / "model"
    dest.parent.mkdir(exist_ok=True)
    with FileLock(str(tmp_path / ".model.lock")):
        done = {}

        def other():
            try:
                build(dest, writing("v1", []), lock_timeout=0.2)
            except BuildFailed as exc:
                done["error"] = str(exc)

        thread = threading.Thread(target=other)  # as another process would, from outside
        thread.start()
        thread.join(10)
    assert "another process has been building the embedding model" in done["error"]
    assert ".model.lock" in done["error"]


def test_the_built_folder_is_readable_like_installed_files(tmp_path):
    dest = tmp_path / "model"
    build(dest, writing("v1", []))
    umask = os.umask(0)
    os.umask(umask)
    assert (dest.stat().st_mode & 0o777) == 0o777 & ~umask
    assert ((dest / "data.txt").stat().st_mode & 0o777) == 0o666 & ~umask


def test_checksums_follow_the_file_contents(tmp_path):
    path = tmp_path / "weights.bin"
    path.write_bytes(b"one")
    first = file_sha256(path)
    path.write_bytes(b"two!")  # another size: computed again, not taken from the cache
    assert file_sha256(path) != first
    assert first == "7692c3ad3540bb803c020b3aee66cd8887123234ea0c6e7143c0add73ff431ed"


def test_a_damaged_marker_reads_as_none(tmp_path):
    (tmp_path / MARKER).write_text("[1, 2", encoding="utf-8")
    assert read_marker(tmp_path) is None
    (tmp_path / MARKER).write_text("[1, 2]", encoding="utf-8")
    assert read_marker(tmp_path) is None
    assert read_marker(tmp_path / "missing") is None


def test_package_versions_name_absent_packages():
    versions = package_versions(["numpy", "surely-not-installed-package"])
    assert versions["numpy"][0].isdigit()
    assert versions["surely-not-installed-package"] == "absent"
