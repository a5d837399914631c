"""The conversation step language: the ``steps`` of a run script (and, as the Responses and
Chat Completions families arrive, of theirs: one language, so one scenario file tests code
before and after a migration).

A step is one of ``status``, ``tool_calls`` (a wait for the client's tool outputs, checked by
``expect_outputs``), ``message`` or ``stream_error``, or one of the hosted tools of the Responses
API (``reasoning``, ``file_search``, ``web_search``, ``code_interpreter``, ``image_generation``,
``mcp``: :data:`HOSTED_KINDS`, their data in :attr:`Step.hosted`), paced by ``reads`` or
``after``. This module holds the model and its builder; what each step does to an API object is
the family's (an API that cannot show a hosted step refuses it in its own scripts, ``kinds=``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal, cast

from fakeopenai.scenario.matching import (
    TextMatch,
    differs,
    instructions_differ,
    last_message_differs,
    metadata_differs,
    tools_lack,
)
from fakeopenai.scenario.model import StreamOptions

if TYPE_CHECKING:
    from fakeopenai.scenario.build import Builder

TERMINAL = ("completed", "failed", "cancelled", "expired", "incomplete")
BASIC_KINDS = ("status", "tool_calls", "message", "stream_error")
# The hosted tools of the Responses API (and the reasoning item): steps only a response can show.
HOSTED_KINDS = ("reasoning", "file_search", "web_search", "code_interpreter", "image_generation", "mcp")
STEP_KINDS = BASIC_KINDS + HOSTED_KINDS

StepKind = Literal["status", "tool_calls", "message", "stream_error", "reasoning", "file_search", "web_search",
                   "code_interpreter", "image_generation", "mcp"]


@dataclass(frozen=True, slots=True)
class ToolCallSpec:
    function: str
    arguments: str  # always a JSON string, as the API sends it
    id: str | None = None


@dataclass(slots=True)  # not frozen: a frozen __init__ costs ~2 us a field set, x1,000 steps; never mutated
class Step:
    kind: StepKind
    where: str                       # "runs[0].steps[2]", for reports
    status: str | None = None        # kind == "status"
    tool_calls: tuple[ToolCallSpec, ...] = ()
    message: str | None = None       # kind == "message"; None means generated
    message_words: int = 12
    deltas: tuple[str, ...] = ()     # the message as it streams, when the scenario says (message.deltas)
    refusal: bool = False            # the message is a refusal (chat: message.refusal; elsewhere its text)
    stream_error: dict[str, Any] | None = None
    reads: int = 1
    after: float | None = None
    usage: dict[str, int] | None = None
    last_error: dict[str, str] | None = None
    incomplete_details: dict[str, str] | None = None
    expect_outputs: dict[str, TextMatch] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    hosted: dict[str, Any] | None = None   # a hosted kind's data, normalized (see build_hosted)
    line: int | None = None          # where the step starts in the scenario's YAML (1-based), for reports
    column: int | None = None

    @property
    def terminal(self) -> bool:
        return self.kind == "status" and self.status in TERMINAL

    def describe(self) -> str:
        if self.kind == "status":
            return f"status {self.status}"
        if self.kind == "tool_calls":
            return "tool calls " + ", ".join(call.function for call in self.tool_calls)
        if self.kind == "message":
            return "message"
        if self.kind == "mcp" and self.hosted:
            return f"mcp {self.hosted['server_label']}.{self.hosted['tool']}"
        if self.kind in HOSTED_KINDS:
            return self.kind.replace("_", " ")
        return "stream error"

    def matcher_for(self, call: ToolCallSpec) -> TextMatch | None:
        """The ``expect_outputs`` check for one of this step's calls (by id, else by function)."""
        return self.expect_outputs.get(call.id or "") or self.expect_outputs.get(call.function)


