"""Turn schema-valid scenario data into the immutable model, checking the rules a
JSON Schema cannot express. Every problem carries its position."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

from fakeopenai.clock import parse_duration, parse_start
from fakeopenai.scenario.loader import Positions, Problem, ScenarioError, schema_problems
from fakeopenai.scenario.model import (
    BATCH_TERMINAL,
    BatchMatch,
    BatchResponse,
    BatchScript,
    BatchStep,
    Fault,
    RunMatch,
    RunScript,
    RunStep,
    Scenario,
    SeedObjects,
    StreamOptions,
    TextMatch,
    ToolCallSpec,
)

_STEP_KINDS = ("status", "tool_calls", "message", "stream_error")


class _Builder:
    def __init__(self, positions: Positions, base_dir: Path | None, allow_paths: bool) -> None:
        self.positions = positions
        self.base_dir = base_dir
        self.allow_paths = allow_paths
        self.problems: list[Problem] = []
        self.read_disk = False

    def error(self, path: tuple[Any, ...], message: str, *, key: bool = False) -> None:
        self.problems.append(self.positions.problem(path, message, key=key))

    # ------------------------------------------------------------------ top level
    def scenario(self, data: dict[str, Any], default_name: str) -> Scenario:
        clock = data.get("clock") or {}
        start = 1735689600
        if "start" in clock:
            try:
                start = parse_start(clock["start"])
            except ValueError as exc:
                self.error(("clock", "start"), f"invalid time {clock['start']!r}: {exc}; "
                           "write e.g. \"2025-01-01T00:00:00Z\" or Unix seconds")
        stream = self.stream_options(data.get("stream")) or StreamOptions()
        runs_at = self.positions.item_positions(("runs",))
        runs = tuple(self.run_script(i, s, stream, _nth(runs_at, i)) for i, s in enumerate(data.get("runs") or []))
        batches_at = self.positions.item_positions(("batches",))
        batches = tuple(self.batch_script(i, s, _nth(batches_at, i))
                        for i, s in enumerate(data.get("batches") or []))
        faults = tuple(self.fault(i, f) for i, f in enumerate(data.get("faults") or []))
        objects = self.objects(data.get("objects") or {})
        return Scenario(
            name=data.get("name") or default_name,
            description=(data.get("description") or "").strip(),
            source=self.positions.source,
            seed=data.get("seed", 0),
            compat=data.get("compat", "openai"),
            clock_start=start,
            clock_step=clock.get("step", 1),
            poll_after_ms=data.get("poll_after_ms", 0),
            unmatched=data.get("unmatched", "default"),
            strict=bool(data.get("strict", False)),
            require_beta_header=bool(data.get("require_beta_header", False)),
            stream=stream,
            objects=objects,
            runs=runs,
            batches=batches,
            faults=faults,
            reads_disk=self.read_disk,
        )

    @staticmethod
    def stream_options(data: dict[str, Any] | None, base: StreamOptions | None = None) -> StreamOptions | None:
        if not data:
            return base
        base = base or StreamOptions()
        return StreamOptions(chunk_words=data.get("chunk_words", base.chunk_words),
                             chunk_chars=data.get("chunk_chars", base.chunk_chars))

    def duration(self, path: tuple[Any, ...], value: Any) -> float | None:
        if value is None:
            return None
        try:
            return parse_duration(value)
        except ValueError as exc:
            self.error(path, str(exc))
            return None

    @staticmethod
    def times(value: Any) -> int | None:
        return None if value == "always" else int(value if value is not None else 1)

    @staticmethod
    def text_match(data: dict[str, Any] | None) -> TextMatch | None:
        if data is None:
            return None
        return TextMatch(equals=data.get("equals"), contains=data.get("contains"), regex=data.get("regex"),
                         json=data.get("json"), has_json="json" in data)

    def check_regex(self, path: tuple[Any, ...], data: dict[str, Any] | None) -> None:
        import re

        if data and "regex" in data:
            try:
                re.compile(data["regex"])
            except re.error as exc:
                self.error(path + ("regex",), f"invalid regular expression: {exc}")

    # ------------------------------------------------------------------ runs
    def run_script(self, index: int, data: dict[str, Any], stream: StreamOptions,
                   at: tuple[int, int] | tuple[None, None]) -> RunScript:
        path = ("runs", index)
        match = data.get("match") or {}
        self.check_regex(path + ("match", "last_message"), match.get("last_message"))
        steps_data = data.get("steps") or []
        steps_at = self.positions.item_positions(path + ("steps",)) if steps_data else []
        steps = tuple(self.run_step(path + ("steps", i), s, _nth(steps_at, i)) for i, s in enumerate(steps_data))
        seen_ids: dict[str, int] = {}
        for i, step in enumerate(steps):
            if step.terminal or step.kind == "stream_error":
                if i != len(steps) - 1:
                    self.error(path + ("steps", i + 1),
                               f"unreachable: step {i} ({step.describe()}) ends the run; "
                               "remove the steps after it or move them before it")
                    break
            for j, call in enumerate(step.tool_calls):
                if call.id is not None:
                    if call.id in seen_ids:
                        self.error(path + ("steps", i, "tool_calls", j, "id"),
                                   f"duplicate tool call id {call.id!r} (also used in steps[{seen_ids[call.id]}])")
                    seen_ids[call.id] = i
        return RunScript(
            index=index,
            name=data.get("name") or f"runs[{index}]",
            match=RunMatch(
                assistant_id=match.get("assistant_id"), assistant_name=match.get("assistant_name"),
                model=match.get("model"), thread_id=match.get("thread_id"), metadata=match.get("metadata"),
                last_message=self.text_match(match.get("last_message"))),
            times=self.times(data.get("times")),
            steps=steps,
            stream=self.stream_options(data.get("stream"), stream) if data.get("stream") else None,
            line=at[0], column=at[1],
        )

    def run_step(self, path: tuple[Any, ...], data: dict[str, Any],
                 at: tuple[int, int] | tuple[None, None]) -> RunStep:
        kinds = [k for k in _STEP_KINDS if k in data]
        where = f"runs[{path[1]}].steps[{path[3]}]"
        if len(kinds) != 1:
            found = ", ".join(kinds) if kinds else "none"
            self.error(path, f"a step needs exactly one of {', '.join(_STEP_KINDS)} (found: {found})")
            return RunStep(kind="status", status="completed", where=where, line=at[0], column=at[1])
        kind = kinds[0]
        status = data.get("status")
        if "reads" in data and "after" in data:
            self.error(path + ("after",), "give either reads or after, not both")
        if "usage" in data and not (kind == "status" and status in ("completed", "failed", "incomplete",
                                                                     "cancelled", "expired")):
            self.error(path + ("usage",), "usage belongs on a terminal status step "
                       "(completed, failed, incomplete, cancelled, expired)", key=True)
        if "last_error" in data and status != "failed":
            self.error(path + ("last_error",), "last_error belongs on a step with status: failed", key=True)
        if "incomplete_details" in data and status != "incomplete":
            self.error(path + ("incomplete_details",),
                       "incomplete_details belongs on a step with status: incomplete", key=True)
        if "expect_outputs" in data and kind != "tool_calls":
            self.error(path + ("expect_outputs",), "expect_outputs belongs on a tool_calls step", key=True)
        usage = data.get("usage")
        if usage is not None:
            usage = dict(usage)
            prompt, completion = usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0)
            if "total_tokens" in usage and usage["total_tokens"] != prompt + completion:
                self.error(path + ("usage", "total_tokens"),
                           f"total_tokens must be prompt_tokens + completion_tokens = {prompt + completion}")
            usage = {"prompt_tokens": prompt, "completion_tokens": completion,
                     "total_tokens": prompt + completion}
        calls: list[ToolCallSpec] = []
        for j, call in enumerate(data.get("tool_calls") or []):
            arguments = call.get("arguments", {})
            if isinstance(arguments, str):
                try:
                    json.loads(arguments)
                except ValueError:
                    self.error(path + ("tool_calls", j, "arguments"),
                               "arguments given as a string must be JSON (or write a mapping)")
            else:
                arguments = json.dumps(arguments)
            calls.append(ToolCallSpec(function=call["function"], arguments=arguments, id=call.get("id")))
        expect: dict[str, TextMatch] = {}
        for key, matcher in (data.get("expect_outputs") or {}).items():
            self.check_regex(path + ("expect_outputs", key), matcher)
            known = {c.id for c in calls if c.id} | {c.function for c in calls if not c.id}
            if key not in known:
                self.error(path + ("expect_outputs", key),
                           f"no tool call {key!r} in this step; expect_outputs is keyed by the call's id "
                           f"(or its function name when the call has no id): {', '.join(sorted(known))}",
                           key=True)
            expect[key] = self.text_match(matcher) or TextMatch()
        message = data.get("message")
        text, words = None, 12
        if isinstance(message, str):
            text = message
        elif isinstance(message, dict):
            text, words = message.get("text"), message.get("words", 12)
        last_error = data.get("last_error")
        if last_error is not None:
            last_error = {"code": last_error.get("code", "server_error"), "message": last_error["message"]}
        elif status == "failed":
            last_error = {"code": "server_error", "message": "Sorry, something went wrong."}
        incomplete = data.get("incomplete_details")
        if incomplete is None and status == "incomplete":
            incomplete = {"reason": "max_completion_tokens"}
        return RunStep(
            kind=kind, where=where, status=status, tool_calls=tuple(calls), message=text,
            message_words=words, stream_error=data.get("stream_error"), reads=data.get("reads", 1),
            after=self.duration(path + ("after",), data.get("after")), usage=usage, last_error=last_error,
            incomplete_details=dict(incomplete) if incomplete else None, expect_outputs=expect,
            extra=dict(data.get("extra") or {}), line=at[0], column=at[1],
        )

    # ------------------------------------------------------------------ batches
    def batch_script(self, index: int, data: dict[str, Any], at: tuple[int, int] | tuple[None, None]) -> BatchScript:
        path = ("batches", index)
        steps: list[BatchStep] = []
        steps_at = self.positions.item_positions(path + ("steps",)) if data.get("steps") else []
        for i, step in enumerate(data.get("steps") or []):
            status = step["status"]
            if "errors" in step and status != "failed":
                self.error(path + ("steps", i, "errors"), "errors belongs on a step with status: failed", key=True)
            if "progress" in step and status in ("validating", "completed"):
                self.error(path + ("steps", i, "progress"),
                           f"progress has no meaning while {status} (it is 0 while validating and 1 when "
                           "completed); put it on in_progress, finalizing, cancelling, cancelled or expired",
                           key=True)
            if "reads" in step and "after" in step:
                self.error(path + ("steps", i, "after"), "give either reads or after, not both")
            if status in BATCH_TERMINAL and i != len(data["steps"]) - 1:
                self.error(path + ("steps", i + 1), f"unreachable: step {i} (status {status}) ends the batch")
            steps.append(BatchStep(
                status=status, where=f"batches[{index}].steps[{i}]", progress=step.get("progress"),
                reads=step.get("reads", 1), after=self.duration(path + ("steps", i, "after"), step.get("after")),
                errors=tuple(dict(e) for e in step.get("errors") or ()), line=_nth(steps_at, i)[0],
                column=_nth(steps_at, i)[1]))
        responses: list[BatchResponse] = []
        targets: dict[tuple[str, Any], int] = {}
        for j, resp in enumerate(data.get("responses") or []):
            rpath = path + ("responses", j)
            if ("custom_id" in resp) == ("line" in resp):
                self.error(rpath, "a response needs exactly one of custom_id or line")
            if "error" in resp and len({"status_code", "content", "body"} & resp.keys()):
                self.error(rpath + ("error",), "error (a request that never ran) excludes status_code, "
                           "content and body", key=True)
            if "content" in resp and "body" in resp:
                self.error(rpath + ("content",), "give either content or a full body, not both", key=True)
            if not {"error", "status_code", "content", "body"} & resp.keys():
                self.error(rpath, "a response needs one of error, status_code, content or body")
            if "content" in resp and resp.get("status_code", 200) >= 400:
                self.error(rpath + ("content",), "content is a successful answer; with a status_code of 400 "
                           "or more, give the error body under body (or leave it out for the default)", key=True)
            target = ("custom_id", resp["custom_id"]) if "custom_id" in resp else ("line", resp.get("line"))
            if target in targets:
                self.error(rpath + (target[0],), f"{target[0]} {target[1]!r} already has a response "
                           f"(responses[{targets[target]}])")
            targets.setdefault(target, j)
            responses.append(BatchResponse(
                custom_id=resp.get("custom_id"), line=resp.get("line"), error=resp.get("error"),
                status_code=resp.get("status_code"), content=resp.get("content"), body=resp.get("body")))
        match = data.get("match") or {}
        return BatchScript(
            index=index, name=data.get("name") or f"batches[{index}]",
            match=BatchMatch(endpoint=match.get("endpoint"), input_file_id=match.get("input_file_id"),
                             metadata=match.get("metadata")),
            times=self.times(data.get("times")), steps=tuple(steps), responses=tuple(responses),
            output_order=data.get("output_order", "shuffled"), line=at[0], column=at[1])

    # ------------------------------------------------------------------ faults
    def fault(self, index: int, data: dict[str, Any]) -> Fault:
        path = ("faults", index)
        effects = {"status", "delay_ms", "disconnect", "body"} & data.keys()
        if not effects:
            self.error(path, "a fault needs at least one of status, delay_ms, disconnect or body")
        if data.get("disconnect") and ({"status", "body", "error", "headers"} & data.keys()):
            self.error(path + ("disconnect",), "disconnect sends no answer, so it excludes status, "
                       "body, error and headers", key=True)
        if "error" in data and "body" in data:
            self.error(path + ("error",), "give either error (an OpenAI error body) or a raw body", key=True)
        if "error" in data and data.get("status", 400) < 400:
            self.error(path + ("error",), "error needs a status of 400 or more", key=True)
        match = data.get("match") or {}
        status = data.get("status")
        headers = {str(k).lower(): str(v) for k, v in (data.get("headers") or {}).items()}
        if status in (408, 409, 429) or (status or 0) >= 500:
            # The SDKs ignore a zero retry delay and back off ~0.5-8 s; a tiny explicit
            # delay keeps retry tests fast unless the scenario says otherwise.
            headers.setdefault("retry-after-ms", "1")
        return Fault(
            index=index, name=data.get("name") or f"faults[{index}]",
            method=match["method"].upper() if "method" in match else None, path=match.get("path"),
            body=match.get("body"), after=data.get("after", 0), times=self.times(data.get("times")),
            status=status, error=data.get("error"), headers=headers, delay_ms=data.get("delay_ms", 0),
            disconnect=bool(data.get("disconnect", False)), raw_body=data.get("body"))

    # ------------------------------------------------------------------ objects
    def objects(self, data: dict[str, Any]) -> SeedObjects:
        seen: dict[str, tuple[Any, ...]] = {}

        def pin(path: tuple[Any, ...], item: dict[str, Any]) -> None:
            object_id = item.get("id")
            if object_id is None:
                return
            if object_id in seen:
                self.error(path + ("id",), f"duplicate id {object_id!r} (also at {_fmt(seen[object_id])})")
            seen[object_id] = path

        assistants = []
        for i, item in enumerate(data.get("assistants") or []):
            pin(("objects", "assistants", i), item)
            assistants.append({"model": "gpt-4o", **item})
        threads = []
        for i, item in enumerate(data.get("threads") or []):
            pin(("objects", "threads", i), item)
            for j, message in enumerate(item.get("messages") or []):
                pin(("objects", "threads", i, "messages", j), message)
            threads.append(dict(item))
        files = []
        for i, item in enumerate(data.get("files") or []):
            path = ("objects", "files", i)
            pin(path, item)
            files.append(self.seed_file(path, item))
        return SeedObjects(assistants=tuple(assistants), threads=tuple(threads), files=tuple(files))

    def seed_file(self, path: tuple[Any, ...], item: dict[str, Any]) -> dict[str, Any]:
        if ("content" in item) == ("path" in item):
            self.error(path, "a file needs exactly one of content (inline text) or path")
            return {**item, "content": b""}
        if "content" in item:
            return {**item, "content": item["content"].encode("utf-8"),
                    "filename": item.get("filename") or "upload.jsonl"}
        if not self.allow_paths:
            self.error(path + ("path",), "scenarios loaded over HTTP may not read files from disk; "
                       "put the text under content instead", key=True)
            return {**item, "content": b""}
        self.read_disk = True
        file_path = Path(item["path"])
        if not file_path.is_absolute() and self.base_dir is not None:
            file_path = self.base_dir / file_path
        try:
            content = file_path.read_bytes()
        except OSError as exc:
            self.error(path + ("path",), f"cannot read {str(file_path)!r}: {exc.strerror}")
            content = b""
        result = {k: v for k, v in item.items() if k != "path"}
        return {**result, "content": content, "filename": item.get("filename") or file_path.name}


def _nth(positions: list[tuple[int, int]], index: int) -> tuple[int, int] | tuple[None, None]:
    return positions[index] if index < len(positions) else (None, None)


def _fmt(path: tuple[Any, ...]) -> str:
    from fakeopenai.scenario.loader import format_path

    return format_path(path)


def check_compat(scenario: Scenario, positions: Positions) -> list[Problem]:
    """Problems with what the scenario's compat profile cannot express."""
    from fakeopenai.render.profiles import scenario_conflicts

    return [positions.problem(path, message) for path, message in scenario_conflicts(scenario)]


def build_scenario(data: Any, positions: Positions, *, base_dir: Path | None, allow_paths: bool,
                   default_name: str) -> Scenario:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ScenarioError([positions.problem((), "a scenario is a mapping (name:, runs:, batches:, ...), "
                                               f"not {type(data).__name__}")])
    clock = data.get("clock")
    if isinstance(clock, dict) and isinstance(clock.get("start"), (datetime.date, datetime.datetime)):
        # YAML reads an unquoted 2025-01-01 as a date: take it as the ISO time it means.
        data = {**data, "clock": {**clock, "start": clock["start"].isoformat()}}
    problems = schema_problems(data, positions)
    if problems:
        raise ScenarioError(problems)
    builder = _Builder(positions, base_dir, allow_paths)
    scenario = builder.scenario(data, default_name)
    problems = builder.problems or check_compat(scenario, positions)
    if problems:
        raise ScenarioError(problems)
    return scenario
