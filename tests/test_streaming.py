"""Streaming runs (SSE) through the official SDK's event handlers, and raw framing."""

from __future__ import annotations

import json
from typing import Any

import httpx
import openai
import pytest
from openai import AssistantEventHandler
from openai.types.beta.threads import Text, TextDelta
from openai.types.beta.threads.runs import ToolCall, ToolCallDelta

from tests.spec_check import SpecChecker, parse_sse

CANONICAL_MESSAGE_RUN = [
    "thread.run.created", "thread.run.queued", "thread.run.in_progress",
    "thread.run.step.created", "thread.run.step.in_progress",
    "thread.message.created", "thread.message.in_progress",
]


class Recorder(AssistantEventHandler):
    def __init__(self) -> None:
        super().__init__()
        self.events: list[str] = []
        self.text = ""
        self.tool_calls: list[ToolCall] = []
        self.arguments = ""

    def on_event(self, event: Any) -> None:
        self.events.append(event.event)

    def on_text_delta(self, delta: TextDelta, snapshot: Text) -> None:
        self.text += delta.value or ""

    def on_tool_call_created(self, tool_call: ToolCall) -> None:
        self.tool_calls.append(tool_call)

    def on_tool_call_delta(self, delta: ToolCallDelta, snapshot: ToolCall) -> None:
        if delta.type == "function" and delta.function and delta.function.arguments:
            self.arguments += delta.function.arguments


def test_stream_default_run_in_canonical_order(client: openai.OpenAI) -> None:
    assistant = client.beta.assistants.create(model="gpt-4o")
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "Tell me something"}])
    handler = Recorder()
    with client.beta.threads.runs.stream(thread_id=thread.id, assistant_id=assistant.id,
                                         event_handler=handler) as stream:
        stream.until_done()
        final_run = stream.get_final_run()
        final_messages = stream.get_final_messages()

    deltas = handler.events.count("thread.message.delta")
    assert handler.events == CANONICAL_MESSAGE_RUN + ["thread.message.delta"] * deltas + [
        "thread.message.completed", "thread.run.step.completed", "thread.run.completed"]
    assert deltas >= 3
    assert final_run.status == "completed" and final_run.usage is not None
    [message] = final_messages
    assert message.content[0].text.value == handler.text
    stored = client.beta.threads.messages.retrieve(message_id=message.id, thread_id=thread.id)
    assert stored.content[0].text.value == handler.text and stored.status == "completed"
    polled = client.beta.threads.runs.retrieve(thread_id=thread.id, run_id=final_run.id)
    assert polled.model_dump() == final_run.model_dump()


@pytest.mark.fake_openai(scenario="stream_with_tool_call")
def test_stream_tool_call_then_submit_stream(client: openai.OpenAI) -> None:
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "Weather in Paris?"}])
    handler = Recorder()
    with client.beta.threads.runs.stream(thread_id=thread.id, assistant_id="asst_weather",
                                         event_handler=handler) as stream:
        stream.until_done()
        run = stream.get_final_run()

    assert run.status == "requires_action"
    assert handler.events[:5] == CANONICAL_MESSAGE_RUN[:5]
    assert handler.events[5:] == ["thread.run.step.delta"] * (len(handler.events) - 6) + ["thread.run.requires_action"]
    assert len(handler.events) - 6 >= 3  # name delta + several argument chunks
    [call] = handler.tool_calls
    assert call.type == "function" and call.function.name == "get_weather"
    assert handler.arguments == '{"city": "Paris", "unit": "celsius"}'
    [required] = run.required_action.submit_tool_outputs.tool_calls
    assert required.id == call.id and required.function.arguments == handler.arguments
    assert client.beta.threads.runs.retrieve(thread_id=thread.id, run_id=run.id).status == "requires_action"

    after = Recorder()
    with client.beta.threads.runs.submit_tool_outputs_stream(
            thread_id=thread.id, run_id=run.id, tool_outputs=[{"tool_call_id": call.id, "output": "18C"}],
            event_handler=after) as stream:
        stream.until_done()
        final = stream.get_final_run()
        [message] = stream.get_final_messages()

    assert after.events[:5] == ["thread.run.step.completed", "thread.run.queued", "thread.run.in_progress",
                                "thread.run.step.created", "thread.run.step.in_progress"]
    assert after.events[-3:] == ["thread.message.completed", "thread.run.step.completed", "thread.run.completed"]
    assert after.text == "It is 18 degrees and sunny in Paris today."
    assert after.events.count("thread.message.delta") == 5  # chunk_words: 2 over 9 words
    assert message.content[0].text.value == after.text
    assert final.status == "completed" and final.usage.total_tokens == 102
    steps = client.beta.threads.runs.steps.list(thread_id=thread.id, run_id=run.id, order="asc").data
    assert steps[0].step_details.tool_calls[0].function.output == "18C"


