"""The built-in scenarios (``scenarios/*.yaml``): each is documented, and each does what it says.

Every built-in has a description and a comment on every step and fault. One test per built-in
drives it through the official SDK and checks what its description and comments promise; a
built-in without such a test fails ``test_every_builtin_has_a_test_here``.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import openai
import pydantic
import pytest
import yaml

from fakeopenai.scenario.conversation import TERMINAL as RUN_TERMINAL
from fakeopenai.scenario.loader import builtin_dir, builtin_names, load_scenario
from tests.spec_check import SpecChecker
from tests.test_batches import _chat_line, _lines, _poll, _start

DRIVEN: set[str] = set()


def drives(name: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Mark a test as the one that drives built-in ``name`` (and load it for the test)."""
    def mark(test: Callable[..., None]) -> Callable[..., None]:
        assert name not in DRIVEN, f"two tests drive {name}"
        DRIVEN.add(name)
        return pytest.mark.fake_openai(scenario=name)(test)
    return mark


# ----------------------------------------------------------------------------- documentation

_COMMENT = re.compile(r"(^|\s)#")


def _items(root: yaml.Node) -> Iterator[tuple[str, yaml.Node]]:
    """(key path, node) of every step in runs, responses and batches, and every fault."""
    top = {key.value: value for key, value in root.value} if isinstance(root, yaml.MappingNode) else {}
    for section in ("runs", "responses", "chat", "batches"):
        for i, script in enumerate(getattr(top.get(section), "value", [])):
            steps = next((v for k, v in script.value if k.value == "steps"), None)
            for j, step in enumerate(getattr(steps, "value", [])):
                yield f"{section}[{i}].steps[{j}]", step
    for i, fault in enumerate(getattr(top.get("faults"), "value", [])):
        yield f"faults[{i}]", fault


def _uncommented(text: str) -> list[str]:
    """Steps and faults with no comment on their first line or on the line just above it."""
    lines = text.splitlines()
    missing = []
    for where, node in _items(yaml.compose(text)):
        line = node.start_mark.line
        above = lines[line - 1].strip() if line > 0 else ""
        if not _COMMENT.search(lines[line]) and not above.startswith("#"):
            missing.append(f"{line + 1}: {where}: {lines[line].strip()}")
    return missing


def test_the_comment_check_finds_every_step_and_fault_without_one() -> None:
    text = ("runs:\n  - steps:\n      - status: queued   # the create response\n      - status: in_progress\n"
            "        reads: 2   # not the item's line\n"
            "batches:\n  - steps: [{status: validating}]\n"
            "faults:\n  # a 500\n  - {status: 500}\n  - status: 503\n    times: 1  # not the item's line\n")

    assert _uncommented(text) == ["4: runs[0].steps[1]: - status: in_progress",
                                  "7: batches[0].steps[0]: - steps: [{status: validating}]",
                                  "11: faults[1]: - status: 503"]


@pytest.mark.parametrize("name", builtin_names())
def test_builtin_has_a_description_and_a_comment_on_every_step(name: str) -> None:
    path = builtin_dir() / f"{name}.yaml"

    assert load_scenario(name).description.strip()
    missing = _uncommented(path.read_text("utf-8"))
    assert not missing, f"{path}: steps and faults without a comment:\n" + "\n".join(missing)


def test_every_builtin_has_a_test_here() -> None:
    assert DRIVEN == set(builtin_names())


# ----------------------------------------------------------------------------- runs

def _walk(client: openai.OpenAI, run: Any) -> tuple[Any, list[str]]:
    """Retrieve until the run waits or ends; returns the last run and every status seen."""
    seen = [run.status]
    while run.status not in ("requires_action", *RUN_TERMINAL):
        run = client.beta.threads.runs.retrieve(thread_id=run.thread_id, run_id=run.id)
        seen.append(run.status)
        assert len(seen) < 20, seen
    return run, seen


def _start_run(client: openai.OpenAI, text: str = "Hello", assistant_id: str | None = None) -> Any:
    if assistant_id is None:
        assistant_id = client.beta.assistants.create(model="gpt-4o").id
    return client.beta.threads.create_and_run(assistant_id=assistant_id,
                                              thread={"messages": [{"role": "user", "content": text}]})


