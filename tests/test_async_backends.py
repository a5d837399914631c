"""``fake_openai.async_client()`` (the in-process async transport) under each of anyio's backends:
asyncio, and trio, where no asyncio loop runs in the test's thread. The same SDK calls as over a
socket (``openai.AsyncOpenAI()`` from the environment the fixture sets): plain answers, streams
read to the end or left early, a delay past the client's timeout, a stream cut by a fault."""

from __future__ import annotations

from typing import Any

import openai
import pytest

BACKENDS = pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
# The SDK stops reading a stream at [DONE] and leaves its async generators (and httpx2's) suspended,
# whatever the transport; trio warns when the garbage collector finalizes one during its run, which
# depends on when a collection happens. Not the transport's doing, and not this test's subject.
pytestmark = pytest.mark.filterwarnings("ignore:Async generator .* was garbage collected:ResourceWarning")
TOOLS = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]


@pytest.mark.anyio
@BACKENDS
@pytest.mark.fake_openai(scenario="chat_tool_loop")
async def test_the_in_process_client_answers_as_the_socket_one_does(fake_openai: Any, anyio_backend: str) -> None:
    over_socket = openai.AsyncOpenAI()   # OPENAI_BASE_URL and OPENAI_API_KEY: the fixture's
    in_process = fake_openai.async_client(max_retries=0)
    assert [m.id for m in (await over_socket.models.list()).data] == \
        [m.id for m in (await in_process.models.list()).data]

    messages: list[Any] = [{"role": "user", "content": "Weather in Paris and Lyon?"}]
    calls = []
    while True:
        choice = (await in_process.chat.completions.create(model="gpt-4o", messages=messages,
                                                           tools=TOOLS)).choices[0]
        if choice.finish_reason != "tool_calls":
            break
        calls += [call.function.arguments for call in choice.message.tool_calls]
        messages += [choice.message, *({"role": "tool", "tool_call_id": call.id, "content": "18 C"}
                                       for call in choice.message.tool_calls)]
    assert calls == ['{"city": "Paris"}', '{"city": "Lyon"}']
    assert choice.message.content == "It is 18 °C and sunny in Paris, and 21 °C and cloudy in Lyon."

    stream = await in_process.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "Hi"}],
                                                      tools=TOOLS, stream=True)
    chunks = [chunk async for chunk in stream]
    assert chunks[-1].choices[0].finish_reason == "tool_calls"
    await in_process.close()
    await over_socket.close()


@pytest.mark.anyio
@BACKENDS
@pytest.mark.fake_openai(scenario="response_background_completes")
async def test_a_response_streamed_polled_and_left_early(fake_openai: Any, anyio_backend: str) -> None:
    client = fake_openai.async_client(max_retries=0)
    async with client.responses.stream(model="gpt-4o", input="The report?") as stream:
        async for _ in stream:
            pass
        final = await stream.get_final_response()
    assert (final.status, final.output_text) == ("completed", "Here is the quarterly report you asked for.")

    response = await client.responses.create(model="gpt-4o", input="The report?", background=True)
    seen = [response.status]
    while response.status in ("queued", "in_progress"):
        response = await client.responses.retrieve(response.id)
        seen.append(response.status)
    assert seen == ["queued", "in_progress", "in_progress", "completed"]

    events = await client.responses.create(model="gpt-4o", input="The report?", stream=True)
    async for event in events:
        if event.type == "response.output_text.delta":
            break   # the client leaves: the stream is closed, the server sees it go
    await events.close()
    assert (await client.models.list()).data   # the transport still answers
    await client.close()


@pytest.mark.anyio
@BACKENDS
async def test_a_delay_past_the_timeout_and_a_cut_stream(fake_openai: Any, anyio_backend: str) -> None:
    fake_openai.load({"faults": [
        {"match": {"method": "POST", "path": "/v1/threads"}, "delay_ms": 1000, "times": "always"},
        {"match": {"path": "/v1/chat/completions"}, "after_events": 2, "disconnect": True}]})
    client = fake_openai.async_client(max_retries=0, timeout=0.2)
    with pytest.raises(openai.APITimeoutError):
        await client.beta.threads.create()
    stream = await client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "Hi"}],
                                                  stream=True)
    got = []
    with pytest.raises(openai.APIError) as cut:
        async for chunk in stream:
            got.append(chunk)
    assert len(got) == 2 and "incomplete chunked read" in repr(cut.value.__context__ or cut.value)
    await client.close()