@pytest.mark.fake_openai(scenario="stream_with_tool_call")
def test_raw_sse_framing_and_schemas(fake_openai: Any, spec: SpecChecker) -> None:
    headers = {"Authorization": f"Bearer {fake_openai.api_key}"}
    with httpx.Client(base_url=fake_openai.base_url, headers=headers) as http:
        response = http.post("/threads/runs", json={"assistant_id": "asst_weather", "stream": True,
                                                    "thread": {"messages": [{"role": "user", "content": "hi"}]}})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = parse_sse(response.content)  # strict framing: event line, data line, blank line
    names = [name for name, _ in events]
    assert names[0] == "thread.created" and names[-1] == "done" and events[-1][1] == "[DONE]"
    assert names[-2] == "thread.run.requires_action"
    for name, data in events:
        spec.check_event(name, data)
    deltas = [json.loads(data) for name, data in events if name == "thread.run.step.delta"]
    first = deltas[0]["delta"]["step_details"]["tool_calls"][0]
    assert first["index"] == 0 and first["id"].startswith("call_") and first["function"]["arguments"] == ""
    assert all(d["delta"]["step_details"]["tool_calls"][0]["index"] == 0 for d in deltas)


def test_stream_is_the_same_objects_a_get_returns(client: openai.OpenAI, fake_openai: Any) -> None:
    assistant = client.beta.assistants.create(model="gpt-4o")
    stream = client.beta.threads.create_and_run(assistant_id=assistant.id, stream=True)
    events = list(stream)
    assert events[0].event == "thread.created"
    completed_message = next(e.data for e in events if e.event == "thread.message.completed")
    completed_run = events[-1].data
    assert events[-1].event == "thread.run.completed"
    stored = client.beta.threads.messages.retrieve(message_id=completed_message.id,
                                                   thread_id=completed_message.thread_id)
    assert stored.model_dump() == completed_message.model_dump()
    step = next(e.data for e in events if e.event == "thread.run.step.completed")
    assert client.beta.threads.runs.steps.retrieve(step_id=step.id, thread_id=step.thread_id,
                                                   run_id=step.run_id).model_dump() == step.model_dump()
    created = next(e.data for e in events if e.event == "thread.message.created")
    assert created.status == "in_progress" and created.content == []
    deltas = [e.data for e in events if e.event == "thread.message.delta"]
    assert all(d.delta.content[0].index == 0 for d in deltas)
    assert "".join(d.delta.content[0].text.value for d in deltas) == stored.content[0].text.value
    assert client.beta.threads.runs.retrieve(thread_id=completed_run.thread_id,
                                             run_id=completed_run.id).status == "completed"


def test_scripted_failure_mid_stream(client: openai.OpenAI, fake_openai: Any) -> None:
    fake_openai.load({"runs": [{"steps": [{"status": "queued"}, {"status": "in_progress"},
                                          {"message": "partial"},
                                          {"status": "failed", "last_error": {"code": "rate_limit_exceeded",
                                                                              "message": "Slow down"}}]}]})
    assistant = client.beta.assistants.create(model="gpt-4o")
    handler = Recorder()
    with client.beta.threads.create_and_run_stream(assistant_id=assistant.id, event_handler=handler) as stream:
        stream.until_done()
        run = stream.get_final_run()
    assert handler.events[-1] == "thread.run.failed"
    assert run.status == "failed" and run.last_error.code == "rate_limit_exceeded"
    assert run.last_error.message == "Slow down"


