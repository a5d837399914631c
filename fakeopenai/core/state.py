"""One tenant's world: its scenario, clock, ids, objects, request log and violations.

The objects belong to the families: ``state.worlds[name]`` is what the family's ``new_world``
made for this tenant (its collections and counters). What is common is here: the clock, ids,
file storage accounting, which scripts served which objects, violations, the request log.
"""

from __future__ import annotations

import logging
import weakref
from collections import deque
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from fakeopenai.core.changes import log
from fakeopenai.core.clock import FakeClock
from fakeopenai.core.compat.profiles import Profile, get_profile
from fakeopenai.core.ids import IdFactory
from fakeopenai.core.registry import families
from fakeopenai.core.timeline import Timeline
from fakeopenai.scenario.model import Scenario
from fakeopenai.scripting.stepper import progress_of

if TYPE_CHECKING:
    from fakeopenai.scripting.stepper import Script, UsedUp

# The request being served, as ``(method, path)``: set by the gateway, so a violation names the
# request that caused it (a context variable: concurrent requests each see their own).
current_request: ContextVar[tuple[str, str] | None] = ContextVar("fakeopenai_request", default=None)

REQUEST_LOG_LIMIT = 10_000  # oldest entries are dropped past this, so a long soak stays flat in memory
MAX_STORED_BYTES = 2 * 1024**3  # file bytes one tenant may hold (uploads plus batch outputs)


