"""What each seed client library decodes, as executable checks.

One checker per client type in ``compat/SEED_CLIENTS.md`` (cited "SC §n"). Each
takes one JSON object and returns human-readable violations (empty: the client
reads it), worded like the decoder's own error. They mirror SC §2 rule by rule:
required non-null fields, enums, integer widths, tool shapes tried in order,
metadata value types, last_error code sets, status sets. Types marked "(x)" are
the non-seed siblings from the same crates that SC §3 and §4 also checked.

``PROFILE_CHECKERS`` says which checkers each compat profile promises, per object
kind (``run``, ``step``, ``batch``, ``list:<kind>``); ``portable`` promises all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Checker = Callable[[Any], list[str]]

I32 = (-(2**31), 2**31 - 1)
I64 = (-(2**63), 2**63 - 1)
U32 = (0, 2**32 - 1)
U64 = (0, 2**64 - 1)
_RANGES = {"i32": I32, "i64": I64, "u32": U32, "u64": U64}

RUN_STATUSES_V2 = ("queued", "in_progress", "requires_action", "cancelling", "cancelled", "failed", "completed",
                   "incomplete", "expired")
BATCH_STATUSES = ("validating", "failed", "in_progress", "finalizing", "completed", "expired", "cancelling",
                  "cancelled")


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"number {value}"
    if isinstance(value, str):
        return f"string {value!r}"
    return "array" if isinstance(value, list) else "map" if isinstance(value, dict) else type(value).__name__


def type_problem(value: Any, kind: str) -> str | None:
    """None when ``value`` decodes as ``kind`` (str, bool, f32, map, seq, i32/i64/u32/u64, any)."""
    if kind == "any":
        return None
    if kind in _RANGES:
        low, high = _RANGES[kind]
        if isinstance(value, bool) or not isinstance(value, int):
            return f"invalid type: {_describe(value)}, expected {kind}"
        if not low <= value <= high:
            return f"invalid value: integer {value}, expected {kind}"
        return None
    ok = {"str": lambda v: isinstance(v, str), "bool": lambda v: isinstance(v, bool),
          "f32": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
          "map": lambda v: isinstance(v, dict), "seq": lambda v: isinstance(v, list)}[kind](value)
    return None if ok else f"invalid type: {_describe(value)}, expected {kind}"


class Reader:
    """Collects violations while walking one object, like a decoder would."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.problems: list[str] = []

    def fail(self, where: str, message: str) -> None:
        self.problems.append(f"{self.label}: {where}: {message}")

    def required(self, obj: Any, key: str, kind: str, where: str = "$") -> bool:
        """Present, non-null and of ``kind``; True when it is."""
        path = f"{where}.{key}"
        if not isinstance(obj, dict):
            self.fail(where, f"invalid type: {_describe(obj)}, expected map")
            return False
        if key not in obj:
            self.fail(path, "missing field")
            return False
        if obj[key] is None:
            self.fail(path, f"invalid type: null, expected {kind}")
            return False
        problem = type_problem(obj[key], kind)
        if problem:
            self.fail(path, problem)
        return problem is None

    def optional(self, obj: dict[str, Any], key: str, kind: str, where: str = "$") -> bool:
        """Missing or null is fine; True when a value is there and of ``kind``."""
        if obj.get(key) is None:
            return False
        problem = type_problem(obj[key], kind)
        if problem:
            self.fail(f"{where}.{key}", problem)
        return problem is None

    def enum(self, obj: dict[str, Any], key: str, values: tuple[str, ...], where: str = "$", *,
             required: bool = True) -> None:
        present = self.required(obj, key, "str", where) if required else self.optional(obj, key, "str", where)
        if present and obj[key] not in values:
            self.fail(f"{where}.{key}", f"unknown variant {obj[key]!r}, expected one of {', '.join(values)}")

    def string_map(self, obj: dict[str, Any], key: str, where: str = "$") -> None:
        """``HashMap<String, String>`` (api_openai's Metadata): every value a string."""
        if self.optional(obj, key, "map", where):
            for name, value in obj[key].items():
                if not isinstance(value, str):
                    self.fail(f"{where}.{key}.{name}", f"invalid type: {_describe(value)}, expected a string")

    def ints(self, obj: Any, keys: tuple[str, ...], kind: str, where: str) -> None:
        for key in keys:
            self.required(obj, key, kind, where)


