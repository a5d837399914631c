"""The Audio API through the official SDK: speech in every response_format decoded with PyAV and the
standard ``wave`` module (24 kHz, a duration that grows with the text and shrinks with the speed), its
SSE events and streamed body; transcriptions and translations in every response_format (SRT and
WebVTT parsed), their stream, logprobs, scripted transcripts, and the 400s. Every answer is
spec-checked (the ``client`` fixture)."""

from __future__ import annotations

import base64
import io
import json
import re
import wave
from typing import Any

import av
import httpx
import openai
import pytest

HELLO = "Hello there. This is the fake speaking."


def decoded_seconds(data: bytes) -> tuple[str, float]:
    """The codec and the duration of ``data``, by decoding every frame."""
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        samples = sum(frame.samples for frame in container.decode(stream))
        return stream.codec_context.name, samples / stream.rate


def wav_of(seconds: float) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(16000)
        file.writeframes(bytes(int(16000 * seconds) * 2))
    return out.getvalue()


@pytest.mark.parametrize(("response_format", "codec"), [
    ("mp3", "mp3float"), ("opus", "opus"), ("aac", "aac"), ("flac", "flac"), ("wav", "pcm_s16le")])
def test_speech_decodes_in_every_format(client: openai.OpenAI, response_format: Any, codec: str) -> None:
    audio = client.audio.speech.create(model="gpt-4o-mini-tts", voice="alloy", input=HELLO,
                                       response_format=response_format)
    name, seconds = decoded_seconds(audio.read())
    assert name == codec and 1.5 < seconds < 5


