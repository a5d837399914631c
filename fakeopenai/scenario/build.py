"""Turn schema-valid scenario data into the immutable model, checking the rules a
JSON Schema cannot express. Every problem carries its position.

The common keys (seed, clock, compat, faults ...) are read here; each family's ``build``
reads its own keys with the :class:`Builder`'s helpers (positions, durations, text matches).
"""

from __future__ import annotations

import datetime
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fakeopenai.core.clock import DEFAULT_START, parse_duration, parse_start
from fakeopenai.core.errors import retry_at_once
from fakeopenai.scenario.matching import TextMatch
from fakeopenai.scenario.model import Fault, Scenario, StreamOptions
from fakeopenai.scenario.problems import Positions, Problem, ScenarioError, format_path
from fakeopenai.scenario.validation import schema_problems


class Builder:
    """Collects problems (with positions) while the families read their parts."""

    def __init__(self, positions: Positions, base_dir: Path | None, allow_paths: bool) -> None:
        self.positions = positions
        self.base_dir = base_dir
        self.allow_paths = allow_paths
        self.problems: list[Problem] = []
        self.read_disk = False
        self.stream = StreamOptions()
        self._pinned: dict[str, tuple[Any, ...]] = {}

    def error(self, path: tuple[Any, ...], message: str, *, key: bool = False) -> None:
        self.problems.append(self.positions.problem(path, message, key=key))

    @staticmethod
    def nth(positions: list[tuple[int, int]], index: int) -> tuple[int, int] | tuple[None, None]:
        return positions[index] if index < len(positions) else (None, None)

    def pin(self, path: tuple[Any, ...], item: dict[str, Any]) -> None:
        """A seeded object's ``id``: unique across every family's seeds."""
        object_id = item.get("id")
        if object_id is None:
            return
        if object_id in self._pinned:
            self.error(path + ("id",), f"duplicate id {object_id!r} (also at {format_path(self._pinned[object_id])})")
        self._pinned[object_id] = path

    # ------------------------------------------------------------------ top level
    def scenario(self, data: dict[str, Any], default_name: str) -> Scenario:
        from fakeopenai.core.registry import families

        clock = data.get("clock") or {}
        start = DEFAULT_START
        if "start" in clock:
            try:
                start = parse_start(clock["start"])
            except ValueError as exc:
                self.error(("clock", "start"), f"invalid time {clock['start']!r}: {exc}; "
                           "write e.g. \"2025-01-01T00:00:00Z\" or Unix seconds")
        self.stream = self.stream_options(data.get("stream")) or StreamOptions()
        scripts: dict[str, tuple[Any, ...]] = {}
        parts: dict[str, Any] = {}
        entries: list[Any] = []
        for family in families():
            if family.build is not None:
                built = family.build(self, data)
                scripts.update(built.scripts)
                if built.part is not None:
                    parts[family.name] = built.part
                entries.extend(built.entries)
        if data.get("conversations"):
            from fakeopenai.scenario.conversation import build_conversations

            scripts["conversations"] = build_conversations(self, data)
        fault_positions = self.positions.item_positions(("faults",))
        faults = tuple(replace(self.fault(i, f), line=at[0], column=at[1])
                       for i, f in enumerate(data.get("faults") or []) for at in [self.nth(fault_positions, i)])
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
            unknown_models=data.get("unknown_models", "allow"),
            unknown_params=data.get("unknown_params", "warn"),
            unknown_ids=data.get("unknown_ids", "error"),
            strict=bool(data.get("strict", False)),
            stream=self.stream,
            faults=faults,
            scripts=scripts,
            parts=parts,
            entries=tuple(entries),
            reads_disk=self.read_disk,
            pinned=frozenset(key for key in ("seed", "compat", "unknown_ids") if key in data),
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

    # ------------------------------------------------------------------ faults
    def fault(self, index: int, data: dict[str, Any]) -> Fault:
        path = ("faults", index)
        pattern = (data.get("match") or {}).get("path")
        if pattern is not None:
            problem = fault_path_problem(pattern)
            if problem:
                self.error(path + ("match", "path"), problem)
        if "after_events" in data or "stall" in data or "malformed" in data or "close" in data:
            return self.stream_fault(index, data)
        effects = {"status", "delay_ms", "disconnect", "body"} & data.keys()
        if not effects:
            self.error(path, "a fault needs at least one of status, delay_ms, disconnect or body (or, in a "
                       "stream, after_events with disconnect, stall or malformed)")
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
        headers.update(retry_at_once(status or 0, headers))   # unless the fault sets a retry header
        return Fault(
            index=index, name=data.get("name") or f"faults[{index}]",
            method=match["method"].upper() if "method" in match else None, path=match.get("path"),
            body=match.get("body"), after=data.get("after", 0), times=self.times(data.get("times")),
            status=status, error=data.get("error"), headers=headers, delay_ms=data.get("delay_ms", 0),
            disconnect=bool(data.get("disconnect", False)), raw_body=data.get("body"))

    def stream_fault(self, index: int, data: dict[str, Any]) -> Fault:
        """``after_events: N`` with ``disconnect``, ``stall``, ``malformed`` or (a WebSocket) ``close``: a fault
        in a stream."""
        path = ("faults", index)
        if "after_events" not in data:
            key: str = next(k for k in ("stall", "malformed", "close") if k in data)
            self.error(path + (key,), f"{key} happens in a stream: give after_events too (the events to let "
                       "through first)", key=True)
        elif not (data.get("disconnect") or "stall" in data or data.get("malformed") or "close" in data):
            self.error(path + ("after_events",), "after_events needs what happens then: disconnect: true, "
                       "stall: DURATION, malformed: true or (a WebSocket) close: CODE", key=True)
        for key in ("status", "body", "error", "headers", "delay_ms"):
            if key in data:
                self.error(path + (key,), f"{key} answers a request, which a stream fault does not (it plays "
                           "inside the streamed answer); use a second fault for it", key=True)
        match = data.get("match") or {}
        return Fault(
            index=index, name=data.get("name") or f"faults[{index}]",
            method=match["method"].upper() if "method" in match else None, path=match.get("path"),
            body=match.get("body"), after=data.get("after", 0), times=self.times(data.get("times")),
            disconnect=bool(data.get("disconnect", False)), after_events=data.get("after_events"),
            stall=self.duration(path + ("stall",), data.get("stall")), malformed=bool(data.get("malformed", False)),
            close=data.get("close"))

    # ------------------------------------------------------------------ seeded files
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


