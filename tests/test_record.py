"""Record and replay (``fakeopenai record``): a client session goes through the recording proxy to an
upstream fake with its own scenario; the scenario written validates, and replayed on a fresh fake gives
the official SDK the same contents (texts, tool calls and arguments, statuses in order, batch lines),
byte for byte the same across two replays. No test reaches the internet."""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
import os
import signal
import subprocess
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from fakeopenai import FakeOpenAI
from fakeopenai.doors import cli
from fakeopenai.doors.server import ServerThread
from fakeopenai.http.app import create_app
from fakeopenai.record import ConvertOptions
from fakeopenai.record.proxy import Recorder, create_proxy

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

UPSTREAM: dict[str, Any] = {
    "runs": [{"times": "always", "steps": [
        {"status": "queued"}, {"status": "in_progress"},
        {"tool_calls": [{"function": "lookup", "arguments": {"q": "x"}}, {"function": "sum", "arguments": "[1,2]"}]},
        {"status": "in_progress", "reads": 2}, {"message": "Found it."},
        {"status": "completed", "usage": {"prompt_tokens": 7, "completion_tokens": 2}}]}],
    "responses": [
        {"match": {"last_message": {"contains": "weather"}}, "times": "always", "steps": [
            {"status": "queued"}, {"status": "in_progress", "reads": 2},
            {"tool_calls": [{"function": "get_weather", "arguments": {"city": "Paris"}}]},
            {"message": "Sunny in Paris."},
            {"status": "completed", "usage": {"prompt_tokens": 5, "completion_tokens": 3}}]},
        {"match": {"last_message": {"contains": "broken"}}, "times": "always", "steps": [
            {"message": "Half an ans"}, {"status": "failed", "last_error": {"message": "It broke."}}]},
        {"times": "always", "steps": [{"message": {"words": 9}}]}],
    "chat": [
        {"match": {"last_message": {"contains": "weather"}}, "times": "always",
         "stream": {"chunk_words": 2, "chunk_chars": 8}, "steps": [
             {"tool_calls": [{"function": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}]},
             {"message": "It is 18 degrees and sunny in Paris today."},
             {"status": "completed", "usage": {"prompt_tokens": 90, "completion_tokens": 12}}]},
        {"match": {"last_message": {"contains": "sum"}}, "times": "always", "steps": [
            {"message": "Let me look."},
            {"tool_calls": [{"function": "lookup", "arguments": {"q": "x"}},
                            {"function": "sum", "arguments": "[1,2]"}]},
            {"message": "It is 3."}]},
        {"match": {"last_message": {"contains": "bomb"}}, "times": "always", "steps": [
            {"message": {"refusal": "I can't help with that."}}]},
        {"match": {"last_message": {"contains": "long"}}, "times": "always", "steps": [
            {"message": "The answer starts here but"},
            {"status": "incomplete", "usage": {"prompt_tokens": 30, "completion_tokens": 5}}]}],
    "batches": [{"times": "always", "steps": [
        {"status": "validating"}, {"status": "in_progress", "progress": 0.5, "reads": 2},
        {"status": "failed", "errors": [{"code": "server_error", "message": "It broke."}]}],
        "responses": [{"custom_id": "r1", "content": "one"}, {"custom_id": "r3", "status_code": 429}]}],
    "embeddings": [{"match": {"input": {"equals": "cat"}}, "vector": [1, 2, 3, 4]}],
    "moderations": [{"match": {"input": {"contains": "kill"}}, "categories": {"violence": 0.97}}],
    "faults": [{"match": {"method": "POST", "path": "/v1/embeddings"}, "after": 1, "times": 2, "status": 429,
                "headers": {"retry-after-ms": "3"}, "error": {"message": "Slow down.", "code": "rate_limit_exceeded"}},
               {"match": {"method": "POST", "path": "/v1/chat/completions"}, "after": 3, "status": 503,
                "headers": {"retry-after-ms": "1"}, "error": {"message": "Overloaded."}}],
}


@pytest.fixture(scope="module")
def upstream() -> Iterator[ServerThread]:
    server = ServerThread(create_app(UPSTREAM)).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def replay_server() -> Iterator[ServerThread]:
    """One fake for every replay: each replay is a tenant (an API key) with the recorded scenario."""
    server = ServerThread(create_app()).start()
    yield server
    server.stop()


_keys = iter(range(10**6))


def record(upstream_url: str, session: Callable[[openai.OpenAI], Any], **options: Any) -> tuple[Any, str]:
    """The session through a recording proxy: what the SDK saw, and the scenario written (YAML)."""
    recorder = Recorder(upstream_url, options=ConvertOptions(**options))
    proxy = ServerThread(create_proxy(recorder)).start()
    try:
        with openai.OpenAI(base_url=proxy.base_url, api_key=f"sk-rec-{next(_keys)}",
                           organization="org-secret", project="proj_secret", max_retries=3) as client:
            seen = session(client)
    finally:
        stop(proxy, recorder)
    return seen, recorder.text()


def stop(proxy: ServerThread, recorder: Recorder) -> None:
    """Close the proxy's upstream client on its loop (ServerThread runs no lifespan), then stop it."""
    asyncio.run_coroutine_threadsafe(recorder.close(), proxy.loop).result()  # type: ignore[arg-type]
    proxy.stop()


def replay(server: ServerThread, text: str, session: Callable[[openai.OpenAI], Any]) -> tuple[Any, list[bytes]]:
    """The session on a fresh tenant loaded with the scenario: what the SDK saw, and every answer's bytes."""
    key = f"sk-replay-{next(_keys)}"
    httpx.put(server.origin + "/_fake/scenario", content=text.encode(), headers={
        "authorization": f"Bearer {key}", "content-type": "application/yaml"}).raise_for_status()
    bodies: list[bytes] = []

    def keep(response: httpx.Response) -> None:
        response.read()
        bodies.append(response.content)

    with httpx.Client(event_hooks={"response": [keep]}) as http:
        seen = session(openai.OpenAI(base_url=server.base_url, api_key=key, http_client=http, max_retries=3))
    return seen, bodies


def round_trip(upstream: ServerThread, replay_server: ServerThread, session: Callable[[openai.OpenAI], Any],
               tmp_path: Path, **options: Any) -> dict[str, Any]:
    recorded, text = record(upstream.base_url, session, **options)
    path = tmp_path / "recorded.yaml"
    path.write_text(text)
    assert cli.main(["validate", str(path)]) == 0, text
    assert "secret" not in text and "sk-rec" not in text and "Bearer" not in text
    first, bytes1 = replay(replay_server, text, session)
    second, bytes2 = replay(replay_server, text, session)
    assert first == recorded, text
    assert bytes1 == bytes2
    return yaml.safe_load(text)


