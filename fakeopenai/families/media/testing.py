"""What the project's tests take from this family, read through the registry (``tests/family_tables.py``;
the tables are described in ``fakeopenai/families/responses/testing.py``)."""

from __future__ import annotations

SDK_TEST_MODULES = ("tests/test_images.py", "tests/test_audio.py")

ERROR_CASES = [
    ("image: a size the model cannot draw", "POST", "/v1/images/generations",
     {"json": {"prompt": "x", "model": "dall-e-3", "size": "7x7"}}, 400, "size"),
    ("image: no prompt", "POST", "/v1/images/generations", {"json": {"model": "dall-e-3"}}, 400, "prompt"),
    ("image edit: no image", "POST", "/v1/images/edits", {"data": {"prompt": "x"}}, 400, "image"),
    ("image variation: no image", "POST", "/v1/images/variations", {"data": {"model": "dall-e-2"}}, 400, "image"),
    ("served image: unknown", "GET", "/media/images/img-nope.png", {}, 404, None),
    ("speech: unknown format", "POST", "/v1/audio/speech",
     {"json": {"model": "tts-1", "input": "hi", "voice": "alloy", "response_format": "ogg"}}, 400, "response_format"),
    ("transcription: no file", "POST", "/v1/audio/transcriptions", {"data": {"model": "whisper-1"}}, 400, "file"),
    ("translation: no file", "POST", "/v1/audio/translations", {"data": {"model": "whisper-1"}}, 400, "file"),
]
