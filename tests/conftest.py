"""Shared fixtures: SDK clients whose every response is validated against the official spec."""

from __future__ import annotations

from typing import Any, AsyncIterator, Iterator

import openai
import pytest

from tests.spec_check import SpecChecker


@pytest.fixture(scope="session")
def spec() -> SpecChecker:
    return SpecChecker()


@pytest.fixture
def client(fake_openai: Any, spec: SpecChecker) -> Iterator[openai.OpenAI]:
    """The official SDK client, bound to the fake, with every response spec-checked."""
    http = openai.DefaultHttpxClient(event_hooks={"response": [spec.hook]})
    sdk = fake_openai.client(http_client=http, max_retries=0)
    yield sdk
    sdk.close()


@pytest.fixture
async def async_client(fake_openai: Any, spec: SpecChecker) -> AsyncIterator[openai.AsyncOpenAI]:
    http = openai.DefaultAsyncHttpxClient(event_hooks={"response": [spec.async_hook]})
    sdk = fake_openai.async_client(http_client=http, max_retries=0)
    yield sdk
    await sdk.close()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
