"""pydantic-ai (OpenAIChatModel and OpenAIResponsesModel over an OpenAIProvider) against the fake."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pydantic_ai import Agent, BinaryContent, NativeOutput, PromptedOutput, ToolOutput
from pydantic_ai.models.openai import OpenAIChatModel, OpenAIResponsesModel
from pydantic_ai.providers.openai import OpenAIProvider

from tests.frameworks.common import (
    APIS,
    CHAT,
    FILE_ANSWER,
    FILE_QUESTION,
    FIRST_ANSWER,
    FIRST_TURN,
    IMAGE_ANSWER,
    IMAGE_QUESTION,
    JSON_MODE_ANSWER,
    JSON_MODE_PROMPT,
    MODEL,
    PDF,
    PDF_B64,
    PNG,
    PNG_B64,
    SECOND_ANSWER,
    SECOND_TURN,
    STRUCTURED_PROMPT,
    WEATHER_ANSWER,
    WEATHER_ARGUMENTS,
    WEATHER_QUESTION,
    Station,
    WeatherReport,
    api_requests,
    get_weather,
    history_texts,
    offered_tools,
    parts,
    structured_answer,
    tool_calls_sent,
    tool_output_sent,
)

pytestmark = pytest.mark.fake_openai("scenario.yaml")


def model(fake_openai: Any, api: str, *, client: bool = True) -> Any:
    provider = (OpenAIProvider(openai_client=fake_openai.async_client(max_retries=0)) if client
                else OpenAIProvider(base_url=fake_openai.base_url, api_key=fake_openai.api_key))
    return (OpenAIChatModel if api == CHAT else OpenAIResponsesModel)(MODEL, provider=provider)


@pytest.mark.parametrize("api", APIS)
def test_tool_loop(fake_openai: Any, api: str) -> None:
    agent = Agent(model(fake_openai, api), instructions="Answer about the weather.", tools=[get_weather])
    result = agent.run_sync(WEATHER_QUESTION)
    assert result.output == WEATHER_ANSWER
    _, second = api_requests(fake_openai, api)
    assert tool_calls_sent(second["body"], api) == [("get_weather", WEATHER_ARGUMENTS)]
    assert tool_output_sent(second["body"], api) == ["18C and sunny in Paris"]


@pytest.mark.parametrize("api", APIS)
def test_tool_loop_over_a_socket(fake_openai: Any, api: str) -> None:
    """The provider's own client (base_url and api_key), through the fake's socket."""
    agent = Agent(model(fake_openai, api, client=False), tools=[get_weather])
    assert agent.run_sync(WEATHER_QUESTION).output == WEATHER_ANSWER


@pytest.mark.parametrize("api", APIS)
def test_stream(fake_openai: Any, api: str) -> None:
    agent = Agent(model(fake_openai, api), tools=[get_weather])

    async def run() -> list[str]:
        async with agent.run_stream(WEATHER_QUESTION) as result:
            return [delta async for delta in result.stream_text(delta=True, debounce_by=None)]

    deltas = asyncio.run(run())
    assert "".join(deltas) == WEATHER_ANSWER and len(deltas) > 1
    requests = api_requests(fake_openai, api)
    assert [r["body"].get("stream") for r in requests] == [True, True]
    assert tool_output_sent(requests[1]["body"], api) == ["18C and sunny in Paris"]


@pytest.mark.parametrize("api", APIS)
def test_structured_output_tool(fake_openai: Any, api: str) -> None:
    """The default: the output is a tool call named final_result."""
    result = Agent(model(fake_openai, api), output_type=WeatherReport).run_sync(STRUCTURED_PROMPT)
    assert isinstance(result.output, WeatherReport)
    [request] = api_requests(fake_openai, api)
    assert offered_tools(request["body"]) == ["final_result"]
    assert result.output.model_dump() == structured_answer(fake_openai, api)


@pytest.mark.parametrize("api", APIS)
def test_structured_output_named_tool(fake_openai: Any, api: str) -> None:
    result = Agent(model(fake_openai, api), output_type=ToolOutput(WeatherReport, name="report")).run_sync(
        STRUCTURED_PROMPT)
    assert isinstance(result.output, WeatherReport)
    assert result.output.model_dump() == structured_answer(fake_openai, api)


@pytest.mark.parametrize("api", APIS)
def test_structured_output_native(fake_openai: Any, api: str) -> None:
    """NativeOutput: json_schema (response_format / text.format)."""
    result = Agent(model(fake_openai, api), output_type=NativeOutput(WeatherReport)).run_sync(STRUCTURED_PROMPT)
    assert isinstance(result.output, WeatherReport)
    [request] = api_requests(fake_openai, api)
    fmt = request["body"]["response_format"] if api == CHAT else request["body"]["text"]["format"]
    assert fmt["type"] == "json_schema"
    assert result.output.model_dump() == structured_answer(fake_openai, api)


@pytest.mark.parametrize("api", APIS)
def test_structured_output_native_pattern(fake_openai: Any, api: str) -> None:
    """A schema with a ``pattern``: the generated answer must match it, or pydantic-ai retries and fails."""
    result = Agent(model(fake_openai, api), output_type=NativeOutput(Station)).run_sync(
        "Name a weather station in Paris.")
    assert isinstance(result.output, Station) and len(result.output.code) == 4


@pytest.mark.parametrize("api", APIS)
def test_structured_output_prompted(fake_openai: Any, api: str) -> None:
    """PromptedOutput: the schema in the instructions, the JSON in the message (scripted)."""
    result = Agent(model(fake_openai, api), output_type=PromptedOutput(WeatherReport)).run_sync(JSON_MODE_PROMPT)
    assert result.output == WeatherReport(**JSON_MODE_ANSWER)


@pytest.mark.parametrize("api", APIS)
def test_multi_turn_history(fake_openai: Any, api: str) -> None:
    agent = Agent(model(fake_openai, api))
    first = agent.run_sync(FIRST_TURN)
    second = agent.run_sync(SECOND_TURN, message_history=first.all_messages())
    assert (first.output, second.output) == (FIRST_ANSWER, SECOND_ANSWER)
    assert history_texts(api_requests(fake_openai, api)[1]["body"], api) == [
        ("user", FIRST_TURN), ("assistant", FIRST_ANSWER), ("user", SECOND_TURN)]


@pytest.mark.parametrize("api", APIS)
def test_image_input(fake_openai: Any, api: str) -> None:
    result = Agent(model(fake_openai, api)).run_sync([IMAGE_QUESTION, BinaryContent(data=PNG, media_type="image/png")])
    assert result.output == IMAGE_ANSWER
    [request] = api_requests(fake_openai, api)
    images = [p for p in parts(request["body"], api) if p["type"] in ("image_url", "input_image")]
    assert len(images) == 1 and PNG_B64 in str(images[0])


@pytest.mark.parametrize("api", APIS)
def test_file_input(fake_openai: Any, api: str) -> None:
    result = Agent(model(fake_openai, api)).run_sync(
        [FILE_QUESTION, BinaryContent(data=PDF, media_type="application/pdf")])
    assert result.output == FILE_ANSWER
    [request] = api_requests(fake_openai, api)
    files = [p for p in parts(request["body"], api) if p["type"] in ("file", "input_file")]
    assert len(files) == 1 and PDF_B64 in str(files[0])
