"""A test bed of PDFs with known truth, made from the fixture reports' text (issue 26, item 7).

    python bench/pdf_testbed.py OUT_DIR [--reports N] [--scans N]

Needs Debian's ``poppler-utils`` (``pdftoppm``) for the scans and ``fonts-noto-cjk`` so that
pdftoppm can draw the Japanese CID fonts (``make browser`` installs the fonts).

Each fixture report (tests/fixtures/reports/*.txt) is laid out in every digital shape:

- ``one_column``, ``two_column``, ``three_column``: text flowing through 1-3 columns a page;
- ``picture``: one column wrapped around a picture (right on odd pages, left on even ones);
- ``header_footer``: several pages under a running header, over a footer with the page number;
- ``table``: prose, then a ruled table (番号 / 区分 / 内容, cells wrapping over several lines,
  the heading row repeated on a new page), then prose again;
- ``vertical``: 縦書き, columns read right to left, with Japan's vertical CID encoding.

The first ``--scans`` reports' first pages are also scanned: rendered by ``pdftoppm`` at 300 dpi
(``scan300``: one and two columns, and the vertical page) and at 200 dpi with noise and a 0.7
degree rotation (``scan200``), each re-wrapped as an image-only PDF.

Beside every ``NAME.pdf`` lies ``NAME.truth.txt``: what a reader reads, page by page (pages split
by form feeds), headers, footers and page numbers left out, table rows as
``番号：1／区分：…／内容：…``. ``manifest.json`` lists them. ``character_accuracy`` is the
score: 1 - edit distance / truth length, both with whitespace removed.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import subprocess
import sys
import tempfile
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ingest.loaders import decode_text  # noqa: E402

REPORTS_DIR = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "reports"
PAGE_WIDTH, PAGE_HEIGHT = 595.28, 841.89  # A4 in points
MARGIN = 56.0
FONT = "HeiseiMin-W3"
VERTICAL_FACE = "HeiseiKakuGo-W5"
VERTICAL_FONT = "HeiseiKakuGo-W5-Vertical"  # its own name: reportlab names CID fonts by face
TABLE_HEADINGS = ("番号", "区分", "内容")
TABLE_ROWS = 8
DIGITAL_LAYOUTS = (
    "one_column",
    "two_column",
    "three_column",
    "picture",
    "header_footer",
    "table",
    "vertical",
)
HANGING = "、。，．"  # may hang one character past the line end (ぶら下げ)
NO_LINE_START = "）」』】〕！？!?,.)ー・ぁぃぅぇぉっゃゅょァィゥェォッャュョ"  # pushed back instead
_WHITESPACE = re.compile(r"\s+")


# --- the score ---------------------------------------------------------------------------


def character_accuracy(truth: str, extracted: str, *, nfkc: bool = False) -> float:
    """1 - Levenshtein distance / len(truth), whitespace removed from both (floored at 0).

    ``nfkc`` compares the NFKC forms: full- and half-width letters and digits (２ and 2, （ and
    (), which a scan cannot tell apart reliably, count as the same character."""
    if nfkc:
        truth, extracted = (unicodedata.normalize("NFKC", t) for t in (truth, extracted))
    a = _WHITESPACE.sub("", truth)
    b = _WHITESPACE.sub("", extracted)
    if not a:
        return 1.0 if not b else 0.0
    return max(0.0, 1.0 - edit_distance(a, b) / len(a))


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance, one numpy row at a time (insertions by a running minimum)."""
    if not b:
        return len(a)
    codes_b = np.frombuffer(b.encode("utf-32-le"), dtype=np.uint32)
    steps = np.arange(len(b) + 1)
    previous = steps.copy()
    for i, char in enumerate(a, start=1):
        substitute = previous[:-1] + (codes_b != ord(char))
        delete = previous[1:] + 1
        row = np.empty_like(previous)
        row[0] = i
        row[1:] = np.minimum(substitute, delete)
        # insertion: row[j] = min(row[j], row[j-1] + 1) for all j, as a running minimum
        previous = np.minimum.accumulate(row - steps) + steps
    return int(previous[-1])


# --- the text ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceReport:
    name: str
    title: str
    paragraphs: tuple[str, ...]
    sections: tuple[str, ...]  # the heading each paragraph sits under ("" before the first)


def source_reports(limit: int | None = None) -> list[SourceReport]:
    reports = []
    for path in sorted(REPORTS_DIR.glob("*.txt"))[:limit]:
        text, _encoding = decode_text(path.read_bytes(), path.name)  # some are Shift_JIS
        paragraphs = [drawable(line.strip()) for line in text.splitlines()]
        paragraphs = [p for p in paragraphs if p]
        sections, heading = [], ""
        for paragraph in paragraphs:
            if paragraph.startswith("■"):
                heading = paragraph.lstrip("■").strip()
            sections.append(heading)
        reports.append(
            SourceReport(path.stem, paragraphs[0], tuple(paragraphs[1:]), tuple(sections[1:]))
        )
    return reports


def drawable(text: str) -> str:
    """The text as the Japanese CID fonts can draw it: letters outside Shift_JIS lose their
    accents (é -> e), anything else undrawable is left out, so the truth is what is drawn."""
    out = []
    for char in text:
        if _in_sjis(char):
            out.append(char)
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", char) if _in_sjis(c))
        out.append(base if not unicodedata.combining(base[:1] or " ") else "")
    return "".join(out).replace("\t", " ")


def _in_sjis(char: str) -> bool:
    try:
        char.encode("cp932")
    except UnicodeEncodeError:
        return False
    return not unicodedata.category(char).startswith("C")


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=。)", text) if s.strip()]


