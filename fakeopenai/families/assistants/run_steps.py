"""What a run's steps produce: run step objects, assistant messages, tool calls,
and the stream events (snapshots and deltas) that go with them.

No HTTP here. Each function reports events through an :class:`Emitter`: polling
passes :data:`SILENT`, streaming renders each event when it happens.

Usage: a run's ``usage`` is the sum of its steps' usage. The first step of a run carries the
prompt (the instructions and the thread's messages when the run started), every step its own
completion (the message's text, the tool calls' arguments). A terminal step with pinned
``usage`` is split over the script's steps before they run (:func:`plan_usage`): the prompt on
the first, the completion in proportion to what each step writes, so the sum is the pin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from fakeopenai.core.changes import logging_changes
from fakeopenai.families.assistants.objects import Message, Run, RunStep
from fakeopenai.families.assistants.threads import text_part
from fakeopenai.families.assistants.world import world
from fakeopenai.scenario.model import StreamOptions
from fakeopenai.scripting.conversation import Step, cut_off_by
from fakeopenai.spec.generate import count_tokens, sentence_text, split_words

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState


class Emitter(Protocol):
    def event(self, name: str, obj: object) -> None: ...
    def delta(self, name: str, payload: dict[str, Any]) -> None: ...


class _Silent:
    def event(self, name: str, obj: object) -> None:
        pass

    def delta(self, name: str, payload: dict[str, Any]) -> None:
        pass


SILENT: Emitter = _Silent()


def new_step(state: TenantState, run: Run, now: int, kind: str, details: dict[str, Any],
             step: Step) -> RunStep:
    run_step = RunStep(id=state.ids.new("step_"), created_at=now, assistant_id=run.assistant_id,
                       thread_id=run.thread_id, run_id=run.id, type=kind, step_details=details,
                       _ordinal=len(run._steps))
    run._steps.add(run_step.id, run_step)
    if logging_changes():
        if kind == "tool_calls":
            what = ", ".join(call.function for call in step.tool_calls)
        else:
            what = details["message_creation"]["message_id"]
        state.log_change("%s created %s on %s (%s: %s)", run_step.id, run_step.status, run.id, kind, what)
    return run_step


def log_step(state: TenantState, run_step: RunStep, old: str, note: str = "") -> None:
    """``step_x in_progress -> completed (tool_calls on run_y)``: a run step's status change."""
    if logging_changes():
        state.log_change("%s %s -> %s (%s on %s%s)", run_step.id, old, run_step.status, run_step.type,
                         run_step.run_id, f"; {note}" if note else "")


# Why a message ends incomplete, from why its run did (the run's reasons are the spec's
# max_completion_tokens and max_prompt_tokens; a message only knows max_tokens).
MESSAGE_REASONS = {"max_completion_tokens": "max_tokens", "max_prompt_tokens": "max_tokens"}


def message_text(state: TenantState, run: Run, step: Step, pos: int) -> str:
    """The text a ``message`` step (step ``pos`` of the run's script) writes: its own, or seeded."""
    if step.message is not None:
        return step.message
    return sentence_text(f"{state.scenario.seed}|run{run._number}|step{pos}", step.message_words)


def cut_off(run: Run) -> str | None:
    """The message being written is cut off when the script ends the run ``incomplete`` right
    after it (with only status steps between): the reason the message shows, else None."""
    cursor = run._cursor
    step = cut_off_by(cursor.script.steps, cursor.pos)
    if step is None:
        return None
    reason = (step.incomplete_details or {}).get("reason", "max_completion_tokens")
    return MESSAGE_REASONS.get(reason, "max_tokens")


def write_message(state: TenantState, run: Run, step: Step, now: int, emit: Emitter) -> None:
    """A ``message`` step: a message_creation step and an assistant message, streamed as deltas.
    When the run ends ``incomplete`` right after it, the message is the cut-off answer: ``status:
    incomplete`` with ``incomplete_at`` and ``incomplete_details.reason`` (``max_tokens``)."""
    thread = world(state).threads.get(run.thread_id)
    text, annotations = cite(run, message_text(state, run, step, run._cursor.pos))
    message = Message(id=state.ids.new("msg_"), created_at=now, thread_id=run.thread_id, role="assistant",
                      content=[], status="in_progress", assistant_id=run.assistant_id, run_id=run.id)
    run_step = new_step(state, run, now, "message_creation",
                         {"type": "message_creation", "message_creation": {"message_id": message.id}}, step)
    emit.event("thread.run.step.created", run_step)
    emit.event("thread.run.step.in_progress", run_step)
    if thread is not None:
        thread._messages.add(message.id, message)
    emit.event("thread.message.created", message)
    emit.event("thread.message.in_progress", message)
    for index, chunk in enumerate(step.deltas or split_words(text, stream_options(state, run).chunk_words)):
        part: dict[str, Any] = {"index": 0, "type": "text", "text": {"value": chunk}}
        if index == 0:
            part["text"]["annotations"] = []
        emit.delta("thread.message.delta",
                   {"id": message.id, "object": "thread.message.delta", "delta": {"content": [part]}})
    message.content = [text_part(text)]
    message.content[0]["text"]["annotations"] = annotations
    reason = cut_off(run)
    if reason is None:
        message.status = "completed"
        message.completed_at = now
    else:
        message.status = "incomplete"
        message.incomplete_at = now
        message.incomplete_details = {"reason": reason}
    emit.event(f"thread.message.{message.status}", message)
    tokens = count_tokens(text)
    run_step.status = "completed"
    run_step.completed_at = now
    run_step.usage = step_usage(run, run_step, tokens)
    if logging_changes():
        cut = "" if reason is None else f" (incomplete: {reason})"
        log_step(state, run_step, "in_progress", f"{message.id}{cut}, {tokens} tokens")
    emit.event("thread.run.step.completed", run_step)


