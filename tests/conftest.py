"""Shared fixtures: SDK clients whose every response is validated against the official spec."""

from __future__ import annotations

from typing import Any, AsyncIterator, Callable, Iterator

import openai
import pytest

from tests.spec_check import SpecChecker

pytest_plugins = ["pytester"]


@pytest.fixture(scope="session")
def spec() -> SpecChecker:
    return SpecChecker()


@pytest.fixture
def make_client(fake_openai: Any, spec: SpecChecker) -> Iterator[Callable[..., openai.OpenAI]]:
    """Build official SDK clients bound to the fake, every response spec-checked."""
    made: list[openai.OpenAI] = []

    def make(*, socket: bool = False, **kwargs: Any) -> openai.OpenAI:
        """In-process (what ``fake_openai.client()`` gives users) unless ``socket=True``."""
        transport = None if socket else fake_openai.transport()
        http = openai.DefaultHttpxClient(event_hooks={"response": [spec.hook]}, transport=transport)
        sdk = fake_openai.client(http_client=http, **kwargs)
        made.append(sdk)
        return sdk

    yield make
    for sdk in made:
        sdk.close()


@pytest.fixture
def client(make_client: Callable[..., openai.OpenAI]) -> openai.OpenAI:
    """The official SDK client (no retries, so a stray error is never hidden)."""
    return make_client(max_retries=0)


@pytest.fixture
async def async_client(fake_openai: Any, spec: SpecChecker) -> AsyncIterator[openai.AsyncOpenAI]:
    http = openai.DefaultAsyncHttpxClient(event_hooks={"response": [spec.async_hook]},
                                          transport=fake_openai.transport())
    sdk = fake_openai.async_client(http_client=http, max_retries=0)
    yield sdk
    await sdk.close()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