# --- drawing -----------------------------------------------------------------------------


@dataclass
class Page:
    truth: list[str] = field(default_factory=list)


@dataclass
class Frame:
    """Where lines go on a page: columns, and how wide a line may be at height ``y``."""

    columns: list[tuple[float, float]]  # (x0, x1) of each column, left to right
    top: float
    bottom: float
    obstacle: tuple[float, float, float, float] | None = None  # picture (x0, y0, x1, y1)

    def span(self, column: int, y: float, size: float) -> tuple[float, float]:
        x0, x1 = self.columns[column]
        if self.obstacle:
            ox0, oy0, ox1, oy1 = self.obstacle
            if y - size * 0.3 < oy1 + 6 and y + size > oy0 - 6 and ox0 < x1 and ox1 > x0:
                if ox0 - x0 > x1 - ox1:
                    x1 = ox0 - 12
                else:
                    x0 = ox1 + 12
        return x0, x1


class Writer:
    """Flows paragraphs through the frames of successive pages, recording what each page says."""

    def __init__(self, canvas, frame_for: Callable[[int], Frame], size: float, furniture=None):
        self.canvas, self.frame_for, self.size = canvas, frame_for, size
        self.furniture = furniture  # draws the running header/footer of page n
        self.leading = size * 1.7
        self.pages: list[Page] = []
        self._start_page()

    def _start_page(self) -> None:
        if self.pages:
            self.canvas.showPage()
        self.pages.append(Page())
        self.frame = self.frame_for(len(self.pages))
        self.column = 0
        self.y = self.frame.top - self.size
        if self.furniture:
            self.furniture(self.canvas, len(self.pages))
        if self.frame.obstacle:
            draw_picture(self.canvas, self.frame.obstacle)
        self.canvas.setFont(FONT, self.size)

    def next_column(self) -> None:
        self.column += 1
        if self.column >= len(self.frame.columns):
            self._start_page()
        else:
            self.y = self.frame.top - self.size

    def ensure(self, height: float) -> None:
        if self.y - height < self.frame.bottom:
            self.next_column()

    def paragraph(self, text: str) -> None:
        from reportlab.pdfbase.pdfmetrics import stringWidth

        rest = text
        while rest:
            self.ensure(0)
            x0, x1 = self.frame.span(self.column, self.y, self.size)
            count = fitting(rest, x1 - x0, lambda s: stringWidth(s, FONT, self.size))
            line, rest = rest[:count], rest[count:]
            self.canvas.drawString(x0, self.y, line)
            self.pages[-1].truth.append(line)
            self.y -= self.leading
        self.y -= self.size * 0.6


