"""A batch input file, validated as the real service validates it, kept compact.

:func:`read_input` makes one pass over the JSONL bytes and keeps, per request,
only where its line starts and ends (two ``array('q')`` of offsets) and its line
number: the file's bytes are shared with the stored File, never copied or kept
parsed. Lines are parsed again, one at a time, when the answers are written.

Usage::

    data = read_input(file._content, endpoint="/v1/chat/completions", wanted={"req-2"})
    data.problems       # [] or errors.data entries {code, message, param, line}
    len(data)           # requests in the file
    data.request(0)     # the first line, parsed: {"custom_id": ..., "body": {...}}
    data.found["req-2"] # index of the request with custom_id "req-2"
"""

from __future__ import annotations

import json
from array import array
from bisect import bisect_left
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from fakeopenai.spec.jsonstrict import decode_json_bytes, loads_strict

if TYPE_CHECKING:
    from fakeopenai.core.family import BatchLines

# The endpoints the Batch API takes (the spec's enum); the family that serves each says how its lines are
# checked and answered (Family.batch_answerer: BatchLines).
ENDPOINTS = ("/v1/chat/completions", "/v1/embeddings", "/v1/responses", "/v1/completions", "/v1/moderations")
MAX_REQUESTS = 50_000
MAX_INPUT_BYTES = 200 * 1024 * 1024
MAX_REPORTED_ERRORS = 100   # errors.data entries kept for one file; the rest are only counted
MODEL_OPTIONAL = frozenset({"/v1/moderations"})
_decode = json.JSONDecoder().decode   # json.loads without its per-call checks (lines were validated)
STEP_LINES = 128   # read_input_steps yields after this many lines
T = TypeVar("T")


@dataclass(slots=True)
class BatchInput:
    """The requests of a validated input file (see the module docstring)."""

    content: bytes
    starts: array = field(default_factory=lambda: array("q"))
    ends: array = field(default_factory=lambda: array("q"))
    lines: array = field(default_factory=lambda: array("i"))     # 1-based line number of each request
    model: str | None = None
    problems: list[dict[str, Any]] = field(default_factory=list)
    rejects: dict[int, tuple[str, str, str]] = field(default_factory=dict)  # index -> (param, message, code): a 400
    found: dict[str, int] = field(default_factory=dict)            # wanted custom_id -> index
    # per request, (custom_id, the family's plan) when its BatchLines.planned answers it (the usual
    # line), else None; lets the answers skip parsing the line again. None: the family has no fast path.
    plans: list[tuple[str, Any] | None] | None = None

    def __len__(self) -> int:
        return len(self.starts)

    def request(self, index: int) -> dict[str, Any]:
        parsed: dict[str, Any] = _decode(decode_json_bytes(self.content[self.starts[index]:self.ends[index]]))
        return parsed

    def index_of_line(self, line: int) -> int | None:
        """The request on 1-based line ``line`` of the file, if that line holds one."""
        index = bisect_left(self.lines, line)
        return index if index < len(self.lines) and self.lines[index] == line else None

    def release(self) -> None:
        """Drop the file's bytes and offsets once every answer is written."""
        self.content = b""
        self.starts, self.ends, self.lines = array("q"), array("q"), array("i")
        self.plans = None


def missing_field(required: tuple[str, ...], body: dict[str, Any]) -> tuple[str, str, str] | None:
    """``(param, message, code)`` for the first ``required`` field that ``body`` lacks or leaves empty
    (the line then gets a 400), worded as the live API words it."""
    for name in required:
        value = body.get(name)
        if value is None:
            return name, f"Missing required parameter: '{name}'.", "missing_required_parameter"
        if value == []:
            return name, (f"Invalid '{name}': empty array. Expected an array with minimum length 1, but got an "
                          "empty array instead."), "empty_array"
        if value == "":
            return name, (f"Invalid '{name}': empty string. Expected a string with minimum length 1, but got an "
                          "empty string instead."), "empty_string"
    return None


def _request_past_limit(content: bytes) -> int | None:
    """The line number of request ``MAX_REQUESTS + 1``, if the file has that many (no JSON parsing)."""
    if content.count(b"\n") + (not content.endswith(b"\n")) <= MAX_REQUESTS:
        return None   # no more lines than that, blank ones included
    requests = 0
    for number, raw in enumerate(content.split(b"\n"), 1):
        if raw and not raw.isspace():
            requests += 1
            if requests > MAX_REQUESTS:
                return number
    return None


class _Problems:
    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self.count = 0

    def add(self, code: str, message: str, *, param: str | None = None, line: int | None = None) -> None:
        self.count += 1
        if len(self.items) < MAX_REPORTED_ERRORS:
            self.items.append({"code": code, "message": message, "param": param, "line": line})


def read_input(content: bytes, *, endpoint: str, wanted: frozenset[str] | set[str] = frozenset(),
               lines: BatchLines | None = None) -> BatchInput:
    """Validate ``content`` as the input file of an ``endpoint`` batch (one pass); ``lines``: what the
    family answering the endpoint says of its lines (the fields they need, their tasks, its fast path)."""
    return run_steps(read_input_steps(content, endpoint=endpoint, wanted=wanted, lines=lines))


def run_steps(steps: Generator[Any, None, T]) -> T:
    """Drive a stepping generator (one that yields now and then so an event loop can serve
    others meanwhile) to its end at once; its value."""
    try:
        while True:
            next(steps)
    except StopIteration as stop:
        return stop.value


