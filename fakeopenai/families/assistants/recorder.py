"""Recorded threads, runs and their reads to ``runs:`` scripts (the family's ``Family.recorder``, read by
``fakeopenai record`` through the registry)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fakeopenai.record.convert.common import (
    TERMINAL,
    Converter,
    ConvertOptions,
    before_content,
    collapse,
    expect_key,
    last_error_of,
    match_of,
    text_of,
    tool_call,
    usage_of,
)
from fakeopenai.record.exchange import Exchange


@dataclass
class _Run:
    model: Any
    text: str | None
    # ("status", s) | ("calls", [(name, arguments, id)]) | ("message", text) | ("stream_error", error)
    seen: list[tuple[str, Any]] = field(default_factory=list)
    messages: dict[str, tuple[int, str]] = field(default_factory=dict)
    final: dict[str, Any] | None = None
    outputs: dict[str, Any] = field(default_factory=dict)           # call id -> the output submitted


class RunsConverter(Converter):
    """Assistants runs: the thread's last user message, the statuses each read saw, tool calls, the
    run's assistant messages (from message lists or the stream), the end."""

    key = "runs"

    def __init__(self) -> None:
        self.threads: dict[str, str] = {}
        self.runs: dict[str, _Run] = {}
        self.order: list[_Run] = []

    def _thread_text(self, thread_id: str, messages: Any) -> None:
        for m in messages or []:
            if isinstance(m, dict) and m.get("role", "user") == "user":
                text = text_of(m.get("content"))
                if text is not None:
                    self.threads[thread_id] = text

    def _observe(self, run: _Run, obj: dict[str, Any]) -> None:
        status = obj.get("status")
        if status == "requires_action":
            submit = (obj.get("required_action") or {}).get("submit_tool_outputs") or {}
            calls = [(c.get("function", {}).get("name"), c.get("function", {}).get("arguments", "{}"), c.get("id"))
                     for c in submit.get("tool_calls", [])]
            if not run.seen or run.seen[-1] != ("calls", calls):
                run.seen.append(("calls", calls))
        elif isinstance(status, str):
            run.seen.append(("status", status))
        if status in TERMINAL:
            run.final = obj

    @staticmethod
    def _outputs(run: _Run, request: dict[str, Any]) -> None:
        for output in request.get("tool_outputs") or []:
            if isinstance(output, dict) and output.get("tool_call_id"):
                run.outputs[output["tool_call_id"]] = output.get("output")

    def _take(self, ex: Exchange, thread_id: str | None, request: dict[str, Any]) -> None:
        if not ex.streamed:
            obj = ex.response_json()
            if isinstance(obj, dict) and obj.get("object") == "thread.run":
                run = self.runs.get(obj["id"])
                if run is None:
                    run = _Run(obj.get("model"), self.threads.get(obj.get("thread_id") or thread_id or ""))
                    self.runs[obj["id"]] = run
                    self.order.append(run)
                if ex.path.endswith("/submit_tool_outputs"):
                    self._outputs(run, request)
                    return      # answers queued; the fake does the same
                self._observe(run, obj)
            return
        run = None
        if ex.path.endswith("/submit_tool_outputs"):
            run = self.runs.get(ex.path.split("/")[5])
            if run is not None:
                self._outputs(run, request)
        # A stream the upstream cut: its messages as their deltas (the one it cut too), so that the replay's
        # events line up with the stream fault's after_events.
        deltas: dict[str, list[str]] = {}
        for name, data in ex.events():
            if not isinstance(data, dict):
                continue
            if name == "thread.created":
                self._thread_text(data["id"], (request.get("thread") or {}).get("messages"))
            elif name and name.startswith("thread.run.") and not name.startswith("thread.run.step"):
                run = self.runs.get(data.get("id", ""))
                if run is None:
                    run = _Run(data.get("model"), self.threads.get(data.get("thread_id", "")))
                    self.runs[data["id"]] = run
                    self.order.append(run)
                if data.get("status") == "requires_action" or data.get("status") in TERMINAL:
                    self._observe(run, data)
            elif name == "thread.message.created" and run is not None and ex.broken:
                deltas[data.get("id", "")] = []
            elif name == "thread.message.delta" and data.get("id") in deltas:
                for part in (data.get("delta") or {}).get("content") or []:
                    value = ((part or {}).get("text") or {}).get("value")
                    if isinstance(value, str):
                        deltas[data["id"]].append(value)
            elif name == "thread.message.completed" and run is not None:
                text = text_of(data.get("content"))
                if text is not None:
                    pieces = deltas.pop(data.get("id", ""), None)
                    run.seen.append(("message", {"deltas": pieces} if pieces else text))
                    run.messages[data.get("id", "")] = (-1, text)
            elif name == "error" and run is not None:
                err: Any = data.get("error") if isinstance(data.get("error"), dict) else data
                run.seen.append(("stream_error", {k: err[k] for k in ("message", "type", "code") if err.get(k)}))
        if run is not None:
            for pieces in deltas.values():      # cut while being written
                run.seen.append(("message", {"deltas": pieces} if pieces else ""))

    def feed(self, ex: Exchange) -> bool:
        parts = ex.path.split("/")[1:]      # v1, threads, ...
        if len(parts) < 2 or parts[1] != "threads":
            return False
        request = ex.request_json() or {}
        answer = ex.response_json()
        if ex.method == "POST" and len(parts) == 2 and isinstance(answer, dict):
            self._thread_text(answer.get("id", ""), request.get("messages"))
        elif ex.method == "POST" and len(parts) == 4 and parts[3] == "messages":
            self._thread_text(parts[2], [request])
        elif ex.method == "POST" and parts[2:] == ["runs"]:
            answer_thread = answer.get("thread_id") if isinstance(answer, dict) else None
            if answer_thread:
                self._thread_text(answer_thread, (request.get("thread") or {}).get("messages"))
            self._take(ex, None, request)
        elif len(parts) >= 4 and parts[3] == "runs" and "steps" not in parts[5:6]:
            self._take(ex, parts[2], request)
        elif ex.method == "GET" and len(parts) == 4 and parts[3] == "messages" and isinstance(answer, dict):
            for m in answer.get("data") or []:
                run = self.runs.get(m.get("run_id") or "")
                text = text_of(m.get("content"))
                if run is not None and m.get("role") == "assistant" and text is not None \
                        and m.get("id") not in run.messages:
                    run.messages[m["id"]] = (int(m.get("created_at") or 0), text)
        else:
            return len(parts) >= 3
        return True

    @staticmethod
    def _steps(run: _Run, options: ConvertOptions) -> list[dict[str, Any]]:
        steps: list[dict[str, Any]] = []
        statuses: list[str] = []
        used: set[str] = set()
        streamed = [text if isinstance(text, str) else "".join(text["deltas"]) for kind, text in run.seen
                    if kind == "message"]
        pending = [t for _, t in sorted(run.messages.values(), key=lambda m: m[0]) if t not in streamed]
        for kind, value in [*run.seen, ("end", None)]:
            if kind == "status" and value not in TERMINAL:
                statuses.append(value)
                continue
            steps.extend(collapse(statuses))
            statuses.clear()
            if kind == "calls":
                calls = [tool_call(name, raw, cid, used) for name, raw, cid in value]
                steps.append({"tool_calls": calls})
                keys = [expect_key(call) for call in calls]
                expect = {key: {"equals": run.outputs.get(cid)} for key, (_, _, cid) in zip(keys, value, strict=True)
                          if isinstance(run.outputs.get(cid), str)}
                if options.expect_outputs and expect and len(set(keys)) == len(keys):
                    steps[-1]["expect_outputs"] = expect
            elif kind == "message":
                steps.append({"message": value})
            elif kind == "stream_error":
                steps.append({"stream_error": value})
            elif kind == "status":
                if pending:
                    before_content(steps, len(pending))
                    steps.extend({"message": text} for text in pending)
                    pending = []
                step: dict[str, Any] = {"status": value}
                if value == "failed":
                    step["last_error"] = last_error_of((run.final or {}).get("last_error"))
                usage = usage_of((run.final or {}).get("usage"))
                if value == "completed" and usage:
                    step["usage"] = usage
                steps.append(step)
        return steps

    def entries(self, options: ConvertOptions) -> list[dict[str, Any]]:
        scripts = []
        for run in self.order:
            steps = self._steps(run, options)
            script: dict[str, Any] = {}
            match = match_of(run.model, run.text)
            if match:
                script["match"] = match
            script["steps"] = steps or [{"status": "completed"}]
            scripts.append(script)
        return scripts