# ----------------------------------------------------------------------------- A: oxillama

def oxillama_run(run: Any) -> list[str]:
    """SC §2 A: oxillama-server 0.1.3 ``Run``."""
    r = Reader("oxillama Run")
    for key in ("id", "object", "thread_id", "model"):
        r.required(run, key, "str")
    r.required(run, "created_at", "i64")
    r.enum(run, "status", ("queued", "in_progress", "completed", "cancelled", "failed", "expired"))
    if isinstance(run, dict) and r.optional(run, "last_error", "map"):
        r.required(run["last_error"], "code", "str", "$.last_error")
        r.required(run["last_error"], "message", "str", "$.last_error")
    return r.problems


def oxillama_step(step: Any) -> list[str]:
    """(x) SC §2 A sibling ``RunStep``: ``step_type``, ``step_details: Option<{message_id}>``, u64, 4 statuses."""
    r = Reader("(x) oxillama RunStep")
    for key in ("id", "object", "run_id", "thread_id"):
        r.required(step, key, "str")
    r.enum(step, "step_type", ("message_creation", "tool_calls"))
    r.enum(step, "status", ("in_progress", "completed", "failed", "cancelled"))
    r.required(step, "created_at", "u64")
    if isinstance(step, dict):
        r.optional(step, "completed_at", "u64")
        r.optional(step, "failed_at", "u64")
        if r.optional(step, "step_details", "map"):
            r.required(step["step_details"], "message_id", "str", "$.step_details")
    return r.problems


def oxillama_batch(batch: Any) -> list[str]:
    """(x) SC §2 A/E siblings: oxillama ``Batch`` needs a non-null ``request_counts``; 8 statuses."""
    r = Reader("(x) oxillama Batch")
    if r.required(batch, "request_counts", "map"):
        r.ints(batch["request_counts"], ("total", "completed", "failed"), "u64", "$.request_counts")
    r.enum(batch, "status", BATCH_STATUSES)
    return r.problems


# ----------------------------------------------------------------------------- B, E: api_openai

def _api_tool(r: Reader, tool: Any, where: str) -> None:
    """``Tool``, ``#[serde(tag = "type")]`` over the Responses-API tool set (SC §2 B)."""
    if not r.required(tool, "type", "str", where):
        return
    kind = tool["type"]
    if kind == "function":  # flat FunctionTool
        r.required(tool, "name", "str", where)
        if "parameters" not in tool:
            r.fail(f"{where}.parameters", "missing field")
        r.optional(tool, "description", "str", where)
        r.optional(tool, "strict", "bool", where)
    elif kind == "file_search":  # a unit struct: nothing but the tag
        if set(tool) - {"type"}:
            r.fail(where, "invalid type: map, expected unit struct FileSearchTool")
    elif kind == "computer_use_preview":
        for key in ("display_height", "display_width", "environment"):
            if key not in tool:
                r.fail(f"{where}.{key}", "missing field")
    elif kind != "web_search_preview":
        r.fail(f"{where}.type", f"unknown variant {kind!r}, expected one of computer_use_preview, file_search, "
                                "function, web_search_preview")


