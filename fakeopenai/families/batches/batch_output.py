"""A finished batch's output and error files: every request answered and written in one pass.

Usage (from :mod:`fakeopenai.families.batches.batches`, when a batch ends)::

    write_results(state, batch, data, finished=len(data), unfinished=None)
    batch.output_file_id, batch.error_file_id, batch.request_counts, batch.usage   # all set

A big batch's answers are built ahead, in steps that let the event loop serve other requests
(:func:`build_results`, driven by the handler before the read that ends the batch; kept in
``batch._prepared``); ``write_results`` then only stores them, when they were built for exactly
this end (same clock time, same finished count), else it builds them at once.

Lines are ``{"id": "batch_req_…", "custom_id", "response": {"status_code", "request_id",
"body"} | null, "error": {"code", "message"} | null}``. A request answered with a status
below 400 goes to the output file, every other one to the error file; requests past
``finished`` get the ``unfinished`` error (``batch_expired``, ``batch_cancelled``...).
Order: ``input``, ``reversed`` or a shuffle seeded by the scenario seed and the batch id.
When the tenant's file storage (``--max-stored-bytes``) has no room for both files, nothing is
stored and :class:`ResultsTooLarge` says how many bytes the results needed.
"""

from __future__ import annotations

import io
import json
import random
from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fakeopenai.core.ids import derived_ids
from fakeopenai.core.known_models import unknown_model_error
from fakeopenai.core.registry import batch_answerer
from fakeopenai.families.batches.batch_input import BatchInput, run_steps
from fakeopenai.families.batches.files import BATCH_FILE_LIFETIME, store_file
from fakeopenai.families.batches.objects import Batch

if TYPE_CHECKING:
    from fakeopenai.core.family import BatchLines
    from fakeopenai.core.state import TenantState

# An output line exactly as json.dumps writes {"id", "custom_id", "response": {...}, "error": null};
# the body is serialized once, by the answer generator.
_LINE = ('{"id": "%s", "custom_id": %s, "response": {"status_code": %d, "request_id": "%s", "body": %s}, '
         '"error": null}\n')
# json.dumps with its default separators; answers hold no cycles, so the check is skipped.
_json = json.JSONEncoder(check_circular=False).encode
_json_str = json.encoder.encode_basestring_ascii
_ERROR_BODIES: dict[int, tuple[str, str | None, str]] = {
    400: ("invalid_request_error", None, "Bad request."),
    401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided."),
    403: ("invalid_request_error", None, "You are not allowed to make this request."),
    404: ("invalid_request_error", "model_not_found", "The model does not exist or you do not have access to it."),
    409: ("invalid_request_error", "conflict", "Conflict."),
    422: ("invalid_request_error", None, "Unprocessable entity."),
    429: ("requests", "rate_limit_exceeded", "Rate limit reached for requests. Please try again later."),
    500: ("server_error", None, "The server had an error while processing your request. Sorry about that!"),
    502: ("server_error", None, "Bad gateway."),
    503: ("server_error", None, "The engine is currently overloaded, please try again later."),
    504: ("server_error", None, "Gateway timeout."),
}


def error_body(status: int, message: str | None = None, *, param: str | None = None,
               code: str | None = None) -> dict[str, Any]:
    """The OpenAI error body a request with HTTP ``status`` answers (a batch script's bare status)."""
    type_, default_code, default_message = _ERROR_BODIES.get(
        status, ("server_error" if status >= 500 else "invalid_request_error", None, f"HTTP {status}."))
    return {"error": {"message": message or default_message, "type": type_, "param": param,
                      "code": code if code is not None else default_code}}


def tokens_of(body: dict[str, Any]) -> tuple[int, int]:
    """(input tokens, output tokens) of an answer body, generated or scripted."""
    usage = body.get("usage") if isinstance(body, dict) else None
    if not isinstance(usage, dict):
        return 0, 0
    prompt = usage.get("input_tokens", usage.get("prompt_tokens", 0))
    completion = usage.get("output_tokens", usage.get("completion_tokens", 0))
    return (prompt if isinstance(prompt, int) else 0), (completion if isinstance(completion, int) else 0)


PART_BYTES = 1024 * 1024   # a big file's bytes are kept in parts of about this size


class Parts:
    """A file's bytes written line by line and kept in parts of about :data:`PART_BYTES`: one growing
    buffer of 45 MB would be copied each time it outgrew its memory block, and its peak doubled."""

    __slots__ = ("done", "buffer", "size")

    def __init__(self) -> None:
        self.done: list[bytes] = []
        self.buffer = io.BytesIO()
        self.size = 0

    def write(self, data: bytes) -> None:
        self.size += len(data)
        buffer = self.buffer
        buffer.write(data)
        if buffer.tell() >= PART_BYTES:
            self.done.append(buffer.getvalue())
            self.buffer = io.BytesIO()

    def content(self) -> bytes | tuple[bytes, ...]:
        """The bytes: one ``bytes`` for a small file, else its parts in order (see ``files.File``)."""
        last = self.buffer.getvalue()
        if not self.done:
            return last
        return (*self.done, last) if last else tuple(self.done)


