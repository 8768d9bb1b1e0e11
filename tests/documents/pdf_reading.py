"""Reading the PDFs the documents app makes, in tests: their text (poppler's pdftotext) and the QR code
printed on them (the page rasterised by poppler's pdftoppm, the symbol's modules read back and compared with
the QR code of the text it should carry).

No decoder library is needed: a QR code is a deterministic function of its text (the `qrcode` package picks
the version, the error correction level and the mask), so "the printed symbol is module for module the QR
code of the public link" is what "it decodes to the public link" means for a clean, unrotated render. The
reader finds the three finder patterns (the 1:1:3:1:1 dark/light runs), measures the module pitch between
them and samples every module's centre.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest


def _poppler(tool: str) -> str:
    path = shutil.which(tool)
    if not path:
        pytest.skip(f"{tool} (Debian's poppler-utils) is needed to read the PDFs")
    return path


def pdf_text(pdf: bytes) -> str:
    """The text of every page, in reading order, whitespace (also no-break spaces) collapsed to one space."""
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "document.pdf"
        source.write_bytes(pdf)
        out = subprocess.run(
            [_poppler("pdftotext"), "-enc", "UTF-8", str(source), "-"],
            check=True,
            capture_output=True,
            timeout=60,
        ).stdout.decode()
    return " ".join(out.replace("\xa0", " ").replace("\u202f", " ").split())


def page_image(pdf: bytes, page: int = 1, dpi: int = 300):
    """Page `page` (1-based) as a grayscale Pillow image."""
    from PIL import Image

    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "document.pdf"
        source.write_bytes(pdf)
        png = subprocess.run(
            [
                _poppler("pdftoppm"),
                "-r",
                str(dpi),
                "-f",
                str(page),
                "-l",
                str(page),
                "-gray",
                "-png",
                str(source),
            ],
            check=True,
            capture_output=True,
            timeout=60,
        ).stdout
    return Image.open(io.BytesIO(png)).convert("L")


def qr_matrix(text: str) -> list[list[bool]]:
    """The modules (True = dark) of the QR code the app makes for `text`, without the quiet zone."""
    import qrcode

    code = qrcode.QRCode(border=0)  # qrcode.make's defaults otherwise: error correction M, smallest version
    code.add_data(text)
    code.make(fit=True)
    return [list(row) for row in code.get_matrix()]


@dataclass
class _Finder:
    x: float
    y: float
    module: float


_RUN = re.compile(rb"\x01+|\x00+")


def _runs(row: bytes) -> list[tuple[bool, int, int]]:
    """(dark, start, length) of each run of equal pixels of a row (bytes: 1 dark, 0 light)."""
    return [
        (match.group()[0] == 1, match.start(), match.end() - match.start()) for match in _RUN.finditer(row)
    ]


def _finder_candidates(dark: list[bytes]) -> list[tuple[float, int, float]]:
    """(centre x, row, width) of every dark-light-dark-light-dark run of ratio 1:1:3:1:1 in every row."""
    found = []
    for y, row in enumerate(dark):
        runs = _runs(row)
        for i in range(len(runs) - 4):
            five = runs[i : i + 5]
            if not five[0][0]:
                continue
            unit = sum(length for _, _, length in five) / 7
            if unit < 1.5:
                continue
            expected = (1, 1, 3, 1, 1)
            if all(
                abs(length - e * unit) <= max(0.5 * unit * e, 1.5)
                for (_, _, length), e in zip(five, expected, strict=True)
            ):
                start = five[0][1]
                width = sum(length for _, _, length in five)
                found.append((start + width / 2, y, width))
    return found


def _finders(dark: list[bytes]) -> list[_Finder]:
    """Cluster the row candidates into finder patterns: a pattern is a band of rows about 3 modules high."""
    clusters: list[list[tuple[float, int, float]]] = []
    for x, y, width in _finder_candidates(dark):
        for cluster in clusters:
            cx, cy, cw = cluster[-1]
            if abs(cx - x) <= cw / 7 and y - cy <= 2 and abs(cw - width) <= cw / 7:
                cluster.append((x, y, width))
                break
        else:
            clusters.append([(x, y, width)])
    finders = []
    for cluster in clusters:
        width = sum(w for _, _, w in cluster) / len(cluster)
        if len(cluster) < 2 * width / 7:  # the 3-module core, at least 2 modules high, seen in enough rows
            continue
        finders.append(
            _Finder(
                x=sum(x for x, _, _ in cluster) / len(cluster),
                y=(cluster[0][1] + cluster[-1][1]) / 2,
                module=width / 7,
            )
        )
    return finders


def read_qr_matrices(image) -> list[list[list[bool]]]:
    """Every QR symbol on a grayscale image, as module matrices (True = dark), without the quiet zone."""
    width, height = image.size
    data = image.point(lambda value: 1 if value < 128 else 0).tobytes()
    dark = [data[y * width : (y + 1) * width] for y in range(height)]
    finders = _finders(dark)
    symbols = []
    for top_left in finders:
        right = [f for f in finders if f.x > top_left.x and abs(f.y - top_left.y) <= top_left.module * 2]
        below = [f for f in finders if f.y > top_left.y and abs(f.x - top_left.x) <= top_left.module * 2]
        # A symbol is square: the finder to the right and the one below are as far away (text can fake one).
        pairs = [
            (r, b)
            for r in right
            for b in below
            if abs((r.x - top_left.x) - (b.y - top_left.y)) <= top_left.module * 2
        ]
        if not pairs:
            continue
        top_right, bottom_left = max(pairs, key=lambda pair: pair[0].x)
        size = round((top_right.x - top_left.x) / top_left.module) + 7
        if size < 21 or (size - 17) % 4:  # versions 1..40 are 21, 25, ... modules a side
            continue
        pitch_x = (top_right.x - top_left.x) / (size - 7)
        pitch_y = (bottom_left.y - top_left.y) / (size - 7)
        matrix = []
        for row in range(size):
            y = round(top_left.y + (row - 3) * pitch_y)
            matrix.append([dark[y][round(top_left.x + (col - 3) * pitch_x)] == 1 for col in range(size)])
        symbols.append(matrix)
    return symbols


def qr_texts_on_page(pdf: bytes, candidates: list[str], page: int = 1) -> list[str]:
    """Which of `candidates` are printed as QR codes on the page (a symbol identical to their QR code)."""
    symbols = read_qr_matrices(page_image(pdf, page))
    return [text for text in candidates if qr_matrix(text) in symbols]
