"""Reading back the PDFs the API draws, with no PDF library: their pages' (Flate-compressed)
content streams, the text those show, and the squares of a QR code drawn as filled
rectangles."""

from __future__ import annotations

import re
import zlib

import segno

_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.DOTALL)
_STRING = re.compile(rb"\(((?:\\.|[^\\)])*)\)")
_RECT = re.compile(rb"(-?[\d.]+) (-?[\d.]+) (-?[\d.]+) (-?[\d.]+) re\b")


def page_streams(content: bytes) -> list[bytes]:
    """Each page's drawing operators, after checking that the file is built as a PDF (header,
    cross-reference table, trailer, end marker)."""
    assert content.startswith(b"%PDF-1."), content[:20]
    assert content.rstrip().endswith(b"%%EOF")
    assert b"xref" in content and b"trailer" in content and b"/Type /Page" in content
    pages = []
    for stream in _STREAM.findall(content):
        try:
            # Not `zlib.decompress`: a compressed stream that ends in a 0x0D byte loses it to the
            # pattern's optional CR before `endstream` (a page in 256 went missing at random);
            # a decompressor object gives all the data without the checksum's last byte.
            data = zlib.decompressobj().decompress(stream)
        except zlib.error:
            continue  # not a page's drawing (a font, an image)
        if b" Tj" in data or b" re " in data:
            pages.append(data)
    return pages


def shown_text(page: bytes, separator: str = " ") -> str:
    """The text a page shows (its `(...) Tj` strings), joined by `separator`."""
    strings = [s.decode("latin-1") for s in _STRING.findall(page)]
    return separator.join(strings).replace("\\(", "(").replace("\\)", ")")


def pdf_text(content: bytes) -> str:
    """The text every page of a PDF shows, run together (the cells of a table meet)."""
    return "".join(shown_text(page, "") for page in page_streams(content))


def qr_of(page: bytes) -> set[tuple[int, int]]:
    """The dark squares of the QR code a page draws as rectangles of one module's height (in
    a path whose y axis points down, as fpdf2's drawing API writes it), as (row, column) from
    its top-left module."""
    rects = [tuple(float(n) for n in found) for found in _RECT.findall(page)]
    if not rects:
        return set()
    module = min(height for _, _, _, height in rects)
    left = min(x for x, _, _, _ in rects)
    top = min(y for _, y, _, _ in rects)
    dark = set()
    for x, y, width, _ in rects:
        row = round((y - top) / module)
        first = round((x - left) / module)
        dark |= {(row, column) for column in range(first, first + round(width / module))}
    return dark


def qr_modules(code: str) -> set[tuple[int, int]]:
    """The dark modules of `code`'s QR code as the server draws it (error correction M)."""
    matrix = segno.make(code, error="m").matrix
    return {(r, c) for r, row in enumerate(matrix) for c, dark in enumerate(row) if dark}
