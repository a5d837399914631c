"""Bad requests, over every endpoint: always a 4xx in the OpenAI error shape naming the ``param``;
never a 500; afterwards the server is healthy, the request log readable, and nothing stored changed
(what a client can read back, and the tenant's clock, id generator and counters).

Each row of :data:`CASES` is one request: ``(name, method, path, kwargs, status, param)``; ``{name}``
in the path or the JSON body is replaced by an object of :func:`world`.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from importlib import resources
from typing import Any

import httpx
import openai
import pytest
from starlette.routing import Route

from fakeopenai.core.registry import families
from fakeopenai.doors.server import FakeOpenAI, ServerThread
from fakeopenai.http.app import create_app
from fakeopenai.http.routes import CONTROL
from tests.family_tables import family_rows
from tests.spec_check import SpecChecker

JSON = {"content-type": "application/json"}
CHAT = "/v1/chat/completions"
LINE = {"method": "POST", "url": CHAT,
        "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]}}
LAUGHS = "".join(f"{a}: &{a} [{', '.join([f'*{p}'] * 9 if p else ['x'] * 9)}]\n"
                 for p, a in zip(["", "a", "b", "c", "d", "e", "f", "g"], "abcdefgh", strict=True))


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAI]:
    """One server and tenant for the whole table: every case proves it changed nothing, so they can
    share the objects (a case that did change something fails, and says so). Under ``unknown_params:
    error``, so an unknown parameter is the live API's 400 too (by default it is accepted with a warning:
    tests/test_requests.py)."""
    scenario = resources.files("fakeopenai.scenarios").joinpath("requires_action_then_complete.yaml")
    with FakeOpenAI(scenario.read_text("utf-8") + "\nunknown_params: error\n") as fake:
        yield fake


@pytest.fixture(scope="module")
def http(fake: FakeOpenAI, spec: SpecChecker) -> Iterator[httpx.Client]:
    """Every answer this client gets is checked against the official spec: each ``/v1`` answer against
    its operation (or ``ErrorResponse``), each error of the control API against ``ErrorResponse``."""

    def check(response: httpx.Response) -> None:
        if response.request.method == "HEAD":
            return
        if response.status_code >= 400:  # also for a method the path does not have (405)
            response.read()
            spec.validate(response.json(), "ErrorResponse", f"{response.request.method} {response.url.path}")
        elif response.url.path.startswith("/v1"):
            spec.hook(response)

    with httpx.Client(base_url=fake.server.origin, headers={"Authorization": f"Bearer {fake.api_key}"},
                      event_hooks={"response": [check]}) as client:
        yield client


@pytest.fixture(scope="module")
def plain(fake: FakeOpenAI) -> Iterator[Any]:
    """What :func:`snapshot` reads with: the same tenant through the in-process transport (no thread switch
    for each of its ~20 reads a case), its answers not spec-checked again (the same answers before and after
    every case, checked once by ``http`` when the world was made)."""
    with openai.DefaultHttpxClient(transport=fake.transport(), base_url=fake.server.origin,
                                   headers={"Authorization": f"Bearer {fake.api_key}"}) as client:
        yield client


def _ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def _upload(http: httpx.Client, content: bytes, *, purpose: str = "batch", filename: str = "in.jsonl") -> str:
    return str(_ok(http.post("/v1/files", files={"file": (filename, content)}, data={"purpose": purpose}))["id"])


@pytest.fixture(scope="module")
def world(http: httpx.Client) -> dict[str, str]:
    """One object of every kind, and runs and batches in the states the table needs."""
    ids: dict[str, str] = {"assistant": _ok(http.post("/v1/assistants", json={"model": "gpt-4o"}))["id"]}
    thread = _ok(http.post("/v1/threads", json={"messages": [{"role": "user", "content": "hi"}]}))
    ids["thread"] = thread["id"]
    ids["message"] = _ok(http.get(f"/v1/threads/{thread['id']}/messages"))["data"][0]["id"]
    run = _ok(http.post(f"/v1/threads/{thread['id']}/runs", json={"assistant_id": "asst_weather"}))
    while run["status"] != "requires_action":
        run = _ok(http.get(f"/v1/threads/{thread['id']}/runs/{run['id']}"))
    call = run["required_action"]["submit_tool_outputs"]["tool_calls"][0]["id"]
    _ok(http.post(f"/v1/threads/{thread['id']}/runs/{run['id']}/submit_tool_outputs",
                  json={"tool_outputs": [{"tool_call_id": call, "output": "18C"}]}))
    while run["status"] != "completed":
        run = _ok(http.get(f"/v1/threads/{thread['id']}/runs/{run['id']}"))
    ids["run"] = run["id"]
    ids["step"] = _ok(http.get(f"/v1/threads/{thread['id']}/runs/{run['id']}/steps"))["data"][0]["id"]
    busy = _ok(http.post("/v1/threads/runs", json={"assistant_id": "asst_weather"}))  # queued: the thread is busy
    ids["busy_thread"], ids["busy_run"] = busy["thread_id"], busy["id"]
    waiting = _ok(http.post("/v1/threads/runs", json={"assistant_id": "asst_weather"}))
    while waiting["status"] != "requires_action":
        waiting = _ok(http.get(f"/v1/threads/{waiting['thread_id']}/runs/{waiting['id']}"))
    ids["waiting_thread"], ids["waiting_run"] = waiting["thread_id"], waiting["id"]
    ids["call"] = waiting["required_action"]["submit_tool_outputs"]["tool_calls"][0]["id"]
    ids["file"] = _upload(http, json.dumps({"custom_id": "r1", **LINE}).encode() + b"\n")
    ids["notes_file"] = _upload(http, b"notes\n", purpose="assistants", filename="notes.txt")
    batch = {"input_file_id": ids["file"], "endpoint": CHAT, "completion_window": "24h"}
    ids["batch"] = _ok(http.post("/v1/batches", json=batch))["id"]
    done = _ok(http.post("/v1/batches", json=batch))
    while done["status"] != "completed":
        done = _ok(http.get(f"/v1/batches/{done['id']}"))
    ids["done_batch"] = done["id"]
    conversation = _ok(http.post("/v1/conversations", json={"items": [{"role": "user", "content": "hi"}]}))
    ids["conversation"] = conversation["id"]
    ids["conversation_item"] = _ok(http.get(f"/v1/conversations/{conversation['id']}/items"))["data"][0]["id"]
    return ids


@pytest.fixture(scope="module")
def baseline(plain: Any, world: dict[str, str], fake: FakeOpenAI) -> list[Any]:
    return snapshot(plain, world, fake)


def snapshot(http: Any, world: dict[str, str], fake: FakeOpenAI) -> list[Any]:
    """Everything a client could read back without moving a run or batch, plus the tenant's clock,
    id generator and counters (a rejected request must not consume an id or a tick)."""
    parts: list[Any] = [http.get("/v1/assistants?limit=100").text, http.get("/v1/files").text,
                        http.get("/v1/batches?limit=100").text, http.get("/_fake/scenario").text]
    for thread, run in (("thread", "run"), ("busy_thread", "busy_run"), ("waiting_thread", "waiting_run")):
        thread_id, run_id = world[thread], world[run]
        parts += [http.get(f"/v1/threads/{thread_id}").text,
                  http.get(f"/v1/threads/{thread_id}/messages?limit=100").text,
                  http.get(f"/v1/threads/{thread_id}/runs?limit=100").text,
                  http.get(f"/v1/threads/{thread_id}/runs/{run_id}/steps?limit=100").text]
    parts += [http.get(f"/v1/conversations/{world['conversation']}").text,
              http.get(f"/v1/conversations/{world['conversation']}/items?limit=100").text]
    server = fake.server

    def internals() -> tuple[Any, ...]:
        state = server.registry.peek(fake.api_key)
        return (state.clock.now, state.ids._count, len(state.ids._reserved), state.stored_bytes,
                state.worlds["assistants"].run_count, state.worlds["batches"].batch_count, len(state.violations),
                sorted(state.served.items()))

    parts.append(server.call(internals))
    return parts


BAD_JSON = {"headers": JSON}
NO_KEY = {"headers": {"Authorization": ""}}

# The core's rows; each family's are its ``testing.ERROR_CASES`` (families/<name>/testing.py), added below.
CASES: list[tuple[str, str, str, dict[str, Any], int, str | None]] = [
    # --- bodies: parsing (every JSON endpoint parses the same way; regressions for the 500s found here)
    ("malformed json", "POST", "/v1/assistants", {"content": b'{"model": ', **BAD_JSON}, 400, "body"),
    ("json not an object", "POST", "/v1/assistants", {"json": ["gpt-4o"]}, 400, "body"),
    ("json null", "POST", "/v1/threads", {"content": b"null", **BAD_JSON}, 400, "body"),
    ("json string", "POST", "/v1/threads/{thread}", {"content": b'"metadata"', **BAD_JSON}, 400, "body"),
    ("not utf-8", "POST", "/v1/assistants", {"content": b'{"model": "\xff\xfe"}', **BAD_JSON}, 400, "body"),
    ("NaN (was a 500 on every later read)", "POST", "/v1/assistants",
     {"content": b'{"model": "gpt-4o", "temperature": NaN}', **BAD_JSON}, 400, "body"),
    ("Infinity", "POST", "/v1/threads/{thread}/runs",
     {"content": b'{"assistant_id": "asst_weather", "top_p": Infinity}', **BAD_JSON}, 400, "body"),
    ("number past a double (was stored as inf)", "POST", "/v1/assistants",
     {"content": b'{"model": "gpt-4o", "tools": [{"type": "function", "function": {"name": "f", '
                 b'"parameters": {"maximum": 1e400}}}]}', **BAD_JSON}, 400, "body"),
    ("nesting too deep (was a 500)", "POST", "/v1/threads",
     {"content": b'{"metadata": ' + b"[" * 50_000 + b"]" * 50_000 + b"}", **BAD_JSON}, 400, "body"),
    ("unpaired surrogate (was a 500 on every later read)", "POST", "/v1/threads/{thread}/messages",
     {"content": b'{"role": "user", "content": "\\ud800"}', **BAD_JSON}, 400, "body"),
    ("form content type", "POST", "/v1/assistants",
     {"content": b"model=gpt-4o", "headers": {"content-type": "application/x-www-form-urlencoded"}}, 415, "body"),
    ("text content type", "POST", "/v1/threads", {"content": b"{}", "headers": {"content-type": "text/plain"}},
     415, "body"),
    # --- control API
    ("scenario: invalid", "PUT", "/_fake/scenario", {"content": b"runs:\n  - steps:\n      - status: done\n"}, 400,
     "scenario"),
    ("scenario: bad YAML", "PUT", "/_fake/scenario", {"content": b"a: [\n"}, 400, "scenario"),
    ("scenario: python tag", "PUT", "/_fake/scenario", {"content": b"!!python/object/apply:os.system ['true']"},
     400, "scenario"),
    ("scenario: file path over HTTP", "PUT", "/_fake/scenario",
     {"content": b"objects:\n  files:\n    - {purpose: batch, path: /etc/passwd}\n"}, 400, "scenario"),
    ("scenario: path as name", "PUT", "/_fake/scenario", {"json": {"name": "/etc/passwd.yaml"}}, 400, "scenario"),
    ("scenario: unknown name", "PUT", "/_fake/scenario", {"json": {"name": "no_such_scenario"}}, 400, "scenario"),
    ("scenario: billion laughs (stalled the server)", "PUT", "/_fake/scenario", {"content": LAUGHS.encode()}, 400,
     "scenario"),
    ("scenario: alias inside itself", "PUT", "/_fake/scenario", {"content": b"runs: &r [*r]\n"}, 400, "scenario"),
    ("scenario: JSON too deep (was a 500)", "PUT", "/_fake/scenario",
     {"content": b'{"a":' * 5000 + b"1" + b"}" * 5000}, 400, "scenario"),
    ("scenario: not UTF-8", "PUT", "/_fake/scenario", {"content": b"name: \xff\n"}, 400, "body"),
    ("clock: negative", "POST", "/_fake/clock", {"json": {"advance": -1}}, 400, "advance"),
    ("clock: not a number", "POST", "/_fake/clock", {"json": {"advance": "1h"}}, 400, "advance"),
    ("clock: NaN (was a 500)", "POST", "/_fake/clock", {"content": b'{"advance": NaN}', **BAD_JSON}, 400, "body"),
    ("clock: unknown field", "POST", "/_fake/clock", {"json": {"rewind": 1}}, 400, "rewind"),
    ("control: no key", "GET", "/_fake/scenario", NO_KEY, 401, "authorization"),
    ("control: wrong method", "DELETE", "/_fake/reset", {}, 405, None),
    ("control: wrong method on tenant", "GET", "/_fake/tenant", {}, 405, None),
    ("control: drop tenant without a key", "DELETE", "/_fake/tenant", NO_KEY, 401, "authorization"),
    ("control: reset without a key", "POST", "/_fake/reset", NO_KEY, 401, "authorization"),
    ("control: requests without a key", "GET", "/_fake/requests", NO_KEY, 401, "authorization"),
    ("control: violations without a key", "GET", "/_fake/violations", NO_KEY, 401, "authorization"),
    ("control: POST to health", "POST", "/_fake/health", {}, 405, None),
    ("timeline: unknown tenant", "GET", "/_fake/timeline?tenant=tenant-nope", {}, 404, "tenant"),
    ("timeline: last not a number", "GET", "/_fake/timeline?last=x", {}, 400, "last"),
    ("tenants: wrong method", "POST", "/_fake/tenants", {}, 405, None),
    ("ui: wrong method", "POST", "/_fake/ui", {}, 405, None),
    # --- keys, routes, methods
    ("no key", "GET", "/v1/assistants", NO_KEY, 401, "authorization"),
    ("not a bearer key", "POST", "/v1/threads", {"json": {}, "headers": {"Authorization": "Basic a2V5"}}, 401,
     "authorization"),
    ("unknown route", "GET", "/v1/threads/{thread}/nothing", {}, 404, None),
    ("unknown route outside /v1", "GET", "/nothing", {}, 404, None),
    ("unknown route under /_fake", "GET", "/_fake/nothing", {}, 404, None),
    ("encoded slash in an id", "GET", "/v1/threads/a%2Fb", {}, 404, None),
    ("wrong method", "PUT", "/v1/threads/{thread}", {"json": {}}, 405, None),
    ("wrong method on list", "DELETE", "/v1/assistants", {}, 405, None),
    ("PATCH", "PATCH", "/v1/files/{file}", {"json": {}}, 405, None),
    ("OPTIONS", "OPTIONS", "/v1/assistants", {}, 405, None),
    ("POST on a GET route", "POST", "/v1/threads/{thread}/runs/{run}/steps", {"json": {}}, 405, None),
    ("GET on a POST route", "GET", "/v1/threads/{thread}/runs/{run}/cancel", {}, 405, None),
    ("POST to the OpenAPI document", "POST", "/openapi.json", {}, 405, None),

]
CASES += family_rows("ERROR_CASES")


def _generic_cases() -> list[tuple[str, str, str, dict[str, Any], int, str | None]]:
    """One error case for each path the generic family serves (read from its operation table): a malformed
    JSON body (400), JSON to a form-only operation (415), an unknown id of the outermost object the path
    names (the 404 naming its parameter), ``limit=0`` on a list, else a method the path does not have (405)."""
    from fakeopenai.families.generic import Routes
    from fakeopenai.families.generic.operations import parent_of, table

    known = table()
    by_path: dict[str, list[Any]] = {}
    for route, _, methods in Routes():
        op = known.by_label[f"{methods[0]} {route}"]
        by_path.setdefault(route, []).append(op)
    cases: list[tuple[str, str, str, dict[str, Any], int, str | None]] = []
    for route, ops in by_path.items():
        concrete = re.sub(r"\{([^}]+)\}", lambda m: f"{m.group(1)}_nope", route)
        name = f"generic {route}"
        with_json = next((op for op in ops if op.body_json), None)
        form_only = next((op for op in ops if op.body_multipart and not op.body_json), None)
        checked = [param for param in ops[0].params if _checked(known, route, param, parent_of)]
        listing = next((op for op in ops if op.role == "list" and op.stored and "limit" in op.query), None)
        if with_json is not None:
            cases.append((f"{name}: malformed json", with_json.method, concrete, {"content": b'{"a": ', **BAD_JSON},
                          400, "body"))
        elif form_only is not None:
            cases.append((f"{name}: json to a form", form_only.method, concrete, {"json": {}}, 415, "body"))
        elif checked:
            cases.append((f"{name}: unknown {checked[0]}", ops[0].method, concrete, {}, 404, checked[0]))
        elif listing is not None:
            too_many = int(listing.query["limit"].get("maximum", 100)) + 1
            cases.append((f"{name}: limit {too_many}", "GET", f"{concrete}?limit={too_many}", {}, 400, "limit"))
        else:
            method = next(m for m in ("PUT", "PATCH", "DELETE", "GET") if m not in {op.method for op in ops})
            cases.append((f"{name}: wrong method", method, concrete, {}, 405, None))
    return cases


def _checked(known: Any, route: str, param: str, parent_of: Any) -> bool:
    """Whether an unknown ``param`` in ``route`` is the generic family's 404 (its collection holds what it names)."""
    prefix = route[len("/v1"):].split("{" + param + "}", 1)[0].rstrip("/")
    info = known.collections.get(prefix)
    return info is not None and info.checked


