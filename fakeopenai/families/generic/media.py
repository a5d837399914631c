"""Deterministic bytes for the generic family's binary answers: each a tiny valid file of its type
(a PNG, a WAV of silence, an MP4 with its boxes, a WebP, a ZIP), the same for the same key. The
Images and Audio APIs are the media family's (``families/media/``: real pictures and audio, SPEC 11.4);
these serve the binary answers of the operations still generic (video content, thumbnails ...).
"""

from __future__ import annotations

import base64
import hashlib
import struct
import zipfile
import zlib
from dataclasses import dataclass
from functools import cache
from io import BytesIO
from typing import Any

JSON = "application/json"


@dataclass(frozen=True, slots=True)
class Upload:
    """A file part of a multipart request."""

    filename: str
    data: bytes
    content_type: str


def pick(declared: tuple[str, ...], variant: str | None = None) -> str:
    """The media type an answer is sent as: the first the spec declares that is not JSON (a video's
    ``variant=thumbnail`` is its WebP image)."""
    binary = [m for m in declared if m != JSON and m != "text/event-stream"]
    if variant in ("thumbnail", "spritesheet"):
        images = [m for m in binary if m.startswith("image/")]
        if images:
            return images[0]
    return binary[0] if binary else "application/octet-stream"


def binary_kind(declared: tuple[str, ...], body: dict[str, Any]) -> str | None:
    """The binary media type of an answer the spec gives as bytes (speech), else None."""
    if JSON in declared or not declared:
        return None
    binary = [m for m in declared if m != "text/event-stream"]
    return binary[0] if binary else None


def bytes_for(media: str, key: str, *, fmt: Any = None, name: str = "file") -> bytes:
    """A small valid file of ``media`` (speech: of its ``response_format``), the same for the same key."""
    if media in ("audio/wav", "audio/x-wav") or fmt == "wav":
        return wav(key)
    if fmt == "pcm":
        return bytes(4800)
    if media == "application/octet-stream" and fmt in (None, "mp3"):
        return mp3(key)
    if media.startswith("image/png"):
        return png(key)
    if media == "image/webp":
        return webp()
    if media == "image/jpeg":
        return png(key)
    if media == "video/mp4":
        return mp4(key)
    if media == "application/zip":
        return skill_zip(name)
    return hashlib.shake_256(key.encode()).digest(64)


def sdp_answer(key: str) -> bytes:
    """A WebRTC SDP answer (for ``POST /realtime/calls``)."""
    session = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=6).digest(), "big")
    return ("v=0\r\n"
            f"o=- {session} 2 IN IP4 127.0.0.1\r\n"
            "s=-\r\n"
            "t=0 0\r\n"
            "a=group:BUNDLE 0\r\n"
            "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
            "c=IN IP4 0.0.0.0\r\n"
            "a=mid:0\r\n"
            "a=sendrecv\r\n"
            "a=rtpmap:111 opus/48000/2\r\n").encode()


# ----------------------------------------------------------------------------- the files
@cache
def png(key: str = "", size: int = 1) -> bytes:
    """A ``size``x``size`` RGB PNG of one colour drawn from ``key``."""
    colour = hashlib.blake2b(key.encode(), digest_size=3).digest()

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + colour * size for _ in range(size))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def png_base64(key: str) -> str:
    return base64.b64encode(png(key)).decode()


@cache
def wav(key: str = "", seconds: float = 0.1, rate: int = 24000) -> bytes:
    """Mono 16-bit PCM silence."""
    data = bytes(int(rate * seconds) * 2)
    return (b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVE" + b"fmt "
            + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16) + b"data" + struct.pack("<I", len(data)) + data)


@cache
def mp3(key: str = "", frames: int = 4) -> bytes:
    """MPEG-1 Layer III frames of silence (128 kbit/s, 44.1 kHz): 417 bytes each."""
    header = bytes((0xFF, 0xFB, 0x90, 0x64))
    return (header + bytes(413)) * frames


@cache
def webp() -> bytes:
    """A 1x1 lossless WebP."""
    return base64.b64decode("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")


@cache
def mp4(key: str = "") -> bytes:
    """An MP4 with its ftyp, an empty mdat and a movie header box (no samples)."""
    def box(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", 8 + len(data)) + kind + data

    ftyp = box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isomiso2avc1mp41")
    mvhd = box(b"mvhd", bytes(4) + struct.pack(">IIII", 0, 0, 1000, 0) + struct.pack(">IH", 0x00010000, 0x0100)
               + bytes(10) + struct.pack(">9I", 0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000)
               + bytes(24) + struct.pack(">I", 2))
    return ftyp + box(b"mdat", b"") + box(b"moov", mvhd)


@cache
def skill_zip(name: str) -> bytes:
    """A skill's files as the API gives them: a ZIP with its SKILL.md."""
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo(f"{name}/SKILL.md", date_time=(2025, 1, 1, 0, 0, 0))
        archive.writestr(info, f"---\nname: {name}\ndescription: A skill served by fakeopenai.\n---\n")
    return buffer.getvalue()


def fill_images(data: Any, body: dict[str, Any], key: str) -> None:
    """Images in a generated answer: ``b64_json`` a real PNG (or, with ``response_format: url``, a data
    URL of it); ``revised_prompt`` the prompt."""
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        return
    data["data"] = [dict(item) if isinstance(item, dict) else item for item in data["data"]]   # its own copies
    for index, item in enumerate(data["data"]):
        if not isinstance(item, dict) or not ({"b64_json", "url"} & item.keys()):
            continue
        encoded = png_base64(f"{key}#{index}")
        if body.get("response_format") == "url":
            item["url"] = "data:image/png;base64," + encoded
            item.pop("b64_json", None)
        else:
            item["b64_json"] = encoded
            item.pop("url", None)
        if "revised_prompt" in item and isinstance(body.get("prompt"), str):
            item["revised_prompt"] = body["prompt"]
