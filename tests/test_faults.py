"""Scripted HTTP faults exercise the SDK's retry, timeout and connection-error paths."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import openai
import pytest


def _retry_counts(fake_openai: Any, path_suffix: str) -> list[str]:
    return [r["headers"].get("x-stainless-retry-count") for r in fake_openai.requests
            if r["method"] == "POST" and r["path"].endswith(path_suffix)]


@pytest.mark.fake_openai(scenario="rate_limited_then_ok")
def test_two_429s_then_success_is_retried_by_the_sdk(make_client: Callable[..., openai.OpenAI],
                                                     fake_openai: Any) -> None:
    client = make_client()  # SDK default: max_retries=2
    assistant = client.beta.assistants.create(model="gpt-4o")
    thread = client.beta.threads.create()

    run = client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id)

    assert run.status == "queued"
    assert _retry_counts(fake_openai, "/runs") == ["0", "1", "2"]
    assert len(client.beta.threads.runs.list(thread_id=thread.id).data) == 1  # faulted attempts stored nothing
    assert fake_openai.scenario["faults"][0]["fired"] == 2


@pytest.mark.fake_openai(scenario="rate_limited_then_ok")
def test_429_without_retries_raises_rate_limit_error(client: openai.OpenAI, fake_openai: Any) -> None:
    assistant = client.beta.assistants.create(model="gpt-4o")
    with pytest.raises(openai.RateLimitError) as error:
        client.beta.threads.create_and_run(assistant_id=assistant.id)
    assert error.value.status_code == 429
    assert error.value.code == "rate_limit_exceeded" and error.value.type == "requests"
    assert error.value.response.headers["retry-after-ms"] == "10"
    assert fake_openai.scenario["faults"][1]["fired"] == 1


@pytest.mark.fake_openai(scenario="server_errors_then_ok")
def test_500_then_503_then_ok(make_client: Callable[..., openai.OpenAI], fake_openai: Any) -> None:
    client = make_client(max_retries=2)
    assistant = client.beta.assistants.create(model="gpt-4o", name="after two errors")
    assert assistant.name == "after two errors"
    assert _retry_counts(fake_openai, "/assistants") == ["0", "1", "2"]
    assert len(client.beta.assistants.list().data) == 1


def test_x_should_retry_false_stops_retries(make_client: Callable[..., openai.OpenAI], fake_openai: Any) -> None:
    fake_openai.load({"faults": [{"match": {"path": "/v1/assistants"}, "times": "always", "status": 500,
                                  "headers": {"x-should-retry": "false"}}]})
    client = make_client(max_retries=3)
    with pytest.raises(openai.InternalServerError):
        client.beta.assistants.create(model="gpt-4o")
    assert _retry_counts(fake_openai, "/assistants") == ["0"]


def test_a_retry_header_of_the_fault_is_kept_alone(client: openai.OpenAI, fake_openai: Any) -> None:
    """Issue 24 item 1: a fault's retry-after: "2" still got retry-after-ms: 1 added, which the SDK reads first,
    so it retried at once and a client's Retry-After handling could not be tested."""
    fake_openai.load({"faults": [
        {"match": {"path": "/v1/assistants"}, "status": 429, "headers": {"Retry-After": "2"}},
        {"match": {"path": "/v1/threads"}, "status": 503, "headers": {"x-should-retry": "true"}},
        {"match": {"path": "/v1/files"}, "status": 429, "headers": {"x-ratelimit-remaining-requests": "0"}}]})
    with pytest.raises(openai.RateLimitError) as limited:
        client.beta.assistants.create(model="gpt-4o")
    headers = limited.value.response.headers
    assert headers["retry-after"] == "2" and "retry-after-ms" not in headers   # the SDK waits 2 s, as asked
    with pytest.raises(openai.InternalServerError) as unavailable:
        client.beta.threads.create()
    assert unavailable.value.response.headers["x-should-retry"] == "true"
    assert "retry-after-ms" not in unavailable.value.response.headers
    with pytest.raises(openai.RateLimitError) as other:   # no retry header given: the retry still comes at once
        client.files.create(file=("a.jsonl", b"{}\n"), purpose="batch")
    assert other.value.response.headers["retry-after-ms"] == "1"
    assert other.value.response.headers["x-ratelimit-remaining-requests"] == "0"


@pytest.mark.parametrize("socket", [False, True], ids=["in-process", "socket"])
def test_a_header_of_the_fault_replaces_the_fakes_own(make_client: Callable[..., openai.OpenAI],
                                                      fake_openai: Any, socket: bool) -> None:
    """Issue 24 item 2: a fault's x-request-id was sent besides the fake's (the client read "req_scripted,
    req_JIz..."); a fault's header now replaces the fake's header of that name, whatever its case."""
    fake_openai.load({"faults": [{"match": {"path": "/v1/assistants"}, "status": 500, "headers": {
        "X-Request-ID": "req_scripted", "Content-Type": "application/json; charset=utf-8", "Server": "scripted",
        "Date": "Wed, 01 Jan 2025 00:00:00 GMT"}}]})
    client = make_client(max_retries=0, socket=socket)
    with pytest.raises(openai.InternalServerError) as error:
        client.beta.assistants.create(model="gpt-4o")
    response = error.value.response
    assert error.value.request_id == "req_scripted"
    for name, value in [("x-request-id", "req_scripted"), ("content-type", "application/json; charset=utf-8"),
                        ("server", "scripted"), ("date", "Wed, 01 Jan 2025 00:00:00 GMT")]:
        assert response.headers.get_list(name) == [value], name
    answered = client.beta.threads.create()   # without a fault: the fake's own headers, once each
    raw = client.beta.threads.with_raw_response.create()
    assert answered.object == "thread" and len(raw.headers.get_list("x-request-id")) == 1
    if socket:
        assert len(raw.headers.get_list("date")) == len(raw.headers.get_list("server")) == 1


