"""The Responses API through the official SDK: sync, streamed and background responses scripted by
the conversation step language, continued by previous_response_id or by the history resent. Every
answer and every stream event is checked against the official spec (the ``client`` fixture)."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from typing import Any, Literal

import jsonschema
import openai
import pytest
from pydantic import BaseModel, Field

from fakeopenai.spec.generate import schema_instance

TOOLS = [{"type": "function", "name": "get_weather",
          "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}]
WEATHER = {"responses": [{"name": "weather", "match": {"tools": ["get_weather"]}, "steps": [
    {"tool_calls": [{"function": "get_weather", "arguments": {"city": "Paris"}}],
     "expect_outputs": {"get_weather": {"contains": "Paris"}}},
    {"message": "It is 18 °C and sunny in Paris."}]}]}
BACKGROUND = {"responses": [{"steps": [
    {"status": "queued"}, {"status": "in_progress"}, {"message": "Done in the background."},
    {"status": "completed"}]}]}


@pytest.fixture
def strict(make_client: Callable[..., openai.OpenAI]) -> openai.OpenAI:
    """The SDK with strict response validation: a missing or mistyped field raises."""
    return make_client(max_retries=0, _strict_response_validation=True)


def test_a_sync_response_answers_with_a_generated_message(strict: openai.OpenAI) -> None:
    response = strict.responses.create(model="gpt-4o", input="Hello", instructions="Be brief.")
    assert response.status == "completed" and response.object == "response" and response.background is False
    [message] = response.output
    assert message.type == "message" and message.role == "assistant" and message.status == "completed"
    assert message.id.startswith("msg_") and response.id.startswith("resp_")
    assert response.output_text == message.content[0].text and len(response.output_text.split()) >= 5
    assert response.completed_at is not None and response.error is None and response.instructions == "Be brief."
    usage = response.usage
    assert usage is not None and usage.total_tokens == usage.input_tokens + usage.output_tokens > 0
    assert usage.input_tokens_details.cache_write_tokens == 0


def test_the_same_requests_give_the_same_bytes(fake_openai: Any, make_client: Callable[..., openai.OpenAI]) -> None:
    answers = []
    for _ in range(2):
        fake_openai.load({"seed": 11})
        answers.append(make_client().responses.with_raw_response.create(model="gpt-4o", input="Hi").content)
    assert answers[0] == answers[1]


def test_a_tool_loop_continues_by_previous_response_id(fake_openai: Any, strict: openai.OpenAI) -> None:
    fake_openai.load(WEATHER)
    first = strict.responses.create(model="gpt-4o", input="Weather in Paris?", tools=TOOLS)
    [call] = first.output
    assert first.status == "completed" and call.type == "function_call" and call.status == "completed"
    assert call.name == "get_weather" and call.arguments == '{"city": "Paris"}'
    assert call.id.startswith("fc_") and call.call_id.startswith("call_")
    assert first.tools[0].strict is True   # echoed with the live API's default
    second = strict.responses.create(model="gpt-4o", previous_response_id=first.id, tools=TOOLS, input=[
        {"type": "function_call_output", "call_id": call.call_id, "output": "18C and sunny in Paris"}])
    assert second.status == "completed" and second.output_text == "It is 18 °C and sunny in Paris."
    assert second.previous_response_id == first.id and second.instructions is None
    items = list(strict.responses.input_items.list(second.id))   # newest first, auto-paginated
    assert [item.type for item in items] == ["function_call_output", "function_call", "message"]
    first_page = strict.responses.input_items.list(second.id, order="asc", limit=1)
    assert [i.type for i in first_page.data] == ["message"] and first_page.has_more
    assert fake_openai.violations == []
    assert fake_openai.scenario["responses"][0]["served"] == [   # each response of the conversation
        {"id": first.id, "status": "completed", "step": 1, "steps": 2, "conversation": first.id},
        {"id": second.id, "status": "completed", "step": 2, "steps": 2, "conversation": first.id}]


def test_a_stateless_client_resends_the_history(fake_openai: Any, client: openai.OpenAI) -> None:
    """As the SDK's Responses tool runner does: store false, the whole history as input items."""
    fake_openai.load(WEATHER)
    history: list[Any] = [{"role": "user", "content": "Weather in Paris?"}]
    first = client.responses.create(model="gpt-4o", input=history, tools=TOOLS, store=False)
    [call] = first.output
    history += [{"type": "function_call", "call_id": call.call_id, "name": call.name, "arguments": call.arguments},
                {"type": "function_call_output", "call_id": call.call_id, "output": "Paris: 18C"}]
    second = client.responses.create(model="gpt-4o", input=history, tools=TOOLS, store=False)
    assert second.output_text == "It is 18 °C and sunny in Paris."
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(first.id)   # store: false responses are not kept