def ids(step: dict[str, Any]) -> list[str]:
    """The call ids a recorded tool_calls step pins (each call's upstream id)."""
    found = [call["id"] for call in step["tool_calls"]]
    assert all(i.startswith("call_") for i in found), step
    return found


def _run_loop(client: openai.OpenAI) -> list[Any]:
    seen: list[Any] = []
    assistant = client.beta.assistants.create(model="gpt-4o")
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "find x"}])
    run = client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id)
    seen.append(run.status)
    while run.status not in ("completed", "failed"):
        run = client.beta.threads.runs.retrieve(run.id, thread_id=thread.id)
        seen.append(run.status)
        if run.status == "requires_action":
            calls = run.required_action.submit_tool_outputs.tool_calls  # type: ignore[union-attr]
            seen.append([(c.function.name, c.function.arguments) for c in calls])
            run = client.beta.threads.runs.submit_tool_outputs(
                run.id, thread_id=thread.id, tool_outputs=[{"tool_call_id": c.id, "output": "ok"} for c in calls])
            seen.append(run.status)
    seen.append(run.usage.total_tokens if run.usage else None)
    seen.append([m.content[0].text.value for m in client.beta.threads.messages.list(thread_id=thread.id).data])
    # the same loop streamed
    with client.beta.threads.create_and_run_stream(
            assistant_id=assistant.id, thread={"messages": [{"role": "user", "content": "find y"}]}) as stream:
        seen.append([e.event for e in stream])
        run = stream.current_run  # type: ignore[assignment]
    calls = run.required_action.submit_tool_outputs.tool_calls  # type: ignore[union-attr]
    seen.append([(c.function.name, c.function.arguments) for c in calls])
    with client.beta.threads.runs.submit_tool_outputs_stream(
            run_id=run.id, thread_id=run.thread_id,
            tool_outputs=[{"tool_call_id": c.id, "output": "ok"} for c in calls]) as stream:
        seen.append([e.event for e in stream])
        seen.append(stream.get_final_messages()[0].content[0].text.value)  # type: ignore[union-attr]
    return seen


def test_a_run_tool_loop_polled_and_streamed(upstream: ServerThread, replay_server: ServerThread,
                                             tmp_path: Path) -> None:
    scenario = round_trip(upstream, replay_server, _run_loop, tmp_path, expect_outputs=True)
    [polled, streamed] = scenario["runs"]
    assert polled["match"] == {"model": "gpt-4o", "last_message": {"equals": "find x"}}
    lookup, total = ids(polled["steps"][2])
    assert polled["steps"][2] == {"tool_calls": [{"function": "lookup", "arguments": {"q": "x"}, "id": lookup},
                                                 {"function": "sum", "arguments": "[1,2]", "id": total}],
                                  "expect_outputs": {lookup: {"equals": "ok"}, total: {"equals": "ok"}}}
    assert streamed["steps"][0]["expect_outputs"] == {i: {"equals": "ok"} for i in ids(streamed["steps"][0])}
    assert streamed["match"]["last_message"] == {"equals": "find y"}


def _background_loop(client: openai.OpenAI) -> list[Any]:
    seen: list[Any] = []
    response = client.responses.create(model="gpt-4o", input="weather in Paris?", background=True)
    seen.append(response.status)
    while response.status in ("queued", "in_progress"):
        response = client.responses.retrieve(response.id)
        seen.append(response.status)
    [call] = [o for o in response.output if o.type == "function_call"]
    seen.append((call.name, call.arguments))
    final = client.responses.create(model="gpt-4o", previous_response_id=response.id, input=[
        {"type": "function_call_output", "call_id": call.call_id, "output": "18C"}])
    seen.append((final.status, final.output_text, final.usage.total_tokens if final.usage else None))
    with client.responses.stream(model="gpt-4o-mini", input="say something") as stream:
        seen.append([e.type for e in stream])
        seen.append(stream.get_final_response().output_text)
    failed = client.responses.create(model="gpt-4o", input="this is broken")
    seen.append((failed.status, failed.error.message if failed.error else None, failed.output_text))
    return seen


def test_a_background_response_with_a_tool_loop(upstream: ServerThread, replay_server: ServerThread,
                                                tmp_path: Path) -> None:
    scenario = round_trip(upstream, replay_server, _background_loop, tmp_path, expect_outputs=True)
    first = scenario["responses"][0]
    [call] = ids(first["steps"][2])
    assert first["steps"][:3] == [{"status": "queued"}, {"status": "in_progress", "reads": 2}, {
        "tool_calls": [{"function": "get_weather", "arguments": {"city": "Paris"}, "id": call}],
        "expect_outputs": {call: {"equals": "18C"}}}]


def _conversation(client: openai.OpenAI) -> list[Any]:
    """A response tool loop carried by a conversation (``conversation=`` instead of previous_response_id)."""
    conversation = client.conversations.create(metadata={"topic": "weather"}, items=[
        {"type": "message", "role": "developer", "content": "Answer briefly."}])
    seen: list[Any] = [conversation.metadata]
    response = client.responses.create(model="gpt-4o", conversation=conversation.id, input="weather in Lyon?")
    [call] = [o for o in response.output if o.type == "function_call"]
    seen.append((response.status, call.name, call.arguments))
    final = client.responses.create(model="gpt-4o", conversation=conversation.id, input=[
        {"type": "function_call_output", "call_id": call.call_id, "output": "21C"}])
    seen.append((final.status, final.output_text, final.conversation is not None))
    items = client.conversations.items.list(conversation.id, order="asc")
    seen.append([(i.type, getattr(i, "role", None), getattr(i, "name", None)) for i in items.data])
    seen.append(client.conversations.retrieve(conversation.id).metadata)
    seen.append(client.conversations.delete(conversation.id).deleted)
    return seen


def test_a_response_tool_loop_through_a_conversation(upstream: ServerThread, replay_server: ServerThread,
                                                     tmp_path: Path) -> None:
    scenario = round_trip(upstream, replay_server, _conversation, tmp_path, expect_outputs=True)
    [script] = scenario["responses"]
    assert script["match"] == {"model": "gpt-4o", "last_message": {"equals": "weather in Lyon?"}}
    [call] = ids(script["steps"][0])
    assert script["steps"][0] == {
        "tool_calls": [{"function": "get_weather", "arguments": {"city": "Paris"}, "id": call}],
        "expect_outputs": {call: {"equals": "21C"}}}
    assert "conversations" not in scenario and "faults" not in scenario    # the replay's fake keeps them itself


