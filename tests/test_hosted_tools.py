"""The hosted tools of the Responses API, and reasoning, through the official SDK: each step sync and
streamed (the stream helper's final response is the sync one), what ``include`` adds, citations,
MCP approval both ways, a reasoning model's stateless turns, forced hosted tools. Every answer and
every stream event is checked against the official spec (the ``client`` fixture)."""

from __future__ import annotations

import base64
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openai
import pytest
import yaml

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


def both(fake_openai: Any, client: openai.OpenAI, scenario: dict[str, Any],
         **request: Any) -> tuple[Any, Any, list[Any]]:
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


def test_a_reasoning_step_is_a_reasoning_item_with_its_summary_when_asked(fake_openai: Any,
                                                                         strict: openai.OpenAI) -> None:
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


# ----------------------------------------------------------------------------- file search

POLICY = {"file_id": "file-policy", "filename": "refunds.pdf", "score": 0.93, "text": "Refunds within 30 days.",
          "attributes": {"year": 2026}}
FILES = {"responses": [{"match": {"last_message": {"contains": "refund"}}, "steps": [
    {"file_search": {"query": "refund policy", "results": [POLICY, {**POLICY, "text": "Keep the receipt."},
                                                            {"file_id": "file-faq", "filename": "faq.md"}]}},
    {"message": "You can get a refund within 30 days."}]}]}


def test_a_file_search_step_is_a_file_search_call_and_the_message_cites_the_files(
        fake_openai: Any, strict: openai.OpenAI) -> None:
    sync, _, events = both(fake_openai, strict, FILES, model="gpt-4.1", input="What is the refund policy?",
                           tools=[FILE_SEARCH])
    call, message = sync.output
    assert call.type == "file_search_call" and call.id.startswith("fs_") and call.status == "completed"
    assert call.queries == ["refund policy"] and call.results is None   # results only when included
    text = message.content[0]
    assert text.text == "You can get a refund within 30 days."
    assert [(a.type, a.file_id, a.filename, a.index) for a in text.annotations] == [
        ("file_citation", "file-policy", "refunds.pdf", len(text.text)),
        ("file_citation", "file-faq", "faq.md", len(text.text))]
    assert types(events) == [
        "response.created", "response.in_progress", "response.output_item.added",
        "response.file_search_call.in_progress", "response.file_search_call.searching",
        "response.file_search_call.completed", "response.output_item.done",
        "response.output_item.added", "response.content_part.added", "response.output_text.delta",
        "response.output_text.annotation.added", "response.output_text.annotation.added",
        "response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed"]
    added = [e for e in events if e.type == "response.output_text.annotation.added"]
    annotation = added[0].annotation   # typed in openai-python 3.x, a dict in 1.x
    assert [e.annotation_index for e in added] == [0, 1]
    assert (annotation if isinstance(annotation, dict) else annotation.model_dump())["file_id"] == "file-policy"
    assert fake_openai.violations == []


def test_file_search_results_come_when_included(fake_openai: Any, strict: openai.OpenAI) -> None:
    sync, _, _ = both(fake_openai, strict, FILES, model="gpt-4.1", input="What is the refund policy?",
                      tools=[{**FILE_SEARCH, "max_num_results": 2}], include=["file_search_call.results"])
    results = sync.output[0].results
    assert [(r.file_id, r.filename, r.score, r.text, r.attributes) for r in results] == [
        ("file-policy", "refunds.pdf", 0.93, "Refunds within 30 days.", {"year": 2026}),
        ("file-policy", "refunds.pdf", 0.93, "Keep the receipt.", {"year": 2026})]   # max_num_results: 2
    assert len(sync.output[1].content[0].annotations) == 1   # one file cited once


