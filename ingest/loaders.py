"""Read one report file (text, Markdown, PDF, Word, HTML, Excel, PowerPoint) into a
``LoadedReport``.

Loaders only extract: they keep the text as the file holds it (newlines normalised to
``\\n``, characters to one spelling by ``ingest.characters``) and leave every repair to
``ingest.repair``. Every bad input becomes one ``IngestError`` whose Japanese message names
the file and says what the user can do; no library exception escapes.
"""

from __future__ import annotations

import codecs
import errno
import io
import json
import logging
import os
import re
import stat
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from ingest import office
from ingest.characters import normalise_characters, normalise_pages
from ingest.records import IngestError, LoadedReport, PageSpan

SUPPORTED_EXTENSIONS = frozenset(
    {".txt", ".md", ".pdf", ".docx", ".html", ".htm", ".xlsx", ".pptx"}
)
# How each format is extracted, one version per format: bump a format's version when its
# extraction (or ingest.characters) changes what it gives, and the next `python -m ingest`
# extracts again the reports of that format only (the catalog stores each report's version).
# "2": radicals, compatibility ideographs and letter-spacing normalised (ingest.characters);
# for .docx also table rows labelled with their headings and text boxes read.
EXTRACTION_VERSIONS = {
    ".txt": "2",
    ".md": "2",
    ".pdf": "2",
    ".docx": "2",
    ".html": "2",
    ".htm": "2",
    ".xlsx": "1",
    ".pptx": "1",
}
SIDECAR_SUFFIX = ".meta.json"
PAGE_SEPARATOR = "\n\n"
HEADING_MARK = "■"  # ingest.repair reads lines starting with this as section headings
TITLE_MAX_CHARS = 80
_MIB = 1024 * 1024
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Extracted:
    """What a format-specific extractor found, before the shared title/metadata rules."""

    text: str
    title: str = ""
    pages: tuple[PageSpan, ...] = ()
    encoding: str | None = None
    title_markers: str = HEADING_MARK  # prefixes stripped from a first-line title


def load_report(path: Path, *, source: str | None = None, max_bytes: int) -> LoadedReport:
    """Read ``path`` as a report; ``source`` is the name users see (default: the file name).

    ``max_bytes`` is the size limit (``REPORTS_MAX_FILE_MB`` in bytes). A sidecar
    ``<file>.meta.json`` supplies ``metadata`` and, if it has one, the title.
    """
    path = Path(path)
    source = source or path.name
    size = _regular_file_size(path, source)
    extension = path.suffix.lower()
    if extension not in SUPPORTED_EXTENSIONS:
        raise IngestError(_unsupported_message(source, extension))
    data = _read_bytes(path, source, size, max_bytes)
    metadata = _read_sidecar(path, source)
    extracted = _normalised(_EXTRACTORS[extension](data, source))
    return LoadedReport(
        source=source,
        path=os.path.abspath(path),
        text=extracted.text,
        title=normalise_characters(_choose_title(metadata, extracted)),
        pages=extracted.pages,
        encoding=extracted.encoding,
        metadata=metadata,
    )


def _normalised(extracted: _Extracted) -> _Extracted:
    """The one place every format's text gets its characters' one spelling (before repair,
    so what is stored, indexed, embedded and quoted agrees)."""
    text, pages = normalise_pages(extracted.text, extracted.pages)
    return replace(extracted, text=text, pages=pages, title=normalise_characters(extracted.title))


def extraction_version(path: Path | str) -> str:
    """How a file of this kind is extracted today, e.g. ``"pdf:2"`` ("" if unsupported)."""
    extension = Path(path).suffix.lower()
    version = EXTRACTION_VERSIONS.get(extension)
    return f"{extension.lstrip('.')}:{version}" if version else ""


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + SIDECAR_SUFFIX)


# --- the file itself -------------------------------------------------------------------


def _regular_file_size(path: Path, source: str) -> int:
    """Size of the regular file at ``path`` (following links), or a clear error if it is not one."""
    try:
        info = os.stat(path)
    except OSError as exc:
        raise IngestError(_stat_error_message(path, source, exc)) from exc
    if stat.S_ISDIR(info.st_mode):
        raise IngestError(
            f"{source}: ファイルではなくフォルダーです。フォルダーの中のファイルを指定してください。"
        )
    if not stat.S_ISREG(info.st_mode):
        # Opening a named pipe or a device would block or read forever.
        raise IngestError(
            f"{source}: 通常のファイルではありません（デバイスや名前付きパイプなど）。"
            "報告書のファイルを指定してください。"
        )
    return info.st_size