def test_a_repeated_continuation_gets_the_same_response(fake_openai: Any, client: openai.OpenAI) -> None:
    """What a server sees when the SDK retries after a timeout while the first try still runs: the
    same request twice. Both get the one answer, and the next question starts the next script (the
    repeat used to be a 400 by previous_response_id, and a new conversation statelessly)."""
    fake_openai.load({"responses": [{**WEATHER["responses"][0], "times": 1},
                                    {"name": "next", "steps": [{"message": "Next question."}]}]})
    first = client.responses.create(model="gpt-4o", input="Weather in Paris?", tools=TOOLS)
    [call] = first.output
    outputs: Any = [{"type": "function_call_output", "call_id": call.call_id, "output": "Paris: 18C"}]
    answers = [client.responses.create(model="gpt-4o", previous_response_id=first.id, tools=TOOLS, input=outputs)
               for _ in range(2)]
    assert answers[0].id == answers[1].id and answers[1].output_text == "It is 18 °C and sunny in Paris."
    history: list[Any] = [{"role": "user", "content": "Weather?"}]
    stateless = client.responses.create(model="gpt-4o", input=history, tools=TOOLS, store=False)
    assert stateless.output_text == "Next question."   # the weather script served its one conversation
    fake_openai.load(WEATHER)
    first = client.responses.create(model="gpt-4o", input=history, tools=TOOLS, store=False)
    [call] = first.output
    history += [{"type": "function_call", "call_id": call.call_id, "name": call.name, "arguments": call.arguments},
                {"type": "function_call_output", "call_id": call.call_id, "output": "Paris: 18C"}]
    answers = [client.responses.create(model="gpt-4o", input=history, tools=TOOLS, store=False) for _ in range(2)]
    assert answers[0].id == answers[1].id
    assert [entry["used"] for entry in fake_openai.scenario["responses"]] == [1]


def test_a_repeated_stream_in_a_two_round_loop_replays_its_events_and_the_loop_goes_on(
        fake_openai: Any, client: openai.OpenAI) -> None:
    fake_openai.load("response_tool_loop")
    first = client.responses.create(model="gpt-4o", input="Weather?", tools=TOOLS)
    outputs: Any = [{"type": "function_call_output", "call_id": item.call_id, "output": "18 C in Paris"}
                    for item in first.output if item.type == "function_call"]
    streams = []
    for _ in range(2):
        with client.responses.stream(model="gpt-4o", previous_response_id=first.id, input=outputs,
                                     tools=TOOLS) as stream:
            streams.append(([event.type for event in stream], stream.get_final_response()))
    (events, second), (events_again, second_again) = streams
    assert events_again == events and second_again.id == second.id
    assert client.responses.create(model="gpt-4o", previous_response_id=first.id, input=outputs,
                                   tools=TOOLS).id == second.id   # and once more, not streamed
    [call] = [item for item in second.output if item.type == "function_call"]
    end = client.responses.create(model="gpt-4o", previous_response_id=second.id, tools=TOOLS, input=[
        {"type": "function_call_output", "call_id": call.call_id, "output": "21 C in Lyon"}])
    assert end.output_text == "It is 18 °C and sunny in Paris, and 21 °C and cloudy in Lyon."
    assert fake_openai.violations == []