def api_openai_run(run: Any) -> list[str]:
    """SC §2 B: api_openai 0.3.0 ``RunObject``."""
    r = Reader("api_openai RunObject")
    for key in ("id", "object", "thread_id", "assistant_id", "model", "status"):
        r.required(run, key, "str")  # status is a plain String: any value
    r.required(run, "created_at", "i64")
    r.required(run, "parallel_tool_calls", "bool")
    if r.required(run, "tools", "seq"):
        for i, tool in enumerate(run["tools"]):
            _api_tool(r, tool, f"$.tools[{i}]")
    if not isinstance(run, dict):
        return r.problems
    for key in ("expires_at", "started_at", "cancelled_at", "failed_at", "completed_at"):
        r.optional(run, key, "i64")
    r.optional(run, "instructions", "str")
    r.optional(run, "temperature", "f32")
    r.optional(run, "top_p", "f32")
    r.optional(run, "max_prompt_tokens", "i32")
    r.optional(run, "max_completion_tokens", "i32")
    r.string_map(run, "metadata")
    if r.optional(run, "last_error", "map"):
        r.required(run["last_error"], "code", "str", "$.last_error")  # any code
        r.required(run["last_error"], "message", "str", "$.last_error")
    if r.optional(run, "incomplete_details", "map"):
        r.required(run["incomplete_details"], "reason", "str", "$.incomplete_details")
    if r.optional(run, "usage", "map"):
        r.ints(run["usage"], ("completion_tokens", "prompt_tokens", "total_tokens"), "i32", "$.usage")
    if r.optional(run, "truncation_strategy", "map"):
        r.required(run["truncation_strategy"], "type", "str", "$.truncation_strategy")
        r.optional(run["truncation_strategy"], "last_messages", "i32", "$.truncation_strategy")
    if r.optional(run, "required_action", "map"):
        action = run["required_action"]
        r.required(action, "type", "str", "$.required_action")
        if r.required(action, "submit_tool_outputs", "map", "$.required_action") and r.required(
                action["submit_tool_outputs"], "tool_calls", "seq", "$.required_action.submit_tool_outputs"):
            for i, call in enumerate(action["submit_tool_outputs"]["tool_calls"]):
                where = f"$.required_action.submit_tool_outputs.tool_calls[{i}]"
                r.required(call, "id", "str", where)
                r.required(call, "type", "str", where)
                if r.required(call, "function", "map", where):
                    r.required(call["function"], "name", "str", where + ".function")
                    r.required(call["function"], "arguments", "str", where + ".function")
    choice = run.get("tool_choice")  # untagged: any string, or {type, function?: {name}}
    if (choice is not None and not isinstance(choice, str) and r.optional(run, "tool_choice", "map")
            and r.required(choice, "type", "str", "$.tool_choice")
            and r.optional(choice, "function", "map", "$.tool_choice")):
        r.required(choice["function"], "name", "str", "$.tool_choice.function")
    fmt = run.get("response_format")  # untagged: any string, or any map with a string `type` (Text)
    if fmt is not None and not isinstance(fmt, str) and r.optional(run, "response_format", "map"):
        r.required(fmt, "type", "str", "$.response_format")
    return r.problems


def api_openai_step(step: Any) -> list[str]:
    """(x) SC §2 B sibling ``RunStepObject``: required assistant_id, ``expired_at``, typed untagged details."""
    r = Reader("(x) api_openai RunStepObject")
    for key in ("id", "object", "assistant_id", "thread_id", "run_id", "type", "status"):
        r.required(step, key, "str")
    r.required(step, "created_at", "i64")
    if r.required(step, "step_details", "map") and r.required(step["step_details"], "type", "str", "$.step_details"):
        for i, call in enumerate(step["step_details"].get("tool_calls") or []):
            r.enum(call, "type", ("code_interpreter", "file_search", "function"), f"$.step_details.tool_calls[{i}]")
    if isinstance(step, dict):
        for key in ("expired_at", "cancelled_at", "failed_at", "completed_at"):
            r.optional(step, key, "i64")
        r.string_map(step, "metadata")
    return r.problems


def api_openai_batch(batch: Any) -> list[str]:
    """SC §2 E: api_openai 0.3.0 ``Batch``."""
    r = Reader("api_openai Batch")
    for key in ("id", "object", "endpoint", "input_file_id", "completion_window", "status"):
        r.required(batch, key, "str")  # status: any string
    r.required(batch, "created_at", "i64")
    if not isinstance(batch, dict):
        return r.problems
    for key in ("in_progress_at", "expires_at", "finalizing_at", "completed_at", "failed_at", "expired_at",
                "cancelling_at", "cancelled_at"):
        r.optional(batch, key, "i64")
    r.optional(batch, "output_file_id", "str")
    r.optional(batch, "error_file_id", "str")
    if r.optional(batch, "errors", "map"):
        errors = batch["errors"]
        r.optional(errors, "object", "str", "$.errors")
        if r.optional(errors, "data", "seq", "$.errors"):
            for i, item in enumerate(errors["data"]):
                where = f"$.errors.data[{i}]"
                if type_problem(item, "map"):
                    r.fail(where, type_problem(item, "map") or "")
                    continue
                for key in ("code", "message", "param"):
                    r.optional(item, key, "str", where)
                r.optional(item, "line", "i64", where)
    if r.optional(batch, "request_counts", "map"):
        r.ints(batch["request_counts"], ("total", "completed", "failed"), "i64", "$.request_counts")
    r.string_map(batch, "metadata")
    return r.problems


