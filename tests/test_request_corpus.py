"""The request corpus: every request the frameworks sent in the framework matrix, and every request of the
official SDK's own test suite for the served families, replayed against the fake.

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
from collections import Counter
from pathlib import Path
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


# --- the official SDK's own test suite (tests/sdk_corpus.py captures it)

SDK_CORPUS = Path(__file__).parent / "data" / "sdk_requests.jsonl"
SDK_REQUESTS = [json.loads(line) for line in SDK_CORPUS.read_text("utf-8").splitlines()] if SDK_CORPUS.exists() else []

# (code, param) -> why the live API refuses such a request of the SDK's suite too. The suite calls every
# method with made-up values ("string" ids, limit 0, every parameter at once), which a stateless mock takes.
SDK_LIVE_REFUSALS = {
    ("integer_below_min_value", "limit"): "lists take limit 1-100 (files 1-10,000): limit=0 is the live API's "
                                          "\"Invalid 'limit': integer below minimum value\"",
    ("invalid_value", "input_file_id"): "the batch names a file the account does not hold",
    ("mutually_exclusive_parameters", "conversation"): "\"with all params\" sends previous_response_id and "
                                                       "conversation together, which the live API refuses",
    ("previous_response_not_found", "previous_response_id"): "the previous response is a made-up id",
    ("invalid_value", "stream_options"): "\"with all params\" sends stream_options on a request that does "
                                         "not stream: \"The 'stream_options' parameter is only allowed when "
                                         "'stream' is enabled.\"",
    (None, "after"): "a cursor naming an object the list does not hold (after=\"after\" on an empty list)",
    ("missing_required_parameter", "file_ids"): "a vector store file batch of no files: the spec's body needs "
                                                "file_ids or files",
    ("invalid_image_file", "image"): "the image uploaded is made-up bytes, not a picture",
    (None, "file"): "the audio uploaded is made-up bytes: \"Invalid file format. Supported formats: [...]\"",
    ("unknown_parameter", "response_format"): "\"with all params\" sends response_format to a gpt-image model: "
                                              "\"Unknown parameter: 'response_format'.\"",
    ("invalid_value", "stream"): "stream: true without a model: dall-e-2, which does not stream",
}


def _multipart(body: dict[str, Any]) -> dict[str, Any]:
    """A logged form (its fields; each file as its name, size and type) as httpx ``files``, the same size."""
    files: dict[str, Any] = {}
    for name, value in body.items():
        if isinstance(value, dict) and "filename" in value:
            files[name] = (value["filename"], b"x" * int(value.get("bytes") or 0), value.get("content_type"))
        else:
            files[name] = (None, str(value))
    return files


def test_the_sdk_corpus_is_there() -> None:
    assert len(SDK_REQUESTS) > 300, f"{SDK_CORPUS} is missing or short; write it with python -m tests.sdk_corpus"


def test_the_sdks_own_suite_is_accepted(fake_openai: Any, spec: SpecChecker) -> None:
    """Every request of openai-python's tests/api_resources for the served families, replayed in order: each is
    answered 2xx, a 404 for a made-up id, or a refusal the live API gives too (:data:`SDK_LIVE_REFUSALS`)."""
    http = openai.DefaultHttpxClient(transport=fake_openai.transport(), event_hooks={"response": [spec.hook]},
                                     base_url=fake_openai.server.origin,
                                     headers={"Authorization": f"Bearer {fake_openai.api_key}"})
    refused, answered = [], Counter()
    with http:
        for request in SDK_REQUESTS:
            body, kind = request["body"], request.get("content_type") or ""
            if kind.startswith("multipart/form-data"):
                answer = http.request(request["method"], request["path"], files=_multipart(body))
            else:
                answer = http.request(request["method"], request["path"], params=request.get("query"),
                                      content=None if body is None else json.dumps(body).encode(),
                                      headers={"Content-Type": kind} if body is not None else None)
            answered[answer.status_code] += 1
            error = answer.json().get("error") or {} if answer.status_code >= 400 else {}
            made_up_id = answer.status_code == 404 and not error.get("message", "").startswith("Invalid URL")
            if answer.status_code < 400 or made_up_id:
                continue
            if (error.get("code"), error.get("param")) not in SDK_LIVE_REFUSALS:
                refused.append(f"request {request['n']}: {request['method']} {request['path']} -> "
                               f"{answer.status_code} {answer.text[:600]}\n  body: "
                               f"{json.dumps(body, ensure_ascii=False)[:1200]}")
    assert not refused, "the fake refused requests of the SDK's own suite that the live API accepts:\n" + "\n".join(
        refused)
    assert answered[200] > 100, answered