def _batch(client: openai.OpenAI) -> list[Any]:
    lines = [{"custom_id": f"r{i}", "method": "POST", "url": "/v1/chat/completions",
              "body": {"model": "gpt-4o", "messages": [{"role": "user", "content": f"hi {i}"}]}} for i in range(1, 5)]
    file = client.files.create(file=("in.jsonl", "".join(json.dumps(line) + "\n" for line in lines).encode()),
                               purpose="batch")
    batch = client.batches.create(input_file_id=file.id, endpoint="/v1/chat/completions", completion_window="24h",
                                  metadata={"job": "nightly"})
    seen: list[Any] = [batch.status]
    while batch.status not in ("completed", "failed", "expired", "cancelled"):
        batch = client.batches.retrieve(batch.id)
        seen.append((batch.status, batch.request_counts.completed, batch.request_counts.failed))  # type: ignore[union-attr]
    seen.append([(e.code, e.message) for e in batch.errors.data] if batch.errors and batch.errors.data else None)
    for file_id in (batch.output_file_id, batch.error_file_id):
        answers = []
        for raw in client.files.content(file_id).text.splitlines() if file_id else []:
            line = json.loads(raw)
            response = line["response"] or {}
            body = response.get("body") or {}
            answers.append((line["custom_id"], response.get("status_code"), line["error"],
                            body.get("choices", [{}])[0].get("message", {}).get("content"),
                            body.get("error", {}).get("code")))
        seen.append(sorted(answers))
    return seen


def test_a_batch_that_fails_partway(upstream: ServerThread, replay_server: ServerThread, tmp_path: Path) -> None:
    scenario = round_trip(upstream, replay_server, _batch, tmp_path)
    [script] = scenario["batches"]
    assert script["match"] == {"endpoint": "/v1/chat/completions", "metadata": {"job": "nightly"}}
    assert script["steps"][1] == {"status": "in_progress", "progress": 0.5, "reads": 2}
    assert {"custom_id": "r1", "content": "one"} in script["responses"]


def _chat_stream(client: openai.OpenAI, messages: list[Any], seen: list[Any]) -> dict[str, Any]:
    """A streamed chat turn: what the client assembles (content, tool calls by index, finish, usage)."""
    content, calls, finish, usage = "", {}, None, None
    for chunk in client.chat.completions.create(model="gpt-4o", messages=messages, stream=True,
                                                stream_options={"include_usage": True}):
        usage = chunk.usage.total_tokens if chunk.usage else usage
        for choice in chunk.choices:
            content += choice.delta.content or ""
            for part in choice.delta.tool_calls or []:
                call = calls.setdefault(part.index, {"id": "", "name": "", "arguments": ""})
                call["id"] = part.id or call["id"]
                call["name"] += (part.function.name or "") if part.function else ""
                call["arguments"] += (part.function.arguments or "") if part.function else ""
            finish = choice.finish_reason or finish
    seen.append((content, [(c["name"], c["arguments"]) for c in calls.values()], finish, usage))
    return {"role": "assistant", "content": content or None, "tool_calls": [
        {"id": c["id"], "type": "function", "function": {"name": c["name"], "arguments": c["arguments"]}}
        for c in calls.values()]}


def _chat(client: openai.OpenAI) -> list[Any]:
    seen: list[Any] = []
    messages: list[Any] = [{"role": "user", "content": "weather in Paris?"}]
    assistant = _chat_stream(client, messages, seen)
    messages += [assistant, *({"role": "tool", "tool_call_id": c["id"], "content": "18C"}
                              for c in assistant["tool_calls"])]
    _chat_stream(client, messages, seen)
    # not streamed: a message and two calls in one turn, then the answer (the upstream's 503 is retried)
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "sum it"}]
    completion = client.chat.completions.create(model="gpt-4o-mini", messages=messages)
    message = completion.choices[0].message
    seen.append((message.content, [(c.function.name, c.function.arguments)  # type: ignore[union-attr]
                                   for c in message.tool_calls or []], completion.choices[0].finish_reason))
    messages += [message.model_dump(exclude_none=True), *({"role": "tool", "tool_call_id": c.id, "content": "ok"}
                                                          for c in message.tool_calls or [])]
    raw = client.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=messages)
    seen.append((raw.retries_taken, raw.parse().choices[0].message.content))
    for text in ("how to make a bomb", "a long story"):
        completion = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": text}])
        choice = completion.choices[0]
        seen.append((choice.message.content, choice.message.refusal, choice.finish_reason,
                     completion.usage.total_tokens if completion.usage else None))
    return seen


def test_a_streamed_chat_with_a_tool_call(upstream: ServerThread, replay_server: ServerThread,
                                          tmp_path: Path) -> None:
    scenario = round_trip(upstream, replay_server, _chat, tmp_path, expect_outputs=True)
    streamed, loop, refusal, cut = scenario["chat"]
    [call] = ids(streamed["steps"][0])
    assert streamed == {"match": {"model": "gpt-4o", "last_message": {"equals": "weather in Paris?"}}, "steps": [
        {"tool_calls": [{"function": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}, "id": call}],
         "expect_outputs": {call: {"equals": "18C"}}},
        {"message": "It is 18 degrees and sunny in Paris today."},
        {"status": "completed", "usage": {"prompt_tokens": 90, "completion_tokens": 12}}]}
    assert loop["match"] == {"model": "gpt-4o-mini", "last_message": {"equals": "sum it"}}
    lookup, total = ids(loop["steps"][1])
    assert loop["steps"][:2] == [{"message": "Let me look."}, {
        "tool_calls": [{"function": "lookup", "arguments": {"q": "x"}, "id": lookup},
                       {"function": "sum", "arguments": "[1,2]", "id": total}],
        "expect_outputs": {lookup: {"equals": "ok"}, total: {"equals": "ok"}}}]
    assert refusal["steps"][0] == {"message": {"refusal": "I can't help with that."}}
    assert cut["steps"][-1] == {"status": "incomplete", "usage": {"prompt_tokens": 30, "completion_tokens": 5}}
    assert scenario["faults"] == [{"match": {"method": "POST", "path": "/v1/chat/completions"}, "after": 3,
                                   "status": 503, "error": {"message": "Overloaded.", "type": "server_error"},
                                   "headers": {"retry-after-ms": "1"}}]