def test_an_output_the_scenario_does_not_expect_fails_the_response(fake_openai: Any, client: openai.OpenAI) -> None:
    fake_openai.load(WEATHER)
    first = client.responses.create(model="gpt-4o", input="Weather?", tools=TOOLS)
    second = client.responses.create(model="gpt-4o", previous_response_id=first.id, input=[
        {"type": "function_call_output", "call_id": first.output[0].call_id, "output": "Berlin: 12C"}])
    assert second.status == "failed" and second.error is not None and second.error.code == "server_error"
    assert "expected it containing 'Paris'" in second.error.message
    [violation] = fake_openai.take_violations()
    assert violation["where"] == "responses[0].steps[0].expect_outputs.get_weather"
    assert violation["response_id"] == second.id and violation["actual"] == "Berlin: 12C"


@pytest.mark.parametrize(("body", "status", "param", "code", "message"), [
    ({"previous_response_id": "resp_nope"}, 400, "previous_response_id", "previous_response_not_found",
     "Previous response with id 'resp_nope' not found."),
    ({"background": True, "store": False}, 400, "store", None, "Background sampling requires store=true"),
    ({"input": [{"type": "function_call_output", "call_id": "call_nope", "output": "x"}]}, 400, "input", None,
     "No tool call found for function call output with call_id call_nope."),
])
def test_bad_requests_name_the_param(client: openai.OpenAI, body: dict[str, Any], status: int, param: str,
                                     code: str | None, message: str) -> None:
    with pytest.raises(openai.APIStatusError) as caught:
        client.responses.create(model="gpt-4o", input="Hi", **body) if "input" not in body else \
            client.responses.create(model="gpt-4o", **body)
    error = caught.value
    assert error.status_code == status and error.body["param"] == param and message in error.body["message"]
    if code:
        assert error.body["code"] == code


def test_a_call_left_without_its_output_is_a_400(fake_openai: Any, client: openai.OpenAI) -> None:
    fake_openai.load(WEATHER)
    first = client.responses.create(model="gpt-4o", input="Weather?", tools=TOOLS)
    missing = f"No tool output found for function call {first.output[0].call_id}"
    with pytest.raises(openai.BadRequestError, match=missing):
        client.responses.create(model="gpt-4o", previous_response_id=first.id, input="And tomorrow?")


def test_background_polling_sees_each_status_once(fake_openai: Any, strict: openai.OpenAI) -> None:
    """The loop of the official background guide."""
    fake_openai.load(BACKGROUND)
    response = strict.responses.create(model="gpt-4o", input="Write a report", background=True)
    seen = [response.status]
    while response.status in {"queued", "in_progress"}:
        response = strict.responses.retrieve(response.id)
        seen.append(response.status)
    assert seen == ["queued", "in_progress", "in_progress", "completed"]
    assert response.output_text == "Done in the background." and response.background is True
    assert response.usage is not None


def test_cancel_a_background_response_midway(fake_openai: Any, client: openai.OpenAI) -> None:
    fake_openai.load(BACKGROUND)
    response = client.responses.create(model="gpt-4o", input="Write", background=True)
    assert client.responses.retrieve(response.id).status == "in_progress"
    cancelled = client.responses.cancel(response.id)
    assert cancelled.status == "cancelled" and cancelled.usage is None and cancelled.completed_at is None
    assert client.responses.cancel(response.id).status == "cancelled"   # idempotent
    assert client.responses.retrieve(response.id).status == "cancelled"
    sync = client.responses.create(model="gpt-4o", input="Hi")
    with pytest.raises(openai.BadRequestError, match="Cannot cancel a synchronous response"):
        client.responses.cancel(sync.id)


def test_delete_then_retrieve_is_a_404(client: openai.OpenAI) -> None:
    response = client.responses.create(model="gpt-4o", input="Hi")
    assert client.responses.delete(response.id) is None
    with pytest.raises(openai.NotFoundError, match=f"Response with id '{response.id}' not found."):
        client.responses.retrieve(response.id)


