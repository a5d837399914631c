"""The fake clock: scenario start and step, explicit advances, expiry, `after:` steps."""

from __future__ import annotations

from typing import Any

import httpx
import openai
import pytest


@pytest.mark.fake_openai(scenario="run_expires")
def test_requires_action_run_expires_after_600_seconds(client: openai.OpenAI, fake_openai: Any) -> None:
    assistant = client.beta.assistants.create(model="gpt-4o")
    run = client.beta.threads.create_and_run_poll(assistant_id=assistant.id)
    assert run.status == "requires_action" and run.expires_at == run.created_at + 600

    fake_openai.clock.advance(599 - (fake_openai.clock.now - run.created_at))
    assert client.beta.threads.runs.retrieve(thread_id=run.thread_id, run_id=run.id).status == "requires_action"
    fake_openai.clock.advance(2)

    expired = client.beta.threads.runs.retrieve(thread_id=run.thread_id, run_id=run.id)
    assert expired.status == "expired" and expired.required_action is None
    [step] = client.beta.threads.runs.steps.list(thread_id=run.thread_id, run_id=run.id).data
    assert step.status == "expired" and step.expired_at == run.expires_at
    call = run.required_action.submit_tool_outputs.tool_calls[0]
    with pytest.raises(openai.BadRequestError) as late:
        client.beta.threads.runs.submit_tool_outputs(thread_id=run.thread_id, run_id=run.id,
                                                     tool_outputs=[{"tool_call_id": call.id, "output": "x"}])
    assert "expired" in late.value.message


def test_clock_start_and_step_come_from_the_scenario(client: openai.OpenAI, fake_openai: Any) -> None:
    fake_openai.load({"clock": {"start": "2030-05-01T00:00:00Z", "step": 5}})
    first = client.beta.assistants.create(model="gpt-4o")
    second = client.beta.assistants.create(model="gpt-4o")
    assert first.created_at == 1903824000 + 5  # 2030-05-01T00:00:00Z + one step
    assert second.created_at - first.created_at == 5


# A budget: past this many run reads the fake answers 400, so a poll loop that never ends fails
# the test instead of hanging it.
_READ_BUDGET = {"match": {"method": "GET", "path": "/v1/threads/*/runs/*"}, "after": 20, "times": "always",
                "status": 400, "error": {"message": "read budget used up: the poll loop did not end"}}


def _reads(fake_openai: Any, path: str) -> int:
    return sum(1 for r in fake_openai.requests if r["method"] == "GET" and r["path"].startswith(path))


def test_create_and_poll_passes_an_after_step_in_a_few_reads(client: openai.OpenAI, fake_openai: Any) -> None:
    """Issue 17 item 9: create_and_poll over `after: 30s` spun forever (reads did not move the clock)."""
    fake_openai.load({"faults": [_READ_BUDGET], "runs": [{"steps": [
        {"status": "queued"}, {"status": "in_progress", "after": "30s"}, {"message": "Done."},
        {"status": "completed"}]}]})
    assistant = client.beta.assistants.create(model="gpt-4o")
    thread = client.beta.threads.create()

    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)

    assert run.status == "completed"
    assert _reads(fake_openai, "/v1/threads/") == 3   # in_progress; the wait passed: message; completed
    assert run.completed_at - run.started_at >= 30    # the read that passed the wait moved the clock 30 s
    [message] = client.beta.threads.messages.list(thread_id=thread.id, run_id=run.id).data
    assert message.created_at >= run.started_at + 30


