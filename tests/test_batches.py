"""Batches through the official SDK: upload, create, poll, read the output and error files.

Every Batch and File response is checked against the official spec by the
``client`` fixture; every output line against ``BatchRequestOutput`` and every
generated body against its endpoint's response schema.
"""

from __future__ import annotations

import json
import math
from typing import Any

import openai
import pytest

from fakeopenai.doors.server import ServerThread
from fakeopenai.http.app import create_app
from tests.spec_check import SpecChecker

TERMINAL = ("completed", "failed", "expired", "cancelled")
CHAT = "/v1/chat/completions"


def _chat_line(custom_id: str, *, model: str = "gpt-4o-mini", **body: Any) -> dict[str, Any]:
    return {"custom_id": custom_id, "method": "POST", "url": CHAT,
            "body": {"model": model, "messages": [{"role": "user", "content": f"Question {custom_id}?"}], **body}}


def _jsonl(lines: list[Any]) -> bytes:
    return "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines).encode()


def _start(client: openai.OpenAI, lines: list[Any], endpoint: str = CHAT, **kwargs: Any) -> Any:
    upload = client.files.create(file=("requests.jsonl", _jsonl(lines)), purpose="batch")
    return client.batches.create(input_file_id=upload.id, endpoint=endpoint,  # type: ignore[arg-type]
                                 completion_window="24h", **kwargs)


def _poll(client: openai.OpenAI, batch: Any) -> tuple[Any, list[tuple[str, int, int, int]]]:
    """Retrieve until terminal; returns the last batch and (status, total, completed, failed) per read."""
    seen = [(batch.status, *_counts(batch))]
    while batch.status not in TERMINAL:
        batch = client.batches.retrieve(batch.id)
        seen.append((batch.status, *_counts(batch)))
        assert len(seen) < 20, seen
    return batch, seen


def _counts(batch: Any) -> tuple[int, int, int]:
    counts = batch.request_counts
    return counts.total, counts.completed, counts.failed


def _lines(client: openai.OpenAI, file_id: str | None, spec: SpecChecker) -> list[dict[str, Any]]:
    if file_id is None:
        return []
    meta = client.files.retrieve(file_id)
    assert meta.purpose == "batch_output"
    raw = client.files.content(file_id).read()
    assert meta.bytes == len(raw) and raw.endswith(b"\n")
    lines = [json.loads(line) for line in raw.splitlines()]
    for line in lines:
        spec.validate(line, "BatchRequestOutput")
        assert line["id"].startswith("batch_req_")
    return lines


