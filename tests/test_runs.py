"""Runs through the official SDK's polling helpers, scenario by scenario."""

from __future__ import annotations

import openai
import pytest

from fakeopenai.families.assistants.runs import RUN_LIFETIME


def _assistant(client: openai.OpenAI, **kwargs):  # type: ignore[no-untyped-def]
    return client.beta.assistants.create(model=kwargs.pop("model", "gpt-4o"), name="Helper", **kwargs)


def test_default_script_completes_with_a_generated_message(client: openai.OpenAI) -> None:
    assistant = _assistant(client)
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "Hello there"}])

    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)

    assert run.status == "completed"
    assert run.completed_at is not None and run.started_at is not None
    assert run.expires_at is None  # live API: null once terminal
    assert run.usage.total_tokens == run.usage.prompt_tokens + run.usage.completion_tokens > 0
    messages = client.beta.threads.messages.list(thread_id=thread.id, order="asc").data
    assert [m.role for m in messages] == ["user", "assistant"]
    reply = messages[1]
    assert reply.run_id == run.id and reply.assistant_id == assistant.id
    assert len(reply.content[0].text.value.split()) >= 5
    steps = client.beta.threads.runs.steps.list(thread_id=thread.id, run_id=run.id).data
    assert [(s.type, s.status) for s in steps] == [("message_creation", "completed")]
    assert steps[0].step_details.message_creation.message_id == reply.id


def test_polling_sees_each_state_once(client: openai.OpenAI, fake_openai) -> None:  # type: ignore[no-untyped-def]
    assistant = _assistant(client)
    thread = client.beta.threads.create()
    run = client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id)
    seen = [run.status]
    while seen[-1] not in ("completed", "failed"):
        seen.append(client.beta.threads.runs.retrieve(run_id=run.id, thread_id=thread.id).status)
    assert seen == ["queued", "in_progress", "in_progress", "completed"]
    reads = [r for r in fake_openai.requests if r["method"] == "GET" and r["path"].endswith(run.id)]
    assert len(reads) == 3


@pytest.mark.fake_openai(scenario="requires_action_then_complete")
def test_tool_call_round_trip(client: openai.OpenAI) -> None:
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "Weather in Paris?"}])

    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id="asst_weather")

    assert run.status == "requires_action"
    assert run.expires_at == run.created_at + RUN_LIFETIME
    [call] = run.required_action.submit_tool_outputs.tool_calls
    assert call.function.name == "get_weather" and call.function.arguments == '{"city": "Paris"}'
    assert call.id.startswith("call_")
    [waiting] = client.beta.threads.runs.steps.list(thread_id=thread.id, run_id=run.id).data
    assert waiting.type == "tool_calls" and waiting.status == "in_progress"
    assert waiting.step_details.tool_calls[0].function.output is None

    run = client.beta.threads.runs.submit_tool_outputs_and_poll(
        thread_id=thread.id, run_id=run.id, tool_outputs=[{"tool_call_id": call.id, "output": "18C, sunny"}])

    assert run.status == "completed"
    assert run.usage.prompt_tokens == 120 and run.usage.completion_tokens == 14 and run.usage.total_tokens == 134
    steps = client.beta.threads.runs.steps.list(thread_id=thread.id, run_id=run.id, order="asc").data
    assert [(s.type, s.status) for s in steps] == [("tool_calls", "completed"), ("message_creation", "completed")]
    assert steps[0].step_details.tool_calls[0].function.output == "18C, sunny"
    messages = client.beta.threads.messages.list(thread_id=thread.id, run_id=run.id).data
    assert [m.content[0].text.value for m in messages] == ["It is 18 °C and sunny in Paris."]