def read_input_steps(content: bytes, *, endpoint: str, wanted: frozenset[str] | set[str] = frozenset(),
                     lines: BatchLines | None = None) -> Generator[None, None, BatchInput]:
    """:func:`read_input` in steps: it yields every :data:`STEP_LINES` lines."""
    data = BatchInput(content)
    problems = _Problems()
    if len(content) > MAX_INPUT_BYTES:
        problems.add("file_too_large", f"The input file is {len(content)} bytes; the Batch API accepts input "
                     f"files of at most {MAX_INPUT_BYTES} bytes (200 MB).", param="input_file_id")
        data.problems = problems.items
        return data
    over = _request_past_limit(content)
    if over is not None:
        # Refused before parsing a single line, as the real service does for an oversized file.
        problems.add("too_many_tasks", f"The input file has more than {MAX_REQUESTS:,} requests; a batch can "
                     f"hold at most {MAX_REQUESTS:,}. Line {over} is request {MAX_REQUESTS + 1:,}: split the "
                     "file into several batches.", line=over)
        data.problems = problems.items
        return data
    seen: set[str] = set()
    models: dict[str, int] = {}
    plan = lines.plan if lines is not None else None
    required = lines.required if lines is not None else ()
    count_tasks = lines.tasks if lines is not None else None
    tasks = 0
    append_start, append_end, append_line = data.starts.append, data.ends.append, data.lines.append
    plans: list[tuple[str, Any] | None] | None = [] if plan is not None else None
    size = len(content)
    start, number = 0, 0
    countdown = STEP_LINES
    while start < size:
        countdown -= 1
        if not countdown:
            countdown = STEP_LINES
            yield
        end = content.find(b"\n", start)
        if end < 0:
            end = size
        number += 1
        line_start, line_end = start, end
        start = end + 1
        raw = content[line_start:line_end]
        if not raw or raw.isspace():
            continue  # blank lines (a trailing newline, say) hold no request
        index = len(data.starts)
        append_start(line_start)
        append_end(line_end)
        append_line(number)
        if plans is not None:
            plans.append(None)
        try:
            item = loads_strict(raw)
        except (ValueError, UnicodeDecodeError, RecursionError):
            problems.add("invalid_json_line", "This line is not parseable as valid JSON.", line=number)
            continue
        if not isinstance(item, dict):
            problems.add("invalid_json_line", "This line is not a JSON object.", line=number)
            continue
        custom_id = item.get("custom_id")
        if not isinstance(custom_id, str) or not custom_id:
            problems.add("missing_required_parameter" if custom_id is None else "invalid_type",
                         "Each request needs a custom_id: a non-empty string, unique within the batch.",
                         param="custom_id", line=number)
        elif custom_id in seen:
            problems.add("duplicate_custom_id", f"The custom_id for this request ({custom_id!r}) is a duplicate of "
                         "another request. The custom_id parameter must be unique for each individual request "
                         "in a batch.", param="custom_id", line=number)
        else:
            seen.add(custom_id)
            if custom_id in wanted:
                data.found[custom_id] = index
        method = item.get("method")
        if method is None:
            problems.add("missing_required_parameter", "Missing required parameter: 'method'. Every request of a "
                         "batch needs \"method\": \"POST\".", param="method", line=number)
        elif method != "POST":
            problems.add("invalid_method", f"The method of this request is {method!r}; the Batch API only "
                         "supports 'POST'.", param="method", line=number)
        url = item.get("url")
        if url is None:
            problems.add("missing_required_parameter", f"Missing required parameter: 'url'. Every request of this "
                         f"batch needs \"url\": \"{endpoint}\" (the batch's endpoint).", param="url", line=number)
        elif url != endpoint:
            problems.add("url_mismatch", f"The url of this request ({url!r}) does not match the batch's endpoint "
                         f"({endpoint!r}). Every request in a batch must use the batch's endpoint.",
                         param="url", line=number)
        body = item.get("body")
        if not isinstance(body, dict):
            problems.add("missing_required_parameter" if body is None else "invalid_type",
                         "Each request needs a body: a JSON object with the request's parameters.",
                         param="body", line=number)
            continue
        model = body.get("model")
        if isinstance(model, str) and model:
            if models and model not in models:
                first, first_line = next(iter(models.items()))
                problems.add("model_mismatch", f"The model of this request ({model!r}) differs from the model of "
                             f"line {first_line} ({first!r}). A batch input file can only use one model.",
                             param="body.model", line=number)
            models.setdefault(model, number)
        elif endpoint not in MODEL_OPTIONAL:
            problems.add("missing_required_parameter", "This request's body has no model. Every request needs "
                         "one, and all requests in a file must use the same model.", param="body.model",
                         line=number)
        missing = missing_field(required, body)
        if missing is not None:
            data.rejects[index] = missing
        elif plans is not None and plan is not None and isinstance(custom_id, str) and isinstance(model, str) \
                and model:
            kept = plan(body)
            if kept is not None:
                plans[index] = (custom_id, kept)
        if count_tasks is not None:
            tasks += count_tasks(body)
    if not data.starts and not problems.count:
        problems.add("empty_file", "The input file is empty: it holds no requests.", param="input_file_id")
    if lines is not None and count_tasks is not None and tasks > lines.max_tasks and not problems.count:
        problems.add("too_many_tasks", f"The requests of this {endpoint} batch hold {tasks:,} {lines.task_noun}; "
                     f"such a batch can hold at most {lines.max_tasks:,} {lines.task_noun} across all requests.",
                     param=lines.task_param)
    if problems.count > len(problems.items):
        problems.items.append({"code": "too_many_errors", "message": f"{problems.count - len(problems.items)} "
                               "more errors are not listed.", "param": None, "line": None})
    data.problems = problems.items
    data.model = next(iter(models), None)
    data.plans = plans
    return data