def test_a_file_search_without_results_finds_generated_ones(fake_openai: Any, strict: openai.OpenAI) -> None:
    fake_openai.load({"responses": [{"steps": [{"file_search": {}}, {"message": "Found it."}]}]})
    response = strict.responses.create(model="gpt-4.1", input="Where is the invoice?", tools=[FILE_SEARCH],
                                       include=["file_search_call.results"])
    call = response.output[0]
    assert call.queries == ["Where is the invoice?"]
    assert len(call.results) == 2 and call.results[0].score > call.results[1].score
    assert all(r.file_id.startswith("file-") and r.text for r in call.results)
    assert len(response.output[1].content[0].annotations) == 2


def test_a_scripted_search_the_request_did_not_offer_is_a_violation(fake_openai: Any, client: openai.OpenAI) -> None:
    fake_openai.load(FILES)
    client.responses.create(model="gpt-4.1", input="What is the refund policy?")
    [violation] = fake_openai.take_violations()
    assert violation["kind"] == "tool_not_offered" and violation["actual"] == "file_search"
    assert "the request offered no tools" in violation["message"]


# ----------------------------------------------------------------------------- web search

NEWS = {"responses": [{"steps": [
    {"web_search": {"query": "fakeopenai release", "results": [
        {"url": "https://example.org/news", "title": "Example News"}, {"url": "https://blog.example.com/post"}]}},
    {"message": "Example News says it shipped; see blog.example.com too."}]}]}


def test_a_web_search_step_is_a_web_search_call_with_url_citations(fake_openai: Any, strict: openai.OpenAI) -> None:
    sync, _, events = both(fake_openai, strict, NEWS, model="gpt-4.1", input="Any news?", tools=[WEB_SEARCH])
    call, message = sync.output
    assert call.type == "web_search_call" and call.id.startswith("ws_") and call.status == "completed"
    assert call.action.type == "search" and call.action.query == "fakeopenai release" and call.action.sources is None
    text = message.content[0].text
    first, second = message.content[0].annotations
    assert (first.url, first.title, text[first.start_index:first.end_index]) == (
        "https://example.org/news", "Example News", "Example News")
    assert (second.title, text[second.start_index:second.end_index]) == ("blog.example.com", "blog.example.com")
    assert types(events)[2:7] == ["response.output_item.added", "response.web_search_call.in_progress",
                                  "response.web_search_call.searching", "response.web_search_call.completed",
                                  "response.output_item.done"]


def test_web_search_sources_come_when_included(fake_openai: Any, strict: openai.OpenAI) -> None:
    sync, _, _ = both(fake_openai, strict, NEWS, model="gpt-4.1", input="Any news?", tools=[WEB_SEARCH],
                      include=["web_search_call.action.sources"])
    assert [(s.type, s.url) for s in sync.output[0].action.sources] == [
        ("url", "https://example.org/news"), ("url", "https://blog.example.com/post")]


def test_a_search_without_citations(fake_openai: Any, strict: openai.OpenAI) -> None:
    fake_openai.load({"responses": [{"steps": [{"web_search": {"query": "q", "cite": False}}, {"message": "Done."}]}]})
    response = strict.responses.create(model="gpt-4.1", input="Search", tools=[{"type": "web_search_preview"}])
    assert response.output[1].content[0].annotations == []


# ----------------------------------------------------------------------------- MCP

ASK = {"mcp": {"server_label": "wiki", "tool": "ask_question", "arguments": {"question": "What is MCP?"},
               "output": "The Model Context Protocol."}}
WIKI = {"responses": [{"steps": [ASK, {"mcp": {**ASK["mcp"], "arguments": {"question": "Who made it?"},
                                               "output": "Anthropic."}},
                                 {"message": "MCP is the Model Context Protocol, by Anthropic."}]}]}


