"""Transcriptions and translations: what the upstream heard in each uploaded file, as
``transcriptions:`` entries matching the file's name (the first answer for a name wins)."""

from __future__ import annotations

import re
from typing import Any

from fakeopenai.record.convert.common import Converter, ConvertOptions, multipart_fields
from fakeopenai.record.exchange import Exchange

PATHS = ("/v1/audio/transcriptions", "/v1/audio/translations")
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
