"""Webhooks (SPEC 11.6, docs/webhooks.md): when a background response, a batch, a fine-tuning job or a video
ends, the fake POSTs the event signed as Standard Webhooks, and the official SDK's
``client.webhooks.unwrap(body, headers, secret=...)`` verifies it; retried on non-2xx, listed at
``GET /_fake/webhooks`` and on the timeline, delivered over a socket or in-process, never to an address
that is not loopback unless the server allows it."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from fakeopenai import ScenarioError, create_app
from fakeopenai.doors.server import ServerThread

SECRET = "whsec_" + base64.b64encode(b"the receiver's secret").decode()
WRONG = "whsec_" + base64.b64encode(b"someone else's secret").decode()


class Receiver:
    """A webhook receiver over a socket (uvicorn on a free port, in a thread): answers each POST with the next
    of ``statuses`` (then 200), and keeps what it got."""

    def __init__(self) -> None:
        self.got: list[tuple[bytes, dict[str, str]]] = []
        self.statuses: list[int] = []

        async def hook(request: Request) -> JSONResponse:
            self.got.append((await request.body(), dict(request.headers)))
            status = self.statuses.pop(0) if self.statuses else 200
            return JSONResponse({"ok": status < 300}, status_code=status)

        self.server = ServerThread(Starlette(routes=[Route("/hook", hook, methods=["POST"])])).start()
        self.url = self.server.origin + "/hook"


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    yield made
    made.server.stop()


@pytest.fixture
def hook(receiver: Receiver) -> Receiver:
    receiver.got.clear()
    receiver.statuses.clear()
    return receiver


def _background_response(client: openai.OpenAI, text: str = "Hello") -> Any:
    response = client.responses.create(model="gpt-4o-mini", input=text, background=True)
    while response.status in ("queued", "in_progress"):
        response = client.responses.retrieve(response.id)
    return response


def _completed_batch(client: openai.OpenAI) -> Any:
    line = {"custom_id": "a", "method": "POST", "url": "/v1/chat/completions",
            "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]}}
    upload = client.files.create(file=("in.jsonl", (json.dumps(line) + "\n").encode()), purpose="batch")
    batch = client.batches.create(input_file_id=upload.id, endpoint="/v1/chat/completions", completion_window="24h")
    while batch.status not in ("completed", "failed", "cancelled", "expired"):
        batch = client.batches.retrieve(batch.id)
    return batch


def test_a_background_response_is_delivered_over_a_socket_and_unwrap_verifies_it(
        fake_openai: Any, client: openai.OpenAI, hook: Receiver, spec: Any) -> None:
    fake_openai.load({"webhooks": [{"url": hook.url, "secret": SECRET}]})
    response = _background_response(client)
    [delivery] = fake_openai.webhooks.wait()
    assert delivery["status"] == "delivered" and [a["status"] for a in delivery["attempts"]] == [200]
    [(body, headers)] = hook.got
    event = client.webhooks.unwrap(body, headers, secret=SECRET)
    assert event.type == "response.completed" and event.data.id == response.id
    assert event.created_at == response.completed_at == fake_openai.clock.now   # the fake clock, not the wall's
    assert event.id.startswith("evt_") and headers["webhook-id"] == delivery["id"] and headers["webhook-id"] != event.id
    spec.validate(json.loads(body), "WebhookResponseCompleted")
    with pytest.raises(openai.InvalidWebhookSignatureError):
        client.webhooks.unwrap(body, headers, secret=WRONG)
    with pytest.raises(openai.InvalidWebhookSignatureError):
        client.webhooks.unwrap(body.replace(response.id.encode(), b"resp_other"), headers, secret=SECRET)


def test_a_batch_is_delivered_in_process_to_an_asgi_app(fake_openai: Any, client: openai.OpenAI, spec: Any) -> None:
    seen: list[Any] = []

    async def handler(request: Request) -> JSONResponse:
        seen.append(client.webhooks.unwrap(await request.body(), dict(request.headers),
                                           secret=fake_openai.webhooks.secret))
        return JSONResponse({"ok": True})

    fake_openai.webhooks.deliver_to(Starlette(routes=[Route("/openai", handler, methods=["POST"])]), path="/openai")
    batch = _completed_batch(client)
    [delivery] = fake_openai.webhooks.wait()
    assert delivery["status"] == "delivered" and delivery["target"] == "in-process[0]"
    [event] = seen
    assert (event.type, event.data.id, event.created_at) == ("batch.completed", batch.id, batch.completed_at)
    spec.validate(delivery["event"], "WebhookBatchCompleted")


def test_non_2xx_answers_are_retried_and_every_attempt_is_recorded(
        fake_openai: Any, client: openai.OpenAI, hook: Receiver, http: Any) -> None:
    fake_openai.load({"webhooks": [{"url": hook.url, "secret": SECRET}]})
    hook.statuses[:] = [500, 500]
    response = _background_response(client)
    listed = http.get("/_fake/webhooks", params={"wait": 10}).json()
    [delivery] = listed["data"]
    assert listed["pending"] == 0 and delivery["status"] == "delivered"
    assert [a["status"] for a in delivery["attempts"]] == [500, 500, 200] and len(hook.got) == 3
    assert json.loads(delivery["attempts"][0]["answer"]) == {"ok": False}
    # Each attempt is signed anew, with the same webhook-id (a receiver deduplicates by it).
    assert {headers["webhook-id"] for _, headers in hook.got} == {delivery["id"]}
    for body, headers in hook.got:
        assert client.webhooks.unwrap(body, headers, secret=SECRET).data.id == response.id
    assert listed["targets"] == [{"name": "webhooks[0]", "url": hook.url, "events": None}]
    assert "secret" not in json.dumps(listed)
    timeline = http.get("/_fake/timeline").json()
    assert [d["id"] for d in timeline["webhooks"]] == [delivery["id"]]


def test_events_filter_by_type_and_each_kind_sends_its_event(fake_openai: Any, client: openai.OpenAI) -> None:
    got: list[dict[str, Any]] = []
    fake_openai.webhooks.deliver_to(lambda body, headers: got.append(json.loads(body)),
                                    events=["response.failed", "fine_tuning.job.succeeded", "video.completed"])
    fake_openai.load({"responses": [{"match": {"last_message": {"contains": "fail"}},
                                     "steps": [{"status": "failed", "last_error": {"code": "server_error",
                                                                                    "message": "down"}}]}]})
    _background_response(client)                                        # completed: not wanted
    failed = _background_response(client, "please fail")
    client.responses.create(model="gpt-4o-mini", input="not background")   # never a webhook
    job = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file="file-abc")
    while job.status not in ("succeeded", "failed", "cancelled"):
        job = client.fine_tuning.jobs.retrieve(job.id)
    video = client.videos.create(prompt="a cat")
    while video.status not in ("completed", "failed"):
        video = client.videos.retrieve(video.id)
    fake_openai.webhooks.wait()
    assert [(e["type"], e["data"]["id"]) for e in got] == [
        ("response.failed", failed.id), ("fine_tuning.job.succeeded", job.id), ("video.completed", video.id)]
    assert [d["status"] for d in fake_openai.webhooks] == ["delivered"] * 3


def test_a_delivery_that_never_succeeds_is_a_violation_under_strict(fake_openai: Any, client: openai.OpenAI) -> None:
    calls: list[str] = []

    def down(body: bytes, headers: dict[str, str]) -> int:
        calls.append(headers["webhook-id"])
        fake_openai.clock.advance(60)   # the next attempt goes at once (the back-off ends with a clock move)
        return 503

    fake_openai.load({"strict": True, "responses": [{"steps": [{"message": "hi"}]}]})
    fake_openai.webhooks.deliver_to(down)
    response = _background_response(client)
    [delivery] = fake_openai.webhooks.wait()
    assert delivery["status"] == "failed" and len(calls) == 5
    assert [a["status"] for a in delivery["attempts"]] == [503] * 5
    [violation] = fake_openai.take_violations()
    assert violation["kind"] == "webhook_undelivered" and response.id in violation["message"]
    assert violation["actual"] == "5 attempts: 503, 503, 503, 503, 503"


def test_the_teardown_report_waits_for_the_last_attempts_and_names_a_failed_delivery(
        fake_openai: Any, client: openai.OpenAI) -> None:
    from conftest_plugin import _settle_webhooks, teardown_report

    fake_openai.load({"strict": True, "responses": [{"steps": [{"message": "hi"}]}]})
    test_ends = threading.Event()

    def down(body: bytes, headers: dict[str, str]) -> int:
        test_ends.wait(10)
        fake_openai.clock.advance(1)   # no back-off to wait out
        return 500

    fake_openai.webhooks.deliver_to(down)
    response = _background_response(client)
    assert fake_openai.webhooks.pending() == 1     # the test ends while the delivery is still being tried
    test_ends.set()
    _settle_webhooks(fake_openai)
    report = teardown_report(fake_openai)
    assert f"webhook response.completed for {response.id} was never delivered" in report
    assert "5 attempts answered 500, 500, 500, 500, 500" in report and "make the receiver answer 2xx" in report
    fake_openai.take_violations()


def test_scripted_delivery_failures_duplicate_forged_and_late(fake_openai: Any, client: openai.OpenAI) -> None:
    """A handler that verifies and deduplicates passes; one that takes whatever comes is caught."""
    handled: list[tuple[str, str]] = []
    first_arrived = threading.Event()

    def careful(body: bytes, headers: dict[str, str]) -> int:
        try:
            event = client.webhooks.unwrap(body, headers, secret=SECRET)
        except openai.InvalidWebhookSignatureError:
            return 400
        if all(seen != headers["webhook-id"] for seen, _ in handled):
            handled.append((headers["webhook-id"], event.type))
        first_arrived.set()
        return 200

    fake_openai.load({"responses": [{"match": {"last_message": {"contains": "fail"}},
                                     "steps": [{"status": "failed"}]}]})
    webhooks = fake_openai.webhooks
    webhooks.deliver_to(careful, secret=SECRET, events=["response.completed"], duplicate=True, delay_ms=60_000)
    webhooks.deliver_to(careful, secret=SECRET, events=["response.failed"])
    webhooks.deliver_to(careful, secret=SECRET, events=["response.failed"], bad_signature=True)
    webhooks.deliver_to(lambda body, headers: 204, secret=SECRET, events=["response.failed"], bad_signature=True)
    _background_response(client)
    failed = _background_response(client, "please fail")
    assert first_arrived.wait(10)
    assert [d["status"] for d in webhooks][:2] == ["pending", "pending"]   # completed first, delivered last
    fake_openai.clock.advance(1)                                           # a clock move ends the delay
    deliveries = webhooks.wait()
    assert [(d["target"], d["status"], d["duplicate"]) for d in deliveries] == [
        ("in-process[0]", "delivered", False), ("in-process[0]", "delivered", True),
        ("in-process[1]", "delivered", False), ("in-process[2]", "rejected", False),
        ("in-process[3]", "accepted", False)]
    assert deliveries[0]["id"] == deliveries[1]["id"]
    assert [t for _, t in handled] == ["response.failed", "response.completed"]   # out of order, once each
    [violation] = fake_openai.take_violations()
    assert violation["kind"] == "webhook_forgery_accepted" and failed.id in violation["message"]


def test_targets_must_be_loopback_unless_the_server_allows_the_host(fake_openai: Any, http: Any) -> None:
    remote = {"webhooks": [{"url": "http://example.com/hook", "secret": SECRET}]}
    with pytest.raises(ScenarioError, match=r"webhooks\[0\]\.url: webhook target 'http://example.com/hook'.*"
                                            r"--webhook-allow example.com"):
        fake_openai.load(remote)
    answer = http.put("/_fake/scenario", json=remote)
    assert answer.status_code == 400 and "--webhook-allow example.com" in answer.text
    for url in ("http://127.0.0.1:9/x", "http://localhost:9/x", "http://[::1]:9/x"):
        fake_openai.load({"webhooks": [{"url": url, "secret": SECRET}]})
    with pytest.raises(ScenarioError, match=r"webhooks\[0\]\.secret: invalid secret 'abc'"):
        fake_openai.load({"webhooks": [{"url": "http://127.0.0.1:9/x", "secret": "abc"}]})
    create_app(remote, webhook_allow=["example.com"])    # admitted where the server allows the host
    with pytest.raises(ScenarioError, match="--webhook-allow example.com"):
        create_app(webhooks=[{"url": "http://example.com/x", "secret": SECRET}])


def test_the_servers_own_webhook_serves_every_tenant(hook: Receiver) -> None:
    """``serve --webhook URL --webhook-secret S`` is ``create_app(webhooks=[...])``: every tenant's events go there,
    whatever scenario it loads."""
    from fakeopenai import FakeOpenAI

    with FakeOpenAI(webhooks=[{"url": hook.url, "secret": SECRET, "events": ["response.completed"]}]) as fake:
        fake.load({"name": "mine"})
        client = fake.client()
        response = _background_response(client)
        [delivery] = fake.webhooks.wait()
        assert delivery["target"] == "--webhook" and delivery["status"] == "delivered"
        [(body, headers)] = hook.got
        assert client.webhooks.unwrap(body, headers, secret=SECRET).data.id == response.id


def test_serve_refuses_a_remote_webhook_or_one_without_a_secret(capsys: pytest.CaptureFixture[str]) -> None:
    from fakeopenai.doors.cli import main

    assert main(["serve", "--webhook", "http://example.com/x", "--webhook-secret", SECRET]) == 2
    assert "--webhook-allow example.com" in capsys.readouterr().err
    assert main(["serve", "--webhook", "http://127.0.0.1:9/x"]) == 2
    assert "--webhook needs --webhook-secret" in capsys.readouterr().err
