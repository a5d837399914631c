"""LangChain (langchain-openai's ChatOpenAI and OpenAIEmbeddings, langchain's create_agent) against the fake,
on Chat Completions (use_responses_api=False) and on Responses (use_responses_api=True)."""

from __future__ import annotations

from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI, OpenAIEmbeddings

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
    LONG_PROMPT,
    MAX_TOKENS,
    MODEL,
    PDF_B64,
    PDF_NAME,
    PNG_B64,
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
    assert_cut_at_max_tokens,
    get_weather,
    history_texts,
    parts,
    structured_answer,
    tool_calls_sent,
    tool_output_sent,
)

pytestmark = pytest.mark.fake_openai("scenario.yaml")
weather_tool = tool(get_weather)


def chat_model(fake_openai: Any, api: str, **kwargs: Any) -> ChatOpenAI:
    return ChatOpenAI(model=MODEL, base_url=fake_openai.base_url, api_key=fake_openai.api_key,
                      use_responses_api=api == RESPONSES, max_retries=0, **kwargs)


@pytest.mark.parametrize("api", APIS)
def test_tool_loop_agent(fake_openai: Any, api: str) -> None:
    agent = create_agent(chat_model(fake_openai, api), tools=[weather_tool], system_prompt="Answer about the weather.")
    state = agent.invoke({"messages": [{"role": "user", "content": WEATHER_QUESTION}]})
    assert state["messages"][-1].text == WEATHER_ANSWER
    first, second = api_requests(fake_openai, api)
    assert tool_calls_sent(second["body"], api) == [("get_weather", WEATHER_ARGUMENTS)]
    assert tool_output_sent(second["body"], api) == ["18C and sunny in Paris"]


@pytest.mark.parametrize("api", APIS)
def test_stream_agent(fake_openai: Any, api: str) -> None:
    agent = create_agent(chat_model(fake_openai, api, streaming=True, stream_usage=True), tools=[weather_tool])
    streamed = [chunk.text for chunk, _ in agent.stream({"messages": [{"role": "user", "content": WEATHER_QUESTION}]},
                                                        stream_mode="messages")
                if chunk.type == "AIMessageChunk"]
    assert "".join(streamed) == WEATHER_ANSWER
    requests = api_requests(fake_openai, api)
    assert [r["body"].get("stream") for r in requests] == [True, True]
    assert tool_output_sent(requests[1]["body"], api) == ["18C and sunny in Paris"]


@pytest.mark.parametrize("api", APIS)
def test_stream_chunks_with_usage(fake_openai: Any, api: str) -> None:
    chunks = list(chat_model(fake_openai, api, stream_usage=True).stream(FIRST_TURN))
    message = chunks[0]
    for chunk in chunks[1:]:
        message += chunk
    assert message.text == FIRST_ANSWER and len(chunks) > 2
    assert message.usage_metadata and message.usage_metadata["total_tokens"] > 0


@pytest.mark.parametrize("method", ["json_schema", "function_calling"])
@pytest.mark.parametrize("api", APIS)
def test_structured_output(fake_openai: Any, api: str, method: str) -> None:
    structured = chat_model(fake_openai, api).with_structured_output(WeatherReport, method=method)
    report = structured.invoke(STRUCTURED_PROMPT)
    assert isinstance(report, WeatherReport)
    assert report.model_dump() == structured_answer(fake_openai, api)


@pytest.mark.parametrize("api", APIS)
def test_json_mode_scripted(fake_openai: Any, api: str) -> None:
    """json_mode (response_format / text.format json_object): the scenario scripts the JSON text."""
    report = chat_model(fake_openai, api).with_structured_output(WeatherReport, method="json_mode").invoke(
        JSON_MODE_PROMPT)
    assert report == WeatherReport(**JSON_MODE_ANSWER)
    [request] = api_requests(fake_openai, api)
    fmt = request["body"]["response_format"] if api == CHAT else request["body"]["text"]["format"]
    assert fmt == {"type": "json_object"}


@pytest.mark.parametrize("api", APIS)
def test_json_mode_generated(fake_openai: Any, api: str) -> None:
    """json_mode without a schema, unscripted: whatever JSON object the fake makes up parses as a dict."""
    answer = chat_model(fake_openai, api).with_structured_output(None, method="json_mode").invoke(STRUCTURED_PROMPT)
    assert isinstance(answer, dict) and answer == structured_answer(fake_openai, api)