def _string_id_list(client: str) -> Callable[[Any], list[str]]:
    """A list envelope whose ``first_id``/``last_id`` must be strings (never null, even when empty)."""
    def check(page: Any) -> list[str]:
        r = Reader(client)
        r.required(page, "object", "str")
        r.required(page, "data", "seq")
        r.required(page, "first_id", "str")
        r.required(page, "last_id", "str")
        r.required(page, "has_more", "bool")
        return r.problems

    return check


# (x) SC §2 B siblings: ``ListRunsResponse`` / ``ListRunStepsResponse`` need string first_id/last_id.
api_openai_list = _string_id_list("(x) api_openai ListRunsResponse")


def api_openai_batch_list(page: Any) -> list[str]:
    """SC §2 E: ``ListBatchesResponse``; first_id/last_id are Option."""
    r = Reader("api_openai ListBatchesResponse")
    r.required(page, "object", "str")
    r.required(page, "data", "seq")
    if isinstance(page, dict):
        r.optional(page, "first_id", "str")
        r.optional(page, "last_id", "str")
    r.required(page, "has_more", "bool")
    return r.problems


# ----------------------------------------------------------------------------- C: async-openai

def _async_tool_call(r: Reader, call: Any, where: str) -> None:
    """``RunStepDetailsToolCalls``, tagged by ``type`` (SC §2 C)."""
    if not r.required(call, "type", "str", where):
        return
    kind = call["type"]
    r.required(call, "id", "str", where)
    if kind == "code_interpreter":
        if r.required(call, "code_interpreter", "map", where):
            body, at = call["code_interpreter"], where + ".code_interpreter"
            r.required(body, "input", "str", at)
            if r.required(body, "outputs", "seq", at):
                for i, out in enumerate(body["outputs"]):
                    item = f"{at}.outputs[{i}]"
                    r.enum(out, "type", ("logs", "image"), item)
                    if out.get("type") == "logs":
                        r.required(out, "logs", "str", item)
                    elif out.get("type") == "image" and r.required(out, "image", "map", item):
                        r.required(out["image"], "file_id", "str", item + ".image")
                        r.enum(out["image"], "detail", ("auto", "low", "high"), item + ".image", required=False)
    elif kind == "file_search":
        if r.required(call, "file_search", "map", where):
            body, at = call["file_search"], where + ".file_search"
            if r.optional(body, "ranking_options", "map", at):
                r.enum(body["ranking_options"], "ranker", ("auto", "default_2024_08_21"), at + ".ranking_options",
                       required=False)
                r.required(body["ranking_options"], "score_threshold", "f32", at + ".ranking_options")
            if r.optional(body, "results", "seq", at):
                for i, result in enumerate(body["results"]):
                    r.required(result, "file_id", "str", f"{at}.results[{i}]")
                    r.required(result, "file_name", "str", f"{at}.results[{i}]")
                    r.required(result, "score", "f32", f"{at}.results[{i}]")
    elif kind == "function":
        if r.required(call, "function", "map", where):
            r.required(call["function"], "name", "str", where + ".function")
            r.required(call["function"], "arguments", "str", where + ".function")
            r.optional(call["function"], "output", "str", where + ".function")
    else:
        r.fail(f"{where}.type", f"unknown variant {kind!r}, expected one of code_interpreter, file_search, function")