def _submit(client: openai.OpenAI, run: Any, outputs: dict[str, str]) -> Any:
    return client.beta.threads.runs.submit_tool_outputs(
        thread_id=run.thread_id, run_id=run.id,
        tool_outputs=[{"tool_call_id": call_id, "output": output} for call_id, output in outputs.items()])


def _replies(client: openai.OpenAI, run: Any) -> list[str]:
    messages = client.beta.threads.messages.list(thread_id=run.thread_id, run_id=run.id, order="asc").data
    return [m.content[0].text.value for m in messages]


def _steps(client: openai.OpenAI, run: Any) -> list[Any]:
    return client.beta.threads.runs.steps.list(thread_id=run.thread_id, run_id=run.id, order="asc").data


@drives("default")
def test_default(client: openai.OpenAI, spec: SpecChecker) -> None:
    run, seen = _walk(client, _start_run(client))

    assert seen == ["queued", "in_progress", "in_progress", "completed"]
    [reply] = _replies(client, run)
    assert len(reply.split()) == 12
    assert [(s.type, s.status) for s in _steps(client, run)] == [("message_creation", "completed")]

    batch, seen = _poll(client, _start(client, [_chat_line(f"r{i}") for i in range(4)]))

    assert seen == [("validating", 0, 0, 0), ("in_progress", 4, 0, 0), ("finalizing", 4, 4, 0),
                    ("completed", 4, 4, 0)]
    output = _lines(client, batch.output_file_id, spec)
    assert sorted(line["custom_id"] for line in output) == ["r0", "r1", "r2", "r3"]
    assert {line["response"]["status_code"] for line in output} == {200}
    assert batch.error_file_id is None


@drives("requires_action_then_complete")
def test_requires_action_then_complete(client: openai.OpenAI) -> None:
    run, seen = _walk(client, _start_run(client, "Weather in Paris?", "asst_weather"))

    assert seen == ["queued", "in_progress", "requires_action"]
    [call] = run.required_action.submit_tool_outputs.tool_calls
    assert (call.function.name, call.function.arguments) == ("get_weather", '{"city": "Paris"}')
    [waiting] = _steps(client, run)
    assert (waiting.type, waiting.status) == ("tool_calls", "in_progress")

    run, seen = _walk(client, _submit(client, run, {call.id: "18C"}))

    assert seen == ["queued", "in_progress", "completed"]
    assert _replies(client, run) == ["It is 18 °C and sunny in Paris."]
    assert (run.usage.prompt_tokens, run.usage.completion_tokens, run.usage.total_tokens) == (120, 14, 134)
    steps = _steps(client, run)
    assert [(s.type, s.status) for s in steps] == [("tool_calls", "completed"), ("message_creation", "completed")]
    assert steps[0].step_details.tool_calls[0].function.output == "18C"


@drives("parallel_tool_calls")
def test_parallel_tool_calls(client: openai.OpenAI) -> None:
    run, seen = _walk(client, _start_run(client, "Paris and London?", "asst_weather"))

    assert seen == ["queued", "in_progress", "requires_action"]
    calls = run.required_action.submit_tool_outputs.tool_calls
    assert [(c.function.name, c.function.arguments) for c in calls] == [
        ("get_weather", '{"city": "Paris"}'), ("get_weather", '{"city": "London"}')]
    with pytest.raises(openai.BadRequestError) as missing:
        _submit(client, run, {calls[0].id: "sunny"})
    assert missing.value.param == "tool_outputs" and f"missing: {calls[1].id}." in missing.value.message

    run, seen = _walk(client, _submit(client, run, {calls[0].id: "sunny", calls[1].id: "cloudy"}))

    assert seen == ["queued", "in_progress", "completed"]
    assert _replies(client, run) == ["Paris is sunny; London is cloudy."]
    assert [c.function.output for c in _steps(client, run)[0].step_details.tool_calls] == ["sunny", "cloudy"]


