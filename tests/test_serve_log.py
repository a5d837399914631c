"""``fakeopenai serve``'s log, read the way a person reads it: a real server process, the official SDK
over the socket, then the exact shape of the lines (one per request, one per state change; bodies at
``--log-level debug``; never the API key)."""

from __future__ import annotations

import json
import re
import signal
import subprocess
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest

from tests.spec_check import SpecChecker
from tests.test_cli import _serve

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

SECRET = "sk-serve-log-secret-4242"
LINE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (?P<level>[A-Z]+) (?P<logger>[\w.]+): (?P<message>.*)")
REQUEST = re.compile(r"(?P<method>[A-Z]+) (?P<target>\S+) (?P<status>\d{3}|-) \d+\.\dms \[tenant-[0-9a-f]{8}\]"
                     r"(?P<note> \(.*\))?")
CHANGE = re.compile(r"\[tenant-[0-9a-f]{8}\] (?P<change>.*)")
BATCH_LINE = json.dumps({"custom_id": "q1", "method": "POST", "url": "/v1/chat/completions",
                         "body": {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]}}) + "\n"


class Server:
    """A ``fakeopenai serve`` process and an SDK client whose every request and response is noted."""

    def __init__(self, process: subprocess.Popen[str], base_url: str, spec: SpecChecker) -> None:
        self.process = process
        self.base_url = base_url
        self.sent: list[dict[str, Any]] = []  # in order: method, target, request body, status, response body
        hooks: dict[str, Any] = {"request": [self._request], "response": [self._response, spec.hook]}
        self.http = httpx.Client(event_hooks=hooks, headers={"Authorization": f"Bearer {SECRET}"})
        self.sdk = openai.OpenAI(base_url=base_url, api_key=SECRET, max_retries=0,
                                 http_client=openai.DefaultHttpxClient(event_hooks=hooks))
        self.log = ""

    def _request(self, request: httpx.Request) -> None:
        request.read()
        self.sent.append({"method": request.method, "target": request.url.raw_path.decode(),
                          "body": request.content, "content_type": request.headers.get("content-type", "")})

    def _response(self, response: httpx.Response) -> None:
        response.read()
        self.sent[-1].update(status=response.status_code, response=response.content,
                             response_type=response.headers.get("content-type", ""))

    def advance_clock(self, seconds: int) -> None:
        origin = self.base_url.removesuffix("/v1")
        self.http.post(origin + "/_fake/clock", json={"advance": seconds}).raise_for_status()

    def stop(self) -> list[tuple[str, str, str]]:
        """Stop the server; its log lines as ``(level, logger, message)``."""
        self.http.close()
        self.sdk.close()
        self.process.send_signal(signal.SIGINT)
        _, self.log = self.process.communicate(timeout=10)
        assert self.process.returncode == 0, self.log
        return [(m["level"], m["logger"], m["message"]) for m in map(LINE.fullmatch, self.log.splitlines()) if m]


@pytest.fixture
def serve(spec: SpecChecker) -> Iterator[Any]:
    started: list[Server] = []

    def start(level: str) -> Server:
        process, ready = _serve("--log-level", level, "--scenario", "requires_action_then_complete")
        assert ready.startswith("fakeopenai serving on "), ready
        started.append(Server(process, ready.split()[-1], spec))
        return started[-1]

    yield start
    for server in started:
        if server.process.poll() is None:
            server.process.kill()
            server.process.communicate(timeout=10)


def _weather_run(sdk: openai.OpenAI) -> tuple[Any, Any]:
    thread = sdk.beta.threads.create(messages=[{"role": "user", "content": "Weather in Paris?"}])
    run = sdk.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id="asst_weather")
    assert run.status == "requires_action"
    return thread, run


def _requests(lines: list[tuple[str, str, str]]) -> list[tuple[str, str, str, str]]:
    out = []
    for level, logger, message in lines:
        if logger == "fakeopenai.http" and level == "INFO":
            match = REQUEST.fullmatch(message)
            assert match, f"a request line of another shape: {message!r}"
            out.append((match["method"], match["target"], match["status"], match["note"] or ""))
    return out


def _changes(lines: list[tuple[str, str, str]], *ids: str) -> list[str]:
    """The state-change lines that name any of ``ids``, without the tenant label."""
    out = []
    for level, logger, message in lines:
        if logger == "fakeopenai.engine" and level == "INFO":
            match = CHANGE.fullmatch(message)
            assert match, f"a state-change line without its tenant: {message!r}"
            if any(i in match["change"] for i in ids):
                out.append(match["change"])
    return out


def _assert_lines_match(lines: list[str], patterns: list[str]) -> None:
    assert len(lines) == len(patterns), "\n".join(lines)
    for line, pattern in zip(lines, patterns, strict=True):
        assert re.fullmatch(pattern, line), f"{line!r} does not match {pattern!r}"


