"""The request corpus: every request the frameworks sent in the framework matrix, replayed against the fake.

``tests/data/framework_requests.jsonl`` (tests/frameworks/corpus.py says its format) holds what the
OpenAI Agents SDK, LangChain, pydantic-ai, instructor, LiteLLM and LlamaIndex sent in each test of
``tests/frameworks/`` (tests/test_framework_matrix.py captures it, and checks that it is current). Each
test's requests are replayed here in order, on a fresh tenant with the matrix's scenario, over the
fake's in-process transport (every answer checked against the spec). The live API accepts all of them, so none may
be answered with an error, unless it is listed in :data:`LIVE_API_REFUSES` with the live API's message.

The corpus runs in the main suite and needs none of the frameworks: it keeps the fake honest about
what they send between two runs of the matrix. Refresh it with::

    FAKEOPENAI_FRAMEWORK_CORPUS=refresh FAKEOPENAI_FRAMEWORKS=1 python -m pytest -n 0 tests/test_framework_matrix.py
"""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest

from tests.frameworks.corpus import CORPUS, read_corpus
from tests.spec_check import SpecChecker

CORPUS_TESTS = read_corpus()

# (test id, n) -> the live API's error message, for a captured request the live API answers with a 4xx
# too (a framework test that checks an error path). None today: every captured request is a valid one.
LIVE_API_REFUSES: dict[tuple[str, int], str] = {}


def test_the_corpus_is_there() -> None:
    assert CORPUS_TESTS, (f"{CORPUS} is missing or empty; write it with FAKEOPENAI_FRAMEWORK_CORPUS=refresh "
                          "FAKEOPENAI_FRAMEWORKS=1 python -m pytest -n 0 tests/test_framework_matrix.py")
    stale = sorted(key for key in LIVE_API_REFUSES if key[0] not in CORPUS_TESTS
                   or key[1] >= len(CORPUS_TESTS[key[0]]))
    assert not stale, f"LIVE_API_REFUSES names requests the corpus does not hold: {stale}"


@pytest.mark.fake_openai("frameworks/scenario.yaml")
@pytest.mark.parametrize("test", sorted(CORPUS_TESTS))
def test_replayed_requests_are_accepted(test: str, fake_openai: Any, spec: SpecChecker) -> None:
    # The SDK's HTTP client class (httpx2 for openai 3.x) over the in-process transport: no socket.
    http = openai.DefaultHttpxClient(transport=fake_openai.transport(), event_hooks={"response": [spec.hook]},
                                     base_url=fake_openai.server.origin,
                                     headers={"Authorization": f"Bearer {fake_openai.api_key}"})
    refused = []
    with http:
        for n, request in enumerate(CORPUS_TESTS[test]):
            body = request["body"]
            answer = http.request(request["method"], request["path"], params=request.get("query") or None,
                                  content=None if body is None else json.dumps(body).encode(),
                                  headers={"Content-Type": "application/json"} if body is not None else None)
            live = LIVE_API_REFUSES.get((test, n))
            if live is not None:
                assert 400 <= answer.status_code < 500, (
                    f"request {n} ({request['method']} {request['path']}) is listed as one the live API refuses "
                    f"({live!r}), but the fake answered {answer.status_code}")
            elif answer.status_code >= 400:
                refused.append(f"request {n}: {request['method']} {request['path']} -> {answer.status_code} "
                               f"{answer.text[:800]}\n  body: {json.dumps(body, ensure_ascii=False)[:1500]}")
    assert not refused, f"the fake refused requests that {test} sent (the live API accepts them):\n" + "\n".join(
        refused)
