"""QR codes of a part's public URL, and a printable label (segno: SVG and PNG, no network)."""

from __future__ import annotations

import io
from html import escape

import segno

__all__ = ["label_svg", "qr_png", "qr_svg"]

ERROR_LEVEL = "m"  # 15 % of the symbol may be damaged (scratched labels on parts)


def qr_svg(url: str, *, scale: int = 4) -> bytes:
    """The URL as an SVG QR code (dark on light, quiet zone included)."""
    out = io.BytesIO()
    segno.make(url, error=ERROR_LEVEL).save(out, kind="svg", scale=scale, xmldecl=False,
                                             title=f"QR code of {url}")  # fmt: skip
    return out.getvalue()


def qr_png(url: str, *, scale: int = 8) -> bytes:
    """The URL as a PNG QR code."""
    out = io.BytesIO()
    segno.make(url, error=ERROR_LEVEL).save(out, kind="png", scale=scale)
    return out.getvalue()


def label_svg(url: str, serial_number: str, short_id: str) -> bytes:
    """A 50 x 30 mm label: the QR code, the serial number and the design's short id."""
    code = segno.make(url, error=ERROR_LEVEL)
    size = code.symbol_size(scale=1)[0]
    module = 26.0 / size  # the code fills 26 mm
    cells = "".join(
        f'<rect x="{2 + x * module:.3f}" y="{2 + y * module:.3f}" width="{module:.3f}" '
        f'height="{module:.3f}"/>'
        for y, row in enumerate(code.matrix_iter(scale=1, border=0))
        for x, dark in enumerate(row)
        if dark
    )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="50mm" height="30mm" '
        'viewBox="0 0 50 30" role="img" '
        f'aria-label="Part {escape(serial_number)} label">'
        '<rect width="50" height="30" fill="#fff"/>'
        f'<g fill="#000">{cells}</g>'
        '<g font-family="DejaVu Sans, Arial, sans-serif" fill="#000">'
        f'<text x="30" y="10" font-size="3.2" font-weight="bold">{escape(serial_number)}</text>'
        f'<text x="30" y="15" font-size="2.4">design {escape(short_id)}</text>'
        '<text x="30" y="20" font-size="2.2">Scan to verify</text>'
        "</g></svg>"
    ).encode()
