"""What happened to one tenant, in time order: its requests and each scripted object's life.

``GET /_fake/timeline`` (docs/control-api.md, "Timeline") and the page ``GET /_fake/ui`` read it;
the pytest plugin embeds it in the page it writes for a failed test (``--fake-openai-report``).

Nothing here is per family. An object enters the timeline when a script starts serving it
(:meth:`TenantState.record_use`, which every scripted family calls: runs, batches, responses,
and any family added later), found again by id through its family's ``ScriptKind.find``. Its
status is then *noted* at the points the common core sees: after each request (the gateway),
after each step the stepper enters (``Machine.observe``, ``pass_wait``), after each stream
event that carries a status (``streaming.sse_response``) and when the clock is moved. A note
records a state only when the status differs from the last one recorded, with the fake time,
the wall time, the request being served and the script step the object's cursor is on (and what
that step does: ``did``). Objects that reached an end state (or were deleted) are no longer
looked at, so the cost of a note is the number of objects still in progress.

A request answered at once, with nothing to follow (a picture, speech, a transcript), enters as an
ended object of one state (:meth:`Timeline.answered`): its ``did`` says what was answered, made when
the timeline is read, and no later note looks at it.

A conversation of the Responses or Chat Completions API is one script use spanning several API
objects: it is followed as one object (its first response's or completion's id), whose ``latest``
is the one it is on now; each of its states names that one (``object``), so its lane reads
"tool calls in resp_1, tool calls in resp_2, message and completed in resp_3". Between rounds it
is ``waiting`` (for the client's tool outputs), not ended.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from fakeopenai.core.clock import MICROS
from fakeopenai.core.registry import families
from fakeopenai.scenario.model import position

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState

# The request-log entry of the request being served (set by the gateway), so a state change and a
# violation name the request that caused it.
current_entry: ContextVar[dict[str, Any] | None] = ContextVar("fakeopenai_entry", default=None)



def warn(message: str) -> None:
    """Note a warning on the request being served: it is answered with an ``x-fakeopenai-warning``
    header (the gateway adds it), shown in ``GET /_fake/requests`` and on the timeline, and logged."""
    import logging

    entry = current_entry.get()
    if entry is not None:
        warnings = entry.setdefault("warnings", [])
        if message not in warnings:
            warnings.append(message)
    logging.getLogger("fakeopenai.http").warning("%s", message)


ENDED = frozenset({"completed", "failed", "cancelled", "expired", "incomplete", "deleted"})
OBJECT_LIMIT = 10_000      # lives kept per tenant (the oldest ended ones go first)
STATES_LIMIT = 1_000       # states kept per object
SCAN_LIMIT = 64            # objects in progress all looked at after each request up to this many (note_after)


class Life:
    """One object's states, oldest first. A state is kept as a tuple of plain values (see
    :meth:`Timeline._note`: the garbage collector stops looking at it after its first pass) and becomes
    its JSON only when the timeline is read (:meth:`to_json`): a request notes its objects three or four
    times, and the timeline is read once a test, if at all. Its script's name and place are worked out
    when read too."""

    __slots__ = ("id", "kind", "scripted_by", "source", "states", "finder", "misses", "steps")

    def __init__(self, object_id: str, kind: str, scripted_by: Any, source: str,
                 finder: Callable[[TenantState, str], Any]) -> None:
        self.id = object_id
        self.kind = kind
        self.scripted_by = scripted_by   # the script (or scenario entry) serving it; None: generated
        self.source = source             # the scenario's source, for its ``file:line:column``
        self.finder = finder   # (state, id) -> the object, or None (its kind's ``find``)
        self.misses = 0      # notes that could not find it (never stored: not followed for long)
        self.states: list[tuple[Any, ...]] = []
        self.steps: Any = None   # its cursor's script steps: a state names its step by index in them

    @property
    def last(self) -> str | None:
        return self.states[-1][0] if self.states else None

    def to_json(self) -> dict[str, Any]:
        scripted_by = self.scripted_by
        return {"id": self.id, "kind": self.kind,
                "script": scripted_by.name if scripted_by is not None else "generated",
                "script_at": position(self.source, scripted_by),
                "states": [self._state_json(state) for state in self.states]}

    def _state_json(self, state: tuple[Any, ...]) -> dict[str, Any]:
        """A state as ``GET /_fake/timeline`` shows it: ``status``, ``time``, ``wall``, ``request``, the
        conversation's member ``object``, and where the object's cursor was (``step``, ``steps``,
        ``where``, ``at`` and, on the first state at that step, what the step does: ``did``)."""
        status, step_number, member, micros, wall, request, total, step, entered = state
        record: dict[str, Any] = {"status": status, "time": micros // MICROS, "wall": round(wall, 3),
                                  "request": request}
        if member is not None:
            record["object"] = member
        if total is not None:
            if type(step) is int:   # its index in the life's steps (Timeline._note)
                step = self.steps[step]
            describe = getattr(step, "describe", None)
            record.update(step=step_number, steps=total,
                          where=getattr(step, "where", None) or None,
                          at=position(self.source, step) if hasattr(step, "line") else None,
                          did=describe() if describe is not None and entered else None)
        elif step is not None:   # a request answered at once (Timeline.answered): what it answered
            record["did"] = step[0](*step[1])
        return record


class Timeline:
    """The tenant's object lives and request numbering (requests themselves are in the request log)."""

    def __init__(self) -> None:
        self.lives: dict[str, Life] = {}
        self._order: deque[str] = deque()        # the kept lives' ids, oldest first (see _keep)
        self.live: dict[str, Life] = {}          # not ended yet: looked at by each note
        self.requests = 0                        # requests numbered so far (``n`` of a log entry)
        self.violation_requests: list[int | None] = []   # per violation, the request that caused it
        self.webhooks: deque[Any] = deque(maxlen=OBJECT_LIMIT)   # deliveries (each has to_json), oldest first

    def next_request(self) -> int:
        self.requests += 1
        return self.requests

    # ------------------------------------------------------------------ objects
    def watch(self, state: TenantState, script: Any, object_id: str) -> None:
        """A script starts serving ``object_id`` (any family): follow its status from now on."""
        if object_id in self.lives:
            return
        kind, finder = _finder(state, script.key, object_id)
        life = Life(object_id, kind, script, state.scenario.source, finder)
        if len(self.lives) < OBJECT_LIMIT:   # (_keep's common case, without its call)
            self.lives[object_id] = life
            self._order.append(object_id)
        elif not self._keep(life):
            return
        self.live[object_id] = life
        self._note(state, life)

    def answered(self, state: TenantState, kind: str, status: str, did: Callable[..., str], args: tuple[Any, ...],
                 entry: Any = None) -> None:
        """A request answered at once, with no life to follow (a picture, speech, a transcript): a lane
        of its own (its id the request's id) with one ended state, whose ``did`` says what was answered:
        ``did(*args)``, called when the timeline is read. ``entry``: the scenario entry that scripted the
        answer (its name and place are the lane's script), else the script is ``generated``."""
        request = current_entry.get()
        if request is None:
            return
        object_id = request.get("request_id") or f"request-{request.get('n')}"
        life = Life(object_id, kind, entry, state.scenario.source, _nothing)
        if self._keep(life):
            life.states.append((status, None, None, state.clock.micros, time.time(), request.get("n"), None,
                                (did, args), True))

    def _keep(self, life: Life) -> bool:
        """Keep ``life`` (the oldest ended one goes when :data:`OBJECT_LIMIT` are kept); False when every
        kept object is still in progress: this one is not followed."""
        lives, order = self.lives, self._order
        if len(lives) >= OBJECT_LIMIT:
            # Oldest first; one still in progress goes to the back. (A dict walked from its front for
            # each drop walks past a hole per earlier drop, until it is resized.)
            for _ in range(len(order)):
                old = order.popleft()
                if old not in self.live:
                    lives.pop(old, None)
                    break
                order.append(old)
            else:
                return False
        lives[life.id] = life
        order.append(life.id)
        return True

    def note(self, state: TenantState, obj: Any = None) -> None:
        """Record the status of ``obj`` (if followed), or of every object still in progress."""
        if obj is not None:
            life = self.live.get(getattr(obj, "id", None) or "")
            if life is not None:
                self._note(state, life)
            return
        for life in list(self.live.values()):
            self._note(state, life)

    def note_after(self, state: TenantState, path: str = "") -> None:
        """After a request (or a streamed status): note what it changed. Every object in progress is
        looked at while there are at most :data:`SCAN_LIMIT` of them; past that, only those the path
        names, so a tenant with thousands of runs nobody polls pays no cost growing with them. (The
        stepper notes each object it moves, and an API that moves an object its path does not name,
        as a chat completion continuing a conversation, notes it itself.)"""
        live = self.live
        if not live:
            return
        if len(live) <= SCAN_LIMIT:
            self.note(state)
            return
        for segment in path.split("/"):
            life = live.get(segment)
            if life is not None:
                self._note(state, life)

    def _note(self, state: TenantState, life: Life) -> None:
        # Three notes a chat completion, before its answer is written: read each value once, call nothing
        # that is not needed (the object found is most often in progress, with a cursor).
        find = life.finder
        obj = find(state, life.id)
        if obj is None:
            if not life.states:
                life.misses += 1   # not stored yet (the next note finds it), or never stored (store: false)
                if life.misses > 2:
                    self.live.pop(life.id, None)
                return
            status = "deleted"
            cursor = member = None
        else:
            try:   # every family's scripted object has both: read as attributes (a getattr costs more)
                status = obj.status or "created"
                cursor = obj._cursor
            except AttributeError:   # any other object
                status = getattr(obj, "status", None) or "created"
                cursor = getattr(obj, "_cursor", None)
            latest = getattr(obj, "latest", None)   # a conversation: the response (completion) it is on
            member = None if latest is None else getattr(latest, "id", None)
        total: int | None = None
        step_number = step = None
        if cursor is not None:   # Cursor.step_number(), .total and .current(), read in one go
            steps, pos = cursor.script.steps, cursor.pos
            total = len(steps)
            step_number = pos + 1 if pos + 1 < total else total
            if 0 <= pos < total:
                # The step by its index in the life's steps (an object's script does not change): a state
                # of plain values, which the garbage collector untracks.
                known = life.steps
                if known is None:
                    life.steps = known = steps
                step = pos if steps is known else steps[pos]
        # A new state, or the same one at a later script step (a conversation waits for tool outputs
        # once per round), or in the conversation's next response.
        states = life.states
        if states:
            last = states[-1]
            if status == last[0] and step_number == last[1] and member == last[2]:
                return
            entered = last[1] != step_number
        else:
            entered = True
        if len(states) < STATES_LIMIT:
            entry = current_entry.get()
            # What the JSON shows (Life._state_json) is built from this when the timeline is read; ``did``
            # (what the step does) only on the state that entered the step, not on a later one at the same
            # step (the conversation's next response, queued there).
            states.append((status, step_number, member, state.clock.micros, time.time(),
                           None if entry is None else entry.get("n"), total, step, entered))
        if status in ENDED:
            self.live.pop(life.id, None)

    def violation(self) -> None:
        entry = current_entry.get()
        self.violation_requests.append(entry.get("n") if entry else None)