def _embeddings(client: openai.OpenAI) -> list[Any]:
    seen: list[Any] = []
    seen.append([d.embedding for d in client.embeddings.create(model="text-embedding-3-small",
                                                               input=["cat", "dog"], dimensions=8).data])
    # the upstream answers 429 twice (retry-after-ms: 3); the SDK retries through
    raw = client.embeddings.with_raw_response.create(model="text-embedding-3-small", input="bird", dimensions=8)
    seen.append((raw.retries_taken, raw.parse().data[0].embedding))
    moderation = client.moderations.create(input=["I will kill it", "hello"])
    seen.append([(r.flagged, r.categories.violence, r.category_scores.violence) for r in moderation.results])
    return seen


def test_embeddings_moderations_and_an_upstream_429_then_success(upstream: ServerThread, replay_server: ServerThread,
                                                                  tmp_path: Path) -> None:
    scenario = round_trip(upstream, replay_server, _embeddings, tmp_path)
    assert [e["match"]["input"]["equals"] for e in scenario["embeddings"]] == ["cat", "dog", "bird"]
    assert scenario["faults"] == [{"match": {"method": "POST", "path": "/v1/embeddings"}, "after": 1, "times": 2,
                                   "status": 429, "error": {"message": "Slow down.", "type": "requests",
                                                            "code": "rate_limit_exceeded"},
                                   "headers": {"retry-after-ms": "3"}}]
    _, text = record(upstream.base_url, _embeddings, embeddings="generated")
    assert "embeddings:" not in text and "faults:" in text


def test_an_upstream_that_is_down_is_a_disconnect_fault(tmp_path: Path) -> None:
    def session(client: openai.OpenAI) -> Any:
        with pytest.raises(openai.InternalServerError):
            client.with_options(max_retries=0).models.list()

    _, text = record("http://127.0.0.1:9/v1", session)
    assert yaml.safe_load(text)["faults"] == [{"match": {"method": "GET", "path": "/v1/models"}, "disconnect": True}]


def test_secrets_stay_out_and_the_upstream_key_replaces_the_clients() -> None:
    heard: list[dict[str, str]] = []

    async def echo(request: Request) -> JSONResponse:
        heard.append(dict(request.headers))
        return JSONResponse({"object": "list", "data": []})

    server = ServerThread(Starlette(routes=[Route("/v1/models", echo)])).start()
    try:
        recorder = Recorder(f"http://user:pw@127.0.0.1:{server.port}/v1?key=sk-in-url", upstream_key="sk-upstream")
        recorder.upstream = server.base_url
        proxy = ServerThread(create_proxy(recorder)).start()
        with openai.OpenAI(base_url=proxy.base_url, api_key="sk-client", organization="org-x") as client:
            client.models.list()
        stop(proxy, recorder)
    finally:
        server.stop()
    assert heard[0]["authorization"] == "Bearer sk-upstream" and heard[0]["openai-organization"] == "org-x"
    exchange = recorder.exchanges[0]
    assert "authorization" not in exchange.request_headers and "openai-organization" not in exchange.request_headers
    assert "sk-" not in recorder.text()


def test_the_cli_records_until_stopped(upstream: ServerThread, tmp_path: Path) -> None:
    out = tmp_path / "session.yaml"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1]), "UPSTREAM_KEY": "sk-up"}
    with subprocess.Popen([sys.executable, "-m", "fakeopenai", "record", "--upstream", upstream.base_url,
                           "--out", str(out), "--upstream-key-env", "UPSTREAM_KEY"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) as process:
        try:
            banner = process.stdout.readline()  # type: ignore[union-attr]
            assert banner.startswith("fakeopenai recording on http://127.0.0.1:") and banner.endswith(
                f"/v1 -> {upstream.base_url}\n")
            with warnings.catch_warnings(), openai.OpenAI(base_url=banner.split()[3], api_key="sk-client") as client:
                warnings.simplefilter("ignore")
                text = client.responses.create(model="gpt-4o", input="hello").output_text
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=20) == 0
        finally:
            process.kill()
        assert "wrote" in process.stderr.read()  # type: ignore[union-attr]
    scenario = yaml.safe_load(out.read_text())
    assert scenario["name"] == "session"
    assert scenario["responses"][0]["match"] == {"model": "gpt-4o", "last_message": {"equals": "hello"}}
    assert scenario["responses"][0]["steps"][0] == {"message": text}
    assert cli.main(["validate", str(out)]) == 0


RECORDED_SUITE = '''
import json
import pathlib

import openai
import pytest

OUT = pathlib.Path(__file__).parent / "seen.jsonl"


@pytest.mark.fake_openai("recorded/hello.yaml")
def test_hello(fake_openai):
    text = fake_openai.client().responses.create(model="gpt-4o", input="hello there").output_text
    with OUT.open("a") as out:
        out.write(json.dumps(text) + "\\n")


def test_embed(fake_openai):
    vector = openai.OpenAI().embeddings.create(model="text-embedding-3-small", input="cat").data[0].embedding
    with OUT.open("a") as out:
        out.write(json.dumps(vector) + "\\n")
'''


def test_the_pytest_plugin_records_each_test_then_replays_it(pytester: pytest.Pytester,
                                                              upstream: ServerThread) -> None:
    pytester.makepyfile(test_suite=RECORDED_SUITE)
    flags = ("-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning")
    missing = pytester.runpytest(*flags, "-k", "hello")
    missing.assert_outcomes(errors=1)
    missing.stdout.fnmatch_lines(["*To record it from a real server*pytest --fake-openai-record=https://api.openai"
                                  ".com/v1 'test_suite.py::test_hello'*"])
    pytester.runpytest(*flags, f"--fake-openai-record={upstream.base_url}").assert_outcomes(passed=2)
    hello, embed = pytester.path / "recorded" / "hello.yaml", pytester.path / "scenarios" / "test_embed.yaml"
    assert cli.main(["validate", str(hello), str(embed)]) == 0
    recorded = (pytester.path / "seen.jsonl").read_text()
    (pytester.path / "seen.jsonl").unlink()
    # with the marker, the file replays on the fake
    pytester.runpytest(*flags, "-k", "hello").assert_outcomes(passed=1)
    assert (pytester.path / "seen.jsonl").read_text() == recorded.splitlines(keepends=True)[0]
    (pytester.path / "seen.jsonl").unlink()
    # issue 24 item 6: so does the file of a test without a marker, scenarios/<test name>.yaml (not the default
    # scenario, whose generated vector would differ)
    pytester.runpytest(*flags, "-k", "embed").assert_outcomes(passed=1)
    [replayed] = (pytester.path / "seen.jsonl").read_text().splitlines()
    assert json.loads(replayed) == pytest.approx(json.loads(recorded.splitlines()[1]), abs=1e-6)
    embed.rename(embed.with_suffix(".kept"))     # without the file: the default scenario's generated vector
    pytester.runpytest(*flags, "-k", "embed").assert_outcomes(passed=1)
    assert json.loads((pytester.path / "seen.jsonl").read_text().splitlines()[1]) != pytest.approx(
        json.loads(replayed), abs=1e-6)
    embed.with_suffix(".kept").rename(embed)
    # once: files that exist are replayed, not recorded again; rewrite records them again
    hello.write_text(hello.read_text() + "# kept\n")
    pytester.runpytest(*flags, f"--fake-openai-record={upstream.base_url}").assert_outcomes(passed=2)
    assert hello.read_text().endswith("# kept\n")
    pytester.runpytest(*flags, f"--fake-openai-record={upstream.base_url}", "--fake-openai-record-mode=rewrite",
                       "-k", "hello").assert_outcomes(passed=1)
    assert "# kept" not in hello.read_text()


