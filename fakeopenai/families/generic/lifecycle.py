"""Lifecycles: the statuses a generic object goes through, one step per read or by ``after:`` on
the fake clock, through the stepper every scripted family shares (``scripting/stepper.py``).

Each kind with a status has a default life (``facts.LIFECYCLES``: a fine-tuning job validates its
files, is queued, runs, succeeds); a scenario's ``lifecycles:`` scripts (``scenario.py``) give a
kind another one, chosen by ``match`` on the request's fields as runs and batches choose theirs.
Entering a status sets what it means on the object: its ``*_at`` time, ``error`` when it failed,
a video's ``progress``, and per kind (:data:`ON_STATUS`) a fine-tuning job's events, checkpoints
and model name, an eval run's result counts and output items, a file batch's files.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

from fakeopenai.core.errors import WrongStateError
from fakeopenai.families.generic import facts
from fakeopenai.families.generic.scenario import LifeMatch, LifeScript, LifeStep
from fakeopenai.families.generic.world import GObj, world
from fakeopenai.scripting.stepper import Cursor, Machine, choose

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState


@cache
def default_script(kind: str) -> LifeScript:
    statuses = facts.LIFECYCLES[kind]
    steps = tuple(LifeStep(status=s, where=f"default lifecycle of {kind}.steps[{i}]") for i, s in enumerate(statuses))
    return LifeScript(index=-1, name=f"default lifecycle of {kind}", kind=kind, match=LifeMatch(), times=None,
                      steps=steps)


def _failing(kind: str, first: str | None) -> Any:
    def make(message: str) -> LifeScript:
        steps = ((LifeStep(status=first, where="unmatched.steps[0]"),) if first else ()) + (
            LifeStep(status="failed", where="unmatched.steps[1]", error={"code": "server_error", "message": message}),)
        return LifeScript(index=-2, name="unmatched", kind=kind, match=LifeMatch(), times=None, steps=steps)
    return make


def scripts_of(state: TenantState, kind: str | None) -> tuple[LifeScript, ...]:
    return tuple(s for s in state.scenario.scripts.get("lifecycles", ()) if s.kind == kind)


def start(state: TenantState, obj: GObj, body: dict[str, Any], statuses: Sequence[str]) -> None:
    """A new object enters its life: the first step of the script that matches it (or of its kind's
    default); a kind without a life takes its settled status."""
    kind = obj.kind or ""
    scripts = scripts_of(state, kind)
    if not statuses:
        from fakeopenai.families.generic.operations import table

        statuses = table().statuses(kind)
    if body.get("_settled") or (kind not in facts.LIFECYCLES and not scripts):
        settled = next((s for s in facts.SETTLED if s in statuses), None)
        if settled is not None:
            obj.status = settled
            obj.fields["status"] = settled
        return
    default = default_script(kind) if kind in facts.LIFECYCLES else LifeScript(
        index=-1, name=f"default lifecycle of {kind}", kind=kind, match=LifeMatch(), times=None,
        steps=(LifeStep(status=next((s for s in facts.SETTLED if s in statuses), "completed"),
                        where=f"default lifecycle of {kind}.steps[0]"),))
    values = {**obj.fields, **body}
    first = default.steps[0].status if default.steps else None
    script, violation, used_up = choose(
        state, scripts, lambda s: s.match.mismatch(values), noun=facts.noun_for(kind), plural="objects",
        default=default, fail=_failing(kind, first),
        actual=lambda: f"{kind} {obj.key}" + (f" with {_shown(body)}" if body else ""))
    obj._cursor = Cursor(script, pos=-1, entered_us=state.clock.micros)
    world(state).scripted[obj.key] = obj
    if script.extra:
        obj.fields.update(script.extra)
    MACHINE.enter(state, obj, 0, state.clock.now)
    obj._cursor.seen = 1
    state.record_use(script, obj.key, used_up)
    if violation is not None:
        state.add_violation(**violation, object_id=obj.key)


def _shown(body: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in list(body.items())[:4] if not k.startswith("_"))


def settle(state: TenantState, obj: GObj, status: str) -> None:
    """End the object's life at ``status`` now (an upload completed, a store's files attached)."""
    set_status(state, obj, status, state.clock.tick())
    state.timeline.note(state, obj)


def observe(state: TenantState, obj: GObj) -> None:
    """A read: one step on (``Machine.observe``), for an object with a life."""
    if obj._cursor is not None:
        MACHINE.observe(state, obj)


def refresh(state: TenantState, obj: GObj) -> None:
    """What time alone does, for a list's objects (steps paced by ``after:`` whose time passed)."""
    cursor = obj._cursor
    if cursor is None or MACHINE.parked(obj) or obj._cancel_requested:
        return
    step = cursor.current()
    if step is not None and step.after is not None and cursor.moves_on(state.clock.micros):
        MACHINE.observe(state, obj)


