"""HTTP faults scripted by a scenario: which request gets which failure.

Matching is by method, a path glob (``*`` within one path segment, ``**``
across segments) and top-level JSON body fields; ``after`` lets that many
matching requests through first, ``times`` faults that many (or ``always``).
A stream fault (``after_events``) matches streaming requests only (``"stream": true``
in the body, or ``stream=true`` in the query). What each effect does is
:mod:`fakeopenai.faults.answer` (answers) and :mod:`fakeopenai.faults.stream` (streams).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from fakeopenai.core.errors import fault_error_body
from fakeopenai.scenario.model import Fault

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState


@lru_cache(maxsize=256)
def _glob(pattern: str) -> re.Pattern[str]:
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out += ".*"
            i += 2
        elif pattern[i] == "*":
            out += "[^/]*"
            i += 1
        elif pattern[i] == "?":
            out += "[^/]"
            i += 1
        else:
            out += re.escape(pattern[i])
            i += 1
    return re.compile(out + r"/?\Z")


def path_matches(pattern: str, path: str) -> bool:
    if _glob(pattern).match(path):
        return True
    # "/threads/*/runs" also matches "/v1/threads/x/runs": the /v1 prefix is optional in patterns.
    return not pattern.startswith("/v1") and path.startswith("/v1/") and bool(_glob(pattern).match(path[3:]))


def _body_matches(expected: dict[str, Any], load_body: Callable[[], Any]) -> bool:
    body = load_body()
    return isinstance(body, dict) and all(body.get(k) == v for k, v in expected.items())


def _streaming(load_body: Callable[[], Any], query: bytes) -> bool:
    body = load_body()
    return (isinstance(body, dict) and body.get("stream") is True) or b"stream=true" in query


def pick_fault(state: TenantState, method: str, path: str, load_body: Callable[[], Any],
               query: bytes = b"") -> Fault | None:
    """The fault this request triggers, counting it against every fault it matches."""
    chosen = None
    for fault in state.scenario.faults:
        if fault.in_stream and not _streaming(load_body, query):
            continue
        if fault.method is not None and fault.method != method:
            continue
        if fault.path is not None and not path_matches(fault.path, path):
            continue
        if fault.body is not None and not _body_matches(fault.body, load_body):
            continue
        seen = state.fault_hits.get(fault.index, 0)
        state.fault_hits[fault.index] = seen + 1
        if chosen is None and seen >= fault.after:
            fired = state.fault_fired.get(fault.index, 0)
            if fault.times is None or fired < fault.times:
                state.fault_fired[fault.index] = fired + 1
                chosen = fault
    if chosen is not None:
        state.log_change("fault %s fired on %s %s", chosen.name, method, path)
    return chosen


def fault_answer(fault: Fault) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) for a fault that answers (not a bare delay or a disconnect)."""
    if fault.raw_body is not None:
        status = fault.status or 200
        return status, {"content-type": "application/json", **fault.headers}, fault.raw_body.encode()
    status = fault.status or 500
    body = fault_error_body(status)
    if fault.error:
        body["error"].update(fault.error)
    return status, {"content-type": "application/json", **fault.headers}, \
        json.dumps(body, separators=(",", ":")).encode()
