"""LiteLLM against the fake: ``litellm.completion`` on Chat Completions (``openai/<model>``) and bridged to
Responses (``openai/responses/<model>``), ``litellm.responses`` and ``litellm.embedding``.

LiteLLM talks through its own HTTP clients, so it goes over the fake's socket (api_base, api_key)."""

from __future__ import annotations

import json
from typing import Any

import litellm
import pytest

from tests.frameworks.common import (
    CHAT,
    FILE_ANSWER,
    FILE_QUESTION,
    FIRST_ANSWER,
    FIRST_TURN,
    IMAGE_ANSWER,
    IMAGE_QUESTION,
    MODEL,
    PDF_DATA_URL,
    PDF_NAME,
    PNG_DATA_URL,
    RESPONSES,
    SECOND_ANSWER,
    SECOND_TURN,
    STRUCTURED_PROMPT,
    WEATHER_ANSWER,
    WEATHER_ARGUMENTS,
    WEATHER_QUESTION,
    WeatherReport,
    api_requests,
    get_weather,
    history_texts,
    parts,
    structured_answer,
    tool_calls_sent,
    tool_output_sent,
)

pytestmark = pytest.mark.fake_openai("scenario.yaml")
litellm.telemetry = False
# openai/<model> talks Chat Completions; openai/responses/<model> bridges completion() to the Responses API.
ROUTES = {CHAT: f"openai/{MODEL}", RESPONSES: f"openai/responses/{MODEL}"}
APIS = tuple(ROUTES)
TOOLS = [{"type": "function", "function": {
    "name": "get_weather", "description": "Current weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]


def completion(fake_openai: Any, api: str, messages: list[dict[str, Any]], **kwargs: Any) -> Any:
    return litellm.completion(model=ROUTES[api], messages=messages, api_base=fake_openai.base_url,
                              api_key=fake_openai.api_key, num_retries=0, **kwargs)


@pytest.mark.parametrize("api", APIS)
def test_tool_loop(fake_openai: Any, api: str) -> None:
    messages: list[dict[str, Any]] = [{"role": "user", "content": WEATHER_QUESTION}]
    first = completion(fake_openai, api, messages, tools=TOOLS)
    [call] = first.choices[0].message.tool_calls
    assert (call.function.name, json.loads(call.function.arguments)) == ("get_weather", WEATHER_ARGUMENTS)
    messages += [first.choices[0].message.model_dump(exclude_none=True),
                 {"role": "tool", "tool_call_id": call.id, "content": get_weather(**WEATHER_ARGUMENTS)}]
    answer = completion(fake_openai, api, messages, tools=TOOLS)
    assert answer.choices[0].message.content == WEATHER_ANSWER
    _, second = api_requests(fake_openai, api)
    assert tool_calls_sent(second["body"], api) == [("get_weather", WEATHER_ARGUMENTS)]
    assert tool_output_sent(second["body"], api) == ["18C and sunny in Paris"]


@pytest.mark.parametrize("api", APIS)
def test_stream(fake_openai: Any, api: str) -> None:
    messages: list[dict[str, Any]] = [{"role": "user", "content": WEATHER_QUESTION}]
    chunks = list(completion(fake_openai, api, messages, tools=TOOLS, stream=True))
    call = litellm.stream_chunk_builder(chunks, messages=messages).choices[0].message.tool_calls[0]
    assert json.loads(call.function.arguments) == WEATHER_ARGUMENTS
    function = {"name": "get_weather", "arguments": call.function.arguments}
    messages += [{"role": "assistant", "content": None, "tool_calls": [{"id": call.id, "type": "function",
                                                                        "function": function}]},
                 {"role": "tool", "tool_call_id": call.id, "content": get_weather(**WEATHER_ARGUMENTS)}]
    chunks = list(completion(fake_openai, api, messages, tools=TOOLS, stream=True,
                             stream_options={"include_usage": True}))
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    assert text == WEATHER_ANSWER
    assert litellm.stream_chunk_builder(chunks, messages=messages).usage.total_tokens > 0
    requests = api_requests(fake_openai, api)
    assert [r["body"].get("stream") for r in requests] == [True, True]
    assert tool_output_sent(requests[1]["body"], api) == ["18C and sunny in Paris"]


@pytest.mark.parametrize("api", APIS)
def test_structured_output(fake_openai: Any, api: str) -> None:
    answer = completion(fake_openai, api, [{"role": "user", "content": STRUCTURED_PROMPT}],
                        response_format=WeatherReport)
    report = WeatherReport.model_validate_json(answer.choices[0].message.content)
    assert report.model_dump() == structured_answer(fake_openai, api)
    [request] = api_requests(fake_openai, api)
    fmt = request["body"]["response_format"] if api == CHAT else request["body"]["text"]["format"]
    assert fmt["type"] == "json_schema"


@pytest.mark.parametrize("api", APIS)
def test_multi_turn_history(fake_openai: Any, api: str) -> None:
    messages: list[dict[str, Any]] = [{"role": "user", "content": FIRST_TURN}]
    first = completion(fake_openai, api, messages)
    assert first.choices[0].message.content == FIRST_ANSWER
    messages += [{"role": "assistant", "content": first.choices[0].message.content},
                 {"role": "user", "content": SECOND_TURN}]
    assert completion(fake_openai, api, messages).choices[0].message.content == SECOND_ANSWER
    assert history_texts(api_requests(fake_openai, api)[1]["body"], api) == [
        ("user", FIRST_TURN), ("assistant", FIRST_ANSWER), ("user", SECOND_TURN)]


@pytest.mark.parametrize("api", APIS)
def test_image_input(fake_openai: Any, api: str) -> None:
    answer = completion(fake_openai, api, [{"role": "user", "content": [
        {"type": "text", "text": IMAGE_QUESTION}, {"type": "image_url", "image_url": {"url": PNG_DATA_URL}}]}])
    assert answer.choices[0].message.content == IMAGE_ANSWER
    [request] = api_requests(fake_openai, api)
    images = [p for p in parts(request["body"], api) if p["type"] in ("image_url", "input_image")]
    assert len(images) == 1 and PNG_DATA_URL in str(images[0])


@pytest.mark.parametrize("api", APIS)
def test_file_input(fake_openai: Any, api: str) -> None:
    answer = completion(fake_openai, api, [{"role": "user", "content": [
        {"type": "text", "text": FILE_QUESTION},
        {"type": "file", "file": {"file_data": PDF_DATA_URL, "filename": PDF_NAME}}]}])
    assert answer.choices[0].message.content == FILE_ANSWER
    [request] = api_requests(fake_openai, api)
    files = [p for p in parts(request["body"], api) if p["type"] in ("file", "input_file")]
    assert len(files) == 1 and PDF_DATA_URL in str(files[0])


@pytest.mark.parametrize("api", APIS)
def test_safety_identifier(fake_openai: Any, api: str) -> None:
    """``safety_identifier`` (completion's own argument; it replaces ``user``) reaches the fake, accepted."""
    answer = completion(fake_openai, api, [{"role": "user", "content": FIRST_TURN}], safety_identifier="user-4711")
    assert answer.choices[0].message.content == FIRST_ANSWER
    [request] = api_requests(fake_openai, api)
    assert request["body"]["safety_identifier"] == "user-4711"


def test_responses_tool_loop(fake_openai: Any) -> None:
    """``litellm.responses``: the Responses API directly, the history resent with the output."""
    tools = [{"type": "function", "name": "get_weather", "parameters": TOOLS[0]["function"]["parameters"]}]
    kwargs = {"model": ROUTES[CHAT], "api_base": fake_openai.base_url, "api_key": fake_openai.api_key,
              "tools": tools}
    first = litellm.responses(input=WEATHER_QUESTION, **kwargs)
    [call] = [item for item in first.output if item.type == "function_call"]
    assert (call.name, json.loads(call.arguments)) == ("get_weather", WEATHER_ARGUMENTS)
    answer = litellm.responses(input=[
        {"role": "user", "content": WEATHER_QUESTION},
        {"type": "function_call", "call_id": call.call_id, "name": call.name, "arguments": call.arguments},
        {"type": "function_call_output", "call_id": call.call_id, "output": get_weather(**WEATHER_ARGUMENTS)}],
        **kwargs)
    texts = [part.text for item in answer.output if item.type == "message" for part in item.content]
    assert texts == [WEATHER_ANSWER]
    assert tool_output_sent(api_requests(fake_openai, RESPONSES)[1]["body"], RESPONSES) == ["18C and sunny in Paris"]


def test_responses_stream(fake_openai: Any) -> None:
    events = list(litellm.responses(model=ROUTES[CHAT], input=FIRST_TURN, stream=True, api_base=fake_openai.base_url,
                                    api_key=fake_openai.api_key))
    text = "".join(event.delta for event in events if event.type == "response.output_text.delta")
    assert text == FIRST_ANSWER
    assert events[-1].type == "response.completed"


def test_embeddings(fake_openai: Any) -> None:
    answer = litellm.embedding(model="openai/text-embedding-3-small", input=["cat", "kitten"],
                               api_base=fake_openai.base_url, api_key=fake_openai.api_key)
    cat, kitten = (item["embedding"] for item in answer.data)
    assert len(cat) == len(kitten) == 1536 and cat != kitten
    [request] = [r for r in fake_openai.requests if r["path"] == "/v1/embeddings"]
    assert request["body"]["input"] == ["cat", "kitten"]
