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


def test_after_step_waits_for_the_fake_clock(client: openai.OpenAI, fake_openai: Any) -> None:
    fake_openai.load({"runs": [{"steps": [{"status": "queued"}, {"status": "in_progress", "after": "30s"},
                                          {"status": "completed"}]}]})
    assistant = client.beta.assistants.create(model="gpt-4o")
    run = client.beta.threads.create_and_run(assistant_id=assistant.id)
    read = lambda: client.beta.threads.runs.retrieve(thread_id=run.thread_id, run_id=run.id).status  # noqa: E731
    assert read() == "in_progress"
    assert [read() for _ in range(5)] == ["in_progress"] * 5  # reads alone do not move it
    fake_openai.clock.advance(30)
    assert read() == "completed"


def test_clock_over_the_control_api(fake_openai: Any) -> None:
    headers = {"Authorization": f"Bearer {fake_openai.api_key}"}
    origin = fake_openai.server.origin
    before = httpx.get(origin + "/_fake/clock", headers=headers).json()["now"]
    after = httpx.post(origin + "/_fake/clock", headers=headers, json={"advance": 3600}).json()["now"]
    assert after == before + 3600 == fake_openai.clock.now
    bad = httpx.post(origin + "/_fake/clock", headers=headers, json={"advance": -1})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "advance"