def test_custom_error_body_and_status(client: openai.OpenAI, fake_openai: Any) -> None:
    fake_openai.load({"faults": [{"match": {"method": "POST", "path": "/v1/threads"}, "status": 403,
                                  "error": {"message": "Project over quota", "code": "insufficient_quota"}}]})
    with pytest.raises(openai.PermissionDeniedError) as error:
        client.beta.threads.create()
    assert error.value.code == "insufficient_quota" and "Project over quota" in error.value.message
    assert client.beta.threads.create().object == "thread"  # times defaults to 1


def test_fault_matches_body_fields(client: openai.OpenAI, fake_openai: Any) -> None:
    fake_openai.load({"faults": [{"match": {"path": "/v1/assistants", "body": {"model": "gpt-4o-mini"}},
                                  "status": 400, "times": "always"}]})
    assert client.beta.assistants.create(model="gpt-4o").model == "gpt-4o"
    with pytest.raises(openai.BadRequestError):
        client.beta.assistants.create(model="gpt-4o-mini")


@pytest.mark.parametrize("socket", [False, True], ids=["in-process", "socket"])
def test_delay_longer_than_timeout_raises_timeout(make_client: Callable[..., openai.OpenAI],
                                                  fake_openai: Any, socket: bool) -> None:
    fake_openai.load({"faults": [{"match": {"method": "POST", "path": "/v1/threads"}, "delay_ms": 1000,
                                  "times": "always"}]})
    client = make_client(max_retries=0, timeout=0.2, socket=socket)
    with pytest.raises(openai.APITimeoutError):
        client.beta.threads.create()


@pytest.mark.fake_openai(scenario="slow_responses")
def test_slow_responses_answer_late_but_right(make_client: Callable[..., openai.OpenAI]) -> None:
    fast = make_client(max_retries=0, timeout=0.5)
    assistant = fast.beta.assistants.create(model="gpt-4o")
    run = fast.beta.threads.create_and_run(assistant_id=assistant.id)
    with pytest.raises(openai.APITimeoutError):
        fast.beta.threads.runs.retrieve(thread_id=run.thread_id, run_id=run.id)
    patient = make_client(max_retries=0, timeout=5)
    assert patient.beta.threads.runs.retrieve(thread_id=run.thread_id, run_id=run.id).id == run.id


@pytest.mark.parametrize("socket", [False, True], ids=["in-process", "socket"])
def test_disconnect_raises_connection_error(make_client: Callable[..., openai.OpenAI], fake_openai: Any,
                                            socket: bool) -> None:
    fake_openai.load({"faults": [{"match": {"path": "/v1/threads"}, "disconnect": True, "times": 2}]})
    client = make_client(max_retries=0, socket=socket)
    with pytest.raises(openai.APIConnectionError):
        client.beta.threads.create()
    retrying = make_client(max_retries=2, socket=socket)
    assert retrying.beta.threads.create().object == "thread"  # second attempt dropped, third answered
    assert len([r for r in fake_openai.requests if r["path"] == "/v1/threads"]) == 3


def test_malformed_body_with_status_200(fake_openai: Any, http: httpx.Client) -> None:
    fake_openai.load({"faults": [{"match": {"path": "/v1/assistants"}, "body": '{"id": "asst_1", "obj'}]})
    raw = openai.OpenAI(api_key=fake_openai.api_key, base_url=fake_openai.base_url, max_retries=0)
    with pytest.raises(ValueError, match="Unterminated string"):  # what the SDK really raises
        raw.beta.assistants.create(model="gpt-4o")
    response = http.get("/v1/assistants")
    assert response.status_code == 200 and response.json()["data"] == []  # the fault fired once


def test_fault_before_a_stream_starts(client: openai.OpenAI, fake_openai: Any) -> None:
    fake_openai.load({"faults": [{"match": {"method": "POST", "path": "/v1/threads/runs"}, "status": 503}]})
    assistant = client.beta.assistants.create(model="gpt-4o")
    with pytest.raises(openai.InternalServerError):
        with client.beta.threads.create_and_run_stream(assistant_id=assistant.id) as stream:
            stream.until_done()
    with client.beta.threads.create_and_run_stream(assistant_id=assistant.id) as stream:
        stream.until_done()
        assert stream.get_final_run().status == "completed"


@pytest.mark.parametrize("socket", [False, True], ids=["in-process", "socket"])
def test_a_request_the_client_gave_up_on_still_runs_whatever_the_transport(
        make_client: Callable[..., openai.OpenAI], fake_openai: Any, socket: bool) -> None:
    """issue 17 item 2: a delay longer than the client's timeout. The server still carries the first
    attempt out after the client gave up on it, as the live API (and uvicorn) does: the retry makes a
    second assistant, over a socket and in-process alike."""
    fake_openai.load({"faults": [
        {"match": {"method": "POST", "path": "/v1/assistants"}, "delay_ms": 200},
        # Served on the same loop after the abandoned attempt's delay has run out: the list sees it.
        {"match": {"method": "GET", "path": "/v1/assistants"}, "delay_ms": 600}]})
    client = make_client(max_retries=1, timeout=0.05, socket=socket)
    assistant = client.beta.assistants.create(model="gpt-4o", name="twice")
    patient = make_client(max_retries=0, timeout=5, socket=socket)
    names = [a.name for a in patient.beta.assistants.list()]
    assert names == ["twice", "twice"]
    assert assistant.id in [a.id for a in patient.beta.assistants.list()]
    assert _retry_counts(fake_openai, "/assistants") == ["0", "1"]