def before_show(state: TenantState, obj: GObj) -> None:
    """Fields counted from other objects, brought up to date before the object is shown."""
    hook = BEFORE_SHOW.get(obj.kind or "")
    if hook is not None:
        hook(state, obj)


def cancel(state: TenantState, obj: GObj) -> None:
    """``cancel``: ``cancelling`` now and ``cancelled`` on the next read where the kind has that status,
    else ``cancelled`` at once; an object that ended is the live API's 400."""
    if obj.status in facts.TERMINAL:
        raise WrongStateError(f"Cannot cancel {facts.noun_for(obj.kind)} {obj.key}: it is already {obj.status}.",
                              param=None, code="invalid_state")
    statuses = _statuses(obj)
    now = state.clock.tick()
    if "cancelling" in statuses and obj._cursor is not None:
        obj._cancel_requested = True
        set_status(state, obj, "cancelling", now)
    else:
        set_status(state, obj, _cancelled(obj), now)
    state.timeline.note(state, obj)


def pause(state: TenantState, obj: GObj, paused: bool) -> None:
    if paused and obj.status in facts.TERMINAL:
        raise WrongStateError(f"Cannot pause {facts.noun_for(obj.kind)} {obj.key}: it is already {obj.status}.",
                              param=None, code="invalid_state")
    obj._paused = paused
    obj.changed()
    state.log_change("%s %s", obj.key, "paused" if paused else "resumed")


def _statuses(obj: GObj) -> tuple[str, ...]:
    from fakeopenai.families.generic.operations import table

    return table().statuses(obj.kind or "")


def _cancelled(obj: GObj) -> str:
    return "canceled" if "canceled" in _statuses(obj) else "cancelled"


def _success(obj: GObj) -> str:
    steps = facts.LIFECYCLES.get(obj.kind or "", ())
    return steps[-1] if steps and steps[-1] in facts.TERMINAL else "completed"


class LifeMachine(Machine[Any]):   # GObjs with a lifecycle: their _cursor is set
    def parked(self, obj: GObj) -> bool:
        if obj.status in facts.TERMINAL or obj._paused:
            return True
        cursor = obj._cursor
        return cursor is not None and obj.kind in facts.WAITING and cursor.pos >= cursor.total - 1

    def cancel_pending(self, obj: GObj) -> bool:
        return obj._cancel_requested

    def finish_cancelled(self, state: TenantState, obj: GObj, now: int) -> None:
        obj._cancel_requested = False
        set_status(state, obj, _cancelled(obj), now)

    def enter(self, state: TenantState, obj: GObj, pos: int, now: int) -> None:
        cursor = obj._cursor
        assert cursor is not None
        step = cursor.enter(pos, state.clock.micros)
        if step is None:   # past the script's last step: the kind's own end
            set_status(state, obj, _success(obj), now)
            return
        set_status(state, obj, step.status, now, step)


MACHINE = LifeMachine()