def test_a_read_passes_the_wait_and_an_advance_shortens_it(client: openai.OpenAI, fake_openai: Any) -> None:
    """Issue 17 item 9: a read of a step waiting on `after:` moves the fake clock to the end of the wait
    (and on); a clock the test already moved far enough is not moved again."""
    fake_openai.load({"runs": [{"times": "always", "steps": [
        {"status": "queued"}, {"status": "in_progress", "after": "30s"}, {"status": "completed"}]}]})
    assistant = client.beta.assistants.create(model="gpt-4o")
    run = client.beta.threads.create_and_run(assistant_id=assistant.id)
    read = lambda: client.beta.threads.runs.retrieve(thread_id=run.thread_id, run_id=run.id)  # noqa: E731
    started = read()
    assert started.status == "in_progress" and fake_openai.clock.now == started.started_at

    done = read()
    assert done.status == "completed" and done.completed_at == started.started_at + 30 + 1  # the wait, one tick

    second = client.beta.threads.create_and_run(assistant_id=assistant.id)
    read = lambda: client.beta.threads.runs.retrieve(thread_id=second.thread_id, run_id=second.id)  # noqa: E731
    started = read()
    fake_openai.clock.advance(45)
    done = read()
    assert done.status == "completed" and done.completed_at == started.started_at + 45 + 1


def test_a_stream_passes_an_after_step_on_the_fake_clock(client: openai.OpenAI, fake_openai: Any) -> None:
    """Issue 17 item 9: streams played `after:` steps at once; the clock now moves by the wait."""
    fake_openai.load({"runs": [{"steps": [
        {"status": "queued"}, {"status": "in_progress", "after": "30s"}, {"message": "Later."},
        {"status": "completed"}]}]})
    assistant = client.beta.assistants.create(model="gpt-4o")

    events = list(client.beta.threads.create_and_run(assistant_id=assistant.id, stream=True))

    by_name = {e.event: e.data for e in events}
    started = by_name["thread.run.in_progress"].started_at
    assert by_name["thread.message.created"].created_at == started + 30 + 1
    assert by_name["thread.run.completed"].completed_at - started >= 30
    assert fake_openai.clock.now >= started + 30


def test_a_long_after_step_ends_in_expiry(client: openai.OpenAI, fake_openai: Any) -> None:
    """Issue 17 items 9 and 22: a step waiting past the run's expires_at (600 s) expires it, polled or streamed."""
    fake_openai.load({"faults": [_READ_BUDGET], "runs": [{"times": "always", "steps": [
        {"status": "queued"}, {"status": "in_progress", "after": "15m"}, {"status": "completed"}]}]})
    assistant = client.beta.assistants.create(model="gpt-4o")

    run = client.beta.threads.create_and_run_poll(assistant_id=assistant.id)
    assert run.status == "expired" and fake_openai.clock.now >= run.created_at + 600

    events = list(client.beta.threads.create_and_run(assistant_id=assistant.id, stream=True))
    assert [e.event for e in events][-1] == "thread.run.expired"


def test_in_progress_and_queued_runs_expire(client: openai.OpenAI, fake_openai: Any) -> None:
    """Issue 17 item 22: only requires_action runs expired; a run left queued or in progress past its
    expires_at stayed there (the live API expires it)."""
    fake_openai.load({"runs": [
        {"match": {"metadata": {"case": "queued"}}, "steps": [{"status": "queued", "reads": 1000}]},
        {"steps": [{"status": "queued"}, {"status": "in_progress", "reads": 1000}, {"message": "never"}]}]})
    assistant = client.beta.assistants.create(model="gpt-4o")
    queued = client.beta.threads.create_and_run(assistant_id=assistant.id, metadata={"case": "queued"})
    run = client.beta.threads.create_and_run(assistant_id=assistant.id)
    assert client.beta.threads.runs.retrieve(thread_id=run.thread_id, run_id=run.id).status == "in_progress"

    fake_openai.clock.advance(600)

    expired = client.beta.threads.runs.retrieve(thread_id=run.thread_id, run_id=run.id)
    assert expired.status == "expired" and expired.expires_at == run.expires_at
    assert expired.usage is not None and expired.required_action is None
    [listed] = client.beta.threads.runs.list(thread_id=queued.thread_id).data
    assert listed.status == "expired" and listed.expires_at == queued.created_at + 600
    client.beta.threads.messages.create(thread_id=run.thread_id, role="user", content="Still there?")  # not busy


