"""The generic family's part of the scenario format: ``lifecycles:`` scripts (the statuses an
object of any kind goes through, in the step language of batches) and ``objects.generic`` (objects
of any kind that exist from the start, with the ids the test gives)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from fakeopenai.core.family import Built, package_json
from fakeopenai.scripting.matching import metadata_differs

if TYPE_CHECKING:
    from fakeopenai.scenario.build import Builder


@dataclass(frozen=True, slots=True)
class LifeStep:
    status: str
    where: str
    reads: int = 1
    after: float | None = None
    error: dict[str, Any] | None = None
    progress: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    line: int | None = None
    column: int | None = None


@dataclass(frozen=True, slots=True)
class LifeMatch:
    """Request fields the new object must have: ``metadata`` a subset, any other field equal."""

    fields: tuple[tuple[str, Any], ...] = ()

    def mismatch(self, values: dict[str, Any]) -> str | None:
        for name, wanted in self.fields:
            have = values.get(name)
            if name == "metadata":
                problem = metadata_differs(have if isinstance(have, dict) else {}, wanted)
                if problem:
                    return problem
            elif have != wanted:
                return f"{name} is {have!r}, not {wanted!r}"
        return None


@dataclass(frozen=True, slots=True)
class LifeScript:
    key: ClassVar[str] = "lifecycles"
    index: int
    name: str
    kind: str
    match: LifeMatch
    times: int | None
    steps: tuple[LifeStep, ...]
    extra: dict[str, Any] = field(default_factory=dict)
    line: int | None = None
    column: int | None = None


@dataclass(frozen=True, slots=True)
class GenericPart:
    objects: tuple[dict[str, Any], ...] = ()   # objects.generic, each with its kind


def schema() -> dict[str, Any]:
    return package_json(__package__, "scenario.schema.json")


def build(builder: Builder, data: dict[str, Any]) -> Built:
    from fakeopenai.families.generic import facts
    from fakeopenai.families.generic.operations import table

    known = table()
    at = builder.positions.item_positions(("lifecycles",))
    scripts = []
    for index, item in enumerate(data.get("lifecycles") or []):
        path: tuple[Any, ...] = ("lifecycles", index)
        kind = item["kind"]
        kinds = sorted(k for k in known.kinds if known.statuses(k))
        if kind not in known.kinds or not known.statuses(kind):
            from fakeopenai.scenario.problems import did_you_mean

            builder.error(path + ("kind",), f"{kind!r} is not a kind with a status that the generic family serves; "
                          f"kinds with a lifecycle: {', '.join(kinds)}{did_you_mean(kind, kinds)}")
        allowed = known.statuses(kind)
        steps = []
        steps_at = builder.positions.item_positions(path + ("steps",)) if item.get("steps") else []
        for number, step in enumerate(item.get("steps") or []):
            status = step["status"]
            spath = path + ("steps", number)
            if allowed and status not in allowed:
                builder.error(spath + ("status",), f"{status!r} is not a status of {kind}; its statuses are: "
                              f"{', '.join(allowed)}")
            if "error" in step and status != "failed":
                builder.error(spath + ("error",), "error belongs on a step with status: failed", key=True)
            if "reads" in step and "after" in step:
                builder.error(spath + ("after",), "give either reads or after, not both")
            if status in facts.TERMINAL and number != len(item["steps"]) - 1:
                builder.error(path + ("steps", number + 1), f"unreachable: step {number} (status {status}) ends "
                              f"the {kind}")
            line, column = builder.nth(steps_at, number)
            steps.append(LifeStep(
                status=status, where=f"lifecycles[{index}].steps[{number}]", reads=step.get("reads", 1),
                after=builder.duration(spath + ("after",), step.get("after")), error=step.get("error"),
                progress=step.get("progress"), extra=dict(step.get("extra") or {}), line=line, column=column))
        if not steps and kind in facts.LIFECYCLES:
            steps = [LifeStep(status=s, where=f"lifecycles[{index}] (default steps)")
                     for s in facts.LIFECYCLES[kind]]
        if not steps:
            builder.error(path + ("steps",), f"a lifecycle of {kind} needs steps (it has no default life)")
        match = item.get("match") or {}
        line, column = builder.nth(at, index)
        scripts.append(LifeScript(
            index=index, name=item.get("name") or f"lifecycles[{index}]", kind=kind,
            match=LifeMatch(tuple(sorted(match.items()))), times=builder.times(item.get("times")),
            steps=tuple(steps), extra=dict(item.get("extra") or {}), line=line, column=column))
    objects = []
    for index, item in enumerate((data.get("objects") or {}).get("generic") or []):
        path = ("objects", "generic", index)
        builder.pin(path, item)
        kind = item["kind"]
        given = {k for k, v in item.items() if isinstance(v, str)}
        if kind not in known.kinds:
            from fakeopenai.scenario.problems import did_you_mean

            names = sorted(known.kinds)
            builder.error(path + ("kind",), f"{kind!r} is not a kind the generic family serves"
                          f"{did_you_mean(kind, names)}")
        elif known.home(kind, given) is None:
            homes = known.kinds[kind].get("collections") or []
            needs = sorted({p[1:-1] for h in homes for p in h.split("/") if p.startswith("{")})
            builder.error(path, f"a {kind} lives under its parent: give {' or '.join(needs) or 'its parent id'}")
        status = item.get("status")
        if status is not None and known.statuses(kind) and status not in known.statuses(kind):
            builder.error(path + ("status",), f"{status!r} is not a status of {kind}; its statuses are: "
                          f"{', '.join(known.statuses(kind))}")
        objects.append(dict(item))
    return Built(scripts={"lifecycles": tuple(scripts)}, part=GenericPart(objects=tuple(objects)))