def _stat_error_message(path: Path, source: str, exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return (
            f"{source}: シンボリックリンクが循環していて、実体のファイルにたどり着けません。"
            "リンク先を確認してください。"
        )
    if exc.errno in (errno.ENOENT, errno.ENOTDIR) and os.path.islink(path):
        return (
            f"{source}: シンボリックリンクのリンク先が存在しません。"
            "リンク先を確認するか、実体のファイルを追加してください。"
        )
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return f"{source}: ファイルが見つかりません。パスを確認してください。"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return _permission_message(source)
    return (
        f"{source}: ファイルの情報を読み取れません（{exc.strerror}）。ファイルを確認してください。"
    )


def _permission_message(source: str) -> str:
    return (
        f"{source}: ファイルを読み取る権限がありません。"
        "ファイルの読み取り権限を確認してから、もう一度追加してください。"
    )


def _unsupported_message(source: str, extension: str) -> str:
    shown = extension or "拡張子なし"
    supported = "、".join(sorted(SUPPORTED_EXTENSIONS))
    return (
        f"{source}: この形式（{shown}）には対応していません。"
        f"対応している形式（{supported}）で保存し直して追加してください。"
    )


def _too_large_message(source: str, size: int, max_bytes: int) -> str:
    return (
        f"{source}: ファイルが大きすぎます（{size / _MIB:.1f} MB、上限 {max_bytes / _MIB:g} MB）。"
        "ファイルを分割するか、設定 REPORTS_MAX_FILE_MB で上限を上げてください。"
    )


def _read_bytes(path: Path, source: str, size: int, max_bytes: int) -> bytes:
    if size == 0:
        raise IngestError(_empty_message(source))
    if size > max_bytes:
        raise IngestError(_too_large_message(source, size, max_bytes))
    try:
        with open(path, "rb") as handle:
            # Read one byte past the limit: the file may have grown since it was measured.
            data = handle.read(max_bytes + 1)
    except PermissionError as exc:
        raise IngestError(_permission_message(source)) from exc
    except OSError as exc:
        raise IngestError(
            f"{source}: ファイルを読み込めません（{exc.strerror}）。ファイルを確認してください。"
        ) from exc
    if len(data) > max_bytes:
        raise IngestError(_too_large_message(source, len(data), max_bytes))
    if not data:
        raise IngestError(_empty_message(source))
    return data


def _empty_message(source: str) -> str:
    return f"{source}: ファイルが空です。本文のあるファイルを追加してください。"


def _no_text_message(source: str) -> str:
    return f"{source}: 本文の文字が見つかりません。本文のあるファイルを追加してください。"


def _read_sidecar(path: Path, source: str) -> dict:
    """The optional ``<file>.meta.json`` beside the report: {"title", "date", "publisher", ...}."""
    sidecar = sidecar_path(path)
    fix = 'UTF-8 の JSON オブジェクト（例: {"title": "…", "date": "…"}）に直してください。'
    try:
        if not sidecar.is_file():
            return {}
        metadata = json.loads(sidecar.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        raise IngestError(
            f"{source}: 付属のメタデータ {sidecar.name} を読み込めません。{fix}"
        ) from exc
    except json.JSONDecodeError as exc:
        raise IngestError(
            f"{source}: 付属のメタデータ {sidecar.name} の {exc.lineno} 行目が JSON として"
            f"正しくありません。{fix}"
        ) from exc
    if not isinstance(metadata, dict):
        raise IngestError(
            f"{source}: 付属のメタデータ {sidecar.name} がオブジェクトではありません。{fix}"
        )
    if not isinstance(metadata.get("title", ""), str):
        raise IngestError(
            f"{source}: 付属のメタデータ {sidecar.name} の title が文字列ではありません。{fix}"
        )
    return metadata


# --- titles ----------------------------------------------------------------------------

# Titles that authoring tools write by default say nothing about the report.
_PLACEHOLDER_TITLE = re.compile(
    r"^(untitled|無題|タイトルなし|microsoft (word|powerpoint) - .*)$|\.(docx?|pdf|txt|rtf|jtd|pptx?|xlsx?)$",
    re.IGNORECASE,
)


def _choose_title(metadata: dict, extracted: _Extracted) -> str:
    for candidate in (metadata.get("title", ""), extracted.title):
        title = " ".join(candidate.split())
        if title and not _PLACEHOLDER_TITLE.search(title):
            return title[:TITLE_MAX_CHARS]
    return _first_line_title(extracted.text, extracted.title_markers)


def _first_line_title(text: str, markers: str) -> str:
    for line in text.splitlines():
        title = line.strip().lstrip(markers).strip()
        if title:
            return title[:TITLE_MAX_CHARS]
    return ""


# --- encodings -------------------------------------------------------------------------

# Longest BOMs first: the UTF-32-LE BOM starts with the UTF-16-LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Tried when the bytes are not surely UTF-8; on equal scores the earlier one wins (cp932 is what
# Windows writes as "Shift_JIS"). The JIS X 0213 codecs cover characters such as "Î" that
# cp932 lacks; cp1252 lets a Western-European text through when nothing Japanese fits.
_LEGACY_ENCODINGS = ("cp932", "euc_jp", "shift_jis", "shift_jis_2004", "euc_jis_2004", "cp1252")
_ISO2022_ENCODINGS = ("iso2022_jp", "iso2022_jp_2", "iso2022_jp_ext")
_ISO2022_ESCAPES = re.compile(rb"\x1b(\$[@B(]|\([BJI])")
_SCORE_SAMPLE_CHARS = 50_000  # scoring the head of a long file decides as well as all of it
_MIN_PLAUSIBILITY = -1.0  # below: dominated by control or private-use characters
_MIN_UTF8_SHARE_OF_DAMAGED_UTF8 = 0.9
# With this many non-ASCII bytes, valid UTF-8 cannot be a legacy encoding by accident.
_MIN_NON_ASCII_FOR_SURE_UTF8 = 64
# Bytes that never occur in text; tab, newlines, form feed and ESC (ISO-2022-JP) are allowed.
_CONTROL_BYTES = bytes(sorted(set(range(0x20)) - {0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1B} | {0x7F}))
_NON_ASCII_BYTES = bytes(range(0x80, 0x100))
_MAX_CONTROL_SHARE = 0.1
_BINARY_SAMPLE_BYTES = 65_536
# UTF-16 without a BOM: real Japanese scores about 1; the other byte order, or binary data
# read as UTF-16, gives rare CJK extension characters and symbols scoring near 0.
_MIN_UTF16_PLAUSIBILITY = 0.5
# Unicode categories no report text holds (controls, lone surrogates, private use, unassigned):
# what a wrong codec produces.
_NOT_TEXT_CATEGORIES = frozenset({"Cc", "Cs", "Co", "Cn"})


def detect_encoding(data: bytes) -> str:
    """The codec that decodes ``data`` as text: ``data.decode(result)`` gives the text.

    Order: byte-order marks; ISO-2022-JP when its escapes appear; strict UTF-8; then every
    legacy Japanese codec that decodes strictly, ranked by how Japanese the result looks.
    Raises ``ValueError`` (with a Japanese reason) when no encoding fits.
    """
    return _detect(data)[0]


def decode_text(data: bytes, source: str) -> tuple[str, str]:
    """Decode the bytes of a text file: ``(text with \\n newlines, encoding)``.

    Raises ``IngestError`` naming ``source`` for binary data or text no encoding fits.
    """
    if _bom_encoding(data) is None and _utf16_without_bom(data) is None and _looks_binary(data):
        raise IngestError(
            f"{source}: 中身がテキストではありません（バイナリデータです）。"
            "拡張子が正しいか確かめ、文章の入ったファイルを追加してください。"
        )
    try:
        encoding, text = _detect(data)
    except ValueError as exc:
        raise IngestError(
            f"{source}: 文字コードを判別できません（{exc}）。"
            "テキストエディタで UTF-8 として保存し直してから追加してください。"
        ) from exc
    return normalise_newlines(text), encoding


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _detect(data: bytes) -> tuple[str, str]:
    bom = _bom_encoding(data)
    if bom is not None:
        text = _try_decode(data, bom)
        if text is None:
            raise ValueError(f"{bom} の印が付いていますが、その文字コードとして読めません")
        return bom, text
    if (utf16 := _utf16_without_bom(data)) is not None:
        return utf16
    if _ISO2022_ESCAPES.search(data) and data.isascii():
        for encoding in _ISO2022_ENCODINGS:
            if (text := _try_decode(data, encoding)) is not None:
                return encoding, text
    non_ascii = _count_non_ascii(data)
    utf8_text = _try_decode(data, "utf-8")
    if utf8_text is not None and non_ascii >= _MIN_NON_ASCII_FOR_SURE_UTF8:
        return "utf-8", utf8_text
    if utf8_text is None and _utf8_share(data, non_ascii) >= _MIN_UTF8_SHARE_OF_DAMAGED_UTF8:
        # Valid multi-byte UTF-8 almost never arises by chance; a file that is mostly UTF-8
        # is damaged or mixes encodings, and a legacy codec would only turn it into nonsense.
        raise ValueError("UTF-8 の文章に、UTF-8 として読めない部分が混ざっています")
    # A few legacy bytes can happen to be valid UTF-8 ("平" in EUC-JP is CA BF, which UTF-8
    # reads as "ʿ"): short text competes with the legacy codecs, UTF-8 winning ties.
    return _most_plausible_decoding(data, utf8_text)


def _most_plausible_decoding(data: bytes, utf8_text: str | None) -> tuple[str, str]:
    decoded = [("utf-8", utf8_text)] if utf8_text is not None else []
    decoded += [
        (encoding, text)
        for encoding in _LEGACY_ENCODINGS
        if (text := _try_decode(data, encoding)) is not None
    ]
    if not decoded:
        raise ValueError("UTF-8・Shift_JIS・EUC-JP・ISO-2022-JP のどれでも読めません")
    scores = [_plausibility(text) for _, text in decoded]
    best = max(range(len(decoded)), key=lambda i: (scores[i], -i))
    if scores[best] < _MIN_PLAUSIBILITY:
        raise ValueError("どの文字コードで読んでも意味のある文字になりません")
    return decoded[best]


def _bom_encoding(data: bytes) -> str | None:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding
    return None


def _utf16_without_bom(data: bytes) -> tuple[str, str] | None:
    """``(encoding, text)`` for UTF-16 saved without a byte-order mark (some Windows tools
    do), else None. Its ASCII characters hold NUL bytes, so it would look binary; it is
    taken only when one byte order decodes to clean text that reads as Japanese or ASCII."""
    if len(data) % 2 or b"\x00" not in data[:_BINARY_SAMPLE_BYTES]:
        return None
    for encoding in ("utf-16-le", "utf-16-be"):
        text = _try_decode(data, encoding)
        if text is None or _has_control_characters(text[:_SCORE_SAMPLE_CHARS]):
            continue
        if text.isascii() or _plausibility(text) >= _MIN_UTF16_PLAUSIBILITY:
            return encoding, text
    return None


def _has_control_characters(text: str) -> bool:
    return any(
        unicodedata.category(ch) in _NOT_TEXT_CATEGORIES and ch not in "\t\n\r\f" for ch in text
    )


def _try_decode(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _looks_binary(data: bytes) -> bool:
    if b"\x00" in data:
        return True
    sample = data[:_BINARY_SAMPLE_BYTES]
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return controls > _MAX_CONTROL_SHARE * len(sample)


def _count_non_ascii(data: bytes) -> int:
    return len(data) - len(data.translate(None, _NON_ASCII_BYTES))


def _utf8_share(data: bytes, non_ascii: int) -> float:
    """Share of the ``non_ascii`` bytes of ``data`` that form valid UTF-8 sequences."""
    if not non_ascii:
        return 0.0
    invalid = len(data) - len(data.decode("utf-8", "ignore").encode("utf-8"))
    return 1.0 - invalid / non_ascii


def _plausibility(text: str) -> float:
    """Mean score of the non-ASCII characters: about 1 for real Japanese, near or below 0
    for a wrong codec's output (half-width kana runs, rare kanji, private-use characters).

    charset-normalizer is not used: it reads fewer of the fixture encodings right
    (bench/encoding_detection.py, bench/RESULTS.md section 9: 246 of 275 cases against 275
    of 275 here; 28 of the 32 report files as they lie on disk, no answer at all for a
    cp932 one; 7 of 15 short texts, which it reads as big5, cp949 or UTF-16).
    """
    sample = text[:_SCORE_SAMPLE_CHARS]
    scores = [_char_score(sample, i) for i, char in enumerate(sample) if ord(char) >= 0x80]
    return sum(scores) / len(scores) if scores else 0.0


def _char_score(text: str, index: int) -> float:
    char = text[index]
    code = ord(char)
    if 0x3000 <= code <= 0x30FF or 0xFF01 <= code <= 0xFF5E or 0x31F0 <= code <= 0x31FF:
        return 1.0  # kana, Japanese punctuation, full-width letters and digits
    if 0x4E00 <= code <= 0x9FFF:
        return 1.0 if _is_common_kanji(char) else 0.3
    if code > 0xFF and _is_jis_symbol(char):  # Latin-1 signs are what cp1252 misreads give
        return 0.8  # ■, ○, ※, ①, ㈱, Greek and box drawing from the JIS symbol rows
    if 0xFF61 <= code <= 0xFF9F:
        return 0.0  # half-width kana: real in old files, but also what EUC-JP read as cp932 gives
    if 0xC0 <= code <= 0x24F and char.isalpha():
        # Accented letters belong inside Latin words ("Île", "Région"); alone between other
        # non-ASCII characters they are a Japanese text read with a Western codec.
        return 1.0 if _next_to_ascii_letter(text, index) else -0.5
    if unicodedata.category(char) in _NOT_TEXT_CATEGORIES or char == "\ufffd":
        return -3.0
    return 0.0


def _is_common_kanji(char: str) -> bool:
    """JIS level-1 kanji (Shift_JIS 0x889F-0x9872): the 2,965 everyday ones."""
    return 0x88 <= _cp932_lead_byte(char) <= 0x98


def _is_jis_symbol(char: str) -> bool:
    """Symbols, Greek, Cyrillic and box drawing of JIS rows 1-8, and NEC's row 13 (①, ㈱)."""
    lead = _cp932_lead_byte(char)
    return 0x81 <= lead <= 0x84 or lead == 0x87


def _cp932_lead_byte(char: str) -> int:
    """First byte of the character's two-byte cp932 code, or 0 if it has none."""
    try:
        encoded = char.encode("cp932")
    except UnicodeEncodeError:
        return 0
    return encoded[0] if len(encoded) == 2 else 0


def _next_to_ascii_letter(text: str, index: int) -> bool:
    neighbours = text[max(index - 1, 0) : index] + text[index + 1 : index + 2]
    return any(c.isascii() and c.isalpha() for c in neighbours)


# --- plain text and Markdown ------------------------------------------------------------


def _extract_text(data: bytes, source: str) -> _Extracted:
    text, encoding = decode_text(data, source)
    if not text.strip():
        raise IngestError(
            f"{source}: 空白と改行しか含まれていません。本文のあるファイルを追加してください。"
        )
    return _Extracted(text=text, encoding=encoding, title_markers="")


def _extract_markdown(data: bytes, source: str) -> _Extracted:
    extracted = _extract_text(data, source)
    return _Extracted(text=extracted.text, encoding=extracted.encoding, title_markers="#")


# --- PDF -------------------------------------------------------------------------------


def _extract_pdf(data: bytes, source: str) -> _Extracted:
    """Text in reading order from the page geometry (``ingest.pdf_layout``); pages that are
    only a picture are read by OCR (``ingest.ocr``) and their spans marked ``ocr``."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError

    try:
        with _library_warnings("pypdf") as warnings:
            reader = PdfReader(io.BytesIO(data))
            pages = list(reader.pages)  # opening the pages is what fails on a locked file
            title = _pdf_title(reader)
    except DependencyError as exc:
        raise IngestError(
            f"{source}: この PDF は AES で暗号化されていて、読むための部品（cryptography）が"
            "入っていません。管理者に pip install cryptography を依頼するか、保護を解除した PDF を"
            "追加してください。"
        ) from exc
    except FileNotDecryptedError as exc:
        # pypdf already opens files whose only password is the owner's (printing or copying
        # restrictions); what remains needs the user's password.
        raise IngestError(
            f"{source}: PDF にパスワードが設定されていて開けません。"
            "パスワードを解除した PDF を作ってから、もう一度追加してください。"
        ) from exc
    except Exception as exc:  # pypdf raises many kinds of error on damaged files
        raise IngestError(
            f"{source}: PDF を読み込めません（ファイルが壊れている可能性があります）。"
            "元の文書から PDF を作り直して追加してください。"
        ) from exc
    page_texts, pictures = _pdf_layout_texts(data, pages, source, warnings)
    ocr_pages = _ocr_image_pages(data, page_texts, pictures, source)
    if not any(text.strip() for text in page_texts):
        raise IngestError(
            f"{source}: PDF から文字を読み取れませんでした（文字情報がなく、画像からも文字を"
            "認識できません）。白紙でないか確かめ、読み取れない場合は 300dpi 以上でスキャンし直すか、"
            "テキストファイルを追加してください。"
        )
    if warnings:
        log.warning(
            f"{source}: PDF の構造に不備がありましたが、読み取れた文字を取り込みました。"
            "内容が欠けていないか確かめ、必要なら元の文書から PDF を作り直してください。"
        )
    text, spans = _join_pages(page_texts, ocr_pages)
    return _Extracted(text=text, title=title, pages=spans)


def _pdf_layout_texts(
    data: bytes, pypdf_pages: list, source: str, warnings: list[str]
) -> tuple[list[str], set[int]]:
    """Each page's text in reading order, and the numbers of the pages that hold only
    pictures; pypdf's own order (every empty page a candidate for OCR) if the geometry
    cannot be read."""
    from ingest.pdf_layout import extract_pages

    try:
        with _library_warnings("pdfminer") as layout_warnings:
            pages = extract_pages(data)
        warnings.extend(layout_warnings)
        texts = [normalise_newlines(page.text) for page in pages]
        return texts, {page.number for page in pages if page.has_images}
    except Exception as exc:  # pdfminer fails on some files pypdf reads; keep their text
        log.warning(
            f"{source}: PDF のレイアウト（段組や表）を解析できなかったため、ページの文字を"
            f"記録順に取り込みました（{type(exc).__name__}）。段組の順序が崩れていないか確かめてください。"
        )
        texts = [normalise_newlines(page.extract_text() or "") for page in pypdf_pages]
        return texts, set(range(1, len(texts) + 1))


def _ocr_image_pages(
    data: bytes, page_texts: list[str], pictures: set[int], source: str
) -> set[int]:
    """Read the pages without text but with a picture by OCR, in place (blank pages stay
    blank); the numbers of the pages read so."""
    from ingest.ocr import OcrUnavailable, TesseractEngine, ocr_pdf_pages

    empty = [n for n, text in enumerate(page_texts, start=1) if not text.strip() and n in pictures]
    if not empty:
        return set()
    try:
        engine = TesseractEngine.find()
    except OcrUnavailable as exc:
        if not any(text.strip() for text in page_texts):
            raise IngestError(
                f"{source}: PDF に文字情報（テキストレイヤー）がなく、スキャン画像です。{exc}。"
                "それまでは、テキストレイヤーのある PDF か、テキストファイルを追加してください。"
            ) from exc
        log.warning(
            f"{source}: 画像だけのページ（{_page_list(empty)}）は文字認識できず、取り込んでいません。"
            f"{exc}。"
        )
        return set()
    ocr_log = logging.getLogger("ingest.ocr")

    def progress(done: int, total: int) -> None:
        ocr_log.info(f"{source}: 文字認識（OCR） {done}/{total} ページ")

    try:
        texts = ocr_pdf_pages(data, engine, empty, progress=progress)
    except Exception as exc:  # the engine crashing or timing out on a page
        raise IngestError(
            f"{source}: スキャン画像の文字認識（OCR）に失敗しました（{exc}）。"
            "PDF を作り直すか、テキストファイルを追加してください。"
        ) from exc
    for number, text in zip(empty, texts, strict=True):
        page_texts[number - 1] = normalise_newlines(text)
    return {n for n, text in zip(empty, texts, strict=True) if text.strip()}


def _page_list(numbers: list[int]) -> str:
    shown = "、".join(f"{n}" for n in numbers[:10])
    return f"{shown} ページ" + ("ほか" if len(numbers) > 10 else "")


class _Collect(logging.Handler):
    def __init__(self, into: list[str]):
        super().__init__(logging.WARNING)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(record.getMessage())


@contextmanager
def _library_warnings(name: str) -> Iterator[list[str]]:
    """The library's own English warnings, kept from stderr: the caller turns them into
    one Japanese line naming the file."""
    logger = logging.getLogger(name)
    caught: list[str] = []
    handler = _Collect(caught)
    propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield caught
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def _pdf_title(reader) -> str:
    try:
        metadata = reader.metadata
        title = metadata.title if metadata is not None else None
    except Exception:  # a broken info dictionary must not cost us the text
        return ""
    return title if isinstance(title, str) else ""


def _join_pages(
    page_texts: list[str], ocr_pages: set[int] = frozenset()
) -> tuple[str, tuple[PageSpan, ...]]:
    """Join pages with PAGE_SEPARATOR; each span covers its page's text, not the separator."""
    spans = []
    offset = 0
    for number, page_text in enumerate(page_texts, start=1):
        if number > 1:
            offset += len(PAGE_SEPARATOR)
        spans.append(PageSpan(number, offset, offset + len(page_text), number in ocr_pages))
        offset += len(page_text)
    return PAGE_SEPARATOR.join(page_texts), tuple(spans)


# --- Word (.docx) ----------------------------------------------------------------------

_HEADING_STYLE_PREFIXES = ("heading", "見出し")


def _extract_docx(data: bytes, source: str) -> _Extracted:
    import docx

    office.check_package(data, source, office.WORD)
    try:
        document = docx.Document(io.BytesIO(data))
        lines = list(_docx_lines(document))
        title = document.core_properties.title or ""
    except Exception as exc:  # python-docx, zipfile and lxml each raise their own errors
        raise IngestError(office.corrupt_message(source, office.WORD)) from exc
    text = normalise_newlines("\n".join(lines))
    if not text.strip():
        raise IngestError(_no_text_message(source))
    return _Extracted(text=text, title=title)


def _docx_lines(document) -> Iterator[str]:
    """Body paragraphs, their text boxes and tables in document order."""
    from docx.table import Table

    for block in document.iter_inner_content():
        if isinstance(block, Table):
            yield from _docx_table_lines(block)
        else:
            yield _docx_paragraph_line(block)
            yield from _docx_text_box_lines(block)


def _docx_paragraph_line(paragraph) -> str:
    text = paragraph.text
    style_name = (paragraph.style.name or "") if paragraph.style is not None else ""
    if style_name.lower().startswith(_HEADING_STYLE_PREFIXES) and text.strip():
        return _heading_line(text)
    return text


# A text box is drawn twice in the file: as DrawingML (mc:Choice) and, for old Word, as VML
# (mc:Fallback); python-docx reads neither. The DrawingML copy is read, once.
_TEXT_BOX_PARAGRAPHS = ".//w:txbxContent[not(ancestor::*[local-name() = 'Fallback'])]/w:p"


def _docx_text_box_lines(paragraph) -> Iterator[str]:
    """The paragraphs of the text boxes anchored in ``paragraph``, after it."""
    from docx.text.paragraph import Paragraph

    for element in paragraph._p.xpath(_TEXT_BOX_PARAGRAPHS):
        text = Paragraph(element, paragraph._parent).text
        if text.strip():
            yield text


def _docx_table_lines(table) -> Iterator[str]:
    """One line per row: labelled with the heading row (「日付：5月19日／訪問先：ミュンヘン」)
    when the table has one (marked in Word as repeating on each page, or a first row of
    short labels over three or more columns), else its cells tab-separated."""
    rows = [(row, [_docx_cell_text(cell) for cell in _distinct_cells(row)]) for row in table.rows]
    headings = rows[0][1] if len(rows) > 1 and _docx_heading_row(*rows[0]) else None
    for _row, cells in rows[1:] if headings else rows:
        line = office.labelled_row(headings, cells) if headings else "\t".join(cells)
        if line.strip():
            yield line


def _docx_heading_row(row, cells: list[str]) -> bool:
    marked = bool(row._tr.xpath("./w:trPr/w:tblHeader"))
    return marked or (len(cells) >= 3 and office.looks_like_headings(cells))


def _distinct_cells(row) -> list:
    # A horizontally merged cell appears once per grid column it spans; keep it once.
    cells, seen = [], set()
    for cell in row.cells:
        if id(cell._tc) not in seen:
            seen.add(id(cell._tc))
            cells.append(cell)
    return cells


def _docx_cell_text(cell) -> str:
    """A cell's paragraphs and nested tables on one line, so the row stays one line."""
    from docx.table import Table

    parts = []
    for block in cell.iter_inner_content():
        if isinstance(block, Table):
            parts.extend(_docx_table_lines(block))
        else:
            parts.append(block.text)
            parts.extend(_docx_text_box_lines(block))
    return " ".join(part.strip() for part in parts if part.strip())


def _heading_line(text: str) -> str:
    text = text.strip()
    return text if text.startswith(HEADING_MARK) else HEADING_MARK + text


# --- HTML ------------------------------------------------------------------------------

_DROPPED_TAGS = frozenset(
    # rt/rp: ruby readings would otherwise be spliced into the word they annotate.
    {"script", "style", "nav", "head", "noscript", "template", "iframe", "svg", "rt", "rp"}
)
_HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4"})
_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details",
        "dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h5",
        "h6", "header", "hgroup", "hr", "html", "li", "main", "menu", "ol", "p", "section",
        "summary", "table", "tbody", "tfoot", "thead", "ul",
    }
)  # fmt: skip
_HTML_WHITESPACE = re.compile(r"[ \t\n\r\f]+")
_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_HTML_CHARSET_SNIFF_BYTES = 4096
# WHATWG Encoding Standard: browsers read these labels as these codecs.
_HTML_LABEL_CODECS = {
    **dict.fromkeys(
        ("shift_jis", "shift-jis", "sjis", "x-sjis", "ms_kanji", "csshiftjis", "windows-31j"),
        "cp932",
    ),
    **dict.fromkeys(("iso-8859-1", "latin1", "us-ascii", "ascii"), "cp1252"),
    # A <meta> cannot truthfully declare UTF-16 (it would not be readable as ASCII).
    **dict.fromkeys(("utf-16", "utf-16le", "utf-16be"), "utf-8"),
}


def _extract_html(data: bytes, source: str) -> _Extracted:
    text, encoding = _decode_html(data, source)
    try:
        soup = _parse_html(text)
        title = _html_title(soup)
        lines = _HtmlLines().collect(soup)
    except RecursionError as exc:
        raise IngestError(
            f"{source}: HTML の入れ子が深すぎて読み込めません。"
            "本文をテキストファイルに保存して追加してください。"
        ) from exc
    except Exception as exc:  # bs4/lxml errors on pathological markup
        raise IngestError(
            f"{source}: HTML を読み込めません。ブラウザで開いて本文をテキストファイルに保存し、"
            "そのファイルを追加してください。"
        ) from exc
    body = "\n".join(lines)
    if not body.strip():
        raise IngestError(_no_text_message(source))
    return _Extracted(text=body, title=title, encoding=encoding)


def _decode_html(data: bytes, source: str) -> tuple[str, str]:
    """Decode as a browser would: BOM, then a <meta> charset that fits, then text detection."""
    if _bom_encoding(data) is None:
        declared = _declared_html_charset(data)
        if declared is not None and (text := _try_decode(data, declared)) is not None:
            return normalise_newlines(text), declared
    return decode_text(data, source)


def _declared_html_charset(data: bytes) -> str | None:
    match = _META_CHARSET.search(data[:_HTML_CHARSET_SNIFF_BYTES])
    if match is None:
        return None
    label = match.group(1).decode("ascii").lower()
    if label in _HTML_LABEL_CODECS:
        return _HTML_LABEL_CODECS[label]
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def _parse_html(text: str):
    from bs4 import BeautifulSoup, FeatureNotFound

    try:
        return BeautifulSoup(text, "lxml")
    except FeatureNotFound:
        return BeautifulSoup(text, "html.parser")


def _html_title(soup) -> str:
    for tag in (soup.title, soup.find("h1")):
        if tag is not None:
            title = _collapse_html_whitespace(tag.get_text())
            if title:
                return title.lstrip(HEADING_MARK)
    return ""


class _HtmlLines:
    """Turns a parsed document into text lines the way a reader sees the page: one line per
    block, ``■`` before h1-h4, one tab-separated line per table row."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.inline: list[str] = []

    def collect(self, node) -> list[str]:
        self._visit(node)
        self._end_line()
        return self.lines

    def _visit(self, node) -> None:
        from bs4 import CData, NavigableString, Tag

        for child in node.children:
            if type(child) in (NavigableString, CData):  # not comments, doctypes, script text
                self.inline.append(str(child))
            elif isinstance(child, Tag) and child.name not in _DROPPED_TAGS:
                self._visit_tag(child)

    def _visit_tag(self, tag) -> None:
        name = tag.name
        if name == "br":
            self._end_line()
        elif name in _HEADING_TAGS:
            heading = self._flat_text(tag)
            self._add_line(_heading_line(heading) if heading else "")
        elif name == "tr":
            cells = [self._flat_text(cell) for cell in tag.find_all(("td", "th"), recursive=False)]
            self._add_line("\t".join(cells) if any(cells) else "")
        elif name == "pre":
            self._end_line()
            self.lines.extend(normalise_newlines(tag.get_text()).strip("\n").split("\n"))
        elif name in _BLOCK_TAGS:
            self._end_line()
            self._visit(tag)
            self._end_line()
        else:
            self._visit(tag)

    def _flat_text(self, tag) -> str:
        """The tag's text on one line (its own blocks joined by spaces)."""
        return " ".join(_HtmlLines().collect(tag))

    def _add_line(self, line: str) -> None:
        self._end_line()
        if line:
            self.lines.append(line)

    def _end_line(self) -> None:
        line = _collapse_html_whitespace("".join(self.inline))
        self.inline.clear()
        if line:
            self.lines.append(line)


def _collapse_html_whitespace(text: str) -> str:
    """HTML whitespace rules, adapted to Japanese: a run becomes one space, except that a
    line break between two wide characters disappears (Japanese has no word spaces, and a
    space there would split words for search)."""

    def replace(match: re.Match) -> str:
        before = text[match.start() - 1] if match.start() > 0 else ""
        after = text[match.end()] if match.end() < len(text) else ""
        if "\n" in match.group() and _is_wide(before) and _is_wide(after):
            return ""
        return " "

    text = text.replace("\xa0", " ")
    return _HTML_WHITESPACE.sub(replace, text).strip(" ")


def _is_wide(char: str) -> bool:
    return bool(char) and unicodedata.east_asian_width(char) in ("W", "F")


# --- Excel (.xlsx) and PowerPoint (.pptx): ingest.excel, ingest.powerpoint ---------------


def _extract_xlsx(data: bytes, source: str) -> _Extracted:
    from ingest.excel import extract_workbook

    text, title = extract_workbook(data, source, HEADING_MARK)
    return _Extracted(text=text, title=title)


def _extract_pptx(data: bytes, source: str) -> _Extracted:
    from ingest.powerpoint import extract_presentation

    slides, title = extract_presentation(data, source, HEADING_MARK)
    text, pages = _join_pages(slides)
    return _Extracted(text=text, title=title, pages=pages)


_EXTRACTORS: dict[str, Callable[[bytes, str], _Extracted]] = {
    ".txt": _extract_text,
    ".md": _extract_markdown,
    ".pdf": _extract_pdf,
    ".docx": _extract_docx,
    ".html": _extract_html,
    ".htm": _extract_html,
    ".xlsx": _extract_xlsx,
    ".pptx": _extract_pptx,
}
