"""QR codes for authenticator enrollment, as PNG bytes (pure Python, no imaging library)."""

from __future__ import annotations

import io

import qrcode
from qrcode.image.pure import PyPNGImage


def qr_png(text: str) -> bytes:
    """A PNG QR code of `text` (an otpauth:// URI: treat the image as a secret)."""
    image = qrcode.make(text, image_factory=PyPNGImage, box_size=8, border=2)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()