def _finder(state: TenantState, key: str, object_id: str) -> tuple[str, Callable[[TenantState, str], Any]]:
    """The object's kind (``run``) and how to find it again (its ``find``, called with the state and the
    id): the kind whose scripts are under ``key``; ``conversations`` scripts serve several kinds (the first
    that knows the id). The finder is given the state when called, not holding it: state -> timeline ->
    finder -> state would be a cycle, and a dropped tenant would wait for the garbage collector's full pass
    (the soak test saw RSS grow)."""
    cached = _KINDS.get(key)   # (_kinds_for's common case, without its call)
    if cached is None or cached[0] is not families():
        cached = _kinds_for(key)
    mine, only = cached[1], cached[2]
    if only is not None:
        return only
    for kind in mine:
        if kind.find is not None and kind.find(state, object_id) is not None:
            return kind.noun, kind.find
    return key, _nothing


def _nothing(state: TenantState, object_id: str) -> None:
    return None


# script key -> (the families it was worked out for, its kinds, (noun, find) when it is one kind)
_KINDS: dict[str, tuple[Any, list[Any], tuple[str, Callable[[TenantState, str], Any]] | None]] = {}


def _kinds_for(key: str) -> tuple[Any, list[Any], tuple[str, Callable[[TenantState, str], Any]] | None]:
    """The kinds whose scripts are under ``key`` (every kind when none is), and when that is one kind its
    noun and ``find`` (or :func:`_nothing`), worked out for the families registered now and kept in
    :data:`_KINDS`: worked out again only when the families change (a test may register one)."""
    registered = families()
    kinds = [kind for family in registered for kind in family.kinds]
    mine = [kind for kind in kinds if kind.key == key] or kinds
    only = (mine[0].noun, mine[0].find or _nothing) if len(mine) == 1 else None
    cached = _KINDS[key] = (registered, mine, only)
    return cached


