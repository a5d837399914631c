"""The script stepper every scripted family shares.

A scripted object (a run, a batch, later a background response) holds a :class:`Cursor` on
the script that serves it; its family's :class:`Machine` says what entering a step does.
What is common lives here, once:

* choosing the script: the first whose ``match`` fits and whose ``times`` are not used up,
  else the default script, else (``unmatched: error``) a failing stand-in and a violation
  (:func:`choose`); when the default answers an object that a script fits but whose ``times``
  were used up, that is noted (:class:`UsedUp`, ``state.used_up``: the teardown report and
  ``GET /_fake/scenario`` show it; under ``strict`` it is a violation);
* pacing: a read moves the object one step on once the current step was read ``reads``
  times, or once the fake clock passed ``after`` since it began (:meth:`Machine.observe`).
  Polling never waits for a clock nobody moves: a read that finds the step still waiting on
  ``after`` first moves the tenant's fake clock to the end of the wait, as if the poller had
  slept that long (:meth:`Machine.pass_wait`), so the read moves on; a stream passes the wait
  the same way before it plays the next step;
* ``expect_outputs``: the tool outputs a client submits, checked against the step that asked
  for them (:func:`check_outputs`).

Usage (a family's engine)::

    script, violation, used_up = choose(state, scenario.runs, lambda s: s.match.mismatch(...), noun="run",
                                        default=DEFAULT_SCRIPT, fail=failing_script, actual="run on thread_x ...")
    run._cursor = Cursor(script, entered_us=state.clock.micros)
    state.record_use(script, run.id, used_up)   # once the object has its id
    RUN_MACHINE.observe(state, run)      # a GET: one step on, when the step has been seen enough
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar

from fakeopenai.core.clock import MAX_MICROS, to_micros
from fakeopenai.scenario.model import position

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState
    from fakeopenai.scenario.conversation import Step, ToolCallSpec


class PacedStep(Protocol):
    reads: int
    after: float | None


class Script(Protocol):
    """What the stepper needs of a script: its scenario key (``runs``), place, uses and steps."""

    key: ClassVar[str]

    # Read-only: scripts are frozen dataclasses.
    @property
    def index(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def times(self) -> int | None: ...
    @property
    def line(self) -> int | None: ...
    @property
    def column(self) -> int | None: ...
    @property
    def steps(self) -> Sequence[Any]: ...


S = TypeVar("S", bound=Script)


@dataclass(slots=True)
class Cursor:
    """Where a scripted object is in its script."""

    script: Any
    pos: int = 0          # index of the current step (-1: none played yet)
    seen: int = 0         # reads that observed the current step
    entered_us: int = 0   # fake-clock time the current step began, in microseconds (FakeClock.micros)

    @property
    def total(self) -> int:
        return len(self.script.steps)

    def current(self) -> Any:
        steps = self.script.steps
        return steps[self.pos] if 0 <= self.pos < len(steps) else None   # -1: before the first step

    def step_number(self) -> int:
        """1-based, as the log and ``GET /_fake/scenario`` show it (``step 2/4``)."""
        number, total = self.pos + 1, len(self.script.steps)   # min(), without a call to it and to total
        return number if number < total else total

    def moves_on(self, now_us: int) -> bool:
        """Whether a read now moves past the current step: the fake clock passed ``after`` since
        the step began, or the step was observed ``reads`` times."""
        return moves_on(self.current(), seen=self.seen, entered_us=self.entered_us, now_us=now_us)

    def wait_left(self, now_us: int) -> int:
        """Microseconds the current step still waits on its ``after`` (0: none, or passed)."""
        step = self.current()
        if step is None or step.after is None:   # the usual step (a call less than asking wait_end)
            return 0
        end = wait_end(step, self.entered_us)
        return 0 if end is None else max(0, end - now_us)

    def enter(self, pos: int, now_us: int) -> Any:
        """Move to step ``pos`` (past the last: None) at fake time ``now_us``; the step."""
        self.pos = pos
        self.entered_us = now_us
        steps = self.script.steps   # current(), without its call: every step a request plays enters here
        return steps[pos] if 0 <= pos < len(steps) else None


def wait_end(step: PacedStep | None, entered_us: int) -> int | None:
    """When a step paced by ``after`` ends (microseconds; never past the clock's cap), else None."""
    if step is None or step.after is None:
        return None
    return min(entered_us + to_micros(step.after), MAX_MICROS)


def moves_on(step: PacedStep | None, *, seen: int, entered_us: int, now_us: int) -> bool:
    if step is None:
        return True
    end = wait_end(step, entered_us)
    if end is not None:
        return now_us >= end
    return seen >= step.reads


class Scripted(Protocol):
    # Read-only: a response's cursor is its conversation's (a property).
    @property
    def status(self) -> str | None: ...
    @property
    def _cursor(self) -> Cursor: ...


Obj = TypeVar("Obj", bound=Scripted)


def progress_of(obj: Scripted) -> dict[str, Any]:
    """Where a scripted object is, as ``GET /_fake/scenario`` shows it: status and step of steps."""
    cursor = obj._cursor
    return {"status": obj.status, "step": cursor.step_number(), "steps": cursor.total}


class Machine(Generic[Obj]):
    """A family's state machine over scripted objects; :meth:`observe` is the shared pacing."""

    def refresh(self, state: TenantState, obj: Obj) -> None:
        """Apply what time alone does (expiry)."""

    def parked(self, obj: Obj) -> bool:
        """Reads do not move it: it ended, or waits for the client."""
        raise NotImplementedError

    def cancel_pending(self, obj: Obj) -> bool:
        """The client cancelled: the next read ends it cancelled."""
        raise NotImplementedError

    def finish_cancelled(self, state: TenantState, obj: Obj, now: int) -> None:
        raise NotImplementedError

    def enter(self, state: TenantState, obj: Obj, pos: int, now: int) -> None:
        """Make step ``pos`` of its script happen (past the last step: the default end)."""
        raise NotImplementedError

    def pass_wait(self, state: TenantState, obj: Obj, refresh: Callable[[], None] | None = None) -> bool:
        """The current step waits on ``after``: move the tenant's fake clock to the end of the
        wait (as if the poller had slept that long) and apply what time alone does, to this object
        first (``refresh``, default :meth:`refresh`; a stream passes one that emits its events),
        then to every other. Whether the clock moved."""
        left = obj._cursor.wait_left(state.clock.micros)
        if left <= 0:
            return False
        state.clock.advance_micros(left)
        state.log_change("clock passed %.6gs to %d (%s waited on after:)", left / 1_000_000, state.clock.now,
                         getattr(obj, "id", "an object"))
        if refresh is not None:
            refresh()
        else:
            self.refresh(state, obj)
        state.timeline.note(state, obj)
        state.clock_moved()
        return True

    def observe(self, state: TenantState, obj: Obj) -> Obj:
        """A read (retrieve): moves it on by one step once the current one was seen enough; a step
        waiting on ``after`` moves the fake clock to the end of the wait first (:meth:`pass_wait`)."""
        self.refresh(state, obj)
        if self.parked(obj):
            state.timeline.note(state, obj)   # time alone may have ended it
            return obj
        if self.cancel_pending(obj):
            self.finish_cancelled(state, obj, state.clock.tick())
            state.timeline.note(state, obj)
            return obj
        if self.pass_wait(state, obj) and self.parked(obj):
            return obj  # time passing ended it (expiry)
        cursor = obj._cursor
        if not cursor.moves_on(state.clock.micros):
            cursor.seen += 1
            return obj
        self.enter(state, obj, cursor.pos + 1, state.clock.tick())
        state.timeline.note(state, obj)
        cursor.seen = 1
        return obj


def scripts_for(state: TenantState, key: str) -> tuple[Any, ...]:
    """The scripts a conversation API chooses from: its own (``runs``, ``responses``), then the
    ``conversations:`` scripts, which serve either."""
    scripts = state.scenario.scripts
    own, shared = scripts.get(key, ()), scripts.get("conversations")
    if not shared and type(own) is tuple:
        return own   # the usual scenario (no conversations: scripts): no new tuple
    return (*own, *(shared or ()))


@dataclass(frozen=True, slots=True)
class UsedUp:
    """The scripts that fit a new object but had no uses left (``times``), so the default script
    answered it: what :meth:`TenantState.record_use` notes once the object has its id."""

    noun: str
    plural: str
    scripts: tuple[Any, ...]

    def entries(self, state: TenantState, object_id: str) -> list[dict[str, Any]]:
        """One note a script: ``{object, script, key, at, times, served, message}``."""
        out = []
        for script in self.scripts:
            served = list(state.served.get((script.key, script.index), ()))
            key = f"{script.key}[{script.index}]"
            label = key if script.name == key else f"{key} {script.name!r}"
            at = position(state.scenario.source, script)
            message = (f"{label}{f' ({at})' if at else ''} matched {object_id}, but its times: {script.times} "
                       f"was used up by {', '.join(served)}; the default script answered {object_id}. Give "
                       f"times: {script.times + 1} or times: always for the script to serve it.")
            out.append({"object": object_id, "script": script.name, "key": key, "at": at, "times": script.times,
                        "served": served, "message": message})
        return out


def choose(state: TenantState, scripts: Sequence[S], mismatch: Callable[[S], str | None], *, noun: str,
           plural: str, default: S, fail: Callable[[str], S],
           actual: Callable[[], str]) -> tuple[S, dict[str, Any] | None, UsedUp | None]:
    """The script serving a new object; with ``unmatched: error``, the violation to record once the
    object has its id (the failing stand-in ``fail(message)`` then serves it; ``actual()`` describes
    the object for it); when the default serves it, the scripts that fit but were used up, to note
    with the object's id (``state.record_use(script, id, used_up)``)."""
    script, tried = first_match(state, scripts, mismatch, noun, plural)
    if script is not None:
        return script, None, None
    # Only now (a fallback): which used-up scripts would have fit.
    spent = tuple(s for s in scripts if s.times is not None and state.uses_of(s) >= s.times and mismatch(s) is None)
    if state.scenario.unmatched != "error":
        return default, None, UsedUp(noun, plural, spent) if spent else None
    for entry in tried:
        fitting = next((s for s in spent if f"{s.key}[{s.index}]" == entry["key"]), None)
        if fitting is not None:
            entry["reason"] += f"; it fits this {noun}: give times: {(fitting.times or 0) + 1} or times: always"
    message = (f"fakeopenai: no {noun} script matched this {noun} (unmatched: error). Tried: "
               f"{explain_tried(tried, noun)}")
    key = type(default).key
    article = "an" if noun[:1] in "aeiou" else "a"
    violation = {"kind": "unmatched", "where": key, "expected": f"{article} {noun} script matching this {noun}",
                 "actual": actual(), "message": message, "tried": tried}
    return fail(message), violation, None


def described(head: str, metadata: dict[str, Any] | None, last_message: str | None) -> str:
    """What arrived, for an unmatched violation: ``head``, then its metadata and last user message."""
    text = head
    if metadata:
        text += f", metadata {metadata}"
    if last_message is not None:
        text += f", last user message {last_message!r}"
    return text


def first_match(state: TenantState, scripts: Sequence[S], mismatch: Callable[[S], str | None], noun: str,
                plural: str) -> tuple[S | None, list[dict[str, Any]]]:
    """The first script with uses left whose ``match`` fits, else ``None`` and why each was passed
    over (for the ``unmatched: error`` message and report): ``[{script, key, at, reason}]``."""
    tried: list[dict[str, Any]] = []
    for script in scripts:
        times = script.times
        if times is not None and (used := state.uses_of(script)) >= times:   # times: always has no count to read
            served = f"{used} {plural if used != 1 else noun}"
            why: str | None = f"already served {served} (times: {times})"
        else:
            why = mismatch(script)
            if why is None:
                return script, []
        tried.append({"script": script.name, "key": f"{script.key}[{script.index}]",
                      "at": position(state.scenario.source, script), "reason": why})
    return None, tried


def explain_tried(tried: list[dict[str, Any]], noun: str) -> str:
    """``first_match``'s reasons in one line: ``name: why; name: why``."""
    if not tried:
        return f"the scenario has no {noun} scripts"
    return "; ".join(f"{t['script']}: {t['reason']}" for t in tried)


def check_outputs(state: TenantState, step: Step | None, calls: Sequence[tuple[ToolCallSpec, str]],
                  given: dict[str, str], owner: dict[str, Any], script: str | None) -> str | None:
    """Check submitted tool outputs against the step's ``expect_outputs``: a violation for each
    output that fails its check (``owner`` names the object: ``{"run_id": ..., "thread_id": ...}``),
    and the problems in one line (the object then fails with it), or None."""
    if step is None or not step.expect_outputs:
        return None
    problems = []
    for spec, call_id in calls:
        matcher = step.matcher_for(spec)
        if matcher is None:
            continue
        output = given.get(call_id, "")
        if matcher.test(output):
            continue
        key = spec.id or spec.function
        message = (f"fakeopenai: the output submitted for {call_id} ({spec.function}) is {output!r}; "
                   f"{step.where}.expect_outputs.{key} expected it {matcher.describe()}")
        state.add_violation(kind="expect_outputs", where=f"{step.where}.expect_outputs.{key}",
                            expected=matcher.describe(), actual=output, message=message,
                            at=position(state.scenario.source, step), **owner, tool_call_id=call_id,
                            function=spec.function, script=script)
        problems.append(message)
    return "; ".join(problems) if problems else None


def check_offered(state: TenantState, step: Step, offered: Sequence[str], owner: dict[str, Any],
                  script: str) -> None:
    """A violation for each call of a ``tool_calls`` step to a function the request did not offer: the
    live model never calls a tool it was not given, so the client's code meets a call it cannot answer
    (``owner`` names the object, as for :func:`check_outputs`)."""
    for spec in step.tool_calls:
        if spec.function in offered:
            continue
        shown = ", ".join(offered) if offered else "no function tools"
        state.add_violation(
            kind="tool_not_offered", where=f"{step.where}.tool_calls", expected=f"a tool the request offered ({shown})",
            actual=spec.function, at=position(state.scenario.source, step), **owner, function=spec.function,
            script=script,
            message=f"fakeopenai: {script} calls {spec.function} at {step.where}, but the request offered {shown}; "
                    "offer the tool in the request, or call one it offers")


def note_script_ended(state: TenantState, script: Any, owner: dict[str, Any], noun: str) -> None:
    """A violation: a request continued a conversation after the last step of its script (its answer is
    empty: nothing is scripted for it). The client went one round further than the scenario says."""
    steps = len(script.steps)
    state.add_violation(
        kind="script_ended", where=script.name, expected=f"no request after the script's {steps} step(s)",
        actual="a request that continues the conversation", at=position(state.scenario.source, script), **owner,
        script=script.name,
        message=f"fakeopenai: a request continued {script.name} after its last step ({steps} step(s)), so the "
                f"{noun} is empty; add the step the client needs next (a message, say) to the script")