@pytest.mark.fake_openai(scenario="parallel_tool_calls")
def test_parallel_tool_calls_need_every_output(client: openai.OpenAI) -> None:
    run = client.beta.threads.create_and_run_poll(
        assistant_id="asst_weather", thread={"messages": [{"role": "user", "content": "Paris and London?"}]})
    calls = run.required_action.submit_tool_outputs.tool_calls
    assert [c.function.arguments for c in calls] == ['{"city": "Paris"}', '{"city": "London"}']

    with pytest.raises(openai.BadRequestError) as missing:
        client.beta.threads.runs.submit_tool_outputs(
            thread_id=run.thread_id, run_id=run.id, tool_outputs=[{"tool_call_id": calls[0].id, "output": "sun"}])
    assert missing.value.status_code == 400
    assert missing.value.param == "tool_outputs" and calls[1].id in missing.value.message

    with pytest.raises(openai.BadRequestError) as unknown:
        client.beta.threads.runs.submit_tool_outputs(
            thread_id=run.thread_id, run_id=run.id,
            tool_outputs=[{"tool_call_id": "call_nope", "output": "x"}, {"tool_call_id": calls[1].id, "output": "y"}])
    assert unknown.value.param == "tool_outputs[0].tool_call_id" and "call_nope" in unknown.value.message

    still = client.beta.threads.runs.retrieve(thread_id=run.thread_id, run_id=run.id)
    assert still.status == "requires_action"  # rejected submissions changed nothing

    done = client.beta.threads.runs.submit_tool_outputs_and_poll(
        thread_id=run.thread_id, run_id=run.id,
        tool_outputs=[{"tool_call_id": c.id, "output": f"out-{i}"} for i, c in enumerate(calls)])
    assert done.status == "completed"
    [tool_step] = [s for s in client.beta.threads.runs.steps.list(thread_id=run.thread_id, run_id=run.id)
                   if s.type == "tool_calls"]
    assert [c.function.output for c in tool_step.step_details.tool_calls] == ["out-0", "out-1"]


def test_tool_outputs_for_a_run_not_waiting_is_a_400(client: openai.OpenAI) -> None:
    assistant = _assistant(client)
    run = client.beta.threads.create_and_run_poll(assistant_id=assistant.id)
    with pytest.raises(openai.BadRequestError) as error:
        client.beta.threads.runs.submit_tool_outputs(thread_id=run.thread_id, run_id=run.id,
                                                     tool_outputs=[{"tool_call_id": "call_x", "output": ""}])
    assert "completed" in error.value.message and error.value.param == "tool_outputs"


@pytest.mark.fake_openai(scenario="run_fails")
def test_run_fails_with_last_error(client: openai.OpenAI) -> None:
    assistant = _assistant(client)
    run = client.beta.threads.create_and_run_poll(assistant_id=assistant.id)
    assert run.status == "failed"
    assert run.last_error.code == "server_error" and run.last_error.message
    assert run.failed_at is not None and run.completed_at is None


@pytest.mark.fake_openai(scenario="run_cancelled")
def test_cancel_answers_cancelling_then_cancelled(client: openai.OpenAI) -> None:
    assistant = _assistant(client)
    run = client.beta.threads.create_and_run(assistant_id=assistant.id)
    run = client.beta.threads.runs.retrieve(thread_id=run.thread_id, run_id=run.id)
    assert run.status == "in_progress"

    cancelling = client.beta.threads.runs.cancel(thread_id=run.thread_id, run_id=run.id)
    assert cancelling.status == "cancelling"
    final = client.beta.threads.runs.poll(thread_id=run.thread_id, run_id=run.id)
    assert final.status == "cancelled" and final.cancelled_at is not None

    with pytest.raises(openai.BadRequestError) as again:
        client.beta.threads.runs.cancel(thread_id=run.thread_id, run_id=run.id)
    assert "cancelled" in again.value.message


@pytest.mark.fake_openai(scenario="run_cancelled")
def test_uncancelled_run_ends_cancelled_by_the_script(client: openai.OpenAI) -> None:
    assistant = _assistant(client)
    run = client.beta.threads.create_and_run_poll(assistant_id=assistant.id)
    assert run.status == "cancelled"


@pytest.mark.fake_openai(scenario="run_incomplete")
def test_incomplete_run(client: openai.OpenAI) -> None:
    assistant = _assistant(client)
    run = client.beta.threads.create_and_run_poll(assistant_id=assistant.id)
    assert run.status == "incomplete"
    assert run.incomplete_details.reason == "max_completion_tokens"
    assert run.completed_at is not None
    assert run.usage.completion_tokens == 256


@pytest.mark.fake_openai(scenario="requires_action_then_complete")
def test_cancelling_a_run_waiting_for_outputs_clears_required_action(client: openai.OpenAI) -> None:
    """Issue 17 item 3: the cancel answered `cancelling` with required_action still filled in."""
    run = client.beta.threads.create_and_run_poll(assistant_id="asst_weather")
    assert run.status == "requires_action" and run.required_action is not None

    cancelling = client.beta.threads.runs.cancel(thread_id=run.thread_id, run_id=run.id)

    assert cancelling.status == "cancelling" and cancelling.required_action is None
    cancelled = client.beta.threads.runs.retrieve(thread_id=run.thread_id, run_id=run.id)
    assert cancelled.status == "cancelled" and cancelled.required_action is None
    [step] = client.beta.threads.runs.steps.list(thread_id=run.thread_id, run_id=run.id).data
    assert step.status == "cancelled"