@drives("run_fails")
def test_run_fails(client: openai.OpenAI) -> None:
    run, seen = _walk(client, _start_run(client))

    assert seen == ["queued", "in_progress", "failed"]
    assert (run.last_error.code, run.last_error.message) == ("server_error", "Sorry, something went wrong.")
    assert run.failed_at is not None and run.completed_at is None
    assert _replies(client, run) == []


@drives("run_expires")
def test_run_expires(client: openai.OpenAI, fake_openai: Any) -> None:
    abandoned, seen = _walk(client, _start_run(client))
    answered, _ = _walk(client, _start_run(client))

    assert seen == ["queued", "in_progress", "requires_action"]
    [call] = abandoned.required_action.submit_tool_outputs.tool_calls
    assert (call.function.name, call.function.arguments) == ("lookup_order", '{"order_id": "A-1001"}')
    assert abandoned.expires_at == abandoned.created_at + 600

    # Answered in time, the run goes on to the scripted message.
    [other_call] = answered.required_action.submit_tool_outputs.tool_calls
    answered, seen = _walk(client, _submit(client, answered, {other_call.id: "shipped"}))
    assert seen == ["queued", "in_progress", "completed"]
    assert _replies(client, answered) == ["Your order has shipped."]

    fake_openai.clock.advance(601)

    expired = client.beta.threads.runs.retrieve(thread_id=abandoned.thread_id, run_id=abandoned.id)
    assert expired.status == "expired" and expired.required_action is None
    [step] = _steps(client, expired)
    assert step.status == "expired" and step.expired_at == abandoned.expires_at


@drives("run_cancelled")
def test_run_cancelled(client: openai.OpenAI) -> None:
    ignored, seen = _walk(client, _start_run(client))

    assert seen == ["queued"] + ["in_progress"] * 5 + ["cancelled"]
    assert ignored.cancelled_at is not None

    run = _start_run(client)
    assert client.beta.threads.runs.retrieve(thread_id=run.thread_id, run_id=run.id).status == "in_progress"
    assert client.beta.threads.runs.cancel(thread_id=run.thread_id, run_id=run.id).status == "cancelling"
    cancelled = client.beta.threads.runs.retrieve(thread_id=run.thread_id, run_id=run.id)
    assert cancelled.status == "cancelled" and cancelled.cancelled_at is not None


@drives("run_incomplete")
def test_run_incomplete(client: openai.OpenAI) -> None:
    run, seen = _walk(client, _start_run(client))

    assert seen == ["queued", "in_progress", "in_progress", "incomplete"]
    assert run.incomplete_details.reason == "max_completion_tokens" and run.completed_at is not None
    assert (run.usage.prompt_tokens, run.usage.completion_tokens, run.usage.total_tokens) == (300, 256, 556)
    assert _replies(client, run) == ["The answer starts here but the model ran out of"]
    [message] = client.beta.threads.messages.list(thread_id=run.thread_id, run_id=run.id).data
    assert message.status == "incomplete" and message.incomplete_details.reason == "max_tokens"  # issue 17 item 5
    assert message.incomplete_at is not None and message.completed_at is None
    assert sum(s.usage.completion_tokens for s in _steps(client, run)) == 256   # issue 17 item 7