@pytest.mark.parametrize("api", APIS)
def test_multi_turn_history(fake_openai: Any, api: str) -> None:
    llm = chat_model(fake_openai, api)
    first = llm.invoke([HumanMessage(FIRST_TURN)])
    assert first.text == FIRST_ANSWER
    second = llm.invoke([HumanMessage(FIRST_TURN), first, HumanMessage(SECOND_TURN)])
    assert second.text == SECOND_ANSWER
    assert history_texts(api_requests(fake_openai, api)[1]["body"], api) == [
        ("user", FIRST_TURN), ("assistant", FIRST_ANSWER), ("user", SECOND_TURN)]


@pytest.mark.parametrize("api", APIS)
def test_multi_turn_written_history(fake_openai: Any, api: str) -> None:
    """History a program keeps itself: an AIMessage made from text, not from an answer."""
    answer = chat_model(fake_openai, api).invoke(
        [HumanMessage(FIRST_TURN), AIMessage(FIRST_ANSWER), HumanMessage(SECOND_TURN)])
    assert answer.text == SECOND_ANSWER


@pytest.mark.parametrize("api", APIS)
def test_image_input(fake_openai: Any, api: str) -> None:
    answer = chat_model(fake_openai, api).invoke([HumanMessage(content=[
        {"type": "text", "text": IMAGE_QUESTION},
        {"type": "image", "base64": PNG_B64, "mime_type": "image/png"}])])
    assert answer.text == IMAGE_ANSWER
    [request] = api_requests(fake_openai, api)
    urls = [p["image_url"]["url"] if api == CHAT else p["image_url"] for p in parts(request["body"], api)
            if p["type"] in ("image_url", "input_image")]
    assert urls == [PNG_DATA_URL]


@pytest.mark.parametrize("api", APIS)
def test_image_url_block(fake_openai: Any, api: str) -> None:
    """The OpenAI-format block langchain's docs show (an image_url part)."""
    answer = chat_model(fake_openai, api).invoke([HumanMessage(content=[
        {"type": "text", "text": IMAGE_QUESTION}, {"type": "image_url", "image_url": {"url": PNG_DATA_URL}}])])
    assert answer.text == IMAGE_ANSWER


@pytest.mark.parametrize("api", APIS)
def test_file_input(fake_openai: Any, api: str) -> None:
    answer = chat_model(fake_openai, api).invoke([HumanMessage(content=[
        {"type": "text", "text": FILE_QUESTION},
        {"type": "file", "base64": PDF_B64, "mime_type": "application/pdf", "filename": PDF_NAME}])])
    assert answer.text == FILE_ANSWER
    [request] = api_requests(fake_openai, api)
    files = [p for p in parts(request["body"], api) if p["type"] in ("file", "input_file")]
    assert len(files) == 1 and PDF_B64 in str(files[0])


@pytest.mark.parametrize("api", APIS)
def test_max_tokens(fake_openai: Any, api: str) -> None:
    answer = chat_model(fake_openai, api, max_tokens=MAX_TOKENS).invoke(LONG_PROMPT)
    assert answer.usage_metadata["output_tokens"] <= MAX_TOKENS and len(answer.text.split()) <= MAX_TOKENS
    [request] = api_requests(fake_openai, api)
    assert request["body"]["max_completion_tokens" if api == CHAT else "max_output_tokens"] == MAX_TOKENS
    assert_cut_at_max_tokens(fake_openai, api)


def test_embeddings(fake_openai: Any) -> None:
    embeddings = OpenAIEmbeddings(model="text-embedding-3-small", base_url=fake_openai.base_url,
                                  api_key=fake_openai.api_key, check_embedding_ctx_length=False)
    cat, kitten = embeddings.embed_documents(["cat", "kitten"])
    assert len(cat) == len(kitten) == 1536 and cat != kitten
    assert embeddings.embed_query("cat") == cat
    [first, _] = [r for r in fake_openai.requests if r["path"] == "/v1/embeddings"]
    assert first["body"]["input"] == ["cat", "kitten"]
