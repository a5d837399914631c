"""The batch state machine: validation as the real service does it, scripted
lifecycles (one step per read), and output/error files written once at the end.

No HTTP here. Lifecycle of a polled batch (default script)::

    create -> validating      (the create response shows step 0; request_counts.total is 0)
    read   -> in_progress     (total = the file's requests)
    read   -> finalizing      (every request finished)
    read   -> completed       (output_file_id / error_file_id set; null when that file is empty)

A file with bad content still creates the batch; the first read turns it
``failed`` with ``errors.data[] = {code, message, param, line}``. ``cancel``
answers ``cancelling`` and the next read ``cancelled``. Past ``expires_at``
(created_at + 24 h on the fake clock) an unfinished batch is ``expired``.

Requests finish in input order: ``progress: 0.5`` means the first half is done,
and ``request_counts`` counts exactly those (a request fails when the scenario
scripts an error for it or its body lacks a required field). A batch that ends
partway (expired, cancelled, failed after starting) writes the finished requests'
answers and puts every unfinished one in the error file (``batch_expired``,
``batch_cancelled``, ``batch_failed``). So ``completed`` always equals the lines
of the output file and ``failed`` the lines of the error file.
"""

from __future__ import annotations

import difflib
import json
import math
from bisect import bisect_left
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

from fakeopenai.core.changes import log, logging_changes
from fakeopenai.core.clock import MAX_MICROS, MICROS, capped, has_expired
from fakeopenai.core.errors import InvalidRequestError, WrongStateError
from fakeopenai.core.registry import batch_answerer
from fakeopenai.core.unknown_ids import made_for
from fakeopenai.families.batches import scenario
from fakeopenai.families.batches.batch_input import ENDPOINTS, BatchInput, read_input_steps, run_steps
from fakeopenai.families.batches.batch_output import ResultsTooLarge, build_results, results_key, write_results
from fakeopenai.families.batches.files import find_file, store_file
from fakeopenai.families.batches.objects import Batch, File
from fakeopenai.families.batches.scenario import BatchMatch, BatchResponse, BatchScript, BatchStep
from fakeopenai.families.batches.world import world
from fakeopenai.scripting.stepper import Cursor, Machine, UsedUp, choose
from fakeopenai.spec.generate import load_ahead

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState

BATCH_LIFETIME = 24 * 3600   # completion_window "24h": expires_at = created_at + 86400
TERMINAL = frozenset(scenario.TERMINAL)
UNFINISHED_ERRORS = {
    "expired": ("batch_expired", "This request could not be executed before the completion window expired."),
    "cancelled": ("batch_cancelled", "This request could not be executed because the batch was cancelled."),
    "failed": ("batch_failed", "This request could not be executed because the batch failed."),
}
DEFAULT_FAILURE = {"code": "batch_failed", "message": "The batch failed.", "param": None, "line": None}

DEFAULT_SCRIPT = BatchScript(index=-1, name="default script", match=BatchMatch(), times=None,
                             steps=scenario.default_steps("default"))


# ----------------------------------------------------------------------------- creation

def create_batch(state: TenantState, body: dict[str, Any]) -> Batch:
    """``POST /batches`` at once (see :func:`create_batch_steps`)."""
    return run_steps(create_batch_steps(state, body))