def test_the_stream_helper_gets_the_final_response(fake_openai: Any, client: openai.OpenAI) -> None:
    fake_openai.load({"stream": {"chunk_words": 2},
                      "responses": [{"steps": [{"message": "One two three four five."}]}]})
    with client.responses.stream(model="gpt-4o", input="Count") as stream:
        events = list(stream)
        final = stream.get_final_response()
    names = [event.type for event in events]
    assert names == ["response.created", "response.in_progress", "response.output_item.added",
                     "response.content_part.added", *["response.output_text.delta"] * 3,
                     "response.output_text.done", "response.content_part.done", "response.output_item.done",
                     "response.completed"]
    assert [event.sequence_number for event in events] == list(range(len(events)))
    assert "".join(e.delta for e in events if e.type == "response.output_text.delta") == "One two three four five."
    assert final.output_text == "One two three four five." and final.status == "completed"


def test_a_streamed_function_call(fake_openai: Any, client: openai.OpenAI) -> None:
    fake_openai.load(WEATHER)
    with client.responses.stream(model="gpt-4o", input="Weather?", tools=TOOLS) as stream:
        events = list(stream)
        final = stream.get_final_response()
    deltas = "".join(e.delta for e in events if e.type == "response.function_call_arguments.delta")
    [done] = [e for e in events if e.type == "response.function_call_arguments.done"]
    assert deltas == done.arguments == '{"city": "Paris"}' and done.name == "get_weather"
    assert final.output[0].type == "function_call" and final.status == "completed"


def test_a_background_stream_is_replayed_from_the_start_or_after_a_sequence_number(
        fake_openai: Any, client: openai.OpenAI) -> None:
    fake_openai.load(BACKGROUND)
    first = list(client.responses.create(model="gpt-4o", input="Report", background=True, stream=True))
    assert [e.type for e in first[:3]] == ["response.created", "response.queued", "response.in_progress"]
    assert first[0].response.status == "queued" and first[-1].type == "response.completed"
    response_id = first[0].response.id
    with client.responses.stream(response_id=response_id, starting_after=4) as resumed:  # filters client-side
        later = list(resumed)
        final = resumed.get_final_response()
    assert [e.sequence_number for e in later] == list(range(5, len(first)))
    assert final.output_text == "Done in the background."
    raw = list(client.responses.retrieve(response_id, stream=True, starting_after=len(first) - 3))
    assert [e.sequence_number for e in raw] == [len(first) - 2, len(first) - 1]
    foreground = client.responses.create(model="gpt-4o", input="Hi")
    with pytest.raises(openai.BadRequestError, match="not created with background=true"):
        client.responses.retrieve(foreground.id, stream=True)


PACED = {"responses": [{"name": "paced", "times": "always", "steps": [
    {"status": "queued"}, {"status": "in_progress", "reads": 5}, {"message": "Done at last.", "after": 30},
    {"status": "completed"}]}]}


def test_a_background_stream_plays_past_steps_paced_for_polling(fake_openai: Any, client: openai.OpenAI) -> None:
    """Issue 24 item 10: ``reads`` and ``after`` pace polling; a stream plays the whole script, its
    ``after`` wait passed on the fake clock (as a read that finds it waiting does). Through the SDK's
    create, its stream helper, and a replay that resumes where the client left."""
    fake_openai.load(PACED)
    events = list(client.responses.create(model="gpt-4o", input="Hi", background=True, stream=True))
    assert [e.type for e in events][:3] == ["response.created", "response.queued", "response.in_progress"]
    assert events[-1].type == "response.completed" and events[-1].response.output_text == "Done at last."
    done = events[-1].response
    assert done.completed_at - done.created_at >= 30   # the after: wait, on the fake clock
    assert client.responses.retrieve(done.id).status == "completed"

    with client.responses.stream(model="gpt-4o", input="Hi", background=True) as stream:
        final = stream.until_done().get_final_response()
    assert (final.status, final.output_text) == ("completed", "Done at last.")

    started = client.responses.create(model="gpt-4o", input="Hi", background=True, stream=True)
    for event in started:
        if event.type == "response.in_progress":
            break   # the client leaves after in_progress, then resumes from there
    started.close()
    with client.responses.stream(response_id=event.response.id, starting_after=event.sequence_number) as resumed:
        rest = [e.type for e in resumed]
        final = resumed.get_final_response()
    assert rest[-1] == "response.completed" and final.output_text == "Done at last."
    replayed = list(client.responses.retrieve(event.response.id, stream=True))
    assert [e.type for e in replayed] == [e.type for e in events]

    polled = [client.responses.create(model="gpt-4o", input="Hi", background=True)]
    while polled[-1].status in ("queued", "in_progress"):
        polled.append(client.responses.retrieve(polled[0].id))
    assert [r.status for r in polled] == ["queued", *["in_progress"] * 6, "completed"]   # reads: 5, polled


