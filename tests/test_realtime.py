"""The Realtime API over WebSocket through the official SDK (``client.realtime.connect``, sync and async):
a text turn, an audio turn (PCM16 and G.711 lengths decoded), a scripted tool loop, server VAD, the
``error`` events of bad client events, bad auth, transcription sessions, the beta protocol, socket faults,
``serve --tls`` and byte-identical replays. Every GA server event the ``Checked`` connection receives is
checked against the official spec's schema of its type."""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from tests.spec_check import SpecChecker

ROOT = Path(__file__).resolve().parent.parent
WEATHER = {
    "conversations": [{
        "name": "weather",
        "match": {"last_message": {"contains": "weather"}},
        "steps": [
            {"tool_calls": [{"function": "get_weather", "arguments": {"city": "Paris"}, "id": "call_weather"}],
             "expect_outputs": {"call_weather": {"contains": "18"}}},
            {"message": "It is 18 C and sunny in Paris."},
        ],
    }],
}
WEATHER_TOOL = {"type": "function", "name": "get_weather", "description": "Weather of a city",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}


@pytest.fixture(scope="module")
def event_schemas(spec: SpecChecker) -> dict[str, str]:
    """Server event type -> the spec's schema for it (``response.done`` -> RealtimeServerEventResponseDone)."""
    out = {}
    for name, schema in spec.doc["components"]["schemas"].items():
        if name.startswith("RealtimeServerEvent") and "properties" in schema:
            out.setdefault(schema["properties"]["type"]["enum"][0], name)
    return out


class Checked:
    """A realtime connection whose every received event is validated against the spec."""

    def __init__(self, connection: Any, spec: SpecChecker, schemas: dict[str, str]) -> None:
        self.connection = connection
        self.spec = spec
        self.schemas = schemas

    def recv(self) -> Any:
        raw = self.connection.recv_bytes()
        data = json.loads(raw)
        self.spec.validate(data, self.schemas[data["type"]], where=data["type"])
        return self.connection.parse_event(raw)

    def until(self, last: str) -> list[Any]:
        """Events up to and including the first of type ``last``."""
        events = [self.recv()]
        while events[-1].type != last:
            events.append(self.recv())
        return events


@pytest.fixture
def realtime(fake_openai: Any, spec: SpecChecker, event_schemas: dict[str, str]) -> Iterator[Any]:
    """Open a checked realtime connection: ``with realtime() as conn``."""
    client = fake_openai.client(max_retries=0)

    class Opener:
        schemas = event_schemas

        def __call__(self, model: str = "gpt-realtime") -> Any:
            self.manager = client.realtime.connect(model=model)
            return self

        def __enter__(self) -> Checked:
            return Checked(self.manager.__enter__(), spec, event_schemas)

        def __exit__(self, *exc: Any) -> None:
            self.manager.__exit__(*exc)

    opener = Opener()
    opener.spec = spec   # type: ignore[attr-defined]
    yield opener
    client.close()


