"""The Speech engine (no HTTP): text in, real audio out.

The "voice" is a tone per word (its note, from a hash of the voice and the word, one of twelve of the C
major scale; its length from the word's letters and ``speed``) with short pauses between words: 24 kHz
mono 16-bit PCM, so the duration grows with the text and shrinks with the speed. PCM is answered as it is,
WAV with the standard ``wave`` module, and mp3, opus (in Ogg), aac (ADTS) and flac with FFmpeg's encoders
through PyAV (``encoders.py``). An mp3 or aac answer is its sounds' frames, each sound (a note of a length
and its pause) encoded once and kept: twelve notes make few distinct sounds, so most answers cost no
encoding at all.

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
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from fakeopenai.core.errors import InvalidRequestError
from fakeopenai.core.timeline import warn
from fakeopenai.families.media import encoders
from fakeopenai.families.media.scenario import SPEECH, SpeechEntry
from fakeopenai.spec.generate import count_tokens

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState

RATE = encoders.RATE
SECONDS_PER_LETTER = 0.06
PAUSE_SECONDS = 0.09
AMPLITUDE = 6000
# G3 to D5 of the C major scale, each as a whole number of samples per period (a tone is whole periods)
PERIODS = tuple(round(RATE / hertz) for hertz in (196.0, 220.0, 246.9, 261.6, 293.7, 329.6, 349.2, 392.0,
                                                    440.0, 493.9, 523.3, 587.3))
MEDIA_TYPES = {"mp3": "audio/mpeg", "opus": "audio/opus", "aac": "audio/aac", "flac": "audio/flac",
               "wav": "audio/wav", "pcm": "audio/pcm"}
KEPT_BYTES = 32 << 20   # encoded sounds kept per process (a word's sound at speed 1: 1 to 4 KB)
SSE_CHUNK = 8192   # bytes of audio per speech.audio.delta event

Sound = tuple[int, int, int]   # samples per period (0: none), periods, samples of silence after


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
    sounds = plan(str(body["input"]), float(body.get("speed") or 1.0), f"{state.scenario.seed}|{voice_key}")
    if response_format in encoders.FRAMED:
        audio, samples_made = framed(sounds, response_format)
    else:
        pcm = b"".join(sound(*each) for each in sounds)
        audio, samples_made = encode(pcm, response_format), len(pcm) // 2
    return Speech(audio, response_format, samples_made / RATE)


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


def plan(text: str, speed: float, voice: str) -> list[Sound]:
    """The answer's sounds: a pause, then for each word its tone and a pause."""
    pause = int(RATE * PAUSE_SECONDS / speed)
    sounds = [(0, 0, pause)]
    for word in text.split():
        digest = hashlib.blake2b(f"{voice}|{word}".encode(), digest_size=2).digest()
        period = PERIODS[int.from_bytes(digest, "big") % len(PERIODS)]
        length = int(RATE * SECONDS_PER_LETTER * max(2, len(word)) / speed)
        sounds.append((period, length // period, pause))
    return sounds


def samples(text: str, speed: float, voice: str) -> bytes:
    """16-bit little-endian PCM at 24 kHz: a tone per word, a pause after each."""
    return b"".join(sound(*each) for each in plan(text, speed, voice))


def sound(period: int, periods: int, silence: int) -> bytes:
    return (_period(period) * periods if period else b"") + bytes(2 * silence)


@lru_cache(maxsize=len(PERIODS))
def _period(samples_per_period: int) -> bytes:
    return struct.pack(f"<{samples_per_period}h", *(
        int(AMPLITUDE * math.sin(2 * math.pi * i / samples_per_period)) for i in range(samples_per_period)))


def framed(sounds: list[Sound], response_format: str) -> tuple[bytes, int]:
    """An mp3 or aac answer: each sound's pause lengthened to end on a frame (by less than a frame, 24 ms for
    mp3 and 43 ms for aac, a word), its frames encoded once and kept."""
    global _kept_bytes
    frame = encoders.FRAMED[response_format].frame
    keys = [(response_format, period, periods, silence + (-(period * periods + silence)) % frame)
            for period, periods, silence in sounds]
    found = {key: _kept[key] for key in keys if key in _kept}
    missing = [key for key in dict.fromkeys(keys) if key not in found]
    if missing:
        found.update(zip(missing, encoders.frames([sound(*key[1:]) for key in missing], response_format),
                         strict=True))
    for key, frames in found.items():
        if key in _kept:
            _kept.move_to_end(key)
        else:
            _kept[key] = frames
            _kept_bytes += len(frames)
    while _kept_bytes > KEPT_BYTES:
        _kept_bytes -= len(_kept.popitem(last=False)[1])
    return b"".join(found[key] for key in keys), sum(period * periods + silence for _, period, periods, silence in keys)


_kept: OrderedDict[tuple[str, int, int, int], bytes] = OrderedDict()   # the encoded sounds, least recently used first
_kept_bytes = 0


def forget_sounds() -> None:
    """Empty the kept sounds (tests: an answer's bytes must not depend on them)."""
    global _kept_bytes
    _kept.clear()
    _kept_bytes = 0


@lru_cache(maxsize=32)
def encode(pcm: bytes, response_format: str) -> bytes:
    """PCM as it is, WAV, opus or flac (mp3 and aac: ``framed``)."""
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
    return encoders.encode(pcm, response_format)


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
