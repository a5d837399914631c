"""The hosted tools of the Responses API, and reasoning, through the official SDK: each step sync and
streamed (the stream helper's final response is the sync one), what ``include`` adds, citations,
MCP approval both ways, a reasoning model's stateless turns, forced hosted tools. Every answer and
every stream event is checked against the official spec (the ``client`` fixture)."""

from __future__ import annotations

import base64
import json
import struct
import zlib
from collections.abc import Callable
from typing import Any

import openai
import pytest

from fakeopenai.scenario.loader import parse_scenario_text
from fakeopenai.scenario.problems import ScenarioError

FILE_SEARCH = {"type": "file_search", "vector_store_ids": ["vs_docs"]}
WEB_SEARCH = {"type": "web_search"}
CODE = {"type": "code_interpreter", "container": {"type": "auto"}}
IMAGE = {"type": "image_generation", "partial_images": 2}
MCP = {"type": "mcp", "server_label": "wiki", "server_url": "https://mcp.example.com/sse", "require_approval": "never"}
MCP_ASKS = {**MCP, "require_approval": "always"}


@pytest.fixture
def strict(make_client: Callable[..., openai.OpenAI]) -> openai.OpenAI:
    """The SDK with strict response validation: a missing or mistyped field raises."""
    return make_client(max_retries=0, _strict_response_validation=True)


def both(fake_openai: Any, client: openai.OpenAI, scenario: dict[str, Any], **request: Any) -> tuple[Any, Any, list[Any]]:
    """The same request answered sync and streamed (the scenario loaded afresh for each, so both play
    the same steps with the same ids): (sync response, the stream helper's final response, its events)."""
    fake_openai.load(scenario)
    sync = client.responses.create(**request)
    fake_openai.load(scenario)
    with client.responses.stream(**request) as stream:
        events = list(stream)
        final = stream.get_final_response()
    assert plain(final.model_dump()) == plain(sync.model_dump())
    return sync, final, events


def plain(value: Any) -> Any:
    """A dumped response without the ``parsed`` fields the stream helper's ParsedResponse adds."""
    if isinstance(value, dict):
        return {key: plain(part) for key, part in value.items() if key != "parsed"}
    if isinstance(value, list):
        return [plain(part) for part in value]
    return value


def types(events: list[Any]) -> list[str]:
    """The events' types, a run of deltas as one."""
    out: list[str] = []
    for event in events:
        if not (out and out[-1] == event.type and event.type.endswith(".delta")):
            out.append(event.type)
    return out


# ----------------------------------------------------------------------------- reasoning

REASONING = {"responses": [{"steps": [
    {"reasoning": {"summary": ["Looking at the question.", "Paris is the capital."], "tokens": 40}},
    {"message": "Paris."}]}]}


def test_a_reasoning_step_is_a_reasoning_item_with_its_summary_when_asked(fake_openai: Any, strict: openai.OpenAI) -> None:
    sync, _, events = both(fake_openai, strict, REASONING, model="o4-mini", input="Capital of France?",
                           reasoning={"effort": "low", "summary": "auto"})
    reasoning, message = sync.output
    assert reasoning.type == "reasoning" and reasoning.id.startswith("rs_")
    assert [part.text for part in reasoning.summary] == ["Looking at the question.", "Paris is the capital."]
    assert reasoning.encrypted_content is None and sync.output_text == "Paris."
    usage = sync.usage
    assert usage is not None and usage.output_tokens_details.reasoning_tokens == 40
    assert usage.output_tokens == 40 + 2 and usage.total_tokens == usage.input_tokens + usage.output_tokens
    assert types(events)[:9] == [
        "response.created", "response.in_progress", "response.output_item.added",
        "response.reasoning_summary_part.added", "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.done", "response.reasoning_summary_part.done",
        "response.reasoning_summary_part.added", "response.reasoning_summary_text.delta"]
    done = [e for e in events if e.type == "response.reasoning_summary_text.done"]
    assert [(e.summary_index, e.text) for e in done] == [(0, "Looking at the question."), (1, "Paris is the capital.")]


def test_without_a_summary_asked_the_reasoning_item_has_none(fake_openai: Any, strict: openai.OpenAI) -> None:
    fake_openai.load(REASONING)
    response = strict.responses.create(model="o4-mini", input="Capital of France?")
    assert response.output[0].type == "reasoning" and response.output[0].summary == []
    assert response.usage is not None and response.usage.output_tokens_details.reasoning_tokens == 40


def test_encrypted_content_comes_when_included_and_is_accepted_back(fake_openai: Any, strict: openai.OpenAI) -> None:
    """A stateless reasoning client (store false, include reasoning.encrypted_content) resends the
    reasoning item with its function call: the conversation goes on, no new one starts."""
    fake_openai.load({"responses": [{"steps": [
        {"reasoning": {"summary": "I need the weather."}},
        {"tool_calls": [{"function": "get_weather", "arguments": {"city": "Paris"}}]},
        {"reasoning": {"summary": "Now I can answer."}},
        {"message": "It is sunny."}]}]})
    tools: Any = [{"type": "function", "name": "get_weather", "parameters": {"type": "object", "properties": {}}}]
    history: list[Any] = [{"role": "user", "content": "Weather in Paris?"}]
    first = strict.responses.create(model="o4-mini", input=history, tools=tools, store=False,
                                    include=["reasoning.encrypted_content"])
    reasoning, call = first.output
    assert reasoning.encrypted_content and reasoning.encrypted_content.startswith("gAAAAA")
    history += [item.model_dump(exclude_none=True) for item in first.output]
    history.append({"type": "function_call_output", "call_id": call.call_id, "output": "sunny"})
    second = strict.responses.create(model="o4-mini", input=history, tools=tools, store=False,
                                     include=["reasoning.encrypted_content"])
    assert second.output_text == "It is sunny." and second.output[0].type == "reasoning"
    assert second.output[0].encrypted_content != reasoning.encrypted_content
    assert fake_openai.violations == []


def test_reasoning_items_sent_back_are_checked_as_the_live_api_does(fake_openai: Any, strict: openai.OpenAI) -> None:
    fake_openai.load(REASONING)
    first = strict.responses.create(model="o4-mini", input="Hi", store=False)
    item = first.output[0].model_dump(exclude_none=True)
    with pytest.raises(openai.NotFoundError) as missing:   # not stored, and no encrypted_content: nothing to read
        strict.responses.create(model="o4-mini", input=[item, {"role": "user", "content": "More"}], store=False)
    assert "Items are not persisted when `store` is set to false" in missing.value.message
    assert missing.value.body["param"] == "input"  # type: ignore[index]
    with pytest.raises(openai.BadRequestError) as forged:
        strict.responses.create(model="o4-mini", input=[{**item, "encrypted_content": "gAAAAABmade-up=="}], store=False)
    assert forged.value.code == "invalid_encrypted_content"
    assert forged.value.body["message"] == "The encrypted content gAAA...up== could not be verified."  # type: ignore[index]
    stored = strict.responses.create(model="o4-mini", input="Hi")   # a stored response's item is read by id
    again = strict.responses.create(model="o4-mini", input=[stored.output[0].model_dump(exclude_none=True),
                                                            {"role": "user", "content": "More"}])
    assert again.status == "completed"
