"""The audio of a realtime session: what the fake "says" and what it "hears". No HTTP here.

Output audio is deterministic: each transcript piece is a short tone (its pitch from a hash of the
piece), PCM16 little-endian mono at 24 kHz (``audio/pcm``), or G.711 at 8 kHz (``audio/pcmu``,
``audio/pcma``) when the session asks. Input audio is only measured: its duration, and where it is
silent, which is how server VAD is simulated (speech is a sample above the threshold; a turn ends
after ``silence_duration_ms`` of silence following speech).
"""

from __future__ import annotations

import base64
import binascii
import math
import zlib
from array import array
from dataclasses import dataclass
from functools import lru_cache

PCM_RATE = 24_000
G711_RATE = 8_000
MS_PER_PIECE = 40            # audio length of one transcript piece (a word or two)
AMPLITUDE = 6_000
SILENCE_LEVEL = 500          # |sample| at or below this is silence (VAD threshold 0.5 ~ this, scaled)

FORMATS = ("audio/pcm", "audio/pcmu", "audio/pcma")


def rate_of(fmt: str) -> int:
    return PCM_RATE if fmt == "audio/pcm" else G711_RATE


def bytes_per_ms(fmt: str) -> int:
    """Bytes of one millisecond of audio in ``fmt`` (PCM16 at 24 kHz: 48; G.711 at 8 kHz: 8)."""
    return PCM_RATE * 2 // 1000 if fmt == "audio/pcm" else G711_RATE // 1000


@lru_cache(maxsize=4096)   # a session says the same words again and again
def tone(piece: str, fmt: str, ms: int = MS_PER_PIECE) -> bytes:
    """The audio of one transcript piece: a sine at a pitch from a hash of the piece."""
    rate = rate_of(fmt)
    pitch = 180 + zlib.crc32(piece.encode()) % 420
    count = rate * ms // 1000
    step = 2 * math.pi * pitch / rate
    samples = array("h", (int(AMPLITUDE * math.sin(step * i)) for i in range(count)))
    if fmt == "audio/pcm":
        return samples.tobytes() if array("h", [1]).tobytes()[0] == 1 else _swapped(samples)
    encode = ulaw if fmt == "audio/pcmu" else alaw
    return bytes(encode(sample) for sample in samples)


def _swapped(samples: array[int]) -> bytes:
    copy = array("h", samples)
    copy.byteswap()
    return copy.tobytes()


_ULAW_ENDS = (0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF)
_ALAW_ENDS = (0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF)


def _segment(value: int, ends: tuple[int, ...]) -> int:
    return next((i for i, end in enumerate(ends) if value <= end), len(ends))


def ulaw(sample: int) -> int:
    """One 16-bit sample as G.711 mu-law (the ITU reference coder, as Python's old ``audioop``)."""
    pcm, mask = sample >> 2, 0xFF
    if pcm < 0:
        pcm, mask = -pcm, 0x7F
    pcm = min(pcm, 8159) + 0x21
    seg = _segment(pcm, _ULAW_ENDS)
    if seg >= 8:
        return 0x7F ^ mask
    return ((seg << 4) | ((pcm >> (seg + 1)) & 0x0F)) ^ mask


def alaw(sample: int) -> int:
    """One 16-bit sample as G.711 A-law (the ITU reference coder, as Python's old ``audioop``)."""
    pcm, mask = sample >> 3, 0xD5
    if pcm < 0:
        pcm, mask = -pcm - 1, 0x55
    seg = _segment(pcm, _ALAW_ENDS)
    if seg >= 8:
        return 0x7F ^ mask
    shift = 1 if seg < 2 else seg
    return ((seg << 4) | ((pcm >> shift) & 0x0F)) ^ mask


def decode_base64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def silent_flags(chunk: bytes, fmt: str, ms: int = 10, level: int = SILENCE_LEVEL) -> list[bool]:
    """Per ``ms`` window of input audio: whether it is silent. G.711 input is measured by its byte's
    distance from the silent code (good enough to tell tone from silence)."""
    window = bytes_per_ms(fmt) * ms
    flags = []
    for start in range(0, len(chunk), window):
        part = chunk[start:start + window]
        if fmt == "audio/pcm":
            samples = array("h")
            samples.frombytes(part[: len(part) // 2 * 2])
            loud = any(abs(s) > level for s in samples)
        else:
            quiet = {0xFF, 0x7F} if fmt == "audio/pcmu" else {0xD5, 0x55}
            loud = any(b not in quiet and (b & 0x70) != (0x70 if fmt == "audio/pcmu" else 0x50) for b in part)
        flags.append(not loud)
    return flags


@dataclass(slots=True)
class InputBuffer:
    """The input audio buffer, and server VAD over it (simulated on sample levels)."""

    data: bytearray
    speech_start_ms: int | None = None   # where speech began in the buffer, when detected
    silence_ms: int = 0                  # silence since the last speech
    total_ms: int = 0                    # audio appended since the session began (audio_start_ms counts from it)
    buffer_start_ms: int = 0             # total_ms when the buffer was last emptied

    @classmethod
    def empty(cls) -> InputBuffer:
        return cls(bytearray())

    def duration_ms(self, fmt: str) -> int:
        return len(self.data) // bytes_per_ms(fmt)

    def clear(self) -> None:
        self.data.clear()
        self.speech_start_ms = None
        self.silence_ms = 0
        self.buffer_start_ms = self.total_ms
