"""The /_fake control API, as a Node or Go test suite would drive it (plain HTTP)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from fakeopenai.doors.server import ServerThread
from fakeopenai.http.app import create_app


def test_health_needs_no_key(fake_openai: Any) -> None:
    health = httpx.get(fake_openai.server.origin + "/_fake/health").json()
    assert health["status"] == "ok" and health["default_scenario"] == "default"


def test_load_yaml_then_progress(http: httpx.Client) -> None:
    yaml_text = ("name: from_http\nruns:\n  - name: fail_first\n    times: 1\n"
                 "    steps: [{status: queued}, {status: failed}]\n")
    loaded = http.put("/_fake/scenario", content=yaml_text, headers={"content-type": "application/yaml"})
    assert loaded.status_code == 200 and loaded.json()["name"] == "from_http"

    assistant = http.post("/v1/assistants", json={"model": "gpt-4o"}).json()
    run = http.post("/v1/threads/runs", json={"assistant_id": assistant["id"]}).json()
    progress = http.get("/_fake/scenario").json()
    [script] = progress["runs"]
    assert script["name"] == "fail_first" and script["used"] == 1
    assert script["served"] == [{"id": run["id"], "status": "queued", "step": 1, "steps": 2}]
    assert progress["unused"] == []


def test_load_builtin_by_name_with_overrides(http: httpx.Client) -> None:
    loaded = http.put("/_fake/scenario", json={"name": "run_fails", "seed": 42})
    assert loaded.json()["name"] == "run_fails" and loaded.json()["seed"] == 42


def test_clock_takes_json_whatever_the_content_type(http: httpx.Client) -> None:
    # curl -d '{"advance": 601}' declares application/x-www-form-urlencoded; the docs show exactly that.
    before = http.post("/_fake/clock").json()["now"]
    moved = http.post("/_fake/clock", content=b'{"advance": 601}',
                      headers={"content-type": "application/x-www-form-urlencoded"})
    assert moved.status_code == 200 and moved.json()["now"] == before + 601
    form = {"content-type": "application/x-www-form-urlencoded"}
    bad = http.post("/_fake/clock", content=b"advance=601", headers=form)
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "body"


def test_invalid_scenario_is_a_400_with_positions(http: httpx.Client) -> None:
    before = http.post("/v1/assistants", json={"model": "gpt-4o"}).json()
    response = http.put("/_fake/scenario", content="runs:\n  - steps:\n      - status: complete\n")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["param"] == "scenario" and error["code"] == "invalid_scenario"
    assert "<request body>:3:17: runs[0].steps[0].status: invalid value 'complete'" in error["message"]
    assert error["problems"][0]["line"] == 3 and error["problems"][0]["column"] == 17
    assert http.get(f"/v1/assistants/{before['id']}").status_code == 200  # nothing was reset


def test_scenarios_over_http_may_not_read_files(http: httpx.Client) -> None:
    response = http.put("/_fake/scenario", content="objects:\n  files:\n    - {purpose: batch, path: /etc/passwd}\n")
    assert response.status_code == 400
    assert "may not read files from disk" in response.json()["error"]["message"]
    by_name = http.put("/_fake/scenario", json={"name": "/etc/passwd.yaml"})
    assert by_name.status_code == 400


def test_requests_are_recorded_with_secrets_redacted(http: httpx.Client, fake_openai: Any) -> None:
    http.post("/v1/threads", json={"metadata": {"k": "v"}}, headers={"OpenAI-Organization": "org-secret"})
    http.get("/v1/assistants?limit=2&order=asc")
    recorded = http.get("/_fake/requests").json()
    assert [(r["method"], r["path"]) for r in recorded] == [("POST", "/v1/threads"), ("GET", "/v1/assistants")]
    assert recorded[0]["body"] == {"metadata": {"k": "v"}}
    assert recorded[0]["headers"]["authorization"] == "<redacted>"
    assert recorded[0]["headers"]["openai-organization"] == "<redacted>"
    assert fake_openai.api_key not in http.get("/_fake/requests").text
    assert recorded[1]["query"] == {"limit": "2", "order": "asc"}
    assert fake_openai.requests == recorded


def test_reset_keeps_the_scenario_and_drops_objects(http: httpx.Client) -> None:
    http.put("/_fake/scenario", json={"name": "requires_action_then_complete"})
    http.post("/v1/threads", json={})
    assert http.post("/_fake/reset").json() == {"status": "reset", "scenario": "requires_action_then_complete"}
    assert http.get("/_fake/requests").json() == []
    assert [a["id"] for a in http.get("/v1/assistants").json()["data"]] == ["asst_weather"]


def test_tenants_are_isolated_and_can_be_dropped(fake_openai: Any, checked_http: Callable[..., httpx.Client]) -> None:
    alice = checked_http(base_url=fake_openai.server.origin, headers={"Authorization": "Bearer sk-alice"})
    bob = checked_http(base_url=fake_openai.server.origin, headers={"Authorization": "Bearer sk-bob"})
    alice.post("/v1/assistants", json={"model": "gpt-4o"})
    assert bob.get("/v1/assistants").json()["data"] == []
    assert len(alice.get("/v1/assistants").json()["data"]) == 1
    assert alice.delete("/_fake/tenant").json() == {"status": "deleted"}
    assert alice.get("/v1/assistants").json()["data"] == []
    bob.delete("/_fake/tenant")


def test_no_control_disables_the_control_api(checked_http: Callable[..., httpx.Client]) -> None:
    server = ServerThread(create_app(control=False)).start()
    try:
        http = checked_http(base_url=server.origin, headers={"Authorization": "Bearer k"})
        response = http.get("/_fake/health")
        assert response.status_code == 404 and "disabled" in response.json()["error"]["message"]
        assert http.get("/v1/assistants").status_code == 200
    finally:
        server.stop()


def test_api_key_allow_list(checked_http: Callable[..., httpx.Client]) -> None:
    server = ServerThread(create_app(api_keys=["sk-good"])).start()
    try:
        http = checked_http(base_url=server.base_url)
        bad = http.get(server.base_url + "/assistants", headers={"Authorization": "Bearer sk-bad"})
        assert bad.status_code == 401 and bad.json()["error"]["code"] == "invalid_api_key"
        good = http.get(server.base_url + "/assistants", headers={"Authorization": "Bearer sk-good"})
        assert good.status_code == 200
    finally:
        server.stop()


def test_openapi_document_is_served(fake_openai: Any) -> None:
    doc = httpx.get(fake_openai.server.origin + "/openapi.json").json()
    assert "/v1/threads/{thread_id}/runs" in doc["paths"] and "RunObject" in doc["components"]["schemas"]


def test_put_scenario_blames_a_bad_compat_on_the_request_not_the_scenario(http: httpx.Client) -> None:
    """issue 17 item 13: ``?compat=nope`` (or ``"compat"`` beside ``"name"``) is the request's mistake: the
    400 names the query parameter (or the body field) and the allowed values, not the scenario file."""
    for response, where in ((http.put("/_fake/scenario?compat=nope", json={"name": "run_fails"}),
                             "query parameter"),
                            (http.put("/_fake/scenario", json={"name": "run_fails", "compat": "opnai"}),
                             "field of the request body")):
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["param"] == "compat" and error["type"] == "invalid_request_error"
        assert error["message"].startswith(f"Invalid 'compat' {where}: invalid value ")
        assert "allowed values: openai, zio-openai, api-openai, async-openai, oxillama, portable" in error["message"]
        assert "run_fails.yaml" not in error["message"]
    assert http.get("/_fake/scenario").json()["name"] == "default"  # nothing was loaded


def test_requests_show_the_fields_of_an_upload_not_its_bytes(fake_openai: Any, client: Any,
                                                             http: httpx.Client) -> None:
    """issue 17 item 24: a multipart upload is recorded as its form fields, the file as its name, size and
    type, in ``fake_openai.requests`` and ``GET /_fake/requests`` alike."""
    content = b'{"custom_id": "a"}\n' * 3
    client.files.create(file=("in.jsonl", content, "application/jsonl"), purpose="batch",
                        expires_after={"anchor": "created_at", "seconds": 3600})
    expected = {"purpose": "batch", "expires_after[anchor]": "created_at", "expires_after[seconds]": "3600",
                "file": {"filename": "in.jsonl", "bytes": len(content), "content_type": "application/jsonl"}}
    assert fake_openai.requests[0]["body"] == expected
    fake_openai.requests[0]["body"]["purpose"] = "changed"  # a copy: the log stays as it was
    assert http.get("/_fake/requests").json()[0]["body"] == expected
    # Not multipart after all (a broken body): the size, as before.
    broken = b"--x\r\nnot a part"
    bad = http.post("/v1/files", content=broken, headers={"content-type": "multipart/form-data; boundary=x"})
    assert bad.status_code == 400
    assert fake_openai.requests[-1]["body"] == f"<multipart/form-data, {len(broken)} bytes>"


def test_a_bare_name_as_the_body_loads_that_scenario(http: httpx.Client) -> None:
    """issue 17 item 23: ``curl -X PUT .../_fake/scenario -d run_fails`` loads the built-in (it was "a scenario is
    a mapping ..., not str"); a typo gets the did-you-mean; a JSON string works too."""
    loaded = http.put("/_fake/scenario", content=b"run_fails\n")
    assert loaded.status_code == 200 and loaded.json()["name"] == "run_fails"
    assert http.put("/_fake/scenario", content=b'"parallel_tool_calls"').json()["name"] == "parallel_tool_calls"

    typo = http.put("/_fake/scenario", content=b"run_fail")
    assert typo.status_code == 400
    assert typo.json()["error"]["message"].startswith("Invalid scenario:\nunknown scenario 'run_fail' (did you "
                                                      "mean 'run_fails'?). Built-in scenarios: ")
    assert http.put("/_fake/scenario", content=b"null").json()["name"] == "scenario"  # still YAML: empty


def test_a_big_scenario_loads_in_a_worker_thread_with_the_same_result(http: httpx.Client) -> None:
    """Past 64 KB the scenario is parsed and built off the event loop: same answer, same errors."""
    padding = "".join(f"# padding line {i:05d} " + "x" * 60 + "\n" for i in range(1200))   # about 90 KB
    text = padding + "name: big_one\nruns:\n  - steps: [{status: queued}, {status: failed}]\n"
    loaded = http.put("/_fake/scenario", content=text, headers={"content-type": "application/yaml"})
    assert loaded.status_code == 200 and loaded.json()["name"] == "big_one"
    bad = http.put("/_fake/scenario", content=padding + "runs:\n  - steps:\n      - status: complete\n")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_scenario"
    assert bad.json()["error"]["problems"][0]["line"] > 1200
