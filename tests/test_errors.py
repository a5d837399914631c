"""Bad requests: always a 4xx in the OpenAI error shape naming the param; never a 500;
and nothing stored changes."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.spec_check import SpecChecker


@pytest.fixture
def http(fake_openai: Any) -> httpx.Client:
    with httpx.Client(base_url=fake_openai.server.origin,
                      headers={"Authorization": f"Bearer {fake_openai.api_key}"}) as client:
        yield client


@pytest.fixture
def world(http: httpx.Client) -> dict[str, str]:
    assistant = http.post("/v1/assistants", json={"model": "gpt-4o"}).json()
    thread = http.post("/v1/threads", json={"messages": [{"role": "user", "content": "hi"}]}).json()
    run = http.post(f"/v1/threads/{thread['id']}/runs", json={"assistant_id": assistant["id"]}).json()
    while run["status"] != "completed":
        run = http.get(f"/v1/threads/{thread['id']}/runs/{run['id']}").json()
    return {"assistant": assistant["id"], "thread": thread["id"], "run": run["id"]}


def snapshot(http: httpx.Client, world: dict[str, str]) -> str:
    """Everything a client could read back, to prove a rejected request changed nothing."""
    thread = world["thread"]
    parts = [http.get("/v1/assistants?limit=100").text, http.get(f"/v1/threads/{thread}").text,
             http.get(f"/v1/threads/{thread}/messages?limit=100").text,
             http.get(f"/v1/threads/{thread}/runs?limit=100").text,
             http.get(f"/v1/threads/{thread}/runs/{world['run']}/steps").text]
    return "\n".join(parts)


CASES = [
    # (name, method, path, kwargs, status, param)
    ("malformed json", "POST", "/v1/assistants", {"content": b'{"model": ', "headers": {"content-type": "application/json"}}, 400, "body"),
    ("json not an object", "POST", "/v1/assistants", {"json": ["gpt-4o"]}, 400, "body"),
    ("wrong content type", "POST", "/v1/assistants", {"content": b"model=gpt-4o", "headers": {"content-type": "application/x-www-form-urlencoded"}}, 415, "body"),
    ("missing field", "POST", "/v1/assistants", {"json": {"name": "x"}}, 400, "model"),
    ("unknown field", "POST", "/v1/assistants", {"json": {"model": "gpt-4o", "colour": "red"}}, 400, "colour"),
    ("wrong type", "POST", "/v1/assistants", {"json": {"model": "gpt-4o", "temperature": "hot"}}, 400, "temperature"),
    ("out of range", "POST", "/v1/assistants", {"json": {"model": "gpt-4o", "temperature": 3}}, 400, "temperature"),
    ("nested wrong type", "POST", "/v1/assistants", {"json": {"model": "gpt-4o", "tools": [{"type": "function", "function": {"name": 5}}]}}, 400, "tools[0].function.name"),
    ("metadata value type", "POST", "/v1/threads", {"json": {"metadata": {"n": 1}}}, 400, "metadata.n"),
    ("too much metadata", "POST", "/v1/threads", {"json": {"metadata": {f"k{i}": "v" for i in range(17)}}}, 400, "metadata"),
    ("message role", "POST", "/v1/threads/{thread}/messages", {"json": {"role": "system", "content": "x"}}, 400, "role"),
    ("message content missing", "POST", "/v1/threads/{thread}/messages", {"json": {"role": "user"}}, 400, "content"),
    ("run without assistant", "POST", "/v1/threads/{thread}/runs", {"json": {}}, 400, "assistant_id"),
    ("run unknown assistant", "POST", "/v1/threads/{thread}/runs", {"json": {"assistant_id": "asst_nope"}}, 404, "assistant_id"),
    ("run bad include", "POST", "/v1/threads/{thread}/runs?include[]=everything", {"json": {"assistant_id": "{assistant}"}}, 400, "include[]"),
    ("max tokens too small", "POST", "/v1/threads/{thread}/runs", {"json": {"assistant_id": "{assistant}", "max_prompt_tokens": 10}}, 400, "max_prompt_tokens"),
    ("thread and run without assistant", "POST", "/v1/threads/runs", {"json": {"thread": {}}}, 400, "assistant_id"),
    ("tool outputs wrong state", "POST", "/v1/threads/{thread}/runs/{run}/submit_tool_outputs", {"json": {"tool_outputs": []}}, 400, "tool_outputs"),
    ("tool outputs missing", "POST", "/v1/threads/{thread}/runs/{run}/submit_tool_outputs", {"json": {}}, 400, "tool_outputs"),
    ("cancel finished run", "POST", "/v1/threads/{thread}/runs/{run}/cancel", {}, 400, "run_id"),
    ("unknown thread", "GET", "/v1/threads/thread_nope", {}, 404, "thread_id"),
    ("unknown message", "GET", "/v1/threads/{thread}/messages/msg_nope", {}, 404, "message_id"),
    ("unknown run", "POST", "/v1/threads/{thread}/runs/run_nope", {"json": {"metadata": {}}}, 404, "run_id"),
    ("unknown step", "GET", "/v1/threads/{thread}/runs/{run}/steps/step_nope", {}, 404, "step_id"),
    ("limit not a number", "GET", "/v1/assistants?limit=ten", {}, 400, "limit"),
    ("limit zero", "GET", "/v1/threads/{thread}/runs?limit=0", {}, 400, "limit"),
    ("unknown cursor", "GET", "/v1/assistants?before=asst_nope", {}, 400, "before"),
    ("unknown route", "GET", "/v1/threads/{thread}/nothing", {}, 404, None),
    ("wrong method", "PUT", "/v1/threads/{thread}", {"json": {}}, 405, None),
    ("wrong method on list", "DELETE", "/v1/assistants", {}, 405, None),
]


@pytest.mark.parametrize("name,method,path,kwargs,status,param", CASES, ids=[c[0] for c in CASES])
def test_bad_request(http: httpx.Client, world: dict[str, str], spec: SpecChecker, name: str, method: str,
                     path: str, kwargs: dict[str, Any], status: int, param: str | None) -> None:
    before = snapshot(http, world)
    path = path.format(**world)
    if "json" in kwargs:
        kwargs = {**kwargs, "json": json.loads(json.dumps(kwargs["json"]).replace("{assistant}", world["assistant"]))}

    response = http.request(method, path, **kwargs)

    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-request-id"].startswith("req_")
    error = response.json()["error"]
    spec.validate(response.json(), "ErrorResponse")
    assert set(error) == {"message", "type", "param", "code"}
    assert error["param"] == param, error
    assert error["message"] and "Traceback" not in error["message"]
    assert snapshot(http, world) == before
    assert http.get("/_fake/health").json()["status"] == "ok"


def test_no_api_key_is_401(fake_openai: Any) -> None:
    response = httpx.get(fake_openai.base_url + "/assistants")
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == "authorization"
    assert "API key" in error["message"]


def test_every_response_has_a_request_id(http: httpx.Client) -> None:
    ids = {http.get("/v1/assistants").headers["x-request-id"] for _ in range(3)}
    ids.add(http.get("/v1/nope").headers["x-request-id"])
    assert len(ids) == 4 and all(i.startswith("req_") for i in ids)


def test_oversized_body_is_413(fake_openai: Any) -> None:
    from fakeopenai.app import create_app
    from fakeopenai.server import ServerThread

    server = ServerThread(create_app(max_body_bytes=1000)).start()
    try:
        response = httpx.post(server.base_url + "/assistants", headers={"Authorization": "Bearer k"},
                              json={"model": "gpt-4o", "instructions": "x" * 2000})
        assert response.status_code == 413
        assert response.json()["error"]["param"] == "body"
        assert httpx.get(server.base_url + "/assistants", headers={"Authorization": "Bearer k"}).json()["data"] == []
    finally:
        server.stop()