class ResultsTooLarge(Exception):
    """The output and error files do not fit in the tenant's file storage; nothing was stored.
    ``batch.request_counts`` already count the answers that were made."""

    code = "file_storage_limit_exceeded"

    def __init__(self, *, output: int, error: int, held: int, limit: int) -> None:
        self.needed = output + error
        super().__init__(
            f"The batch's results need {self.needed} bytes of file storage (output file {output} bytes, error "
            f"file {error} bytes), but this API key holds {held} bytes of files and the fake allows {limit} "
            f"({max(0, limit - held)} free): raise --max-stored-bytes, delete files, or reset the tenant "
            "(POST /_fake/reset).")


def _encode(line: dict[str, Any]) -> bytes:
    return _json(line).encode() + b"\n"


def _order(mode: str, count: int, key: str) -> Generator[None, None, range | list[int]]:
    """The order the answers are written in, in steps: a shuffle of 50,000 lines takes 20-40 ms, so
    it yields every :data:`SHUFFLE_STEP` swaps. The swaps are ``random.Random(key).shuffle``'s, one
    by one (the same draws, so the same order: tests/test_batches.py checks it)."""
    if mode == "input":
        return range(count)
    if mode == "reversed":
        return range(count - 1, -1, -1)
    order = list(range(count))
    shuffler: Any = random.Random(key)   # typeshed leaves out its _randbelow
    below = shuffler._randbelow   # what Random.shuffle draws each swap with
    for i in reversed(range(1, count)):
        j = below(i + 1)
        order[i], order[j] = order[j], order[i]
        if not i % SHUFFLE_STEP:
            yield
    return order


STEP_LINES = 64   # a stepping builder yields after this many lines (see :func:`build_results`)
SHUFFLE_STEP = 2048   # swaps between two yields of the shuffle (about 1.5 ms)


@dataclass(slots=True)
class Results:
    """A batch's answered requests, built (maybe ahead of the read that ends the batch) and not yet stored.
    ``key`` is everything the bytes depend on beyond the batch itself: see :func:`results_key`."""

    key: tuple[Any, ...]
    outputs: Parts
    errors: Parts
    written: int
    failed: int
    input_tokens: int
    output_tokens: int


def results_key(state: TenantState, batch: Batch, data: BatchInput, finished: int,
                unfinished: tuple[str, str] | None, created: int) -> tuple[Any, ...]:
    return (id(data), len(data), state.scenario.seed, batch._cursor.script.output_order, finished, unfinished,
            created)


def write_results(state: TenantState, batch: Batch, data: BatchInput, finished: int,
                  unfinished: tuple[str, str] | None) -> None:
    """Answer every finished request and write the output and error files, in one pass; or store
    what :func:`build_results` made ahead for exactly this end (``batch._prepared``)."""
    created = state.clock.now
    key = results_key(state, batch, data, finished, unfinished, created)
    results, batch._prepared = batch._prepared, None
    if results is None or results.key != key:
        results = run_steps(build_results(state, batch, data, finished, unfinished, created))
    store_results(state, batch, data, finished, results)