def _by_id(lines: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {line["custom_id"]: line for line in lines}


# ----------------------------------------------------------------------------- lifecycle

def test_default_lifecycle_one_step_per_read_with_generated_answers(client: openai.OpenAI,
                                                                     spec: SpecChecker) -> None:
    lines = [_chat_line(f"request-{i}") for i in range(1, 7)]

    created = _start(client, lines, metadata={"job": "nightly"})
    batch, seen = _poll(client, created)

    assert created.expires_at == created.created_at + 86400 and created.metadata == {"job": "nightly"}
    assert (created.output_file_id, created.error_file_id, created.errors, created.in_progress_at) == (None,) * 4
    assert seen == [("validating", 0, 0, 0), ("in_progress", 6, 0, 0), ("finalizing", 6, 6, 0),
                    ("completed", 6, 6, 0)]
    assert created.created_at < batch.in_progress_at < batch.finalizing_at < batch.completed_at
    assert batch.model == "gpt-4o-mini" and batch.error_file_id is None
    assert batch.output_file_id in [f.id for f in client.files.list(purpose="batch_output")]
    output_file = client.files.retrieve(batch.output_file_id)
    assert output_file.expires_at == output_file.created_at + 30 * 86400  # the default for batch outputs
    output = _lines(client, batch.output_file_id, spec)
    assert sorted(_by_id(output)) == sorted(line["custom_id"] for line in lines)
    for line in output:
        assert line["error"] is None and line["response"]["status_code"] == 200
        assert line["response"]["request_id"].startswith("req_")
        body = line["response"]["body"]
        spec.validate(body, "CreateChatCompletionResponse")
        assert body["model"] == "gpt-4o-mini" and body["id"].startswith("chatcmpl-")
        assert len(body["choices"][0]["message"]["content"].split()) >= 8
    texts = {line["response"]["body"]["choices"][0]["message"]["content"] for line in output}
    assert len(texts) == len(output)  # seeded per custom_id, not one canned answer
    usage = [line["response"]["body"]["usage"] for line in output]
    totals = batch.model_dump()["usage"]  # a dict on openai 1.x, which has no typed Batch.usage
    assert totals["input_tokens"] == sum(u["prompt_tokens"] for u in usage)
    assert totals["output_tokens"] == sum(u["completion_tokens"] for u in usage)
    assert totals["total_tokens"] == totals["input_tokens"] + totals["output_tokens"]


def test_output_is_shuffled_but_byte_identical_for_the_same_requests(client: openai.OpenAI, fake_openai) -> None:  # type: ignore[no-untyped-def]
    lines = [_chat_line(f"q{i}") for i in range(20)]

    def run() -> bytes:
        batch, _ = _poll(client, _start(client, lines))
        return client.files.content(batch.output_file_id).read()

    first = run()
    fake_openai.reset()
    second = run()

    assert first == second
    order = [json.loads(line)["custom_id"] for line in first.splitlines()]
    assert sorted(order) == sorted(line["custom_id"] for line in lines)
    assert order != [line["custom_id"] for line in lines]  # like the real service: match lines by custom_id


def test_a_big_batch_is_shuffled_in_steps_as_random_shuffle_would(client: openai.OpenAI, fake_openai) -> None:  # type: ignore[no-untyped-def]
    """The shuffle of a big batch's output yields to the event loop now and then (batch_output._order):
    the order is still ``random.Random(f"{seed}|{batch id}").shuffle``'s, so a seed gives the same file."""
    import random

    from fakeopenai.families.batches.batch_output import SHUFFLE_STEP

    lines = [_chat_line(f"q{i}") for i in range(2 * SHUFFLE_STEP + 5)]
    batch, _ = _poll(client, _start(client, lines))
    order = [json.loads(line)["custom_id"] for line in client.files.content(batch.output_file_id).read().splitlines()]
    expected = [line["custom_id"] for line in lines]
    random.Random(f"{fake_openai.scenario['seed']}|{batch.id}").shuffle(expected)
    assert order == expected


def test_output_order_input_and_reversed(client: openai.OpenAI, fake_openai, spec: SpecChecker) -> None:  # type: ignore[no-untyped-def]
    fake_openai.load({"batches": [
        {"match": {"metadata": {"order": "input"}}, "output_order": "input", "times": "always"},
        {"match": {"metadata": {"order": "reversed"}}, "output_order": "reversed", "times": "always"}]})
    lines = [_chat_line(f"q{i}") for i in range(5)]
    ids = [line["custom_id"] for line in lines]

    for mode, expected in (("input", ids), ("reversed", ids[::-1])):
        batch, _ = _poll(client, _start(client, lines, metadata={"order": mode}))
        assert [line["custom_id"] for line in _lines(client, batch.output_file_id, spec)] == expected


def test_scripted_answers_per_line_and_exact_counts_partway(client: openai.OpenAI, fake_openai,  # type: ignore[no-untyped-def]
                                                            spec: SpecChecker) -> None:
    fake_openai.load({"batches": [{
        "steps": [{"status": "validating"}, {"status": "in_progress", "progress": 0.5}, {"status": "completed"}],
        "output_order": "input",
        "responses": [
            {"custom_id": "r1", "content": "A fixed answer."},
            {"custom_id": "r2", "error": {"code": "server_error", "message": "The model crashed."}},
            {"line": 3, "status_code": 429},
            {"custom_id": "r4", "body": {"custom": True, "usage": {"prompt_tokens": 5, "completion_tokens": 7}}},
        ]}]})
    no_messages = {"custom_id": "r6", "method": "POST", "url": CHAT, "body": {"model": "gpt-4o-mini"}}
    lines = [_chat_line(f"r{i}") for i in range(1, 6)] + [no_messages]

    batch, seen = _poll(client, _start(client, lines))

    # 0.5 of 6 requests = the first three: r1 answered, r2 and r3 failed.
    assert seen == [("validating", 0, 0, 0), ("in_progress", 6, 1, 2), ("completed", 6, 3, 3)]
    output, errors = _lines(client, batch.output_file_id, spec), _lines(client, batch.error_file_id, spec)
    assert [line["custom_id"] for line in output] == ["r1", "r4", "r5"]
    assert [line["custom_id"] for line in errors] == ["r2", "r3", "r6"]
    r1, r4 = output[0]["response"]["body"], output[1]["response"]["body"]
    assert r1["choices"][0]["message"]["content"] == "A fixed answer."
    spec.validate(r1, "CreateChatCompletionResponse")
    assert r4 == {"custom": True, "usage": {"prompt_tokens": 5, "completion_tokens": 7}}
    assert errors[0]["response"] is None
    assert errors[0]["error"] == {"code": "server_error", "message": "The model crashed."}
    assert errors[1]["error"] is None and errors[1]["response"]["status_code"] == 429
    spec.validate(errors[1]["response"]["body"], "ErrorResponse")
    assert errors[1]["response"]["body"]["error"]["code"] == "rate_limit_exceeded"
    assert errors[2]["response"]["status_code"] == 400
    assert errors[2]["response"]["body"]["error"]["param"] == "messages"


def test_a_batch_whose_every_request_failed_still_completes(client: openai.OpenAI, fake_openai,  # type: ignore[no-untyped-def]
                                                            spec: SpecChecker) -> None:
    fake_openai.load({"batches": [{"responses": [{"line": 1, "status_code": 500}, {"line": 2, "status_code": 500}]}]})

    batch, _ = _poll(client, _start(client, [_chat_line("a"), _chat_line("b")],
                                    output_expires_after={"anchor": "created_at", "seconds": 7200}))

    assert batch.status == "completed" and batch.output_file_id is None and batch.error_file_id is not None
    assert _counts(batch) == (2, 0, 2)
    error_file = client.files.retrieve(batch.error_file_id)
    assert error_file.expires_at == error_file.created_at + 7200
    assert error_file.filename == f"{batch.id}_error.jsonl"
    assert {line["response"]["status_code"] for line in _lines(client, batch.error_file_id, spec)} == {500}


@pytest.mark.parametrize(("endpoint", "body", "schema"), [
    ("/v1/embeddings", {"model": "text-embedding-3-large", "input": ["hello", "world"]}, "CreateEmbeddingResponse"),
    ("/v1/responses", {"model": "gpt-4o", "input": "Say hi", "instructions": "Be brief."}, "Response"),
    ("/v1/completions", {"model": "gpt-3.5-turbo-instruct", "prompt": "Say hi", "max_tokens": 50},
     "CreateCompletionResponse"),
    ("/v1/moderations", {"model": "omni-moderation-latest", "input": ["a", "b"]}, "CreateModerationResponse"),
    (CHAT, {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}], "n": 2, "max_tokens": 3},
     "CreateChatCompletionResponse"),
])
def test_every_endpoint_answers_with_schema_valid_bodies(client: openai.OpenAI, spec: SpecChecker,
                                                         endpoint: str, body: dict[str, Any], schema: str) -> None:
    lines = [{"custom_id": "c1", "method": "POST", "url": endpoint, "body": body}]

    batch, _ = _poll(client, _start(client, lines, endpoint=endpoint))

    assert batch.status == "completed" and batch.model == body["model"]
    for line in _lines(client, batch.output_file_id, spec):
        spec.validate(line["response"]["body"], schema)
        answer = line["response"]["body"]
        if "usage" in answer and "prompt_tokens" in answer["usage"]:
            usage = answer["usage"]
            assert usage["total_tokens"] == usage["prompt_tokens"] + usage.get("completion_tokens", 0)