@pytest.mark.fake_openai(scenario="run_incomplete")
def test_the_cut_off_message_of_an_incomplete_run_is_incomplete(client: openai.OpenAI) -> None:
    """Issue 17 item 5: the cut-off assistant message was `completed` with no incomplete_details."""
    assistant = _assistant(client)
    run = client.beta.threads.create_and_run_poll(assistant_id=assistant.id)
    assert run.status == "incomplete"

    [message] = client.beta.threads.messages.list(thread_id=run.thread_id, run_id=run.id).data

    assert message.status == "incomplete" and message.incomplete_details.reason == "max_tokens"
    assert message.incomplete_at is not None and message.completed_at is None
    assert message.content[0].text.value == "The answer starts here but the model ran out of"


def test_a_streamed_cut_off_message_ends_with_thread_message_incomplete(client: openai.OpenAI,
                                                                         fake_openai) -> None:  # type: ignore[no-untyped-def]
    """Issue 17 item 5: streamed, the cut-off message's last event is thread.message.incomplete."""
    fake_openai.load({"runs": [{"steps": [{"message": "Cut"}, {"status": "in_progress"}, {
        "status": "incomplete", "incomplete_details": {"reason": "max_prompt_tokens"}}]}]})
    assistant = _assistant(client)

    events = list(client.beta.threads.create_and_run(assistant_id=assistant.id, stream=True))

    names = [e.event for e in events]
    assert "thread.message.incomplete" in names and "thread.message.completed" not in names
    message = events[names.index("thread.message.incomplete")].data
    assert message.status == "incomplete" and message.incomplete_details.reason == "max_tokens"
    assert names[-1] == "thread.run.incomplete"


def _step_usage_sum(client: openai.OpenAI, run) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    steps = client.beta.threads.runs.steps.list(thread_id=run.thread_id, run_id=run.id).data
    return (sum(s.usage.prompt_tokens for s in steps), sum(s.usage.completion_tokens for s in steps),
            sum(s.usage.total_tokens for s in steps))


def test_a_runs_usage_is_the_sum_of_its_steps_usage(client: openai.OpenAI) -> None:
    """Issue 17 item 7: the steps said 0 prompt tokens while the run said 5."""
    assistant = _assistant(client, instructions="Answer in one sentence.")
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "Hello there"}])

    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)

    usage = run.usage
    assert usage.prompt_tokens > 0 and usage.completion_tokens > 0
    assert _step_usage_sum(client, run) == (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens)
    [step] = client.beta.threads.runs.steps.list(thread_id=thread.id, run_id=run.id).data
    assert step.usage.prompt_tokens == usage.prompt_tokens   # the run's first step carries the prompt


@pytest.mark.fake_openai(scenario="requires_action_then_complete")
def test_pinned_usage_is_split_over_the_steps(client: openai.OpenAI) -> None:
    """Issue 17 item 7: with usage pinned in the scenario, the steps' completion tokens disagreed too."""
    run = client.beta.threads.create_and_run_poll(assistant_id="asst_weather")
    call = run.required_action.submit_tool_outputs.tool_calls[0]
    run = client.beta.threads.runs.submit_tool_outputs_and_poll(
        thread_id=run.thread_id, run_id=run.id, tool_outputs=[{"tool_call_id": call.id, "output": "18C"}])

    assert (run.usage.prompt_tokens, run.usage.completion_tokens, run.usage.total_tokens) == (120, 14, 134)
    assert _step_usage_sum(client, run) == (120, 14, 134)
    tool_step, message_step = client.beta.threads.runs.steps.list(thread_id=run.thread_id, run_id=run.id,
                                                                   order="asc").data
    assert tool_step.usage.prompt_tokens == 120 and message_step.usage.prompt_tokens == 0
    assert tool_step.usage.completion_tokens > 0 and message_step.usage.completion_tokens > 0


def test_one_active_run_per_thread(client: openai.OpenAI) -> None:
    assistant = _assistant(client)
    thread = client.beta.threads.create()
    run = client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id)
    with pytest.raises(openai.BadRequestError) as second:
        client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id)
    assert run.id in second.value.message
    with pytest.raises(openai.BadRequestError) as message:
        client.beta.threads.messages.create(thread_id=thread.id, role="user", content="more")
    assert message.value.body["message"] == f"Can't add messages to {thread.id} while a run {run.id} is active."
    assert len(client.beta.threads.runs.list(thread_id=thread.id).data) == 1
    client.beta.threads.runs.poll(thread_id=thread.id, run_id=run.id)
    client.beta.threads.messages.create(thread_id=thread.id, role="user", content="now it works")


