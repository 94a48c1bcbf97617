"""Files replaced in one step: whoever reads one sees the old content or the new, never a
part of it, and a failure leaves the old file as it was (saved conversations, exported
question sets, uploaded reports)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def replacing(target: Path, prefix: str = ".saving-") -> Iterator[Path]:
    """A temporary file beside ``target`` to write; when the block ends without an error it
    is flushed to disk and replaces ``target``, otherwise it is removed."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=prefix, suffix=".part")
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        with open(temporary, "rb+") as file:
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_text_atomically(target: Path, text: str, prefix: str = ".saving-") -> None:
    with replacing(target, prefix) as temporary:
        temporary.write_text(text, encoding="utf-8")


def copy_atomically(source: Path, target: Path, prefix: str = ".upload-") -> None:
    with replacing(target, prefix) as temporary:
        shutil.copyfile(source, temporary)
