"""The Speech engine (no HTTP): text in, real audio out.

The "voice" is a tone per word (its pitch from a hash of the voice and the word, its length from the
word's letters and ``speed``) with short pauses between words: 24 kHz mono 16-bit PCM, so the duration
grows with the text and shrinks with the speed. PCM is answered as it is, WAV with the standard
``wave`` module, and mp3, opus (in Ogg), aac (ADTS) and flac with FFmpeg's encoders through PyAV.

A ``speech:`` entry that matches the request answers its file instead, byte for byte, when the file
is in the asked ``response_format`` (its extension says which); a file of another format is not
converted: generated audio answers, with a warning naming the entry.
"""

from __future__ import annotations

import base64
import hashlib
import io
import math
import struct
import wave
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from fakeopenai.core.errors import InvalidRequestError
from fakeopenai.core.timeline import warn
from fakeopenai.families.media.scenario import SPEECH, SpeechEntry
from fakeopenai.spec.generate import count_tokens

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState

RATE = 24000
SECONDS_PER_LETTER = 0.06
PAUSE_SECONDS = 0.09
AMPLITUDE = 6000
MEDIA_TYPES = {"mp3": "audio/mpeg", "opus": "audio/opus", "aac": "audio/aac", "flac": "audio/flac",
               "wav": "audio/wav", "pcm": "audio/pcm"}
# response_format -> (container, encoder, encoder options): fast settings, a fake answers many requests
# and the sample format the encoder takes, so that PyAV converts nothing (mono s16p is s16's bytes)
ENCODERS = {"mp3": ("mp3", "libmp3lame", {"compression_level": "9"}, "s16p"),
            "opus": ("ogg", "libopus", {"compression_level": "0"}, "s16"),
            "aac": ("adts", "aac", {"aac_coder": "fast"}, "s16"),   # takes fltp only: PyAV converts
            "flac": ("flac", "flac", {"compression_level": "0"}, "s16")}
SSE_CHUNK = 8192   # bytes of audio per speech.audio.delta event


def check(body: dict[str, Any]) -> None:
    """The 400s the schema does not give."""
    if not str(body.get("input") or "").strip():
        raise InvalidRequestError("Invalid 'input': empty string. Expected a string with minimum length 1, "
                                  "but got an empty string instead.", param="input", code="empty_string")
    if body.get("instructions") and str(body.get("model")) in ("tts-1", "tts-1-hd"):
        raise InvalidRequestError(f"Instructions are not supported for {body['model']}: use gpt-4o-mini-tts.",
                                  param="instructions", code="invalid_value")


@dataclass(frozen=True, slots=True)
class Speech:
    """The audio answered, in ``format``, ``seconds`` long; ``entry``: the ``speech:`` entry whose file it is."""

    audio: bytes
    format: str
    seconds: float
    entry: SpeechEntry | None = None


def speak(state: TenantState, body: dict[str, Any]) -> Speech:
    """The audio of the request, in its ``response_format`` (default mp3): a matching entry's file, else made."""
    response_format = str(body.get("response_format") or "mp3")
    voice = body.get("voice")
    voice_key = str(voice.get("id") if isinstance(voice, dict) else voice)
    entry = _entry_for(state, body, voice_key, response_format)
    if entry is not None:
        return Speech(entry.file, response_format, entry.seconds, entry)
    pcm = samples(str(body["input"]), float(body.get("speed") or 1.0), f"{state.scenario.seed}|{voice_key}")
    return Speech(encode(pcm, response_format), response_format, duration(pcm))


def _entry_for(state: TenantState, body: dict[str, Any], voice: str, response_format: str) -> SpeechEntry | None:
    part = state.scenario.parts.get("media") or {}
    other_format = None
    for entry in part.get(SPEECH, ()):
        if entry.model is not None and entry.model != body.get("model"):
            continue
        if entry.voice is not None and entry.voice != voice:
            continue
        if entry.input is not None and not entry.input.test(str(body.get("input"))):
            continue
        if entry.format != response_format:
            other_format = other_format or entry
            continue
        state.record_entry_use(entry)
        return entry
    if other_format is not None:
        warn(f"{other_format.name} matches this speech request but its file is {other_format.format}, not the "
             f"asked {response_format}: generated audio answered (a speech file is answered only in its own format)")
    return None