def test_a_recorded_files_name_stays_short() -> None:
    from fakeopenai.record.session import file_name

    assert file_name("test_x[a b]") == "test_x-a_b.yaml"
    long_a, long_b = file_name("test_x[" + "a" * 600 + "]"), file_name("test_x[" + "a" * 599 + "b]")
    assert long_a != long_b and len(long_a) == len(long_b) == 120 + 1 + 12 + len(".yaml")
    assert long_a.startswith("test_x-aaa")


def test_recording_finds_a_marker_file_as_the_marker_does(pytester: pytest.Pytester, upstream: ServerThread) -> None:
    """issue 24 item 7: under ``--fake-openai-record``, a marker path that exists from rootdir (not next to the
    test file) is that file, replayed (mode once), not a new recording next to the test file; one still missing
    is recorded next to the test file."""
    pytester.makeini("[pytest]\n")
    (pytester.path / "tests" / "recorded").mkdir(parents=True)
    (pytester.path / "tests" / "recorded" / "hi.yaml").write_text(
        "name: hi\nresponses: [{steps: [{message: From the file.}]}]\n")
    (pytester.path / "tests" / "test_hi.py").write_text('''
import pytest

@pytest.mark.fake_openai("tests/recorded/hi.yaml")
def test_hi(fake_openai):
    assert fake_openai.client().responses.create(model="gpt-4o", input="hi").output_text == "From the file."

@pytest.mark.fake_openai("recorded/new.yaml")
def test_new(fake_openai):
    assert fake_openai.client().responses.create(model="gpt-4o", input="hello").output_text
''')
    result = pytester.runpytest("-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning",
                                f"--fake-openai-record={upstream.base_url}")
    result.assert_outcomes(passed=2)
    assert not (pytester.path / "tests" / "tests").exists()
    assert (pytester.path / "tests" / "recorded" / "new.yaml").is_file()


def test_a_vcrpy_cassette_imports_and_replays(upstream: ServerThread, replay_server: ServerThread,
                                              tmp_path: Path) -> None:
    vcr = pytest.importorskip("vcr")

    def session(client: openai.OpenAI) -> list[Any]:
        return _background_loop(client) + _embeddings(client)

    cassette, out = tmp_path / "cassette.yaml", tmp_path / "imported.yaml"
    with vcr.use_cassette(str(cassette), record_mode="all", filter_headers=["authorization"]), \
            openai.OpenAI(base_url=upstream.base_url, api_key=f"sk-vcr-{next(_keys)}", max_retries=3) as client:
        recorded = session(client)
    assert cli.main(["import-cassette", str(cassette), "--out", str(out)]) == 0
    assert cli.main(["validate", str(out)]) == 0
    text = out.read_text()
    assert replay(replay_server, text, session)[0] == recorded
    scenario = yaml.safe_load(text)
    assert scenario["name"] == "imported" and len(scenario["responses"]) == 3 and scenario["faults"][0]["times"] == 2


