"""A background response with a tool loop through the SDK, against ``fakeopenai serve`` vs the
same round trips to a bare Starlette app replaying the recorded answers (as ``sdk_flow``).

    python -m benchmarks.responses_flow [--rounds 200]

The flow: a background response polled (``while status in {"queued", "in_progress"}``) to its
function call, a second background response with the output (``previous_response_id``) polled
to the answer, then its input items.
"""

from __future__ import annotations

import argparse
from typing import Any

from benchmarks.sdk_flow import compare

SCENARIO = """
name: bench_response_tool_loop
responses:
  - times: always
    steps:
      - status: queued
      - status: in_progress
      - tool_calls: [{function: lookup, arguments: {q: one}}]
      - status: in_progress
      - message: All done.
      - status: completed
"""
TOOLS = [{"type": "function", "name": "lookup",
          "parameters": {"type": "object", "properties": {"q": {"type": "string"}}}}]


def _poll(client: Any, response: Any) -> Any:
    while response.status in {"queued", "in_progress"}:
        response = client.responses.retrieve(response.id)
    return response


def flow(client: Any) -> None:
    """The measured flow (8 HTTP round trips against the fake)."""
    first = _poll(client, client.responses.create(model="gpt-4o", input="Look it up", tools=TOOLS, background=True))
    call = first.output[0]
    second = _poll(client, client.responses.create(
        model="gpt-4o", tools=TOOLS, background=True, previous_response_id=first.id,
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": "ok"}]))
    assert second.status == "completed" and second.output_text == "All done.", second.status
    client.responses.input_items.list(second.id)


def measure(rounds: int = 200) -> dict[str, Any]:
    return compare(SCENARIO, flow, rounds, "SDK background response tool loop vs bare Starlette")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200)
    result = measure(parser.parse_args().rounds)
    print(f"{result['name']}: {result['requests_per_flow']} requests/flow, fake {result['fake_ms']:.2f} ms, "
          f"bare {result['bare_ms']:.2f} ms, ratio {result['ratio']:.2f}x (target {result['target']})")


if __name__ == "__main__":
    main()