def test_embeddings_are_unit_vectors_from_the_input(client: openai.OpenAI, spec: SpecChecker) -> None:
    def line(custom_id: str, **body: Any) -> dict[str, Any]:
        return {"custom_id": custom_id, "method": "POST", "url": "/v1/embeddings",
                "body": {"model": "text-embedding-3-small", **body}}

    lines = [line("a", input="same text"), line("b", input="same text"), line("c", input="other text"),
             line("d", input="same text", dimensions=256)]
    batch, _ = _poll(client, _start(client, lines, endpoint="/v1/embeddings"))

    vectors = {cid: out["response"]["body"]["data"][0]["embedding"]
               for cid, out in _by_id(_lines(client, batch.output_file_id, spec)).items()}
    assert [len(vectors[k]) for k in "abcd"] == [1536, 1536, 1536, 256]
    assert vectors["a"] == vectors["b"] != vectors["c"]
    for vector in vectors.values():
        assert math.isclose(math.fsum(v * v for v in vector), 1.0, rel_tol=1e-9)


# ----------------------------------------------------------------------------- validation

@pytest.mark.parametrize(("bad_line", "code", "param"), [
    ('{"custom_id": "b", "method": "POST",', "invalid_json_line", None),
    ('{"custom_id": "b", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "m", "n": NaN}}',
     "invalid_json_line", None),
    ('{"custom_id": "\\ud800", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "m"}}',
     "invalid_json_line", None),
    ('{"custom_id": "b", "body": ' + "[" * 100_000 + "]" * 100_000 + "}", "invalid_json_line", None),
    (_chat_line("a"), "duplicate_custom_id", "custom_id"),
    ({**_chat_line("b"), "url": "/v1/embeddings"}, "url_mismatch", "url"),
    ({**_chat_line("b"), "method": "GET"}, "invalid_method", "method"),
    (_chat_line("b", model="gpt-4o"), "model_mismatch", "body.model"),
    ({"custom_id": "b", "method": "POST", "url": CHAT}, "missing_required_parameter", "body"),
    ({**_chat_line("x"), "custom_id": None}, "missing_required_parameter", "custom_id"),
])
def test_a_bad_line_fails_the_batch_with_its_line_number(client: openai.OpenAI, bad_line: Any, code: str,
                                                         param: str | None) -> None:
    lines = [_chat_line("a"), "", bad_line, _chat_line("c")]  # a blank line 2 still counts as a line

    created = _start(client, lines)
    batch, seen = _poll(client, created)

    assert [s[0] for s in seen] == ["validating", "failed"]
    assert batch.failed_at is not None and _counts(batch) == (0, 0, 0)
    assert (batch.output_file_id, batch.error_file_id, batch.in_progress_at) == (None, None, None)
    [error] = batch.errors.data
    assert (error.code, error.line, error.param) == (code, 3, param)
    assert error.message


