"""The Transcriptions and Translations engine (no HTTP): an upload in, its transcript in the asked
``response_format`` (json, text, srt, vtt, verbose_json, diarized_json) or as stream events.

The upload must decode as audio (PyAV probes it; its duration times the words). The text is the
first matching ``transcriptions:`` entry's, verbatim, else generated from the seed and the audio's
hash, about two and a half words a second. Segments are its sentences, words its words, spread
evenly over the duration.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fakeopenai.core.errors import InvalidRequestError
from fakeopenai.core.known_models import check_model
from fakeopenai.families.media.scenario import TRANSCRIPTIONS, TranscriptionEntry
from fakeopenai.spec.generate import count_tokens, sentence_text

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState

SUPPORTED = "['flac', 'm4a', 'mp3', 'mp4', 'mpeg', 'mpga', 'oga', 'ogg', 'wav', 'webm']"
WHISPER_FORMATS = ("json", "text", "srt", "verbose_json", "vtt")
FORMATS = {"whisper-1": WHISPER_FORMATS, "gpt-4o-transcribe-diarize": ("json", "text", "diarized_json")}
GPT_FORMATS = ("json", "text")
WORDS_PER_SECOND = 2.5
TEXT_FORMATS = ("text", "srt", "vtt")


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    start: float
    end: float


@dataclass(slots=True)
class Transcript:
    text: str
    duration: float
    words: list[Word]
    language: str
    speakers: tuple[str, ...]
    input_tokens: int
    entry: TranscriptionEntry | None = None   # the transcriptions: entry whose text it is


def allowed_formats(model: str, operation: str) -> tuple[str, ...]:
    if operation == "translations":
        return WHISPER_FORMATS
    if model in FORMATS:
        return FORMATS[model]
    return GPT_FORMATS if "transcribe" in model else (*WHISPER_FORMATS, "diarized_json")


def check(body: dict[str, Any], operation: str) -> str:
    """The asked response_format, after the 400s the schema does not give (what the model can answer)."""
    model = str(body.get("model"))
    response_format = str(body.get("response_format") or "json")
    allowed = allowed_formats(model, operation)
    if response_format not in allowed:
        raise InvalidRequestError(f"response_format '{response_format}' is not compatible with model '{model}'. "
                                  f"Use {' or '.join(repr(f) for f in allowed)} instead.",
                                  param="response_format", code="unsupported_value")
    if body.get("stream") is True and model == "whisper-1":
        raise InvalidRequestError("Streaming is not supported for whisper-1: use a gpt-4o transcribe model.",
                                  param="stream", code="invalid_value")
    return response_format


def audio_seconds(data: bytes) -> float:
    """The upload's duration, or the live API's 400 when it is not audio."""
    import av

    try:
        with av.open(io.BytesIO(data), "r") as container:
            if not container.streams.audio:
                raise ValueError("no audio stream")
            if container.duration:
                return container.duration / 1_000_000
            stream = container.streams.audio[0]
            if stream.duration and stream.time_base:
                return float(stream.duration * stream.time_base)
            frames = sum(frame.samples for frame in container.decode(stream))
            return frames / (stream.rate or 1)
    except (av.FFmpegError, ValueError, OSError):
        raise InvalidRequestError(f"Invalid file format. Supported formats: {SUPPORTED}", param="file",
                                  code=None) from None   # the live API's 400 has no code


def transcribe(state: TenantState, operation: str, body: dict[str, Any], filename: str, data: bytes) -> Transcript:
    model = str(body.get("model"))
    check_model(state, model)
    seconds = audio_seconds(data)
    entry = _entry_for(state, filename, body.get("prompt"), model)
    if entry is not None:
        text, language, speakers = entry.text, entry.language, entry.speakers
    else:
        key = f"{state.scenario.seed}|{operation}|{hashlib.sha256(data).hexdigest()}"
        count = min(400, max(3, round(seconds * WORDS_PER_SECOND)))
        text, language, speakers = sentence_text(key, count), "english", ("A", "B")
    if body.get("language") and operation == "transcriptions" and entry is None:
        language = str(body["language"])
    tokens = text.split()
    step = seconds / max(1, len(tokens))
    words = [Word(word, round(i * step, 3), round((i + 1) * step, 3)) for i, word in enumerate(tokens)]
    return Transcript(text=text, duration=round(seconds, 3), words=words, language=language, speakers=speakers,
                      input_tokens=max(1, math.ceil(seconds * 10)), entry=entry)


def _entry_for(state: TenantState, filename: str, prompt: Any, model: str) -> TranscriptionEntry | None:
    part = state.scenario.parts.get("media") or {}
    for entry in part.get(TRANSCRIPTIONS, ()):
        if entry.model is not None and entry.model != model:
            continue
        if entry.file is not None and not entry.file.test(filename):
            continue
        if entry.prompt is not None and (not isinstance(prompt, str) or not entry.prompt.test(prompt)):
            continue
        state.record_entry_use(entry)
        return entry
    return None


# ----------------------------------------------------------------------------- answers
def segments(transcript: Transcript) -> list[list[Word]]:
    """The transcript's sentences, as runs of its words."""
    out: list[list[Word]] = [[]]
    for word in transcript.words:
        out[-1].append(word)
        if re.search(r"[.!?]$", word.text):
            out.append([])
    return [run for run in out if run]


