"""One tenant's world: its scenario, clock, ids, objects, request log and violations."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from typing import Any, TypeVar

from fakeopenai.clock import FakeClock
from fakeopenai.engine.changes import log
from fakeopenai.engine.objects import Assistant, Thread
from fakeopenai.engine.store import Collection
from fakeopenai.ids import IdFactory
from fakeopenai.render.profiles import Profile, get_profile
from fakeopenai.scenario.model import BatchScript, RunScript, Scenario, position

Script = TypeVar("Script", RunScript, BatchScript)

# The request being served, as ``(method, path)``: set by the gateway, so a violation names the
# request that caused it (a context variable: concurrent requests each see their own).
current_request: ContextVar[tuple[str, str] | None] = ContextVar("fakeopenai_request", default=None)

REQUEST_LOG_LIMIT = 10_000  # oldest entries are dropped past this, so a long soak stays flat in memory
MAX_STORED_BYTES = 2 * 1024**3  # file bytes one tenant may hold (uploads plus batch outputs)


class TenantState:
    """Everything one API key sees. Reset by loading a scenario (``load``)."""

    def __init__(self, key: str, scenario: Scenario, *, max_stored_bytes: int = MAX_STORED_BYTES) -> None:
        self.key = key
        self.label = _label(key)
        self.max_stored_bytes = max_stored_bytes
        self.load(scenario)

    def load(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.profile: Profile = get_profile(scenario.compat)
        self.clock = FakeClock(scenario.clock_start, scenario.clock_step)
        self.ids = IdFactory(scenario.seed)
        self.assistants: Collection[Assistant] = Collection()
        self.threads: Collection[Thread] = Collection()
        self.files: Collection[Any] = Collection()
        self.batches: Collection[Any] = Collection()
        self.stored_bytes = 0
        self.run_count = 0
        self.batch_count = 0
        self.request_count = 0
        self.requests: deque[dict[str, Any]] = deque(maxlen=REQUEST_LOG_LIMIT)
        self.violations: list[dict[str, Any]] = []
        self.served: dict[tuple[str, int], list[str]] = {}
        self.fault_hits: dict[int, int] = {}
        self.fault_fired: dict[int, int] = {}
        self.log_change("scenario %r loaded (%s)", scenario.name, scenario.source)
        self._seed_objects()

    def _seed_objects(self) -> None:
        from fakeopenai.engine import files, threads

        objects = self.scenario.objects
        for item in objects.assistants:
            object_id = item.get("id")
            if object_id:
                self.ids.reserve(object_id)
            threads.create_assistant(self, item, object_id=object_id)
        for item in objects.threads:
            object_id = item.get("id")
            if object_id:
                self.ids.reserve(object_id)
            thread = threads.create_thread(self, {"metadata": item.get("metadata")}, object_id=object_id)
            for message in item.get("messages") or ():
                if message.get("id"):
                    self.ids.reserve(message["id"])
                threads.add_message(self, thread, message, created_at=thread.created_at,
                                    object_id=message.get("id"))
        for item in objects.files:
            if item.get("id"):
                self.ids.reserve(item["id"])
            files.store_file(self, item["content"], filename=item.get("filename", "upload.jsonl"),
                             purpose=item["purpose"], object_id=item.get("id"))

    # ------------------------------------------------------------------ bookkeeping
    def reserve_bytes(self, size: int) -> None:
        from fakeopenai.errors import InvalidRequestError

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

    def uses_of(self, script: RunScript | BatchScript) -> int:
        kind = "runs" if isinstance(script, RunScript) else "batches"
        return len(self.served.get((kind, script.index), ()))

    def first_match(self, scripts: Sequence[Script], mismatch: Callable[[Script], str | None],
                    noun: str, plural: str) -> tuple[Script | None, list[dict[str, Any]]]:
        """The first script with uses left whose ``match`` fits, else ``None`` and why each was passed
        over (for the ``unmatched: error`` message and report): ``[{script, key, at, reason}]``."""
        tried: list[dict[str, Any]] = []
        kind = "runs" if noun == "run" else "batches"
        for script in scripts:
            used = self.uses_of(script)
            if script.times is not None and used >= script.times:
                served = f"{used} {plural if used != 1 else noun}"
                why: str | None = f"already served {served} (times: {script.times})"
            else:
                why = mismatch(script)
                if why is None:
                    return script, []
            tried.append({"script": script.name, "key": f"{kind}[{script.index}]",
                          "at": position(self.scenario.source, script), "reason": why})
        return None, tried

    @staticmethod
    def explain_tried(tried: list[dict[str, Any]], noun: str) -> str:
        """``first_match``'s reasons in one line: ``name: why; name: why``."""
        if not tried:
            return f"the scenario has no {noun} scripts"
        return "; ".join(f"{t['script']}: {t['reason']}" for t in tried)

    def record_use(self, script: RunScript | BatchScript, object_id: str) -> None:
        if script.index < 0:
            return  # the default script and the unmatched stand-in are not scenario scripts
        kind = "runs" if isinstance(script, RunScript) else "batches"
        self.served.setdefault((kind, script.index), []).append(object_id)

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
        log.warning("[%s] violation: %s", self.label, message)

    def unused(self) -> list[RunScript | BatchScript]:
        """The scripts that served nothing yet (a strict scenario's teardown names them)."""
        unused: list[RunScript | BatchScript] = [
            s for s in self.scenario.runs if not self.served.get(("runs", s.index))]
        unused += [s for s in self.scenario.batches if not self.served.get(("batches", s.index))]
        return unused

    def unused_scripts(self) -> list[str]:
        return [script.name for script in self.unused()]

    def progress(self) -> dict[str, Any]:
        """Which scripts served which runs and batches, and where each one is now."""
        runs = []
        for script in self.scenario.runs:
            served = self.served.get(("runs", script.index), [])
            runs.append({"name": script.name, "index": script.index, "times": script.times or "always",
                         "used": len(served), "served": [self._run_position(i) for i in served]})
        batches = []
        for script in self.scenario.batches:
            served = self.served.get(("batches", script.index), [])
            batches.append({"name": script.name, "index": script.index, "times": script.times or "always",
                            "used": len(served), "served": [self._batch_position(i) for i in served]})
        faults = [{"name": f.name, "index": f.index, "matched": self.fault_hits.get(f.index, 0),
                   "fired": self.fault_fired.get(f.index, 0)} for f in self.scenario.faults]
        return {"name": self.scenario.name, "description": self.scenario.description,
                "source": self.scenario.source, "seed": self.scenario.seed, "compat": self.scenario.compat,
                "clock": self.clock.now, "runs": runs, "batches": batches, "faults": faults,
                "unused": self.unused_scripts(), "violations": len(self.violations)}

    def _run_position(self, run_id: str) -> dict[str, Any]:
        for thread in self.threads:
            run = thread._runs.get(run_id)
            if run is not None:
                total = len(run._script.steps) if run._script else 0
                return {"id": run_id, "status": run.status, "step": min(run._pos + 1, total), "steps": total}
        return {"id": run_id, "status": "deleted"}

    def _batch_position(self, batch_id: str) -> dict[str, Any]:
        batch = self.batches.get(batch_id)
        if batch is None:
            return {"id": batch_id, "status": "deleted"}
        total = len(batch._script.steps) if batch._script else 0
        return {"id": batch_id, "status": batch.status, "step": min(batch._pos + 1, total), "steps": total,
                "request_counts": dict(batch.request_counts)}


def _label(key: str) -> str:
    """A log-safe name for an API key: never the secret itself."""
    import hashlib

    return "tenant-" + hashlib.sha256(key.encode()).hexdigest()[:8]