def test_an_mcp_step_lists_the_servers_tools_once_then_calls(fake_openai: Any, strict: openai.OpenAI) -> None:
    sync, _, events = both(fake_openai, strict, WIKI, model="gpt-4.1", input="Tell me about MCP", tools=[MCP])
    listing, first, second, message = sync.output
    assert listing.type == "mcp_list_tools" and listing.server_label == "wiki" and listing.id.startswith("mcpl_")
    assert [(t.name, t.input_schema) for t in listing.tools] == [
        ("ask_question", {"type": "object", "properties": {"question": {"type": "string"}}, "required": ["question"]})]
    assert (first.type, first.name, first.arguments, first.output, first.status, first.approval_request_id) == (
        "mcp_call", "ask_question", '{"question": "What is MCP?"}', "The Model Context Protocol.", "completed", None)
    assert second.output == "Anthropic." and message.content[0].text.startswith("MCP is")
    assert types(events)[2:14] == [
        "response.output_item.added", "response.mcp_list_tools.in_progress", "response.mcp_list_tools.completed",
        "response.output_item.done", "response.output_item.added", "response.mcp_call.in_progress",
        "response.mcp_call_arguments.delta", "response.mcp_call_arguments.done", "response.mcp_call.completed",
        "response.output_item.done", "response.output_item.added", "response.mcp_call.in_progress"]
    assert fake_openai.violations == []


def test_an_mcp_call_that_fails(fake_openai: Any, client: openai.OpenAI) -> None:
    """The error is the spec's object (openai-python 3.x reads it; 1.x and the Node SDK type it a string:
    not the strict client here)."""
    fake_openai.load({"responses": [{"steps": [
        {"mcp": {"server_label": "wiki", "tool": "ask_question", "error": "Repository not found"}},
        {"message": "The wiki could not answer."}]}]})
    call = client.responses.create(model="gpt-4.1", input="Ask", tools=[MCP]).output[1]
    assert call.status == "failed" and call.output is None
    error = call.error if isinstance(call.error, dict) else call.error.model_dump()
    assert error == {"type": "mcp_tool_execution_error", "content": [{"type": "text", "text": "Repository not found"}]}


APPROVAL = {"responses": [{"steps": [{"mcp": {**ASK["mcp"], "approval": "required"}},
                                     {"message": "It is the Model Context Protocol."}]}]}


@pytest.mark.parametrize("stream", [False, True], ids=["sync", "streamed"])
def test_an_approved_mcp_call_is_made_by_the_request_that_approves_it(
        fake_openai: Any, strict: openai.OpenAI, stream: bool) -> None:
    fake_openai.load(APPROVAL)
    request: Any = {"model": "gpt-4.1", "tools": [MCP]}
    if stream:
        with strict.responses.stream(input="Tell me about MCP", **request) as events:
            first = events.get_final_response()
    else:
        first = strict.responses.create(input="Tell me about MCP", **request)
    listing, ask = first.output
    assert first.status == "completed" and listing.type == "mcp_list_tools"
    assert (ask.type, ask.server_label, ask.name, ask.arguments) == (
        "mcp_approval_request", "wiki", "ask_question", '{"question": "What is MCP?"}')
    assert ask.id.startswith("mcpr_")
    answer: Any = [{"type": "mcp_approval_response", "approval_request_id": ask.id, "approve": True}]
    if stream:
        with strict.responses.stream(previous_response_id=first.id, input=answer, **request) as events:
            second = events.get_final_response()
    else:
        second = strict.responses.create(previous_response_id=first.id, input=answer, **request)
    call, message = second.output   # the tools were listed in this conversation already
    assert (call.type, call.approval_request_id, call.output) == ("mcp_call", ask.id, "The Model Context Protocol.")
    assert message.content[0].text == "It is the Model Context Protocol."
    assert [item.type for item in strict.responses.input_items.list(second.id, order="asc")] == [
        "message", "mcp_list_tools", "mcp_approval_request", "mcp_approval_response"]
    assert fake_openai.violations == []


