"""The run state machine: scripts from the scenario, one step per read.

No HTTP here. Every transition can report official stream events through an
:class:`Emitter` (``thread.run.created`` ... ``thread.message.delta`` ...), so the
streaming endpoint and polling see the very same objects: polling passes the
no-op emitter, streaming renders each event as it happens.

Lifecycle of a polled run (default script)::

    create -> queued          (the create response shows step 0)
    read   -> in_progress
    read   -> in_progress + assistant message (message_creation step)
    read   -> completed

A ``tool_calls`` step parks the run in ``requires_action`` until
:func:`submit_tool_outputs`; the submit response shows ``queued`` and the next
read moves on. ``cancel`` answers ``cancelling`` and the next read ``cancelled``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fakeopenai.engine.changes import logging_changes
from fakeopenai.engine.objects import Run, RunStepObj, Thread
from fakeopenai.engine.run_steps import SILENT, Emitter, log_step, request_tool_calls, write_message
from fakeopenai.engine.threads import add_message, ensure_idle, get_assistant, last_user_text
from fakeopenai.errors import InvalidRequestError, WrongStateError
from fakeopenai.generate import count_tokens
from fakeopenai.scenario.model import RUN_TERMINAL, RunMatch, RunScript, RunStep, moves_on, position

if TYPE_CHECKING:
    from fakeopenai.engine.state import TenantState

RUN_LIFETIME = 600  # seconds a run may wait for tool outputs (SPEC 5.1)
TERMINAL = frozenset(RUN_TERMINAL)
_OPEN_STEP = "in_progress"

DEFAULT_SCRIPT = RunScript(
    index=-1, name="default script", match=RunMatch(), times=None,
    steps=(RunStep(kind="status", status="queued", where="default.steps[0]"),
           RunStep(kind="status", status="in_progress", where="default.steps[1]"),
           RunStep(kind="message", where="default.steps[2]"),
           RunStep(kind="status", status="completed", where="default.steps[3]")))


# ----------------------------------------------------------------------------- creation

def create_run(state: TenantState, thread: Thread, body: dict[str, Any], emit: Emitter = SILENT) -> Run:
    assistant = get_assistant(state, body["assistant_id"], param="assistant_id")
    ensure_idle(thread, "create runs on")
    now = state.clock.tick()
    for message in body.get("additional_messages") or []:
        add_message(state, thread, message, created_at=now)
    instructions = body.get("instructions")
    if instructions is None:
        instructions = assistant.instructions or ""
    if body.get("additional_instructions"):
        instructions = f"{instructions}\n{body['additional_instructions']}" if instructions else \
            body["additional_instructions"]
    model = body.get("model") or assistant.model
    metadata = dict(body.get("metadata") or {})
    script, unmatched = _select_script(state, assistant_id=assistant.id, assistant_name=assistant.name,
                                       model=model, thread=thread, metadata=metadata)
    state.run_count += 1
    run = Run(
        id=state.ids.new("run_"), created_at=now, thread_id=thread.id, assistant_id=assistant.id, model=model,
        instructions=instructions,
        tools=list(body["tools"]) if body.get("tools") is not None else list(assistant.tools),
        metadata=metadata, expires_at=now + RUN_LIFETIME,
        temperature=_pick(body, "temperature", assistant.temperature),
        top_p=_pick(body, "top_p", assistant.top_p),
        max_prompt_tokens=body.get("max_prompt_tokens"), max_completion_tokens=body.get("max_completion_tokens"),
        truncation_strategy=body.get("truncation_strategy") or {"type": "auto", "last_messages": None},
        tool_choice=body.get("tool_choice") if body.get("tool_choice") is not None else "auto",
        parallel_tool_calls=body.get("parallel_tool_calls", True),
        response_format=_pick(body, "response_format", assistant.response_format) or "auto",
        _script=script, _deadline=now + RUN_LIFETIME, _number=state.run_count, _entered_at=now)
    thread._runs.add(run.id, run)
    thread._active_run = run
    state.record_use(script, run.id)
    if unmatched is not None:
        state.add_violation(**unmatched, run_id=run.id, thread_id=thread.id)
    if logging_changes():
        state.log_change("%s created on %s by %s: %s (step 1/%d)", run.id, thread.id, script.name, run.status,
                         len(script.steps))
    emit.event("thread.run.created", run)
    emit.event("thread.run.queued", run)  # every run starts queued, whatever its first step
    _enter(state, run, 0, now, emit)
    run._seen = 1
    return run


def _pick(body: dict[str, Any], name: str, fallback: Any) -> Any:
    value = body.get(name)
    return fallback if value is None else value


def _select_script(state: TenantState, *, assistant_id: str, assistant_name: str | None, model: str,
                   thread: Thread, metadata: dict[str, str]) -> tuple[RunScript, dict[str, Any] | None]:
    """The script serving this run, and (with ``unmatched: error``) the violation to record once
    the run has its id."""
    last_message = last_user_text(thread)
    script, tried = state.first_match(
        state.scenario.runs, lambda s: s.match.mismatch(
            assistant_id=assistant_id, assistant_name=assistant_name, model=model, thread_id=thread.id,
            metadata=metadata, last_message=last_message), "run", "runs")
    if script is not None:
        return script, None
    if state.scenario.unmatched != "error":
        return DEFAULT_SCRIPT, None
    message = ("fakeopenai: no run script matched this run (unmatched: error). Tried: "
               f"{state.explain_tried(tried, 'run')}")
    actual = f"run on {thread.id} with assistant {assistant_id}, model {model}"
    if metadata:
        actual += f", metadata {metadata}"
    if last_message is not None:
        actual += f", last user message {last_message!r}"
    violation = {"kind": "unmatched", "where": "runs", "expected": "a run script matching this run",
                 "actual": actual, "message": message, "tried": tried}
    return RunScript(index=-2, name="unmatched", match=RunMatch(), times=None, steps=(
        RunStep(kind="status", status="queued", where="unmatched.steps[0]"),
        RunStep(kind="status", status="failed", where="unmatched.steps[1]",
                last_error={"code": "server_error", "message": message}))), violation


def create_thread_and_run(state: TenantState, body: dict[str, Any], emit: Emitter = SILENT) -> tuple[Thread, Run]:
    from fakeopenai.engine.threads import create_thread

    get_assistant(state, body["assistant_id"], param="assistant_id")  # check before creating anything
    thread = create_thread(state, body.get("thread") or {})
    emit.event("thread.created", thread)
    return thread, create_run(state, thread, body, emit)


# ----------------------------------------------------------------------------- lookups

def get_run(state: TenantState, thread: Thread, run_id: str) -> Run:
    run = thread._runs.require(run_id, "run")
    refresh(state, run)
    return run


def get_step(run: Run, step_id: str) -> RunStepObj:
    return run._steps.require(step_id, "run step")


def refresh(state: TenantState, run: Run, emit: Emitter = SILENT) -> None:
    """Apply what time alone does: a run waiting for outputs past its deadline expires."""
    if run.status == "requires_action" and state.clock.now >= run._deadline:
        _finish(state, run, "expired", run._deadline, emit, None, why="no tool outputs by expires_at")


# ----------------------------------------------------------------------------- advancing

def observe(state: TenantState, run: Run) -> Run:
    """A read of the run (retrieve): moves it on by one step once the current one was seen enough."""
    refresh(state, run)
    if run.status in TERMINAL or run.status == "requires_action":
        return run
    if run.status == "cancelling":
        _finish(state, run, "cancelled", state.clock.tick(), SILENT, None)
        return run
    if not moves_on(_current(run), seen=run._seen, entered_at=run._entered_at, now=state.clock.now):
        run._seen += 1
        return run
    _enter(state, run, run._pos + 1, state.clock.tick(), SILENT)
    run._seen = 1
    return run


def run_until_wait(state: TenantState, run: Run, emit: Emitter) -> None:
    """Streaming: play every step up to the next wait (requires_action) or the end."""
    while run.status not in TERMINAL and run.status not in ("requires_action", "cancelling"):
        if run._stream_error is not None:
            return
        _enter(state, run, run._pos + 1, state.clock.tick(), emit)
        run._seen = 1


def _current(run: Run) -> RunStep | None:
    steps = run._script.steps if run._script else ()
    return steps[run._pos] if run._pos < len(steps) else None


def _enter(state: TenantState, run: Run, pos: int, now: int, emit: Emitter) -> None:
    run._pos = pos
    run._entered_at = now
    steps = run._script.steps if run._script else ()
    if pos >= len(steps):
        _finish(state, run, "completed", now, emit, None)
        return
    step = steps[pos]
    if step.extra:
        run.extra.update(step.extra)
    if step.kind == "status":
        status = step.status or "completed"
        if status in TERMINAL:
            if status in ("completed", "incomplete") and run.status == "queued":
                _set_status(state, run, "in_progress", now, emit)
            _finish(state, run, status, now, emit, step)
        else:
            _set_status(state, run, status, now, emit)
    elif step.kind == "message":
        _set_status(state, run, "in_progress", now, emit)
        write_message(state, run, step, now, emit)
    elif step.kind == "tool_calls":
        _set_status(state, run, "in_progress", now, emit)
        run._pending = request_tool_calls(state, run, step, now, emit)
        run.required_action = {"type": "submit_tool_outputs", "submit_tool_outputs": {"tool_calls": run._pending}}
        old = run.status
        run.status = "requires_action"
        _log_transition(state, run, old, "waiting for " + ", ".join(call["id"] for call in run._pending))
        emit.event("thread.run.requires_action", run)
    else:  # stream_error: the stream breaks off; a poller sees the run fail
        error = dict(step.stream_error or {})
        run._stream_error = {"message": error.get("message", "stream error"),
                             "type": error.get("type", "server_error"), "param": error.get("param"),
                             "code": error.get("code")}
        _finish(state, run, "failed", now, SILENT, None,
                last_error={"code": "server_error", "message": run._stream_error["message"]})


def _set_status(state: TenantState, run: Run, status: str, now: int, emit: Emitter) -> None:
    if run.status == status:
        return
    old = run.status
    run.status = status
    if status == "in_progress" and run.started_at is None:
        run.started_at = now
    _log_transition(state, run, old)
    emit.event(f"thread.run.{status}", run)


def _log_transition(state: TenantState, run: Run, old: str, why: str = "") -> None:
    """``run_x queued -> in_progress (step 2/5)``: one line per status change, when logging."""
    if not logging_changes():
        return
    total = len(run._script.steps) if run._script else 0
    state.log_change("%s %s -> %s (step %d/%d%s)", run.id, old, run.status, min(run._pos + 1, total), total,
                     f"; {why}" if why else "")


def _finish(state: TenantState, run: Run, status: str, now: int, emit: Emitter, step: RunStep | None,
            *, last_error: dict[str, str] | None = None, why: str = "") -> None:
    old = run.status
    run.status = status
    run.required_action = None
    run._pending = []
    step_status = {"completed": "cancelled", "incomplete": "cancelled"}.get(status, status)
    for run_step in run._steps:
        if run_step.status == _OPEN_STEP:
            _close_step(run_step, step_status, now, last_error or (step.last_error if step else None))
            log_step(state, run_step, _OPEN_STEP)
            emit.event(f"thread.run.step.{step_status}", run_step)
    if status == "completed":
        run.completed_at = now
    elif status == "incomplete":
        run.completed_at = now
        run.incomplete_details = dict(step.incomplete_details) if step and step.incomplete_details else \
            {"reason": "max_completion_tokens"}
    elif status == "failed":
        run.failed_at = now
        run.last_error = last_error or (dict(step.last_error) if step and step.last_error else
                                        {"code": "server_error", "message": "Sorry, something went wrong."})
    elif status == "cancelled":
        run.cancelled_at = now
    if status != "expired":
        run.expires_at = None
    run.usage = dict(step.usage) if step and step.usage else _usage(state, run)
    thread = state.threads.get(run.thread_id)
    if thread is not None and thread._active_run is run:
        thread._active_run = None
    if status == "failed" and not why:
        why = f"last_error {run.last_error['code'] if run.last_error else 'server_error'}"
    _log_transition(state, run, old, why)
    emit.event(f"thread.run.{status}", run)


def _close_step(run_step: RunStepObj, status: str, now: int, last_error: dict[str, str] | None) -> None:
    run_step.status = status
    if status == "failed":
        run_step.failed_at = now
        code = (last_error or {}).get("code", "server_error")
        run_step.last_error = {"code": code if code in ("server_error", "rate_limit_exceeded") else "server_error",
                               "message": (last_error or {}).get("message", "Sorry, something went wrong.")}
    elif status == "cancelled":
        run_step.cancelled_at = now
    elif status == "expired":
        run_step.expired_at = now
    run_step.usage = run_step.usage or {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}


def _usage(state: TenantState, run: Run) -> dict[str, int]:
    thread = state.threads.get(run.thread_id)
    prompt = count_tokens(run.instructions)
    completion = 0
    if thread is not None:
        for message in thread._messages:
            if message.run_id == run.id:
                completion += count_tokens(message.text())
            elif message.created_at <= run.created_at:
                prompt += count_tokens(message.text())
    for run_step in run._steps:
        for call in run_step.step_details.get("tool_calls", ()):
            completion += count_tokens(call["function"]["arguments"])
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


# ----------------------------------------------------------------------------- client actions

def submit_tool_outputs(state: TenantState, run: Run, outputs: list[dict[str, Any]],
                        emit: Emitter = SILENT) -> Run:
    refresh(state, run)
    if run.status != "requires_action":
        raise WrongStateError(f'Runs in status "{run.status}" do not accept tool outputs.', param="tool_outputs")
    pending = {call["id"]: call for call in run._pending}
    given: dict[str, str] = {}
    for index, item in enumerate(outputs):
        call_id = item.get("tool_call_id")
        if call_id is None:
            raise InvalidRequestError(f"Missing required parameter: 'tool_outputs[{index}].tool_call_id'.",
                                      param=f"tool_outputs[{index}].tool_call_id")
        if call_id not in pending:
            raise InvalidRequestError(
                f"Invalid 'tool_outputs[{index}].tool_call_id': no tool call '{call_id}' is waiting in run "
                f"{run.id} (waiting: {', '.join(pending)}).", param=f"tool_outputs[{index}].tool_call_id")
        if call_id in given:
            raise InvalidRequestError(f"Duplicate tool output for tool_call_id '{call_id}'.",
                                      param=f"tool_outputs[{index}].tool_call_id")
        given[call_id] = item.get("output") or ""
    missing = [call_id for call_id in pending if call_id not in given]
    if missing:
        raise InvalidRequestError(
            f"Expected tool outputs for call_ids {list(pending)}, got {list(given)}; missing: "
            f"{', '.join(missing)}.", param="tool_outputs")
    now = state.clock.tick()
    tool_step = run._tool_step
    failure = None
    if tool_step is not None:
        for call in tool_step.step_details["tool_calls"]:
            call["function"]["output"] = given.get(call["id"])
        tool_step.status = "completed"
        tool_step.completed_at = now
        tokens = sum(count_tokens(c["function"]["arguments"]) for c in tool_step.step_details["tool_calls"])
        tool_step.usage = {"prompt_tokens": 0, "completion_tokens": tokens, "total_tokens": tokens}
        log_step(state, tool_step, _OPEN_STEP)
        emit.event("thread.run.step.completed", tool_step)
        failure = _check_expectations(state, run, tool_step.step_details["tool_calls"], given)
    run.required_action = None
    run._pending = []
    run._tool_step = None
    if failure is not None:
        _finish(state, run, "failed", now, emit, None, last_error={"code": "server_error", "message": failure})
        return run
    _set_status(state, run, "queued", now, emit)
    run._seen = 1
    return run


def _check_expectations(state: TenantState, run: Run, calls: list[dict[str, Any]],
                        given: dict[str, str]) -> str | None:
    step = _current(run)
    if step is None or not step.expect_outputs:
        return None
    problems = []
    for spec, call in zip(step.tool_calls, calls, strict=True):
        matcher = step.expect_outputs.get(spec.id or "") or step.expect_outputs.get(spec.function)
        if matcher is None:
            continue
        output = given.get(call["id"], "")
        if matcher.test(output):
            continue
        key = spec.id or spec.function
        message = (f"fakeopenai: the output submitted for {call['id']} ({spec.function}) is {output!r}; "
                   f"{step.where}.expect_outputs.{key} expected it {matcher.describe()}")
        state.add_violation(kind="expect_outputs", where=f"{step.where}.expect_outputs.{key}",
                            expected=matcher.describe(), actual=output, message=message,
                            at=position(state.scenario.source, step), run_id=run.id, thread_id=run.thread_id,
                            tool_call_id=call["id"], function=spec.function,
                            script=run._script.name if run._script else None)
        problems.append(message)
    return "; ".join(problems) if problems else None


def cancel_run(state: TenantState, run: Run, emit: Emitter = SILENT) -> Run:
    refresh(state, run)
    if run.status in TERMINAL or run.status == "cancelling":
        raise WrongStateError(f"Cannot cancel run with status '{run.status}'.", param="run_id")
    now = state.clock.tick()
    if state.profile.instant_cancel:
        _finish(state, run, "cancelled", now, emit, None)
    else:
        old = run.status
        run.status = "cancelling"
        _log_transition(state, run, old)
        emit.event("thread.run.cancelling", run)
    return run


def modify_run(run: Run, body: dict[str, Any]) -> Run:
    if "metadata" in body:
        run.metadata = dict(body["metadata"] or {})
    return run