def cite(run: Run, text: str) -> tuple[str, list[dict[str, Any]]]:
    """``text`` with a ``【n†source】`` marker per file the run's ``file_search`` steps found, and their
    ``file_citation`` annotations (then forgotten: the next message cites nothing)."""
    cited, run._citations = run._citations, []
    annotations = []
    for number, file_id in enumerate(cited):
        marker = f"【{number}†source】"
        annotations.append({"type": "file_citation", "text": marker, "file_citation": {"file_id": file_id},
                            "start_index": len(text), "end_index": len(text) + len(marker)})
        text += marker
    return text, annotations


def tool_tokens(run_step: RunStep) -> int:
    """The completion tokens of a ``tool_calls`` step: its calls' arguments."""
    return sum(count_tokens(call["function"]["arguments"]) for call in run_step.step_details.get("tool_calls", ())
               if call.get("type") == "function")


def step_usage(run: Run, run_step: RunStep, completion: int) -> dict[str, int]:
    """A finished run step's usage: the prompt on the run's first step, ``completion`` tokens
    (or the step's share of a pinned usage, :func:`plan_usage`)."""
    plan = run._usage_plan
    if plan is not None and run_step._ordinal < len(plan):
        prompt, completion = plan[run_step._ordinal]
    else:
        prompt = run._prompt_tokens if run_step._ordinal == 0 else 0
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def plan_usage(state: TenantState, run: Run) -> list[tuple[int, int]] | None:
    """When the script ends on a step with pinned ``usage``: (prompt, completion) for each run step
    the script makes, in order, adding up to the pin. None without a pin (or without such steps)."""
    steps = run._cursor.script.steps
    pinned = steps[-1].usage if steps and steps[-1].terminal else None
    if pinned is None:
        return None
    natural = []
    for pos, step in enumerate(steps):
        if step.kind == "message":
            natural.append(count_tokens(message_text(state, run, step, pos)))
        elif step.kind == "tool_calls":
            natural.append(sum(count_tokens(call.arguments) for call in step.tool_calls))
        elif step.kind == "file_search":   # a run step that writes nothing
            natural.append(0)
    if not natural:
        return None
    completion = pinned["completion_tokens"]
    written = sum(natural)
    shares = [completion * n // written for n in natural] if written else [0] * len(natural)
    shares[-1] += completion - sum(shares)
    return [(pinned["prompt_tokens"] if i == 0 else 0, share) for i, share in enumerate(shares)]


def request_tool_calls(state: TenantState, run: Run, step: Step, now: int,
                       emit: Emitter) -> list[dict[str, Any]]:
    """Open a ``tool_calls`` step, stream its calls as deltas, and return the calls now
    awaiting outputs (the run's ``required_action``)."""
    run_step = new_step(state, run, now, "tool_calls", {"type": "tool_calls", "tool_calls": []}, step)
    emit.event("thread.run.step.created", run_step)
    emit.event("thread.run.step.in_progress", run_step)
    chunk_chars = stream_options(state, run).chunk_chars
    calls: list[dict[str, Any]] = []
    for index, spec in enumerate(step.tool_calls):
        call_id = spec.id or state.ids.new("call_")
        calls.append({"id": call_id, "type": "function",
                      "function": {"name": spec.function, "arguments": spec.arguments, "output": None}})
        emit.delta("thread.run.step.delta", _tool_delta(run_step.id, index, {
            "id": call_id, "type": "function",
            "function": {"name": spec.function, "arguments": "", "output": None}}))
        for start in range(0, len(spec.arguments), chunk_chars):
            emit.delta("thread.run.step.delta", _tool_delta(run_step.id, index, {
                "type": "function", "function": {"arguments": spec.arguments[start:start + chunk_chars]}}))
    run_step.step_details["tool_calls"] = calls
    run._tool_step = run_step
    return [{"id": c["id"], "type": "function",
             "function": {"name": c["function"]["name"], "arguments": c["function"]["arguments"]}} for c in calls]


def _tool_delta(step_id: str, index: int, call: dict[str, Any]) -> dict[str, Any]:
    return {"id": step_id, "object": "thread.run.step.delta",
            "delta": {"step_details": {"type": "tool_calls", "tool_calls": [{"index": index, **call}]}}}


def stream_options(state: TenantState, run: Run) -> StreamOptions:
    script = run._cursor.script
    return script.stream if script.stream is not None else state.scenario.stream
