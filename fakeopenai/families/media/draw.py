"""Pictures with Pillow: an identicon of a key's hash (a mirrored 5x5 grid of blocks in a colour from
the hash, as :mod:`fakeopenai.spec.png` draws it), a flat colour, or an edit of given pictures; encoded as
PNG, JPEG or WebP. Drawn small and scaled up with nearest-neighbour, so a 1536x1024 picture costs
little more than its encoding."""

from __future__ import annotations

import hashlib
from io import BytesIO

from PIL import Image, ImageChops, UnidentifiedImageError

GRID = 5
BACKGROUND = (240, 240, 240)
PIL_FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}
MEDIA_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}


class NotAnImage(ValueError):
    """Bytes Pillow cannot read as a picture."""


def identicon(key: str, width: int, height: int, *, transparent: bool = False, drawn: float = 1.0) -> Image.Image:
    """``key``'s identicon centred on a ``width`` x ``height`` canvas; ``drawn`` < 1 draws only the top
    part of the grid's rows (a stream's partial images). A two-colour paletted picture (index 0 the
    background, transparent when asked), which PNG encodes at a byte a pixel."""
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    colour = (digest[0] // 2 + 64, digest[1] // 2 + 64, digest[2] // 2 + 64)
    half = (GRID + 1) // 2
    rows = max(0, min(GRID, round(GRID * drawn)))
    cells = _paletted((GRID + 2, GRID + 2), BACKGROUND, colour)   # a margin of one block around the grid
    for row in range(rows):
        for col in range(half):
            if digest[3 + row * half + col] & 1:
                cells.putpixel((col + 1, row + 1), 1)
                cells.putpixel((GRID - col, row + 1), 1)
    side = min(width, height)
    picture = cells.resize((side, side), Image.Resampling.NEAREST)
    if (width, height) != (side, side):
        canvas = _paletted((width, height), BACKGROUND, colour)
        canvas.paste(picture, ((width - side) // 2, (height - side) // 2))
        picture = canvas
    if transparent:
        picture.info["transparency"] = 0
    return picture


def _paletted(size: tuple[int, int], background: tuple[int, int, int], colour: tuple[int, int, int]) -> Image.Image:
    picture = Image.new("P", size, 0)
    picture.putpalette([*background, *colour])
    return picture


def flat(colour: tuple[int, int, int], width: int, height: int) -> Image.Image:
    return _paletted((width, height), colour, colour)


def read(data: bytes) -> Image.Image:
    """An uploaded picture, as RGBA."""
    try:
        picture = Image.open(BytesIO(data))
        picture.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise NotAnImage(str(exc)) from None
    return picture.convert("RGBA")


def edit(base: Image.Image, drawing: Image.Image, mask: Image.Image | None) -> Image.Image:
    """``drawing`` where ``mask`` is transparent (the live API's rule: the mask's fully transparent
    pixels say where to draw), ``base`` elsewhere; without a mask, the two blended half and half."""
    drawing = drawing.convert("RGBA")
    base = base.resize(drawing.size, Image.Resampling.BILINEAR)
    if mask is None:
        return Image.blend(base, drawing, 0.5)
    where = ImageChops.invert(mask.resize(drawing.size, Image.Resampling.NEAREST).getchannel("A"))
    return Image.composite(drawing, base, where)


def encode(picture: Image.Image, output_format: str, compression: int | None = None) -> bytes:
    """The picture's bytes; ``compression`` (0-100, the API's output_compression) sets the JPEG/WebP
    quality (100 - compression)."""
    out = BytesIO()
    quality = 100 - compression if isinstance(compression, int) and 0 <= compression <= 100 else 90
    if output_format == "jpeg":
        picture.convert("RGB").save(out, "JPEG", quality=max(quality, 1))
    elif output_format == "webp":
        picture.convert("RGBA" if picture.mode == "RGBA" or "transparency" in picture.info else "RGB").save(
            out, "WEBP", lossless=True, method=0)
    else:
        picture.save(out, "PNG", compress_level=1)   # speed over size: a flat picture is small anyway
    return out.getvalue()
