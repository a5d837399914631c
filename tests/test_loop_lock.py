"""The server loop lent to other threads while idle (fakeopenai/doors/loop_lock.py), and the
in-process clients that use it, under concurrency."""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import openai
import pytest

from fakeopenai import FakeOpenAI
from fakeopenai.doors import loop_lock
from fakeopenai.doors.loop_lock import LoopLock

WAIT = 10.0  # seconds: only ever reached when something is broken


Lent = tuple[LoopLock, asyncio.AbstractEventLoop]


@pytest.fixture
def bare_loop() -> Iterator[Lent]:
    """A loop with nothing to do but what a test gives it: it sleeps in select() until woken."""
    lock = LoopLock()
    started = threading.Event()

    def serve() -> None:
        with asyncio.Runner(loop_factory=lock.new_loop) as runner:
            runner.get_loop().call_soon(started.set)
            runner.get_loop().run_forever()
        lock.loop_closed()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert started.wait(WAIT)
    assert lock.loop is not None
    yield lock, lock.loop
    lock.loop.call_soon_threadsafe(lock.loop.stop)
    thread.join(WAIT)


def test_an_idle_loop_is_lent_to_this_thread_as_its_running_loop(bare_loop: Lent) -> None:
    lock, loop = bare_loop
    with lock.lend(wait=WAIT) as lent:
        assert lent is loop
        assert asyncio.get_running_loop() is loop
    with pytest.raises(RuntimeError, match="no running event loop"):
        asyncio.get_running_loop()


def test_a_busy_loop_is_not_lent(bare_loop: Lent) -> None:
    lock, loop = bare_loop
    busy, release = threading.Event(), threading.Event()

    def work() -> None:
        busy.set()
        release.wait(WAIT)

    loop.call_soon_threadsafe(work)
    assert busy.wait(WAIT)
    with lock.lend() as lent:
        assert lent is None
    release.set()


def test_the_loop_runs_nothing_while_it_is_lent(bare_loop: Lent) -> None:
    """A callback handed to the loop's thread waits until the lender is done (a broken lock lets
    it run at once, and the wait below ends early)."""
    lock, loop = bare_loop
    ran = threading.Event()
    with lock.lend(wait=WAIT) as lent:   # the loop may still be ending its last step
        assert lent is not None
        loop.call_soon_threadsafe(ran.set)
        assert not ran.wait(0.2)
    assert ran.wait(WAIT)


def test_what_lent_code_schedules_wakes_the_loop(bare_loop: Lent) -> None:
    """Nothing else would wake this loop: without the wake-up, the callback never runs."""
    lock, loop = bare_loop
    ran = threading.Event()
    with lock.lend(wait=WAIT) as lent:
        assert lent is not None
        lent.call_soon(ran.set)
    assert ran.wait(WAIT)


def test_a_timer_lent_code_sets_wakes_the_loop(bare_loop: Lent) -> None:
    lock, loop = bare_loop
    timer = threading.Event()
    with lock.lend(wait=WAIT) as lent:
        assert lent is not None
        lent.call_later(0.001, timer.set)
    assert timer.wait(WAIT)


def test_a_loop_in_debug_mode_is_not_lent(bare_loop: Lent) -> None:
    lock, loop = bare_loop
    loop.set_debug(True)
    with lock.lend() as lent:
        assert lent is None


def test_a_closed_loop_is_not_lent() -> None:
    fake = FakeOpenAI().start()
    lock = fake.server.loop_lock
    fake.stop()
    with lock.lend() as lent:
        assert lent is None


@pytest.fixture
def public_asyncio_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on a Python whose asyncio lacks the private functions the loop lock uses (found the way the
    module finds them, on a module that has none)."""
    monkeypatch.setattr(loop_lock, "INTERNALS", loop_lock.find_internals(object()))
    assert loop_lock.INTERNALS is None


def test_the_lock_finds_this_pythons_internals() -> None:
    """CI runs this file on 3.11, 3.12 and 3.13 (.ci/run): each still has them, so the fast path is taken."""
    assert loop_lock.INTERNALS is not None


@pytest.mark.usefixtures("public_asyncio_only")
def test_without_the_internals_the_loop_is_never_lent_and_the_in_process_clients_still_work(
        bare_loop: Lent) -> None:
    lock, _ = bare_loop
    with lock.lend(wait=WAIT) as lent:
        assert lent is None
    assert loop_lock.running_loop() is None

    async def calls(fake: FakeOpenAI) -> list[str]:
        assert loop_lock.running_loop() is asyncio.get_running_loop()
        client = fake.async_client(max_retries=0)
        stream = await client.chat.completions.create(model="gpt-4o", stream=True,
                                                      messages=[{"role": "user", "content": "Hi"}])
        text = "".join([chunk.choices[0].delta.content or "" async for chunk in stream if chunk.choices])
        return [text, (await client.models.list()).data[0].object]

    scenario = {"faults": [{"match": {"path": "/v1/models"}, "times": 1, "delay_ms": 5}]}
    with FakeOpenAI(scenario) as fake:
        client = fake.client(max_retries=0)
        assert client.models.list().data     # delayed: it suspends on the loop's thread
        assert client.models.list().data
        text, listed = asyncio.run(calls(fake))
        assert text and listed == "model"


def test_a_loop_that_does_not_show_its_queues_is_always_woken() -> None:
    """The agenda of a loop without ``_ready``/``_scheduled`` differs every time it is read."""
    assert loop_lock._agenda(object()) != loop_lock._agenda(object())


@pytest.fixture
def eager_thread_switches() -> Iterator[None]:
    """Threads switch every microsecond instead of every 5 ms, so requests on different threads
    interleave inside their handlers, not only between them."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


