"""The media family's part of a recording (``fakeopenai record``), one converter per key:

* ``images:`` - each prompt's pictures (generations, edits and variations: the first answer for a
  prompt and model wins), kept as files beside the scenario (``<name>.media/images-0.png``) and named
  by the entry's ``file``. A ``url`` answer (dall-e without ``response_format: b64_json``) is not
  recorded: the client fetched that picture from the upstream's storage, never through the proxy.
* ``speech:`` - each input's audio (per voice, model and response_format), kept the same way
  (``speech-0.mp3``); a ``stream_format: sse`` answer's deltas joined.
* ``transcriptions:`` - what the upstream heard in each uploaded file, as entries matching the
  file's name (the first answer for a name wins).
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from fakeopenai.record.convert.common import Converter, ConvertOptions, multipart_fields
from fakeopenai.record.exchange import Exchange

PATHS = ("/v1/audio/transcriptions", "/v1/audio/translations")
IMAGE_PATHS = ("/v1/images/generations", "/v1/images/edits", "/v1/images/variations")
SPEECH_PATH = "/v1/audio/speech"
CUE_TIMING = re.compile(r"^\d\d:\d\d(:\d\d)?[.,]\d{3} --> ", re.MULTILINE)


def text_of_subtitles(body: str) -> str:
    """The cues' text of an SRT or WebVTT answer, joined by spaces."""
    lines = []
    for line in body.splitlines():
        line = line.strip()
        if not line or line == "WEBVTT" or line.isdigit() or CUE_TIMING.match(line):
            continue
        lines.append(line)
    return " ".join(lines)


class TranscriptionsConverter(Converter):
    key = "transcriptions"

    def __init__(self) -> None:
        self.found: dict[str, dict[str, Any]] = {}

    def feed(self, ex: Exchange) -> bool:
        if ex.method != "POST" or ex.path not in PATHS:
            return False
        filename = (multipart_fields(ex).get("file") or (None, b""))[0]
        if not filename or filename in self.found:
            return True
        entry = self._entry(ex)
        if entry is not None:
            self.found[filename] = {"match": {"file": {"equals": filename}}, **entry}
        return True

    @staticmethod
    def _entry(ex: Exchange) -> dict[str, Any] | None:
        if ex.streamed:
            done = [data for name, data in ex.events() if name == "transcript.text.done" and isinstance(data, dict)]
            return {"text": done[-1]["text"]} if done and done[-1].get("text") else None
        answer = ex.response_json()
        if isinstance(answer, dict) and isinstance(answer.get("text"), str) and answer["text"]:
            entry: dict[str, Any] = {"text": answer["text"]}
            if isinstance(answer.get("language"), str):
                entry["language"] = answer["language"]
            speakers = [s.get("speaker") for s in answer.get("segments") or () if isinstance(s, dict)]
            if speakers and all(isinstance(s, str) for s in speakers):
                entry["speakers"] = list(dict.fromkeys(speakers))
            return entry
        body = ex.response_body.decode("utf-8", "replace")
        text = text_of_subtitles(body) if CUE_TIMING.search(body.replace("\r", "")) or \
            body.startswith("WEBVTT") else body.strip()
        return {"text": text} if text else None

    def entries(self, options: ConvertOptions) -> list[dict[str, Any]]:
        return list(self.found.values())


def converters() -> list[Converter]:
    """The family's converters (``Family.recorder``), in the order their keys are written."""
    return [ImagesConverter(), SpeechConverter(), TranscriptionsConverter()]


def _request_fields(ex: Exchange) -> dict[str, Any]:
    """A JSON body's fields, or a form's text fields (a file's bytes are no field here)."""
    body = ex.request_json()
    if isinstance(body, dict):
        return body
    return {name: data.decode("utf-8", "replace") for name, (filename, data) in multipart_fields(ex).items()
            if filename is None}


def _b64(value: Any) -> bytes | None:
    try:
        return base64.b64decode(value, validate=True) if isinstance(value, str) and value else None
    except (binascii.Error, ValueError):
        return None


def image_extension(content: bytes) -> str:
    """A picture's file extension, from its first bytes."""
    if content.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "webp"
    if content.startswith(b"GIF8"):
        return "gif"
    return "png"