def test_a_stream_error_step_raises_in_the_sdk(fake_openai: Any, client: openai.OpenAI) -> None:
    fake_openai.load({"responses": [{"steps": [{"message": "Partial"},
                                               {"stream_error": {"message": "The model went away."}}]}]})
    with pytest.raises(openai.APIError, match="The model went away."):
        list(client.responses.create(model="gpt-4o", input="Hi", stream=True))


def test_incomplete_and_failed_steps(fake_openai: Any, strict: openai.OpenAI) -> None:
    fake_openai.load({"responses": [
        {"times": 1, "steps": [{"message": "Cut"}, {"status": "incomplete"}]},
        {"steps": [{"status": "failed", "last_error": {"code": "rate_limit_exceeded", "message": "Slow down."}}]}]})
    cut = strict.responses.create(model="gpt-4o", input="Long story")
    assert cut.status == "incomplete" and cut.incomplete_details is not None
    assert cut.incomplete_details.reason == "max_output_tokens" and cut.completed_at is None
    failed = strict.responses.create(model="gpt-4o", input="Again")
    assert failed.status == "failed" and failed.error is not None
    assert (failed.error.code, failed.error.message) == ("rate_limit_exceeded", "Slow down.")


def test_unmatched_error_names_the_request(fake_openai: Any, client: openai.OpenAI) -> None:
    fake_openai.load({"unmatched": "error", "responses": [{"match": {"model": "gpt-5"}, "steps": [{"message": "x"}]}]})
    response = client.responses.create(model="gpt-4o", input="Hi")
    assert response.status == "failed" and "no response script matched" in response.error.message
    [violation] = fake_openai.take_violations()
    assert violation["kind"] == "unmatched" and violation["response_id"] == response.id
    assert violation["request"] == "POST /v1/responses"
    assert violation["tried"][0]["reason"] == "model is 'gpt-4o', not 'gpt-5'"


@pytest.mark.anyio
async def test_the_async_client(fake_openai: Any, async_client: openai.AsyncOpenAI) -> None:
    fake_openai.load(BACKGROUND)
    response = await async_client.responses.create(model="gpt-4o", input="Go", background=True)
    while response.status in {"queued", "in_progress"}:
        response = await async_client.responses.retrieve(response.id)
    assert response.output_text == "Done in the background."
    async with async_client.responses.stream(model="gpt-4o", input="Hi") as stream:
        async for _ in stream:
            pass
        final = await stream.get_final_response()
    assert final.status == "completed"


def test_an_after_step_passes_on_the_fake_clock(fake_openai: Any, client: openai.OpenAI) -> None:
    """As for runs: a read of a background response waiting on after: moves the fake clock by the wait."""
    fake_openai.load({"responses": [{"times": "always", "steps": [
        {"status": "queued"}, {"status": "in_progress", "after": "30s"}, {"message": "Late."}]}]})
    response = client.responses.create(model="gpt-4o", input="Go", background=True)
    polls = 0
    while response.status in {"queued", "in_progress"}:
        response = client.responses.retrieve(response.id)
        polls += 1
    assert polls == 3 and response.output_text == "Late."
    assert response.completed_at is not None and response.completed_at - response.created_at >= 30
    sync = client.responses.create(model="gpt-4o", input="Again")   # answered at once: the wait passes too
    assert sync.completed_at is not None and sync.completed_at - sync.created_at >= 30


