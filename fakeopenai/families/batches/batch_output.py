"""A finished batch's output and error files: every request answered and written in one pass.

Usage (from :mod:`fakeopenai.families.batches.batches`, when a batch ends)::

    write_results(state, batch, data, finished=len(data), unfinished=None)
    batch.output_file_id, batch.error_file_id, batch.request_counts, batch.usage   # all set

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
from typing import TYPE_CHECKING, Any

from fakeopenai.families.batches import answers
from fakeopenai.families.batches.batch_input import BatchInput
from fakeopenai.families.batches.files import BATCH_FILE_LIFETIME, store_file
from fakeopenai.families.batches.objects import Batch
from fakeopenai.known_models import unknown_model_error
from fakeopenai.registry import batch_answerer

if TYPE_CHECKING:
    from fakeopenai.family import BatchLineAnswerer
    from fakeopenai.state import TenantState

# An output line exactly as json.dumps writes {"id", "custom_id", "response": {...}, "error": null};
# the body is serialized once, by the answer generator.
_LINE = ('{"id": "%s", "custom_id": %s, "response": {"status_code": %d, "request_id": "%s", "body": %s}, '
         '"error": null}\n')
_json = answers.encode_json
_json_str = json.encoder.encode_basestring_ascii  # type: ignore[attr-defined]


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


def _order(mode: str, count: int, key: str) -> range | list[int]:
    if mode == "input":
        return range(count)
    if mode == "reversed":
        return range(count - 1, -1, -1)
    order = list(range(count))
    random.Random(key).shuffle(order)
    return order


def write_results(state: TenantState, batch: Batch, data: BatchInput, finished: int,
                   unfinished: tuple[str, str] | None) -> None:
    """Answer every finished request and write the output and error files, in one pass.

    Each line is parsed again from its offsets, answered, serialized and dropped,
    so memory holds the input bytes plus the output being built, never the parsed file.
    """
    seed = state.scenario.seed
    order = batch._cursor.script.output_order
    created = state.clock.now
    # BytesIO hands its buffer over without a copy (getvalue), and one growing buffer
    # fragments the heap far less than 50,000 separate line objects.
    outputs, errors = io.BytesIO(), io.BytesIO()
    scripts = batch_answerer(state, batch.endpoint)   # another family's scripts answer these lines (or None)
    written = failed = 0
    # Under unknown_models: error, an unlisted model fails every line it names (all name the same one).
    not_found = unknown_model_error(state, data.model)
    unknown = None if not_found is None else _json(not_found.to_dict())
    input_tokens = output_tokens = 0
    for index in _order(order, len(data), f"{seed}|{batch.id}"):
        request = data.request(index)
        custom_id = request.get("custom_id")
        # Per-line ids derive from the (seeded) batch id: tens of thousands of them would
        # otherwise stay in the tenant id factory's set of issued ids for good.
        line_id = answers.derived_id("batch_req_", f"{batch.id}|{index}")
        if index >= finished:
            code, message = unfinished or ("batch_failed", "This request was not executed.")
            errors.write(_encode({"id": line_id, "custom_id": custom_id, "response": None,
                                  "error": {"code": code, "message": message}}))
            failed += 1
            continue
        status, body, error, tokens = _answer(batch, data, index, request, f"{seed}|{custom_id}", created,
                                              unknown, scripts)
        if error is not None:
            errors.write(_encode({"id": line_id, "custom_id": custom_id, "response": None, "error": error}))
            failed += 1
            continue
        line = _LINE % (line_id, _json_str(custom_id), status,
                        answers.derived_id("req_", f"{batch.id}|{index}|request", 32), body)
        if status < 400:
            input_tokens += tokens[0]
            output_tokens += tokens[1]
            outputs.write(line.encode())
            written += 1
        else:
            errors.write(line.encode())
            failed += 1
    batch._finished = finished
    batch.request_counts = {"total": len(data), "completed": written, "failed": failed}
    output_size = outputs.tell() if written else 0
    error_size = errors.tell() if failed else 0
    if state.stored_bytes + output_size + error_size > state.max_stored_bytes:
        raise ResultsTooLarge(output=output_size, error=error_size, held=state.stored_bytes,
                              limit=state.max_stored_bytes)
    expires = batch._output_expires or BATCH_FILE_LIFETIME
    if written:
        batch.output_file_id = store_file(state, outputs.getvalue(), filename=f"{batch.id}_output.jsonl",
                                          purpose="batch_output", expires_after=expires).id
    if failed:
        batch.error_file_id = store_file(state, errors.getvalue(), filename=f"{batch.id}_error.jsonl",
                                         purpose="batch_output", expires_after=expires).id
    batch.usage = {"input_tokens": input_tokens, "input_tokens_details": {"cached_tokens": 0},
                   "output_tokens": output_tokens, "output_tokens_details": {"reasoning_tokens": 0},
                   "total_tokens": input_tokens + output_tokens}


def _answer(batch: Batch, data: BatchInput, index: int, request: dict[str, Any], key: str,
            created: int, unknown: str | None,
            scripts: BatchLineAnswerer | None) -> tuple[int, str, dict[str, str] | None, tuple[int, int]]:
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
        return 400, _json(answers.error_body(400, message, param=param, code=code)), None, (0, 0)
    status = scripted.status_code if scripted is not None and scripted.status_code is not None else 200
    if scripted is not None and scripted.body is not None:
        return status, _json(scripted.body), None, answers.tokens_of(batch.endpoint, scripted.body)
    if status >= 400:
        return status, _json(answers.error_body(status)), None, (0, 0)
    if scripted is None and scripts is not None:
        answered = scripts(body, key, created)
        if answered is not None:
            status, answer = answered
            return status, _json(answer), None, answers.tokens_of(batch.endpoint, answer) if status < 400 else (0, 0)
    content = scripted.content if scripted is not None else None
    text, tokens_in, tokens_out = answers.answer_json(batch.endpoint, body, key=key, created=created,
                                                      content=content)
    return status, text, None, (tokens_in, tokens_out)
