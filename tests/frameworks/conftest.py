"""The framework matrix's own conftest (tests/frameworks/ runs in .venv-frameworks and .venv-llamaindex,
driven by tests/test_framework_matrix.py; the main suite never collects it).

- No test may reach the internet: every connect and name lookup to anything but loopback is refused
  (an OSError the framework sees, as offline) and noted, and the test that made it fails, even where
  the framework swallowed the error (a cost map, a tokenizer, telemetry). One made outside a test (at
  import) fails the run.
- Each test's requests, as the fake recorded them (secrets redacted), are written to the file named by
  ``FAKEOPENAI_CORPUS_OUT`` (the request corpus, tests/data/framework_requests.jsonl, is made from it).
- A failed test's report lists every request the fake answered with an error, with its answer.
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import traceback
from collections.abc import Iterator
from typing import Any

import pytest

# What a user sets so that these frameworks stay offline (docs/frameworks.md); set before they are imported.
os.environ["OPENAI_AGENTS_DISABLE_TRACING"] = "1"     # the Agents SDK exports traces to api.openai.com
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"   # LiteLLM fetches its cost map at import
os.environ.setdefault("LANGSMITH_TRACING", "false")

# ------------------------------------------------------------------ the network guard
_attempts: list[str] = []          # every refused connect or lookup, in order
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _local_host(host: Any) -> bool:
    if host in (None, "", b"", "localhost", b"localhost"):
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return str(host).lower().endswith(".localhost")


def _refuse(what: str) -> str:
    stack = "".join(traceback.format_stack(limit=14)[:-2])
    _attempts.append(f"{what}\n{stack}")
    return f"fakeopenai framework matrix: no test may reach the internet ({what})"


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _local_host(address[0]):
        raise ConnectionRefusedError(_refuse(f"connect to {address!r}"))
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> Any:
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _local_host(address[0]):
        raise ConnectionRefusedError(_refuse(f"connect_ex to {address!r}"))
    return _real_connect_ex(self, address)


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if not _local_host(host):
        raise socket.gaierror(socket.EAI_NONAME, _refuse(f"name lookup of {host!r}"))
    return _real_getaddrinfo(host, *args, **kwargs)


socket.socket.connect = _guarded_connect          # type: ignore[method-assign]
socket.socket.connect_ex = _guarded_connect_ex    # type: ignore[method-assign]
socket.getaddrinfo = _guarded_getaddrinfo          # type: ignore[assignment]


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _attempts:   # outside any test (the tests' own are taken by _offline_and_recorded)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _attempts:
        terminalreporter.section("network reached outside a test")
        for attempt in _attempts:
            terminalreporter.write_line(attempt)


# ------------------------------------------------------------------ per test
@pytest.fixture(autouse=True)
def _offline_and_recorded(request: pytest.FixtureRequest, fake_openai: Any) -> Iterator[None]:
    before = len(_attempts)
    yield
    reached = _attempts[before:]
    del _attempts[before:]
    out = os.environ.get("FAKEOPENAI_CORPUS_OUT")
    if out:
        requests = [{k: r[k] for k in ("method", "path", "query", "body")} for r in fake_openai.requests]
        with open(out, "a", encoding="utf-8") as corpus:
            corpus.write(json.dumps({"test": request.node.nodeid, "requests": requests}, ensure_ascii=False) + "\n")
    if reached:
        pytest.fail(f"the test tried to reach the internet ({len(reached)} attempts):\n" + "\n".join(reached),
                    pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    fake = getattr(item, "funcargs", {}).get("fake_openai")
    if report.when == "call" and report.failed and fake is not None:
        try:
            report.sections.append(("fakeopenai: requests answered with an error", _errors(fake)))
        except Exception as exc:  # noqa: BLE001 - a report must not fail on its diagnostics
            report.sections.append(("fakeopenai: requests answered with an error", f"(not available: {exc!r})"))
    return report


def _errors(fake: Any) -> str:
    from tests.frameworks.common import timeline

    lines = []
    for entry in timeline(fake)["requests"]:
        if (entry.get("status") or 0) >= 400:
            body = json.dumps(entry["body"], ensure_ascii=False)
            answer = json.dumps((entry.get("response") or {}).get("body"), ensure_ascii=False)
            lines.append(f"#{entry['n']} {entry['method']} {entry['path']} -> {entry['status']}\n"
                         f"  answer: {answer[:1500]}\n  request: {body[:4000]}")
    return "\n".join(lines) or "(none: every request was answered 2xx)"