def test_speech_bytes_do_not_depend_on_what_earlier_answers_encoded() -> None:
    """mp3 and aac answers are their sounds' frames, each sound encoded once and kept (mp3 encodes the sounds
    a request lacks together, aac each alone): the same request gives the same bytes with nothing kept and
    after other answers, and lasts exactly as long as its sounds (each padded to whole frames)."""
    from fakeopenai.families.media import encoders, speech

    sounds = speech.plan(HELLO + " Goodbye for now, dear friends.", 1.0, "7|alloy")
    other = speech.plan("Hello again, with quite different words.", 1.5, "7|alloy")
    pieces = [speech.sound(*each) for each in sounds[1:5]]
    for response_format in ("mp3", "aac"):
        speech.forget_sounds()
        alone, length = speech.framed(sounds, response_format)
        speech.forget_sounds()
        speech.framed(other, response_format)
        assert speech.framed(sounds, response_format) == (alone, length)   # some sounds kept, the others encoded now
        frame = encoders.FRAMED[response_format].frame
        padded = sum(-(-(period * periods + silence) // frame) * frame for period, periods, silence in sounds)
        assert length == padded and decoded_seconds(alone)[1] == padded / speech.RATE
    padded_pieces = [piece + bytes(-len(piece) % (2 * 576)) for piece in pieces]
    assert encoders.frames(padded_pieces, "mp3") == [encoders.frames([piece], "mp3")[0] for piece in padded_pieces]
    pcm = speech.samples(HELLO, 1.0, "7|alloy")
    for response_format in ("opus", "flac"):   # a random Ogg serial number made opus differ each time
        assert encoders.encode(pcm, response_format) == encoders.encode(pcm, response_format)


def test_wav_and_pcm_are_24_khz_mono_and_longer_text_or_slower_speech_lasts_longer(client: openai.OpenAI) -> None:
    def pcm(text: str, speed: float = 1.0) -> bytes:
        return client.audio.speech.create(model="tts-1", voice="nova", input=text, response_format="pcm",
                                          speed=speed).read()

    wav = client.audio.speech.create(model="tts-1", voice="nova", input=HELLO, response_format="wav").read()
    with wave.open(io.BytesIO(wav)) as file:
        assert (file.getnchannels(), file.getsampwidth(), file.getframerate()) == (1, 2, 24000)
        frames = file.readframes(file.getnframes())
    assert frames == pcm(HELLO) and any(frames)   # pcm: the same samples, raw
    assert len(pcm(HELLO + " " + HELLO)) > 1.8 * len(pcm(HELLO))
    assert len(pcm(HELLO, speed=2.0)) < 0.6 * len(pcm(HELLO))


def test_speech_streams_its_body_and_sse_events(client: openai.OpenAI) -> None:
    with client.audio.speech.with_streaming_response.create(model="gpt-4o-mini-tts", voice="alloy", input=HELLO,
                                                             response_format="mp3") as answer:
        assert answer.headers["content-type"] == "audio/mpeg"
        streamed = b"".join(answer.iter_bytes(4096))
    assert decoded_seconds(streamed)[0] == "mp3float"
    with client.audio.speech.with_streaming_response.create(model="gpt-4o-mini-tts", voice="alloy", input=HELLO,
                                                             response_format="wav", stream_format="sse") as answer:
        events = list(answer.iter_lines())
    names = [line[len("event: "):] for line in events if line.startswith("event: ")]
    assert names[-1] == "speech.audio.done" and set(names[:-1]) == {"speech.audio.delta"}
    datas = [json.loads(line[len("data: "):]) for line in events if line.startswith("data: ")]
    audio = b"".join(base64.b64decode(d["audio"]) for d in datas[:-1])
    with wave.open(io.BytesIO(audio)) as file:
        assert file.getframerate() == 24000 and file.getnframes() > 24000
    usage = datas[-1]["usage"]
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"] > 0


def test_transcription_formats(client: openai.OpenAI) -> None:
    upload = ("call.wav", wav_of(4.0))
    plain = client.audio.transcriptions.create(model="gpt-4o-transcribe", file=upload)
    assert plain.text and plain.usage is not None and plain.usage.type == "tokens"
    assert client.audio.transcriptions.create(model="gpt-4o-transcribe", file=upload) == plain   # deterministic
    text = client.audio.transcriptions.create(model="gpt-4o-transcribe", file=upload, response_format="text")
    assert text == plain.text + "\n"
    verbose = client.audio.transcriptions.create(model="whisper-1", file=upload, response_format="verbose_json",
                                                 timestamp_granularities=["word", "segment"])
    assert verbose.duration == 4.0 and verbose.language == "english"
    assert verbose.words and verbose.segments and verbose.words[-1].end == 4.0
    assert " ".join(s.text.strip() for s in verbose.segments) == verbose.text
    words_only = client.audio.transcriptions.create(model="whisper-1", file=upload, response_format="verbose_json",
                                                    timestamp_granularities=["word"])
    assert words_only.words and words_only.segments is None
    srt = client.audio.transcriptions.create(model="whisper-1", file=upload, response_format="srt")
    cues = re.findall(r"(\d+)\n(\d\d:\d\d:\d\d,\d{3}) --> (\d\d:\d\d:\d\d,\d{3})\n(.+)\n", srt)
    assert cues and cues[0][:2] == ("1", "00:00:00,000") and cues[-1][2] == "00:00:04,000"
    vtt = client.audio.transcriptions.create(model="whisper-1", file=upload, response_format="vtt")
    assert vtt.startswith("WEBVTT\n\n") and re.search(r"\d\d:\d\d:\d\d\.\d{3} --> \d\d:\d\d:\d\d\.\d{3}\n", vtt)
    diarized = client.audio.transcriptions.create(model="gpt-4o-transcribe-diarize", file=upload,
                                                  response_format="diarized_json")
    segments = diarized.model_dump()["segments"]   # openai 1.x reads diarized_json as an untyped extra
    assert segments and {s["speaker"] for s in segments} <= {"A", "B"}
    translated = client.audio.translations.create(model="whisper-1", file=upload)
    assert translated.text and translated.text != plain.text


def test_transcription_stream_and_logprobs(client: openai.OpenAI) -> None:
    upload = ("call.wav", wav_of(2.0))
    events = list(client.audio.transcriptions.create(model="gpt-4o-mini-transcribe", file=upload, stream=True,
                                                     include=["logprobs"]))
    assert events[-1].type == "transcript.text.done" and {e.type for e in events[:-1]} == {"transcript.text.delta"}
    assert "".join(e.delta for e in events[:-1] if e.type == "transcript.text.delta") == events[-1].text
    assert events[-1].logprobs and all(e.logprobs for e in events[:-1] if e.type == "transcript.text.delta")
    answer = client.audio.transcriptions.create(model="gpt-4o-transcribe", file=upload, include=["logprobs"])
    assert answer.logprobs and "".join(p.token or "" for p in answer.logprobs) == answer.text


def test_scripted_transcripts_match_the_file_name(client: openai.OpenAI, fake_openai: Any) -> None:
    fake_openai.load({"transcriptions": [{"match": {"file": {"contains": "support"}},
                                          "text": "Hi, I need help. My order never came.",
                                          "speakers": ["agent", "customer"]}]})
    upload = ("support-call.wav", wav_of(3.0))
    assert client.audio.transcriptions.create(model="gpt-4o-transcribe", file=upload).text == \
        "Hi, I need help. My order never came."
    diarized = client.audio.transcriptions.create(model="gpt-4o-transcribe-diarize", file=upload,
                                                  response_format="diarized_json")
    assert [(s["speaker"], s["text"]) for s in diarized.model_dump()["segments"]] == [
        ("agent", "Hi, I need help."), ("customer", "My order never came.")]
    other = client.audio.transcriptions.create(model="gpt-4o-transcribe", file=("other.wav", wav_of(1.0)))
    assert other.text != "Hi, I need help. My order never came."


@pytest.mark.parametrize(("kwargs", "param"), [
    ({"model": "gpt-4o-transcribe", "response_format": "srt"}, "response_format"),
    ({"model": "whisper-1", "response_format": "diarized_json"}, "response_format"),
    ({"model": "whisper-1", "stream": True}, "stream"),
])
def test_bad_transcription_requests_name_their_param(client: openai.OpenAI, kwargs: dict[str, Any],
                                                     param: str) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.audio.transcriptions.create(file=("a.wav", wav_of(0.5)), **kwargs)
    assert caught.value.param == param


def test_an_upload_that_is_not_audio_and_bad_speech_are_400s(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.audio.transcriptions.create(model="gpt-4o-transcribe", file=("a.wav", b"RIFF...."))
    assert "Invalid file format. Supported formats:" in caught.value.message and caught.value.param == "file"
    with pytest.raises(openai.BadRequestError) as bad_format:
        client.audio.speech.create(model="tts-1", voice="alloy", input="Hi", response_format="ogg")  # type: ignore[arg-type]
    assert bad_format.value.param == "response_format"
    with pytest.raises(openai.BadRequestError) as bad_speed:
        client.audio.speech.create(model="tts-1", voice="alloy", input="Hi", speed=5)
    assert bad_speed.value.param == "speed"


def test_recorded_transcripts_replay_by_file_name(client: openai.OpenAI, fake_openai: Any) -> None:
    """``fakeopenai record``: each upload's transcript (json, srt, a stream, diarized) becomes a
    ``transcriptions:`` entry for its file name, which the fake then answers."""
    from fakeopenai.record.convert import scenario_from
    from fakeopenai.record.exchange import Exchange

    def exchange(filename: str, answer: bytes, content_type: str) -> Exchange:
        request = httpx.Request("POST", "http://upstream/v1/audio/transcriptions", data={"model": "whisper-1"},
                                files={"file": (filename, b"audio bytes")})
        return Exchange("POST", "/v1/audio/transcriptions", request_headers={
            "content-type": request.headers["content-type"]}, request_body=request.read(),
            response_body=answer, response_headers={"content-type": content_type})

    done = {"type": "transcript.text.done", "text": "Streamed."}
    scenario = scenario_from([
        exchange("a.wav", b'{"text": "Hello."}', "application/json"),
        exchange("b.wav", b"1\n00:00:00,000 --> 00:00:01,000\nOne.\n\n2\n00:00:01,000 --> 00:00:02,000\nTwo.\n\n",
                 "text/plain"),
        exchange("c.wav", b"event: transcript.text.done\ndata: " + json.dumps(done).encode() + b"\n\n",
                 "text/event-stream"),
        exchange("d.wav", json.dumps({"task": "transcribe", "duration": 2, "text": "Hi. Yes.", "segments": [
            {"speaker": "agent", "text": "Hi."}, {"speaker": "caller", "text": "Yes."}]}).encode(), "application/json"),
        exchange("a.wav", b'{"text": "Later, the same file."}', "application/json")])
    assert scenario["transcriptions"] == [
        {"match": {"file": {"equals": "a.wav"}}, "text": "Hello."},
        {"match": {"file": {"equals": "b.wav"}}, "text": "One. Two."},
        {"match": {"file": {"equals": "c.wav"}}, "text": "Streamed."},
        {"match": {"file": {"equals": "d.wav"}}, "text": "Hi. Yes.", "speakers": ["agent", "caller"]}]
    fake_openai.load(scenario)
    assert client.audio.transcriptions.create(model="gpt-4o-transcribe", file=("b.wav", wav_of(1.0))).text == \
        "One. Two."
