"""SDK tool-call flow against ``fakeopenai serve`` vs the same round trips to a bare Starlette app.

    python -m benchmarks.sdk_flow [--rounds 200]

The flow: create an assistant and a thread, ``create_and_poll`` to requires_action, two
``submit_tool_outputs_and_poll``, list messages. It is recorded once against the fake; the
bare app then replays the recorded responses, so the very same SDK code makes the very same
requests against both and only the server's own cost differs. Flows alternate between the
two servers; the figure is the ratio of the medians.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable
from typing import Any

from benchmarks.servers import bare_server, fakeopenai_server

SCENARIO = """
name: bench_two_tools
objects:
  assistants: [{id: asst_bench, model: gpt-4o}]
runs:
  - times: always
    steps:
      - status: queued
      - status: in_progress
      - tool_calls: [{function: lookup, arguments: {q: one}}]
      - tool_calls: [{function: lookup, arguments: {q: two}}]
      - message: All done.
      - status: completed
"""


CHAT_SCENARIO = """
name: bench_chat
chat:
  - times: always
    steps:
      - message: The answer, as scripted.
"""


def chat_call(client: Any) -> None:
    """One ``chat.completions.create`` (1 HTTP round trip)."""
    completion = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "Hi"}])
    assert completion.choices[0].message.content == "The answer, as scripted.", completion


def flow(client: Any) -> None:
    """The measured flow (11 HTTP round trips against the fake)."""
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "Look two things up"}])
    client.beta.assistants.create(model="gpt-4o", name="bench")
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id="asst_bench")
    for _ in range(2):
        call = run.required_action.submit_tool_outputs.tool_calls[0]
        run = client.beta.threads.runs.submit_tool_outputs_and_poll(
            thread_id=thread.id, run_id=run.id, tool_outputs=[{"tool_call_id": call.id, "output": "ok"}])
    assert run.status == "completed", run.status
    client.beta.threads.messages.list(thread_id=thread.id)


def _client(base_url: str, recorder: list[dict[str, Any]] | None = None) -> Any:
    import openai

    hooks = {}
    if recorder is not None:
        def record(response: Any) -> None:
            response.read()
            recorder.append({"body": response.text, "content_type": response.headers["content-type"],
                             "headers": {k: v for k, v in response.headers.items()
                                         if k in ("openai-poll-after-ms", "x-request-id")}})
        hooks = {"response": [record]}
    http = openai.DefaultHttpxClient(event_hooks=hooks) if hooks else None
    return openai.OpenAI(api_key="sk-bench", base_url=base_url, max_retries=0, http_client=http)


def measure(rounds: int = 200) -> dict[str, Any]:
    return compare(SCENARIO, flow, rounds, "SDK tool-call flow vs bare Starlette")


def measure_chat(rounds: int = 200) -> dict[str, Any]:
    return compare(CHAT_SCENARIO, chat_call, rounds, "chat.completions.create per call vs bare Starlette",
                   target=1.2)


def compare(scenario: str, measured: Callable[[Any], None], rounds: int, name: str,
            target: float = 1.3) -> dict[str, Any]:
    """``measured`` against the fake running ``scenario`` vs the bare app replaying what it answered."""
    warnings.simplefilter("ignore", DeprecationWarning)
    with fakeopenai_server() as (_, fake_url):
        import httpx

        httpx.put(fake_url.removesuffix("/v1") + "/_fake/scenario", content=scenario,
                  headers={"Authorization": "Bearer sk-bench"}).raise_for_status()
        recording: list[dict[str, Any]] = []
        measured(_client(fake_url, recording))
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump(recording, handle)
        with bare_server(handle.name) as (_, bare_url):
            fake_client, bare_client = _client(fake_url), _client(bare_url)
            for client in (fake_client, bare_client):  # warm up connections and the SDK
                for _ in range(3):
                    measured(client)
            fake_times, bare_times = [], []
            for _ in range(rounds):
                for client, times in ((fake_client, fake_times), (bare_client, bare_times)):
                    started = time.perf_counter()
                    measured(client)
                    times.append(time.perf_counter() - started)
    fake_ms = statistics.median(fake_times) * 1000
    bare_ms = statistics.median(bare_times) * 1000
    return {"name": name, "requests_per_flow": len(recording),
            "fake_ms": fake_ms, "bare_ms": bare_ms, "ratio": fake_ms / bare_ms, "target": f"<= {target}x",
            "passed": fake_ms / bare_ms <= target}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200)
    result = measure(parser.parse_args().rounds)
    print(f"{result['name']}: {result['requests_per_flow']} requests/flow, fake {result['fake_ms']:.2f} ms, "
          f"bare {result['bare_ms']:.2f} ms, ratio {result['ratio']:.2f}x (target {result['target']})")


if __name__ == "__main__":
    main()