def test_run_takes_settings_from_request_then_assistant(client: openai.OpenAI) -> None:
    assistant = _assistant(client, instructions="Be brief.", temperature=0.3,
                           tools=[{"type": "code_interpreter"}])
    thread = client.beta.threads.create()
    run = client.beta.threads.runs.create(
        thread_id=thread.id, assistant_id=assistant.id, model="gpt-4o-mini", additional_instructions="Use French.",
        metadata={"case": "settings"}, additional_messages=[{"role": "user", "content": "Bonjour"}],
        max_completion_tokens=500, tool_choice="none", parallel_tool_calls=False)
    assert run.model == "gpt-4o-mini"
    assert run.instructions == "Be brief.\nUse French."
    assert run.temperature == 0.3 and run.tools[0].type == "code_interpreter"
    assert run.metadata == {"case": "settings"} and run.max_completion_tokens == 500
    assert run.tool_choice == "none" and run.parallel_tool_calls is False
    [message] = client.beta.threads.messages.list(thread_id=thread.id).data
    assert message.content[0].text.value == "Bonjour"

    modified = client.beta.threads.runs.update(thread_id=thread.id, run_id=run.id, metadata={"case": "changed"})
    assert modified.metadata == {"case": "changed"}


def test_unknown_ids_are_404s(client: openai.OpenAI) -> None:
    assistant = _assistant(client)
    thread = client.beta.threads.create()
    with pytest.raises(openai.NotFoundError) as no_run:
        client.beta.threads.runs.retrieve(thread_id=thread.id, run_id="run_missing")
    assert no_run.value.body["message"] == "No run found with id 'run_missing'." and no_run.value.param == "run_id"
    with pytest.raises(openai.NotFoundError) as no_thread:
        client.beta.threads.runs.create(thread_id="thread_missing", assistant_id=assistant.id)
    assert no_thread.value.param == "thread_id"
    with pytest.raises(openai.NotFoundError) as no_assistant:
        client.beta.threads.runs.create(thread_id=thread.id, assistant_id="asst_missing")
    assert no_assistant.value.param == "assistant_id"
    assert client.beta.threads.runs.list(thread_id=thread.id).data == []  # nothing was created
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    with pytest.raises(openai.NotFoundError) as no_step:
        client.beta.threads.runs.steps.retrieve(thread_id=thread.id, run_id=run.id, step_id="step_missing")
    assert no_step.value.param == "step_id"


def test_runs_and_steps_paginate(client: openai.OpenAI) -> None:
    assistant = _assistant(client)
    thread = client.beta.threads.create()
    created = [client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id).id
               for _ in range(5)]
    walked = [run.id for run in client.beta.threads.runs.list(thread_id=thread.id, limit=2, order="asc")]
    assert walked == created
    newest_first = [run.id for run in client.beta.threads.runs.list(thread_id=thread.id, limit=2)]
    assert newest_first == created[::-1]
    page = client.beta.threads.runs.list(thread_id=thread.id, limit=2, order="asc", after=created[1])
    assert [r.id for r in page.data] == created[2:4] and page.has_more is True
    page = client.beta.threads.runs.list(thread_id=thread.id, limit=2, order="asc", before=created[4])
    assert [r.id for r in page.data] == created[2:4] and page.has_more is True


@pytest.mark.anyio
async def test_async_client_runs_the_same_flow(async_client: openai.AsyncOpenAI) -> None:
    assistant = await async_client.beta.assistants.create(model="gpt-4o")
    run = await async_client.beta.threads.create_and_run_poll(assistant_id=assistant.id)
    assert run.status == "completed"
    messages = await async_client.beta.threads.messages.list(thread_id=run.thread_id)
    assert messages.data[0].role == "assistant"


def test_non_ascii_tool_arguments_are_sent_as_utf8(client: openai.OpenAI, fake_openai) -> None:  # type: ignore[no-untyped-def]
    """issue 17 item 23: a scenario's tool-call arguments reach the client as the live API sends them, UTF-8 text
    (they were \\u00fc escapes inside the arguments string)."""
    fake_openai.load({"runs": [{"steps": [
        {"tool_calls": [{"function": "get_weather", "arguments": {"city": "München", "note": "☀"}}]},
        {"status": "completed"}]}]})

    run = client.beta.threads.create_and_run_poll(assistant_id=_assistant(client).id)

    [call] = run.required_action.submit_tool_outputs.tool_calls  # type: ignore[union-attr]
    assert call.function.arguments == '{"city": "München", "note": "☀"}'