def _say(conn: Checked, text: str) -> None:
    conn.connection.conversation.item.create(
        item={"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]})
    assert [e.type for e in conn.until("conversation.item.done")] == ["conversation.item.added",
                                                                       "conversation.item.done"]


def test_a_text_turn_streams_the_scripted_message_in_the_official_order(fake_openai: Any, realtime: Any) -> None:
    fake_openai.load({"realtime": [{"steps": [{"message": "Hello from the fake."}]}]})
    with realtime() as conn:
        created = conn.recv()
        assert created.type == "session.created" and created.session.model == "gpt-realtime"
        conn.connection.session.update(session={"type": "realtime", "output_modalities": ["text"]})
        assert conn.recv().session.output_modalities == ["text"]
        _say(conn, "Hi")
        conn.connection.response.create()
        events = conn.until("response.done")
    assert [e.type for e in events] == [
        "response.created", "rate_limits.updated", "response.output_item.added", "conversation.item.added",
        "response.content_part.added", *["response.output_text.delta"] * 4, "response.output_text.done",
        "response.content_part.done", "response.output_item.done", "conversation.item.done", "response.done"]
    deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
    assert "".join(deltas) == "Hello from the fake." and len(deltas) == 4
    done = events[-1].response
    assert done.status == "completed" and done.output[0].content[0].text == "Hello from the fake."
    assert len({e.event_id for e in events}) == len(events)


def test_an_audio_turn_is_pcm16_at_24khz_with_its_transcript(fake_openai: Any, realtime: Any) -> None:
    fake_openai.load({"realtime": [{"steps": [{"message": "One two three"}, {"message": "Four"}]}]})
    with realtime() as conn:
        conn.recv()
        _say(conn, "Count for me")
        conn.connection.response.create()
        first = conn.until("response.done")
        conn.connection.session.update(session={"type": "realtime", "audio": {"output": {
            "format": {"type": "audio/pcmu"}}}})
        conn.recv()
        conn.connection.response.create()
        second = conn.until("response.done")
        spoken_id = first[-1].response.output[0].id
        conn.connection.conversation.item.truncate(item_id=spoken_id, content_index=0, audio_end_ms=60)
        truncated = conn.recv()
        conn.connection.conversation.item.truncate(item_id=spoken_id, content_index=0, audio_end_ms=500)
        too_long = conn.recv()
        conn.connection.conversation.item.retrieve(item_id=spoken_id)
        retrieved = conn.recv()
    assert (truncated.type, truncated.audio_end_ms) == ("conversation.item.truncated", 60)
    assert too_long.error.param == "audio_end_ms" and retrieved.item.content[0].transcript is None
    pcm = b"".join(base64.b64decode(e.delta) for e in first if e.type == "response.output_audio.delta")
    assert len(pcm) == 3 * 40 * 48   # three pieces of 40 ms, 24,000 samples of 2 bytes a second
    assert "".join(e.delta for e in first if e.type == "response.output_audio_transcript.delta") == "One two three"
    [content] = first[-1].response.output[0].content
    assert content.type == "output_audio" and content.transcript == "One two three"
    ulaw = b"".join(base64.b64decode(e.delta) for e in second if e.type == "response.output_audio.delta")
    assert len(ulaw) == 40 * 8   # G.711 at 8 kHz: a byte a sample
    assert second[-1].response.audio.output.format.type == "audio/pcmu"


def test_a_tool_call_round_trip_continues_the_conversation_script(fake_openai: Any, realtime: Any,
                                                                   http: Any) -> None:
    fake_openai.load(WEATHER)
    with realtime() as conn:
        conn.recv()
        conn.connection.session.update(session={"type": "realtime", "output_modalities": ["text"],
                                                "tools": [WEATHER_TOOL]})
        conn.recv()
        _say(conn, "What is the weather in Paris?")
        conn.connection.response.create()
        calling = conn.until("response.done")
        [call] = calling[-1].response.output
        assert (call.type, call.name, call.call_id, json.loads(call.arguments)) == (
            "function_call", "get_weather", "call_weather", {"city": "Paris"})
        streamed = "".join(e.delta for e in calling if e.type == "response.function_call_arguments.delta")
        assert streamed == call.arguments
        conn.connection.conversation.item.create(item={"type": "function_call_output", "call_id": call.call_id,
                                                       "output": '{"temperature": 18}'})
        conn.until("conversation.item.done")
        conn.connection.response.create()
        answer = conn.until("response.done")
    assert answer[-1].response.output[0].content[0].text == "It is 18 C and sunny in Paris."
    scenario = http.get("/_fake/scenario").json()
    [served] = scenario["conversations"][0]["served"]
    assert served["id"].startswith("sess_") and served["step"] == 2 and scenario["violations"] == 0


def test_bad_client_events_get_error_events_and_the_session_goes_on(fake_openai: Any, realtime: Any) -> None:
    with realtime() as conn:
        conn.recv()
        conn.connection.send({"type": "response.creat", "event_id": "evt_mine"})
        [typo] = conn.until("error")
        assert (typo.error.type, typo.error.code, typo.error.param, typo.error.event_id) == (
            "invalid_request_error", "invalid_value", "type", "evt_mine")
        conn.connection.send({"type": "conversation.item.create"})
        assert conn.recv().error.code == "missing_required_parameter"
        conn.connection.input_audio_buffer.commit()
        assert conn.recv().error.code == "input_audio_buffer_commit_empty"
        conn.connection.conversation.item.retrieve(item_id="item_nope")
        assert conn.recv().error.code == "item_retrieve_invalid_item_id"
        conn.connection.response.cancel()
        assert conn.recv().error.code == "response_cancel_not_active"
        conn.connection.response.create(response={"output_modalities": ["text"]})
        assert conn.until("response.done")[-1].response.status == "completed"


def test_server_vad_turns_speech_then_silence_into_a_transcribed_user_item(fake_openai: Any, realtime: Any) -> None:
    from fakeopenai.families.realtime.audio import tone

    speech, silence = tone("hello", "audio/pcm", 200), bytes(48 * 600)
    with realtime() as conn:
        conn.recv()
        conn.connection.session.update(session={"type": "realtime", "output_modalities": ["text"], "audio": {
            "input": {"transcription": {"model": "gpt-4o-transcribe"}}}})
        conn.recv()
        conn.connection.input_audio_buffer.append(audio=base64.b64encode(speech + silence).decode())
        events = conn.until("response.done")
    kinds = [e.type for e in events]
    assert kinds[:5] == ["input_audio_buffer.speech_started", "input_audio_buffer.speech_stopped",
                         "input_audio_buffer.committed", "conversation.item.added", "conversation.item.done"]
    completed = next(e for e in events if e.type == "conversation.item.input_audio_transcription.completed")
    deltas = [e.delta for e in events if e.type == "conversation.item.input_audio_transcription.delta"]
    assert completed.transcript == "".join(deltas) and completed.item_id == events[2].item_id
    assert events[3].item.content[0].transcript is None   # the transcript comes after the item
    assert events[0].audio_start_ms == 0 and events[1].audio_end_ms == 200 + 200


def test_a_client_secret_opens_the_minting_tenants_session_until_it_expires(fake_openai: Any,
                                                                            spec: SpecChecker) -> None:
    """What a web app does: its server mints an ``ek_`` key, its browser connects with it (the subprotocol,
    as ``OpenAIRealtimeWebSocket`` does) and gets the minted configuration and the server tenant's scripts."""
    fake_openai.load({"conversations": [{"steps": [{"message": "Hello from the scenario."}]}]})
    raw = fake_openai.client().realtime.client_secrets.with_raw_response.create(
        session={"type": "realtime", "instructions": "Be brief.", "output_modalities": ["text"]},
        expires_after={"anchor": "created_at", "seconds": 60})
    answer = raw.http_response
    spec.check_response("POST", "/v1/realtime/client_secrets", answer.status_code, answer.headers["content-type"],
                        answer.content)
    secret = raw.parse()
    assert secret.value.startswith("ek_") and secret.session.instructions == "Be brief."  # type: ignore[union-attr]
    url = fake_openai.realtime_url + "?model=gpt-realtime"
    with connect(url, subprotocols=["realtime", f"openai-insecure-api-key.{secret.value}"]) as ws:  # type: ignore[list-item]
        created = json.loads(ws.recv())
        assert created["session"]["instructions"] == "Be brief." and created["session"]["output_modalities"] == ["text"]
        ws.send(json.dumps({"type": "response.create"}))
        events = [json.loads(ws.recv())]
        while events[-1]["type"] != "response.done":
            events.append(json.loads(ws.recv()))
        text = "".join(e["delta"] for e in events if e["type"] == "response.output_text.delta")
        assert text == "Hello from the scenario."   # the minting tenant's script
    fake_openai.clock.advance(61)
    with connect(url, additional_headers={"Authorization": f"Bearer {secret.value}"}) as ws:
        error = json.loads(ws.recv())
        assert error["type"] == "error" and "expired" in error["error"]["message"]


def test_bad_auth_is_an_error_event_then_close_and_the_subprotocol_key_works(fake_openai: Any) -> None:
    url = fake_openai.base_url.replace("http://", "ws://") + "/realtime?model=gpt-realtime"
    with connect(url) as ws:
        error = json.loads(ws.recv())
        assert error["type"] == "error" and error["error"]["type"] == "invalid_request_error"
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 3000
    protocols = ["realtime", f"openai-insecure-api-key.{fake_openai.api_key}"]
    with connect(url, subprotocols=protocols) as ws:   # type: ignore[arg-type]
        assert ws.subprotocol == "realtime" and json.loads(ws.recv())["type"] == "session.created"


def test_the_async_client_plays_the_same_session(fake_openai: Any) -> None:
    fake_openai.load({"realtime": [{"steps": [{"message": "Async hello"}]}]})

    async def run() -> str:
        async with fake_openai.async_client(max_retries=0) as client, \
                client.realtime.connect(model="gpt-realtime") as conn:
            await conn.session.update(session={"type": "realtime", "output_modalities": ["text"]})
            await conn.response.create()
            async for event in conn:
                if event.type == "response.done":
                    return str(event.response.output[0].content[0].text)
        raise AssertionError("no response.done")

    assert asyncio.run(run()) == "Async hello"


def test_serve_tls_serves_https_and_wss_trusted_through_its_printed_ca(monkeypatch: pytest.MonkeyPatch) -> None:
    process = subprocess.Popen([sys.executable, "-m", "fakeopenai", "serve", "--port", "0", "--tls"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    # websockets' sync client, when a handshake fails, joins its reader thread, which a TLS read can keep
    # blocked: seen once in a clean clone's full run (the suite hung). Killing the server ends the read, so a
    # handshake that never completes fails this test instead of hanging the run.
    watchdog = threading.Timer(60, process.kill)
    watchdog.start()
    try:
        ca_line = process.stdout.readline().strip()  # type: ignore[union-attr]
        ready = process.stdout.readline().strip()  # type: ignore[union-attr]
        assert ca_line.startswith("fakeopenai CA certificate: ") and ready.startswith("fakeopenai serving on https://")
        ca, base_url = Path(ca_line.split(": ", 1)[1]), ready.split()[-1]
        assert ca.read_text().startswith("-----BEGIN CERTIFICATE-----")
        monkeypatch.setenv("SSL_CERT_FILE", str(ca))   # what users set (Node: NODE_EXTRA_CA_CERTS)
        with openai.OpenAI(base_url=base_url, api_key="sk-tls", max_retries=0) as client:
            assert client.models.list().data
            with client.realtime.connect(model="gpt-realtime") as connection:
                assert connection.recv().type == "session.created"
    finally:
        watchdog.cancel()
        process.terminate()
        _, errors = process.communicate(timeout=10)
    assert process.returncode == 0, f"fakeopenai serve --tls was killed after 60 s or failed; its stderr:\n{errors}"
    assert not ca.exists()   # the temporary CA folder goes with the server


def test_socket_faults_close_after_n_events_and_refuse_the_handshake(fake_openai: Any) -> None:
    fake_openai.load({"faults": [
        {"match": {"path": "/v1/realtime"}, "after_events": 1, "close": 4000},
        {"match": {"path": "/v1/realtime"}, "after": 1, "status": 429}]})
    url = fake_openai.realtime_url + "?model=gpt-realtime"
    headers = {"Authorization": f"Bearer {fake_openai.api_key}"}
    with connect(url, additional_headers=headers) as ws:
        assert json.loads(ws.recv())["type"] == "session.created"
        ws.send(json.dumps({"type": "session.update", "session": {"type": "realtime"}}))
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4000
    with pytest.raises(InvalidStatus) as refused:
        connect(url, additional_headers=headers)
    assert refused.value.response.status_code == 429
    assert json.loads(refused.value.response.body)["error"]["type"] == "requests"   # the live 429's type


def test_the_beta_protocol_gets_the_beta_event_names_and_shapes(fake_openai: Any) -> None:
    fake_openai.load({"realtime": [{"steps": [{"message": "Beta hello"}, {"message": "Beta audio"}]}]})
    # client.beta.realtime dials wss:// unless the client has a websocket_base_url (or the server --tls)
    client = fake_openai.client(max_retries=0, websocket_base_url=fake_openai.realtime_url.removesuffix("/realtime"))
    with client.beta.realtime.connect(model="gpt-4o-realtime-preview") as conn:   # OpenAI-Beta: realtime=v1
        created, conversation = conn.recv(), conn.recv()
        assert created.session.modalities == ["text", "audio"] and created.session.input_audio_format == "pcm16"
        assert conversation.type == "conversation.created"
        conn.session.update(session={"modalities": ["text"], "output_audio_format": "g711_ulaw"})
        updated = conn.recv()
        assert updated.session.modalities == ["text"] and updated.session.output_audio_format == "g711_ulaw"
        conn.conversation.item.create(item={"type": "message", "role": "user",
                                            "content": [{"type": "input_text", "text": "Hi"}]})
        assert conn.recv().type == "conversation.item.created"
        conn.response.create()
        text = [conn.recv() for _ in range(11)]
        conn.response.create(response={"modalities": ["text", "audio"]})
        spoken = [conn.recv()]
        while spoken[-1].type != "response.done":
            spoken.append(conn.recv())
    assert [e.type for e in text] == [
        "response.created", "rate_limits.updated", "response.output_item.added", "conversation.item.created",
        "response.content_part.added", "response.text.delta", "response.text.delta", "response.text.done",
        "response.content_part.done", "response.output_item.done", "response.done"]
    assert {"response.audio.delta", "response.audio_transcript.done"} <= {e.type for e in spoken}
    done = spoken[-1].response
    assert done.modalities == ["text", "audio"] and done.output_audio_format == "g711_ulaw"
    assert done.output[0].content[0].type == "audio" and done.output[0].content[0].transcript == "Beta audio"
    client.close()


def test_a_transcription_session_transcribes_turns_and_makes_no_responses(realtime: Any, fake_openai: Any) -> None:
    from fakeopenai.families.realtime.audio import tone

    client = fake_openai.client(max_retries=0)
    with client.realtime.connect(extra_query={"intent": "transcription"}) as raw:
        conn = Checked(raw, realtime.spec, realtime.schemas)
        created = conn.recv()
        assert (created.session.type, created.session.object) == ("transcription", "realtime.transcription_session")
        raw.input_audio_buffer.append(audio=base64.b64encode(tone("hi", "audio/pcm", 150) + bytes(48 * 300)).decode())
        events = conn.until("conversation.item.input_audio_transcription.completed")
        raw.response.create()
        refused = conn.recv()
    assert events[0].type == "input_audio_buffer.speech_started" and events[-1].transcript
    assert refused.type == "error" and refused.error.code == "invalid_value"
    client.close()


def test_the_same_session_gives_the_same_frames(fake_openai: Any) -> None:
    def frames() -> list[str]:
        fake_openai.load({"seed": 3, "realtime": [{"steps": [{"message": "Same bytes"}]}]})
        headers = {"Authorization": f"Bearer {fake_openai.api_key}"}
        with connect(fake_openai.realtime_url + "?model=gpt-realtime", additional_headers=headers) as ws:
            ws.send(json.dumps({"type": "response.create"}))
            got = [str(ws.recv())]
            while '"type":"response.done"' not in got[-1]:
                got.append(str(ws.recv()))
        return got

    first = frames()
    assert frames() == first and any('"response.output_audio.delta"' in frame for frame in first)


def test_an_out_of_band_response_stays_out_of_the_conversation(realtime: Any) -> None:
    with realtime() as conn:
        conn.recv()
        conn.connection.response.create(response={
            "conversation": "none", "output_modalities": ["text"], "metadata": {"purpose": "summary"},
            "instructions": "Summarize", "input": [
                {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Hi"}]}]})
        events = conn.until("response.done")
        conn.connection.conversation.item.retrieve(item_id=events[-1].response.output[0].id)
        missing = conn.recv()
    assert not any(e.type.startswith("conversation.item") for e in events)
    done = events[-1].response
    assert done.conversation_id is None and done.metadata == {"purpose": "summary"}
    assert missing.error.code == "item_retrieve_invalid_item_id"