class Address(BaseModel):
    city: str
    postcode: str | None = None


class Person(BaseModel):
    name: str
    age: int = Field(ge=18, le=99)
    height: float
    role: Literal["admin", "editor", "viewer"]
    tags: list[str]
    addresses: list[Address]
    active: bool
    born: datetime.date
    nickname: str | None


def test_parse_with_a_text_format_returns_the_model(fake_openai: Any, strict: openai.OpenAI) -> None:
    """Nothing scripted: the generated answer is an instance of the json_schema text format."""
    parsed = strict.responses.parse(model="gpt-4o", input="Who is it?", text_format=Person)
    person = parsed.output_parsed
    assert isinstance(person, Person) and 18 <= person.age <= 99 and person.role in {"admin", "editor", "viewer"}
    assert len(person.tags) == 1 and isinstance(person.addresses[0], Address) and person.name
    assert parsed.text.format.type == "json_schema" and parsed.text.format.name == "Person"
    fake_openai.load({})   # the same scenario and request: the same instance
    assert strict.responses.parse(model="gpt-4o", input="Who is it?", text_format=Person).output_parsed == person
    with strict.responses.stream(model="gpt-4o", input="Who?", text_format=Person) as stream:
        final = stream.get_final_response()
    assert isinstance(final.output_parsed, Person)


def test_a_scripted_message_is_not_replaced_by_the_schema_instance(fake_openai: Any, client: openai.OpenAI) -> None:
    fake_openai.load({"responses": [{"steps": [{"message": '{"city": "Paris"}'}]}]})
    parsed = client.responses.parse(model="gpt-4o", input="Where?", text_format=Address)
    assert parsed.output_parsed == Address(city="Paris")


SCHEMAS = [
    {"type": "object", "properties": {"a": {"type": "integer", "minimum": 5, "exclusiveMaximum": 7},
                                      "b": {"type": "number", "minimum": -1.5, "maximum": -1.25},
                                      "c": {"enum": [1, "two", None]}, "d": {"const": "fixed"},
                                      "e": {"type": ["string", "null"], "minLength": 40, "maxLength": 41},
                                      "f": {"type": "array", "items": {"type": "boolean"}, "minItems": 3},
                                      "g": {"type": "string", "format": "date-time"},
                                      "h": {"type": "string", "format": "email"}},
     "required": ["a", "b", "c", "d", "e", "f", "g", "h"], "additionalProperties": False},
    {"$defs": {"node": {"type": "object", "properties": {
        "value": {"type": "string"},
        "children": {"anyOf": [{"type": "array", "items": {"$ref": "#/$defs/node"}}, {"type": "null"}]}},
        "required": ["value", "children"], "additionalProperties": False}},
     "$ref": "#/$defs/node"},
    {"allOf": [{"type": "object", "properties": {"x": {"type": "integer", "multipleOf": 7, "minimum": 1}},
                "required": ["x"]}], "properties": {"y": {"oneOf": [{"type": "null"}, {"type": "string"}]}}},
]


@pytest.mark.parametrize("schema", SCHEMAS)
def test_generated_instances_are_valid_and_deterministic(schema: dict[str, Any]) -> None:
    for key in ("1|a", "2|b", "3|c"):
        instance = schema_instance(schema, key)
        jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(instance)
        assert schema_instance(schema, key) == instance


def test_a_cut_off_message_is_incomplete_in_the_stream_too(fake_openai: Any, client: openai.OpenAI) -> None:
    fake_openai.load({"responses": [{"steps": [{"message": "Once upon a"}, {"status": "incomplete"}]}]})
    events = list(client.responses.create(model="gpt-4o", input="A story", stream=True))
    [done] = [e for e in events if e.type == "response.output_item.done"]
    assert done.item.status == "incomplete"
    assert events[-1].type == "response.incomplete" and events[-1].response.output[0].status == "incomplete"


