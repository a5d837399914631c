"""Chat Completions through the official SDK: sync and streamed completions scripted by the
conversation step language (``chat:`` and ``conversations:`` scripts), generated answers (text,
JSON schema instances, tool calls), stored completions. Every answer and every chunk is checked
against the official spec and the stream helpers' rules (the ``client`` fixture)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import jsonschema
import openai
import pytest
from pydantic import BaseModel

WEATHER_TOOL: Any = {"type": "function", "function": {"strict": True,
    "name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                                          "required": ["city"], "additionalProperties": False}}}
TIME_TOOL: Any = {"type": "function", "function": {
    "name": "get_time", "parameters": {"type": "object", "properties": {"zone": {"type": "string",
                                                                                  "enum": ["UTC", "CET"]}},
                                       "required": ["zone"]}}}
WEATHER = {"chat": [{"name": "weather", "match": {"tools": ["get_weather"]}, "steps": [
    {"tool_calls": [{"function": "get_weather", "arguments": {"city": "Paris"}, "id": "call_paris"}],
     "expect_outputs": {"call_paris": {"contains": "18"}}},
    {"tool_calls": [{"function": "get_weather", "arguments": {"city": "Rome"}},
                    {"function": "get_weather", "arguments": {"city": "Oslo"}}]},
    {"message": "Paris 18 °C, Rome 24 °C, Oslo 9 °C."}]}]}


class Weather(BaseModel):
    city: str
    celsius: int
    sunny: bool


@pytest.fixture
def strict(make_client: Callable[..., openai.OpenAI]) -> openai.OpenAI:
    """The SDK with strict response validation: a missing or mistyped field raises."""
    return make_client(max_retries=0, _strict_response_validation=True)


def _loop(client: openai.OpenAI, question: str, tools: list[Any], answer: Callable[[str], str]) -> tuple[Any, int]:
    """A hand-written tool loop: call the tools the model asks for until it answers."""
    messages: list[Any] = [{"role": "user", "content": question}]
    for rounds in range(5):
        completion = client.chat.completions.create(model="gpt-4o", messages=messages, tools=tools)
        message = completion.choices[0].message
        if completion.choices[0].finish_reason != "tool_calls":
            return completion, rounds
        messages.append(message.model_dump(exclude_none=True))
        for call in message.tool_calls or ():
            messages.append({"role": "tool", "tool_call_id": call.id,
                             "content": answer(json.loads(call.function.arguments)["city"])})
    raise AssertionError("the loop did not end")


def test_a_sync_completion_has_every_field(strict: openai.OpenAI) -> None:
    completion = strict.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}])
    assert completion.object == "chat.completion" and completion.id.startswith("chatcmpl-")
    assert completion.model == "gpt-4o-mini" and completion.created > 0
    [choice] = completion.choices
    assert choice.index == 0 and choice.finish_reason == "stop" and choice.logprobs is None
    assert choice.message.role == "assistant" and choice.message.refusal is None
    assert choice.message.annotations == [] and len((choice.message.content or "").split()) >= 5
    usage = completion.usage
    assert usage is not None and usage.total_tokens == usage.prompt_tokens + usage.completion_tokens > 0
    assert usage.completion_tokens_details is not None and usage.prompt_tokens_details is not None


def test_the_same_requests_give_the_same_bytes(fake_openai: Any, make_client: Callable[..., openai.OpenAI]) -> None:
    answers = []
    for _ in range(2):
        fake_openai.load({"seed": 3})
        answers.append(make_client().chat.completions.with_raw_response.create(
            model="gpt-4o", messages=[{"role": "user", "content": "Hi"}], n=2).content)
    assert answers[0] == answers[1]
    choices = json.loads(answers[0])["choices"]
    assert [c["index"] for c in choices] == [0, 1] and choices[0]["message"] != choices[1]["message"]


def test_a_hand_written_tool_loop_walks_the_script(fake_openai: Any, strict: openai.OpenAI) -> None:
    fake_openai.load(WEATHER)
    completion, rounds = _loop(strict, "Weather in Paris, Rome and Oslo?", [WEATHER_TOOL],
                               lambda city: {"Paris": "18", "Rome": "24", "Oslo": "9"}[city])
    assert rounds == 2 and completion.choices[0].message.content == "Paris 18 °C, Rome 24 °C, Oslo 9 °C."
    assert fake_openai.violations == []
    scenario = fake_openai.scenario
    assert scenario["chat"][0]["used"] == 1 and scenario["unused"] == []
    served = scenario["chat"][0]["served"]   # each request's completion: two rounds of calls, then the answer
    assert [(s["status"], s["step"]) for s in served] == [("waiting", 1), ("waiting", 2), ("completed", 3)]
    assert served[-1]["id"] == completion.id and {s["conversation"] for s in served} == {served[0]["id"]}


def test_tool_calls_end_the_turn(fake_openai: Any, strict: openai.OpenAI) -> None:
    fake_openai.load(WEATHER)
    completion = strict.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "?"}],
                                                tools=[WEATHER_TOOL])
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.content is None
    [call] = choice.message.tool_calls or []
    assert call.id == "call_paris" and call.type == "function" and call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Paris"}


def test_an_output_the_scenario_does_not_expect_is_a_500_and_a_violation(fake_openai: Any,
                                                                         client: openai.OpenAI) -> None:
    fake_openai.load(WEATHER)
    with pytest.raises(openai.InternalServerError, match="expected it containing '18'"):
        _loop(client, "Weather?", [WEATHER_TOOL], lambda city: "no idea")
    [violation] = fake_openai.take_violations()
    assert violation["kind"] == "expect_outputs" and violation["completion_id"].startswith("chatcmpl-")


def test_a_failed_expectation_is_not_retried_and_a_retry_gets_it_again(
        fake_openai: Any, make_client: Callable[..., openai.OpenAI]) -> None:
    """The SDK retries a 500 twice by default: a failed expectation says ``x-should-retry: false``,
    so the test sees it at once; an app that tries again gets it again (it once got the first step
    of a new conversation, and a tool loop went round for ever)."""
    fake_openai.load(WEATHER)
    retrying = make_client()   # the SDK's default max_retries
    with pytest.raises(openai.InternalServerError, match="expected it containing '18'") as raised:
        _loop(retrying, "Weather?", [WEATHER_TOOL], lambda city: "no idea")
    assert raised.value.response.headers["x-should-retry"] == "false"
    assert [r["headers"]["x-stainless-retry-count"] for r in fake_openai.requests] == ["0", "0"]
    again = json.loads(raised.value.response.request.content)
    with pytest.raises(openai.InternalServerError, match="expected it containing '18'"):
        retrying.chat.completions.create(**again)
    assert [v["kind"] for v in fake_openai.take_violations()] == ["expect_outputs"]


def test_a_scripted_failure_is_retried_at_once_and_each_retry_fails_alike(
        fake_openai: Any, make_client: Callable[..., openai.OpenAI]) -> None:
    fake_openai.load({"chat": [{"steps": [
        {"tool_calls": [{"function": "get_weather", "arguments": {"city": "Paris"}}]},
        {"status": "failed", "last_error": {"code": "server_error", "message": "The model broke."}}]}]})
    with pytest.raises(openai.InternalServerError, match="The model broke.") as raised:
        _loop(make_client(), "Weather?", [WEATHER_TOOL], lambda city: "18")
    assert raised.value.response.headers["retry-after-ms"] == "1"
    assert [r["headers"]["x-stainless-retry-count"] for r in fake_openai.requests] == ["0", "0", "1", "2"]
    assert fake_openai.scenario["chat"][0]["used"] == 1   # one conversation: the retries did not start another


def test_a_repeated_request_gets_the_same_completion(fake_openai: Any, client: openai.OpenAI) -> None:
    """A retry after a timeout (the server finished the first try) goes on with the conversation."""
    fake_openai.load(WEATHER)
    first = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "Weather?"}],
                                           tools=[WEATHER_TOOL])
    history = [{"role": "user", "content": "Weather?"}, first.choices[0].message.model_dump(exclude_none=True),
               {"role": "tool", "tool_call_id": "call_paris", "content": "18 °C"}]
    second = client.chat.completions.create(model="gpt-4o", messages=history, tools=[WEATHER_TOOL])
    repeated = client.chat.completions.create(model="gpt-4o", messages=history, tools=[WEATHER_TOOL])
    assert repeated.id == second.id and repeated.choices == second.choices
    assert [c.function.arguments for c in second.choices[0].message.tool_calls or ()] == [
        '{"city": "Rome"}', '{"city": "Oslo"}']


def test_required_tool_choice_generates_valid_arguments(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "Time?"}],
                                                tools=[WEATHER_TOOL, TIME_TOOL], tool_choice="required")
    calls = completion.choices[0].message.tool_calls or []
    assert [c.function.name for c in calls] == ["get_weather", "get_time"]
    for call, tool in zip(calls, (WEATHER_TOOL, TIME_TOOL), strict=True):
        jsonschema.validate(json.loads(call.function.arguments), tool["function"]["parameters"])
    single = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "Time?"}],
                                            tools=[WEATHER_TOOL, TIME_TOOL], parallel_tool_calls=False,
                                            tool_choice={"type": "function", "function": {"name": "get_time"}})
    assert [c.function.name for c in single.choices[0].message.tool_calls or []] == ["get_time"]
    # Answered, the generated conversation goes on to a message.
    asked = single.choices[0].message.model_dump(exclude_none=True)
    messages: list[Any] = [{"role": "user", "content": "Time?"}, asked]
    messages += [{"role": "tool", "tool_call_id": c.id, "content": "12:00"}
                 for c in single.choices[0].message.tool_calls or []]
    done = client.chat.completions.create(model="gpt-4o", messages=messages, tools=[WEATHER_TOOL, TIME_TOOL])
    assert done.choices[0].finish_reason == "stop" and done.choices[0].message.content


def test_parse_with_a_pydantic_model(strict: openai.OpenAI) -> None:
    completion = strict.chat.completions.parse(model="gpt-4o", messages=[{"role": "user", "content": "Paris?"}],
                                               response_format=Weather)
    parsed = completion.choices[0].message.parsed
    assert isinstance(parsed, Weather)
    answer = strict.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "JSON"}],
                                            response_format={"type": "json_object"})
    assert isinstance(json.loads(answer.choices[0].message.content or ""), dict)


def test_logprobs_when_asked(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "Hi"}],
                                                logprobs=True, top_logprobs=3)
    choice = completion.choices[0]
    assert choice.logprobs is not None and choice.logprobs.content
    assert "".join(t.token for t in choice.logprobs.content) == choice.message.content
    assert all(len(t.top_logprobs) == 3 and t.logprob <= 0 for t in choice.logprobs.content)


def test_max_tokens_cuts_the_answer(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "Hi"}],
                                                max_completion_tokens=4)
    assert completion.choices[0].finish_reason == "length"
    assert completion.choices[0].message.content and len(completion.choices[0].message.content.split()) <= 4


def test_scripted_refusal_failure_and_length(fake_openai: Any, client: openai.OpenAI) -> None:
    fake_openai.load({"chat": [
        {"match": {"last_message": {"contains": "bomb"}}, "steps": [{"message": {"refusal": "I can't help."}}]},
        {"match": {"last_message": {"contains": "fail"}}, "steps": [
            {"status": "failed", "last_error": {"code": "rate_limit_exceeded", "message": "Slow down."}}]},
        {"match": {"last_message": {"contains": "long"}}, "steps": [
            {"message": "Once upon a"}, {"status": "incomplete"}]}]})
    refused = client.chat.completions.parse(model="gpt-4o", messages=[{"role": "user", "content": "A bomb?"}],
                                            response_format=Weather)
    message = refused.choices[0].message
    assert message.refusal == "I can't help." and message.content is None and message.parsed is None
    with pytest.raises(openai.RateLimitError, match="Slow down.") as raised:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "fail"}])
    assert raised.value.code == "rate_limit_exceeded"
    cut = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "long"}])
    assert cut.choices[0].finish_reason == "length" and cut.choices[0].message.content == "Once upon a"


@pytest.mark.parametrize(("body", "param"), [
    ({"stream_options": {"include_usage": True}}, "stream_options"),
    ({"n": 0}, "n"),
    ({"tool_choice": "required"}, "tool_choice"),
    ({"tools": [WEATHER_TOOL], "tool_choice": {"type": "function", "function": {"name": "nope"}}}, "tool_choice"),
    ({"top_logprobs": 2}, "top_logprobs"),
    ({"messages": [{"role": "tool", "tool_call_id": "call_x", "content": "1"}]}, "messages.[0].role"),
])
def test_bad_requests_name_the_param(client: openai.OpenAI, body: dict[str, Any], param: str) -> None:
    request = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}], **body}
    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(**request)
    assert raised.value.param == param


def test_one_conversations_script_serves_chat_after_chat_scripts(fake_openai: Any, client: openai.OpenAI) -> None:
    fake_openai.load({"chat": [{"match": {"model": "gpt-4o-mini"}, "steps": [{"message": "chat script"}]}],
                      "conversations": [{"times": "always", "steps": [{"message": "shared script"}]}]})
    ask = [{"role": "user", "content": "Hi"}]
    mini = client.chat.completions.create(model="gpt-4o-mini", messages=ask)  # type: ignore[arg-type]
    other = client.chat.completions.create(model="gpt-4o", messages=ask)  # type: ignore[arg-type]
    assert mini.choices[0].message.content == "chat script" and other.choices[0].message.content == "shared script"
    scenario = fake_openai.scenario
    assert scenario["conversations"][0]["used"] == 1 and scenario["chat"][0]["used"] == 1


def test_unmatched_error_is_a_500_naming_the_request(fake_openai: Any, client: openai.OpenAI) -> None:
    fake_openai.load({"unmatched": "error", "chat": [{"match": {"model": "gpt-5"}, "steps": [{"message": "x"}]}]})
    with pytest.raises(openai.InternalServerError, match="no chat completion script matched") as raised:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "Hi"}])
    assert raised.value.response.headers["x-should-retry"] == "false"
    assert fake_openai.take_violations()[0]["kind"] == "unmatched"


# ----------------------------------------------------------------------------- streams

def test_a_raw_stream_with_usage(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "Hi"}], n=2,
                                            stream=True, stream_options={"include_usage": True})
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant" and chunks[-1].choices == []
    assert chunks[-1].usage is not None and all(c.usage is None for c in chunks[:-1])
    assert {c.choices[0].finish_reason for c in chunks[:-1] if c.choices[0].finish_reason} == {"stop"}


def test_the_stream_helper_with_tool_calls(fake_openai: Any, client: openai.OpenAI) -> None:
    fake_openai.load(WEATHER)
    with client.chat.completions.stream(model="gpt-4o", messages=[{"role": "user", "content": "?"}],
                                        tools=[WEATHER_TOOL]) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_completion()
    assert kinds.count("tool_calls.function.arguments.done") == 1 and "chunk" in kinds
    [call] = final.choices[0].message.tool_calls or []
    assert call.id == "call_paris" and call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Paris"}
    messages: list[Any] = [{"role": "user", "content": "?"}, final.choices[0].message.model_dump(exclude_none=True),
                           {"role": "tool", "tool_call_id": "call_paris", "content": "18"}]
    with client.chat.completions.stream(model="gpt-4o", messages=messages, tools=[WEATHER_TOOL],
                                        stream_options={"include_usage": True}) as stream:
        second = stream.get_final_completion()
    assert [c.function.name for c in second.choices[0].message.tool_calls or []] == ["get_weather", "get_weather"]
    assert second.usage is not None and second.choices[0].message.role == "assistant"


def test_the_stream_helper_with_text_and_parse(client: openai.OpenAI) -> None:
    with client.chat.completions.stream(model="gpt-4o", messages=[{"role": "user", "content": "Hi"}],
                                        response_format=Weather, logprobs=True) as stream:
        deltas = [event.delta for event in stream if event.type == "content.delta"]
        final = stream.get_final_completion()
    assert "".join(deltas) == final.choices[0].message.content and len(deltas) > 1
    assert isinstance(final.choices[0].message.parsed, Weather)


def test_a_stream_error_step_raises_in_the_sdk(fake_openai: Any, client: openai.OpenAI) -> None:
    fake_openai.load({"chat": [{"steps": [{"message": "Half"}, {"stream_error": {"message": "Overloaded."}}]}]})
    with pytest.raises(openai.APIError, match="Overloaded."):
        list(client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "Hi"}],
                                            stream=True))


def test_a_stream_fault_applies(fake_openai: Any, make_client: Callable[..., openai.OpenAI]) -> None:
    fake_openai.load({"faults": [{"match": {"path": "/v1/chat/completions"}, "after_events": 2, "disconnect": True}]})
    with pytest.raises(openai.APIConnectionError):
        list(make_client(max_retries=0).chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "Hi"}], stream=True))


@pytest.mark.anyio
async def test_the_async_client(fake_openai: Any, async_client: openai.AsyncOpenAI) -> None:
    fake_openai.load(WEATHER)
    async with async_client.chat.completions.stream(model="gpt-4o", messages=[{"role": "user", "content": "?"}],
                                                    tools=[WEATHER_TOOL]) as stream:
        async for _ in stream:
            pass
        final = await stream.get_final_completion()
    assert final.choices[0].finish_reason == "tool_calls"
    plain = await async_client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}])
    assert plain.choices[0].message.content


# ----------------------------------------------------------------------------- stored completions

def test_stored_completions(client: openai.OpenAI) -> None:
    made = [client.chat.completions.create(model=model, store=True, metadata={"case": case},
                                           messages=[{"role": "system", "content": "Be brief."},
                                                     {"role": "user", "content": f"Hi {i}"}])
            for i, (model, case) in enumerate([("gpt-4o", "a"), ("gpt-4o-mini", "b"), ("gpt-4o", "b")])]
    client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "not stored"}])
    assert [c.id for c in client.chat.completions.list()] == [c.id for c in made]
    assert [c.id for c in client.chat.completions.list(model="gpt-4o")] == [made[0].id, made[2].id]
    assert [c.id for c in client.chat.completions.list(metadata={"case": "b"})] == [made[1].id, made[2].id]
    page = client.chat.completions.list(limit=1, order="desc")
    assert [c.id for c in page.data] == [made[2].id] and page.has_more
    assert client.chat.completions.retrieve(made[0].id).choices == made[0].choices
    messages = client.chat.completions.messages.list(made[0].id)
    assert [(m.id, m.content) for m in messages] == [(f"{made[0].id}-0", "Be brief."), (f"{made[0].id}-1", "Hi 0")]
    updated = client.chat.completions.update(made[0].id, metadata={"case": "z"})
    assert updated.metadata == {"case": "z"}
    assert client.chat.completions.delete(made[0].id).deleted
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.retrieve(made[0].id)


def test_an_unused_chat_script_is_reported(fake_openai: Any, client: openai.OpenAI) -> None:
    fake_openai.load({"chat": [{"name": "used", "steps": [{"message": "a"}]},
                               {"name": "never", "match": {"model": "gpt-5"}, "steps": [{"message": "b"}]}]})
    client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "Hi"}])
    assert fake_openai.unused_scripts() == ["never"]
    fake_openai.load({})   # the test's own check: the fixture's teardown need not report it


# ----------------------------------------------------------------------------- the run built-ins serve chat

@pytest.mark.parametrize(("name", "rounds", "answer"), [
    ("requires_action_then_complete", 1, "It is 18 °C and sunny in Paris."),
    ("parallel_tool_calls", 1, "Paris is sunny; London is cloudy."),
])
def test_the_tool_call_built_ins_serve_a_tool_loop(fake_openai: Any, strict: openai.OpenAI, name: str, rounds: int,
                                                   answer: str) -> None:
    fake_openai.load(name)
    asked: list[str] = []
    completion, done = _loop(strict, "Weather?", [WEATHER_TOOL], lambda city: asked.append(city) or f"{city}: 18")
    assert (done, completion.choices[0].message.content) == (rounds, answer)
    assert asked == (["Paris"] if name.startswith("requires") else ["Paris", "London"])
    assert fake_openai.violations == []


def test_the_stream_with_tool_call_built_in_serves_the_stream_helper(fake_openai: Any, client: openai.OpenAI) -> None:
    fake_openai.load("stream_with_tool_call")
    messages: list[Any] = [{"role": "user", "content": "Weather in Paris?"}]
    with client.chat.completions.stream(model="gpt-4o", messages=messages, tools=[WEATHER_TOOL]) as stream:
        pieces = [e.arguments_delta for e in stream if e.type == "tool_calls.function.arguments.delta"]
        first = stream.get_final_completion()
    [call] = first.choices[0].message.tool_calls or []
    assert first.choices[0].finish_reason == "tool_calls"
    assert pieces == ["", '{"city":', ' "Paris"', ', "unit"', ': "celsi', 'us"}']   # the name, then 8 characters
    assert json.loads(call.function.arguments) == {"city": "Paris", "unit": "celsius"}
    messages += [first.choices[0].message.model_dump(exclude_none=True),
                 {"role": "tool", "tool_call_id": call.id, "content": "18C"}]
    with client.chat.completions.stream(model="gpt-4o", messages=messages, tools=[WEATHER_TOOL],
                                        stream_options={"include_usage": True}) as stream:
        words = [e.delta for e in stream if e.type == "content.delta"]
        second = stream.get_final_completion()
    assert words == ["", "It is", " 18 degrees", " and sunny", " in Paris", " today."]   # 2 words a delta
    assert second.choices[0].message.content == "It is 18 degrees and sunny in Paris today."
    assert second.usage is not None and second.usage.total_tokens == 102


def test_the_run_ending_built_ins_serve_chat(fake_openai: Any, make_client: Callable[..., openai.OpenAI]) -> None:
    client = make_client(max_retries=0)
    ask: Any = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]}
    fake_openai.load("run_fails")
    with pytest.raises(openai.InternalServerError) as caught:
        client.chat.completions.create(**ask)
    assert caught.value.status_code == 500 and caught.value.body == {
        "message": "Sorry, something went wrong.", "type": "server_error", "param": None, "code": "server_error"}
    fake_openai.load("run_incomplete")
    cut = client.chat.completions.create(**ask)
    assert cut.choices[0].finish_reason == "length" and cut.usage is not None and cut.usage.completion_tokens == 256
    assert cut.choices[0].message.content == "The answer starts here but the model ran out of"
    fake_openai.load("run_cancelled")   # a chat completion cannot be cancelled: the turn ends with nothing said
    ended = client.chat.completions.create(**ask).choices[0]
    assert (ended.finish_reason, ended.message.content, ended.message.tool_calls) == ("stop", "", None)