@dataclass(frozen=True, slots=True)
class ConversationMatch:
    """The match keys runs, responses and chat completions share: a ``conversations:`` script fits
    any of them. Each API gives its own facts: ``instructions`` are a run's effective instructions
    (its override, else its assistant's), a request's ``instructions``, or a chat's system and
    developer messages; ``tools`` the function tool names offered (a run's, else its assistant's)."""

    # How a report words what is missing or compared (an API's own match, a subclass, words it its way).
    no_user_message: ClassVar[str] = "there is no user message"
    instructions_are: ClassVar[str] = "instructions"

    model: str | None = None
    metadata: dict[str, str] | None = None
    last_message: TextMatch | None = None
    instructions: TextMatch | None = None
    tools: tuple[str, ...] = ()

    @property
    def fits_anything(self) -> bool:
        """No key is asked: every request fits, so the facts :meth:`mismatch` tests need not be worked out
        (a ``times: always`` script without ``match`` serves every request of a test)."""
        return (self.model is None and not self.metadata and self.last_message is None and self.instructions is None
                and not self.tools)

    def mismatch(self, *, model: str, metadata: dict[str, str], last_message: str | None,
                 instructions: str | None = None, tools: list[str] | tuple[str, ...] = (),
                 **other: Any) -> str | None:
        """None when the run or request matches, else why not (``other`` facts are the API's own)."""
        return (differs("model", model, self.model) or metadata_differs(metadata, self.metadata)
                or last_message_differs(last_message, self.last_message, self.no_user_message)
                or instructions_differ(instructions, self.instructions, self.instructions_are)
                or tools_lack(list(tools), self.tools))


@dataclass(frozen=True, slots=True)
class ConversationScript:
    """A script under ``conversations:``: it serves runs and responses alike (after each API's own
    scripts), so one scenario file tests code before and after a migration."""

    key: ClassVar[str] = "conversations"
    index: int
    name: str
    match: ConversationMatch
    times: int | None
    steps: tuple[Step, ...]
    stream: StreamOptions | None = None
    line: int | None = None
    column: int | None = None


def build_conversations(builder: Builder, data: dict[str, Any]) -> tuple[ConversationScript, ...]:
    at = builder.positions.item_positions(("conversations",))
    scripts = []
    for index, script in enumerate(data.get("conversations") or []):
        path = ("conversations", index)
        match = script.get("match") or {}
        for key in ("last_message", "instructions"):
            builder.check_regex(path + ("match", key), match.get(key))
        line, column = builder.nth(at, index)
        scripts.append(ConversationScript(
            index=index, name=script.get("name") or f"conversations[{index}]",
            match=ConversationMatch(model=match.get("model"), metadata=match.get("metadata"),
                                    last_message=builder.text_match(match.get("last_message")),
                                    instructions=builder.text_match(match.get("instructions")),
                                    tools=tuple(match.get("tools") or ())),
            times=builder.times(script.get("times")), steps=build_steps(builder, path, script.get("steps") or [],
                                                                        "conversation"),
            stream=builder.stream_options(script.get("stream"), builder.stream) if script.get("stream") else None,
            line=line, column=column))
    return tuple(scripts)


def cut_off_by(steps: tuple[Step, ...], pos: int) -> Step | None:
    """The ``status: incomplete`` step that cuts off the message step at ``pos``: the script ends
    the run or response ``incomplete`` right after it, with only status steps between. None
    when the message is finished."""
    for step in steps[pos + 1:]:
        if step.kind != "status":
            return None
        if step.status == "incomplete":
            return step
        if step.status in TERMINAL:
            return None
    return None


def build_steps(builder: Builder, path: tuple[Any, ...], steps_data: list[dict[str, Any]],
                noun: str, kinds: tuple[str, ...] = STEP_KINDS) -> tuple[Step, ...]:
    """The steps under ``path`` (``("runs", 0)``), checked: nothing after a step that ends the
    ``noun`` (run, response ...), tool call ids unique, only the step ``kinds`` the API can show
    (chat completions and runs have no hosted tools)."""
    steps_at = builder.positions.item_positions(path + ("steps",)) if steps_data else []
    steps = tuple(build_step(builder, path + ("steps", i), s, builder.nth(steps_at, i))
                  for i, s in enumerate(steps_data))
    for i, step in enumerate(steps):
        if step.kind not in kinds:
            builder.error(path + ("steps", i, step.kind),
                          f"{step.kind} is a step of the Responses API (its hosted tools and reasoning): a {noun} "
                          f"script's steps are "
                          f"{', '.join(kinds)}; script it under responses: (or conversations:, which a "
                          f"{noun} passes over)", key=True)
    seen_ids: dict[str, int] = {}
    for i, step in enumerate(steps):
        if step.terminal or step.kind == "stream_error":
            if i != len(steps) - 1:
                builder.error(path + ("steps", i + 1),
                              f"unreachable: step {i} ({step.describe()}) ends the {noun}; "
                              "remove the steps after it or move them before it")
                break
        for j, call in enumerate(step.tool_calls):
            if call.id is not None:
                if call.id in seen_ids:
                    builder.error(path + ("steps", i, "tool_calls", j, "id"),
                                  f"duplicate tool call id {call.id!r} (also used in steps[{seen_ids[call.id]}])")
                seen_ids[call.id] = i
    return steps