@drives("stream_with_tool_call")
def test_stream_with_tool_call(client: openai.OpenAI) -> None:
    events = list(client.beta.threads.create_and_run(
        assistant_id="asst_weather", stream=True, thread={"messages": [{"role": "user", "content": "Paris?"}]}))

    names = [e.event for e in events]
    assert names == ["thread.created", "thread.run.created", "thread.run.queued", "thread.run.in_progress",
                     "thread.run.step.created", "thread.run.step.in_progress"] + ["thread.run.step.delta"] * 6 + [
                     "thread.run.requires_action"]
    chunks = [e.data.delta.step_details.tool_calls[0].function for e in events if e.event == "thread.run.step.delta"]
    assert chunks[0].name == "get_weather"
    assert [c.arguments for c in chunks] == ['', '{"city":', ' "Paris"', ', "unit"', ': "celsi', 'us"}']
    run = events[-1].data
    [call] = run.required_action.submit_tool_outputs.tool_calls
    assert call.function.arguments == '{"city": "Paris", "unit": "celsius"}'

    after = list(client.beta.threads.runs.submit_tool_outputs(
        thread_id=run.thread_id, run_id=run.id, tool_outputs=[{"tool_call_id": call.id, "output": "18C"}],
        stream=True))

    assert [e.event for e in after] == [
        "thread.run.step.completed", "thread.run.queued", "thread.run.in_progress", "thread.run.step.created",
        "thread.run.step.in_progress", "thread.message.created", "thread.message.in_progress"] + [
        "thread.message.delta"] * 5 + ["thread.message.completed", "thread.run.step.completed",
                                       "thread.run.completed"]
    deltas = [e.data.delta.content[0].text.value for e in after if e.event == "thread.message.delta"]
    assert deltas == ["It is", " 18 degrees", " and sunny", " in Paris", " today."]
    final = after[-1].data
    assert final.status == "completed" and final.usage.total_tokens == 102
    polled = client.beta.threads.runs.retrieve(thread_id=run.thread_id, run_id=run.id)
    assert polled.model_dump() == final.model_dump()


# ----------------------------------------------------------------------------- responses

