"""Small, valid, deterministic PNG images (zlib and struct, no imaging library): what the fake
answers where the live API draws a picture. The picture is an identicon of a text's hash: a
symmetric 5x5 grid of blocks in a colour from the hash, so two prompts give two different images
and the same prompt the same bytes.
"""

from __future__ import annotations

import base64
import hashlib
import struct
import zlib

GRID = 5


def encode(width: int, height: int, rows: list[bytes]) -> bytes:
    """A PNG of 8-bit RGB ``rows`` (each ``width * 3`` bytes, ``height`` of them)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + row for row in rows)   # filter type 0 (none) on every row
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)   # 8-bit truecolour, no interlace
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def identicon(text: str, size: int = 64, drawn: float = 1.0) -> bytes:
    """The PNG of ``text``'s identicon, ``size`` pixels square; ``drawn`` < 1 draws only the top part of
    the grid's rows (the partial images a stream sends before the whole one)."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    colour = bytes((digest[0] // 2 + 64, digest[1] // 2 + 64, digest[2] // 2 + 64))
    background = b"\xf0\xf0\xf0"
    half = (GRID + 1) // 2
    on = [[bool(digest[3 + row * half + col] & 1) for col in range(half)] for row in range(GRID)]
    cells = [row + row[:GRID - half][::-1] for row in on]   # mirrored, as identicons are
    rows_drawn = max(0, min(GRID, round(GRID * drawn)))
    block = size // GRID
    rows = []
    for y in range(size):
        row = bytearray()
        cell_row = min(y // block, GRID - 1)
        for x in range(size):
            cell_col = min(x // block, GRID - 1)
            lit = cell_row < rows_drawn and cells[cell_row][cell_col]
            row += colour if lit else background
        rows.append(bytes(row))
    return encode(size, size, rows)


def identicon_b64(text: str, size: int = 64, drawn: float = 1.0) -> str:
    return base64.b64encode(identicon(text, size, drawn)).decode("ascii")