def test_a_declined_mcp_call_is_not_made_and_the_script_goes_on(fake_openai: Any, strict: openai.OpenAI) -> None:
    """Statelessly: the client resends the history with its decision."""
    fake_openai.load(APPROVAL)
    history: list[Any] = [{"role": "user", "content": "Tell me about MCP"}]
    first = strict.responses.create(model="gpt-4.1", input=history, tools=[MCP_ASKS], store=False)
    ask = first.output[-1]
    history += [item.model_dump(exclude_none=True) for item in first.output]
    history.append({"type": "mcp_approval_response", "approval_request_id": ask.id, "approve": False,
                    "reason": "Not now"})
    second = strict.responses.create(model="gpt-4.1", input=history, tools=[MCP_ASKS], store=False)
    assert [item.type for item in second.output] == ["message"]
    assert second.output_text == "It is the Model Context Protocol."
    assert fake_openai.violations == []


def test_the_request_tool_decides_approval_by_default(fake_openai: Any, strict: openai.OpenAI) -> None:
    """require_approval always (the live API's default when left out), or a never filter naming the tool."""
    for tool, expected in (({**MCP, "require_approval": None}, "mcp_approval_request"),
                           ({k: v for k, v in MCP.items() if k != "require_approval"}, "mcp_approval_request"),
                           ({**MCP, "require_approval": {"never": {"tool_names": ["ask_question"]}}}, "mcp_call"),
                           (MCP, "mcp_call")):
        fake_openai.load({"responses": [{"steps": [ASK, {"message": "Done."}]}]})
        response = strict.responses.create(model="gpt-4.1", input="Ask", tools=[tool])
        assert response.output[1].type == expected, tool