@pytest.mark.parametrize(("bad_line", "param", "message"), [
    ({"custom_id": "b", "url": CHAT, "body": {"model": "gpt-4o-mini"}}, "method",
     "Missing required parameter: 'method'. Every request of a batch needs \"method\": \"POST\"."),
    ({"custom_id": "b", "method": "POST", "body": {"model": "gpt-4o-mini"}}, "url",
     "Missing required parameter: 'url'. Every request of this batch needs \"url\": \"/v1/chat/completions\" "
     "(the batch's endpoint)."),
], ids=["no method", "no url"])
def test_a_line_without_method_or_url_says_it_is_missing(client: openai.OpenAI, bad_line: Any, param: str,
                                                         message: str) -> None:
    """issue 17 item 15: a line without ``method`` or ``url`` is told the parameter is missing (it was "The method
    of this request is None")."""
    batch, _ = _poll(client, _start(client, [_chat_line("a"), bad_line]))

    [error] = batch.errors.data
    assert (error.code, error.param, error.line, error.message) == ("missing_required_parameter", param, 2, message)


def test_a_line_with_empty_messages_is_an_empty_array_not_missing(client: openai.OpenAI, spec: SpecChecker) -> None:
    """issue 17 item 15: ``messages: []`` is answered as the live API answers it (an empty array, with the minimum
    length), not as a missing parameter; a line without messages still is missing."""
    empty = {"custom_id": "empty", "method": "POST", "url": CHAT, "body": {"model": "gpt-4o-mini", "messages": []}}
    absent = {"custom_id": "absent", "method": "POST", "url": CHAT, "body": {"model": "gpt-4o-mini"}}

    batch, _ = _poll(client, _start(client, [_chat_line("a"), empty, absent]))

    errors = _by_id(_lines(client, batch.error_file_id, spec))
    assert errors["empty"]["response"]["status_code"] == 400
    assert errors["empty"]["response"]["body"]["error"] == {
        "message": "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array "
                   "instead.", "type": "invalid_request_error", "param": "messages", "code": "empty_array"}
    assert errors["absent"]["response"]["body"]["error"] == {
        "message": "Missing required parameter: 'messages'.", "type": "invalid_request_error", "param": "messages",
        "code": "missing_required_parameter"}