def async_openai_step(step: Any) -> list[str]:
    """SC §2 C: async-openai 0.23-0.30.1 ``RunStepObject``."""
    r = Reader("async-openai RunStepObject")
    for key in ("id", "object", "thread_id", "run_id"):
        r.required(step, key, "str")
    r.required(step, "created_at", "i32")
    r.enum(step, "type", ("message_creation", "tool_calls"))
    r.enum(step, "status", RUN_STATUSES_V2)
    if r.required(step, "step_details", "map"):
        details = step["step_details"]
        r.enum(details, "type", ("message_creation", "tool_calls"), "$.step_details")
        if details.get("type") == "message_creation" and r.required(
                details, "message_creation", "map", "$.step_details"):
            r.required(details["message_creation"], "message_id", "str", "$.step_details.message_creation")
        elif details.get("type") == "tool_calls" and r.required(details, "tool_calls", "seq", "$.step_details"):
            for i, call in enumerate(details["tool_calls"]):
                _async_tool_call(r, call, f"$.step_details.tool_calls[{i}]")
    if not isinstance(step, dict):
        return r.problems
    r.optional(step, "assistant_id", "str")
    for key in ("expires_at", "cancelled_at", "failed_at", "completed_at"):
        r.optional(step, key, "i32")
    if r.optional(step, "last_error", "map"):
        r.enum(step["last_error"], "code", ("server_error", "rate_limit_exceeded", "invalid_prompt"), "$.last_error")
        r.required(step["last_error"], "message", "str", "$.last_error")
    r.optional(step, "metadata", "map")
    if r.optional(step, "usage", "map"):
        r.ints(step["usage"], ("completion_tokens", "prompt_tokens", "total_tokens"), "u32", "$.usage")
    return r.problems


def async_openai_run(run: Any) -> list[str]:
    """(x) async-openai 0.30.1 ``RunObject``, from the SC §3 run table and the §4.1 notes."""
    r = Reader("(x) async-openai RunObject")
    for key in ("id", "object", "thread_id", "model", "instructions"):
        r.required(run, key, "str")
    r.required(run, "created_at", "i32")
    r.enum(run, "status", RUN_STATUSES_V2)
    r.required(run, "parallel_tool_calls", "bool")
    if r.required(run, "tools", "seq"):
        for i, tool in enumerate(run["tools"]):
            where = f"$.tools[{i}]"
            r.enum(tool, "type", ("code_interpreter", "file_search", "function"), where)
            if isinstance(tool, dict) and tool.get("type") == "function" and r.required(tool, "function", "map",
                                                                                        where):
                r.required(tool["function"], "name", "str", where + ".function")
    if not isinstance(run, dict):
        return r.problems
    r.optional(run, "assistant_id", "str")
    for key in ("expires_at", "started_at", "cancelled_at", "failed_at", "completed_at"):
        r.optional(run, key, "i32")
    r.optional(run, "max_prompt_tokens", "u32")
    r.optional(run, "max_completion_tokens", "u32")
    if r.optional(run, "last_error", "map"):
        r.enum(run["last_error"], "code", ("server_error", "rate_limit_exceeded", "invalid_prompt"), "$.last_error")
        r.required(run["last_error"], "message", "str", "$.last_error")
    if r.optional(run, "usage", "map"):
        r.ints(run["usage"], ("completion_tokens", "prompt_tokens", "total_tokens"), "u32", "$.usage")
    if r.optional(run, "truncation_strategy", "map"):
        r.enum(run["truncation_strategy"], "type", ("auto", "last_messages"), "$.truncation_strategy")
    choice = run.get("tool_choice")
    if isinstance(choice, str):
        r.enum(run, "tool_choice", ("none", "auto", "required"))
    elif choice is not None and r.optional(run, "tool_choice", "map"):
        r.required(choice, "type", "str", "$.tool_choice")
    fmt = run.get("response_format")
    if isinstance(fmt, str):
        r.enum(run, "response_format", ("auto",))
    elif fmt is not None and r.optional(run, "response_format", "map"):
        r.enum(fmt, "type", ("text", "json_object", "json_schema"), "$.response_format")
        if fmt.get("type") == "json_schema" and r.required(fmt, "json_schema", "map", "$.response_format"):
            r.required(fmt["json_schema"], "name", "str", "$.response_format.json_schema")
    return r.problems


