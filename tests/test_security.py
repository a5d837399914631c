"""A test server that is safe to leave running: loopback by default, the control API can be switched
off, keys can be limited, limits answer with clear 4xx errors, and secrets stay out of logs.

Already covered elsewhere: the warning for a non-loopback bind (test_cli.py), ``path:`` refused
and YAML tags refused over HTTP (test_control.py, test_errors.py), ``!!python`` tags in files
(test_scenario_loader.py), oversized bodies (test_errors.py).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psutil

from fakeopenai.doors.server import ServerThread
from fakeopenai.http.app import create_app

ROOT = Path(__file__).resolve().parent.parent
KEY = "sk-proj-SECRETkey0123456789abcdef"
ORG = "org-SECRETorganization42"
PROJECT = "proj_SECRETproject77"
SECRETS = ("SECRETkey", "SECRETorganization", "SECRETproject", "SECRETcookie", "SECRETapikeyheader")


@contextmanager
def serve(*args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``fakeopenai serve`` on a free port; yields the process and the ready line's base URL."""
    process = subprocess.Popen([sys.executable, "-m", "fakeopenai", "serve", "--port", "0", *args], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline().strip()  # type: ignore[union-attr]
        assert line.startswith("fakeopenai serving on http://"), line + process.stderr.read()  # type: ignore[union-attr]
        yield process, line.split()[-1]
    finally:
        if process.poll() is None:
            process.terminate()
        process.communicate(timeout=10)


def test_serve_listens_only_on_loopback_by_default() -> None:
    with serve() as (process, base_url):
        assert base_url.startswith("http://127.0.0.1:")
        listening = [c for c in psutil.Process(process.pid).net_connections(kind="inet") if c.status == "LISTEN"]
        assert listening, "no listening socket"
        assert {c.laddr.ip for c in listening} == {"127.0.0.1"}
        assert httpx.get(base_url.removesuffix("/v1") + "/_fake/health").status_code == 200


def test_serve_no_control_disables_the_control_api() -> None:
    with serve("--no-control") as (_, base_url):
        origin = base_url.removesuffix("/v1")
        for method, path in (("GET", "/_fake/health"), ("PUT", "/_fake/scenario"), ("GET", "/_fake/requests"),
                             ("DELETE", "/_fake/tenant"), ("POST", "/_fake/clock")):
            response = httpx.request(method, origin + path, headers={"Authorization": "Bearer k"})
            assert response.status_code == 404, (path, response.text)
            assert "control API is disabled" in response.json()["error"]["message"]
        assert httpx.get(base_url + "/assistants", headers={"Authorization": "Bearer k"}).status_code == 200


def test_serve_api_key_allow_list_covers_the_api_and_the_control_api() -> None:
    with serve("--api-key", "sk-good", "--api-key", "sk-also-good") as (_, base_url):
        origin = base_url.removesuffix("/v1")
        for headers in ({"Authorization": "Bearer sk-bad"}, {"Authorization": "Bearer sk-good-but-longer"}):
            for url in (base_url + "/assistants", origin + "/_fake/scenario", origin + "/_fake/requests"):
                response = httpx.get(url, headers=headers)
                assert response.status_code == 401, url
                error = response.json()["error"]
                assert error["code"] == "invalid_api_key" and error["param"] == "authorization"
                assert "sk-bad" not in response.text and "sk-good" not in response.text  # keys are not echoed
        assert httpx.get(base_url + "/assistants").status_code == 401
        for key in ("sk-good", "sk-also-good"):
            assert httpx.get(base_url + "/assistants", headers={"Authorization": f"Bearer {key}"}).status_code == 200
        assert httpx.get(origin + "/_fake/health").status_code == 200  # health needs no key


def test_max_tenants_is_a_clear_429_until_a_tenant_is_dropped() -> None:
    server = ServerThread(create_app(max_tenants=2)).start()
    try:
        def get(key: str) -> httpx.Response:
            return httpx.get(server.base_url + "/assistants", headers={"Authorization": f"Bearer {key}"})

        assert get("sk-a").status_code == 200 and get("sk-b").status_code == 200
        refused = get("sk-c")
        assert refused.status_code == 429
        error = refused.json()["error"]
        assert error["code"] == "tenant_limit_exceeded" and error["param"] == "authorization"
        assert "2 tenants" in error["message"] and "DELETE /_fake/tenant" in error["message"]
        assert "--max-tenants" in error["message"]
        assert get("sk-a").status_code == 200  # known keys keep working
        assert httpx.get(server.origin + "/_fake/health").json()["tenants"] == 2
        dropped = httpx.delete(server.origin + "/_fake/tenant", headers={"Authorization": "Bearer sk-a"})
        assert dropped.status_code == 200
        assert get("sk-c").status_code == 200
    finally:
        server.stop()


def test_max_tenants_from_the_command_line() -> None:
    with serve("--max-tenants", "1") as (_, base_url):
        assert httpx.get(base_url + "/assistants", headers={"Authorization": "Bearer sk-1"}).status_code == 200
        assert httpx.get(base_url + "/assistants", headers={"Authorization": "Bearer sk-2"}).status_code == 429


def test_stored_bytes_limit_is_a_clear_400_and_frees_on_delete() -> None:
    server = ServerThread(create_app(max_stored_bytes=1000)).start()
    headers = {"Authorization": "Bearer sk-files"}
    try:
        def upload(size: int) -> httpx.Response:
            return httpx.post(server.base_url + "/files", headers=headers, files={"file": ("a.txt", b"x" * size)},
                              data={"purpose": "assistants"})

        first = upload(600)
        assert first.status_code == 200
        refused = upload(600)
        assert refused.status_code == 400
        error = refused.json()["error"]
        assert error["code"] == "file_storage_limit_exceeded" and error["param"] == "file"
        assert "600 bytes" in error["message"] and "allows 1000" in error["message"]
        listed = httpx.get(server.base_url + "/files", headers=headers).json()["data"]
        assert [f["id"] for f in listed] == [first.json()["id"]]  # the refused upload stored nothing
        assert httpx.delete(f"{server.base_url}/files/{first.json()['id']}", headers=headers).status_code == 200
        assert upload(600).status_code == 200
        other = httpx.post(server.base_url + "/files", headers={"Authorization": "Bearer sk-other"},
                           files={"file": ("a.txt", b"x" * 900)}, data={"purpose": "assistants"})
        assert other.status_code == 200  # the limit is per API key
    finally:
        server.stop()


def test_stored_bytes_limit_from_the_command_line() -> None:
    with serve("--max-stored-bytes", "10") as (_, base_url):
        response = httpx.post(base_url + "/files", headers={"Authorization": "Bearer k"},
                              files={"file": ("a.txt", b"x" * 11)}, data={"purpose": "assistants"})
        assert response.status_code == 400 and "allows 10" in response.json()["error"]["message"]


def test_secrets_never_reach_the_logs_or_the_request_log() -> None:
    secret_headers = {"Authorization": f"Bearer {KEY}", "OpenAI-Organization": ORG, "OpenAI-Project": PROJECT,
                      "Cookie": "session=SECRETcookie", "api-key": "SECRETapikeyheader"}
    with serve("--log-level", "debug", "--scenario", "requires_action_then_complete") as (process, base_url):
        origin = base_url.removesuffix("/v1")
        with httpx.Client(base_url=base_url, headers=secret_headers) as client:
            assistant = client.post("/assistants", json={"model": "gpt-4o"}).json()
            run = client.post("/threads/runs", json={"assistant_id": assistant["id"]}).json()
            for _ in range(3):
                run = client.get(f"/threads/{run['thread_id']}/runs/{run['id']}").json()
            assert run["status"] == "requires_action"
            client.post("/files", files={"file": ("in.txt", b"hello")}, data={"purpose": "assistants"})
            client.get("/assistants/asst_nope")  # an error is logged too
            client.post("/assistants", content=b"{not json", headers={"content-type": "application/json"})
            recorded = client.get(origin + "/_fake/requests")
        assert recorded.status_code == 200 and len(recorded.json()) == 8
        for secret in SECRETS:
            assert secret not in recorded.text, f"{secret} in /_fake/requests"
        headers = recorded.json()[0]["headers"]
        for name in ("authorization", "openai-organization", "openai-project", "cookie", "api-key"):
            assert headers[name] == "<redacted>"
        bad_key = httpx.get(base_url + "/assistants", headers={"Authorization": "Bearer"})
        assert bad_key.status_code == 401
        process.terminate()
        _, stderr = process.communicate(timeout=10)
    assert f"{run['id']} in_progress -> requires_action" in stderr  # the log does say what happened
    assert "[tenant-" in stderr  # tenants are named by a hash of the key
    for secret in SECRETS:
        assert secret not in stderr, f"{secret} in the server log"