def test_too_many_requests_and_empty_files_fail_validation(client: openai.OpenAI) -> None:
    tiny = '{"custom_id": "%d", "method": "POST", "url": "/v1/moderations", "body": {"input": "x"}}\n'
    oversized = "".join(tiny % i for i in range(50_001)).encode()
    upload = client.files.create(file=("big.jsonl", oversized), purpose="batch")
    empty = client.files.create(file=("empty.jsonl", b"\n"), purpose="batch")

    big = client.batches.create(input_file_id=upload.id, endpoint="/v1/moderations", completion_window="24h")
    none = client.batches.create(input_file_id=empty.id, endpoint="/v1/moderations", completion_window="24h")

    [too_many] = _poll(client, big)[0].errors.data
    assert (too_many.code, too_many.line) == ("too_many_tasks", 50_001)
    [nothing] = _poll(client, none)[0].errors.data
    assert (nothing.code, nothing.line) == ("empty_file", None)


@pytest.mark.parametrize(("change", "param"), [
    ({"input_file_id": "file-doesnotexist"}, "input_file_id"),
    ({"input_file_id": "WRONG_PURPOSE"}, "input_file_id"),
    ({"completion_window": "48h"}, "completion_window"),
    ({"endpoint": "/v1/unknown"}, "endpoint"),
    ({"endpoint": "/v1/images/generations"}, "endpoint"),
    ({"metadata": {f"k{i}": "v" for i in range(17)}}, "metadata"),
    ({"output_expires_after": {"anchor": "created_at", "seconds": 60}}, "output_expires_after.seconds"),
])
def test_bad_create_requests_are_400s_that_change_nothing(client: openai.OpenAI, fake_openai,  # type: ignore[no-untyped-def]
                                                          change: dict[str, Any], param: str) -> None:
    good = client.files.create(file=("in.jsonl", _jsonl([_chat_line("a")])), purpose="batch")
    notes = client.files.create(file=("notes.txt", b"not for batches"), purpose="assistants")
    existing, _ = _poll(client, client.batches.create(input_file_id=good.id, endpoint=CHAT, completion_window="24h"))
    files_before = [f.model_dump() for f in client.files.list()]
    batches_before = [b.model_dump() for b in client.batches.list()]
    clock = fake_openai.clock.now
    request = {"input_file_id": good.id, "endpoint": CHAT, "completion_window": "24h", **change}
    if request["input_file_id"] == "WRONG_PURPOSE":
        request["input_file_id"] = notes.id

    with pytest.raises(openai.BadRequestError) as refused:
        client.batches.create(**request)

    assert refused.value.body["param"] == param  # type: ignore[index]
    assert [f.model_dump() for f in client.files.list()] == files_before
    assert [b.model_dump() for b in client.batches.list()] == batches_before
    assert fake_openai.clock.now == clock and existing.status == "completed"


# ----------------------------------------------------------------------------- cancel, expiry, failures

def test_cancel_keeps_finished_requests_and_cancels_the_rest(client: openai.OpenAI, fake_openai,  # type: ignore[no-untyped-def]
                                                            spec: SpecChecker) -> None:
    fake_openai.load({"batches": [{"steps": [{"status": "validating"}, {"status": "in_progress", "progress": 0.5},
                                             {"status": "finalizing"}, {"status": "completed"}]}]})
    batch = _start(client, [_chat_line(f"r{i}") for i in range(4)])
    assert client.batches.retrieve(batch.id).status == "in_progress"

    cancelling = client.batches.cancel(batch.id)
    again = client.batches.cancel(batch.id)
    cancelled = client.batches.retrieve(batch.id)

    assert cancelling.status == again.status == "cancelling" and cancelling.cancelling_at is not None
    assert cancelled.status == "cancelled" and cancelled.cancelled_at > cancelling.cancelling_at
    assert _counts(cancelled) == (4, 2, 2)
    assert sorted(_by_id(_lines(client, cancelled.output_file_id, spec))) == ["r0", "r1"]
    errors = _by_id(_lines(client, cancelled.error_file_id, spec))
    assert sorted(errors) == ["r2", "r3"] and {e["error"]["code"] for e in errors.values()} == {"batch_cancelled"}
    with pytest.raises(openai.BadRequestError) as refused:
        client.batches.cancel(batch.id)
    assert refused.value.body["param"] == "batch_id"  # type: ignore[index]
    with pytest.raises(openai.NotFoundError):
        client.batches.cancel("batch_unknown")


def test_cancel_while_validating_answers_nothing(client: openai.OpenAI) -> None:
    batch = _start(client, [_chat_line("a")])

    assert client.batches.cancel(batch.id).status == "cancelling"
    cancelled = client.batches.retrieve(batch.id)

    assert cancelled.status == "cancelled" and _counts(cancelled) == (0, 0, 0)
    assert (cancelled.output_file_id, cancelled.error_file_id) == (None, None)


