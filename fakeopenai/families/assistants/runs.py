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
A run not finished by ``expires_at`` (created_at + 600 s on the fake clock) expires,
whether queued, in progress or waiting for tool outputs. A read of a run whose step
waits on ``after:`` moves the fake clock to the end of the wait first, and a stream
passes the wait the same way before it plays on (``Machine.pass_wait``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from fakeopenai.core.changes import logging_changes
from fakeopenai.core.clock import capped, has_expired
from fakeopenai.core.errors import InvalidRequestError, WrongStateError
from fakeopenai.core.known_models import check_model
from fakeopenai.core.unknown_ids import DEFAULT_MODEL, made_for
from fakeopenai.families.assistants.assistants import create_assistant, get_assistant
from fakeopenai.families.assistants.file_search import search_files
from fakeopenai.families.assistants.objects import Assistant, Run, RunStep, Thread
from fakeopenai.families.assistants.run_steps import (
    SILENT,
    Emitter,
    log_step,
    plan_usage,
    request_tool_calls,
    step_usage,
    tool_tokens,
    write_message,
)
from fakeopenai.families.assistants.scenario import RunMatch, RunScript
from fakeopenai.families.assistants.threads import add_message, ensure_idle, last_user_text
from fakeopenai.families.assistants.world import world
from fakeopenai.scripting import conversation
from fakeopenai.scripting.conversation import HOSTED_KINDS, Step
from fakeopenai.scripting.stepper import (
    Cursor,
    Machine,
    UsedUp,
    check_offered,
    check_outputs,
    choose,
    described,
    scripts_for,
)
from fakeopenai.spec.generate import count_tokens

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState

RUN_LIFETIME = 600  # seconds a run has to finish (docs/scenarios.md, "The clock")
TERMINAL = frozenset(conversation.TERMINAL)
EXPIRING = frozenset({"queued", "in_progress", "requires_action"})   # what expires_at ends
_OPEN_STEP = "in_progress"

DEFAULT_SCRIPT = RunScript(
    index=-1, name="default script", match=RunMatch(), times=None,
    steps=(Step(kind="status", status="queued", where="default.steps[0]"),
           Step(kind="status", status="in_progress", where="default.steps[1]"),
           Step(kind="message", where="default.steps[2]"),
           Step(kind="status", status="completed", where="default.steps[3]")))


# ----------------------------------------------------------------------------- creation

def create_run(state: TenantState, thread: Thread, body: dict[str, Any], emit: Emitter = SILENT, *,
               object_id: str | None = None) -> Run:
    assistant = get_assistant(state, body["assistant_id"], param="assistant_id")
    _check_models(state, assistant, body)
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
    tools = list(body["tools"]) if body.get("tools") is not None else list(assistant.tools)
    script, unmatched, used_up = _select_script(state, assistant_id=assistant.id, assistant_name=assistant.name,
                                       model=model, thread=thread, metadata=metadata, instructions=instructions,
                                       tools=tools)
    objects = world(state)
    objects.run_count += 1
    expires_at = capped(now + RUN_LIFETIME)
    run = Run(
        id=object_id or state.ids.new("run_"), created_at=now, thread_id=thread.id, assistant_id=assistant.id,
        model=model, instructions=instructions, tools=tools,
        metadata=metadata, expires_at=expires_at,
        temperature=_pick(body, "temperature", assistant.temperature),
        top_p=_pick(body, "top_p", assistant.top_p),
        max_prompt_tokens=body.get("max_prompt_tokens"), max_completion_tokens=body.get("max_completion_tokens"),
        truncation_strategy=body.get("truncation_strategy") or {"type": "auto", "last_messages": None},
        tool_choice=body.get("tool_choice") if body.get("tool_choice") is not None else "auto",
        parallel_tool_calls=body.get("parallel_tool_calls", True),
        response_format=_pick(body, "response_format", assistant.response_format) or "auto",
        _cursor=Cursor(script, entered_us=state.clock.micros), _deadline=expires_at, _number=objects.run_count)
    run._prompt_tokens = _prompt_tokens(thread, instructions)
    run._usage_plan = plan_usage(state, run)
    objects.add_run(thread, run)
    thread._active_run = run
    state.record_use(script, run.id, used_up)
    if unmatched is not None:
        state.add_violation(**unmatched, run_id=run.id, thread_id=thread.id)
    if logging_changes():
        state.log_change("%s created on %s by %s: %s (step 1/%d)", run.id, thread.id, script.name, run.status,
                         len(script.steps))
    emit.event("thread.run.created", run)
    emit.event("thread.run.queued", run)  # every run starts queued, whatever its first step
    _enter(state, run, 0, now, emit)
    run._cursor.seen = 1
    return run


def _prompt_tokens(thread: Thread, instructions: str) -> int:
    """What the model reads when the run starts: the instructions and the thread's messages."""
    return count_tokens(instructions) + sum(count_tokens(message.text()) for message in thread._messages)


def _pick(body: dict[str, Any], name: str, fallback: Any) -> Any:
    value = body.get(name)
    return fallback if value is None else value


def _select_script(state: TenantState, *, assistant_id: str, assistant_name: str | None, model: str,
                   thread: Thread, metadata: dict[str, str], instructions: str,
                   tools: list[dict[str, Any]]) -> tuple[RunScript, dict[str, Any] | None, UsedUp | None]:
    """The script serving this run, (with ``unmatched: error``) the violation to record once the run
    has its id, and the scripts that fit it but were used up (see ``choose``)."""
    last_message = last_user_text(thread)
    offered = [tool["function"]["name"] for tool in tools
               if tool.get("type") == "function" and "name" in (tool.get("function") or {})]

    def actual() -> str:
        return described(f"run on {thread.id} with assistant {assistant_id}, model {model}", metadata, last_message)

    return choose(state, scripts_for(state, "runs"), lambda s: s.match.mismatch(
        assistant_id=assistant_id, assistant_name=assistant_name, model=model, thread_id=thread.id,
        metadata=metadata, last_message=last_message, instructions=instructions, tools=offered),
        noun="run", plural="runs", default=DEFAULT_SCRIPT, fail=_failing_script, actual=actual)


def _failing_script(message: str) -> RunScript:
    """What serves a run no script matched (``unmatched: error``): it fails with the reason."""
    return RunScript(index=-2, name="unmatched", match=RunMatch(), times=None, steps=(
        Step(kind="status", status="queued", where="unmatched.steps[0]"),
        Step(kind="status", status="failed", where="unmatched.steps[1]",
             last_error={"code": "server_error", "message": message})))


def create_thread_and_run(state: TenantState, body: dict[str, Any], emit: Emitter = SILENT) -> tuple[Thread, Run]:
    from fakeopenai.families.assistants.threads import create_thread

    _check_models(state, get_assistant(state, body["assistant_id"], param="assistant_id"), body)  # before creating
    thread = create_thread(state, body.get("thread") or {})
    emit.event("thread.created", thread)
    return thread, create_run(state, thread, body, emit)


def _check_models(state: TenantState, assistant: Assistant, body: dict[str, Any]) -> None:
    """Under ``unknown_models: error``: the run's model override, else the assistant's model."""
    if body.get("model"):
        check_model(state, body["model"])
    else:
        check_model(state, assistant.model, param="assistant_id")


# ----------------------------------------------------------------------------- lookups

def get_run(state: TenantState, thread: Thread, run_id: str) -> Run:
    run = thread._runs.get(run_id) or made_for(state, run_id, "run", lambda key: _made_run(state, thread, key))
    run = run or thread._runs.require(run_id, "run")
    refresh(state, run)
    return run


def _made_run(state: TenantState, thread: Thread, run_id: str) -> Run:
    """A run for an id this tenant never made (``unknown_ids: generate``): the default script, by a new
    assistant, played to its end (or first wait) so that it holds its thread no longer than a real one."""
    assistant = create_assistant(state, {"model": DEFAULT_MODEL})
    run = create_run(state, thread, {"assistant_id": assistant.id}, object_id=run_id)
    run_until_wait(state, run)
    return run


def get_step(state: TenantState, run: Run, step_id: str) -> RunStep:
    found = run._steps.get(step_id)
    last = run._steps.last()
    if found is None and last is not None:   # unknown_ids: generate: a step like the run's last one
        found = made_for(state, step_id, "run step", lambda key: run._steps.add(
            key, dataclasses.replace(last, id=key, _ordinal=len(run._steps))))
    return found or run._steps.require(step_id, "run step")


def refresh(state: TenantState, run: Run, emit: Emitter = SILENT) -> None:
    """Apply what time alone does: a run not finished by its ``expires_at`` (queued, in progress
    or waiting for tool outputs) expires, as on the live API."""
    if run.status in EXPIRING and has_expired(state.clock.now, run._deadline):
        why = "no tool outputs by expires_at" if run.status == "requires_action" else \
            f"still {run.status} at expires_at"
        _finish(state, run, "expired", run._deadline, emit, None, why=why)


# ----------------------------------------------------------------------------- advancing

class RunMachine(Machine[Run]):
    """Reads move a run one step on; a run waiting for tool outputs, or ended, stays put."""

    def refresh(self, state: TenantState, run: Run) -> None:
        refresh(state, run)

    def parked(self, run: Run) -> bool:
        return run.status in TERMINAL or run.status == "requires_action"

    def cancel_pending(self, run: Run) -> bool:
        return run.status == "cancelling"

    def finish_cancelled(self, state: TenantState, run: Run, now: int) -> None:
        _finish(state, run, "cancelled", now, SILENT, None)

    def enter(self, state: TenantState, run: Run, pos: int, now: int) -> None:
        _enter(state, run, pos, now, SILENT)


MACHINE = RunMachine()
observe = MACHINE.observe


def steps_until_wait(state: TenantState, run: Run, emit: Emitter) -> Iterator[None]:
    """Streaming: play the steps up to the next wait (requires_action) or the end, pausing after
    each one (its events are out). Whether the run waits is decided when the step is played, so a
    client that acts in the pause (submits tool outputs) starts a stream of its own. A step paced
    by ``after`` moves the fake clock to the end of its wait before the next one plays (``reads``
    pace polling only)."""
    while not _stream_waits(run):
        passed = MACHINE.pass_wait(state, run, lambda: refresh(state, run, emit))
        if not (passed and _stream_waits(run)):  # time passing may have ended it (expired)
            _enter(state, run, run._cursor.pos + 1, state.clock.tick(), emit)
            run._cursor.seen = 1
        waits = _stream_waits(run)
        yield
        if waits:
            return


def run_until_wait(state: TenantState, run: Run, emit: Emitter = SILENT) -> None:
    """Play every step up to the next wait, at once."""
    for _ in steps_until_wait(state, run, emit):
        pass


def _stream_waits(run: Run) -> bool:
    return run.status in TERMINAL or run.status in ("requires_action", "cancelling") or run._stream_error is not None


def _enter(state: TenantState, run: Run, pos: int, now: int, emit: Emitter) -> None:
    step = run._cursor.enter(pos, state.clock.micros)
    if step is None:
        _finish(state, run, "completed", now, emit, None)
        return
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
        offered = [tool["function"]["name"] for tool in run.tools
                   if tool.get("type") == "function" and isinstance(tool.get("function"), dict)]
        if offered and run._cursor.script.index >= 0:   # a run with no function tools: its calls are the script's
            check_offered(state, step, offered, {"run_id": run.id, "thread_id": run.thread_id},
                          run._cursor.script.name)
        run._pending = request_tool_calls(state, run, step, now, emit)
        run.required_action = {"type": "submit_tool_outputs", "submit_tool_outputs": {"tool_calls": run._pending}}
        old = run.status
        run.status = "requires_action"
        _log_transition(state, run, old, "waiting for " + ", ".join(call["id"] for call in run._pending))
        emit.event("thread.run.requires_action", run)
    elif step.kind == "file_search":
        _set_status(state, run, "in_progress", now, emit)
        search_files(state, run, step, now, emit)
    elif step.kind in HOSTED_KINDS:
        pass   # a conversations: script's hosted tool or reasoning: a response shows it, a run has nothing to show
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
    cursor = run._cursor
    state.log_change("%s %s -> %s (step %d/%d%s)", run.id, old, run.status, cursor.step_number(), cursor.total,
                     f"; {why}" if why else "")


def _finish(state: TenantState, run: Run, status: str, now: int, emit: Emitter, step: Step | None,
            *, last_error: dict[str, str] | None = None, why: str = "") -> None:
    old = run.status
    run.status = status
    run.required_action = None
    run._pending = []
    step_status = {"completed": "cancelled", "incomplete": "cancelled"}.get(status, status)
    for run_step in run._steps:
        if run_step.status == _OPEN_STEP:
            _close_step(run, run_step, step_status, now, last_error or (step.last_error if step else None))
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
    run.usage = _usage(run, step)
    thread = world(state).threads.get(run.thread_id)
    if thread is not None and thread._active_run is run:
        thread._active_run = None
    if status == "failed" and not why:
        why = f"last_error {run.last_error['code'] if run.last_error else 'server_error'}"
    _log_transition(state, run, old, why)
    emit.event(f"thread.run.{status}", run)


def _close_step(run: Run, run_step: RunStep, status: str, now: int, last_error: dict[str, str] | None) -> None:
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
    run_step.usage = run_step.usage or step_usage(run, run_step, tool_tokens(run_step))


def _usage(run: Run, step: Step | None) -> dict[str, int]:
    """The ended run's usage: the sum of its steps' usage (a pinned ``usage`` was split over the
    steps, :func:`plan_usage`); a run that made no step shows its pin, or nothing."""
    prompt = completion = 0
    for run_step in run._steps:
        if run_step.usage:
            prompt += run_step.usage["prompt_tokens"]
            completion += run_step.usage["completion_tokens"]
    if not len(run._steps) and step is not None and step.usage:
        return dict(step.usage)
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
        tool_step.usage = step_usage(run, tool_step, tool_tokens(tool_step))
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
    run._cursor.seen = 1
    return run


def _check_expectations(state: TenantState, run: Run, calls: list[dict[str, Any]],
                        given: dict[str, str]) -> str | None:
    step = run._cursor.current()
    if step is None or not step.expect_outputs:
        return None
    pairs = [(spec, call["id"]) for spec, call in zip(step.tool_calls, calls, strict=True)]
    return check_outputs(state, step, pairs, given, owner={"run_id": run.id, "thread_id": run.thread_id},
                         script=run._cursor.script.name)


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
        run.required_action = None  # set only while the run is requires_action
        run._pending = []
        _log_transition(state, run, old)
        emit.event("thread.run.cancelling", run)
    return run


def modify_run(run: Run, body: dict[str, Any]) -> Run:
    if "metadata" in body:
        run.metadata = dict(body["metadata"] or {})
    return run