def build_step(builder: Builder, path: tuple[Any, ...], data: dict[str, Any],
               at: tuple[int, int] | tuple[None, None]) -> Step:
    from fakeopenai.scenario.problems import format_path

    kinds = [k for k in STEP_KINDS if k in data]
    where = format_path(path)
    if len(kinds) != 1:
        found = ", ".join(kinds) if kinds else "none"
        builder.error(path, f"a step needs exactly one of {', '.join(BASIC_KINDS)} (or, in a response, one of "
                      f"{', '.join(HOSTED_KINDS)}) (found: {found})")
        return Step(kind="status", status="completed", where=where, line=at[0], column=at[1])
    kind = cast(StepKind, kinds[0])   # one of STEP_KINDS
    status = data.get("status")
    if "reads" in data and "after" in data:
        builder.error(path + ("after",), "give either reads or after, not both")
    if "usage" in data and not (kind == "status" and status in TERMINAL):
        builder.error(path + ("usage",), "usage belongs on a terminal status step "
                      "(completed, failed, incomplete, cancelled, expired)", key=True)
    if "last_error" in data and status != "failed":
        builder.error(path + ("last_error",), "last_error belongs on a step with status: failed", key=True)
    if "incomplete_details" in data and status != "incomplete":
        builder.error(path + ("incomplete_details",),
                      "incomplete_details belongs on a step with status: incomplete", key=True)
    if "expect_outputs" in data and kind != "tool_calls":
        builder.error(path + ("expect_outputs",), "expect_outputs belongs on a tool_calls step", key=True)
    usage = data.get("usage")
    if usage is not None:
        usage = dict(usage)
        prompt, completion = usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0)
        if "total_tokens" in usage and usage["total_tokens"] != prompt + completion:
            builder.error(path + ("usage", "total_tokens"),
                          f"total_tokens must be prompt_tokens + completion_tokens = {prompt + completion}")
        usage = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
    calls: list[ToolCallSpec] = []
    for j, call in enumerate(data.get("tool_calls") or []):
        arguments = call.get("arguments", {})
        if isinstance(arguments, str):
            try:
                json.loads(arguments)
            except ValueError:
                builder.error(path + ("tool_calls", j, "arguments"),
                              "arguments given as a string must be JSON (or write a mapping)")
        else:
            arguments = json.dumps(arguments, ensure_ascii=False)  # as the live API: UTF-8, not \u00fc escapes
        calls.append(ToolCallSpec(function=call["function"], arguments=arguments, id=call.get("id")))
    expect: dict[str, TextMatch] = {}
    for key, matcher in (data.get("expect_outputs") or {}).items():
        builder.check_regex(path + ("expect_outputs", key), matcher)
        known = {c.id for c in calls if c.id} | {c.function for c in calls if not c.id}
        if key not in known:
            builder.error(path + ("expect_outputs", key),
                          f"no tool call {key!r} in this step; expect_outputs is keyed by the call's id "
                          f"(or its function name when the call has no id): {', '.join(sorted(known))}", key=True)
        expect[key] = builder.text_match(matcher) or TextMatch()
    message = data.get("message")
    text, words, refusal, deltas = None, 12, False, ()
    if isinstance(message, str):
        text = message
    elif isinstance(message, dict):
        text, words = message.get("text"), message.get("words", 12)
        if message.get("refusal") is not None:
            if "text" in message or "words" in message:
                builder.error(path + ("message", "refusal"), "a refusal is the message: give refusal alone, "
                              "without text or words", key=True)
            text, refusal = message["refusal"], True
        if message.get("deltas") is not None:
            others = [key for key in ("text", "words", "refusal") if key in message]
            if others:
                builder.error(path + ("message", "deltas"), "deltas are the message's text: give deltas alone, "
                              f"without {' or '.join(others)}", key=True)
            deltas = tuple(message["deltas"])
            text = "".join(deltas)
    last_error = data.get("last_error")
    if last_error is not None:
        last_error = {"code": last_error.get("code", "server_error"), "message": last_error["message"]}
    elif status == "failed":
        last_error = {"code": "server_error", "message": "Sorry, something went wrong."}
    incomplete = data.get("incomplete_details")
    if incomplete is None and status == "incomplete":
        incomplete = {"reason": "max_completion_tokens"}
    hosted = build_hosted(builder, path + (kind,), kind, data[kind]) if kind in HOSTED_KINDS else None
    return Step(
        kind=kind, where=where, status=status, tool_calls=tuple(calls), message=text, message_words=words,
        deltas=deltas, refusal=refusal,
        stream_error=data.get("stream_error"), reads=data.get("reads", 1),
        after=builder.duration(path + ("after",), data.get("after")), usage=usage, last_error=last_error,
        incomplete_details=dict(incomplete) if incomplete else None, expect_outputs=expect,
        extra=dict(data.get("extra") or {}), hosted=hosted, line=at[0], column=at[1],
    )