def test_a_script_that_stops_at_cancelling_ends_cancelled(client: openai.OpenAI, fake_openai,  # type: ignore[no-untyped-def]
                                                          spec: SpecChecker) -> None:
    """Issue 17 item 6: a script ending at `cancelling` went cancelling -> completed, every request answered."""
    fake_openai.load({"batches": [{"steps": [{"status": "validating"}, {"status": "in_progress", "progress": 0.5},
                                             {"status": "cancelling"}]}]})

    batch, seen = _poll(client, _start(client, [_chat_line(f"r{i}") for i in range(4)]))

    assert seen == [("validating", 0, 0, 0), ("in_progress", 4, 2, 0), ("cancelling", 4, 2, 0),
                    ("cancelled", 4, 2, 2)]
    assert batch.cancelled_at is not None and batch.completed_at is None
    errors = _lines(client, batch.error_file_id, spec)
    assert {e["error"]["code"] for e in errors} == {"batch_cancelled"}


def test_a_script_without_steps_has_the_default_lifecycle(client: openai.OpenAI, fake_openai) -> None:  # type: ignore[no-untyped-def]
    """Issue 17 item 21: a script without steps (only responses, say) answered completed at once."""
    fake_openai.load({"batches": [{"responses": [{"line": 1, "content": "Fixed."}]}]})

    batch, seen = _poll(client, _start(client, [_chat_line("a")]))

    assert [s[0] for s in seen] == ["validating", "in_progress", "finalizing", "completed"]


def test_a_script_may_start_after_validating(client: openai.OpenAI, fake_openai,  # type: ignore[no-untyped-def]
                                            spec: SpecChecker) -> None:
    """Issue 24 item 15: `steps: [{status: completed}]` was refused (batch scripts had to start validating) while
    run scripts may start anywhere. The create answers validating, as on the live API; the next read plays the
    script's first step. A bad file still fails on that read, as it does from validating."""
    fake_openai.load({"batches": [
        {"match": {"metadata": {"case": "done"}}, "steps": [{"status": "completed"}]},
        {"match": {"metadata": {"case": "half"}}, "steps": [{"status": "in_progress", "progress": 0.5},
                                                            {"status": "expired"}]},
        {"match": {"metadata": {"case": "bad"}}, "steps": [{"status": "completed"}]}]})

    done, seen = _poll(client, _start(client, [_chat_line("a"), _chat_line("b")], metadata={"case": "done"}))
    assert seen == [("validating", 0, 0, 0), ("completed", 2, 2, 0)]
    assert sorted(_by_id(_lines(client, done.output_file_id, spec))) == ["a", "b"]
    progress = fake_openai.scenario["batches"][0]["served"][0]
    assert (progress["step"], progress["steps"]) == (2, 2)   # the implied validating is a step

    half, seen = _poll(client, _start(client, [_chat_line(f"r{i}") for i in range(4)], metadata={"case": "half"}))
    assert seen == [("validating", 0, 0, 0), ("in_progress", 4, 2, 0), ("expired", 4, 2, 2)]

    bad, seen = _poll(client, _start(client, ["not json"], metadata={"case": "bad"}))
    assert [s[0] for s in seen] == ["validating", "failed"] and bad.errors.data[0].code == "invalid_json_line"


def test_results_too_large_for_the_storage_limit_fail_the_batch_clearly() -> None:
    """Issue 17 item 8: the failed batch also had completed_at, its request_counts dropped to 0/0/0, and
    the message did not say how many bytes the results needed."""
    line = _jsonl([_chat_line("a")])
    server = ServerThread(create_app(max_stored_bytes=len(line) + 100)).start()
    try:
        with openai.OpenAI(base_url=server.base_url, api_key="sk-small", max_retries=0) as sdk:
            upload = sdk.files.create(file=("in.jsonl", line), purpose="batch")
            batch, seen = _poll(sdk, sdk.batches.create(input_file_id=upload.id, endpoint=CHAT,
                                                        completion_window="24h"))
            files = [f.id for f in sdk.files.list()]
    finally:
        server.stop()

    assert [s[0] for s in seen] == ["validating", "in_progress", "finalizing", "failed"]
    assert batch.failed_at is not None and batch.completed_at is None
    assert _counts(batch) == (1, 1, 0) and batch.output_file_id is None and files == [upload.id]
    [error] = batch.errors.data
    assert error.code == "file_storage_limit_exceeded"
    needed = int(error.message.split("results need ")[1].split(" bytes")[0])
    assert needed > 100 and f"holds {len(line)} bytes" in error.message
    assert f"allows {len(line) + 100} (100 free)" in error.message and "--max-stored-bytes" in error.message