def create_batch_steps(state: TenantState, body: dict[str, Any]) -> Generator[Any, None, Batch]:
    """``POST /batches`` after the body passed the official schema, in steps: reading the input
    file yields now and then (the handler lets other requests run there); nothing changes before
    the file is read.

    Synchronous 400s (naming ``param``) for what the real API refuses at once: an
    unknown input file, a file whose purpose is not ``batch``, an endpoint the fake
    does not answer. Everything is checked before anything changes.
    """
    endpoint = body["endpoint"]
    lines = batch_answerer(state, endpoint) if endpoint in ENDPOINTS else None
    if lines is None:
        raise InvalidRequestError(
            f"fakeopenai does not generate answers for {endpoint} batches; supported endpoints are "
            f"{', '.join(ENDPOINTS)}.", param="endpoint", code="unsupported_value")
    file_id = body["input_file_id"]
    source = find_file(state, file_id) or made_for(state, file_id, "file",
                                                   lambda key: _generated_input(state, key, endpoint))
    if source is None:
        raise InvalidRequestError(f"Invalid 'input_file_id': no file found with id '{file_id}'.",
                                  param="input_file_id", code="invalid_value")
    if source.purpose != "batch":
        raise InvalidRequestError(
            f"Invalid 'input_file_id': file '{file_id}' was uploaded with purpose '{source.purpose}'; a batch "
            "input file must be uploaded with purpose 'batch'.", param="input_file_id", code="invalid_value")
    metadata = body.get("metadata")
    script, unmatched, used_up = _select_script(state, endpoint=endpoint, input_file_id=file_id,
                                                metadata=metadata or {})
    wanted = {r.custom_id for r in script.responses if r.custom_id is not None}
    assert isinstance(source._content, bytes)   # an upload (purpose batch) is one piece
    data = yield from read_input_steps(source._content, endpoint=endpoint, wanted=wanted, lines=lines)
    # Validation passed: from here on the request changes state.
    now = state.clock.tick()
    world(state).batch_count += 1
    output_expiry = body.get("output_expires_after") or {}
    batch = Batch(id=state.ids.new("batch_"), created_at=now, endpoint=endpoint, input_file_id=file_id,
                  completion_window=body["completion_window"], model=data.model,
                  expires_at=capped(now + BATCH_LIFETIME), metadata=dict(metadata) if metadata is not None else None,
                  _cursor=Cursor(script, entered_us=state.clock.micros), _input=data,
                  _output_expires=output_expiry.get("seconds"))
    unused = _plan_answers(batch, script, data)
    world(state).batches.add(batch.id, batch)
    state.record_use(script, batch.id, used_up)
    if unmatched is not None:
        state.add_violation(**unmatched, batch_id=batch.id)
    if logging_changes():
        state.log_change(f"{batch.id} created for {file_id} ({len(data)} request{'s' if len(data) != 1 else ''} "
                         f"to {endpoint}) by {script.name}: {batch.status} (step 1/{len(script.steps)})"
                         + (f"; {len(data.problems)} validation error(s)" if data.problems else ""))
    if unused and not data.problems:
        _report_unused(state, batch, script, data, unused)
    _enter(state, batch, 0, now)
    batch._cursor.seen = 1
    return batch


def _select_script(state: TenantState, *, endpoint: str, input_file_id: str,
                   metadata: dict[str, str]) -> tuple[BatchScript, dict[str, Any] | None, UsedUp | None]:
    """The script serving this batch, (with ``unmatched: error``) the violation to record once the
    batch has its id, and the scripts that fit it but were used up (see ``choose``)."""
    return choose(
        state, state.scenario.scripts.get("batches", ()),
        lambda s: s.match.mismatch(endpoint=endpoint, input_file_id=input_file_id, metadata=metadata),
        noun="batch", plural="batches", default=DEFAULT_SCRIPT, fail=_failing_script,
        actual=lambda: f"batch of {input_file_id} to {endpoint}" + (f", metadata {metadata}" if metadata else ""))


def _failing_script(message: str) -> BatchScript:
    """What serves a batch no script matched (``unmatched: error``): it fails with the reason."""
    failure = {"code": "server_error", "message": message, "param": None, "line": None}
    return BatchScript(index=-2, name="unmatched", match=BatchMatch(), times=None, steps=(
        BatchStep(status="validating", where="unmatched.steps[0]"),
        BatchStep(status="failed", where="unmatched.steps[1]", errors=(failure,))))


def _plan_answers(batch: Batch, script: BatchScript, data: BatchInput) -> list[BatchResponse]:
    """Which requests get a scripted answer, and which will fail (for exact request_counts).

    Returns the scripted responses that name no request of this file.
    """
    unused = []
    for response in script.responses:
        index = data.found.get(response.custom_id) if response.custom_id is not None else \
            data.index_of_line(response.line or 0)
        if index is not None:
            batch._answers.setdefault(index, response)
        else:
            unused.append(response)
    failing = {i for i in data.rejects if i not in batch._answers}  # a scripted answer replaces the 400
    failing.update(i for i, r in batch._answers.items() if _fails(r))
    batch._failing = sorted(failing)
    return unused


