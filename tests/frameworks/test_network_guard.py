"""The matrix's network guard (conftest.py) refuses and notes every non-loopback connect and lookup."""

from __future__ import annotations

import socket
from typing import Any

import httpx
import pytest

from tests.frameworks import conftest


def _take_attempts(before: int) -> list[str]:
    taken = conftest._attempts[before:]
    del conftest._attempts[before:]   # taken here: the test checks them itself, so they do not fail it
    return taken


@pytest.mark.parametrize("reach", [
    lambda: socket.getaddrinfo("api.openai.com", 443),
    lambda: socket.create_connection(("192.0.2.1", 443), timeout=1),
    lambda: httpx.get("https://raw.githubusercontent.com/", timeout=1),
], ids=["lookup", "connect", "httpx"])
def test_the_internet_is_refused_and_noted(fake_openai: Any, reach: Any) -> None:
    before = len(conftest._attempts)
    with pytest.raises((OSError, httpx.ConnectError)):
        reach()
    taken = _take_attempts(before)
    hosts = ("api.openai.com", "192.0.2.1", "raw.githubusercontent.com")
    assert len(taken) == 1 and any(host in taken[0] for host in hosts)


def test_loopback_is_allowed(fake_openai: Any) -> None:
    before = len(conftest._attempts)
    assert httpx.get(fake_openai.server.origin + "/_fake/health", timeout=5).status_code == 200
    assert socket.getaddrinfo("localhost", 80) and not _take_attempts(before)