CASES += _generic_cases()


def _fill(value: Any, world: dict[str, str]) -> Any:
    text = json.dumps(value)
    for name, object_id in world.items():
        text = text.replace("{" + name + "}", object_id)
    return json.loads(text)


@pytest.mark.parametrize("name,method,path,kwargs,status,param", CASES, ids=[c[0] for c in CASES])
def test_bad_request(http: httpx.Client, plain: Any, world: dict[str, str], fake: FakeOpenAI,
                     baseline: list[Any], spec: SpecChecker, name: str, method: str, path: str,
                     kwargs: dict[str, Any], status: int, param: str | None) -> None:
    path = path.format(**world)
    if "json" in kwargs:
        kwargs = {**kwargs, "json": _fill(kwargs["json"], world)}

    response = http.request(method, path, **kwargs)

    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-request-id"].startswith("req_")
    if status == 405:
        assert response.headers["allow"]
    error = response.json()["error"]
    spec.validate(response.json(), "ErrorResponse")
    assert {"message", "type", "param", "code"} <= set(error)
    assert error["param"] == param, error
    assert error["message"] and "Traceback" not in error["message"]
    assert snapshot(plain, world, fake) == baseline
    assert http.get("/_fake/health").json()["status"] == "ok"
    # The request log can still be rendered: its last entries, this request among them (the whole log grows
    # with every case, and rendering all of it each time made the table quadratic).
    assert http.get("/_fake/timeline", params={"last": 30}).status_code == 200