class TenantState:
    """Everything one API key sees. Reset by loading a scenario (``load``)."""

    def __init__(self, key: str, scenario: Scenario, *, max_stored_bytes: int = MAX_STORED_BYTES,
                 server: Mapping[str, Any] | None = None) -> None:
        self.key = key
        self.label = _label(key)
        self.max_stored_bytes = max_stored_bytes
        # The server's own options the families read (webhooks: ``serve --webhook``, ``--webhook-allow``).
        self.server: Mapping[str, Any] = server or {}
        self.load(scenario)

    def load(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.profile: Profile = get_profile(scenario.compat)
        self.clock = FakeClock(scenario.clock_start, scenario.clock_step)
        self.ids = IdFactory(scenario.seed)
        self.stored_bytes = 0
        self.request_count = 0
        self.requests: deque[dict[str, Any]] = deque(maxlen=REQUEST_LOG_LIMIT)
        self.violations: list[dict[str, Any]] = []
        self.served: dict[tuple[str, int], list[str]] = {}
        self.used_up: list[dict[str, Any]] = []   # objects the default answered: a fitting script's times ran out
        self.notes: list[str] = []   # for a failed test's report (a webhook never delivered)
        self.entry_uses: dict[tuple[str, int], int] = {}   # (key, index) of a family's part entry -> uses
        self.fault_hits: dict[int, int] = {}
        self.fault_fired: dict[int, int] = {}
        self.timeline = Timeline()   # each scripted object's states (GET /_fake/timeline)
        family_list = families()
        self.worlds: dict[str, Any] = Worlds(self, _world_makers(family_list))
        self.log_change("scenario %r loaded (%s)", scenario.name, scenario.source)
        for family in family_list:
            if family.seed is not None:
                family.seed(self)

    def clock_moved(self) -> None:
        """Apply what time alone does, in every family (the clock endpoint and fixture call this)."""
        for family in families():
            if family.on_clock is not None:
                family.on_clock(self)
        self.timeline.note(self)

    def notify(self, event_type: str, object_id: str, at: int | None = None) -> None:
        """An object reached a state OpenAI announces by webhook (``batch.completed``, ``response.failed``) at
        fake time ``at`` (default now): every family's ``on_event`` hears it (the webhooks family delivers it)."""
        when = self.clock.now if at is None else at
        for family in families():
            if family.on_event is not None:
                family.on_event(self, event_type, object_id, when)

    # ------------------------------------------------------------------ bookkeeping
    def reserve_bytes(self, size: int) -> None:
        from fakeopenai.core.errors import InvalidRequestError

        if self.stored_bytes + size > self.max_stored_bytes:
            raise InvalidRequestError(
                f"Storage limit reached: this API key holds {self.stored_bytes} bytes of files and the fake "
                f"allows {self.max_stored_bytes}; delete files or reset the tenant (POST /_fake/reset).",
                param="file", code="file_storage_limit_exceeded")
        self.stored_bytes += size

    def release_bytes(self, size: int) -> None:
        self.stored_bytes = max(0, self.stored_bytes - size)

    def log_change(self, message: str, *args: Any) -> None:
        """One line for one state change, at INFO. ``message`` is %-formatted with ``args`` only
        when the line is written; callers building costly text check :func:`logging_changes` first."""
        if log.isEnabledFor(logging.INFO):
            log.info("[%s] " + message if args else "[%s] %s", self.label, *(args or (message,)))

    def uses_of(self, script: Script) -> int:
        return len(self.served.get((script.key, script.index), ()))

    def record_use(self, script: Script, object_id: str, used_up: UsedUp | None = None) -> None:
        """``script`` serves the new object ``object_id``; ``used_up`` (from ``choose``): the scripts
        that fit it but had no uses left, so the default script serves it."""
        self.timeline.watch(self, script, object_id)   # every family's scripted objects, default ones too
        if used_up is not None:
            self._note_used_up(used_up, object_id)
        if script.index < 0:
            return  # the default script and the unmatched stand-in are not scenario scripts
        key = (script.key, script.index)
        served = self.served.get(key)
        if served is None:
            self.served[key] = [object_id]
        else:
            served.append(object_id)   # (not setdefault: no new list a use)

    def _note_used_up(self, used_up: UsedUp, object_id: str) -> None:
        """A script fit ``object_id`` but its ``times`` were used up, so the default script answered
        it: noted for the teardown report (shown when the test fails) and ``GET /_fake/scenario``, a
        warning in the log, and under ``strict: true`` a violation (the scenario did not script it)."""
        for note in used_up.entries(self, object_id):
            self.used_up.append(note)
            if self.scenario.strict:
                self.add_violation(kind="used_up", where=note["key"], at=note["at"],
                                   expected=f"a {used_up.noun} script with uses left for {object_id}",
                                   actual=f"{note['key']} has times: {note['times']}, used up by "
                                          f"{', '.join(note['served'])}; the default script answered it",
                                   message="fakeopenai: " + note["message"], script=note["script"],
                                   object=object_id)
            else:
                log.warning("[%s] fakeopenai: %s", self.label, note["message"])

    def record_entry_use(self, entry: Any) -> None:
        """A family's part entry (``Built.entries``: a scripted vector, a flagged input) served a request."""
        key = (entry.key, entry.index)
        self.entry_uses[key] = self.entry_uses.get(key, 0) + 1

    def add_violation(self, *, kind: str, where: str, expected: str, actual: str, message: str,
                      at: str | None = None, **details: Any) -> None:
        """Record that the client broke the scenario. Besides the what (``where`` is the key path,
        ``at`` its ``file:line:column`` when the scenario had text), each entry names the scenario's
        ``source`` and the ``request`` being served (``POST /v1/threads/.../submit_tool_outputs``)."""
        request = current_request.get()
        entry = {"kind": kind, "scenario": self.scenario.name, "where": where, "expected": expected,
                 "actual": actual, "message": message, "source": self.scenario.source, "at": at,
                 "request": f"{request[0]} {request[1]}" if request else None, **details}
        self.violations.append(entry)
        self.timeline.violation()
        log.warning("[%s] violation: %s", self.label, message)

    def unused(self) -> list[Any]:
        """The scripts, and the families' part entries, that served nothing yet (a strict scenario's
        teardown names them)."""
        return [s for s in self.scenario.all_scripts() if not self.served.get((s.key, s.index))] + [
            e for e in self.scenario.entries if not self.entry_uses.get((e.key, e.index))]

    def unused_scripts(self) -> list[str]:
        return [script.name for script in self.unused()]

    def progress(self) -> dict[str, Any]:
        """Which scripts served which objects, and where each one is now. A conversation (responses,
        chat completions) is each of its API objects, with ``conversation``: its first one's id;
        ``used`` counts conversations, as ``times`` does."""
        out: dict[str, Any] = {"name": self.scenario.name, "description": self.scenario.description,
                               "source": self.scenario.source, "seed": self.scenario.seed,
                               "compat": self.scenario.compat, "clock": self.clock.now}
        for family in families():
            for kind in family.kinds:
                entries = []
                for script in self.scenario.scripts.get(kind.key, ()):
                    served = self.served.get((kind.key, script.index), [])
                    entries.append({"name": script.name, "index": script.index, "times": script.times or "always",
                                    "used": len(served), "served": [entry for i in served
                                                                    for entry in self._positions(kind, i)]})
                out[kind.key] = entries
        if "conversations" in self.scenario.scripts:   # they serve runs and responses alike
            kinds = [kind for family in families() for kind in family.kinds]
            out["conversations"] = [
                {"name": script.name, "index": script.index, "times": script.times or "always",
                 "used": len(served), "served": [entry for i in served for entry in self._found(kinds, i)]}
                for script in self.scenario.scripts["conversations"]
                for served in [self.served.get(("conversations", script.index), [])]]
        for entry in self.scenario.entries:
            out.setdefault(entry.key, []).append({"name": entry.name, "index": entry.index,
                                                  "used": self.entry_uses.get((entry.key, entry.index), 0)})
        out["faults"] = [{"name": f.name, "index": f.index, "matched": self.fault_hits.get(f.index, 0),
                          "fired": self.fault_fired.get(f.index, 0)} for f in self.scenario.faults]
        out["unused"] = self.unused_scripts()
        out["used_up"] = list(self.used_up)
        out["violations"] = len(self.violations)
        return out

    def _found(self, kinds: list[Any], object_id: str) -> list[dict[str, Any]]:
        for kind in kinds:
            if kind.find is not None and kind.find(self, object_id) is not None:
                return self._positions(kind, object_id)
        return [{"id": object_id, "status": "deleted"}]

    def _positions(self, kind: Any, object_id: str) -> list[dict[str, Any]]:
        """What one use of a script served: the object, or each API object of a conversation."""
        obj = kind.find(self, object_id) if kind.find is not None else None
        if obj is None:
            return [{"id": object_id, "status": "deleted"}]
        if kind.members is not None:
            return [{**member, "conversation": object_id} for member in kind.members(self, obj)]
        entry = {"id": object_id, **progress_of(obj)}
        if kind.describe is not None:
            entry.update(kind.describe(obj))
        return [entry]


class Worlds(dict[str, Any]):
    """``state.worlds``: each family's world, made by its ``new_world`` the first time ``worlds[name]`` looks it
    up. A test touches two or three of the families, and the pytest fixture makes a tenant per test: a world
    that is never looked up is never made. ``get`` and ``in`` see the worlds made so far (one not made yet
    holds nothing)."""

    __slots__ = ("_state", "_makers")

    def __init__(self, state: TenantState, makers: Mapping[str, Callable[[TenantState], Any]]) -> None:
        super().__init__()
        self._state = weakref.ref(state)   # not the state itself: a dropped tenant is freed at once, no cycle
        self._makers = makers

    def __missing__(self, name: str) -> Any:
        state = self._state()
        make = self._makers.get(name)
        if make is None or state is None:
            raise KeyError(name)
        world = self[name] = make(state)
        return world


_makers: tuple[Any, dict[str, Callable[[TenantState], Any]]] = ((), {})


def _world_makers(family_list: tuple[Any, ...]) -> dict[str, Callable[[TenantState], Any]]:
    """Each registered family's ``new_world`` by its name (made again when the registered families change)."""
    global _makers
    if _makers[0] is not family_list:
        _makers = (family_list, {f.name: f.new_world for f in family_list if f.new_world is not None})
    return _makers[1]


def _label(key: str) -> str:
    """A log-safe name for an API key: never the secret itself."""
    import hashlib

    return "tenant-" + hashlib.sha256(key.encode()).hexdigest()[:8]