def test_stream_error_event_makes_the_sdk_raise(client: openai.OpenAI, fake_openai: Any) -> None:
    fake_openai.load({"runs": [{"steps": [{"status": "queued"}, {"status": "in_progress"},
                                          {"stream_error": {"message": "upstream broke", "type": "server_error"}}]}]})
    assistant = client.beta.assistants.create(model="gpt-4o")
    thread = client.beta.threads.create()
    handler = Recorder()
    with pytest.raises(openai.APIError, match="upstream broke"):
        with client.beta.threads.runs.stream(thread_id=thread.id, assistant_id=assistant.id,
                                             event_handler=handler) as stream:
            stream.until_done()
    assert handler.events == ["thread.run.created", "thread.run.queued", "thread.run.in_progress"]
    [run] = client.beta.threads.runs.list(thread_id=thread.id).data
    assert run.status == "failed" and run.last_error.message == "upstream broke"


def test_chunk_words_option_controls_deltas(client: openai.OpenAI, fake_openai: Any) -> None:
    fake_openai.load({"stream": {"chunk_words": 1},
                      "runs": [{"steps": [{"message": "one two three four"}]}]})
    assistant = client.beta.assistants.create(model="gpt-4o")
    events = list(client.beta.threads.create_and_run(assistant_id=assistant.id, stream=True))
    values = [e.data.delta.content[0].text.value for e in events if e.event == "thread.message.delta"]
    assert values == ["one", " two", " three", " four"]


def test_message_deltas_stream_as_scripted_in_each_api(client: openai.OpenAI, fake_openai: Any) -> None:
    """``message: {deltas: [...]}`` (what fakeopenai record writes for a stream the upstream cut): one event per
    delta in a run's, a response's and a chat completion's stream, whatever stream.chunk_words says; the
    message's text is their concatenation (not streamed too)."""
    fake_openai.load({"stream": {"chunk_words": 5}, "conversations": [{"times": "always", "steps": [
        {"message": {"deltas": ["It is 18 °C and sun", "ny in Pa", "ris."]}}]}]})
    deltas = ["It is 18 °C and sun", "ny in Pa", "ris."]
    assistant = client.beta.assistants.create(model="gpt-4o")
    events = list(client.beta.threads.create_and_run(assistant_id=assistant.id, stream=True))
    assert [e.data.delta.content[0].text.value for e in events if e.event == "thread.message.delta"] == deltas
    events = list(client.responses.create(model="gpt-4o", input="hi", stream=True))
    assert [e.delta for e in events if e.type == "response.output_text.delta"] == deltas
    assert events[-1].response.output_text == "It is 18 °C and sunny in Paris."
    chunks = list(client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}],
                                                 stream=True, n=2))
    for index in (0, 1):
        assert [c.choices[0].delta.content for c in chunks if c.choices[0].index == index][1:-1] == deltas
    plain = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    assert plain.choices[0].message.content == "It is 18 °C and sunny in Paris."
    # cut by max_tokens: the text is no longer the deltas' concatenation, so the usual chunking
    cut = list(client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}],
                                              stream=True, max_tokens=3))
    assert [c.choices[0].delta.content for c in cut][1:-1] == ["It is 18"]


@pytest.mark.anyio
@pytest.mark.fake_openai(scenario="stream_with_tool_call")
async def test_async_streaming_flow(async_client: openai.AsyncOpenAI) -> None:
    thread = await async_client.beta.threads.create()
    async with async_client.beta.threads.runs.stream(thread_id=thread.id, assistant_id="asst_weather") as stream:
        await stream.until_done()
        run = await stream.get_final_run()
    assert run.status == "requires_action"
    call = run.required_action.submit_tool_outputs.tool_calls[0]
    async with async_client.beta.threads.runs.submit_tool_outputs_stream(
            thread_id=thread.id, run_id=run.id, tool_outputs=[{"tool_call_id": call.id, "output": "18"}]) as stream:
        text = ""
        async for delta in stream.text_deltas:
            text += delta
        final = await stream.get_final_run()
    assert final.status == "completed" and text == "It is 18 degrees and sunny in Paris today."