def test_fractions_of_a_second_add_up(client: openai.OpenAI, fake_openai: Any, http: httpx.Client) -> None:
    """Issue 17 item 4: the clock dropped fractions (advance(1.5) moved 1 s, four advance(0.5) nothing)."""
    start = fake_openai.clock.now
    assert fake_openai.clock.advance(1.5) == start + 1
    for _ in range(4):
        fake_openai.clock.advance(0.5)
    assert fake_openai.clock.now == start + 3     # 1.5 + 4 x 0.5 = 3.5: timestamps show whole seconds
    assert http.post("/_fake/clock", json={"advance": 0.25}).json()["now"] == start + 3
    assert http.post("/_fake/clock", json={"advance": 0.25}).json()["now"] == start + 4
    assert client.beta.assistants.create(model="gpt-4o").created_at == start + 5   # a tick: one whole step


def test_an_after_step_in_milliseconds_moves_on_once_the_clock_passed_it(client: openai.OpenAI,
                                                                        fake_openai: Any) -> None:
    """Issue 17 item 4: `after: 1500ms` ends after advance(1.5) (or three advance(0.5)), without a jump."""
    fake_openai.load({"runs": [{"steps": [{"status": "queued"}, {"status": "in_progress", "after": "1500ms"},
                                          {"status": "completed"}]}]})
    assistant = client.beta.assistants.create(model="gpt-4o")
    run = client.beta.threads.create_and_run(assistant_id=assistant.id)
    read = lambda: client.beta.threads.runs.retrieve(thread_id=run.thread_id, run_id=run.id)  # noqa: E731
    assert read().status == "in_progress"
    for _ in range(3):
        fake_openai.clock.advance(0.5)
    before = fake_openai.clock.now
    done = read()
    assert done.status == "completed" and done.completed_at == before + 1   # one tick, no wait left to pass


def test_clock_over_the_control_api(fake_openai: Any) -> None:
    headers = {"Authorization": f"Bearer {fake_openai.api_key}"}
    origin = fake_openai.server.origin
    before = httpx.get(origin + "/_fake/clock", headers=headers).json()["now"]
    after = httpx.post(origin + "/_fake/clock", headers=headers, json={"advance": 3600}).json()["now"]
    assert after == before + 3600 == fake_openai.clock.now
    bad = httpx.post(origin + "/_fake/clock", headers=headers, json={"advance": -1})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "advance"


# ------------------------------------------------------------------ at the clock's cap (issue 32)
# The clock stops at 2^31-1 (32-bit clients read every timestamp); an expires_at the cap cut short
# (now + lifetime, capped) equalled `now`, and objects made there expired the moment they were made.
CAP = 2**31 - 1
_TOOL = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}


def _at_cap(fake_openai: Any, **scenario: Any) -> None:
    fake_openai.load({"clock": {"start": CAP}, **scenario})


def test_a_run_made_at_the_cap_plays_its_script(client: openai.OpenAI, fake_openai: Any) -> None:
    _at_cap(fake_openai, runs=[{"steps": [
        {"status": "queued"}, {"tool_calls": [{"function": "get_weather", "arguments": {"city": "Paris"}}]},
        {"message": "Sunny."}, {"status": "completed"}]}])
    assistant = client.beta.assistants.create(model="gpt-4o", tools=[_TOOL])
    run = client.beta.threads.create_and_run(assistant_id=assistant.id)
    assert run.status == "queued" and run.created_at == run.expires_at == CAP

    waiting = client.beta.threads.runs.retrieve(thread_id=run.thread_id, run_id=run.id)
    assert waiting.status == "requires_action"
    fake_openai.clock.advance(3600)   # the clock stays at the cap: the run's lifetime never ends
    [call] = client.beta.threads.runs.retrieve(thread_id=run.thread_id, run_id=run.id) \
        .required_action.submit_tool_outputs.tool_calls
    run = client.beta.threads.runs.submit_tool_outputs_and_poll(
        thread_id=run.thread_id, run_id=run.id, tool_outputs=[{"tool_call_id": call.id, "output": "18 C"}])
    assert run.status == "completed" and run.completed_at == CAP
    [message] = client.beta.threads.messages.list(thread_id=run.thread_id).data
    assert message.content[0].text.value == "Sunny."