@pytest.mark.usefixtures("eager_thread_switches")
def test_in_process_clients_on_many_threads_with_socket_clients_keep_one_consistent_world() -> None:
    """Sync in-process clients on 6 threads, socket clients on 3 and async in-process calls on
    this thread, all adding messages to one thread: every message lands exactly once. (An end-to-end
    check of the three doors at once; the lock itself is checked by
    test_the_loop_runs_nothing_while_it_is_lent: this path, with few shared read-modify-writes,
    passed even with a lock that lent without locking.)"""
    per_worker = 25
    with FakeOpenAI() as fake:
        client = fake.client(max_retries=0)
        thread = client.beta.threads.create()
        # The SDK builds its models on first use, and that is no place for a race of its own.
        warm_up = client.beta.threads.messages.create(thread.id, role="user", content="warm-up")

        def in_process(worker: int) -> list[str]:
            own = fake.client(max_retries=0)
            return [own.beta.threads.messages.create(thread.id, role="user", content=f"p{worker}-{i}").id
                    for i in range(per_worker)]

        def over_socket(worker: int) -> list[str]:
            with openai.OpenAI(base_url=fake.base_url, api_key=fake.api_key, max_retries=0,
                               http_client=openai.DefaultHttpxClient()) as own:
                return [own.beta.threads.messages.create(thread.id, role="user", content=f"s{worker}-{i}").id
                        for i in range(per_worker)]

        async def asynchronous() -> list[str]:
            own = fake.async_client(max_retries=0)
            made = await asyncio.gather(*(own.beta.threads.messages.create(thread.id, role="user", content=f"a{i}")
                                          for i in range(per_worker)))
            return [message.id for message in made]

        with ThreadPoolExecutor(9) as pool:
            futures = [pool.submit(in_process, n) for n in range(6)]
            futures += [pool.submit(over_socket, n) for n in range(3)]
            made = asyncio.run(asynchronous())
            for future in futures:
                made += future.result()

        listed = [m.id for m in client.beta.threads.messages.list(thread.id, limit=100, order="asc")]
        made.append(warm_up.id)
        assert len(made) == len(set(made)) == 10 * per_worker + 1
        assert sorted(listed) == sorted(made)
        contents = sorted(m.content[0].text.value for m in client.beta.threads.messages.list(thread.id, limit=100)
                          )
        assert contents == sorted([f"p{w}-{i}" for w in range(6) for i in range(per_worker)]
                                  + [f"s{w}-{i}" for w in range(3) for i in range(per_worker)]
                                  + [f"a{i}" for i in range(per_worker)] + ["warm-up"])


def test_a_lent_request_that_suspends_finishes_on_the_loop() -> None:
    """A scripted delay suspends the request mid-way: the loop's thread carries it on."""
    scenario = {"faults": [{"match": {"path": "/v1/models"}, "times": 1, "delay_ms": 5}]}
    with FakeOpenAI(scenario) as fake:
        client = fake.client(max_retries=0)
        assert client.models.list().data
        assert client.models.list().data


def test_a_lent_async_request_that_suspends_finishes_on_the_loop_and_a_stream_flows() -> None:
    scenario = {"faults": [{"match": {"path": "/v1/models"}, "times": 1, "delay_ms": 5}]}

    async def calls(fake: FakeOpenAI) -> list[str]:
        client = fake.async_client(max_retries=0)
        models = await asyncio.gather(client.models.list(), client.models.list())
        stream = await client.chat.completions.create(model="gpt-4o", stream=True,
                                                      messages=[{"role": "user", "content": "Hi"}])
        text = "".join([chunk.choices[0].delta.content or "" async for chunk in stream if chunk.choices])
        return [str(len(page.data) > 0) for page in models] + [str(bool(text))]

    with FakeOpenAI(scenario) as fake:
        assert asyncio.run(calls(fake)) == ["True", "True", "True"]