def test_an_approval_for_no_request_is_a_400(fake_openai: Any, strict: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        strict.responses.create(model="gpt-4.1", tools=[MCP], input=[
            {"type": "mcp_approval_response", "approval_request_id": "mcpr_nope", "approve": True}])
    assert raised.value.body["param"] == "input"  # type: ignore[index]
    assert "mcpr_nope" in raised.value.body["message"]  # type: ignore[index]


def test_an_mcp_tool_outside_allowed_tools_is_a_violation(fake_openai: Any, client: openai.OpenAI) -> None:
    fake_openai.load({"responses": [{"steps": [ASK, {"message": "Done."}]}]})
    client.responses.create(model="gpt-4.1", input="Ask", tools=[{**MCP, "allowed_tools": ["read_page"]}])
    [violation] = fake_openai.take_violations()
    assert violation["kind"] == "tool_not_offered" and "wiki: read_page" in violation["message"]



def test_an_approval_through_a_conversation(fake_openai: Any, strict: openai.OpenAI) -> None:
    fake_openai.load(APPROVAL)
    conversation = strict.conversations.create()
    first = strict.responses.create(model="gpt-4.1", conversation=conversation.id, input="Tell me about MCP",
                                    tools=[MCP_ASKS])
    ask = first.output[-1]
    second = strict.responses.create(model="gpt-4.1", conversation=conversation.id, tools=[MCP_ASKS], input=[
        {"type": "mcp_approval_response", "approval_request_id": ask.id, "approve": True}])
    assert [item.type for item in second.output] == ["mcp_call", "message"]
    items = strict.conversations.items.list(conversation.id, order="asc")
    assert [item.type for item in items.data] == ["message", "mcp_list_tools", "mcp_approval_request",
                                                  "mcp_approval_response", "mcp_call", "message"]


def test_a_background_response_moves_one_hosted_step_per_read(fake_openai: Any, strict: openai.OpenAI) -> None:
    fake_openai.load({"responses": [{"steps": [
        {"status": "queued"}, {"reasoning": "Thinking."}, {"file_search": "refunds"}, {"message": "Done."}]}]})
    response = strict.responses.create(model="o4-mini", input="Refunds?", tools=[FILE_SEARCH], background=True)
    seen = []
    while response.status in ("queued", "in_progress"):
        seen.append([item.type for item in response.output])
        response = strict.responses.retrieve(response.id)
    assert seen == [[], ["reasoning"], ["reasoning", "file_search_call"], ["reasoning", "file_search_call", "message"]]
    assert [item.type for item in response.output] == ["reasoning", "file_search_call", "message"]
    assert len(response.output[2].content[0].annotations) == 2


# ----------------------------------------------------------------------------- code interpreter

CODE_RUN = {"responses": [{"steps": [
    {"code_interpreter": {"code": "import math\nprint(math.sqrt(2))", "outputs": ["1.4142135623730951\n",
                                                                              {"image": "https://example.com/p.png"}]}},
    {"message": "The square root of 2 is about 1.414."}]}]}


def test_a_code_interpreter_step(fake_openai: Any, strict: openai.OpenAI) -> None:
    sync, _, events = both(fake_openai, strict, CODE_RUN, model="gpt-4.1", input="sqrt(2)?", tools=[CODE])
    call = sync.output[0]
    assert call.type == "code_interpreter_call" and call.id.startswith("ci_") and call.status == "completed"
    assert call.code == "import math\nprint(math.sqrt(2))" and call.outputs is None
    assert call.container_id.startswith("cntr_")
    assert types(events)[2:10] == [
        "response.output_item.added", "response.code_interpreter_call.in_progress",
        "response.code_interpreter_call_code.delta", "response.code_interpreter_call_code.done",
        "response.code_interpreter_call.interpreting", "response.code_interpreter_call.completed",
        "response.output_item.done", "response.output_item.added"]
    code = "".join(e.delta for e in events if e.type == "response.code_interpreter_call_code.delta")
    assert code == call.code


def test_code_interpreter_outputs_come_when_included(fake_openai: Any, strict: openai.OpenAI) -> None:
    sync, _, _ = both(fake_openai, strict, CODE_RUN, model="gpt-4.1", input="sqrt(2)?",
                      tools=[{"type": "code_interpreter", "container": "cntr_mine"}],
                      include=["code_interpreter_call.outputs"])
    call = sync.output[0]
    assert call.container_id == "cntr_mine"
    assert [o.model_dump() for o in call.outputs] == [{"type": "logs", "logs": "1.4142135623730951\n"},
                                                      {"type": "image", "url": "https://example.com/p.png"}]


# ----------------------------------------------------------------------------- image generation

def png_size(data: bytes) -> tuple[int, int]:
    """A PNG's width and height, after checking its chunks' CRCs and that its pixels decompress."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    at, pixels = 8, b""
    while at < len(data):
        length, = struct.unpack(">I", data[at:at + 4])
        kind, body = data[at + 4:at + 8], data[at + 8:at + 8 + length]
        assert struct.unpack(">I", data[at + 8 + length:at + 12 + length])[0] == zlib.crc32(kind + body)
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            pixels += body
        at += 12 + length
    assert len(zlib.decompress(pixels)) == height * (1 + width * 3)
    return width, height


def test_an_image_generation_step_returns_a_png_and_streams_partial_images(
        fake_openai: Any, strict: openai.OpenAI) -> None:
    scenario = {"responses": [{"steps": [{"image_generation": {"prompt": "a lighthouse at dusk"}},
                                         {"message": "Here is your lighthouse."}]}]}
    sync, _, events = both(fake_openai, strict, scenario, model="gpt-4.1", input="Draw", tools=[IMAGE])
    call = sync.output[0]
    assert call.type == "image_generation_call" and call.id.startswith("ig_") and call.status == "completed"
    assert call.revised_prompt == "a lighthouse at dusk" and call.output_format == "png"
    assert png_size(base64.b64decode(call.result)) == (64, 64)
    partials = [e for e in events if e.type == "response.image_generation_call.partial_image"]
    assert [e.partial_image_index for e in partials] == [0, 1]
    assert len({e.partial_image_b64 for e in partials} | {call.result}) == 3   # each drawn further
    assert all(png_size(base64.b64decode(e.partial_image_b64)) == (64, 64) for e in partials)
    assert types(events)[2:9] == [
        "response.output_item.added", "response.image_generation_call.in_progress",
        "response.image_generation_call.generating", "response.image_generation_call.partial_image",
        "response.image_generation_call.partial_image", "response.image_generation_call.completed",
        "response.output_item.done"]
    fake_openai.load({"responses": [{"steps": [{"image_generation": "a red fox"}]}]})
    other = strict.responses.create(model="gpt-4.1", input="Draw", tools=[IMAGE]).output[0]
    assert other.result != call.result   # another prompt, another picture


# ----------------------------------------------------------------------------- forced, unscripted

@pytest.mark.parametrize(("tools", "choice", "expected"), [
    ([FILE_SEARCH], {"type": "file_search"}, ["file_search_call", "message"]),
    ([{"type": "web_search_preview"}], {"type": "web_search_preview"}, ["web_search_call", "message"]),
    ([CODE], {"type": "code_interpreter"}, ["code_interpreter_call", "message"]),
    ([IMAGE], {"type": "image_generation"}, ["image_generation_call", "message"]),
    ([MCP, {**MCP, "server_label": "docs"}], {"type": "mcp", "server_label": "docs", "name": "read"},
     ["mcp_list_tools", "mcp_call", "message"]),
    ([WEB_SEARCH, CODE], "required", ["web_search_call", "message"]),
], ids=["file_search", "web_search", "code_interpreter", "image_generation", "mcp", "required"])
def test_a_forced_hosted_tool_gets_a_generated_call(fake_openai: Any, strict: openai.OpenAI, tools: Any,
                                                    choice: Any, expected: list[str]) -> None:
    fake_openai.load({"seed": 5})
    request = {"model": "gpt-4.1", "input": "Find the annual report", "tools": tools, "tool_choice": choice,
               "include": ["file_search_call.results", "code_interpreter_call.outputs"]}
    with strict.responses.stream(**request) as stream:
        streamed = stream.get_final_response()
    fake_openai.load({"seed": 5})
    response = strict.responses.create(**request)
    assert plain(streamed.model_dump()) == plain(response.model_dump())
    assert [item.type for item in response.output] == expected
    call = response.output[-2]
    if call.type == "file_search_call":
        assert call.queries == ["Find the annual report"] and len(call.results) == 2
        assert len(response.output[-1].content[0].annotations) == 2
    elif call.type == "web_search_call":
        assert call.action.query == "Find the annual report"
        assert {a.type for a in response.output[-1].content[0].annotations} == {"url_citation"}
    elif call.type == "code_interpreter_call":
        a, b = call.code.removeprefix("print(").removesuffix(")").split(" * ")
        assert call.outputs[0].logs == f"{int(a) * int(b)}\n"
    elif call.type == "image_generation_call":
        assert call.revised_prompt == "Find the annual report" and base64.b64decode(call.result)[:4] == b"\x89PNG"
    else:
        assert (call.server_label, call.name, call.arguments) == ("docs", "read", "{}") and call.output
        assert [t.name for t in response.output[0].tools] == ["read"]


def test_a_forced_mcp_call_asks_approval_when_the_tool_says_so(fake_openai: Any, strict: openai.OpenAI) -> None:
    first = strict.responses.create(model="gpt-4.1", input="Read it", tools=[MCP_ASKS],
                                    tool_choice={"type": "mcp", "server_label": "wiki"})
    ask = first.output[-1]
    assert ask.type == "mcp_approval_request" and ask.name == "search"
    second = strict.responses.create(model="gpt-4.1", previous_response_id=first.id, tools=[MCP_ASKS], input=[
        {"type": "mcp_approval_response", "approval_request_id": ask.id, "approve": True}])
    assert [item.type for item in second.output] == ["mcp_call", "message"]


def test_without_forcing_hosted_tools_are_offered_and_not_called(fake_openai: Any, strict: openai.OpenAI) -> None:
    response = strict.responses.create(model="gpt-4.1", input="Hello", tools=[FILE_SEARCH, WEB_SEARCH, MCP])
    assert [item.type for item in response.output] == ["message"]
    assert [tool.type for tool in response.tools] == ["file_search", "web_search", "mcp"]


# ----------------------------------------------------------------------------- scenario checks

@pytest.mark.parametrize(("text", "problem"), [
    ("chat:\n  - steps:\n      - web_search: {query: news}\n",
     "x.yaml:3:9: chat[0].steps[0].web_search: web_search is a step of the Responses API (its hosted tools and "
     "reasoning): a chat completion script's steps are status, tool_calls, message, stream_error; script it under "
     "responses: (or conversations:, which a chat completion passes over)"),
    ("runs:\n  - steps:\n      - reasoning: {summary: thinking}\n",
     "x.yaml:3:9: runs[0].steps[0].reasoning: reasoning is a step of the Responses API"),
    ("responses:\n  - steps:\n      - mcp: {server_label: wiki, tool: ask, approval: maybe}\n",
     "x.yaml:3:56: responses[0].steps[0].mcp.approval: invalid value 'maybe'; allowed values: required, never"),
    ("responses:\n  - steps:\n      - mcp: {server_label: wiki}\n",
     "x.yaml:3:14: responses[0].steps[0].mcp: missing required key 'tool'"),
    ("responses:\n  - steps:\n      - web_search: {results: [{url: 'ftp://x'}]}\n",
     "x.yaml:3:38: responses[0].steps[0].web_search.results[0].url: expected an http(s) URL, got 'ftp://x'"),
    ("responses:\n  - steps:\n      - file_search: {query: a, queries: [b]}\n",
     "responses[0].steps[0].file_search.queries: give query (one search) or queries (several), not both"),
    ("responses:\n  - steps:\n      - mcp: {server_label: w, tool: t, output: a, error: b}\n",
     "responses[0].steps[0].mcp.error: a call has an output or an error, not both"),
    ("responses:\n  - steps:\n      - mcp: {server_label: w, tool: t, arguments: '{bad'}\n",
     "responses[0].steps[0].mcp.arguments: arguments given as a string must be JSON (or write a mapping)"),
    ("responses:\n  - steps:\n      - file_search: {results: [{score: 3}]}\n",
     "responses[0].steps[0].file_search.results[0].score"),
    ("responses:\n  - steps:\n      - code_interpreter: {outputs: [hi]}\n",
     "responses[0].steps[0].code_interpreter"),
], ids=["chat", "runs", "approval", "mcp-tool", "url", "queries", "output-error", "arguments", "score", "code"])
def test_hosted_steps_are_checked_at_load(text: str, problem: str) -> None:
    with pytest.raises(ScenarioError) as raised:
        parse_scenario_text(text, "x.yaml")
    assert problem in str(raised.value)


def test_a_conversations_script_with_hosted_steps_serves_chat_and_runs_without_them(
        fake_openai: Any, client: openai.OpenAI) -> None:
    fake_openai.load({"conversations": [{"times": "always", "steps": [
        {"reasoning": "Thinking."}, {"web_search": "news"}, {"message": "The news."}]}]})
    chat = client.chat.completions.create(model="gpt-4.1", messages=[{"role": "user", "content": "News?"}])
    assert chat.choices[0].message.content == "The news."
    response = client.responses.create(model="gpt-4.1", input="News?", tools=[WEB_SEARCH])
    assert [item.type for item in response.output] == ["reasoning", "web_search_call", "message"]
    assistant = client.beta.assistants.create(model="gpt-4.1")
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "News?"}])
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    assert run.status == "completed"
    [message] = client.beta.threads.messages.list(thread.id, run_id=run.id).data
    assert message.content[0].text.value == "The news."   # type: ignore[union-attr]
    assert fake_openai.violations == []


# ----------------------------------------------------------------------------- record and replay

RECORDED = {"responses": [{"times": "always", "steps": [
    {"reasoning": {"summary": ["Planning."], "tokens": 30}},
    {"file_search": {"query": "refunds", "results": [POLICY]}},
    {"web_search": {"query": "news", "results": [{"url": "https://example.org/news", "title": "Example News"}]}},
    {"message": "Refunds take 30 days (Example News)."},
    {"code_interpreter": {"code": "print(6 * 7)", "outputs": "42\n"}},
    {"image_generation": "a lighthouse"},
    {"mcp": {"server_label": "wiki", "tool": "lookup", "arguments": {"q": "x"}, "output": "found"}},
    {"mcp": {**ASK["mcp"], "server_label": "deepwiki"}},   # the request's tool asks approval
    {"message": "All done."},
    {"status": "completed", "usage": {"prompt_tokens": 20, "completion_tokens": 45}}]}]}


def _hosted_session(client: openai.OpenAI) -> list[Any]:
    """Every hosted step, streamed, then the approval of the MCP call (what the SDK saw, ids aside)."""
    tools: Any = [FILE_SEARCH, WEB_SEARCH, CODE, IMAGE, MCP, {**MCP_ASKS, "server_label": "deepwiki"}]
    seen: list[Any] = []
    with client.responses.stream(model="o4-mini", input="Refunds?", tools=tools, reasoning={"summary": "auto"},
                                 include=["code_interpreter_call.outputs"]) as stream:
        first = stream.get_final_response()
    drop = {"id", "approval_request_id", "result", "container_id", "created_at", "completed_at"}

    def shown(response: Any) -> Any:
        return [{k: v for k, v in item.model_dump(exclude_none=True).items() if k not in drop}
                for item in response.output]

    seen += [shown(first), first.usage.model_dump() if first.usage else None]
    ask = first.output[-1]
    second = client.responses.create(model="o4-mini", previous_response_id=first.id, tools=tools, input=[
        {"type": "mcp_approval_response", "approval_request_id": ask.id, "approve": True}])
    seen += [shown(second), second.output[0].approval_request_id == ask.id]
    return seen


def test_record_turns_hosted_items_back_into_steps(tmp_path: Path) -> None:
    from fakeopenai.doors import cli
    from fakeopenai.doors.server import ServerThread
    from fakeopenai.http.app import create_app
    from tests.test_record import record, replay

    upstream = ServerThread(create_app(RECORDED)).start()
    replaying = ServerThread(create_app()).start()
    try:
        recorded, text = record(upstream.base_url, _hosted_session)
        path = tmp_path / "recorded.yaml"
        path.write_text(text)
        assert cli.main(["validate", str(path)]) == 0, text
        first, _ = replay(replaying, text, _hosted_session)
        assert first == recorded, text
    finally:
        upstream.stop()
        replaying.stop()
    [script] = yaml.safe_load(text)["responses"]
    steps = script["steps"]
    assert steps[0] == {"reasoning": {"summary": ["Planning."], "tokens": 30}}
    assert steps[1] == {"file_search": {"queries": ["refunds"], "results": [
        {"file_id": "file-policy", "filename": "refunds.pdf"}]}}   # results not included: the cited files
    assert steps[2] == {"web_search": {"queries": ["news"], "results": [
        {"url": "https://example.org/news", "title": "Example News"}]}}
    assert steps[4]["code_interpreter"]["outputs"] == [{"logs": "42\n"}]
    assert steps[5] == {"image_generation": {"prompt": "a lighthouse"}}
    assert steps[6] == {"mcp": {"server_label": "wiki", "tool": "lookup", "arguments": {"q": "x"},
                                "approval": "never", "output": "found"}}
    assert steps[7] == {"mcp": {"server_label": "deepwiki", "tool": "ask_question",
                                "arguments": {"question": "What is MCP?"}, "approval": "required",
                                "output": "The Model Context Protocol."}}
    assert steps[8:] == [{"message": "All done."},
                         {"status": "completed", "usage": {"prompt_tokens": 20, "completion_tokens": 45}}]