WEATHER_TOOL = [{"type": "function", "name": "get_weather",
                 "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}]


def _poll_response(client: openai.OpenAI, response: Any) -> tuple[Any, list[str]]:
    """The official background guide's loop; returns the last response and every status seen."""
    seen = [response.status]
    while response.status in {"queued", "in_progress"}:
        response = client.responses.retrieve(response.id)
        seen.append(response.status)
        assert len(seen) < 20, seen
    return response, seen


@drives("response_background_completes")
def test_response_background_completes(client: openai.OpenAI) -> None:
    response, seen = _poll_response(client, client.responses.create(model="gpt-4o", input="Report", background=True))

    assert seen == ["queued", "in_progress", "in_progress", "completed"]
    assert response.output_text == "Here is the quarterly report you asked for."
    assert response.background is True and response.completed_at is not None and response.error is None
    assert (response.usage.input_tokens, response.usage.output_tokens, response.usage.total_tokens) == (130, 12, 142)

    sync = client.responses.create(model="gpt-4o", input="Report")   # answered at once: the same steps
    assert sync.status == "completed" and sync.output_text == response.output_text


@drives("response_tool_loop")
def test_response_tool_loop(client: openai.OpenAI) -> None:
    response = client.responses.create(model="gpt-4o", input="Weather in Paris and Lyon?", tools=WEATHER_TOOL)
    cities = []
    while any(item.type == "function_call" for item in response.output):
        assert response.status == "completed"
        [call] = response.output
        assert call.name == "get_weather" and call.call_id.startswith("call_") and call.id.startswith("fc_")
        city = json.loads(call.arguments)["city"]
        cities.append(city)
        response = client.responses.create(model="gpt-4o", previous_response_id=response.id, tools=WEATHER_TOOL,
                                           input=[{"type": "function_call_output", "call_id": call.call_id,
                                                   "output": f"{city}: fine"}])
    assert cities == ["Paris", "Lyon"]
    assert response.status == "completed"
    assert response.output_text == "It is 18 °C and sunny in Paris, and 21 °C and cloudy in Lyon."

    # Stateless, as the SDK's tool runner does: store false, the whole history resent.
    history: list[Any] = [{"role": "user", "content": "Weather?"}]
    for city in ("Paris", "Lyon"):
        response = client.responses.create(model="gpt-4o", input=history, tools=WEATHER_TOOL, store=False)
        [call] = response.output
        assert json.loads(call.arguments) == {"city": city}
        history += [{"type": "function_call", "call_id": call.call_id, "name": call.name,
                     "arguments": call.arguments},
                    {"type": "function_call_output", "call_id": call.call_id, "output": "fine"}]
    final = client.responses.create(model="gpt-4o", input=history, tools=WEATHER_TOOL, store=False)
    assert final.output_text.startswith("It is 18 °C and sunny in Paris")


@drives("response_fails")
def test_response_fails(client: openai.OpenAI) -> None:
    response, seen = _poll_response(client, client.responses.create(model="gpt-4o", input="Hi", background=True))

    assert seen == ["queued", "in_progress", "failed"]
    assert (response.error.code, response.error.message) == ("server_error", "The model backend is unavailable.")
    assert response.completed_at is None and response.output == []

    sync = client.responses.create(model="gpt-4o", input="Hi")
    assert sync.status == "failed" and sync.error.code == "server_error"


@drives("response_incomplete_max_tokens")
def test_response_incomplete_max_tokens(client: openai.OpenAI) -> None:
    started = client.responses.create(model="gpt-4o", input="A long story", background=True)
    response, seen = _poll_response(client, started)

    assert seen == ["queued", "in_progress", "in_progress", "incomplete"]
    assert response.incomplete_details.reason == "max_output_tokens" and response.error is None
    assert response.output_text == "The answer starts here but the model ran out of"
    [message] = response.output
    assert message.status == "incomplete"
    assert (response.usage.input_tokens, response.usage.output_tokens) == (300, 256)

    sync = client.responses.create(model="gpt-4o", input="A long story", max_output_tokens=16)
    assert sync.status == "incomplete" and sync.incomplete_details.reason == "max_output_tokens"


# ----------------------------------------------------------------------------- batches

def _batch_files(client: openai.OpenAI, batch: Any, spec: SpecChecker) -> tuple[list[str], dict[str, str]]:
    """The custom_ids of the output file, and custom_id -> error code of the error file."""
    output = [line["custom_id"] for line in _lines(client, batch.output_file_id, spec)]
    errors = {line["custom_id"]: line["error"]["code"] for line in _lines(client, batch.error_file_id, spec)}
    return output, errors


def _requests(count: int) -> list[dict[str, Any]]:
    return [_chat_line(f"r{i}") for i in range(count)]


@drives("batch_completes")
def test_batch_completes(client: openai.OpenAI, spec: SpecChecker) -> None:
    batch, seen = _poll(client, _start(client, _requests(6)))

    assert seen == [("validating", 0, 0, 0), ("in_progress", 6, 3, 0), ("finalizing", 6, 6, 0),
                    ("completed", 6, 6, 0)]
    output, errors = _batch_files(client, batch, spec)
    assert sorted(output) == [f"r{i}" for i in range(6)] and output != sorted(output)  # seeded shuffle
    assert errors == {} and batch.error_file_id is None
    assert batch.completed_at is not None and batch.finalizing_at is not None


@drives("batch_fails_partway")
def test_batch_fails_partway(client: openai.OpenAI, spec: SpecChecker) -> None:
    batch, seen = _poll(client, _start(client, _requests(4)))

    assert seen == [("validating", 0, 0, 0), ("in_progress", 4, 2, 0), ("failed", 4, 2, 2)]
    [error] = batch.errors.data
    assert (error.code, error.line) == ("server_error", None)
    assert error.message == "The batch failed while running. Requests that finished are in the output file."
    output, errors = _batch_files(client, batch, spec)
    assert sorted(output) == ["r0", "r1"] and errors == {"r2": "batch_failed", "r3": "batch_failed"}
    assert batch.failed_at is not None


@drives("batch_validation_fails")
def test_batch_validation_fails(client: openai.OpenAI) -> None:
    batch, seen = _poll(client, _start(client, _requests(4)))

    assert seen == [("validating", 0, 0, 0), ("failed", 0, 0, 0)]
    [error] = batch.errors.data
    assert (error.code, error.line) == ("token_limit_exceeded", None)
    assert error.message.startswith("Enqueued token limit reached for this model in your organization.")
    assert (batch.output_file_id, batch.error_file_id, batch.in_progress_at) == (None, None, None)


@drives("batch_expires")
def test_batch_expires(client: openai.OpenAI, spec: SpecChecker) -> None:
    batch, seen = _poll(client, _start(client, _requests(5)))

    assert seen == [("validating", 0, 0, 0), ("in_progress", 5, 2, 0), ("expired", 5, 2, 3)]
    output, errors = _batch_files(client, batch, spec)
    assert sorted(output) == ["r0", "r1"] and errors == dict.fromkeys(["r2", "r3", "r4"], "batch_expired")
    assert batch.expired_at is not None


@drives("batch_cancelled")
def test_batch_cancelled(client: openai.OpenAI, spec: SpecChecker) -> None:
    batch, seen = _poll(client, _start(client, _requests(4)))

    assert seen == [("validating", 0, 0, 0), ("in_progress", 4, 2, 0), ("cancelling", 4, 2, 0),
                    ("cancelled", 4, 2, 2)]
    output, errors = _batch_files(client, batch, spec)
    assert sorted(output) == ["r0", "r1"] and errors == {"r2": "batch_cancelled", "r3": "batch_cancelled"}
    assert batch.cancelling_at is not None and batch.cancelled_at is not None


# ----------------------------------------------------------------------------- faults

@contextmanager
def _recording_client(fake_openai: Any, spec: SpecChecker, **kwargs: Any) -> Iterator[tuple[openai.OpenAI,
                                                                                            list[tuple[Any, ...]]]]:
    """An SDK client that notes (method, path, status, retry-after-ms) of every answer it gets."""
    answers: list[tuple[Any, ...]] = []

    def note(response: Any) -> None:
        request = response.request
        answers.append((request.method, request.url.path, response.status_code,
                        response.headers.get("retry-after-ms")))

    http = openai.DefaultHttpxClient(event_hooks={"response": [spec.hook, note]}, transport=fake_openai.transport())
    with fake_openai.client(http_client=http, **kwargs) as sdk:
        yield sdk, answers


def _retry_counts(fake_openai: Any, method: str, path: str) -> list[str]:
    return [r["headers"].get("x-stainless-retry-count") for r in fake_openai.requests
            if r["method"] == method and r["path"] == path]


@drives("rate_limited_then_ok")
def test_rate_limited_then_ok(fake_openai: Any, spec: SpecChecker) -> None:
    with _recording_client(fake_openai, spec, max_retries=2) as (sdk, answers):
        assistant = sdk.beta.assistants.create(model="gpt-4o")
        thread = sdk.beta.threads.create()
        run = sdk.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id)
        both = sdk.beta.threads.create_and_run(assistant_id=assistant.id)

    runs_path = f"/v1/threads/{thread.id}/runs"
    assert answers == [("POST", "/v1/assistants", 200, None), ("POST", "/v1/threads", 200, None)] + [
        ("POST", runs_path, 429, "10")] * 2 + [("POST", runs_path, 200, None)] + [
        ("POST", "/v1/threads/runs", 429, "10")] * 2 + [("POST", "/v1/threads/runs", 200, None)]
    assert run.status == both.status == "queued"
    assert _retry_counts(fake_openai, "POST", runs_path) == ["0", "1", "2"]
    assert _retry_counts(fake_openai, "POST", "/v1/threads/runs") == ["0", "1", "2"]
    assert [f["fired"] for f in fake_openai.scenario["faults"]] == [2, 2]

    fake_openai.load("rate_limited_then_ok")
    with _recording_client(fake_openai, spec, max_retries=0) as (sdk, _):
        assistant = sdk.beta.assistants.create(model="gpt-4o")
        with pytest.raises(openai.RateLimitError) as limited:
            sdk.beta.threads.create_and_run(assistant_id=assistant.id)
    assert (limited.value.status_code, limited.value.code, limited.value.type) == (429, "rate_limit_exceeded",
                                                                                  "requests")


@drives("server_errors_then_ok")
def test_server_errors_then_ok(fake_openai: Any, spec: SpecChecker) -> None:
    with _recording_client(fake_openai, spec, max_retries=2) as (sdk, answers):
        assistant = sdk.beta.assistants.create(model="gpt-4o", name="third time")
        listed = sdk.beta.assistants.list().data
        thread = sdk.beta.threads.create()

    assert answers == [("POST", "/v1/assistants", 500, "1"), ("POST", "/v1/assistants", 503, "1"),
                       ("POST", "/v1/assistants", 200, None), ("GET", "/v1/assistants", 200, None),
                       ("POST", "/v1/threads", 200, None)]
    assert _retry_counts(fake_openai, "POST", "/v1/assistants") == ["0", "1", "2"]
    assert [a.id for a in listed] == [assistant.id] and thread.object == "thread"

    fake_openai.load("server_errors_then_ok")
    with _recording_client(fake_openai, spec, max_retries=0) as (sdk, _):
        with pytest.raises(openai.InternalServerError) as first:
            sdk.files.create(file=("in.jsonl", b"{}\n"), purpose="batch")
        with pytest.raises(openai.InternalServerError) as second:
            sdk.beta.threads.create()
        assert sdk.beta.threads.create().object == "thread"
    assert first.value.status_code == 500
    assert first.value.body["message"] == "The server had an error while processing your request (scripted fault)."
    assert second.value.status_code == 503
    assert second.value.body["message"] == ("The engine is currently overloaded (scripted fault). "
                                            "Please try again later.")


@drives("slow_responses")
def test_slow_responses(make_client: Callable[..., openai.OpenAI], fake_openai: Any) -> None:
    impatient = make_client(max_retries=0, timeout=0.3)
    run = _start_run(impatient)
    listed = impatient.beta.threads.runs.list(thread_id=run.thread_id).data
    steps = impatient.beta.threads.runs.steps.list(thread_id=run.thread_id, run_id=run.id).data

    assert [r.id for r in listed] == [run.id] and steps == []
    with pytest.raises(openai.APITimeoutError):
        impatient.beta.threads.runs.retrieve(thread_id=run.thread_id, run_id=run.id)

    patient = make_client(max_retries=0, timeout=5)
    started = time.monotonic()
    read = patient.beta.threads.runs.retrieve(thread_id=run.thread_id, run_id=run.id)
    assert time.monotonic() - started >= 1.5
    assert (read.id, read.status) == (run.id, "in_progress")
    assert fake_openai.scenario["faults"][0]["fired"] == 2



# ----------------------------------------------------------------------------- embeddings and models

def _cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


@drives("embeddings_similarity")
def test_embeddings_similarity(client: openai.OpenAI) -> None:
    texts = ["cat", "a kitten", "a dog", "a car"]
    for dimensions in (None, 256):
        extra = {} if dimensions is None else {"dimensions": dimensions}
        cat, kitten, dog, car = (item.embedding for item in client.embeddings.create(
            model="text-embedding-3-small", input=texts, **extra).data)   # the SDK's default base64, decoded
        assert len(cat) == (dimensions or 1536) and cat[0] == pytest.approx(1.0)
        assert _cosine(cat, kitten) == pytest.approx(0.9, abs=1e-5)
        assert _cosine(cat, dog) == pytest.approx(0.5, abs=1e-5)
        assert abs(_cosine(cat, car)) < 0.2
    large = client.embeddings.create(model="text-embedding-3-large", input=["cat", "my kitten"],
                                     encoding_format="float").data
    assert _cosine(large[0].embedding, large[1].embedding) == pytest.approx(0.9, abs=1e-5)


@drives("strict_models")
def test_strict_models(client: openai.OpenAI) -> None:
    assert [m.id for m in client.models.list()] == ["gpt-4o-mini", "text-embedding-3-small", "omni-moderation-latest"]
    assert client.responses.create(model="gpt-4o-mini", input="Hi").status == "completed"
    assert client.embeddings.create(model="text-embedding-3-small", input="Hi").data[0].index == 0
    assert client.moderations.create(model="omni-moderation-latest", input="Hi").results[0].flagged is False
    for call in (lambda: client.responses.create(model="gpt-4o", input="Hi"),
                 lambda: client.embeddings.create(model="text-embedding-3-large", input="Hi"),
                 lambda: client.beta.assistants.create(model="gpt-4o")):
        with pytest.raises(openai.NotFoundError) as caught:
            call()
        assert (caught.value.code, caught.value.param) == ("model_not_found", "model")
        assert caught.value.message.endswith("does not exist or you do not have access to it.")

# ----------------------------------------------------------------------------- chat completions

CHAT_WEATHER_TOOL: Any = [{"type": "function", "function": {
    "name": "get_weather", "strict": True,
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"],
                   "additionalProperties": False}}}]