def test_a_scripted_response_for_a_request_not_in_the_file_is_reported(client: openai.OpenAI, fake_openai,  # type: ignore[no-untyped-def]
                                                                         caplog: pytest.LogCaptureFixture) -> None:
    """Issue 17 item 19: a response for `req-01` (the file has `req-1`) was dropped silently, even under strict."""
    scenario = ("batches:\n  - times: always\n    responses:\n      - {custom_id: req-01, content: Fixed.}\n"
                "      - {line: 9, status_code: 500}\n")
    lines = [_chat_line("req-1"), _chat_line("req-2")]
    fake_openai.load(scenario)
    with caplog.at_level("WARNING", logger="fakeopenai.engine"):
        _start(client, lines)
    assert fake_openai.take_violations() == []        # not strict: a warning only
    assert "batches[0].responses[0] scripts an answer for custom_id 'req-01'" in caplog.text
    assert "did you mean 'req-1'?" in caplog.text and "strict: true makes this fail the test" in caplog.text

    fake_openai.load(scenario, strict=True)
    batch = _start(client, lines)

    typo, line = fake_openai.take_violations()
    assert typo["kind"] == "batch_response" and typo["batch_id"] == batch.id
    assert typo["where"] == "batches[0].responses[0]" and typo["at"].endswith(":4:9")
    assert "did you mean 'req-1'?" in typo["message"] and "its 2 custom_ids: 'req-1', 'req-2'" in typo["message"]
    assert line["where"] == "batches[0].responses[1]" and "line 9" in line["message"]
    assert "it has 2 requests, on lines 1 to 2" in line["message"]


def test_batches_expire_when_the_fake_clock_passes_expires_at(client: openai.OpenAI, fake_openai,  # type: ignore[no-untyped-def]
                                                              spec: SpecChecker) -> None:
    batch = _start(client, [_chat_line("a"), _chat_line("b")])
    assert client.batches.retrieve(batch.id).status == "in_progress"

    fake_openai.clock.advance(86400)

    [listed] = client.batches.list().data
    assert listed.status == "expired" and listed.expired_at == batch.expires_at
    assert listed.output_file_id is None and _counts(listed) == (2, 0, 2)
    errors = _lines(client, listed.error_file_id, spec)
    assert {e["error"]["code"] for e in errors} == {"batch_expired"}
    assert errors[0]["error"]["message"] == \
        "This request could not be executed before the completion window expired."


def test_a_poll_loop_passes_an_after_step_in_a_few_reads(client: openai.OpenAI, fake_openai) -> None:  # type: ignore[no-untyped-def]
    """Issue 17 item 9: reads of a batch waiting on `after: 1h` never moved on (a poll loop spun); a read
    now moves the fake clock to the end of the wait, so the next status comes on that read."""
    fake_openai.load({"batches": [{"steps": [{"status": "validating"}, {"status": "in_progress", "after": "1h"},
                                             {"status": "completed"}]}]})
    batch = _start(client, [_chat_line("a")])

    reads = []
    while batch.status not in TERMINAL and len(reads) < 10:
        batch = client.batches.retrieve(batch.id)
        reads.append(batch.status)

    assert reads == ["in_progress", "completed"]
    assert batch.completed_at == batch.in_progress_at + 3600 + 1   # the wait, then one tick
    assert sum(1 for r in fake_openai.requests if r["path"] == f"/v1/batches/{batch.id}") == 2


def test_an_after_step_past_the_completion_window_expires_the_batch(client: openai.OpenAI,  # type: ignore[no-untyped-def]
                                                                      fake_openai) -> None:
    """Issue 17 item 9: the wait the read passes counts on the clock, so 25 h in progress is an expiry."""
    fake_openai.load({"batches": [{"steps": [{"status": "validating"}, {"status": "in_progress", "after": "25h"},
                                             {"status": "completed"}]}]})
    batch = _start(client, [_chat_line("a")])
    assert client.batches.retrieve(batch.id).status == "in_progress"

    expired = client.batches.retrieve(batch.id)

    assert expired.status == "expired" and expired.expired_at == batch.expires_at