def _report_unused(state: TenantState, batch: Batch, script: BatchScript, data: BatchInput,
                   unused: list[BatchResponse]) -> None:
    """Scripted responses for a custom_id or line the file does not have (a typo, most often): a
    violation under ``strict: true`` (the test fails with the report), else a warning in the log.
    Not a violation by default: a ``times: always`` script may serve files that differ."""
    custom_ids = _custom_ids(data)
    for response in unused:
        if response.custom_id is not None:
            close = difflib.get_close_matches(response.custom_id, custom_ids, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            shown = ", ".join(repr(c) for c in custom_ids[:5]) + (", ..." if len(custom_ids) > 5 else "")
            has = f"its {len(custom_ids)} custom_id{'s' if len(custom_ids) != 1 else ''}: {shown}"
        else:
            hint = ""
            count = f"{len(data)} request{'s' if len(data) != 1 else ''}"
            has = f"it has {count}, on lines {data.lines[0]} to {data.lines[-1]}"
        message = (f"fakeopenai: {response.where} scripts an answer for {response.target()}, but the input file "
                   f"{batch.input_file_id} of {batch.id} has no such request ({hint}{has}); the answer was not used")
        if state.scenario.strict:
            at = f"{state.scenario.source}:{response.yaml_line}:{response.yaml_column}" \
                if response.yaml_line is not None else None
            state.add_violation(kind="batch_response", where=response.where,
                                expected=f"a request with {response.target()} in {batch.input_file_id}",
                                actual=has, message=message, at=at, batch_id=batch.id, script=script.name)
        else:
            log.warning("[%s] %s (strict: true makes this fail the test)", state.label, message)


def _custom_ids(data: BatchInput) -> list[str]:
    """The custom_ids of a validated file, in order (only for reports: each line is parsed again)."""
    ids = []
    for index in range(len(data)):
        custom_id = data.request(index).get("custom_id")
        if isinstance(custom_id, str):
            ids.append(custom_id)
    return ids


def _fails(response: BatchResponse) -> bool:
    return response.error is not None or (response.status_code is not None and response.status_code >= 400)


# ----------------------------------------------------------------------------- lookups

def get_batch(state: TenantState, batch_id: str) -> Batch:
    batch = world(state).batches.get(batch_id) or made_for(state, batch_id, "batch",
                                                           lambda key: _made_batch(state, key))
    batch = batch or world(state).batches.require(batch_id, "batch")
    refresh(state, batch)
    return batch


# One request line per endpoint, for a batch input file made for an unknown id (unknown_ids: generate).
_GENERATED_LINES = {
    "/v1/chat/completions": {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hello"}]},
    "/v1/embeddings": {"model": "text-embedding-3-small", "input": "Hello"},
    "/v1/responses": {"model": "gpt-4o", "input": "Hello"},
    "/v1/completions": {"model": "gpt-3.5-turbo-instruct", "prompt": "Hello"},
    "/v1/moderations": {"input": "Hello"},
}


def _generated_input(state: TenantState, file_id: str, endpoint: str) -> File:
    line = {"custom_id": "request-1", "method": "POST", "url": endpoint, "body": _GENERATED_LINES[endpoint]}
    return store_file(state, json.dumps(line).encode() + b"\n", filename=f"{file_id}.jsonl", purpose="batch",
                      object_id=file_id)


def _made_batch(state: TenantState, batch_id: str) -> Batch:
    """A batch for an id this tenant never made: the scenario's batch of one chat request, filed under it."""
    source = _generated_input(state, state.ids.new("file-"), "/v1/chat/completions")
    made = create_batch(state, {"endpoint": "/v1/chat/completions", "input_file_id": source.id,
                                "completion_window": "24h"})
    batches = world(state).batches
    batches.remove(made.id)
    made.id = batch_id
    return batches.add(batch_id, made)


def refresh(state: TenantState, batch: Batch) -> None:
    """Apply what time alone does: an unfinished batch past ``expires_at`` expires."""
    if batch.status in TERMINAL or batch.status == "cancelling" or batch.expires_at is None:
        return
    if not has_expired(state.clock.now, batch.expires_at):
        return
    if batch._input is not None and batch._input.problems:
        _fail_validation(state, batch, batch.expires_at)
    else:
        _finish(state, batch, "expired", batch.expires_at, None, why="past expires_at")


def refresh_all(state: TenantState) -> None:
    """Apply what time alone does to every batch (expiry); the clock endpoint calls this."""
    for batch in world(state).batches:
        refresh(state, batch)


# ----------------------------------------------------------------------------- advancing

class BatchMachine(Machine[Batch]):
    """Reads move a batch one step on until it ends; a cancelled one ends on the next read."""

    def refresh(self, state: TenantState, batch: Batch) -> None:
        refresh(state, batch)

    def parked(self, batch: Batch) -> bool:
        return batch.status in TERMINAL

    def cancel_pending(self, batch: Batch) -> bool:
        return batch._cancel_requested

    def finish_cancelled(self, state: TenantState, batch: Batch, now: int) -> None:
        _finish(state, batch, "cancelled", now, None)

    def enter(self, state: TenantState, batch: Batch, pos: int, now: int) -> None:
        _enter(state, batch, pos, now)


MACHINE = BatchMachine()
observe = MACHINE.observe

PREPARE_MIN_REQUESTS = 500   # smaller batches are answered at once, on the read that ends them
WAITING = "waiting"          # what prepare_end yields while another request builds the answers


def prepare_end(state: TenantState, batch: Batch) -> Generator[str | Callable[[], object] | None, None, None]:
    """Before a read of a batch: when that read will end it, the one-time load its answers need
    (the first batch of the process: Faker's word list), yielded as a function for the handler to
    run off the event loop; and for a big batch, its output and error files built ahead, in steps
    (``batch._prepared``), so the read itself only stores them.

    The handler drives this with pauses between steps (other requests run there), then observes
    the batch with no pause in between. The files' bytes depend on the clock time the batch ends at
    (answers' ``created``) and how many requests finished, so this predicts both as
    :meth:`Machine.observe` will make them; when a request of the same tenant moved the clock
    meanwhile, it builds them again (at most twice), and when the prediction still misses, the
    read builds them at once, as for a small batch. The bytes are the same either way.
    """
    load = load_ahead()
    if load is not None and _predict_end(state, batch, any_size=True) is not None:
        yield load
    while batch._preparing:
        yield WAITING   # another request of this tenant builds them; it ends the batch, or we go on
    for _ in range(3):
        plan = _predict_end(state, batch)
        if plan is None:
            return
        finished, unfinished, created = plan
        data = batch._input
        key = results_key(state, batch, data, finished, unfinished, created)
        if batch._prepared is not None and batch._prepared.key == key:
            return
        batch._prepared = None
        batch._preparing = True
        try:
            batch._prepared = yield from build_results(state, batch, data, finished, unfinished, created)
        finally:
            batch._preparing = False


def _predict_end(state: TenantState, batch: Batch, *,
                 any_size: bool = False) -> tuple[int, tuple[str, str] | None, int] | None:
    """(finished, unfinished error, clock time) of the end the next read brings a big batch (or any,
    with ``any_size``) to, when that read ends it by moving to its next step (see
    :meth:`Machine.observe`); else None."""
    data = batch._input
    if batch.status in TERMINAL or batch.status == "cancelling" or batch._cancel_requested or data is None \
            or data.problems or (len(data) < PREPARE_MIN_REQUESTS and not any_size):
        return None
    lines = batch_answerer(state, batch.endpoint)
    if lines is None or not lines.pure:
        return None   # answering changes state (a script plays, an entry is used): at the end, not ahead

    clock = state.clock
    if has_expired(clock.now, batch.expires_at):
        return None
    cursor = batch._cursor
    micros = min(clock.micros + cursor.wait_left(clock.micros), MAX_MICROS)
    if has_expired(micros // MICROS, batch.expires_at):
        return None
    if micros == clock.micros and not cursor.moves_on(micros):
        return None
    steps = cursor.script.steps
    step = steps[cursor.pos + 1] if cursor.pos + 1 < len(steps) else None
    status = "completed" if step is None else step.status
    if status not in TERMINAL:
        return None
    created = min(micros + clock.step * MICROS, MAX_MICROS) // MICROS
    total = len(data)
    if status == "completed":
        return total, None, created
    if batch.in_progress_at is None:
        return None   # it never started: no files
    return max(batch._finished, _finished_by(step, total, batch._finished)), UNFINISHED_ERRORS.get(status), created


def cancel_batch(state: TenantState, batch: Batch) -> Batch:
    """``POST /batches/{id}/cancel``: ``cancelling`` now, ``cancelled`` on the next read."""
    refresh(state, batch)
    if batch.status in TERMINAL:
        raise WrongStateError(f"Cannot cancel batch {batch.id}: it is already {batch.status}.", param="batch_id",
                              code="batch_not_cancellable")
    if batch.status == "cancelling":
        return batch  # already on its way; a second cancel changes nothing
    now = state.clock.tick()
    batch._cancel_requested = True
    if state.profile.instant_cancel:
        _finish(state, batch, "cancelled", now, None)
    else:
        batch.cancelling_at = now
        _set_status(state, batch, "cancelling", now)
    return batch


def _enter(state: TenantState, batch: Batch, pos: int, now: int) -> None:
    step = batch._cursor.enter(pos, state.clock.micros)
    data = batch._input
    if data is not None and data.problems and not (pos == 0 and step is not None and step.status == "validating"):
        _fail_validation(state, batch, now)  # a bad file never gets past validating
        return
    if step is None:  # past the script's end: it completes, or ends cancelled when it was cancelling
        _finish(state, batch, "cancelled" if batch.status == "cancelling" else "completed", now, None)
        return
    status = step.status
    if status in TERMINAL:
        _finish(state, batch, status, now, step)
        return
    if status in ("in_progress", "finalizing") or (status == "cancelling" and batch.in_progress_at is not None):
        total = len(data) if data is not None else 0
        batch.in_progress_at = batch.in_progress_at or now
        default = total if status == "finalizing" else batch._finished
        _set_progress(batch, _finished_by(step, total, default))
    if status == "finalizing":
        batch.finalizing_at = now
    elif status == "cancelling":
        batch.cancelling_at = now
    _set_status(state, batch, status, now)


def _finished_by(step: BatchStep | None, total: int, default: int) -> int:
    if step is None or step.progress is None:
        return default
    return min(total, math.floor(step.progress * total + 1e-9))


def _set_progress(batch: Batch, finished: int) -> None:
    """``finished`` requests (the first ones, in input order) are done: count them exactly."""
    data = batch._input
    batch._finished = max(batch._finished, finished)
    failed = bisect_left(batch._failing, batch._finished)
    batch.request_counts = {"total": len(data) if data is not None else 0,
                            "completed": batch._finished - failed, "failed": failed}


WEBHOOK_STATUSES = frozenset({"completed", "failed", "cancelled", "expired"})   # each sends batch.<status>


def _set_status(state: TenantState, batch: Batch, status: str, now: int, why: str = "") -> None:
    """Change the status; ``batch_x validating -> in_progress (step 2/4; requests: 0 completed, 0 failed,
    10 total)`` in the log."""
    old = batch.status
    batch.status = status
    if old != status and status in WEBHOOK_STATUSES:
        state.notify(f"batch.{status}", batch.id, now)
    if old != status and logging_changes():
        cursor = batch._cursor
        counts = batch.request_counts
        state.log_change("%s %s -> %s (step %d/%d; requests: %d completed, %d failed, %d total%s)", batch.id, old,
                         status, cursor.step_number(), cursor.total, counts["completed"], counts["failed"],
                         counts["total"], f"; {why}" if why else "")


def _fail_validation(state: TenantState, batch: Batch, now: int) -> None:
    data = batch._input
    batch.errors = {"object": "list", "data": list(data.problems) if data is not None else []}
    batch.failed_at = now
    batch.request_counts = {"total": 0, "completed": 0, "failed": 0}
    batch._input = None
    if data is not None:
        data.release()
    _set_status(state, batch, "failed", now, f"{len(batch.errors['data'])} validation error(s)")


def _finish(state: TenantState, batch: Batch, status: str, now: int, step: BatchStep | None,
            why: str = "") -> None:
    """End the batch: write the result files (when it ever started), then set the timestamps. When
    the tenant's file storage has no room for the results, the batch fails instead (and says how
    many bytes they needed); its request_counts still count the answers."""
    data = batch._input
    started = batch.in_progress_at is not None
    total = len(data) if data is not None else 0
    if status == "completed":
        batch.in_progress_at = batch.in_progress_at or now
        batch.finalizing_at = batch.finalizing_at or now
        finished = total
    else:
        finished = max(batch._finished, _finished_by(step, total, batch._finished))
    storage_error = None
    if data is not None and (started or status == "completed"):
        try:
            write_results(state, batch, data, finished, UNFINISHED_ERRORS.get(status))
        except ResultsTooLarge as exc:
            status, step = "failed", None
            storage_error = {"code": exc.code, "message": str(exc), "param": None, "line": None}
    else:
        batch.request_counts = {"total": 0, "completed": 0, "failed": 0}
    if status == "failed":
        errors = [{"code": e.get("code", "batch_failed"), "message": e.get("message", "The batch failed."),
                   "param": e.get("param"), "line": e.get("line")} for e in (step.errors if step else ())]
        if storage_error is not None:
            errors = [storage_error]
        batch.errors = {"object": "list", "data": errors or [dict(DEFAULT_FAILURE)]}
        batch.failed_at = now
    elif status == "cancelled":
        batch.cancelling_at = batch.cancelling_at or now
        batch.cancelled_at = now
    elif status == "expired":
        batch.expired_at = now
    else:
        batch.completed_at = now
    batch._input = None
    if data is not None:
        data.release()
    if status == "failed" and not why and logging_changes():
        why = ", ".join(e["code"] for e in batch.errors["data"]) if batch.errors else ""
    _set_status(state, batch, status, now, why)
