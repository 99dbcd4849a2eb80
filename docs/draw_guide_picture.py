"""Draws bot/guide/pictures/sign-in-another-way.png (with Pillow, which the bot does not need)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont  # type: ignore[import-not-found, unused-ignore]

FONTS = Path("/usr/share/fonts/truetype/dejavu")
OUT = Path(__file__).parents[1] / "bot" / "guide" / "pictures" / "sign-in-another-way.png"
BLUE, RED, INK, GREY = "#0067b8", "#c4262e", "#1b1b1b", "#8a8886"


def main() -> None:
    """A made-up verification page with its "Sign in another way" link ringed in red."""
    regular = ImageFont.truetype(str(FONTS / "DejaVuSans.ttf"), 26)
    small = ImageFont.truetype(str(FONTS / "DejaVuSans.ttf"), 24)
    bold = ImageFont.truetype(str(FONTS / "DejaVuSans-Bold.ttf"), 38)
    image = Image.new("RGB", (960, 600), "#f3f2f1")
    draw = ImageDraw.Draw(image)
    draw.rectangle((80, 32, 880, 568), fill="white", outline="#d2d0ce", width=2)
    draw.text((128, 72), "someone@example.com", fill=INK, font=small)
    draw.text((128, 120), "Enter code", fill=INK, font=bold)
    draw.text((128, 188), "We texted your phone +XX XXXXXXX42.", fill=INK, font=regular)
    draw.text((128, 224), "Please enter the code to sign in.", fill=INK, font=regular)
    draw.rectangle((128, 276, 832, 336), outline=GREY, width=2)
    draw.text((148, 292), "Code", fill=GREY, font=regular)
    draw.text((128, 386), "Sign in another way", fill=BLUE, font=regular)
    draw.rounded_rectangle((106, 368, 440, 430), radius=18, outline=RED, width=6)
    draw.line((590, 399, 470, 399), fill=RED, width=8)
    draw.polygon([(450, 399), (480, 380), (480, 418)], fill=RED)
    draw.rectangle((640, 470, 832, 530), fill=BLUE)
    draw.text((690, 484), "Verify", fill="white", font=regular)
    # A few colours in a palette keep the file small (Teams cards carry it inline).
    image.quantize(colors=32).save(OUT, optimize=True)


if __name__ == "__main__":
    main()