def async_openai_batch(batch: Any) -> list[str]:
    """(x) SC §2 E sibling: async-openai 0.30.1 ``Batch`` (8-status enum, strict errors, u32 times)."""
    r = Reader("(x) async-openai Batch")
    for key in ("id", "object", "endpoint", "input_file_id", "completion_window"):
        r.required(batch, key, "str")
    r.enum(batch, "status", BATCH_STATUSES)
    r.required(batch, "created_at", "u32")
    if not isinstance(batch, dict):
        return r.problems
    for key in ("in_progress_at", "expires_at", "finalizing_at", "completed_at", "failed_at", "expired_at",
                "cancelling_at", "cancelled_at"):
        r.optional(batch, key, "u32")
    if r.optional(batch, "errors", "map"):
        r.required(batch["errors"], "object", "str", "$.errors")
        if r.required(batch["errors"], "data", "seq", "$.errors"):
            for i, item in enumerate(batch["errors"]["data"]):
                r.required(item, "code", "str", f"$.errors.data[{i}]")
                r.required(item, "message", "str", f"$.errors.data[{i}]")
    if r.optional(batch, "request_counts", "map"):
        r.ints(batch["request_counts"], ("total", "completed", "failed"), "u32", "$.request_counts")
    return r.problems


# ----------------------------------------------------------------------------- D: zio-openai

_ZIO_RUN_STATUSES = ("queued", "in_progress", "requires_action", "cancelling", "cancelled", "failed", "completed",
                     "expired")
_ZIO_ERROR_CODES = ("server_error", "rate_limit_exceeded")


def _zio_usage(r: Reader, obj: dict[str, Any]) -> None:
    """A bare ``$ref`` to the usage schema: required and non-null (SC §2 D)."""
    if r.required(obj, "usage", "map"):
        r.ints(obj["usage"], ("completion_tokens", "prompt_tokens", "total_tokens"), "i32", "$.usage")


def _zio_tool(r: Reader, tool: Any, where: str) -> None:
    """``oneOf`` tried in order: code_interpreter, retrieval, nested function (SC §2 D)."""
    kind = tool.get("type") if isinstance(tool, dict) else None
    if kind in ("code_interpreter", "retrieval"):
        return
    function = tool.get("function") if kind == "function" else None
    if (isinstance(function, dict) and isinstance(function.get("name"), str)
            and (function.get("description") is None or isinstance(function["description"], str))
            and (function.get("parameters") is None or isinstance(function["parameters"], dict))):
        return
    r.fail(where, "none of the subtypes could decode the data")


def _zio_last_error(r: Reader, obj: dict[str, Any]) -> None:
    if r.optional(obj, "last_error", "map"):
        r.enum(obj["last_error"], "code", _ZIO_ERROR_CODES, "$.last_error")
        r.required(obj["last_error"], "message", "str", "$.last_error")


def zio_run(run: Any) -> list[str]:
    """SC §2 D: zio-openai 0.4.1 ``RunObject`` (OpenAI spec of 2024-02)."""
    r = Reader("zio-openai RunObject")
    for key in ("id", "thread_id", "assistant_id", "model", "instructions"):
        r.required(run, key, "str")
    if r.required(run, "object", "str") and run["object"] != "thread.run":
        r.fail("$.object", f"Invalid value: {run['object']}")
    r.required(run, "created_at", "i32")
    r.required(run, "expires_at", "i32")
    if r.required(run, "status", "str") and run["status"] not in _ZIO_RUN_STATUSES:
        r.fail("$.status", f"Invalid value: {run['status']}")
    if r.required(run, "tools", "seq"):
        for i, tool in enumerate(run["tools"]):
            _zio_tool(r, tool, f"$.tools[{i}]")
    if r.required(run, "file_ids", "seq"):
        for i, file_id in enumerate(run["file_ids"]):
            if not isinstance(file_id, str):
                r.fail(f"$.file_ids[{i}]", f"expected String, got {_describe(file_id)}")
    if not isinstance(run, dict):
        return r.problems
    _zio_usage(r, run)
    _zio_last_error(r, run)
    for key in ("started_at", "cancelled_at", "failed_at", "completed_at"):
        r.optional(run, key, "i32")
    r.optional(run, "metadata", "map")
    if r.optional(run, "required_action", "map"):
        action = run["required_action"]
        r.enum(action, "type", ("submit_tool_outputs",), "$.required_action")
        if r.required(action, "submit_tool_outputs", "map", "$.required_action") and r.required(
                action["submit_tool_outputs"], "tool_calls", "seq", "$.required_action.submit_tool_outputs"):
            for i, call in enumerate(action["submit_tool_outputs"]["tool_calls"]):
                where = f"$.required_action.submit_tool_outputs.tool_calls[{i}]"
                r.required(call, "id", "str", where)
                r.enum(call, "type", ("function",), where)
                if r.required(call, "function", "map", where):
                    r.required(call["function"], "name", "str", where + ".function")
                    r.required(call["function"], "arguments", "str", where + ".function")
    return r.problems


