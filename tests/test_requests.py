"""Requests the live API accepts are accepted (``fakeopenai/spec/request_schema.py``, SPEC 11.1): the shapes
OpenAI's docs, the SDKs and the frameworks send, parameters newer than the shipped spec (accepted with a
warning, or the live API's 400 under ``unknown_params: error``), and what the generated answers honour of
a request (``pattern``, ``json_object``, ``max_output_tokens``). Through the official SDK; every answer
is checked against the spec (the ``client`` fixture)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import openai
import pytest
from pydantic import BaseModel, Field

IMAGE = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJ"
         "RU5ErkJggg==")
PDF = "data:application/pdf;base64,JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PD4+CmVuZG9iagp0cmFpbGVyCjw8Pj4KJSVFT0YK"

# Inputs the live API takes and a literal reading of the spec refused, each as a client sends it.
ACCEPTED_INPUTS = {
    "a user message of parts (OpenAI's docs)": [
        {"role": "user", "content": [{"type": "input_text", "text": "Hi"}]}],
    "a typed message of parts (LiteLLM's bridge)": [
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Hi"}]}],
    "a system message of parts": [
        {"role": "system", "content": [{"type": "input_text", "text": "Be brief."}]},
        {"role": "user", "content": "Hi"}],
    "an image without detail (langchain)": [
        {"role": "user", "content": [{"type": "input_text", "text": "What is this?"},
                                     {"type": "input_image", "image_url": IMAGE}]}],
    "a file by its data": [
        {"role": "user", "content": [{"type": "input_file", "filename": "a.pdf", "file_data": PDF},
                                     {"type": "input_text", "text": "Summarize it."}]}],
    "an assistant turn resent without id, status, annotations or logprobs (Agents SDK sessions)": [
        {"role": "user", "content": "Hi"},
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Hello!"}]},
        {"role": "user", "content": "Again"}],
    "an assistant turn of output parts without type (langchain history)": [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": [{"type": "output_text", "text": "Hello!", "annotations": []}]},
        {"role": "user", "content": "Again"}],
    "a function call resent without id or status": [
        {"role": "user", "content": "Weather?"},
        {"type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "call_1", "output": "18C"}],
}


@pytest.mark.parametrize("name", list(ACCEPTED_INPUTS))
def test_an_input_the_live_api_accepts_is_accepted(client: openai.OpenAI, name: str) -> None:
    response = client.responses.create(model="gpt-4o", input=ACCEPTED_INPUTS[name])
    assert response.status == "completed"
    items = client.responses.input_items.list(response.id, order="asc").data   # spec-checked, server fields set
    assert len(items) == len(ACCEPTED_INPUTS[name])
    assert all(item.id for item in items)


def test_an_image_without_detail_is_listed_with_the_default(client: openai.OpenAI) -> None:
    response = client.responses.create(model="gpt-4o", input=ACCEPTED_INPUTS["an image without detail (langchain)"])
    [item] = client.responses.input_items.list(response.id).data
    assert item.content[1].type == "input_image" and item.content[1].detail == "auto"


def test_a_conversation_takes_items_of_parts(client: openai.OpenAI) -> None:
    conversation = client.conversations.create(items=ACCEPTED_INPUTS["a typed message of parts (LiteLLM's bridge)"])
    added = client.conversations.items.create(conversation.id, items=[
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Hello!"}]}])
    assert added.data[0].role == "assistant" and added.data[0].status == "completed"
    assert [item.role for item in client.conversations.items.list(conversation.id, order="asc")] == [
        "user", "assistant"]


def test_a_bad_part_is_still_refused_naming_it(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model="gpt-4o", input=[{"role": "user", "content": [{"type": "input_txt",
                                                                                       "text": "Hi"}]}])
    assert caught.value.body["param"] == "input[0].content[0].type"
    assert "'input_text'" in caught.value.body["message"]


# --- parameters newer than the spec


def test_an_unknown_parameter_is_accepted_with_a_warning(fake_openai: Any, client: openai.OpenAI) -> None:
    raw = client.responses.with_raw_response.create(model="gpt-4o", input="Hi",
                                                    extra_body={"access_programs": ["beta"]})
    assert raw.parse().status == "completed"
    assert raw.headers["x-fakeopenai-warning"].startswith("Unrecognized request argument supplied: access_programs")
    conversation = client.conversations.with_raw_response.create(extra_body={"safety_identifier": "user-1"})
    assert "safety_identifier" in conversation.headers["x-fakeopenai-warning"]
    logged = [entry for entry in fake_openai.requests if entry.get("warnings")]
    assert [entry["path"] for entry in logged] == ["/v1/responses", "/v1/conversations"]
    assert logged[0]["body"]["access_programs"] == ["beta"]      # the log keeps what was sent
    timeline = fake_openai.client().get("/../_fake/timeline", cast_to=object)
    assert [r["warnings"] for r in timeline["requests"] if r["warnings"]] == [
        logged[0]["warnings"], logged[1]["warnings"]]


def test_a_known_request_has_no_warning(client: openai.OpenAI) -> None:
    raw = client.responses.with_raw_response.create(model="gpt-4o", input="Hi")
    assert "x-fakeopenai-warning" not in raw.headers


def test_unknown_params_error_gives_the_live_api_400(fake_openai: Any, client: openai.OpenAI) -> None:
    fake_openai.load({"unknown_params": "error"})
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "Hi"}],
                                       extra_body={"access_programs": ["beta"]})
    assert caught.value.body == {"message": "Unrecognized request argument supplied: access_programs",
                                 "type": "invalid_request_error", "param": "access_programs",
                                 "code": "unknown_parameter"}


# --- what generated answers honour


class Code(BaseModel):
    airport: str = Field(pattern=r"^[A-Z]{3}$")
    phone: str = Field(pattern=r"^\+?[1-9]\d{6,14}$")
    gate: str = Field(pattern=r"^(A|B|C)\d{1,2}$")


def test_a_pattern_is_honoured_by_responses_parse(client: openai.OpenAI) -> None:
    parsed = client.responses.parse(model="gpt-4o", input="Which airport?", text_format=Code).output_parsed
    assert isinstance(parsed, Code)
    assert re.fullmatch(r"[A-Z]{3}", parsed.airport)


def test_a_pattern_is_honoured_by_chat_parse(client: openai.OpenAI) -> None:
    parsed = client.chat.completions.parse(model="gpt-4o", messages=[{"role": "user", "content": "Which?"}],
                                           response_format=Code).choices[0].message.parsed
    assert isinstance(parsed, Code) and re.fullmatch(r"(A|B|C)\d{1,2}", parsed.gate)


def test_a_pattern_is_honoured_in_forced_tool_arguments(client: openai.OpenAI) -> None:
    tool = openai.pydantic_function_tool(Code, name="book")
    completion = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "Book"}],
                                                tools=[tool], tool_choice="required")
    [call] = completion.choices[0].message.tool_calls
    Code.model_validate_json(call.function.arguments)


def test_json_object_is_answered_with_a_json_object_on_responses(client: openai.OpenAI) -> None:
    response = client.responses.create(model="gpt-4o", input="Answer in JSON.",
                                       text={"format": {"type": "json_object"}})
    assert isinstance(json.loads(response.output_text), dict)


def test_max_output_tokens_ends_a_response_incomplete(fake_openai: Any, make_client: Callable[..., openai.OpenAI]) \
        -> None:
    fake_openai.load({"conversations": [{"steps": [{"message": " ".join(["A long story goes on."] * 20)}]}]})
    client = make_client(max_retries=0)
    response = client.responses.create(model="gpt-4o", input="Tell me a long story.", max_output_tokens=16)
    assert response.status == "incomplete"
    assert response.incomplete_details.reason == "max_output_tokens"
    assert 0 < response.usage.output_tokens <= 16
    assert response.output[0].status == "incomplete"


def test_max_output_tokens_above_the_answer_changes_nothing(client: openai.OpenAI) -> None:
    response = client.responses.create(model="gpt-4o", input="Hi", max_output_tokens=1000)
    assert response.status == "completed" and response.usage.output_tokens <= 1000


# --- input token counts and compaction


def test_input_tokens_count_is_what_usage_says(client: openai.OpenAI) -> None:
    counted = client.responses.input_tokens.count(model="gpt-4o", input="How many tokens is this?",
                                                  instructions="Be brief.")
    response = client.responses.create(model="gpt-4o", input="How many tokens is this?", instructions="Be brief.")
    assert counted.object == "response.input_tokens"
    assert counted.input_tokens == response.usage.input_tokens > 0
    follow = client.responses.input_tokens.count(model="gpt-4o", previous_response_id=response.id, input="More?")
    assert follow.input_tokens > counted.input_tokens


def test_a_compacted_conversation_goes_on(client: openai.OpenAI) -> None:
    first = client.responses.create(model="gpt-4o", input="Plan a trip to Paris.")
    compacted = client.responses.compact(model="gpt-4o", previous_response_id=first.id)
    assert compacted.object == "response.compaction"
    assert [item.type for item in compacted.output] == ["message", "compaction"]
    assert compacted.output[-1].encrypted_content
    again = client.responses.compact(model="gpt-4o", previous_response_id=first.id)
    assert again.output[-1].encrypted_content == compacted.output[-1].encrypted_content
    kept = [item.to_dict(warnings=False) for item in compacted.output]   # the SDK reads a user item as output
    following = client.responses.create(model="gpt-4o", input=[*kept, {"role": "user", "content": "And Rome?"}])
    assert following.status == "completed"


# --- scripts that go further than the request


TOOLS = [{"type": "function", "name": "get_weather",
          "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}]


def test_a_script_calling_a_tool_the_request_did_not_offer_is_a_violation(fake_openai: Any,
                                                                          client: openai.OpenAI) -> None:
    fake_openai.load({"conversations": [{"steps": [
        {"tool_calls": [{"function": "get_time", "arguments": {}}]}, {"message": "Noon."}]}]})
    client.responses.create(model="gpt-4o", input="Time?", tools=TOOLS)
    [violation] = fake_openai.take_violations()
    assert violation["kind"] == "tool_not_offered" and violation["actual"] == "get_time"
    assert "the request offered get_weather" in violation["message"]


def test_a_chat_script_calling_a_tool_the_request_did_not_offer_is_a_violation(fake_openai: Any,
                                                                               client: openai.OpenAI) -> None:
    fake_openai.load({"chat": [{"steps": [{"tool_calls": [{"function": "get_time", "arguments": {}}]}]}]})
    client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "Time?"}])
    [violation] = fake_openai.take_violations()
    assert violation["kind"] == "tool_not_offered" and "no function tools" in violation["message"]


def test_a_request_after_the_script_ended_is_a_violation(fake_openai: Any, client: openai.OpenAI) -> None:
    fake_openai.load({"conversations": [{"steps": [
        {"tool_calls": [{"function": "get_weather", "arguments": {"city": "Paris"}}]}]}]})
    first = client.responses.create(model="gpt-4o", input="Weather?", tools=TOOLS)
    second = client.responses.create(model="gpt-4o", previous_response_id=first.id, tools=TOOLS, input=[
        {"type": "function_call_output", "call_id": first.output[0].call_id, "output": "18C"}])
    assert second.output == []
    [violation] = fake_openai.take_violations()
    assert violation["kind"] == "script_ended" and violation["response_id"] == second.id


def test_a_chat_request_after_the_script_ended_is_a_violation(fake_openai: Any, client: openai.OpenAI) -> None:
    fake_openai.load({"chat": [{"steps": [{"tool_calls": [{"function": "get_weather", "arguments": {}}]}]}]})
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": TOOLS[0]["parameters"]}}]
    messages: list[Any] = [{"role": "user", "content": "Weather?"}]
    first = client.chat.completions.create(model="gpt-4o", messages=messages, tools=tools)
    [call] = first.choices[0].message.tool_calls
    messages += [first.choices[0].message, {"role": "tool", "tool_call_id": call.id, "content": "18C"}]
    client.chat.completions.create(model="gpt-4o", messages=messages, tools=tools)
    [violation] = fake_openai.take_violations()
    assert violation["kind"] == "script_ended"


def test_a_script_that_ends_as_the_client_does_is_no_violation(fake_openai: Any, client: openai.OpenAI) -> None:
    fake_openai.load("response_tool_loop")
    tools = [{"type": "function", "name": name, "parameters": {"type": "object", "properties": {}}}
             for name in ("get_weather", "get_time")]
    response = client.responses.create(model="gpt-4o", input="Weather in Paris?", tools=tools)
    while any(item.type == "function_call" for item in response.output):
        response = client.responses.create(model="gpt-4o", previous_response_id=response.id, tools=tools, input=[
            {"type": "function_call_output", "call_id": item.call_id, "output": "18 C"}
            for item in response.output if item.type == "function_call"])
    assert response.output_text and fake_openai.violations == []


def test_an_item_reference_is_the_item_it_names(client: openai.OpenAI) -> None:
    first = client.responses.create(model="gpt-4o", input="Hi")
    [said] = first.output
    second = client.responses.create(model="gpt-4o", input=[{"type": "item_reference", "id": said.id},
                                                            {"role": "user", "content": "And then?"}])
    referenced, _ = client.responses.input_items.list(second.id, order="asc").data
    assert referenced.id == said.id and referenced.content[0].text == first.output_text
    with pytest.raises(openai.BadRequestError) as refused:
        client.responses.create(model="gpt-4o", input=[{"type": "item_reference", "id": "msg_nope"}])
    assert refused.value.body["message"] == "Item with id 'msg_nope' not found."
    assert refused.value.body["param"] == "input[0]"


def test_a_forced_tool_choice_is_forced_on_a_continuation_too(client: openai.OpenAI) -> None:
    """Unscripted: the live model calls the named function whenever it is forced (instructor retries so)."""
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": TOOLS[0]["parameters"]}}]
    forced = {"type": "function", "function": {"name": "get_weather"}}
    messages: list[Any] = [{"role": "user", "content": "Weather?"}]
    first = client.chat.completions.create(model="gpt-4o", messages=messages, tools=tools, tool_choice=forced)
    [call] = first.choices[0].message.tool_calls
    messages += [first.choices[0].message, {"role": "tool", "tool_call_id": call.id, "content": "18C"}]
    again = client.chat.completions.create(model="gpt-4o", messages=messages, tools=tools, tool_choice=forced)
    assert again.choices[0].finish_reason == "tool_calls"
    assert again.choices[0].message.tool_calls[0].function.name == "get_weather"
    done = client.chat.completions.create(model="gpt-4o", tools=tools, messages=[
        *messages, again.choices[0].message,
        {"role": "tool", "tool_call_id": again.choices[0].message.tool_calls[0].id, "content": "18C"}])
    assert done.choices[0].finish_reason == "stop" and done.choices[0].message.content
