"""LlamaIndex (llama-index-llms-openai's OpenAI and OpenAIResponses, llama-index-embeddings-openai) against
the fake. It needs openai < 3: it runs in its own venv, .venv-llamaindex."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from llama_index.core.agent.workflow import AgentStream, FunctionAgent
from llama_index.core.llms import ChatMessage, DocumentBlock, ImageBlock, TextBlock
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from llama_index.embeddings.openai import OpenAIEmbedding
from llama_index.llms.openai import OpenAI, OpenAIResponses

from tests.frameworks.common import (
    APIS,
    CHAT,
    FILE_ANSWER,
    FILE_QUESTION,
    FIRST_ANSWER,
    FIRST_TURN,
    IMAGE_ANSWER,
    IMAGE_QUESTION,
    MODEL,
    PDF,
    PDF_B64,
    PNG,
    PNG_B64,
    SECOND_ANSWER,
    SECOND_TURN,
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
weather_tool = FunctionTool.from_defaults(fn=get_weather)


def llm(fake_openai: Any, api: str) -> Any:
    kind = OpenAI if api == CHAT else OpenAIResponses
    return kind(model=MODEL, api_base=fake_openai.base_url, api_key=fake_openai.api_key, max_retries=0)


@pytest.mark.parametrize("api", APIS)
def test_tool_loop_agent_streams(fake_openai: Any, api: str) -> None:
    """FunctionAgent: the tool loop, its LLM calls streamed (the agent's default)."""
    agent = FunctionAgent(tools=[weather_tool], llm=llm(fake_openai, api), system_prompt="Answer about the weather.")

    async def run() -> tuple[str, str]:
        handler = agent.run(user_msg=WEATHER_QUESTION)
        deltas = [event.delta async for event in handler.stream_events() if isinstance(event, AgentStream)]
        return "".join(deltas), str(await handler)

    streamed, answer = asyncio.run(run())
    assert answer == WEATHER_ANSWER and streamed == WEATHER_ANSWER
    requests = api_requests(fake_openai, api)
    assert len(requests) == 2 and all(r["body"].get("stream") for r in requests)
    assert tool_calls_sent(requests[1]["body"], api) == [("get_weather", WEATHER_ARGUMENTS)]
    assert tool_output_sent(requests[1]["body"], api) == ["18C and sunny in Paris"]


@pytest.mark.parametrize("api", APIS)
def test_tool_loop_by_hand(fake_openai: Any, api: str) -> None:
    """chat_with_tools, get_tool_calls_from_response, a tool message: the loop without an agent."""
    model = llm(fake_openai, api)
    history = [ChatMessage(role="user", content=WEATHER_QUESTION)]
    first = model.chat_with_tools([weather_tool], chat_history=history)
    [call] = model.get_tool_calls_from_response(first, error_on_no_tool_call=True)
    assert (call.tool_name, call.tool_kwargs) == ("get_weather", WEATHER_ARGUMENTS)
    history += [first.message, ChatMessage(role="tool", content=get_weather(**call.tool_kwargs),
                                           additional_kwargs={"tool_call_id": call.tool_id, "name": call.tool_name})]
    answer = model.chat_with_tools([weather_tool], chat_history=history)
    assert answer.message.content == WEATHER_ANSWER


@pytest.mark.parametrize("api", APIS)
def test_stream_chat(fake_openai: Any, api: str) -> None:
    stream = llm(fake_openai, api).stream_chat([ChatMessage(role="user", content=FIRST_TURN)])
    deltas = [chunk.delta for chunk in stream]
    assert "".join(d or "" for d in deltas) == FIRST_ANSWER and len(deltas) > 1


@pytest.mark.parametrize("api", APIS)
def test_structured_predict(fake_openai: Any, api: str) -> None:
    report = llm(fake_openai, api).structured_predict(WeatherReport, PromptTemplate("The weather report for {city}."),
                                                      city="Paris")
    assert isinstance(report, WeatherReport)
    assert report.model_dump() == structured_answer(fake_openai, api)


@pytest.mark.parametrize("api", APIS)
def test_structured_llm(fake_openai: Any, api: str) -> None:
    structured = llm(fake_openai, api).as_structured_llm(WeatherReport)
    answer = structured.chat([ChatMessage(role="user", content="The weather report for Paris.")])
    assert isinstance(answer.raw, WeatherReport)
    assert answer.raw.model_dump() == structured_answer(fake_openai, api)


@pytest.mark.parametrize("api", APIS)
def test_multi_turn_history(fake_openai: Any, api: str) -> None:
    model = llm(fake_openai, api)
    history = [ChatMessage(role="user", content=FIRST_TURN)]
    first = model.chat(history)
    assert first.message.content == FIRST_ANSWER
    second = model.chat([*history, first.message, ChatMessage(role="user", content=SECOND_TURN)])
    assert second.message.content == SECOND_ANSWER
    assert history_texts(api_requests(fake_openai, api)[1]["body"], api) == [
        ("user", FIRST_TURN), ("assistant", FIRST_ANSWER), ("user", SECOND_TURN)]


@pytest.mark.parametrize("api", APIS)
def test_image_input(fake_openai: Any, api: str) -> None:
    answer = llm(fake_openai, api).chat([ChatMessage(role="user", blocks=[
        TextBlock(text=IMAGE_QUESTION), ImageBlock(image=PNG, image_mimetype="image/png")])])
    assert answer.message.content == IMAGE_ANSWER
    [request] = api_requests(fake_openai, api)
    images = [p for p in parts(request["body"], api) if p["type"] in ("image_url", "input_image")]
    assert len(images) == 1 and PNG_B64 in str(images[0])


@pytest.mark.parametrize("api", APIS)
def test_file_input(fake_openai: Any, api: str) -> None:
    answer = llm(fake_openai, api).chat([ChatMessage(role="user", blocks=[
        TextBlock(text=FILE_QUESTION), DocumentBlock(data=PDF, title="report", document_mimetype="application/pdf")])])
    assert answer.message.content == FILE_ANSWER
    [request] = api_requests(fake_openai, api)
    files = [p for p in parts(request["body"], api) if p["type"] in ("file", "input_file")]
    assert len(files) == 1 and PDF_B64 in str(files[0])


def test_embeddings(fake_openai: Any) -> None:
    model = OpenAIEmbedding(model="text-embedding-3-small", api_base=fake_openai.base_url, api_key=fake_openai.api_key)
    cat, kitten = model.get_text_embedding_batch(["cat", "kitten"])
    assert len(cat) == len(kitten) == 1536 and cat != kitten
    assert model.get_query_embedding("cat") == cat
