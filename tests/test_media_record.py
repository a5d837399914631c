"""Pictures and speech through ``fakeopenai record`` and back: the SDK's image and speech requests go
through the recording proxy to an upstream fake (another seed, so its bytes are not what the replaying
fake would make itself); the scenario written names files beside it (``<name>.media/``), validates, and
replayed gives the SDK the very bytes the upstream gave. The timeline of the replay says which entry
answered. Speech is answered from its file only in the file's own format (docs/images-and-audio.md)."""

from __future__ import annotations

import asyncio
import base64
import io
import json
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
import yaml
from PIL import Image

from fakeopenai.doors import cli
from fakeopenai.doors.server import ServerThread
from fakeopenai.http.app import create_app
from fakeopenai.record import ConvertOptions
from fakeopenai.record.proxy import Recorder, create_proxy
from fakeopenai.scenario.problems import ScenarioError

HELLO = "Hello from the recording."


def png(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), colour).save(out, "PNG")
    return out.getvalue()


def session(client: openai.OpenAI) -> list[bytes]:
    """Two pictures of one prompt, an edit, speech as mp3 and as wav in speech.audio events: their bytes."""
    seen: list[bytes] = []
    pictures = client.images.generate(model="gpt-image-2", prompt="A lighthouse", size="256x256", quality="low",
                                      output_format="webp", n=2).data or []
    seen += [base64.b64decode(item.b64_json or "") for item in pictures]
    edited = client.images.edit(model="gpt-image-2", image=("in.png", png((200, 30, 30))), prompt="Add a hat",
                                size="64x64", quality="low").data or []
    seen.append(base64.b64decode(edited[0].b64_json or ""))
    seen.append(client.audio.speech.create(model="gpt-4o-mini-tts", voice="alloy", input=HELLO).read())
    with client.audio.speech.with_streaming_response.create(model="tts-1", voice="nova", input=HELLO,
                                                             response_format="wav", stream_format="sse") as answer:
        events = [json.loads(line[len("data: "):]) for line in answer.iter_lines() if line.startswith("data: ")]
    seen.append(b"".join(base64.b64decode(event["audio"]) for event in events if "audio" in event))
    return seen


def test_recorded_pictures_and_speech_replay_byte_for_byte(tmp_path: Path, fake_openai: Any) -> None:
    upstream = ServerThread(create_app({"seed": 4242})).start()
    out = tmp_path / "poster.yaml"
    recorder = Recorder(upstream.base_url, out, ConvertOptions(name="poster"))
    proxy = ServerThread(create_proxy(recorder)).start()
    try:
        with openai.OpenAI(base_url=proxy.base_url, api_key="sk-rec-media", max_retries=0) as client:
            recorded = session(client)
    finally:
        asyncio.run_coroutine_threadsafe(recorder.close(), proxy.loop).result()  # type: ignore[arg-type]
        proxy.stop()
        upstream.stop()
    assert recorder.write() == out
    scenario = yaml.safe_load(out.read_text())
    assert scenario["images"] == [
        {"match": {"prompt": {"equals": "A lighthouse"}, "model": "gpt-image-2"},
         "file": ["poster.media/images-0.webp", "poster.media/images-1.webp"]},
        {"match": {"prompt": {"equals": "Add a hat"}, "model": "gpt-image-2"}, "file": "poster.media/images-2.png"}]
    assert scenario["speech"] == [
        {"match": {"input": {"equals": HELLO}, "voice": "alloy", "model": "gpt-4o-mini-tts"},
         "file": "poster.media/speech-0.mp3"},
        {"match": {"input": {"equals": HELLO}, "voice": "nova", "model": "tts-1"}, "file": "poster.media/speech-1.wav"}]
    assert (tmp_path / "poster.media" / "speech-0.mp3").read_bytes() == recorded[3]   # the files, beside it
    assert cli.main(["validate", str(out)]) == 0

    client = fake_openai.client()
    assert session(client) != recorded          # the replaying fake's own seed draws other pictures ...
    fake_openai.load(str(out))
    assert session(client) == recorded          # ... the recording's entries give the upstream's bytes

    # the file is answered in its own format only: wav asked of the mp3 entry is generated, with a warning
    raw = client.audio.speech.with_raw_response.create(model="gpt-4o-mini-tts", voice="alloy", input=HELLO,
                                                       response_format="wav")
    assert raw.content[:4] == b"RIFF" and "speech[0] matches this speech request but its file is mp3" in \
        raw.headers["x-fakeopenai-warning"]
    timeline = httpx.get(fake_openai.server.origin + "/_fake/timeline",
                         headers={"Authorization": f"Bearer {fake_openai.api_key}"}).json()
    lanes = [(life["kind"], life["script"], life["states"][0]["did"]) for life in timeline["objects"]][-5:]
    assert lanes[:4] == [("image generation", "images[0]", "2 pictures from the entry's files"),
                         ("image edit", "images[1]", "1 picture from the entry's file"),
                         ("speech", "speech[0]", f"mp3, 1.8 s, {len(recorded[3])} bytes"),
                         ("speech", "speech[1]", f"wav, 1.8 s, {len(recorded[4])} bytes in speech.audio events")]
    assert lanes[4][:2] == ("speech", "generated") and lanes[4][2].startswith("wav, 1.8 s, ")


def test_a_speech_file_must_name_its_format_and_be_audio(tmp_path: Path, fake_openai: Any) -> None:
    (tmp_path / "hello.ogg").write_bytes(b"OggS")
    (tmp_path / "noise.mp3").write_bytes(b"not audio at all")
    path = tmp_path / "bad.yaml"
    path.write_text("speech:\n  - file: hello.ogg\n  - file: noise.mp3\n")
    with pytest.raises(ScenarioError) as caught:
        fake_openai.load(str(path))
    assert str(caught.value).splitlines() == [
        f"{path}:2:11: speech[0].file: 'hello.ogg': a speech file's extension names its format: "
        ".mp3, .opus, .aac, .flac, .wav, .pcm",
        f"{path}:3:11: speech[1].file: '{tmp_path / 'noise.mp3'}' is not mp3 audio PyAV can read"]
