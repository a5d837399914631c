"""Scenario options that shape what clients see: poll header, beta header, extra fields."""

from __future__ import annotations

from typing import Any

import httpx
import openai


def test_poll_after_ms_header_on_run_reads(http: httpx.Client, fake_openai: Any) -> None:
    fake_openai.load({"poll_after_ms": 25})
    assistant = http.post("/v1/assistants", json={"model": "gpt-4o"}).json()
    created = http.post("/v1/threads/runs", json={"assistant_id": assistant["id"]})
    assert created.headers["openai-poll-after-ms"] == "25"
    run = created.json()
    read = http.get(f"/v1/threads/{run['thread_id']}/runs/{run['id']}")
    assert read.headers["openai-poll-after-ms"] == "25"


def test_poll_helper_honours_the_header(client: openai.OpenAI, fake_openai: Any) -> None:
    fake_openai.load({"poll_after_ms": 0})
    assistant = client.beta.assistants.create(model="gpt-4o")
    run = client.beta.threads.create_and_run_poll(assistant_id=assistant.id)
    polls = [r for r in fake_openai.requests if r["headers"].get("x-stainless-poll-helper") == "true"]
    assert run.status == "completed" and len(polls) == 3


def test_require_beta_header(http: httpx.Client, fake_openai: Any, client: openai.OpenAI) -> None:
    fake_openai.load({"require_beta_header": True})
    missing = http.post("/v1/threads", json={})
    assert missing.status_code == 400
    assert missing.json()["error"]["param"] == "OpenAI-Beta"
    assert "assistants=v2" in missing.json()["error"]["message"]
    assert http.get("/v1/files").status_code == 200  # files and batches need no beta header
    assert client.beta.threads.create().object == "thread"  # the SDK sends it


def test_extra_fields_reach_the_client(http: httpx.Client, fake_openai: Any, client: openai.OpenAI) -> None:
    fake_openai.load({"runs": [{"steps": [{"status": "queued", "extra": {"x_experimental": {"tier": 2}}},
                                          {"status": "completed"}]}]})
    assistant = client.beta.assistants.create(model="gpt-4o")
    run = client.beta.threads.create_and_run(assistant_id=assistant.id)
    assert run.model_extra == {"x_experimental": {"tier": 2}}  # the SDK tolerates and keeps unknown fields
    raw = http.get(f"/v1/threads/{run.thread_id}/runs/{run.id}").json()
    assert raw["x_experimental"] == {"tier": 2} and raw["status"] == "completed"


def test_require_beta_header_names_an_unsupported_version(http: httpx.Client, fake_openai: Any) -> None:
    """issue 17 item 15: ``OpenAI-Beta: assistants=v1`` is told v1 is not supported and v2 is needed (it was told
    the header is missing); the header may list other features too."""
    fake_openai.load({"require_beta_header": True})

    v1 = http.post("/v1/threads", json={}, headers={"OpenAI-Beta": "assistants=v1"})
    assert v1.status_code == 400
    assert v1.json()["error"] == {
        "message": "The Assistants API version in 'OpenAI-Beta: assistants=v1' is not supported: only v2 is (v1 is "
                   "deprecated). Please try again by setting the header 'OpenAI-Beta: assistants=v2'.",
        "type": "invalid_request_error", "param": "OpenAI-Beta", "code": "unsupported_beta_version"}
    assert http.post("/v1/threads", json={}, headers={"OpenAI-Beta": "realtime=v1"}).json()["error"]["code"] \
        == "missing_beta_header"
    assert http.post("/v1/threads", json={}, headers={"OpenAI-Beta": "assistants=v20"}).status_code == 400
    assert http.post("/v1/threads", json={}, headers={"OpenAI-Beta": "realtime=v1, assistants=v2"}).status_code \
        == 200