def test_a_405_lists_the_allowed_methods_in_one_order(fake_openai: Any) -> None:
    """Issue 24 item 14: the Allow header and the message listed a route's methods in the order of a set,
    which changes with the process's hash seed (`GET, HEAD, DELETE`, then `HEAD, DELETE, GET`). Sorted now,
    through the SDK and in two processes with different hash seeds."""
    client = fake_openai.client(max_retries=0)
    with pytest.raises(openai.APIStatusError) as wrong:
        client.put("/files/file-abc", cast_to=object, body={})
    assert wrong.value.status_code == 405 and wrong.value.response.headers["allow"] == "DELETE, GET, HEAD"
    assert wrong.value.body["message"] == ("Invalid method for URL (PUT /v1/files/file-abc): allowed methods "
                                           "are DELETE, GET, HEAD.")
    script = ("from starlette.testclient import TestClient\nfrom fakeopenai.http.app import create_app\n"
              "with TestClient(create_app()) as http:\n"
              "    for path in ('/v1/files/file-abc', '/v1/assistants/asst_1', '/v1/threads/thread_1'):\n"
              "        r = http.put(path, headers={'Authorization': 'Bearer sk-x'})\n"
              "        print(r.status_code, r.headers['allow'], r.json()['error']['message'])\n")
    outputs = {seed: subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                                    env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2")}
    assert outputs["1"] == outputs["2"]
    assert outputs["1"].splitlines()[1] == ("405 DELETE, GET, HEAD, POST Invalid method for URL (PUT "
                                            "/v1/assistants/asst_1): allowed methods are DELETE, GET, HEAD, POST.")


def test_every_route_has_a_bad_request_case() -> None:
    """The table covers every route the server has (a new endpoint needs its rows)."""
    covered = {path.split("?")[0] for _, _, path, _, _, _ in CASES}
    for route_path, _, _methods in [*(r for f in families() for r in f.routes), *CONTROL]:
        assert any(_matches(route_path, path) for path in covered), f"no bad-request case for {route_path}"


def _matches(template: str, path: str) -> bool:
    parts, actual = template.split("/"), path.split("/")
    return len(parts) == len(actual) and all(t.startswith("{") or t == a for t, a in zip(parts, actual, strict=True))


# Under `unknown_models: error` (a tenant of its own): each request naming an unlisted model.
UNKNOWN_MODEL = [
    ("/v1/responses", {"model": "gpt-nope", "input": "Hi"}, "model"),
    ("/v1/embeddings", {"model": "gpt-nope", "input": "Hi"}, "model"),
    ("/v1/moderations", {"model": "gpt-nope", "input": "Hi"}, "model"),
    ("/v1/assistants", {"model": "gpt-nope"}, "model"),
    ("/v1/assistants/asst_ok", {"model": "gpt-nope"}, "model"),
    ("/v1/threads/thread_1/runs", {"assistant_id": "asst_ok", "model": "gpt-nope"}, "model"),
    ("/v1/threads/thread_1/runs", {"assistant_id": "asst_old"}, "assistant_id"),   # the assistant's model
    ("/v1/threads/runs", {"assistant_id": "asst_old"}, "assistant_id"),
]


def test_an_unknown_model_is_a_404_that_changes_nothing(fake: FakeOpenAI, spec: SpecChecker) -> None:
    key = "sk-unknown-models"
    scenario = {"unknown_models": "error", "models": ["gpt-4o-mini"],
                "objects": {"assistants": [{"id": "asst_ok", "model": "gpt-4o-mini"},
                                           {"id": "asst_old", "model": "gpt-3.5-turbo"}],
                            "threads": [{"id": "thread_1", "messages": [{"role": "user", "content": "Hi"}]}]}}
    server = fake.server
    with httpx.Client(base_url=server.origin, headers={"Authorization": f"Bearer {key}"}) as http:
        assert http.put("/_fake/scenario", json=scenario).status_code == 200

        def readable() -> list[Any]:
            state = server.registry.peek(key)
            return [*(http.get(path).text for path in ("/v1/assistants", "/v1/threads/thread_1/messages",
                                                           "/v1/threads/thread_1/runs")),
                    server.call(lambda: (state.clock.now, state.ids._count, len(state.ids._reserved),
                                         state.worlds["assistants"].run_count))]

        before = readable()
        for path, body, param in UNKNOWN_MODEL:
            response = http.post(path, json=body)
            assert response.status_code == 404, (path, response.text)
            spec.validate(response.json(), "ErrorResponse")
            assert response.json()["error"] == {
                "message": f"The model `{body.get('model', 'gpt-3.5-turbo')}` does not exist or you do not have "
                           "access to it.", "type": "invalid_request_error", "param": param, "code": "model_not_found"}
        assert readable() == before


# Odd but valid requests: answered as usual, and nothing changes.
TOLERATED = [
    ("body on GET", "GET", "/v1/assistants", {"content": b'{"limit": "x"}', **BAD_JSON}, 200),
    ("HEAD", "HEAD", "/v1/assistants", {}, 200),
    ("duplicate query, last wins", "GET", "/v1/assistants?limit=abc&limit=5", {}, 200),
    ("unknown query parameter", "GET", "/v1/threads/{thread}/messages?colour=red", {}, 200),
    ("unknown run_id filter", "GET", "/v1/threads/{thread}/messages?run_id=run_nope", {}, 200),
    ("unicode file purpose filter", "GET", "/v1/files?purpose=%E2%9C%93", {}, 200),
]


@pytest.mark.parametrize("name,method,path,kwargs,status", TOLERATED, ids=[c[0] for c in TOLERATED])
def test_odd_but_valid_request(http: httpx.Client, plain: Any, world: dict[str, str], fake: FakeOpenAI,
                               baseline: list[Any], name: str, method: str, path: str, kwargs: dict[str, Any],
                               status: int) -> None:
    response = http.request(method, path.format(**world), **kwargs)
    assert response.status_code == status, response.text
    assert response.headers["x-request-id"].startswith("req_")
    assert snapshot(plain, world, fake) == baseline


def test_scenario_as_yaml_flow_mapping_is_yaml_not_broken_json(fake_openai: Any) -> None:
    """A body starting with ``{`` that is not JSON used to be a 500; it is YAML (a flow mapping)."""
    loaded = httpx.put(fake_openai.server.origin + "/_fake/scenario",
                       headers={"Authorization": f"Bearer {fake_openai.api_key}"},
                       content=b"{name: flow, runs: [{steps: [{status: completed}]}]}")
    assert loaded.status_code == 200, loaded.text
    assert loaded.json()["name"] == "flow"


def test_no_api_key_is_401(fake_openai: Any) -> None:
    response = httpx.get(fake_openai.base_url + "/assistants")
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == "authorization"
    assert "API key" in error["message"]


def test_every_response_has_a_request_id(fake_openai: Any) -> None:
    with httpx.Client(base_url=fake_openai.server.origin,
                      headers={"Authorization": f"Bearer {fake_openai.api_key}"}) as http:
        ids = {http.get("/v1/assistants").headers["x-request-id"] for _ in range(3)}
        ids.add(http.get("/v1/nope").headers["x-request-id"])
    assert len(ids) == 4 and all(i.startswith("req_") for i in ids)


@pytest.fixture
def small_server() -> Iterator[ServerThread]:
    server = ServerThread(create_app(max_body_bytes=1000)).start()
    yield server
    server.stop()


def _assistants(server: ServerThread) -> list[Any]:
    return list(httpx.get(server.base_url + "/assistants", headers={"Authorization": "Bearer k"}).json()["data"])


def test_oversized_body_is_413(small_server: ServerThread) -> None:
    response = httpx.post(small_server.base_url + "/assistants", headers={"Authorization": "Bearer k"},
                          json={"model": "gpt-4o", "instructions": "x" * 2000})
    assert response.status_code == 413
    assert response.json()["error"]["param"] == "body"
    assert response.json()["error"]["code"] == "request_too_large"
    assert _assistants(small_server) == []


def test_oversized_content_length_is_refused_before_the_body_is_read(small_server: ServerThread) -> None:
    """A 10 GB Content-Length is answered at once, from the headers alone: the body is never sent."""
    with socket.create_connection(("127.0.0.1", small_server.port), timeout=10) as sock:
        sock.sendall(b"POST /v1/assistants HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\n"
                     b"Content-Type: application/json\r\nContent-Length: 10000000000\r\n\r\n")
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), answer[:200]
    error = json.loads(body)["error"]
    assert error["param"] == "body" and "10000000000 bytes" in error["message"]
    assert _assistants(small_server) == []