def fault_path_problem(pattern: str) -> str | None:
    """Why a fault's ``match.path`` can never match a request (and what would), or None.

    The glob is matched against the request's path alone: it starts with /, has no trailing /
    (routes have none), no query string and no scheme or host."""
    fixed, reasons = pattern, []
    if "://" in fixed:
        fixed = urlsplit(fixed).path or "/"
        reasons.append("it is a full URL: give only its path")
    if "?" in fixed and "=" in fixed.split("?", 1)[1]:
        fixed = fixed.split("?", 1)[0]
        reasons.append("the query string is never part of the path matched")
    if not fixed.startswith(("/", "*")):
        fixed = "/" + fixed
        reasons.append("request paths start with /")
    if len(fixed) > 1 and fixed.endswith("/"):
        fixed = fixed.rstrip("/") or "/"
        reasons.append("request paths have no trailing /")
    if not reasons:
        return None
    return f"{pattern!r} never matches a request: {'; '.join(reasons)} (did you mean {fixed!r}?)"


def check_compat(scenario: Scenario, positions: Positions) -> list[Problem]:
    """Problems with what the scenario's compat profile cannot express (each family says what)."""
    from fakeopenai.core.compat.profiles import PROFILE_NAMES, get_profile, is_profile
    from fakeopenai.core.registry import families
    from fakeopenai.scenario.problems import did_you_mean

    if not is_profile(scenario.compat):  # a marker's or an API caller's override; files are schema-checked
        hint = did_you_mean(scenario.compat, PROFILE_NAMES)
        return [positions.problem(("compat",), f"invalid value {scenario.compat!r}; allowed values: "
                                  f"{', '.join(PROFILE_NAMES)}{hint}")]
    profile = get_profile(scenario.compat)
    if not profile.clients:
        return []
    return [positions.problem(path, message) for family in families() if family.conflicts is not None
            for path, message in family.conflicts(scenario, profile)]


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
    builder = Builder(positions, base_dir, allow_paths)
    scenario = builder.scenario(data, default_name)
    problems = builder.problems or check_compat(scenario, positions)
    if problems:
        raise ScenarioError(problems)
    return scenario
