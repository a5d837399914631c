"""The Batch family's part of the scenario format: ``batches:`` scripts (a lifecycle of
statuses, scripted answers per request) and seeded files under ``objects:``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from fakeopenai.core.family import Built, package_json
from fakeopenai.scripting.matching import differs, metadata_differs

if TYPE_CHECKING:
    from fakeopenai.scenario.build import Builder

TERMINAL = ("completed", "failed", "expired", "cancelled")
# The order a batch goes through; a script may skip ahead, never go back.
ORDER = {"validating": 0, "in_progress": 1, "finalizing": 2}
STATUSES = ("validating", "in_progress", "finalizing", "completed", "failed", "expired", "cancelling", "cancelled")


@dataclass(frozen=True, slots=True)
class BatchStep:
    status: str
    where: str
    progress: float | None = None
    reads: int = 1
    after: float | None = None
    errors: tuple[dict[str, Any], ...] = ()
    line: int | None = None
    column: int | None = None


@dataclass(frozen=True, slots=True)
class BatchResponse:
    custom_id: str | None = None
    line: int | None = None
    error: dict[str, str] | None = None
    status_code: int | None = None
    content: str | None = None
    body: dict[str, Any] | None = None
    where: str = ""                  # "batches[0].responses[2]", for reports
    yaml_line: int | None = None     # where it starts in the scenario's YAML (``line`` is the input line)
    yaml_column: int | None = None

    def target(self) -> str:
        return f"custom_id {self.custom_id!r}" if self.custom_id is not None else f"line {self.line}"


@dataclass(frozen=True, slots=True)
class BatchMatch:
    endpoint: str | None = None
    input_file_id: str | None = None
    metadata: dict[str, str] | None = None

    def mismatch(self, *, endpoint: str, input_file_id: str, metadata: dict[str, str]) -> str | None:
        return (differs("endpoint", endpoint, self.endpoint)
                or differs("input_file_id", input_file_id, self.input_file_id)
                or metadata_differs(metadata, self.metadata))


@dataclass(frozen=True, slots=True)
class BatchScript:
    key: ClassVar[str] = "batches"
    index: int
    name: str
    match: BatchMatch
    times: int | None
    steps: tuple[BatchStep, ...]
    responses: tuple[BatchResponse, ...] = ()
    output_order: str = "shuffled"
    line: int | None = None
    column: int | None = None


@dataclass(frozen=True, slots=True)
class BatchesPart:
    files: tuple[dict[str, Any], ...] = ()   # each with bytes under "content"


def schema() -> dict[str, Any]:
    return package_json(__package__, "scenario.schema.json")


def build(builder: Builder, data: dict[str, Any]) -> Built:
    batches_at = builder.positions.item_positions(("batches",))
    batches = tuple(batch_script(builder, i, s, builder.nth(batches_at, i))
                    for i, s in enumerate(data.get("batches") or []))
    files = []
    for i, item in enumerate((data.get("objects") or {}).get("files") or []):
        path = ("objects", "files", i)
        builder.pin(path, item)
        files.append(builder.seed_file(path, item))
    return Built(scripts={"batches": batches}, part=BatchesPart(files=tuple(files)))


def order_problem(previous: str | None, status: str) -> str | None:
    """Why ``status`` cannot follow ``previous`` in a batch's steps (None: it can). A batch starts
    validating (a first step that is later has it implied, :func:`batch_script`); it goes on to
    in_progress, finalizing and an end, and may skip ahead but never go back; ``cancelling`` leads
    to ``cancelled`` only."""
    if previous is None or previous in TERMINAL:
        return None  # any first step (validating implied before it); after an end: reported as unreachable
    allowed = next_statuses(previous)
    if status in allowed:
        return None
    if previous == "cancelling":
        why = "a cancelling batch can only end cancelled"
    else:
        why = f"{previous} -> {status} goes backwards"
    return f"{why}; after {previous} a batch can be {', '.join(allowed)}"


def next_statuses(previous: str) -> tuple[str, ...]:
    """The statuses a step may have after a step with status ``previous`` (not terminal)."""
    if previous == "cancelling":
        return ("cancelling", "cancelled")
    rank = ORDER[previous]
    return tuple(s for s in STATUSES if ORDER.get(s, rank) >= rank)


def default_steps(prefix: str) -> tuple[BatchStep, ...]:
    """The lifecycle of a batch whose script gives no ``steps`` (and of the default script):
    validating, in_progress, finalizing, completed, one per read."""
    return tuple(BatchStep(status=status, where=f"{prefix}.steps[{i}]")
                 for i, status in enumerate(("validating", "in_progress", "finalizing", "completed")))


def batch_script(builder: Builder, index: int, data: dict[str, Any],
                 at: tuple[int, int] | tuple[None, None]) -> BatchScript:
    path = ("batches", index)
    steps: list[BatchStep] = []
    steps_at = builder.positions.item_positions(path + ("steps",)) if data.get("steps") else []
    if data.get("steps") == []:
        builder.error(path + ("steps",), "a batch script needs at least one step (steps: [{status: completed}] "
                      "is a batch validating at its create, then completed); leave steps out for the default "
                      "lifecycle: validating, in_progress, finalizing, completed")
    for i, step in enumerate(data.get("steps") or []):
        status = step["status"]
        if "errors" in step and status != "failed":
            builder.error(path + ("steps", i, "errors"), "errors belongs on a step with status: failed", key=True)
        if "progress" in step and status in ("validating", "completed"):
            builder.error(path + ("steps", i, "progress"),
                       f"progress has no meaning while {status} (it is 0 while validating and 1 when "
                       "completed); put it on in_progress, finalizing, cancelling, cancelled or expired",
                       key=True)
        if "reads" in step and "after" in step:
            builder.error(path + ("steps", i, "after"), "give either reads or after, not both")
        if status in TERMINAL and i != len(data["steps"]) - 1:
            builder.error(path + ("steps", i + 1), f"unreachable: step {i} (status {status}) ends the batch")
        problem = order_problem(data["steps"][i - 1]["status"] if i else None, status)
        if problem is not None:
            builder.error(path + ("steps", i, "status"), problem)
        steps.append(BatchStep(
            status=status, where=f"batches[{index}].steps[{i}]", progress=step.get("progress"),
            reads=step.get("reads", 1), after=builder.duration(path + ("steps", i, "after"), step.get("after")),
            errors=tuple(dict(e) for e in step.get("errors") or ()), line=builder.nth(steps_at, i)[0],
            column=builder.nth(steps_at, i)[1]))
    responses: list[BatchResponse] = []
    targets: dict[tuple[str, Any], int] = {}
    responses_at = builder.positions.item_positions(path + ("responses",)) if data.get("responses") else []
    for j, resp in enumerate(data.get("responses") or []):
        rpath = path + ("responses", j)
        if ("custom_id" in resp) == ("line" in resp):
            builder.error(rpath, "a response needs exactly one of custom_id or line")
        if "error" in resp and len({"status_code", "content", "body"} & resp.keys()):
            builder.error(rpath + ("error",), "error (a request that never ran) excludes status_code, "
                       "content and body", key=True)
        if "content" in resp and "body" in resp:
            builder.error(rpath + ("content",), "give either content or a full body, not both", key=True)
        if not {"error", "status_code", "content", "body"} & resp.keys():
            builder.error(rpath, "a response needs one of error, status_code, content or body")
        if "content" in resp and resp.get("status_code", 200) >= 400:
            builder.error(rpath + ("content",), "content is a successful answer; with a status_code of 400 "
                       "or more, give the error body under body (or leave it out for the default)", key=True)
        target = ("custom_id", resp["custom_id"]) if "custom_id" in resp else ("line", resp.get("line"))
        if target in targets:
            builder.error(rpath + (target[0],), f"{target[0]} {target[1]!r} already has a response "
                       f"(responses[{targets[target]}])")
        targets.setdefault(target, j)
        responses.append(BatchResponse(
            custom_id=resp.get("custom_id"), line=resp.get("line"), error=resp.get("error"),
            status_code=resp.get("status_code"), content=resp.get("content"), body=resp.get("body"),
            where=f"batches[{index}].responses[{j}]", yaml_line=builder.nth(responses_at, j)[0],
            yaml_column=builder.nth(responses_at, j)[1]))
    if steps and steps[0].status != "validating":
        # Every batch is created validating, as on the live API: the create answers this implied step,
        # and the next read the script's first (runs may start anywhere; a batch only this way).
        steps.insert(0, BatchStep(status="validating", where=f"batches[{index}].steps (validating, implied)",
                                  line=steps[0].line, column=steps[0].column))
    match = data.get("match") or {}
    return BatchScript(
        index=index, name=data.get("name") or f"batches[{index}]",
        match=BatchMatch(endpoint=match.get("endpoint"), input_file_id=match.get("input_file_id"),
                         metadata=match.get("metadata")),
        times=builder.times(data.get("times")),
        steps=tuple(steps) if "steps" in data else default_steps(f"batches[{index}]"), responses=tuple(responses),
        output_order=data.get("output_order", "shuffled"), line=at[0], column=at[1])