def test_oversized_chunked_body_is_413(small_server: ServerThread) -> None:
    """Without a Content-Length (chunked), the body is counted as it arrives."""
    chunks = [b'{"model": "gpt-4o", "instructions": "'] + [b"x" * 400] * 5 + [b'"}']
    response = httpx.post(small_server.base_url + "/assistants", content=iter(chunks),
                          headers={"Authorization": "Bearer k", "content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"]["param"] == "body"
    assert _assistants(small_server) == []
    assert httpx.get(small_server.origin + "/_fake/health").json()["status"] == "ok"


def test_a_handler_bug_is_a_500_in_the_openai_shape_and_the_connection_survives() -> None:
    """If a handler ever raises, the client gets a 500 in the OpenAI shape and its keep-alive
    connection stays usable (it used to be dropped, so the next request failed as well)."""
    app = create_app()

    async def broken(request: Any) -> Any:
        raise RuntimeError("deliberately broken handler")

    app.app.router.routes.insert(0, Route("/v1/broken", broken, methods=["GET"]))  # type: ignore[attr-defined]
    server = ServerThread(app).start()
    try:
        with httpx.Client(base_url=server.base_url, headers={"Authorization": "Bearer k"}) as client:
            response = client.get("/broken")
            assert response.status_code == 500
            error = response.json()["error"]
            assert error["type"] == "server_error" and "RuntimeError" in error["message"]
            assert response.headers["x-request-id"].startswith("req_")
            assert response.headers["x-should-retry"] == "false"   # the SDKs do not retry it
            assert client.get("/assistants").status_code == 200  # same connection
            assert client.get("/broken").status_code == 500
    finally:
        server.stop()


UNION_BOUNDS = [
    # (what is sent to assistants.create / messages.create, param, message, code)
    ({"temperature": 3}, "temperature",
     "Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got 3 instead.",
     "decimal_above_max_value"),
    ({"top_p": -0.5}, "top_p",
     "Invalid 'top_p': decimal below minimum value. Expected a value >= 0, but got -0.5 instead.",
     "decimal_below_min_value"),
    ({"name": "n" * 300}, "name", "Invalid 'name': string too long. Expected a string with maximum length 256, but "
     "got a string with length 300 instead.", "string_above_max_length"),
    ({"temperature": "hot"}, "temperature",
     "Invalid type for 'temperature': expected a number or null, but got a string instead.", "invalid_type"),
    ({"tools": [{"type": "browser"}]}, "tools[0].type", "Invalid value for 'tools[0].type': 'browser'. Supported "
     "values are: 'code_interpreter', 'file_search', 'function'.", "invalid_value"),
    ({"tools": [{"type": "function"}]}, "tools[0].function", "Missing required parameter: 'tools[0].function'.",
     "missing_required_parameter"),
]


@pytest.mark.parametrize("extra,param,message,code", UNION_BOUNDS, ids=[c[1] for c in UNION_BOUNDS])
def test_a_bound_on_a_nullable_or_union_parameter_is_named(client: Any, extra: dict[str, Any], param: str,
                                                           message: str, code: str) -> None:
    """issue 17 item 11: a value of a nullable or union parameter that breaks the bound of the shape it was
    meant for gets that shape's error, as the live API words it (it was "does not match any of the allowed
    shapes")."""
    import openai

    with pytest.raises(openai.BadRequestError) as raised:
        client.beta.assistants.create(model="gpt-4o", **extra)

    error = raised.value.body
    assert (error["param"], error["message"], error["code"]) == (param, message, code)


@pytest.mark.parametrize("content,param,message", [
    ([{"type": "audio", "text": "hi"}], "content[0].type",
     "Invalid value for 'content[0].type': 'audio'. Supported values are: 'image_file', 'image_url', 'text'."),
    ([{"type": "text", "text": 5}], "content[0].text",
     "Invalid type for 'content[0].text': expected a string, but got an integer instead."),
    ([], "content", "Invalid 'content': array too short. Expected an array with minimum length 1, but got an array "
     "with length 0 instead."),
], ids=["unknown part type", "part of the wrong type", "no parts"])
def test_a_bad_content_part_is_named(client: Any, content: Any, param: str, message: str) -> None:
    """issue 17 item 11: message content (a string or a list of typed parts): the part and the key at fault."""
    import openai

    thread = client.beta.threads.create()
    with pytest.raises(openai.BadRequestError) as raised:
        client.beta.threads.messages.create(thread.id, role="user", content=content)

    assert (raised.value.body["param"], raised.value.body["message"]) == (param, message)


def test_a_trailing_slash_is_an_openai_404_not_a_redirect(fake_openai: Any) -> None:
    """issue 17 item 23: ``/v1/assistants/`` answered a 307 redirect with an empty body; the live API answers
    404 "Invalid URL"."""
    with httpx.Client(base_url=fake_openai.server.origin,
                      headers={"Authorization": f"Bearer {fake_openai.api_key}"}) as http:
        for method, path in (("GET", "/v1/assistants/"), ("POST", "/v1/threads/"), ("GET", "/_fake/scenario/")):
            response = http.request(method, path, json={} if method == "POST" else None)
            assert response.status_code == 404, (path, response.status_code, response.headers.get("location"))
            assert "location" not in response.headers
            assert response.json() == {"error": {"message": f"Invalid URL ({method} {path})",
                                                 "type": "invalid_request_error", "param": None,
                                                 "code": "unknown_url"}}
        assert http.get("/v1/assistants").status_code == 200


def test_a_base_url_without_v1_gets_a_hint(fake_openai: Any) -> None:
    """issue 17 item 23: an SDK whose base URL lacks ``/v1`` is told so in the 404 (it was a bare "Invalid URL")."""
    import openai

    origin = fake_openai.server.origin
    with openai.OpenAI(base_url=origin, api_key=fake_openai.api_key, max_retries=0) as sdk:
        with pytest.raises(openai.NotFoundError) as raised:
            sdk.beta.assistants.list()
    assert raised.value.body["message"] == (  # type: ignore[index]
        "Invalid URL (GET /assistants). /v1/assistants exists: is the base URL missing /v1? The fake serves the API "
        f"under /v1, as api.openai.com does (base_url or OPENAI_BASE_URL = {origin}/v1).")
    missing = httpx.get(origin + "/nothing", headers={"Authorization": f"Bearer {fake_openai.api_key}"})
    assert missing.json()["error"]["message"] == "Invalid URL (GET /nothing)"  # no hint where /v1 would not help
