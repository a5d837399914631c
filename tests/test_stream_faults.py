"""Faults inside a stream (``after_events`` with ``disconnect``, ``stall`` or ``malformed``), seen
through the official SDK the same way over a socket and in-process: the client reads the first
events, then the connection breaks, goes silent past its read timeout, or sends an event that is not
JSON. The run itself goes on, as on the live API."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import openai
import pytest

from fakeopenai import ScenarioError, load_scenario
from fakeopenai.doors.transport import sdk_http_module

TRANSPORTS = [pytest.param(False, id="in-process"), pytest.param(True, id="socket")]


@pytest.fixture
def make_client(fake_openai: Any) -> Iterator[Callable[..., openai.OpenAI]]:
    """SDK clients that read streams as users do, event by event (the suite's spec-checking hook would
    read each answer whole before the SDK sees it)."""
    made: list[openai.OpenAI] = []

    def make(*, socket: bool, **kwargs: Any) -> openai.OpenAI:
        if socket:
            kwargs["http_client"] = openai.DefaultHttpxClient()
        made.append(fake_openai.client(**kwargs))
        return made[-1]

    yield make
    for client in made:
        client.close()


def _causes(error: BaseException | None) -> list[str]:
    """The error and what caused it (the SDK wraps the HTTP library's error): ``"Class: message"``."""
    out = []
    while error is not None:
        out.append(f"{type(error).__name__}: {error}")
        error = error.__cause__ or error.__context__
    return out


def _read(stream: Any) -> tuple[list[Any], BaseException | None]:
    events: list[Any] = []
    try:
        for event in stream:
            events.append(event)
    except Exception as exc:  # noqa: BLE001 - the test looks at what the client saw
        return events, exc
    return events, None


@pytest.mark.parametrize("socket", TRANSPORTS)
def test_disconnect_after_events(socket: bool, make_client: Callable[..., openai.OpenAI], fake_openai: Any) -> None:
    fake_openai.load({"faults": [{"match": {"path": "/v1/threads/runs"}, "after_events": 3, "disconnect": True}]})
    client = make_client(socket=socket, max_retries=0)
    assistant = client.beta.assistants.create(model="gpt-4o")
    events, error = _read(client.beta.threads.create_and_run(assistant_id=assistant.id, stream=True))
    assert [e.event for e in events] == ["thread.created", "thread.run.created", "thread.run.queued"]
    assert any(c.startswith("RemoteProtocolError: peer closed connection without sending complete message body")
               for c in _causes(error)), _causes(error)
    assert fake_openai.scenario["faults"][0]["fired"] == 1
    # The server's run went on without the client, to the end of its script.
    run = client.beta.threads.runs.retrieve(events[1].data.id, thread_id=events[0].data.id)
    assert run.status == "completed" and run.completed_at is not None


@pytest.mark.parametrize("socket", TRANSPORTS)
def test_stall_past_the_read_timeout(socket: bool, make_client: Callable[..., openai.OpenAI],
                                     fake_openai: Any) -> None:
    fake_openai.load({"faults": [{"match": {"path": "/v1/threads/runs"}, "after_events": 2, "stall": "1s"}]})
    client = make_client(socket=socket, max_retries=0)
    assistant = client.beta.assistants.create(model="gpt-4o")
    events, error = _read(client.with_options(timeout=0.2).beta.threads.create_and_run(
        assistant_id=assistant.id, stream=True))
    assert [e.event for e in events] == ["thread.created", "thread.run.created"]
    assert any(c.startswith("ReadTimeout") for c in _causes(error)), _causes(error)


@pytest.mark.parametrize("socket", TRANSPORTS)
def test_malformed_event(socket: bool, make_client: Callable[..., openai.OpenAI], fake_openai: Any) -> None:
    fake_openai.load({"faults": [{"match": {"path": "/v1/threads/runs"}, "after_events": 1, "malformed": True}]})
    client = make_client(socket=socket, max_retries=0)
    assistant = client.beta.assistants.create(model="gpt-4o")
    events, error = _read(client.beta.threads.create_and_run(assistant_id=assistant.id, stream=True))
    assert [e.event for e in events] == ["thread.created"]
    assert isinstance(error, ValueError)   # json.JSONDecodeError: the SDK cannot read the event


def test_both_transports_send_the_same_bytes(fake_openai: Any) -> None:
    """One world: the same scenario on two tenants, one over a socket and one in-process, gives the same
    stream byte for byte, the malformed event and the events after it included."""
    scenario = {"seed": 5, "faults": [{"match": {"path": "/v1/threads/runs"}, "after_events": 4, "malformed": True}]}
    bodies = []
    for in_process in (False, True):
        fake_openai.load(scenario)
        options: dict[str, Any] = {"transport": fake_openai.transport()} if in_process else {}
        auth = {"Authorization": f"Bearer {fake_openai.api_key}"}
        with sdk_http_module(openai).Client(base_url=fake_openai.base_url, headers=auth, **options) as http:
            assistant = http.post("/assistants", json={"model": "gpt-4o"}).json()
            with http.stream("POST", "/threads/runs", json={"assistant_id": assistant["id"], "stream": True}) as answer:
                bodies.append(b"".join(answer.iter_bytes()))
    assert bodies[0] == bodies[1]
    frames = bodies[0].split(b"\n\n")
    assert frames[4].startswith(b"event: thread.run.step.created\ndata: {") and not frames[4].endswith(b"}")
    assert frames[-2] == b"event: done\ndata: [DONE]"


def test_a_stream_fault_leaves_answers_that_are_not_streams_alone(make_client: Callable[..., openai.OpenAI],
                                                                  fake_openai: Any) -> None:
    fake_openai.load({"faults": [{"match": {"path": "/v1/threads/runs"}, "after_events": 0, "disconnect": True}]})
    client = make_client(socket=False, max_retries=0)
    assistant = client.beta.assistants.create(model="gpt-4o")
    run = client.beta.threads.create_and_run_poll(assistant_id=assistant.id)
    assert run.status == "completed"
    assert fake_openai.scenario["faults"][0] == {"name": "faults[0]", "index": 0, "matched": 0, "fired": 0}


@pytest.mark.parametrize(("fault", "message"), [
    ({"stall": "1s"}, "faults[0].stall: stall happens in a stream: give after_events too"),
    ({"after_events": 2}, "faults[0].after_events: after_events needs what happens then"),
    ({"after_events": 2, "disconnect": True, "status": 500}, "faults[0].status: status answers a request"),
    ({"after_events": 2, "stall": "forever"}, "faults[0].stall: expected a duration such as 30"),
])
def test_stream_fault_mistakes_are_named(fault: dict[str, Any], message: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenario({"faults": [fault]})
    assert message in str(caught.value)