MIGRATION = {"conversations": [{"name": "weather", "times": "always", "steps": [
    {"tool_calls": [{"function": "get_weather", "arguments": {"city": "Paris"}}],
     "expect_outputs": {"get_weather": {"contains": "Paris"}}},
    {"message": "It is 18 °C and sunny in Paris."}]}]}


def test_one_conversations_script_serves_runs_and_responses(fake_openai: Any, client: openai.OpenAI) -> None:
    """The migration promise: the same scenario file before (runs) and after (responses)."""
    fake_openai.load(MIGRATION)
    assistant = client.beta.assistants.create(model="gpt-4o")
    run = client.beta.threads.create_and_run_poll(assistant_id=assistant.id)
    assert run.status == "requires_action"
    [call] = run.required_action.submit_tool_outputs.tool_calls
    run = client.beta.threads.runs.submit_tool_outputs_and_poll(
        thread_id=run.thread_id, run_id=run.id, tool_outputs=[{"tool_call_id": call.id, "output": "Paris: 18C"}])
    [reply] = client.beta.threads.messages.list(thread_id=run.thread_id, order="desc", limit=1).data
    assert run.status == "completed" and reply.content[0].text.value == "It is 18 °C and sunny in Paris."

    first = client.responses.create(model="gpt-4o", input="Weather in Paris?", tools=TOOLS)
    second = client.responses.create(model="gpt-4o", previous_response_id=first.id, tools=TOOLS, input=[
        {"type": "function_call_output", "call_id": first.output[0].call_id, "output": "Paris: 18C"}])
    assert second.output_text == "It is 18 °C and sunny in Paris."
    [script] = fake_openai.scenario["conversations"]
    assert script["used"] == 2 and [s["id"] for s in script["served"]] == [run.id, first.id, second.id]
    assert [s["status"] for s in script["served"]] == ["completed", "completed", "completed"]
    assert fake_openai.violations == []


def test_a_runs_own_script_comes_before_a_conversations_script(fake_openai: Any, client: openai.OpenAI) -> None:
    fake_openai.load({"runs": [{"steps": [{"message": "From runs:"}]}], **MIGRATION})
    assistant = client.beta.assistants.create(model="gpt-4o")
    run = client.beta.threads.create_and_run_poll(assistant_id=assistant.id)
    [reply] = client.beta.threads.messages.list(thread_id=run.thread_id, order="desc", limit=1).data
    assert reply.content[0].text.value == "From runs:"
    assert client.responses.create(model="gpt-4o", input="Hi", tools=TOOLS).output[0].type == "function_call"


FORECAST = {"type": "function", "name": "get_forecast", "strict": True, "parameters": {
    "type": "object", "additionalProperties": False, "required": ["city", "days", "unit"],
    "properties": {"city": {"type": "string"}, "days": {"type": "integer", "minimum": 1, "maximum": 7},
                   "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}}}}


@pytest.mark.parametrize("tool_choice", ["required", {"type": "function", "name": "get_forecast"}])
def test_a_required_tool_choice_gets_a_generated_call(client: openai.OpenAI, tool_choice: Any) -> None:
    tools = [*TOOLS, FORECAST] if tool_choice != "required" else [FORECAST, *TOOLS]
    first = client.responses.create(model="gpt-4o", input="Forecast?", tools=tools, tool_choice=tool_choice)
    [call] = first.output
    assert first.status == "completed" and call.type == "function_call" and call.name == "get_forecast"
    jsonschema.validate(json.loads(call.arguments), FORECAST["parameters"])
    again = client.responses.create(model="gpt-4o", input="Forecast?", tools=tools, tool_choice=tool_choice)
    assert again.output[0].arguments != "" and again.id != first.id
    second = client.responses.create(model="gpt-4o", previous_response_id=first.id, input=[
        {"type": "function_call_output", "call_id": call.call_id, "output": "sunny all week"}])
    assert second.status == "completed" and second.output[0].type == "message" and second.output_text