@drives("chat_tool_loop")
def test_chat_tool_loop(client: openai.OpenAI, fake_openai: Any) -> None:
    messages: list[Any] = [{"role": "user", "content": "Weather in Paris and Lyon?"}]
    cities = []
    completion = client.chat.completions.create(model="gpt-4o", messages=messages, tools=CHAT_WEATHER_TOOL)
    while completion.choices[0].finish_reason == "tool_calls":
        message = completion.choices[0].message
        assert message.content is None
        [call] = message.tool_calls or []
        assert call.id.startswith("call_") and call.function.name == "get_weather"
        city = json.loads(call.function.arguments)["city"]
        cities.append(city)
        messages += [message.model_dump(exclude_none=True),
                     {"role": "tool", "tool_call_id": call.id, "content": f"{city}: 18 C"}]
        completion = client.chat.completions.create(model="gpt-4o", messages=messages, tools=CHAT_WEATHER_TOOL)
    assert cities == ["Paris", "Lyon"] and completion.choices[0].finish_reason == "stop"
    assert completion.choices[0].message.content == "It is 18 °C and sunny in Paris, and 21 °C and cloudy in Lyon."
    assert fake_openai.violations == []


@drives("chat_stream_with_tool_call")
def test_chat_stream_with_tool_call(client: openai.OpenAI) -> None:
    ask: list[Any] = [{"role": "user", "content": "Weather?"}]
    with client.chat.completions.stream(model="gpt-4o", messages=ask, tools=CHAT_WEATHER_TOOL) as stream:
        argument_deltas = [e.arguments_delta for e in stream if e.type == "tool_calls.function.arguments.delta"]
        first = stream.get_final_completion()
    [call] = first.choices[0].message.tool_calls or []
    assert first.choices[0].finish_reason == "tool_calls" and argument_deltas[:2] == ["", '{"city":']
    assert json.loads(call.function.arguments) == {"city": "Paris", "unit": "celsius"}
    messages = [*ask, first.choices[0].message.model_dump(exclude_none=True),
                {"role": "tool", "tool_call_id": call.id, "content": "18 C, sunny"}]
    with client.chat.completions.stream(model="gpt-4o", messages=messages, tools=CHAT_WEATHER_TOOL,
                                        stream_options={"include_usage": True}) as stream:
        deltas = [e.delta for e in stream if e.type == "content.delta"]
        answer = stream.get_final_completion()
    assert deltas == ["", "It is", " 18 degrees", " and sunny", " in Paris", " today."]
    assert answer.choices[0].message.content == "It is 18 degrees and sunny in Paris today."
    assert answer.usage is not None and answer.usage.total_tokens == 102