def seconds_of(data: bytes, response_format: str) -> float:
    """How long a speech file plays (``ValueError`` when it is not audio of that format): pcm is
    24 kHz 16-bit mono as the API answers it; the others are probed with PyAV."""
    if response_format == "pcm":
        return len(data) / 2 / RATE
    import av

    try:
        with av.open(io.BytesIO(data), "r") as container:
            if not container.streams.audio:
                raise ValueError("no audio stream")
            if container.duration:
                return container.duration / 1_000_000
            stream = container.streams.audio[0]
            return sum(frame.samples for frame in container.decode(stream)) / (stream.rate or RATE)
    except (av.FFmpegError, OSError) as exc:
        raise ValueError(str(exc)) from None


def samples(text: str, speed: float, voice: str) -> bytes:
    """16-bit little-endian PCM at 24 kHz: a tone per word, a pause after each."""
    pause = bytes(2 * int(RATE * PAUSE_SECONDS / speed))
    out = [pause]
    for word in text.split():
        digest = hashlib.blake2b(f"{voice}|{word}".encode(), digest_size=2).digest()
        period = 40 + int.from_bytes(digest, "big") % 80          # 200-600 Hz: a whole number of samples
        length = int(RATE * SECONDS_PER_LETTER * max(2, len(word)) / speed)
        out.append(_period(period) * (length // period))
        out.append(pause)
    return b"".join(out)


@lru_cache(maxsize=128)
def _period(samples_per_period: int) -> bytes:
    return struct.pack(f"<{samples_per_period}h", *(
        int(AMPLITUDE * math.sin(2 * math.pi * i / samples_per_period)) for i in range(samples_per_period)))


def duration(pcm: bytes) -> float:
    return len(pcm) / 2 / RATE


@lru_cache(maxsize=32)
def encode(pcm: bytes, response_format: str) -> bytes:
    if response_format == "pcm":
        return pcm
    if response_format == "wav":
        out = io.BytesIO()
        with wave.open(out, "wb") as file:
            file.setnchannels(1)
            file.setsampwidth(2)
            file.setframerate(RATE)
            file.writeframes(pcm)
        return out.getvalue()
    import av

    container_format, codec, options, sample_format = ENCODERS[response_format]
    out = io.BytesIO()
    with av.open(out, "w", format=container_format) as container:
        stream: Any = container.add_stream(codec, rate=RATE, layout="mono", options=dict(options))   # an audio one
        frame_size = stream.codec_context.frame_size or 4096
        total = len(pcm) // 2
        for start in range(0, total, frame_size):
            chunk = pcm[start * 2:(start + frame_size) * 2]
            frame = av.AudioFrame(format=sample_format, layout="mono", samples=len(chunk) // 2)
            frame.planes[0].update(chunk)
            frame.sample_rate = RATE
            frame.pts = start
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out.getvalue()


def sse_events(body: dict[str, Any], audio: bytes) -> list[tuple[str, dict[str, Any]]]:
    """``speech.audio.delta`` events with the audio in pieces (base64), then ``speech.audio.done`` with the usage."""
    events: list[tuple[str, dict[str, Any]]] = [
        ("speech.audio.delta", {"type": "speech.audio.delta",
                                "audio": base64.b64encode(audio[start:start + SSE_CHUNK]).decode("ascii")})
        for start in range(0, len(audio), SSE_CHUNK)]
    input_tokens = count_tokens(str(body.get("input", ""))) + count_tokens(str(body.get("instructions") or ""))
    output_tokens = max(1, len(audio) // 400)
    events.append(("speech.audio.done", {"type": "speech.audio.done", "usage": {
        "input_tokens": input_tokens, "output_tokens": output_tokens,
        "total_tokens": input_tokens + output_tokens}}))
    return events