def fitting(text: str, width: float, measure: Callable[[str], float]) -> int:
    """How many characters of ``text`` fit in ``width``, by Japanese line-breaking rules: a
    comma or full stop hangs past the end; a character that may not start a line takes the
    one before it onto the next line (追い出し)."""
    count = 1
    while count < len(text) and measure(text[: count + 1]) <= width:
        count += 1
    if count < len(text) and text[count] in HANGING:
        return count + 1
    while 1 < count < len(text) and text[count] in NO_LINE_START:
        count -= 1
    return count


def draw_picture(canvas, box: tuple[float, float, float, float]) -> None:
    """A photograph stand-in: a raster image of soft bands (drawn as a picture, not text)."""
    from PIL import Image
    from reportlab.lib.utils import ImageReader

    x0, y0, x1, y1 = box
    w, h = int(x1 - x0), int(y1 - y0)
    yy, xx = np.mgrid[0:h, 0:w]
    pixels = (120 + 60 * np.sin(xx / 17.0) * np.cos(yy / 23.0)).astype(np.uint8)
    image = Image.fromarray(np.stack([pixels, pixels // 2 + 90, 200 - pixels // 2], axis=2))
    canvas.drawImage(ImageReader(image), x0, y0, x1 - x0, y1 - y0)


def register_fonts() -> None:
    """The horizontal and the vertical Japanese CID font, each once (other code may have
    registered the horizontal one already)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    registered = pdfmetrics.getRegisteredFontNames()
    if FONT not in registered:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    if VERTICAL_FONT not in registered:
        vertical = UnicodeCIDFont(VERTICAL_FACE, isVertical=True)
        vertical.name = vertical.fontName = VERTICAL_FONT  # the PDF still names the face
        pdfmetrics.registerFont(vertical)


def new_canvas(path: Path, title: str, *, landscape: bool = False):
    from reportlab.pdfgen import canvas

    register_fonts()

    class RowByRowCanvas(canvas.Canvas):
        """Draws each page's text row by row across the page, left to right, whatever the
        reading order (as many PDF makers do): an extractor must read the geometry, not the
        drawing order, to get columns and vertical lines right."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pending: list[tuple[float, float, str, str, str, float]] = []

        def _queue(self, how: str, x: float, y: float, text: str, *_args, **_kwargs) -> None:
            self._pending.append((round(-y, 1), x, how, text, self._fontname, self._fontsize))

        def drawString(self, x, y, text, *args, **kwargs):  # noqa: N802 (reportlab's name)
            self._queue("drawString", x, y, text)

        def drawRightString(self, x, y, text, *args, **kwargs):  # noqa: N802
            self._queue("drawRightString", x, y, text)

        def drawCentredString(self, x, y, text, *args, **kwargs):  # noqa: N802
            self._queue("drawCentredString", x, y, text)

        def _flush(self) -> None:
            font = (self._fontname, self._fontsize)
            for minus_y, x, how, text, name, size in sorted(self._pending):
                self.setFont(name, size)
                getattr(super(), how)(x, -minus_y, text)
            self._pending = []
            self.setFont(*font)

        def showPage(self):  # noqa: N802
            self._flush()
            super().showPage()

        def save(self):
            self._flush()
            super().save()

    size = (PAGE_HEIGHT, PAGE_WIDTH) if landscape else (PAGE_WIDTH, PAGE_HEIGHT)
    pdf = RowByRowCanvas(str(path), pagesize=size, invariant=1)
    pdf.setTitle(title)
    return pdf


def columns_frame(count: int, gap: float = 18.0) -> Callable[[int], Frame]:
    width = (PAGE_WIDTH - 2 * MARGIN - gap * (count - 1)) / count
    cols = [(MARGIN + i * (width + gap), MARGIN + i * (width + gap) + width) for i in range(count)]
    return lambda _page: Frame(cols, PAGE_HEIGHT - MARGIN, MARGIN)


def title_block(writer: Writer, report: SourceReport) -> None:
    writer.canvas.setFont(FONT, writer.size * 1.3)
    writer.canvas.drawString(MARGIN, writer.y, report.title)
    writer.pages[-1].truth.append(report.title)
    writer.y -= writer.leading * 1.6
    writer.canvas.setFont(FONT, writer.size)


# --- the shapes --------------------------------------------------------------------------


def layout_columns(path: Path, report: SourceReport, count: int) -> list[Page]:
    pdf = new_canvas(path, report.title)
    size = {1: 10.5, 2: 10.0, 3: 9.0}[count]
    frames = columns_frame(count)
    first = frames(1)
    title_space = size * 1.7 * 1.6
    # The title spans the page; the columns of page 1 start under it.
    writer = Writer(
        pdf,
        lambda n: first if n > 1 else Frame(first.columns, first.top - title_space, first.bottom),
        size,
    )
    writer.y = first.top - size
    title_block(writer, report)
    writer.y = first.top - title_space - size
    for paragraph in report.paragraphs:
        writer.paragraph(paragraph)
    pdf.showPage()
    pdf.save()
    return writer.pages


def layout_picture(path: Path, report: SourceReport) -> list[Page]:
    pdf = new_canvas(path, report.title)

    def frame(n: int) -> Frame:
        top = PAGE_HEIGHT - MARGIN
        y1 = top - 90
        box = (
            (PAGE_WIDTH - MARGIN - 210, y1 - 170, PAGE_WIDTH - MARGIN, y1)
            if n % 2
            else (MARGIN, y1 - 170, MARGIN + 210, y1)
        )
        return Frame([(MARGIN, PAGE_WIDTH - MARGIN)], top, MARGIN, obstacle=box)

    writer = Writer(pdf, frame, 10.5)
    title_block(writer, report)
    for paragraph in report.paragraphs:
        writer.paragraph(paragraph)
    pdf.showPage()
    pdf.save()
    return writer.pages


def layout_header_footer(path: Path, report: SourceReport) -> list[Page]:
    pdf = new_canvas(path, report.title)
    header = f"{report.title[:24]}　国際交流レポート"

    def furniture(canvas, n: int) -> None:
        canvas.setFont(FONT, 8)
        canvas.drawString(MARGIN, PAGE_HEIGHT - 36, header)
        canvas.drawRightString(PAGE_WIDTH - MARGIN, PAGE_HEIGHT - 36, "令和5年度版")
        canvas.line(MARGIN, PAGE_HEIGHT - 40, PAGE_WIDTH - MARGIN, PAGE_HEIGHT - 40)
        canvas.drawCentredString(PAGE_WIDTH / 2, 30, f"- {n} -")

    frame = Frame([(MARGIN, PAGE_WIDTH - MARGIN)], PAGE_HEIGHT - MARGIN - 10, MARGIN + 10)
    writer = Writer(pdf, lambda _n: frame, 14.0, furniture=furniture)
    title_block(writer, report)
    for paragraph in report.paragraphs:
        writer.paragraph(paragraph)
    pdf.showPage()
    pdf.save()
    return writer.pages


def table_rows(report: SourceReport) -> tuple[list[str], list[tuple[str, str, str]], list[str]]:
    """Prose before the table, the table's rows (番号, 区分, 内容), and prose after it."""
    before = list(report.paragraphs[:2])
    rows, used = [], 2
    for index in range(2, len(report.paragraphs)):
        paragraph, section = report.paragraphs[index], report.sections[index]
        used = index + 1
        if paragraph.startswith("■"):
            continue
        for sentence in sentences(paragraph.strip("　 "))[:2]:
            rows.append((str(len(rows) + 1), section or "概要", sentence))
        if len(rows) >= TABLE_ROWS:
            break
    return before, rows[:TABLE_ROWS], list(report.paragraphs[used:])


def table_truth(row: tuple[str, ...]) -> str:
    return "／".join(f"{h}：{c}" for h, c in zip(TABLE_HEADINGS, row, strict=True))


def layout_table(path: Path, report: SourceReport) -> list[Page]:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    pdf = new_canvas(path, report.title)
    size = 10.5
    frame = Frame([(MARGIN, PAGE_WIDTH - MARGIN)], PAGE_HEIGHT - MARGIN, MARGIN)
    writer = Writer(pdf, lambda _n: frame, size)
    title_block(writer, report)
    before, rows, after = table_rows(report)
    for paragraph in before:
        writer.paragraph(paragraph)
    widths = [40.0, 120.0, PAGE_WIDTH - 2 * MARGIN - 160.0]
    cell_size, pad = 9.5, 4.0
    leading = cell_size * 1.45

    def wrap(text: str, width: float) -> list[str]:
        lines, rest = [], text
        while rest:
            n = fitting(rest, width - 2 * pad, lambda s: stringWidth(s, FONT, cell_size))
            lines.append(rest[:n])
            rest = rest[n:]
        return lines

    def draw_row(cells: tuple[str, ...], heading: bool) -> None:
        wrapped = [wrap(c, w) for c, w in zip(cells, widths, strict=True)]
        height = max(len(w) for w in wrapped) * leading + 2 * pad
        if writer.y - height < frame.bottom:
            writer.next_column()
            if not heading:
                draw_row(TABLE_HEADINGS, True)
        top = writer.y + size
        x = MARGIN
        pdf.setFont(FONT, cell_size)
        for lines, width in zip(wrapped, widths, strict=True):
            if heading:
                pdf.setFillGray(0.88)
                pdf.rect(x, top - height, width, height, stroke=1, fill=1)
                pdf.setFillGray(0)
            else:
                pdf.rect(x, top - height, width, height, stroke=1, fill=0)
            for k, line in enumerate(lines):
                pdf.drawString(x + pad, top - pad - cell_size - k * leading, line)
            x += width
        writer.y = top - height - size
        writer.pages[-1].truth.append("" if heading else table_truth(cells))

    writer.y -= size * 0.5
    draw_row(TABLE_HEADINGS, True)
    for row in rows:
        draw_row(row, False)
    writer.y -= size
    pdf.setFont(FONT, size)
    for paragraph in after:
        writer.paragraph(paragraph)
    pdf.showPage()
    pdf.save()
    return writer.pages


def layout_vertical(path: Path, report: SourceReport) -> list[Page]:
    """縦書き on a landscape page: columns top to bottom, placed right to left."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    pdf = new_canvas(path, report.title, landscape=True)
    width, height = PAGE_HEIGHT, PAGE_WIDTH
    size = 11.0
    pitch = size * 1.8
    pages = [Page()]
    x = width - MARGIN - size

    def measure(s: str) -> float:  # vertical CID fonts advance one em a character
        return len(s) * size if s else stringWidth("", VERTICAL_FONT, size)

    def new_page() -> float:
        pdf.showPage()
        pages.append(Page())
        return width - MARGIN - size

    for paragraph in (report.title, *report.paragraphs):
        rest = paragraph
        while rest:
            if x < MARGIN:
                x = new_page()
            count = fitting(rest, height - 2 * MARGIN, measure)
            line, rest = rest[:count], rest[count:]
            pdf.setFont(VERTICAL_FONT, size)
            pdf.drawString(x, height - MARGIN, line)
            pages[-1].truth.append(line)
            x -= pitch
        x -= size * 0.6
    pdf.showPage()
    pdf.save()
    return pages


LAYOUTS: dict[str, Callable[[Path, SourceReport], list[Page]]] = {
    "one_column": lambda p, r: layout_columns(p, r, 1),
    "two_column": lambda p, r: layout_columns(p, r, 2),
    "three_column": lambda p, r: layout_columns(p, r, 3),
    "picture": layout_picture,
    "header_footer": layout_header_footer,
    "table": layout_table,
    "vertical": layout_vertical,
}


# --- scans -------------------------------------------------------------------------------


def scan(pdf: Path, out: Path, *, dpi: int, noisy: bool, seed: int = 0) -> None:
    """The first page of ``pdf`` as an image-only PDF: rendered by pdftoppm at ``dpi``;
    ``noisy`` adds speckle, grey noise and a 0.7 degree rotation as a cheap scanner does."""
    from PIL import Image

    with tempfile.TemporaryDirectory() as tmp:
        prefix = Path(tmp) / "page"
        subprocess.run(
            ["pdftoppm", "-r", str(dpi), "-f", "1", "-l", "1", "-gray", "-png", str(pdf), prefix],
            check=True,
        )
        image = Image.open(next(Path(tmp).glob("page*.png"))).convert("L")
        image.load()
    if noisy:
        rng = np.random.default_rng(seed)
        image = image.rotate(0.7, resample=Image.Resampling.BILINEAR, fillcolor=255, expand=False)
        pixels = np.asarray(image, dtype=np.float32)
        pixels += rng.normal(0, 18, pixels.shape)
        specks = rng.random(pixels.shape)
        pixels[specks < 0.002] = 0
        pixels[specks > 0.998] = 255
        image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    buffer = io.BytesIO()
    image.save(buffer, format="PDF", resolution=float(dpi))
    out.write_bytes(buffer.getvalue())


# --- the whole bed -----------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    name: str  # file stem: <report>.<layout>
    report: str
    layout: str
    pages: int

    def pdf(self, root: Path) -> Path:
        return root / f"{self.name}.pdf"

    def truth(self, root: Path) -> list[str]:
        return (root / f"{self.name}.truth.txt").read_text(encoding="utf-8").split("\f")


def write_truth(root: Path, name: str, pages: Iterable[Page]) -> int:
    texts = ["\n".join(line for line in page.truth if line) for page in pages]
    texts = [t for t in texts if t] or [""]
    (root / f"{name}.truth.txt").write_text("\f".join(texts), encoding="utf-8")
    return len(texts)


def build(root: Path, *, reports: int | None = None, scans: int = 3) -> list[Entry]:
    root.mkdir(parents=True, exist_ok=True)
    entries = []
    for index, report in enumerate(source_reports(reports)):
        for layout, make in LAYOUTS.items():
            name = f"{report.name}.{layout}"
            pages = make(root / f"{name}.pdf", report)
            entries.append(Entry(name, report.name, layout, write_truth(root, name, pages)))
            if index >= scans or layout not in ("one_column", "two_column", "vertical"):
                continue
            first = pages[:1]
            shots = [("scan300", 300, False)]
            if layout == "one_column":
                shots.append(("scan200", 200, True))
            if layout == "vertical" and index > 0:
                continue  # one vertical scan is enough to see jpn_vert at work
            for kind, dpi, noisy in shots:
                scanned = f"{report.name}.{kind}_{layout}"
                scan(
                    root / f"{name}.pdf", root / f"{scanned}.pdf", dpi=dpi, noisy=noisy, seed=index
                )
                entries.append(
                    Entry(
                        scanned, report.name, f"{kind}_{layout}", write_truth(root, scanned, first)
                    )
                )
    manifest = [entry.__dict__ for entry in entries]
    (root / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
    return entries


def load_manifest(root: Path) -> list[Entry]:
    return [Entry(**e) for e in json.loads((root / "manifest.json").read_text(encoding="utf-8"))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--reports", type=int, default=None, help="first N fixture reports")
    parser.add_argument("--scans", type=int, default=3, help="reports whose first page is scanned")
    args = parser.parse_args(argv)
    entries = build(args.out, reports=args.reports, scans=args.scans)
    print(f"{len(entries)} PDFs in {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