def _json_arguments(builder: Builder, path: tuple[Any, ...], arguments: Any) -> str:
    """Arguments as the API sends them: a JSON string (a mapping is written as one)."""
    if isinstance(arguments, str):
        try:
            json.loads(arguments)
        except ValueError:
            builder.error(path, "arguments given as a string must be JSON (or write a mapping)")
        return arguments
    return json.dumps(arguments, ensure_ascii=False)


def _texts(value: Any) -> tuple[str, ...]:
    """A string or a list of strings (the schema checked which) as a tuple."""
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def build_hosted(builder: Builder, path: tuple[Any, ...], kind: str, data: Any) -> dict[str, Any]:
    """A hosted step's data (already schema-valid), normalized for the Responses engine:

    - ``reasoning``: ``summary`` (texts), ``tokens`` (reasoning tokens, None: from the summary);
    - ``file_search``: ``queries``, ``results`` (None: generated), ``cite``;
    - ``web_search``: ``queries``, ``results`` (None: generated), ``cite``;
    - ``code_interpreter``: ``code``, ``outputs`` (``{type: logs, logs}`` / ``{type: image, url}``),
      ``container_id``;
    - ``image_generation``: ``prompt`` (None: the last user message);
    - ``mcp``: ``server_label``, ``tool``, ``arguments`` (JSON), ``output``, ``error``, ``approval``.
    """
    data = {} if data is None else data
    if kind == "reasoning":
        if isinstance(data, (str, list)):
            data = {"summary": data}
        return {"summary": _texts(data.get("summary")), "tokens": data.get("tokens")}
    if kind in ("file_search", "web_search"):
        if isinstance(data, str):
            data = {"query": data}
        if "query" in data and "queries" in data:
            builder.error(path + ("queries",), "give query (one search) or queries (several), not both", key=True)
        results = data.get("results")
        if kind == "web_search":
            for j, result in enumerate(results or ()):
                if not str(result.get("url", "")).startswith(("http://", "https://")):
                    builder.error(path + ("results", j, "url"), f"expected an http(s) URL, got {result.get('url')!r}")
        return {"queries": _texts(data.get("queries", data.get("query"))),
                "results": None if results is None else tuple(dict(r) for r in results),
                "cite": data.get("cite", True)}
    if kind == "code_interpreter":
        if isinstance(data, str):
            data = {"code": data}
        outputs = []
        given = data.get("outputs")
        for output in (given,) if isinstance(given, str) else given or ():
            if isinstance(output, str):
                outputs.append({"type": "logs", "logs": output})
            elif "logs" in output:
                outputs.append({"type": "logs", "logs": output["logs"]})
            else:
                outputs.append({"type": "image", "url": output["image"]})
        return {"code": data.get("code", ""), "outputs": tuple(outputs), "container_id": data.get("container_id")}
    if kind == "image_generation":
        if isinstance(data, str):
            data = {"prompt": data}
        return {"prompt": data.get("prompt")}
    # mcp
    if "output" in data and "error" in data:
        builder.error(path + ("error",), "a call has an output or an error, not both", key=True)
    return {"server_label": data["server_label"], "tool": data["tool"],
            "arguments": _json_arguments(builder, path + ("arguments",), data.get("arguments", {})),
            "output": data.get("output"), "error": data.get("error"), "approval": data.get("approval")}
