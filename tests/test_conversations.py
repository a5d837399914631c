"""The Conversations API (the successor of threads) through the official SDK: conversations and
their items, and responses created in a conversation, which continue its script and append their
input and output items. Every answer is checked against the official spec (the ``client`` fixture)."""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest

if not hasattr(openai.OpenAI, "conversations"):   # pragma: no cover - SDKs before the Conversations API
    pytest.skip("this openai SDK has no client.conversations", allow_module_level=True)

TOOLS = [{"type": "function", "name": "get_weather",
          "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}]
WEATHER = {"conversations": [{"name": "weather", "steps": [
    {"tool_calls": [{"function": "get_weather", "arguments": {"city": "Paris"}}],
     "expect_outputs": {"get_weather": {"contains": "Paris"}}},
    {"message": "It is 18 °C and sunny in Paris."}]}]}


def test_create_retrieve_update_delete(client: openai.OpenAI) -> None:
    conversation = client.conversations.create(
        items=[{"type": "message", "role": "user", "content": "Hello"}], metadata={"topic": "demo"})
    assert conversation.id.startswith("conv_") and conversation.object == "conversation"
    assert conversation.metadata == {"topic": "demo"} and conversation.created_at > 0
    assert client.conversations.retrieve(conversation.id) == conversation
    updated = client.conversations.update(conversation.id, metadata={"topic": "weather"})
    assert updated.metadata == {"topic": "weather"} and updated.id == conversation.id
    gone = client.conversations.delete(conversation.id)
    assert gone.deleted is True and gone.id == conversation.id and gone.object == "conversation.deleted"
    with pytest.raises(openai.NotFoundError) as caught:
        client.conversations.retrieve(conversation.id)
    assert caught.value.body["param"] == "conversation_id"


def test_items_create_list_retrieve_delete(client: openai.OpenAI) -> None:
    conversation = client.conversations.create(items=[{"role": "user", "content": "one"}])
    added = client.conversations.items.create(conversation.id, items=[
        {"role": "user", "content": "two"}, {"type": "message", "role": "assistant", "content": "three"}])
    assert added.object == "list" and [item.type for item in added.data] == ["message", "message"]
    assert added.first_id == added.data[0].id and added.has_more is False
    texts = [item.content[0].text for item in client.conversations.items.list(conversation.id, limit=1)]
    assert texts == ["three", "two", "one"]   # newest first, auto-paginated one by one
    page = client.conversations.items.list(conversation.id, order="asc", limit=2)
    assert [item.content[0].text for item in page.data] == ["one", "two"] and page.has_more
    first = page.data[0]
    assert first.id.startswith("msg_") and first.status == "completed" and first.role == "user"
    assert client.conversations.items.retrieve(first.id, conversation_id=conversation.id) == first
    after = client.conversations.items.delete(first.id, conversation_id=conversation.id)
    assert after.id == conversation.id and after.object == "conversation"
    with pytest.raises(openai.NotFoundError) as caught:
        client.conversations.items.retrieve(first.id, conversation_id=conversation.id)
    assert caught.value.body["param"] == "item_id"


def test_a_tool_loop_continues_through_the_conversation(fake_openai: Any, client: openai.OpenAI) -> None:
    fake_openai.load(WEATHER)
    conversation = client.conversations.create(metadata={"user": "ada"})
    first = client.responses.create(model="gpt-4o", input="Weather in Paris?", tools=TOOLS,
                                    conversation=conversation.id)
    [call] = first.output
    assert first.conversation is not None and first.conversation.id == conversation.id
    assert call.type == "function_call" and first.status == "completed"
    second = client.responses.create(model="gpt-4o", tools=TOOLS, conversation={"id": conversation.id}, input=[
        {"type": "function_call_output", "call_id": call.call_id, "output": "Paris: 18C"}])
    assert second.output_text == "It is 18 °C and sunny in Paris." and second.previous_response_id is None
    items = list(client.conversations.items.list(conversation.id, order="asc"))
    assert [item.type for item in items] == ["message", "function_call", "function_call_output", "message"]
    assert items[1].id == call.id and items[3].id == second.output[0].id
    assert [item.type for item in client.responses.input_items.list(second.id)] == [
        "function_call_output", "function_call", "message"]
    assert fake_openai.violations == []
    [script] = fake_openai.scenario["conversations"]
    assert script["served"] == [
        {"id": first.id, "status": "completed", "step": 1, "steps": 2, "conversation": first.id},
        {"id": second.id, "status": "completed", "step": 2, "steps": 2, "conversation": first.id}]


def test_a_background_response_adds_its_output_when_it_ends(client: openai.OpenAI) -> None:
    conversation = client.conversations.create()
    response = client.responses.create(model="gpt-4o", input="Hi", background=True, conversation=conversation.id)
    assert [item.type for item in client.conversations.items.list(conversation.id)] == ["message"]
    while response.status in {"queued", "in_progress"}:
        response = client.responses.retrieve(response.id)
    assert response.status == "completed"
    newest = client.conversations.items.list(conversation.id).data[0]
    assert newest.id == response.output[0].id and newest.role == "assistant"


@pytest.mark.parametrize(("body", "status", "param", "message"), [
    ({"conversation": "conv_nope"}, 404, "conversation", "Conversation with id 'conv_nope' not found."),
    ({"conversation": "{conv}", "previous_response_id": "resp_x"}, 400, "conversation",
     "Mutually exclusive parameters"),
    ({"conversation": "{conv}", "input": [{"type": "function_call_output", "call_id": "call_x", "output": "y"}]},
     400, "input", "No tool call found for function call output with call_id call_x."),
])
def test_bad_conversation_requests(client: openai.OpenAI, body: dict[str, Any], status: int, param: str,
                                   message: str) -> None:
    conversation = client.conversations.create()
    body = {"model": "gpt-4o", "input": "Hi", **body}
    if body["conversation"] == "{conv}":
        body["conversation"] = conversation.id
    with pytest.raises(openai.APIStatusError) as caught:
        client.responses.create(**body)
    error = caught.value
    assert error.status_code == status and error.body["param"] == param and message in error.body["message"]
    assert client.conversations.items.list(conversation.id).data == []   # nothing stored


# ---------------------------------------------------------------- the run built-ins serve responses too

def _answer(client: openai.OpenAI, first: Any, outputs: dict[str, str], **kwargs: Any) -> Any:
    return client.responses.create(model="gpt-4o", previous_response_id=first.id, **kwargs, input=[
        {"type": "function_call_output", "call_id": call.call_id, "output": outputs[json_city(call)]}
        for call in first.output])


def json_city(call: Any) -> str:
    return str(json.loads(call.arguments)["city"])


def test_requires_action_then_complete_serves_a_tool_loop(fake_openai: Any, client: openai.OpenAI) -> None:
    fake_openai.load("requires_action_then_complete")
    first = client.responses.create(model="gpt-4o", input="Weather in Paris?", tools=TOOLS)
    [call] = first.output
    assert first.status == "completed" and (call.name, call.arguments) == ("get_weather", '{"city": "Paris"}')
    second = _answer(client, first, {"Paris": "18C"})
    assert second.output_text == "It is 18 °C and sunny in Paris." and second.usage is not None
    assert second.usage.total_tokens == 134


def test_parallel_tool_calls_asks_for_both_cities(fake_openai: Any, client: openai.OpenAI) -> None:
    fake_openai.load("parallel_tool_calls")
    first = client.responses.create(model="gpt-4o", input="Paris and London?", tools=TOOLS)
    assert [json_city(call) for call in first.output] == ["Paris", "London"]
    with pytest.raises(openai.BadRequestError):   # both outputs, or the live API's 400
        client.responses.create(model="gpt-4o", previous_response_id=first.id, input=[
            {"type": "function_call_output", "call_id": first.output[0].call_id, "output": "sunny"}])
    second = _answer(client, first, {"Paris": "sunny", "London": "cloudy"})
    assert second.output_text == "Paris is sunny; London is cloudy."


@pytest.mark.parametrize(("name", "status", "check"), [
    ("run_fails", "failed",
     lambda r: r.error.code == "server_error" and r.error.message == "Sorry, something went wrong."),
    ("run_incomplete", "incomplete",
     lambda r: r.incomplete_details.reason == "max_output_tokens" and r.output[0].status == "incomplete"
     and r.output_text == "The answer starts here but the model ran out of" and r.usage.total_tokens == 556),
])
def test_a_run_ending_builtin_ends_the_response_alike(fake_openai: Any, client: openai.OpenAI, name: str,
                                                      status: str, check: Any) -> None:
    fake_openai.load(name)
    response = client.responses.create(model="gpt-4o", input="Hi", background=True)
    seen = [response.status]
    while response.status in {"queued", "in_progress"}:
        response = client.responses.retrieve(response.id)
        seen.append(response.status)
    assert seen[0] == "queued" and seen[-1] == status and check(response)


def test_run_cancelled_leaves_time_to_cancel_a_background_response(fake_openai: Any, client: openai.OpenAI) -> None:
    fake_openai.load("run_cancelled")
    response = client.responses.create(model="gpt-4o", input="Hi", background=True)
    assert client.responses.retrieve(response.id).status == "in_progress"
    assert client.responses.cancel(response.id).status == "cancelled"
    nobody = client.responses.create(model="gpt-4o", input="Hi", background=True)
    statuses = [client.responses.retrieve(nobody.id).status for _ in range(6)]
    assert statuses == ["in_progress"] * 5 + ["cancelled"]


def test_stream_with_tool_call_streams_the_call_then_the_answer(fake_openai: Any, client: openai.OpenAI) -> None:
    fake_openai.load("stream_with_tool_call")
    with client.responses.stream(model="gpt-4o", input="Weather?", tools=TOOLS) as stream:
        deltas = [e.delta for e in stream if e.type == "response.function_call_arguments.delta"]
        first = stream.get_final_response()
    assert "".join(deltas) == '{"city": "Paris", "unit": "celsius"}' and max(map(len, deltas)) == 8
    [call] = first.output
    with client.responses.stream(model="gpt-4o", previous_response_id=first.id, input=[
            {"type": "function_call_output", "call_id": call.call_id, "output": "18C"}]) as stream:
        words = [e.delta for e in stream if e.type == "response.output_text.delta"]
        second = stream.get_final_response()
    assert len(words) == 5 and second.output_text == "It is 18 degrees and sunny in Paris today."


def test_batch_lines_for_responses_are_answered_by_the_scripts(fake_openai: Any, client: openai.OpenAI,
                                                               spec: Any) -> None:
    fake_openai.load({"responses": [
        {"name": "weather", "times": "always", "match": {"last_message": {"contains": "weather"}},
         "steps": [{"tool_calls": [{"function": "get_weather", "arguments": {"city": "Paris"}}]}]},
        {"name": "refusal", "match": {"last_message": {"contains": "secret"}},
         "steps": [{"message": "I cannot say."}, {"status": "completed"}]}]})
    questions = {"w1": "weather in Paris?", "s": "the secret?", "w2": "weather again?", "other": "Hello"}
    upload = client.files.create(purpose="batch", file=("in.jsonl", "".join(
        json.dumps({"custom_id": cid, "method": "POST", "url": "/v1/responses",
                    "body": {"model": "gpt-4o", "input": text, "tools": TOOLS}}) + "\n"
        for cid, text in questions.items()).encode()))
    batch = client.batches.create(input_file_id=upload.id, endpoint="/v1/responses", completion_window="24h")
    while batch.status not in {"completed", "failed", "expired", "cancelled"}:
        batch = client.batches.retrieve(batch.id)
    assert batch.status == "completed" and batch.output_file_id is not None
    lines = {}
    for raw in client.files.content(batch.output_file_id).read().splitlines():
        line = json.loads(raw)
        spec.validate(line["response"]["body"], "Response")
        lines[line["custom_id"]] = line["response"]["body"]
    assert [item["name"] for item in lines["w1"]["output"]] == ["get_weather"] == \
        [item["name"] for item in lines["w2"]["output"]]
    assert lines["s"]["output"][0]["content"][0]["text"] == "I cannot say."
    assert lines["other"]["output"][0]["type"] == "message"   # no script matches: generated
    [weather, refusal] = fake_openai.scenario["responses"]
    assert (weather["used"], refusal["used"]) == (2, 1)


SEEDED = {"objects": {"conversations": [{"id": "conv_support", "metadata": {"team": "support"}, "items": [
    {"role": "user", "content": "Weather in Paris?", "id": "msg_question"},
    {"type": "function_call", "call_id": "call_old", "name": "get_weather", "arguments": {"city": "Paris"}},
    {"type": "function_call_output", "call_id": "call_old", "output": "Paris: 18C"}]}]},
    "conversations": [{"match": {"last_message": {"contains": "Paris"}}, "steps": [{"message": "18 °C in Paris."}]}]}


def test_scenario_objects_pin_a_conversation(fake_openai: Any, client: openai.OpenAI) -> None:
    fake_openai.load(SEEDED)
    conversation = client.conversations.retrieve("conv_support")
    assert conversation.metadata == {"team": "support"}
    items = list(client.conversations.items.list("conv_support", order="asc"))
    assert [item.type for item in items] == ["message", "function_call", "function_call_output"]
    assert items[0].id == "msg_question" and items[0].content[0].text == "Weather in Paris?"
    assert items[1].arguments == '{"city": "Paris"}' and items[1].id.startswith("fc_")
    # The seeded user message is the conversation's last: a script matches on it, as on a seeded thread's.
    answer = client.responses.create(model="gpt-4o", conversation="conv_support", input=[])
    assert answer.output_text == "18 °C in Paris." and fake_openai.violations == []
    assert len(list(client.conversations.items.list("conv_support"))) == 4


SUPPORT = {"unmatched": "error", "conversations": [
    {"name": "weather", "match": {"tools": ["get_weather"]}, "times": "always", "steps": [{"message": "Sunny."}]},
    {"name": "support", "match": {"tools": ["lookup_order"], "instructions": {"contains": "support"}},
     "times": "always", "steps": [{"message": "Your order has shipped."}]}]}
LOOKUP = {"name": "lookup_order", "parameters": {"type": "object", "properties": {}}}


def test_conversation_scripts_match_instructions_and_tools_in_each_api(fake_openai: Any,
                                                                       client: openai.OpenAI) -> None:
    fake_openai.load(SUPPORT)
    skipped = {"script": "weather", "key": "conversations[0]",
               "reason": "tools offered ['lookup_order'] lack get_weather"}
    # Runs: the assistant's instructions and tools, unless the run overrides them.
    assistant = client.beta.assistants.create(model="gpt-4o", instructions="You are support.",
                                              tools=[{"type": "function", "function": LOOKUP}])
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "Where is my order?"}])
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    [reply] = client.beta.threads.messages.list(thread_id=thread.id, limit=1).data
    assert run.status == "completed" and reply.content[0].text.value == "Your order has shipped."
    other = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id,
                                                     instructions="You are sales.")
    assert other.status == "failed"
    # Responses: the request's instructions and tools; chat: its system messages and tools.
    response = client.responses.create(model="gpt-4o", input="Where is my order?", instructions="Be support.",
                                       tools=[{"type": "function", **LOOKUP}])
    assert response.output_text == "Your order has shipped."
    assert client.responses.create(model="gpt-4o", input="Hi", tools=[{"type": "function", **LOOKUP}]).error
    chat = client.chat.completions.create(model="gpt-4o", tools=[{"type": "function", "function": LOOKUP}], messages=[
        {"role": "developer", "content": "You do support."}, {"role": "user", "content": "Where is my order?"}])
    assert chat.choices[0].message.content == "Your order has shipped."
    with pytest.raises(openai.InternalServerError, match="no chat completion script matched"):
        client.chat.completions.create(model="gpt-4o", tools=[{"type": "function", "function": LOOKUP}],
                                       messages=[{"role": "user", "content": "Where is my order?"}])
    violations = fake_openai.take_violations()
    assert [v["where"] for v in violations] == ["runs", "responses", "chat"]
    for violation, instructions in zip(violations, ["You are sales.", "", ""], strict=True):
        assert [{k: t[k] for k in ("script", "key", "reason")} for t in violation["tried"]] == [skipped, {
            "script": "support", "key": "conversations[1]",
            "reason": f"instructions {instructions!r} are not containing 'support'"}]
    assert fake_openai.scenario["conversations"][1]["used"] == 3