def test_info_logs_one_line_per_request_and_one_per_state_change(serve: Any) -> None:
    server = serve("info")
    thread, run = _weather_run(server.sdk)
    call = run.required_action.submit_tool_outputs.tool_calls[0]
    run = server.sdk.beta.threads.runs.submit_tool_outputs_and_poll(
        thread_id=thread.id, run_id=run.id, tool_outputs=[{"tool_call_id": call.id, "output": "18 C"}])
    assert run.status == "completed"
    server.sdk.beta.threads.messages.list(thread_id=thread.id, limit=1, order="desc")
    _, waiting = _weather_run(server.sdk)           # nobody answers this one: it expires
    upload = server.sdk.files.create(file=("in.jsonl", BATCH_LINE.encode()), purpose="batch")
    batch = server.sdk.batches.create(input_file_id=upload.id, endpoint="/v1/chat/completions",
                                      completion_window="24h")
    assert server.sdk.batches.retrieve(batch.id).status == "in_progress"
    server.advance_clock(601)                       # the waiting run expires
    server.advance_clock(86_400)                    # the batch's 24 h run out
    assert server.sdk.beta.threads.runs.retrieve(thread_id=waiting.thread_id, run_id=waiting.id).status == "expired"
    assert server.sdk.batches.retrieve(batch.id).status == "expired"
    lines = server.stop()

    # Exactly one line per request, in order: method, path and query, status, time, tenant.
    assert _requests(lines) == [(r["method"], r["target"], str(r["status"]), "") for r in server.sent]
    assert ("GET", f"/v1/threads/{thread.id}/messages?limit=1&order=desc", "200", "") in _requests(lines)

    step = r"step_\w+"
    _assert_lines_match(_changes(lines, run.id), [
        rf"{run.id} created on {thread.id} by weather: queued \(step 1/5\)",
        rf"{run.id} queued -> in_progress \(step 2/5\)",
        rf"{step} created in_progress on {run.id} \(tool_calls: get_weather\)",
        rf"{run.id} in_progress -> requires_action \(step 3/5; waiting for {call.id}\)",
        rf"{step} in_progress -> completed \(tool_calls on {run.id}\)",
        rf"{run.id} requires_action -> queued \(step 3/5\)",
        rf"{run.id} queued -> in_progress \(step 4/5\)",
        rf"{step} created in_progress on {run.id} \(message_creation: msg_\w+\)",
        rf"{step} in_progress -> completed \(message_creation on {run.id}; msg_\w+, \d+ tokens\)",
        rf"{run.id} in_progress -> completed \(step 5/5\)",
    ])
    _assert_lines_match(_changes(lines, waiting.id)[-2:], [
        rf"{step} in_progress -> expired \(tool_calls on {waiting.id}\)",
        rf"{waiting.id} requires_action -> expired \(step 3/5; no tool outputs by expires_at\)",
    ])
    _assert_lines_match(_changes(lines, batch.id), [
        rf"{batch.id} created for {upload.id} \(1 request to /v1/chat/completions\) by default script: "
        r"validating \(step 1/4\)",
        rf"{batch.id} validating -> in_progress \(step 2/4; requests: 0 completed, 0 failed, 1 total\)",
        # past its 24 h, the unfinished request fails as batch_expired (the error file has it)
        rf"{batch.id} in_progress -> expired \(step 2/4; requests: 0 completed, 1 failed, 1 total; past expires_at\)",
    ])
    assert not [line for line in lines if line[0] == "DEBUG"]
    assert SECRET not in server.log and "Bearer" not in server.log


def test_debug_adds_request_and_response_bodies_but_never_the_key(serve: Any) -> None:
    server = serve("debug")
    question = "Weather in Paris? " + "Please answer in detail. " * 120     # a body past 2,000 characters
    thread = server.sdk.beta.threads.create(messages=[{"role": "user", "content": question}])
    run = server.sdk.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id="asst_weather")
    upload = server.sdk.files.create(file=("in.jsonl", BATCH_LINE.encode()), purpose="batch")
    assert server.sdk.files.content(upload.id).content == BATCH_LINE.encode()
    lines = server.stop()

    assert run.status == "requires_action"
    assert _requests(lines) == [(r["method"], r["target"], str(r["status"]), "") for r in server.sent]
    bodies = [message for level, logger, message in lines if level == "DEBUG" and logger == "fakeopenai.http"]
    expected = []
    for r in server.sent:
        if r["body"]:
            expected.append(f"{r['method']} {r['target']} request body: {_shown(r['body'], r['content_type'])}")
        expected.append(f"{r['method']} {r['target']} response body: {_shown(r['response'], r['response_type'])}")
    assert bodies == expected

    # What that looks like: JSON as sent, cut at 2,000 characters with the full size; uploads and
    # file content as a size only.
    sent = server.sent[0]["body"]
    assert len(sent) > 2000
    assert bodies[0] == f"POST /v1/threads request body: {sent.decode()[:2000]}… ({len(sent)} bytes in all)"
    assert bodies[0].startswith('POST /v1/threads request body: {"messages":[{"role":"user","content":"Weather')
    upload_line = next(b for b in bodies if b.startswith("POST /v1/files request body: "))
    assert re.fullmatch(r"POST /v1/files request body: <\d{3} bytes>", upload_line)
    assert f"GET /v1/files/{upload.id}/content response body: <{len(BATCH_LINE)} bytes>" in bodies
    assert f"POST /v1/threads/{thread.id}/runs request body: " + server.sent[1]["body"].decode() in bodies
    assert SECRET not in server.log and "Bearer" not in server.log
    # Debug is about the fake: other libraries (asyncio's "Using selector", say) stay quiet.
    assert {logger.split(".")[0] for _, logger, _ in lines} == {"fakeopenai"}


def _shown(body: bytes, content_type: str) -> str:
    """What the debug log should show for a body: the rule, restated."""
    if "json" not in content_type:
        return f"<{len(body)} bytes>"
    text = body.decode()
    return text if len(text) <= 2000 else text[:2000] + f"… ({len(body)} bytes in all)"
