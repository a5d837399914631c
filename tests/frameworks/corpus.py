"""The request corpus: every request the framework matrix's tests sent, as the fake recorded them.

``tests/data/framework_requests.jsonl``, one request a line (``test``, ``n``: its place in the test's
requests, ``method``, ``path``, ``query`` when there is one, ``body``: the JSON body, secrets already
redacted by the fake's request log), ordered by test id then ``n``. A test whose requests are exactly
another's (earlier in that order) is left out; a request repeated at once (a retry) is kept once.

Written by tests/test_framework_matrix.py under ``FAKEOPENAI_FRAMEWORK_CORPUS=refresh``; replayed by
tests/test_request_corpus.py. Standard library only: the main suite and the venvs both import it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parent.parent / "data" / "framework_requests.jsonl"
FIELDS = ("method", "path", "query", "body")


def normal(request: dict[str, Any]) -> dict[str, Any]:
    kept = {key: request.get(key) for key in FIELDS}
    if not kept["query"]:
        del kept["query"]
    return kept


def sequences(captured: Path) -> dict[str, list[dict[str, Any]]]:
    """test id -> its requests, from the file the matrix's conftest appends to (FAKEOPENAI_CORPUS_OUT)."""
    found: dict[str, list[dict[str, Any]]] = {}
    for line in captured.read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        requests: list[dict[str, Any]] = []
        for request in map(normal, entry["requests"]):
            if not requests or requests[-1] != request:
                requests.append(request)
        if requests:
            found[entry["test"]] = requests
    return found


def read_corpus(path: Path = CORPUS) -> dict[str, list[dict[str, Any]]]:
    """test id -> its requests, in order."""
    found: dict[str, list[dict[str, Any]]] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            found.setdefault(entry["test"], []).append(normal(entry))
    return found


def write_corpus(tests: dict[str, list[dict[str, Any]]], path: Path = CORPUS) -> None:
    seen: set[str] = set()
    lines = []
    for test in sorted(tests):
        key = json.dumps(tests[test], sort_keys=True, ensure_ascii=False)
        if key in seen:
            continue
        seen.add(key)
        lines += [json.dumps({"test": test, "n": n, **request}, ensure_ascii=False)
                  for n, request in enumerate(tests[test])]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