# ---------------------------------------------------------------------- the JSON
def _seconds(micros: int | None) -> int | None:
    return None if micros is None else micros // MICROS


def _ms(elapsed: float | None) -> float | None:
    return None if elapsed is None else round(elapsed * 1000, 2)


def snapshot(state: TenantState, format_request: Callable[[dict[str, Any]], dict[str, Any]],
             format_response: Callable[[dict[str, Any]], Any] = lambda entry: None,
             last: int | None = None) -> dict[str, Any]:
    """``GET /_fake/timeline``: the tenant's requests (bodies as ``GET /_fake/requests`` shows them,
    secrets redacted; only the ``last`` ones when given), retries grouped, each object's states, and
    the violations with their request."""
    requests: list[dict[str, Any]] = []
    entries = list(state.requests)
    if last is not None:
        entries = entries[max(0, len(entries) - last):]
    groups: dict[str, Any] = {}          # idempotency key -> first request's n
    attempts: dict[Any, int] = {}        # first request's n -> attempts so far
    previous: dict[tuple[str, str], dict[str, Any]] = {}   # (method, path) -> last request
    for entry in entries:
        shown = format_request(entry)
        n = entry.get("n")
        item = {"n": n, "request_id": entry.get("request_id"), "method": shown["method"], "path": shown["path"],
                "query": shown["query"], "status": entry.get("status"), "fault": entry.get("fault"),
                "time": entry["micros"] // MICROS, "time_end": _seconds(entry.get("micros_end")),
                "wall": round(entry["wall"], 3), "ms": _ms(entry.get("elapsed")),
                "headers": shown["headers"], "body": shown["body"],
                "warnings": list(entry.get("warnings") or ()),
                "response": format_response(entry),
                "retry_of": None, "attempt": 1}
        headers = shown["headers"]
        key = headers.get("idempotency-key")
        count = headers.get("x-stainless-retry-count", "0")
        before = previous.get((item["method"], item["path"]))
        first = None
        if key and key in groups:
            first = groups[key]
        elif before is not None and count.isdigit() and int(count) > 0:
            first = before["retry_of"] or before["n"]
        elif (before is not None and not key and requests and requests[-1] is before
              and before["body"] == item["body"] and ((before["status"] or 0) >= 400 or before["fault"])):
            first = before["retry_of"] or before["n"]   # the same request again, right after it failed
        if first is not None:
            attempts[first] = attempts.get(first, 1) + 1
            item["retry_of"], item["attempt"] = first, attempts[first]
        elif key:
            groups[key] = n
        previous[(item["method"], item["path"])] = item
        requests.append(item)
    violations = []
    for index, violation in enumerate(state.violations):
        marks = state.timeline.violation_requests
        violations.append({**violation, "n": marks[index] if index < len(marks) else None})
    scenario = state.scenario
    return {"tenant": state.label, "scenario": {"name": scenario.name, "source": scenario.source,
                                                "seed": scenario.seed},
            "clock": {"now": state.clock.now, "start": scenario.clock_start}, "total_requests": state.timeline.requests,
            "requests": requests, "objects": [life.to_json() for life in state.timeline.lives.values()],
            "violations": violations, "webhooks": [delivery.to_json() for delivery in state.timeline.webhooks]}
