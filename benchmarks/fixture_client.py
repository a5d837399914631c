"""``fake_openai.client()`` per call vs the same calls through ``openai-responses`` (respx).

Runs inside the benchmark virtualenv (openai-responses needs openai<3)::

    .venv-bench/bin/python -m benchmarks.fixture_client [--rounds 300]

Both sides run the same mix of SDK calls in-process (no sockets): fakeopenai through
its in-process transport into the real app, openai-responses through respx's mocked
transport. Rounds alternate between the two; the figure is the ratio of the medians.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import warnings
from collections.abc import Callable
from typing import Any


def calls(client: Any) -> None:
    """The measured mix: 7 SDK calls."""
    assistant = client.beta.assistants.create(model="gpt-4o", name="bench")
    thread = client.beta.threads.create()
    client.beta.threads.messages.create(thread_id=thread.id, role="user", content="Hello")
    client.beta.threads.messages.list(thread_id=thread.id)
    run = client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id)
    client.beta.threads.runs.retrieve(thread_id=thread.id, run_id=run.id)
    client.beta.assistants.retrieve(assistant.id)


CALLS_PER_ROUND = 7


def _time(fn: Callable[[], None]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def _compare(name: str, flow: Callable[[Any], None], per_round: int, rounds: int,
             scenario: dict[str, Any] | None = None,
             mock_setup: Callable[[Any], None] = lambda mock: None) -> dict[str, Any]:
    """``flow`` through ``fake_openai.client()`` and through openai-responses, rounds alternating."""
    warnings.simplefilter("ignore", DeprecationWarning)
    import openai
    import openai_responses

    from fakeopenai import FakeOpenAI

    fake = FakeOpenAI().start()
    try:
        if scenario is not None:
            fake.load(scenario)
        fake_client = fake.client(max_retries=0)
        mock = openai_responses.OpenAIMock()
        mock_setup(mock)
        mocked_client = openai.OpenAI(api_key="sk-fake", max_retries=0)
        fake_times: list[float] = []
        mock_times: list[float] = []
        with mock.router:
            for _ in range(5):  # warm-up
                flow(fake_client)
                flow(mocked_client)
            for _ in range(rounds):
                fake_times.append(_time(lambda: flow(fake_client)))
                mock_times.append(_time(lambda: flow(mocked_client)))
    finally:
        fake.stop()
    fake_us = statistics.median(fake_times) / per_round * 1e6
    mock_us = statistics.median(mock_times) / per_round * 1e6
    return {"name": name, "openai": openai.__version__, "fake_us": fake_us, "openai_responses_us": mock_us,
            "ratio": fake_us / mock_us, "target": "<= 1.0x", "passed": fake_us / mock_us <= 1.0}


def measure(rounds: int = 300) -> dict[str, Any]:
    return _compare("fixture client per call vs openai-responses", calls, CALLS_PER_ROUND, rounds)


CHAT_ANSWER = "The answer, as scripted."


def chat_call(client: Any) -> None:
    completion = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "Hi"}])
    assert completion.choices[0].message.content == CHAT_ANSWER


def _mock_chat(mock: Any) -> None:
    mock.chat.completions.create.response = {"choices": [
        {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": CHAT_ANSWER}}]}


def measure_chat(rounds: int = 300) -> dict[str, Any]:
    """One ``chat.completions.create`` per call, both scripted to the same answer."""
    return _compare("fixture client, chat.completions.create, vs openai-responses", chat_call, 1, rounds,
                    scenario={"chat": [{"times": "always", "steps": [{"message": CHAT_ANSWER}]}]},
                    mock_setup=_mock_chat)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--json", action="store_true", help="one JSON line: a list of both results")
    parser.add_argument("--chat", action="store_true", help="only chat.completions.create per call")
    args = parser.parse_args()
    # Both in one process unless --chat: each start imports openai, openai-responses and the fake.
    results = [measure_chat(args.rounds)] if args.chat else [measure(args.rounds), measure_chat(args.rounds)]
    if args.json:
        print(json.dumps(results))
        return
    for result in results:
        print(f"{result['name']} (openai {result['openai']}): fakeopenai {result['fake_us']:.0f} us/call, "
              f"openai-responses {result['openai_responses_us']:.0f} us/call, ratio {result['ratio']:.2f}x")


if __name__ == "__main__":
    main()