def zio_step(step: Any) -> list[str]:
    """(x) SC §2 D sibling ``RunStepObject``: required assistant_id and usage, v1 tool calls, 2 error codes."""
    r = Reader("(x) zio-openai RunStepObject")
    for key in ("id", "object", "assistant_id", "thread_id", "run_id"):
        r.required(step, key, "str")
    r.required(step, "created_at", "i32")
    if r.required(step, "type", "str") and step["type"] not in ("message_creation", "tool_calls"):
        r.fail("$.type", f"Invalid value: {step['type']}")
    if r.required(step, "status", "str") and step["status"] not in (
            "in_progress", "cancelled", "failed", "completed", "expired"):
        r.fail("$.status", f"Invalid value: {step['status']}")
    if r.required(step, "step_details", "map"):
        details = step["step_details"]
        kind = details.get("type")
        if kind == "message_creation":
            if not isinstance((details.get("message_creation") or {}).get("message_id"), str):
                r.fail("$.step_details", "none of the subtypes could decode the data")
        elif kind == "tool_calls" and isinstance(details.get("tool_calls"), list):
            for i, call in enumerate(details["tool_calls"]):
                if not isinstance(call, dict) or call.get("type") not in ("code_interpreter", "retrieval", "function"):
                    r.fail(f"$.step_details.tool_calls[{i}]", "none of the subtypes could decode the data")
        else:
            r.fail("$.step_details", "none of the subtypes could decode the data")
    if not isinstance(step, dict):
        return r.problems
    _zio_usage(r, step)
    _zio_last_error(r, step)
    for key in ("expired_at", "cancelled_at", "failed_at", "completed_at"):
        r.optional(step, key, "i32")
    r.optional(step, "metadata", "map")
    return r.problems


# SC §2 D: zio list envelopes need string first_id/last_id.
zio_list = _string_id_list("zio-openai List*Response")


# ----------------------------------------------------------------------------- per profile

_OXILLAMA = {"run": [oxillama_run], "step": [oxillama_step], "batch": [oxillama_batch]}
_API_OPENAI = {"run": [api_openai_run], "step": [api_openai_step], "batch": [api_openai_batch],
               "list:run": [api_openai_list], "list:step": [api_openai_list], "list:batch": [api_openai_batch_list]}
_ASYNC_OPENAI = {"run": [async_openai_run], "step": [async_openai_step], "batch": [async_openai_batch]}
_ZIO_OPENAI = {"run": [zio_run], "step": [zio_step],
               **{f"list:{k}": [zio_list] for k in ("assistant", "message", "run", "step", "file")}}


def _union(*tables: dict[str, list[Checker]]) -> dict[str, list[Checker]]:
    out: dict[str, list[Checker]] = {}
    for table in tables:
        for kind, checkers in table.items():
            out.setdefault(kind, []).extend(checkers)
    return out


PROFILE_CHECKERS: dict[str, dict[str, list[Checker]]] = {
    "oxillama": _OXILLAMA,
    "api-openai": _API_OPENAI,
    "async-openai": _ASYNC_OPENAI,
    "zio-openai": _ZIO_OPENAI,
    "portable": _union(_OXILLAMA, _API_OPENAI, _ASYNC_OPENAI, _ZIO_OPENAI),
}


def check(profile: str, kind: str, obj: Any) -> list[str]:
    """Every violation of ``obj`` (an object of ``kind``) against what ``profile`` promises."""
    return [problem for checker in PROFILE_CHECKERS[profile].get(kind, ()) for problem in checker(obj)]