class ImagesConverter(Converter):
    key = "images"

    def __init__(self) -> None:
        # (prompt, model) -> (the pictures, a dall-e-3 revised_prompt that is not the prompt)
        self.found: dict[tuple[str | None, str | None], tuple[list[bytes], str | None]] = {}
        self.files: dict[str, bytes] = {}

    def feed(self, ex: Exchange) -> bool:
        if ex.method != "POST" or ex.path not in IMAGE_PATHS:
            return False
        fields = _request_fields(ex)
        prompt = fields.get("prompt") if isinstance(fields.get("prompt"), str) else None
        model = fields.get("model") if isinstance(fields.get("model"), str) else None
        if (prompt, model) in self.found:
            return True
        revised = None
        if ex.streamed:
            pictures = [_b64(data.get("b64_json")) for name, data in ex.events()
                        if isinstance(data, dict) and str(name).endswith(".completed")]
        else:
            answer = ex.response_json()
            items = [item for item in (answer.get("data") or ()) if isinstance(item, dict)] \
                if isinstance(answer, dict) else []
            pictures = [_b64(item.get("b64_json")) for item in items]
            revised = next((item["revised_prompt"] for item in items if isinstance(item.get("revised_prompt"), str)
                            and item["revised_prompt"] != prompt), None)
        if pictures and all(pictures):
            self.found[(prompt, model)] = ([p for p in pictures if p], revised)
        return True

    def entries(self, options: ConvertOptions) -> list[dict[str, Any]]:
        folder = options.media_folder()
        self.files = {}
        out = []
        # an entry without a prompt (a variation's) matches every request of its model: after the others
        for (prompt, model), (pictures, revised) in sorted(self.found.items(), key=lambda item: item[0][0] is None):
            names = []
            for content in pictures if len(set(pictures)) > 1 else pictures[:1]:
                name = f"{folder}/images-{len(self.files)}.{image_extension(content)}"
                self.files[name] = content
                names.append(name)
            entry: dict[str, Any] = {}
            match: dict[str, Any] = {"prompt": {"equals": prompt}} if prompt is not None else {}
            if model is not None:
                match["model"] = model
            if match:
                entry["match"] = match
            entry["file"] = names if len(names) > 1 else names[0]
            if revised is not None:
                entry["revised_prompt"] = revised
            out.append(entry)
        return out

    def media(self) -> dict[str, bytes]:
        return self.files


class SpeechConverter(Converter):
    key = "speech"

    def __init__(self) -> None:
        # (input, voice, model, response_format) -> the audio
        self.found: dict[tuple[str, str | None, str | None, str], bytes] = {}
        self.files: dict[str, bytes] = {}

    def feed(self, ex: Exchange) -> bool:
        if ex.method != "POST" or ex.path != SPEECH_PATH:
            return False
        body = ex.request_json()
        if not isinstance(body, dict) or not isinstance(body.get("input"), str):
            return True
        voice = body.get("voice")
        voice = voice.get("id") if isinstance(voice, dict) else voice
        key = (body["input"], voice if isinstance(voice, str) else None,
               body["model"] if isinstance(body.get("model"), str) else None, str(body.get("response_format") or "mp3"))
        if key in self.found:
            return True
        if ex.streamed:
            audio = b"".join(_b64(data.get("audio")) or b"" for name, data in ex.events()
                             if name == "speech.audio.delta" and isinstance(data, dict))
        else:
            audio = ex.response_body
        if audio:
            self.found[key] = audio
        return True

    def entries(self, options: ConvertOptions) -> list[dict[str, Any]]:
        folder = options.media_folder()
        self.files = {}
        out = []
        for (text, voice, model, response_format), audio in self.found.items():
            name = f"{folder}/speech-{len(self.files)}.{response_format}"
            self.files[name] = audio
            match: dict[str, Any] = {"input": {"equals": text}}
            if voice is not None:
                match["voice"] = voice
            if model is not None:
                match["model"] = model
            out.append({"match": match, "file": name})
        return out

    def media(self) -> dict[str, bytes]:
        return self.files