def test_a_file_uploaded_at_the_cap_stays(client: openai.OpenAI, fake_openai: Any) -> None:
    _at_cap(fake_openai)
    upload = client.files.create(file=("in.jsonl", b'{"a": 1}\n'), purpose="batch")
    assert upload.created_at == upload.expires_at == CAP
    fake_openai.clock.advance(31 * 86400)
    assert client.files.retrieve(upload.id).id == upload.id
    assert client.files.content(upload.id).content == b'{"a": 1}\n'
    assert [f.id for f in client.files.list()] == [upload.id]
    assert client.files.delete(upload.id).deleted
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(upload.id)


def test_a_batch_made_at_the_cap_completes(client: openai.OpenAI, fake_openai: Any) -> None:
    _at_cap(fake_openai, batches=[{"steps": [{"status": "validating"}, {"status": "in_progress"},
                                             {"status": "completed"}]}])
    line = b'{"custom_id": "a", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "gpt-4o", ' \
           b'"messages": [{"role": "user", "content": "Hi"}]}}\n'
    upload = client.files.create(file=("in.jsonl", line), purpose="batch")
    batch = client.batches.create(input_file_id=upload.id, endpoint="/v1/chat/completions",
                                  completion_window="24h")
    assert batch.status == "validating" and batch.expires_at == CAP
    statuses = [client.batches.retrieve(batch.id).status for _ in range(2)]
    assert statuses == ["in_progress", "completed"]
    done = client.batches.retrieve(batch.id)
    assert done.request_counts.completed == 1 and done.output_file_id is not None
    output = client.files.content(done.output_file_id).text
    assert '"custom_id": "a"' in output or '"custom_id":"a"' in output


def test_a_background_response_made_at_the_cap_completes(client: openai.OpenAI, fake_openai: Any) -> None:
    _at_cap(fake_openai, responses=[{"steps": [{"status": "queued"}, {"status": "in_progress", "after": "30s"},
                                               {"message": "Done."}, {"status": "completed"}]}])
    response = client.responses.create(model="gpt-4o", input="Go", background=True)
    assert response.status == "queued" and response.created_at == CAP
    seen = [client.responses.retrieve(response.id).status for _ in range(3)]
    assert seen == ["in_progress", "in_progress", "completed"], seen   # the after: wait ends at the cap
    done = client.responses.retrieve(response.id)
    assert done.status == "completed" and done.output_text == "Done."


def test_a_lifetime_the_cap_cuts_short_does_not_end(client: openai.OpenAI, fake_openai: Any) -> None:
    """Near the cap: a run whose created_at + 600 passes the cap waits for its tool outputs as long as the clock
    runs; one whose lifetime ends before the cap still expires there."""
    _at_cap(fake_openai, clock={"start": CAP - 800}, runs=[{"times": "always", "steps": [
        {"tool_calls": [{"function": "get_weather", "arguments": {}}]}, {"status": "completed"}]}])
    assistant = client.beta.assistants.create(model="gpt-4o", tools=[_TOOL])
    early = client.beta.threads.create_and_run(assistant_id=assistant.id)
    assert early.expires_at == early.created_at + 600 < CAP
    fake_openai.clock.advance(700)
    late = client.beta.threads.create_and_run(assistant_id=assistant.id)
    assert late.created_at > CAP - 600 and late.expires_at == CAP
    fake_openai.clock.advance(600)
    assert fake_openai.clock.now == CAP
    assert client.beta.threads.runs.retrieve(thread_id=early.thread_id, run_id=early.id).status == "expired"
    waiting = client.beta.threads.runs.retrieve(thread_id=late.thread_id, run_id=late.id)
    assert waiting.status == "requires_action"
    [call] = waiting.required_action.submit_tool_outputs.tool_calls
    done = client.beta.threads.runs.submit_tool_outputs_and_poll(
        thread_id=late.thread_id, run_id=late.id, tool_outputs=[{"tool_call_id": call.id, "output": "ok"}])
    assert done.status == "completed"