def set_status(state: TenantState, obj: GObj, status: str, now: int, step: LifeStep | None = None) -> None:
    old = obj.status
    obj.status = status
    fields = obj.fields
    fields["status"] = status
    for name in facts.STATUS_TIMES.get(status, ()):
        fields[name] = now
    if status == "failed":
        error: dict[str, Any] = dict(step.error) if step is not None and step.error else {
            "code": "server_error", "message": f"The {facts.noun_for(obj.kind)} failed."}
        error.setdefault("param", None)
        fields["error"] = error
        fields["last_error"] = {k: v for k, v in error.items() if k != "param"}
    if step is not None and step.progress is not None:
        fields["progress"] = step.progress
    elif status in facts.PROGRESS and obj.kind == "video":
        fields["progress"] = facts.PROGRESS[status]
    if step is not None and step.extra:
        fields.update(step.extra)
    hook = ON_STATUS.get(obj.kind or "")
    if hook is not None and old != status:
        hook(state, obj, status, now)
    obj.changed()
    if old != status:
        cursor = obj._cursor
        where = f" (step {cursor.step_number()}/{cursor.total})" if cursor is not None else ""
        state.log_change("%s %s -> %s%s", obj.key, old, status, where)
        event = facts.WEBHOOK_EVENTS.get((obj.kind or "", status))
        if event is not None:
            state.notify(event, obj.key, now)


# ----------------------------------------------------------------------------- per kind
def _child_home(obj: GObj, name: str) -> tuple[str, tuple[str, ...]]:
    return (f"{obj.home[0]}/{{{_item_param(obj)}}}/{name}", (*obj.home[1], obj.key))


def _item_param(obj: GObj) -> str:
    from fakeopenai.families.generic.operations import table

    info = table().collections.get(obj.home[0])
    return info.item_param if info is not None and info.item_param else "id"


def _add(state: TenantState, obj: GObj, name: str, kind: str, fields: dict[str, Any]) -> GObj:
    home = _child_home(obj, name)
    key = state.ids.new(facts.prefix_for(kind))
    child = GObj(key=key, kind=kind, home=home, seed=str(state.scenario.seed),
                 fields={"id": key, "object": kind, **fields})
    world(state).collection(home).add(key, child)
    return child


def _fine_tuning_job(state: TenantState, job: GObj, status: str, now: int) -> None:
    level = "error" if status == "failed" else "info"
    message = facts.EVENT_MESSAGES.get(status, f"Status: {status}")
    if status == "failed" and isinstance(job.fields.get("error"), dict):
        message = f"{message}: {job.fields['error'].get('message')}"
    _add(state, job, "events", "fine_tuning.job.event",
         {"created_at": now, "level": level, "message": message, "type": "message", "data": {}})
    if status == "running":
        job.fields["estimated_finish"] = job.fields.get("estimated_finish") or now + 600
    if status == "succeeded":
        model = str(job.fields.get("model") or "gpt-4o-mini-2024-07-18")
        suffix = job.fields.get("suffix") or "fakeopenai"
        name = f"ft:{model}:personal:{suffix}:{job.key[-8:]}"
        job.fields.update(fine_tuned_model=name, estimated_finish=None,
                          trained_tokens=job.fields.get("trained_tokens") or 1200,
                          result_files=job.fields.get("result_files") or [state.ids.new("file-")])
        for step_number in (10, 20, 30):
            _add(state, job, "checkpoints", "fine_tuning.job.checkpoint", {
                "created_at": now, "fine_tuning_job_id": job.key, "step_number": step_number,
                "fine_tuned_model_checkpoint": f"{name}:ckpt-step-{step_number}",
                "metrics": {"step": step_number, "train_loss": round(1.0 / step_number, 4),
                            "train_mean_token_accuracy": round(0.8 + step_number / 1000, 4)}})
    if status in ("failed", "cancelled"):
        job.fields["estimated_finish"] = None


def _eval_run(state: TenantState, run: GObj, status: str, now: int) -> None:
    if status != "completed":
        return
    counts = run.fields.get("result_counts")
    total: Any = counts.get("total") if isinstance(counts, dict) and isinstance(counts.get("total"), int) else 2
    total = max(0, min(total, 20))
    run.fields["result_counts"] = {"total": total, "passed": total, "failed": 0, "errored": 0}
    eval_id = run.home[1][0] if run.home[1] else run.fields.get("eval_id")
    for index in range(total):
        _add(state, run, "output_items", "eval.run.output_item", {
            "created_at": now, "run_id": run.key, "eval_id": eval_id, "status": "pass",
            "datasource_item_id": index})


ON_STATUS = {"fine_tuning.job": _fine_tuning_job, "eval.run": _eval_run}
BEFORE_SHOW: dict[str, Any] = {}
