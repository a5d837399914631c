"""A fixed request sequence and its transcript: what determinism is checked against.

    python -m tests.transcript > tests/golden/transcript.json    # regenerate the golden file

Every response of the sequence (status, request id, poll header, body bytes) is
recorded, so any change in ids, timestamps or generated text shows up.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

SCENARIO = """
name: golden
seed: 1234
objects:
  assistants:
    - {id: asst_golden, name: Golden, model: gpt-4o, instructions: Be exact.}
runs:
  - name: tool_then_answer
    match: {last_message: {contains: weather}}
    times: always
    steps:
      - status: queued
      - status: in_progress
      - tool_calls: [{function: get_weather, arguments: {city: Oslo}}]
      - message: {words: 20}
      - status: completed
"""


def run_sequence(origin: str, api_key: str = "sk-golden") -> list[dict[str, Any]]:
    transcript: list[dict[str, Any]] = []
    with httpx.Client(base_url=origin, headers={"Authorization": f"Bearer {api_key}"}) as http:
        def call(method: str, path: str, **kwargs: Any) -> Any:
            response = http.request(method, path, **kwargs)
            transcript.append({"request": f"{method} {path}", "status": response.status_code,
                               "x-request-id": response.headers.get("x-request-id"),
                               "openai-poll-after-ms": response.headers.get("openai-poll-after-ms"),
                               "body": response.text})
            return response.json() if response.headers.get("content-type") == "application/json" else None

        call("PUT", "/_fake/scenario", content=SCENARIO)
        thread = call("POST", "/v1/threads", json={"messages": [{"role": "user", "content": "What is the weather?"}]})
        run = call("POST", f"/v1/threads/{thread['id']}/runs", json={"assistant_id": "asst_golden"})
        while run["status"] not in ("requires_action", "completed"):
            run = call("GET", f"/v1/threads/{thread['id']}/runs/{run['id']}")
        call_id = run["required_action"]["submit_tool_outputs"]["tool_calls"][0]["id"]
        run = call("POST", f"/v1/threads/{thread['id']}/runs/{run['id']}/submit_tool_outputs",
                   json={"tool_outputs": [{"tool_call_id": call_id, "output": "-3C"}]})
        while run["status"] != "completed":
            run = call("GET", f"/v1/threads/{thread['id']}/runs/{run['id']}")
        call("GET", f"/v1/threads/{thread['id']}/messages")
        call("GET", f"/v1/threads/{thread['id']}/runs/{run['id']}/steps")
        call("POST", "/v1/threads/runs", json={"assistant_id": "asst_golden", "stream": True,
                                               "thread": {"messages": [{"role": "user", "content": "Hello"}]}})
        call("POST", "/v1/files", files={"file": ("notes.txt", b"hello world\n")}, data={"purpose": "assistants"})
        lines = [json.dumps({"custom_id": f"r{i}", "method": "POST", "url": url,
                             "body": {"model": model, **body}}) for i, (url, model, body) in enumerate([
            ("/v1/chat/completions", "gpt-4o-mini", {"messages": [{"role": "user", "content": "Hi"}]}),
            ("/v1/chat/completions", "gpt-4o-mini", {"messages": [{"role": "user", "content": "Bye"}]}),
            ("/v1/chat/completions", "gpt-4o-mini", {"messages": [{"role": "user", "content": "Why"}]})])]
        upload = call("POST", "/v1/files", files={"file": ("in.jsonl", "\n".join(lines).encode())},
                      data={"purpose": "batch"})
        batch = call("POST", "/v1/batches", json={"input_file_id": upload["id"], "endpoint": "/v1/chat/completions",
                                                  "completion_window": "24h"})
        while batch["status"] not in ("completed", "failed", "expired", "cancelled"):
            batch = call("GET", f"/v1/batches/{batch['id']}")
        call("GET", f"/v1/files/{batch['output_file_id']}/content")
        call("GET", "/v1/files")
        call("GET", "/v1/threads/thread_missing")
    return transcript


def main() -> None:
    from fakeopenai.doors.server import ServerThread
    from fakeopenai.http.app import create_app

    server = ServerThread(create_app()).start()
    try:
        print(json.dumps(run_sequence(server.origin), indent=1, ensure_ascii=False))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