def build_results(state: TenantState, batch: Batch, data: BatchInput, finished: int,
                  unfinished: tuple[str, str] | None, created: int) -> Generator[None, None, Results]:
    """The output and error files' bytes, in steps: it yields every :data:`STEP_LINES` lines, so the
    server's event loop can serve other requests while a 50,000-line batch is answered. Changes no
    state (the bytes are a pure function of ``results_key``).

    Each line is parsed again from its offsets, answered, serialized and dropped,
    so memory holds the input bytes plus the output being built, never the parsed file.
    """
    seed = state.scenario.seed
    order = batch._cursor.script.output_order
    batch_id = batch.id
    key = results_key(state, batch, data, finished, unfinished, created)
    # Parts of 1 MB: each BytesIO hands its buffer over without a copy (getvalue), and fragments
    # the heap far less than 50,000 separate line objects.
    outputs, errors = Parts(), Parts()
    write_output, write_error = outputs.write, errors.write
    lines = batch_answerer(state, batch.endpoint)   # the family that serves the endpoint answers its lines
    written = failed = 0
    # Under unknown_models: error, an unlisted model fails every line it names (all name the same one).
    not_found = unknown_model_error(state, data.model)
    unknown = None if not_found is None else _json(not_found.to_dict())
    input_tokens = output_tokens = 0
    planned = lines.planned if lines is not None else None
    plans, scripted, model = data.plans, batch._answers, data.model
    # batch_req_ / req_ ids of derived_id(..., f"{batch_id}|{index}") and f"{batch_id}|{index}|request"
    line_id_of = derived_ids("batch_req_", f"{batch_id}|")
    request_id_of = derived_ids("req_", f"{batch_id}|", 32)
    countdown = STEP_LINES
    for index in (yield from _order(order, len(data), f"{seed}|{batch_id}")):
        countdown -= 1
        if not countdown:
            countdown = STEP_LINES
            yield
        # Per-line ids derive from the (seeded) batch id: tens of thousands of them would
        # otherwise stay in the tenant id factory's set of issued ids for good.
        line_id = line_id_of(b"%d" % index)
        plan = plans[index] if plans is not None and index < finished else None
        if plan is not None and planned is not None and index not in scripted and unknown is None:
            # The usual line, answered from what validation kept of it (the same bytes as below).
            planned_id, kept = plan
            body, tokens_in, tokens_out = planned(model or "", kept, f"{seed}|{planned_id}", created)
            input_tokens += tokens_in
            output_tokens += tokens_out
            write_output((_LINE % (line_id, _json_str(planned_id), 200, request_id_of(b"%d|request" % index),
                                   body)).encode())
            written += 1
            continue
        request = data.request(index)
        custom_id: Any = request.get("custom_id")   # a string: validation refused lines without one
        if index >= finished:
            code, message = unfinished or ("batch_failed", "This request was not executed.")
            write_error(_encode({"id": line_id, "custom_id": custom_id, "response": None,
                                 "error": {"code": code, "message": message}}))
            failed += 1
            continue
        status, body, error, tokens = _answer(batch, data, index, request, f"{seed}|{custom_id}", created,
                                              unknown, lines)
        if error is not None:
            write_error(_encode({"id": line_id, "custom_id": custom_id, "response": None, "error": error}))
            failed += 1
            continue
        line = _LINE % (line_id, _json_str(custom_id), status,
                        request_id_of(b"%d|request" % index), body)
        if status < 400:
            input_tokens += tokens[0]
            output_tokens += tokens[1]
            write_output(line.encode())
            written += 1
        else:
            write_error(line.encode())
            failed += 1
    return Results(key=key, outputs=outputs, errors=errors, written=written, failed=failed,
                   input_tokens=input_tokens, output_tokens=output_tokens)


def store_results(state: TenantState, batch: Batch, data: BatchInput, finished: int, results: Results) -> None:
    """Store the built files and set the batch's counts, usage and file ids."""
    written, failed = results.written, results.failed
    input_tokens, output_tokens = results.input_tokens, results.output_tokens
    batch._finished = finished
    batch.request_counts = {"total": len(data), "completed": written, "failed": failed}
    output_size = results.outputs.size if written else 0
    error_size = results.errors.size if failed else 0
    if state.stored_bytes + output_size + error_size > state.max_stored_bytes:
        raise ResultsTooLarge(output=output_size, error=error_size, held=state.stored_bytes,
                              limit=state.max_stored_bytes)
    expires = batch._output_expires or BATCH_FILE_LIFETIME
    if written:
        batch.output_file_id = store_file(state, results.outputs.content(), filename=f"{batch.id}_output.jsonl",
                                          purpose="batch_output", expires_after=expires).id
    if failed:
        batch.error_file_id = store_file(state, results.errors.content(), filename=f"{batch.id}_error.jsonl",
                                         purpose="batch_output", expires_after=expires).id
    batch.usage = {"input_tokens": input_tokens, "input_tokens_details": {"cached_tokens": 0},
                   "output_tokens": output_tokens, "output_tokens_details": {"reasoning_tokens": 0},
                   "total_tokens": input_tokens + output_tokens}


def _answer(batch: Batch, data: BatchInput, index: int, request: dict[str, Any], key: str,
            created: int, unknown: str | None,
            lines: BatchLines | None) -> tuple[int, str, dict[str, str] | None, tuple[int, int]]:
    """(status_code, body as JSON text, error, (input tokens, output tokens)) for one finished request."""
    body = request.get("body") or {}
    scripted = batch._answers.get(index)
    if scripted is not None and scripted.error is not None:
        error = {"code": scripted.error.get("code", "server_error"), "message": scripted.error["message"]}
        return 0, "", error, (0, 0)
    if scripted is None and unknown is not None:
        return 404, unknown, None, (0, 0)
    rejected = data.rejects.get(index)
    if scripted is None and rejected is not None:
        param, message, code = rejected
        return 400, _json(error_body(400, message, param=param, code=code)), None, (0, 0)
    status = scripted.status_code if scripted is not None and scripted.status_code is not None else None
    if scripted is not None and scripted.body is not None:
        return status or 200, _json(scripted.body), None, tokens_of(scripted.body)
    if status is not None and status >= 400:
        return status, _json(error_body(status)), None, (0, 0)
    if lines is None:   # the family that served this endpoint is no longer registered
        return 500, _json(error_body(500)), None, (0, 0)
    answered, answer = lines.answer(body, key, created, scripted.content if scripted is not None else None)
    if answered >= 400:
        return answered, _json(answer), None, (0, 0)
    return status or answered, _json(answer), None, tokens_of(answer)