def test_converter_details_without_a_server() -> None:
    from fakeopenai.record.cassette import exchanges_from
    from fakeopenai.record.convert import path_glob, scenario_from

    assert path_glob("/v1/threads/thread_a/runs/run_b/submit_tool_outputs") == \
        "/v1/threads/*/runs/*/submit_tool_outputs"
    assert path_glob("/v1/files/file-abc/content") == "/v1/files/*/content"
    answer = {"id": "resp_1", "object": "response", "status": "completed", "model": "gpt-4o", "output": [
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Hi!"}]}]}
    cassette = {"version": 1, "interactions": [
        {"request": {"method": "POST", "uri": "https://api.openai.com/v1/responses?api-key=sk-secret",
                     "body": json.dumps({"model": "gpt-4o", "input": "Say hi"}),
                     "headers": {"Authorization": ["Bearer sk-secret"]}},
         "response": {"status": {"code": 200, "message": "OK"},
                      "headers": {"Content-Type": ["application/json"], "Content-Encoding": ["gzip"]},
                      "body": {"string": gzip.compress(json.dumps(answer).encode())}}},
        {"request": {"method": "DELETE", "uri": "https://api.openai.com/v1/responses/resp_1", "body": None},
         "response": {"status": {"code": 200}, "headers": {},
                      "body": {"string": '{"id": "resp_1", "object": "response.deleted", "deleted": true}'}}}]}
    exchanges = exchanges_from(cassette)
    assert "authorization" not in exchanges[0].request_headers
    scenario = scenario_from(exchanges)
    assert scenario["responses"] == [{"match": {"model": "gpt-4o", "last_message": {"equals": "Say hi"}},
                                      "steps": [{"message": "Hi!"}, {"status": "completed"}]}]
    with pytest.raises(ValueError, match="not a vcrpy cassette"):
        exchanges_from({"requests": []})


def test_an_upstream_stream_cut_short_and_an_upstream_timeout() -> None:
    """A bare upstream: a response stream that drops after two events (a stream fault at that point: the
    proxy drops the client's connection too, without a traceback), and a models list that answers too
    late for the proxy's read timeout (a disconnect)."""
    import asyncio as aio

    from starlette.responses import StreamingResponse

    events = [{"type": "response.created", "sequence_number": 0, "response": {
        "id": "resp_1", "object": "response", "status": "in_progress", "model": "gpt-4o", "output": []}},
        {"type": "response.in_progress", "sequence_number": 1, "response": {
            "id": "resp_1", "object": "response", "status": "in_progress", "model": "gpt-4o", "output": []}}]

    async def stream(request: Request) -> StreamingResponse:
        async def body() -> Any:
            for event in events:
                yield f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode()
            raise RuntimeError("the upstream went away")
        return StreamingResponse(body(), media_type="text/event-stream")

    async def late(request: Request) -> JSONResponse:
        await aio.sleep(1)
        return JSONResponse({"object": "list", "data": []})

    class Errors(logging.Handler):
        """uvicorn's errors in the proxy's own tasks (the upstream's traceback is its own, expected)."""

        def __init__(self) -> None:
            super().__init__()
            self.messages: list[str] = []

        def emit(self, record: logging.LogRecord) -> None:
            if record.exc_info and "went away" not in str(record.exc_info[1]):
                self.messages.append(record.getMessage())

    errors = Errors()
    server = ServerThread(Starlette(routes=[Route("/v1/responses", stream, methods=["POST"]),
                                            Route("/v1/models", late)])).start()
    try:
        recorder = Recorder(server.base_url, timeout=0.2)
        proxy = ServerThread(create_proxy(recorder)).start()
        logging.getLogger("uvicorn.error").addHandler(errors)   # (uvicorn's logging setup at start drops it)
        with openai.OpenAI(base_url=proxy.base_url, api_key="sk-x", max_retries=0) as client:
            with pytest.raises((openai.APIError, httpx.HTTPError)):   # openai 1.x: httpx's own error
                list(client.responses.create(model="gpt-4o", input="hello", stream=True))
            with pytest.raises(openai.InternalServerError):
                client.models.list()
        stop(proxy, recorder)
    finally:
        server.stop()
        logging.getLogger("uvicorn.error").removeHandler(errors)
    assert errors.messages == []
    scenario = yaml.safe_load(recorder.text())
    assert scenario["faults"] == [
        {"match": {"method": "POST", "path": "/v1/responses"}, "after_events": 2, "disconnect": True},
        {"match": {"method": "GET", "path": "/v1/models"}, "disconnect": True}]

    def cut_short(client: openai.OpenAI) -> list[str]:
        seen = []
        with pytest.raises((openai.APIError, httpx.HTTPError)):
            for event in client.with_options(max_retries=0).responses.create(model="gpt-4o", input="hello",
                                                                                stream=True):
                seen.append(event.type)
        return seen

    fake = FakeOpenAI(recorder.text()).start()   # (replay's byte hook would read the cut stream whole)
    try:
        with fake.client() as client:
            assert cut_short(client) == ["response.created", "response.in_progress"]
    finally:
        fake.stop()


def test_the_upstream_client_reads_every_framing_and_reconnects() -> None:
    """The proxy's own HTTP/1.1 client against a raw server: a body by length, by chunks (with a trailer)
    and to the close; a kept-alive connection the server dropped while idle is replaced, once."""
    from fakeopenai.record.upstream import Upstream

    answers = {b"/v1/length": b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\nx-one: 1\r\n\r\nhello",
               b"/v1/chunked": b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
                               b"3;ext=1\r\nhel\r\n2\r\nlo\r\n0\r\nx-trailer: t\r\n\r\n",
               b"/v1/close": b"HTTP/1.0 200 OK\r\n\r\nhel" b"lo",
               b"/v1/drop": b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"}
    connections: list[int] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                break
            length = int(next((line.split(b":")[1] for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length")), b"0"))
            await reader.readexactly(length)
            path = head.split(b" ")[1]
            writer.write(answers[path])
            if path in (b"/v1/close", b"/v1/drop"):
                break
        writer.close()

    async def main() -> list[Any]:
        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        client = Upstream(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/v1")
        seen = []
        for path in (b"/length", b"/chunked", b"/drop", b"/length", b"/close", b"/length"):
            answer = await client.request("POST", path, [(b"content-length", b"2")], b"{}", 5.0)
            seen.append((answer.status, b"".join([chunk async for chunk in answer.body()]),
                         dict(answer.headers).get(b"x-one")))
            answer.close()
            await asyncio.sleep(0.01)   # the dropped connection's end reaches the client
        await client.aclose()
        server.close()
        await server.wait_closed()
        return seen

    assert asyncio.run(main()) == [(200, b"hello", b"1"), (201, b"hello", None), (200, b"ok", None),
                                   (200, b"hello", b"1"), (200, b"hello", None), (200, b"hello", b"1")]
    assert len(connections) == 3      # one kept alive for three requests, then one after each close


def test_an_answer_done_after_the_proxy_stopped_keeps_no_connection() -> None:
    """The proxy's stop (``Upstream.aclose``) can run while the last answer's bytes are still going out:
    that answer's connection is closed then, not kept idle by a client nothing closes any more (an
    unclosed StreamWriter, which a later test met as a ResourceWarning)."""
    from fakeopenai.record.upstream import Upstream

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
            await reader.read()          # until the client closes
        finally:
            writer.close()

    async def main() -> tuple[bytes, int, bool]:
        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        client = Upstream(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/v1")
        answer = await client.request("GET", b"/models", [], b"", 5.0)
        body = b"".join([chunk async for chunk in answer.body()])
        await client.aclose()            # the proxy stops first
        answer.close()                   # then the answer's forward ends
        closing = answer._writer.is_closing()
        server.close()
        await server.wait_closed()
        return body, len(client.idle), closing

    assert asyncio.run(main()) == (b"ok", 0, True)


def test_chat_details_without_a_server(tmp_path: Path) -> None:
    """A chat stream that ends with an error chunk, a content_filter stop, a stored completion read, and
    conversation calls (left to the replaying fake)."""
    from fakeopenai.record.convert import scenario_from
    from fakeopenai.record.exchange import Exchange

    def chat(text: str, answer: Any, stream: bool = False) -> Exchange:
        body = json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": text}]}).encode()
        if stream:
            frames = b"".join(b"data: " + json.dumps(f).encode() + b"\n\n" for f in answer)
            return Exchange("POST", "/v1/chat/completions", request_body=body, response_body=frames,
                            response_headers={"content-type": "text/event-stream"})
        return Exchange("POST", "/v1/chat/completions", request_body=body, response_body=json.dumps(answer).encode(),
                        response_headers={"content-type": "application/json"})

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    exchanges = [
        chat("a", [chunk({"role": "assistant", "content": ""}), chunk({"content": "Half"}),
                   {"error": {"message": "It broke.", "type": "server_error", "code": None}}], stream=True),
        chat("b", {"object": "chat.completion", "choices": [{"index": 0, "finish_reason": "content_filter", "message": {
            "role": "assistant", "content": "Filtered", "refusal": None}}]}),
        Exchange("GET", "/v1/chat/completions/chatcmpl-1", response_body=b"{}"),
        Exchange("POST", "/v1/conversations", request_body=b"{}", response_body=b'{"id": "conv_1"}'),
        Exchange("GET", "/v1/conversations/conv_1/items", response_body=b'{"data": []}')]
    scenario = scenario_from(exchanges)
    assert scenario["chat"] == [
        {"match": {"model": "gpt-4o", "last_message": {"equals": "a"}},
         "steps": [{"message": "Half"}, {"stream_error": {"message": "It broke.", "type": "server_error"}}]},
        {"match": {"model": "gpt-4o", "last_message": {"equals": "b"}},
         "steps": [{"message": "Filtered"}, {"status": "incomplete"}]}]     # replayed as finish_reason length
    assert set(scenario) == {"description", "chat"}
    (tmp_path / "chat.yaml").write_text(yaml.safe_dump(scenario))
    assert cli.main(["validate", str(tmp_path / "chat.yaml")]) == 0


def test_the_proxy_forwards_no_fake_path(tmp_path: Path) -> None:
    """issue 24 item 5: ``GET /_fake/record/stop`` (the wrong method) is the proxy's own 405, in the OpenAI
    error shape; any other ``/_fake`` path its own 404. Neither reaches the upstream nor the scenario."""
    heard: list[str] = []

    async def anything(request: Request) -> JSONResponse:
        heard.append(f"{request.method} {request.url.path}")
        return JSONResponse({"error": {"message": "Incorrect API key provided", "type": "invalid_request_error",
                                       "code": "invalid_api_key"}}, status_code=401)

    server = ServerThread(Starlette(routes=[Route("/{path:path}", anything, methods=["GET", "POST", "DELETE"])]))
    server.start()
    out = tmp_path / "recorded.yaml"
    recorder = Recorder(server.base_url, out)
    proxy = ServerThread(create_proxy(recorder)).start()
    try:
        with httpx.Client(base_url=proxy.origin) as http:
            wrong = http.get("/_fake/record/stop")
            assert (wrong.status_code, wrong.headers["allow"]) == (405, "POST")
            assert wrong.json() == {"error": {
                "message": "Invalid method for URL (GET /_fake/record/stop): allowed methods are POST.",
                "type": "invalid_request_error", "param": None, "code": "method_not_allowed"}}
            assert http.post("/_fake/record/scenario").status_code == 405
            unknown = http.delete("/_fake/tenant")
            assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown_url"
            assert "POST /_fake/record/stop and GET /_fake/record/scenario" in unknown.json()["error"]["message"]
            assert heard == [] and recorder.exchanges == {}
            # the SDK meets it the same way: an APIStatusError with the proxy's message
            with openai.OpenAI(base_url=proxy.base_url, api_key="sk-x", max_retries=0) as client:
                with pytest.raises(openai.APIStatusError) as error:
                    client.get(proxy.origin + "/_fake/record/stop", cast_to=httpx.Response)
                assert error.value.status_code == 405 and "allowed methods are POST" in error.value.message
            assert http.post("/_fake/record/stop").json() == {"written": str(out), "exchanges": 0}
    finally:
        stop(proxy, recorder)
        server.stop()
    assert heard == [] and "faults" not in yaml.safe_load(out.read_text())


# issue 24 item 12: each API's tool calls with the upstream's own ids (as a real server's would be)
PINNED_IDS: dict[str, Any] = {
    "runs": [{"steps": [{"tool_calls": [
        {"function": "get_weather", "arguments": {"city": "Paris"}, "id": "call_run_paris"},
        {"function": "get_weather", "arguments": {"city": "Rome"}, "id": "call_run_rome"}]},
        {"message": "Sunny in both."}, {"status": "completed"}]}],
    "responses": [{"steps": [{"tool_calls": [
        {"function": "get_weather", "arguments": {"city": "Paris"}, "id": "call_paris"},
        {"function": "get_weather", "arguments": {"city": "Rome"}, "id": "call_rome"}]},
        {"message": "Sunny in both."}]}],
    "chat": [{"steps": [{"tool_calls": [
        {"function": "get_weather", "arguments": {"city": "Paris"}, "id": "call_chat_paris"},
        {"function": "get_weather", "arguments": {"city": "Rome"}, "id": "call_chat_rome"}]},
        {"message": "Sunny in both."}]}],
}


def _call_ids(client: openai.OpenAI) -> list[Any]:
    """A run, a response and a streamed chat, each answering two calls: the call ids the client saw."""
    seen: list[Any] = []
    assistant = client.beta.assistants.create(model="gpt-4o")
    run = client.beta.threads.create_and_run_poll(assistant_id=assistant.id, thread={
        "messages": [{"role": "user", "content": "weather in Paris and Rome"}]})
    calls = run.required_action.submit_tool_outputs.tool_calls  # type: ignore[union-attr]
    seen.append([(c.id, c.function.arguments) for c in calls])
    run = client.beta.threads.runs.submit_tool_outputs_and_poll(
        run_id=run.id, thread_id=run.thread_id, tool_outputs=[{"tool_call_id": c.id, "output": c.id} for c in calls])
    seen.append(run.status)
    response = client.responses.create(model="gpt-4o", input="weather in Paris and Rome")
    items = [o for o in response.output if o.type == "function_call"]
    seen.append([(i.call_id, i.arguments) for i in items])
    response = client.responses.create(model="gpt-4o", previous_response_id=response.id, input=[
        {"type": "function_call_output", "call_id": i.call_id, "output": i.call_id} for i in items])
    seen.append(response.output_text)
    messages: list[Any] = [{"role": "user", "content": "weather in Paris and Rome"}]
    answer = _chat_stream(client, messages, seen)
    seen.append([c["id"] for c in answer["tool_calls"]])
    _chat_stream(client, [*messages, answer, *({"role": "tool", "tool_call_id": c["id"], "content": c["id"]}
                                               for c in answer["tool_calls"])], seen)
    return seen


def test_tool_call_ids_replay_as_recorded(replay_server: ServerThread, tmp_path: Path) -> None:
    """The calls were call_paris and call_rome upstream: the replay gives the client those ids (runs,
    responses and chat), and expect_outputs names each call by its id (two calls of one function)."""
    upstream = ServerThread(create_app(PINNED_IDS)).start()
    try:
        scenario = round_trip(upstream, replay_server, _call_ids, tmp_path, expect_outputs=True)
    finally:
        upstream.stop()
    run_calls, response_calls, chat_calls = (scenario[key][0]["steps"][0] for key in ("runs", "responses", "chat"))
    assert ids(run_calls) == ["call_run_paris", "call_run_rome"]
    assert ids(response_calls) == ["call_paris", "call_rome"]
    assert ids(chat_calls) == ["call_chat_paris", "call_chat_rome"]
    for step in (run_calls, response_calls, chat_calls):
        assert step["expect_outputs"] == {i: {"equals": i} for i in ids(step)}


# issue 24 item 4: streams the upstream cut partway, with deltas that are not the fake's own chunking
_RESPONSE = {"id": "resp_1", "object": "response", "created_at": 1, "status": "in_progress", "model": "gpt-4o",
             "output": []}
_WHERE = {"item_id": "msg_1", "output_index": 0, "content_index": 0}
CUT_RESPONSE = [
    {"type": "response.created", "response": _RESPONSE}, {"type": "response.in_progress", "response": _RESPONSE},
    {"type": "response.output_item.added", "output_index": 0, "item": {
        "id": "msg_1", "type": "message", "status": "in_progress", "role": "assistant", "content": []}},
    {"type": "response.content_part.added", **_WHERE, "part": {"type": "output_text", "text": "", "annotations": []}},
    {"type": "response.output_text.delta", **_WHERE, "delta": "It is 18 °C and sun", "logprobs": []},
    {"type": "response.output_text.delta", **_WHERE, "delta": "ny in Pa", "logprobs": []}]


def _chunk(delta: dict[str, Any]) -> dict[str, Any]:
    return {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o",
            "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}


CUT_CHAT = [_chunk({"role": "assistant", "content": ""}), _chunk({"content": "It is 18 °C and sun"}),
            _chunk({"content": "ny in Pa"})]


def _cut_streams(client: openai.OpenAI) -> list[Any]:
    """A streamed response and a streamed chat completion, each cut partway: every event (with its delta)
    the client got, then the error it raised."""
    client = client.with_options(max_retries=0)
    response: list[Any] = []
    with pytest.raises(openai.APIConnectionError):
        for event in client.responses.create(model="gpt-4o", input="Weather in Paris?", stream=True):
            response.append((event.type, getattr(event, "delta", None)))
    chat: list[Any] = []
    with pytest.raises(openai.APIConnectionError):
        for chunk in client.chat.completions.create(model="gpt-4o", stream=True,
                                                    messages=[{"role": "user", "content": "Weather in Paris?"}]):
            chat.append((chunk.choices[0].delta.content, chunk.choices[0].finish_reason))
    return [response, chat]


def replay_over_a_socket(server: ServerThread, text: str, session: Callable[[openai.OpenAI], Any]) -> Any:
    """The session on a fresh tenant of ``server`` loaded with the scenario (no byte hook: a cut stream is
    read as the client reads it)."""
    key = f"sk-replay-{next(_keys)}"
    httpx.put(server.origin + "/_fake/scenario", content=text.encode(), headers={
        "authorization": f"Bearer {key}", "content-type": "application/yaml"}).raise_for_status()
    with openai.OpenAI(base_url=server.base_url, api_key=key) as client:
        return session(client)


def test_streams_the_upstream_cut_replay_their_deltas_then_the_cut(replay_server: ServerThread,
                                                                    tmp_path: Path) -> None:
    """A Responses stream cut after 6 events (two text deltas) replays those 6 events with the same deltas,
    then the same error, not a completed response; a chat stream cut alike replays alike (no finish chunk)."""
    from starlette.responses import StreamingResponse

    def cut(events: list[dict[str, Any]], named: bool) -> Any:
        async def endpoint(request: Request) -> StreamingResponse:
            async def body() -> Any:
                for number, event in enumerate(events):
                    data = json.dumps({**event, "sequence_number": number} if named else event)
                    yield (f"event: {event['type']}\n" if named else "").encode() + f"data: {data}\n\n".encode()
                raise RuntimeError("the upstream went away")
            return StreamingResponse(body(), media_type="text/event-stream")
        return endpoint

    server = ServerThread(Starlette(routes=[Route("/v1/responses", cut(CUT_RESPONSE, True), methods=["POST"]),
                                            Route("/v1/chat/completions", cut(CUT_CHAT, False), methods=["POST"])]),
                          log_level="critical").start()
    try:
        recorded, text = record(server.base_url, _cut_streams)
    finally:
        server.stop()
    assert recorded == [[("response.created", None), ("response.in_progress", None),
                         ("response.output_item.added", None), ("response.content_part.added", None),
                         ("response.output_text.delta", "It is 18 °C and sun"),
                         ("response.output_text.delta", "ny in Pa")],
                        [("", None), ("It is 18 °C and sun", None), ("ny in Pa", None)]]
    path = tmp_path / "cut.yaml"
    path.write_text(text)
    assert cli.main(["validate", str(path)]) == 0, text
    scenario = yaml.safe_load(text)
    assert scenario["responses"][0]["steps"] == [{"message": {"deltas": ["It is 18 °C and sun", "ny in Pa"]}}]
    assert scenario["chat"][0]["steps"][0] == {"message": {"deltas": ["It is 18 °C and sun", "ny in Pa"]}}
    assert scenario["faults"] == [
        {"match": {"method": "POST", "path": "/v1/responses"}, "after_events": 6, "disconnect": True},
        {"match": {"method": "POST", "path": "/v1/chat/completions"}, "after_events": 3, "disconnect": True}]
    assert replay_over_a_socket(replay_server, text, _cut_streams) == recorded
    fake = FakeOpenAI(text).start()      # in-process: the same
    try:
        with fake.client() as client:
            assert _cut_streams(client) == recorded
    finally:
        fake.stop()


def _cut_run(client: openai.OpenAI) -> list[Any]:
    seen: list[Any] = []
    assistant = client.beta.assistants.create(model="gpt-4o")
    with pytest.raises(openai.APIConnectionError):
        for event in client.with_options(max_retries=0).beta.threads.create_and_run(
                assistant_id=assistant.id, stream=True, thread={"messages": [{"role": "user", "content": "hi"}]}):
            seen.append((event.event, event.data.delta.content[0].text.value  # type: ignore[union-attr]
                         if event.event == "thread.message.delta" else None))
    return seen


def test_a_run_stream_the_upstream_cut_replays_its_deltas_then_the_cut(replay_server: ServerThread) -> None:
    """The same for a run's stream: cut after two one-word deltas (the replay's own chunking is three words)."""
    upstream = ServerThread(create_app({
        "stream": {"chunk_words": 1}, "runs": [{"steps": [{"message": "It is sunny in Paris."}]}],
        "faults": [{"match": {"path": "/v1/threads/runs"}, "after_events": 10, "disconnect": True}]})).start()
    try:
        recorded, text = record(upstream.base_url, _cut_run)
    finally:
        upstream.stop()
    assert recorded[-3:] == [("thread.message.in_progress", None), ("thread.message.delta", "It"),
                             ("thread.message.delta", " is")]
    assert yaml.safe_load(text)["runs"][0]["steps"] == [{"message": {"deltas": ["It", " is"]}}]
    assert replay_over_a_socket(replay_server, text, _cut_run) == recorded