def render(transcript: Transcript, model: str, operation: str, response_format: str,
           body: dict[str, Any]) -> dict[str, Any] | str:
    """The answer: a dict (JSON) or, for text, srt and vtt, the text itself."""
    runs = segments(transcript)
    if response_format == "text":
        return transcript.text + "\n"
    if response_format in ("srt", "vtt"):
        return subtitles(runs, response_format)
    if response_format == "verbose_json":
        answer: dict[str, Any] = {"task": "translate" if operation == "translations" else "transcribe",
                                  "language": transcript.language, "duration": transcript.duration,
                                  "text": transcript.text}
        granularities = body.get("timestamp_granularities") or ["segment"]
        if "word" in granularities and operation == "transcriptions":
            answer["words"] = [{"word": w.text.strip(".,!?;:"), "start": w.start, "end": w.end}
                               for w in transcript.words]
        if "segment" in granularities or operation == "translations":
            answer["segments"] = [_segment(index, run) for index, run in enumerate(runs)]
        if operation == "transcriptions":
            answer["usage"] = {"type": "duration", "seconds": math.ceil(transcript.duration)}
        return answer
    if response_format == "diarized_json":
        return {"task": "transcribe", "duration": transcript.duration, "text": transcript.text,
                "segments": [diarized_segment(index, run, transcript.speakers) for index, run in enumerate(runs)],
                "usage": usage(transcript)}
    answer = {"text": transcript.text}
    if operation == "transcriptions":
        if "logprobs" in (body.get("include") or ()) and model != "whisper-1":   # whisper-1 gives none
            answer["logprobs"] = logprobs(transcript.words)
        answer["usage"] = ({"type": "duration", "seconds": math.ceil(transcript.duration)}
                           if model == "whisper-1" else usage(transcript))
    return answer


def _segment(index: int, run: list[Word]) -> dict[str, Any]:
    text = " ".join(w.text for w in run)
    return {"id": index, "seek": 0, "start": run[0].start, "end": run[-1].end, "text": " " + text,
            "tokens": [50364 + i for i in range(count_tokens(text))], "temperature": 0.0,
            "avg_logprob": -0.2, "compression_ratio": 1.2, "no_speech_prob": 0.01}


def diarized_segment(index: int, run: list[Word], speakers: tuple[str, ...]) -> dict[str, Any]:
    return {"type": "transcript.text.segment", "id": f"seg_{index:03d}", "start": run[0].start, "end": run[-1].end,
            "text": " ".join(w.text for w in run), "speaker": speakers[index % len(speakers)]}


def usage(transcript: Transcript) -> dict[str, Any]:
    output = count_tokens(transcript.text)
    return {"type": "tokens", "input_tokens": transcript.input_tokens,
            "input_token_details": {"text_tokens": 0, "audio_tokens": transcript.input_tokens},
            "output_tokens": output, "total_tokens": transcript.input_tokens + output}


def logprobs(words: list[Word]) -> list[dict[str, Any]]:
    out = []
    for index, word in enumerate(words):
        token = word.text if index == 0 else " " + word.text
        shade = hashlib.blake2b(token.encode(), digest_size=1).digest()[0]
        out.append({"token": token, "logprob": -round(shade / 2550, 4), "bytes": list(token.encode("utf-8"))})
    return out


def subtitles(runs: list[list[Word]], kind: str) -> str:
    """SRT (numbered cues, a comma before the milliseconds) or WebVTT (a header, a dot)."""
    def stamp(seconds: float) -> str:
        millis = round(seconds * 1000)
        hours, rest = divmod(millis, 3_600_000)
        minutes, rest = divmod(rest, 60_000)
        secs, millis = divmod(rest, 1000)
        return f"{hours:02d}:{minutes:02d}:{secs:02d}{',' if kind == 'srt' else '.'}{millis:03d}"

    cues = []
    for index, run in enumerate(runs):
        timing = f"{stamp(run[0].start)} --> {stamp(run[-1].end)}"
        text = " ".join(w.text for w in run)
        cues.append(f"{index + 1}\n{timing}\n{text}\n" if kind == "srt" else f"{timing}\n{text}\n")
    return ("" if kind == "srt" else "WEBVTT\n\n") + "\n".join(cues) + "\n"


def stream_events(transcript: Transcript, model: str, body: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """``transcript.text.delta`` per word (``transcript.text.segment`` per sentence for the diarize
    model), then ``transcript.text.done`` with the text and the usage."""
    with_logprobs = "logprobs" in (body.get("include") or ())
    events: list[tuple[str, dict[str, Any]]] = []
    if model == "gpt-4o-transcribe-diarize":
        for index, run in enumerate(segments(transcript)):
            events.append(("transcript.text.segment", diarized_segment(index, run, transcript.speakers)))
    else:
        for index, word in enumerate(transcript.words):
            delta: dict[str, Any] = {"type": "transcript.text.delta",
                                     "delta": word.text if index == 0 else " " + word.text}
            if with_logprobs:
                delta["logprobs"] = logprobs([word]) if index == 0 else \
                    [{**logprobs([Word("x", 0, 0), word])[1]}]
            events.append(("transcript.text.delta", delta))
    done: dict[str, Any] = {"type": "transcript.text.done", "text": transcript.text}
    if with_logprobs:
        done["logprobs"] = logprobs(transcript.words)
    done["usage"] = usage(transcript)
    return events + [("transcript.text.done", done)]
