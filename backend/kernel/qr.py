"""QR codes drawn on the server as SVG: no image library in the browser, nothing from a CDN."""

from __future__ import annotations

import io

import segno


def qr_svg(text: str, *, scale: int = 8) -> bytes:
    out = io.BytesIO()
    # Error level M: readable from the back of a room and on a slightly dirty print.
    segno.make(text, error="m").save(
        out, kind="svg", scale=scale, border=2, xmldecl=False, dark="#111111", omitsize=True
    )
    return out.getvalue()
