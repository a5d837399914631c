"""Speech's audio through FFmpeg's encoders (PyAV): 24 kHz mono 16-bit PCM in, a ``response_format``'s bytes out.

opus (in Ogg) and flac encode a whole answer at once. mp3 and aac (ADTS) are encoded a sound at a time
(a word's tone and its pause, a whole number of frames long): ``speech.py`` keeps each sound's frames and
answers with the frames of its sounds one after the other, so a sound heard before costs no encoding. That
holds because their frames stand alone: an mp3 frame with the bit reservoir off (no frame borrows bits from
the one before it) and an ADTS frame (its own header). Decoders read the joined frames as one stream.
docs/performance.md ("Issue 28") has what each choice measured.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

RATE = 24000


@dataclass(frozen=True)
class Encoder:
    container: str
    codec: str
    sample_format: str                 # what the encoder takes, so PyAV converts nothing (mono s16p is s16's bytes)
    options: dict[str, str] = field(default_factory=dict)
    bit_rate: int = 0                  # 0: the encoder's default (set on the codec context: as an option it is ignored)
    container_options: dict[str, str] = field(default_factory=dict)
    frame: int = 0                     # samples a frame, for the encoders whose sounds are framed alone


# Fast settings: a fake answers many requests, and a tone per word needs no fine psychoacoustics.
WHOLE = {
    "opus": Encoder("ogg", "libopus", "s16", {"compression_level": "0", "frame_duration": "60"}, bit_rate=32000),
    "flac": Encoder("flac", "flac", "s16", {"compression_level": "0"}),
}
FRAMED = {
    # MPEG-2 layer III (24 kHz) at 32 kb/s: 576 samples and 96 bytes a frame (no padding byte to alternate);
    # no ID3 tag or Xing frame (a plain stream of frames, whose duration decoders count or take from the bit rate)
    "mp3": Encoder("mp3", "libmp3lame", "s16p", {"compression_level": "9", "reservoir": "0"}, bit_rate=32000,
                   container_options={"id3v2_version": "0", "write_xing": "0"}, frame=576),
    # constant quality (30-40 kb/s for these tones): at a bit rate its rate control encodes a frame again when
    # it misses its share of bits (3x the time, measured). The encoder takes fltp only: PyAV converts s16 in C.
    "aac": Encoder("adts", "aac", "s16", {"aac_coder": "fast", "flags": "+qscale", "global_quality": "118"},
                   frame=1024),
}
# mp3: the sounds a request lacks are encoded in one go, each after a silent frame: LAME (quality 9, a
# constant bit rate, no reservoir) then gives each sound's frames exactly as if it were encoded alone, so an
# answer's bytes do not depend on which sounds earlier answers encoded (tests/test_audio.py checks it).
# FFmpeg's aac encoder carries state from frame to frame even across silence: each sound alone.
TOGETHER = {"mp3": 1}


def encode(pcm: bytes, response_format: str) -> bytes:
    """A whole answer's PCM as opus or flac."""
    return _run(WHOLE[response_format], pcm)


def frames(sounds: list[bytes], response_format: str) -> list[bytes]:
    """The mp3 or aac frames of each sound (PCM a whole number of frames long), as if encoded on its own: the
    first ``len(pcm)`` samples' worth. The encoder's delay (1105 samples for mp3, 1024 for aac) starts the tone
    that much later, and the frames it pushes past the sound's end (the end of its pause) are left out, so
    an answer lasts exactly as long as its sounds."""
    encoder = FRAMED[response_format]
    counts = [len(pcm) // 2 // encoder.frame for pcm in sounds]
    if any(len(pcm) != 2 * count * encoder.frame for pcm, count in zip(sounds, counts, strict=True)):
        raise ValueError(f"a {response_format} sound must be a whole number of {encoder.frame}-sample frames")
    gap = TOGETHER.get(response_format)
    if gap is None:
        return [_run(encoder, pcm, keep=count) for pcm, count in zip(sounds, counts, strict=True)]
    silence = bytes(2 * gap * encoder.frame)
    packets: list[bytes] = []
    _run(encoder, b"".join(silence + pcm for pcm in sounds), keep=gap * len(sounds) + sum(counts), packets=packets)
    out, start = [], 0
    for count in counts:
        start += gap
        out.append(b"".join(packets[start:start + count]))
        start += count
    return out


def _run(encoder: Encoder, pcm: bytes, keep: int | None = None, packets: list[bytes] | None = None) -> bytes:
    """The container's bytes of ``pcm``, of its first ``keep`` frames only if given; or, with ``packets``, the
    encoder's packets put there as they are (mp3: whole frames, header and all) and nothing muxed."""
    import av

    out = io.BytesIO()
    # bitexact: no random Ogg serial number, no library versions in the headers: the same bytes every time
    with av.open(out, "w", format=encoder.container,
                 options={"fflags": "+bitexact", **encoder.container_options}) as container:
        options = {**encoder.options, "flags": "+bitexact" + encoder.options.get("flags", "")}
        stream: Any = container.add_stream(encoder.codec, rate=RATE, layout="mono", options=options)
        if encoder.bit_rate:
            stream.codec_context.bit_rate = encoder.bit_rate
        # One frame of it all: PyAV cuts it into the encoder's frame size in C, not hundreds of frames in Python.
        frame = av.AudioFrame(format=encoder.sample_format, layout="mono", samples=len(pcm) // 2)
        frame.planes[0].update(pcm)
        frame.sample_rate = RATE
        frame.pts = 0
        encoded = stream.encode(frame) + stream.encode(None)
        if keep is not None and len(encoded) < keep:
            raise RuntimeError(f"{encoder.codec} gave {len(encoded)} frames for {keep} frames of sound")
        if packets is not None:
            packets.extend(bytes(packet) for packet in encoded)
            return b""
        for packet in encoded[:keep]:
            container.mux(packet)
    return out.getvalue()
