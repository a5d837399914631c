"""The OpenAI Agents SDK (openai-agents) against the fake, on Chat Completions and on Responses."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from agents import (
    Agent,
    CodeInterpreterTool,
    FileSearchTool,
    HostedMCPTool,
    ImageGenerationTool,
    ModelBehaviorError,
    ModelSettings,
    OpenAIChatCompletionsModel,
    OpenAIResponsesModel,
    Runner,
    SQLiteSession,
    WebSearchTool,
    function_tool,
    set_tracing_disabled,
)
from agents.memory import OpenAIConversationsSession
from openai.types.responses import ResponseTextDeltaEvent
from openai.types.shared import Reasoning

from tests.frameworks.common import (
    APIS,
    CHAT,
    FILE_ANSWER,
    FILE_QUESTION,
    FIRST_ANSWER,
    FIRST_TURN,
    IMAGE_ANSWER,
    IMAGE_QUESTION,
    LONG_PROMPT,
    MAX_TOKENS,
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
    assert_cut_at_max_tokens,
    get_weather,
    history_texts,
    parts,
    structured_answer,
    tool_calls_sent,
    tool_output_sent,
)

pytestmark = pytest.mark.fake_openai("scenario.yaml")
set_tracing_disabled(True)
weather_tool = function_tool(get_weather)


def model(fake_openai: Any, api: str) -> Any:
    client = fake_openai.async_client()
    if api == CHAT:
        return OpenAIChatCompletionsModel(model=MODEL, openai_client=client)
    return OpenAIResponsesModel(model=MODEL, openai_client=client)


@pytest.mark.parametrize("api", APIS)
def test_tool_loop(fake_openai: Any, api: str) -> None:
    agent = Agent(name="Weather", instructions="Answer about the weather.", model=model(fake_openai, api),
                  tools=[weather_tool])
    result = Runner.run_sync(agent, WEATHER_QUESTION)
    assert result.final_output == WEATHER_ANSWER
    first, second = api_requests(fake_openai, api)
    assert tool_calls_sent(second["body"], api) == [("get_weather", WEATHER_ARGUMENTS)]
    assert tool_output_sent(second["body"], api) == ["18C and sunny in Paris"]


@pytest.mark.parametrize("api", APIS)
def test_stream(fake_openai: Any, api: str) -> None:
    agent = Agent(name="Weather", instructions="Answer about the weather.", model=model(fake_openai, api),
                  tools=[weather_tool], model_settings=ModelSettings(include_usage=True))

    async def run() -> tuple[str, Any]:
        result = Runner.run_streamed(agent, WEATHER_QUESTION)
        deltas = [event.data.delta async for event in result.stream_events()
                  if event.type == "raw_response_event" and isinstance(event.data, ResponseTextDeltaEvent)]
        return "".join(deltas), result

    text, result = asyncio.run(run())
    assert text == WEATHER_ANSWER and result.final_output == WEATHER_ANSWER
    requests = api_requests(fake_openai, api)
    assert [r["body"].get("stream") for r in requests] == [True, True]
    assert tool_output_sent(requests[1]["body"], api) == ["18C and sunny in Paris"]
    assert sum(r.usage.total_tokens for r in result.raw_responses) > 0


@pytest.mark.parametrize("api", APIS)
def test_structured_output(fake_openai: Any, api: str) -> None:
    agent = Agent(name="Reporter", model=model(fake_openai, api), output_type=WeatherReport)
    result = Runner.run_sync(agent, STRUCTURED_PROMPT)
    assert isinstance(result.final_output, WeatherReport)
    [request] = api_requests(fake_openai, api)
    fmt = request["body"]["response_format"] if api == CHAT else request["body"]["text"]["format"]
    assert fmt["type"] == "json_schema"
    assert result.final_output.model_dump() == structured_answer(fake_openai, api)


@pytest.mark.parametrize("api", APIS)
def test_multi_turn_session(fake_openai: Any, api: str) -> None:
    agent = Agent(name="Friend", model=model(fake_openai, api))
    session = SQLiteSession("ada")
    assert Runner.run_sync(agent, FIRST_TURN, session=session).final_output == FIRST_ANSWER
    assert Runner.run_sync(agent, SECOND_TURN, session=session).final_output == SECOND_ANSWER
    _, second = api_requests(fake_openai, api)
    assert [(role, text) for role, text in history_texts(second["body"], api) if role != "system"] == [
        ("user", FIRST_TURN), ("assistant", FIRST_ANSWER), ("user", SECOND_TURN)]


@pytest.mark.parametrize("api", [RESPONSES])
def test_multi_turn_conversations_session(fake_openai: Any, api: str) -> None:
    """The session kept on the Conversations API (its items read back and resent with each turn). Responses
    only: with a Chat Completions model the SDK strips the ids of the session's assistant items and then its
    own chat converter refuses them ("Unhandled item type or structure"), whatever the server answers."""
    agent = Agent(name="Friend", model=model(fake_openai, api))
    session = OpenAIConversationsSession(openai_client=fake_openai.async_client())
    assert Runner.run_sync(agent, FIRST_TURN, session=session).final_output == FIRST_ANSWER
    assert Runner.run_sync(agent, SECOND_TURN, session=session).final_output == SECOND_ANSWER
    _, second = api_requests(fake_openai, api)
    assert [t for t in history_texts(second["body"], api) if t[0] != "system"] == [
        ("user", FIRST_TURN), ("assistant", FIRST_ANSWER), ("user", SECOND_TURN)]


@pytest.mark.parametrize("api", APIS)
def test_multi_turn_input_list(fake_openai: Any, api: str) -> None:
    agent = Agent(name="Friend", model=model(fake_openai, api))
    first = Runner.run_sync(agent, FIRST_TURN)
    second = Runner.run_sync(agent, first.to_input_list() + [{"role": "user", "content": SECOND_TURN}])
    assert (first.final_output, second.final_output) == (FIRST_ANSWER, SECOND_ANSWER)
    assert [t for t in history_texts(api_requests(fake_openai, api)[1]["body"], api) if t[0] != "system"] == [
        ("user", FIRST_TURN), ("assistant", FIRST_ANSWER), ("user", SECOND_TURN)]


@pytest.mark.parametrize("api", APIS)
def test_image_input(fake_openai: Any, api: str) -> None:
    agent = Agent(name="Eyes", model=model(fake_openai, api))
    result = Runner.run_sync(agent, [{"role": "user", "content": [
        {"type": "input_text", "text": IMAGE_QUESTION},
        {"type": "input_image", "image_url": PNG_DATA_URL, "detail": "auto"}]}])
    assert result.final_output == IMAGE_ANSWER
    [request] = api_requests(fake_openai, api)
    sent = parts(request["body"], api)
    if api == CHAT:
        assert {"type": "image_url", "image_url": {"url": PNG_DATA_URL, "detail": "auto"}} in sent
    else:
        assert {"type": "input_image", "image_url": PNG_DATA_URL, "detail": "auto"} in sent


@pytest.mark.parametrize("api", APIS)
def test_file_input(fake_openai: Any, api: str) -> None:
    agent = Agent(name="Reader", model=model(fake_openai, api))
    result = Runner.run_sync(agent, [{"role": "user", "content": [
        {"type": "input_file", "file_data": PDF_DATA_URL, "filename": PDF_NAME},
        {"type": "input_text", "text": FILE_QUESTION}]}])
    assert result.final_output == FILE_ANSWER
    [request] = api_requests(fake_openai, api)
    sent = parts(request["body"], api)
    if api == CHAT:
        assert [p["file"] for p in sent if p["type"] == "file"] == [{"file_data": PDF_DATA_URL, "filename": PDF_NAME}]
    else:
        assert [(p["file_data"], p["filename"]) for p in sent if p["type"] == "input_file"] == [
            (PDF_DATA_URL, PDF_NAME)]


@pytest.mark.parametrize("api", APIS)
def test_max_tokens(fake_openai: Any, api: str) -> None:
    agent = Agent(name="Teller", model=model(fake_openai, api), model_settings=ModelSettings(max_tokens=MAX_TOKENS))
    if api == CHAT:
        result = Runner.run_sync(agent, LONG_PROMPT)
        assert len(result.final_output.split()) <= MAX_TOKENS
        assert result.raw_responses[-1].usage.output_tokens <= MAX_TOKENS
    else:   # the live API ends the response incomplete, and the Agents SDK raises on that terminal event
        with pytest.raises(ModelBehaviorError, match="incomplete.*max_output_tokens"):
            Runner.run_sync(agent, LONG_PROMPT)
    assert_cut_at_max_tokens(fake_openai, api)


def test_handoff_continues_the_conversation(fake_openai: Any) -> None:
    """A triage agent hands off to the weather agent, which runs the tool loop (Responses)."""
    weather = Agent(name="Weather", instructions="Answer about the weather.", model=model(fake_openai, "responses"),
                    tools=[weather_tool])
    triage = Agent(name="Triage", instructions="Hand weather questions to the weather agent.",
                   model=model(fake_openai, "responses"), handoffs=[weather])
    result = Runner.run_sync(triage, WEATHER_QUESTION)
    assert result.final_output == WEATHER_ANSWER and result.last_agent is weather
    assert [name for name, _ in tool_calls_sent(api_requests(fake_openai, "responses")[-1]["body"], "responses")] == [
        "transfer_to_weather", "get_weather"]
    assert tool_output_sent(api_requests(fake_openai, "responses")[-1]["body"], "responses")[-1] == (
        "18C and sunny in Paris")



@pytest.mark.parametrize("stream", [False, True], ids=["run", "streamed"])
def test_hosted_tools_and_mcp_approval(fake_openai: Any, stream: bool) -> None:
    """WebSearchTool, FileSearchTool, CodeInterpreterTool, ImageGenerationTool and a HostedMCPTool whose
    calls the app approves, on a reasoning model (Responses only: the tools are hosted by it; the scenario's
    hosted_tools script)."""
    asked: list[str] = []

    def approve(request: Any) -> Any:
        asked.append(request.data.name)
        return {"approve": True}

    agent = Agent(
        name="Research", instructions="Answer with the documents.", model=model(fake_openai, RESPONSES),
        model_settings=ModelSettings(reasoning=Reasoning(effort="low", summary="auto")),
        tools=[FileSearchTool(vector_store_ids=["vs_docs"]), WebSearchTool(),
               CodeInterpreterTool(tool_config={"type": "code_interpreter", "container": {"type": "auto"}}),
               ImageGenerationTool(tool_config={"type": "image_generation", "partial_images": 1}),
               HostedMCPTool(tool_config={"type": "mcp", "server_label": "wiki", "require_approval": "always",
                                          "server_url": "https://mcp.example.com/mcp"},
                             on_approval_request=approve)])
    if stream:
        async def run() -> Any:
            streamed = Runner.run_streamed(agent, "How long do refunds take?")
            async for _ in streamed.stream_events():
                pass
            return streamed
        result = asyncio.run(run())
    else:
        result = Runner.run_sync(agent, "How long do refunds take?")
    assert result.final_output == "Refunds take 30 days." and asked == ["ask_question"]
    assert [type(item).__name__ for item in result.new_items] == [
        "ReasoningItem", "ToolCallItem", "ToolCallItem", "ToolCallItem", "ToolCallItem", "MCPListToolsItem",
        "MCPApprovalRequestItem", "MCPApprovalResponseItem", "ToolCallItem", "MessageOutputItem"]
    assert fake_openai.violations == []
