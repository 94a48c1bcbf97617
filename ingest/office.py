"""What Word, Excel and PowerPoint files (Office Open XML) share: the checks before a library
opens them, and how a table row becomes one line with its column headings.

An Office file is a ZIP package. A password-protected one is not: Office encrypts the
package into an OLE compound file (``EncryptionInfo`` + ``EncryptedPackage`` streams), the
same container the old binary formats (.doc, .xls, .ppt) use, so both are recognised by
their first bytes and get their own message instead of "corrupt".
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import zip_longest

from ingest.records import IngestError

OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED_STREAMS = tuple(
    name.encode("utf-16-le") for name in ("EncryptionInfo", "EncryptedPackage")
)
# What the package may unpack to: a 50 MB workbook of plain cells unpacks to ~500 MB of XML
# and would take the parser minutes; a ZIP bomb far more.
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
LABEL_SEPARATOR = "："  # 「日付：6月14日」
FIELD_SEPARATOR = "／"  # 「日付：6月14日／行程：協定調印式」
_MIB = 1024 * 1024


@dataclass(frozen=True)
class OfficeFormat:
    """How users know a format: for the messages."""

    extension: str  # ".xlsx"
    kind: str  # "Excel ブック"
    application: str  # "Excel"
    old_extension: str  # ".xls"


WORD = OfficeFormat(".docx", "Word 文書", "Word", ".doc")
EXCEL = OfficeFormat(".xlsx", "Excel ブック", "Excel", ".xls")
POWERPOINT = OfficeFormat(".pptx", "PowerPoint プレゼンテーション", "PowerPoint", ".ppt")


def check_package(data: bytes, source: str, office: OfficeFormat) -> None:
    """Refuse, with a message saying what to do, a file the library cannot or should not
    open: password-protected, in the old binary format, not a package, or too large
    unpacked."""
    if data.startswith(OLE_SIGNATURE):
        if any(stream in data for stream in ENCRYPTED_STREAMS):
            raise IngestError(
                f"{source}: {office.kind}にパスワードが設定されていて開けません。"
                f"{office.application} でパスワードを解除して保存し直してから、もう一度追加してください。"
            )
        raise IngestError(
            f"{source}: 古い {office.application} 形式（{office.old_extension}）のファイルです。"
            f"{office.application} で {office.extension} 形式として保存し直してから追加してください。"
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            unpacked = sum(member.file_size for member in package.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise IngestError(corrupt_message(source, office)) from exc
    if unpacked > MAX_UNPACKED_BYTES:
        raise IngestError(
            f"{source}: 展開後の中身が大きすぎます（{unpacked / _MIB:.0f} MB、上限 "
            f"{MAX_UNPACKED_BYTES / _MIB:.0f} MB）。内容を複数のファイルに分けて追加してください。"
        )


def corrupt_message(source: str, office: OfficeFormat) -> str:
    return (
        f"{source}: {office.kind}（{office.extension}）として開けません。ファイルが壊れているか、"
        f"古い {office.old_extension} 形式の可能性があります。{office.application} で "
        f"{office.extension} 形式として保存し直してから追加してください。"
    )


def one_line(text: str) -> str:
    """A cell's text on one line (its line breaks become spaces), so a row stays one line."""
    return " ".join(text.split())


def labelled_row(headings: Sequence[str], cells: Sequence[str]) -> str:
    """「日付：6月14日／行程：協定調印式」: each filled cell after its column's heading (a
    cell without a heading, or repeating it, alone)."""
    fields = []
    for heading, cell in zip_longest(headings, cells, fillvalue=""):
        if not cell:
            continue
        fields.append(f"{heading}{LABEL_SEPARATOR}{cell}" if heading and heading != cell else cell)
    return FIELD_SEPARATOR.join(fields)


def looks_like_headings(cells: Sequence[str]) -> bool:
    """A first row that names columns: two or more short, distinct labels, none of them a
    number or date (those are data: 「日時｜6月14日」 is a row of a two-column form)."""
    filled = [cell for cell in cells if cell]
    return (
        len(filled) >= 2
        and len(set(filled)) == len(filled)
        and all(len(cell) <= 20 and not any(ch.isdigit() for ch in cell) for cell in filled)
    )