@pytest.mark.parametrize(("scenario", "statuses", "counts", "unfinished_code"), [
    ("batch_completes", ["validating", "in_progress", "finalizing", "completed"], (4, 4, 0), None),
    ("batch_fails_partway", ["validating", "in_progress", "failed"], (4, 2, 2), "batch_failed"),
    ("batch_validation_fails", ["validating", "failed"], (0, 0, 0), None),
    ("batch_expires", ["validating", "in_progress", "expired"], (4, 1, 3), "batch_expired"),
    ("batch_cancelled", ["validating", "in_progress", "cancelling", "cancelled"], (4, 2, 2), "batch_cancelled"),
])
def test_builtin_batch_scenarios(client: openai.OpenAI, fake_openai, spec: SpecChecker, scenario: str,  # type: ignore[no-untyped-def]
                                 statuses: list[str], counts: tuple[int, int, int],
                                 unfinished_code: str | None) -> None:
    fake_openai.load(scenario)

    batch, seen = _poll(client, _start(client, [_chat_line(f"r{i}") for i in range(4)]))

    assert [s[0] for s in seen] == statuses and _counts(batch) == counts
    output, errors = _lines(client, batch.output_file_id, spec), _lines(client, batch.error_file_id, spec)
    assert (len(output), len(errors)) == counts[1:]
    assert {e["error"]["code"] for e in errors} == ({unfinished_code} if unfinished_code else set())
    if batch.status == "failed":
        assert batch.errors.data and batch.errors.data[0].code and batch.failed_at is not None
    [script] = fake_openai.scenario["batches"]
    assert script["used"] == 1 and script["served"][0]["id"] == batch.id
    assert script["served"][0]["status"] == batch.status
    assert script["served"][0]["request_counts"] == dict(zip(("total", "completed", "failed"), counts, strict=True))


def test_unmatched_error_fails_the_batch_and_records_a_violation(client: openai.OpenAI, fake_openai) -> None:  # type: ignore[no-untyped-def]
    fake_openai.load({"unmatched": "error", "batches": [{"name": "nightly", "match": {"metadata": {"job": "x"}}}]})

    batch, _ = _poll(client, _start(client, [_chat_line("a")]))

    assert batch.status == "failed"
    assert "no batch script matched" in batch.errors.data[0].message
    assert "nightly: metadata['job'] is None, not 'x'" in batch.errors.data[0].message
    [violation] = fake_openai.take_violations()
    assert violation["kind"] == "unmatched" and violation["where"] == "batches"


def test_list_is_newest_first_and_auto_paginates(client: openai.OpenAI) -> None:
    upload = client.files.create(file=("in.jsonl", _jsonl([_chat_line("a")])), purpose="batch")
    ids = [client.batches.create(input_file_id=upload.id, endpoint=CHAT, completion_window="24h").id
           for _ in range(5)]

    page = client.batches.list(limit=2)

    assert [b.id for b in page.data] == ids[::-1][:2] and page.has_more
    assert [b.id for b in client.batches.list(limit=2)] == ids[::-1]
    with pytest.raises(openai.NotFoundError) as missing:
        client.batches.retrieve("batch_nope")
    assert missing.value.body["message"] == "No batch found with id 'batch_nope'."  # type: ignore[index]


@pytest.mark.parametrize("body", [
    {"model": "gpt-4o", "messages": [{"role": "user", "content": "Grüße"}]},
    {"model": "gpt-4o", "messages": [{"role": "system", "content": "x"}], "max_tokens": 2},
    {"model": "gpt-4o", "messages": [{"role": "user", "content": [{"type": "text", "text": "a"}]}],
     "max_completion_tokens": 500, "service_tier": "flex"},
])
def test_fast_chat_serialization_is_byte_identical_to_json_dumps(body: dict[str, Any]) -> None:
    """The usual chat line is written from what validation kept (chat ``generated.planned``): the same bytes
    as ``json.dumps`` of the chat family's answer for it."""
    from fakeopenai.families.chat import generated

    kept = generated.plan(body, 7)
    assert kept is not None
    text, prompt, completion = generated.planned(body["model"], kept, "7|r1", 1735689600)
    expected = generated.answer(body, ids_key="7|r1", created=1735689600, text_key=generated.text_key(7, body))

    assert text == json.dumps(expected)
    assert (prompt, completion) == (expected["usage"]["prompt_tokens"], expected["usage"]["completion_tokens"])