class _Answer(pydantic.BaseModel):
    text: str


@drives("chat_refusal")
def test_chat_refusal(client: openai.OpenAI) -> None:
    ask: list[Any] = [{"role": "user", "content": "Something harmful"}]
    parsed = client.chat.completions.parse(model="gpt-4o", messages=ask, response_format=_Answer)
    message = parsed.choices[0].message
    assert message.refusal == "I'm sorry, I can't help with that request."
    assert message.content is None and message.parsed is None and parsed.choices[0].finish_reason == "stop"
    with client.chat.completions.stream(model="gpt-4o", messages=ask) as stream:
        refused = "".join(e.delta for e in stream if e.type == "refusal.delta")
    assert refused == message.refusal


@drives("chat_length_cut")
def test_chat_length_cut(client: openai.OpenAI) -> None:
    ask: list[Any] = [{"role": "user", "content": "A long story"}]
    cut = client.chat.completions.create(model="gpt-4o", messages=ask)
    assert cut.choices[0].finish_reason == "length"
    assert cut.choices[0].message.content == "The answer starts here but the model ran out of"
    assert cut.usage is not None and (cut.usage.prompt_tokens, cut.usage.completion_tokens) == (300, 256)
    with pytest.raises(openai.LengthFinishReasonError):
        client.chat.completions.parse(model="gpt-4o", messages=ask, response_format=_Answer)
