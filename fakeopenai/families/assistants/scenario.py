"""The Assistants family's part of the scenario format: ``runs:`` scripts (their steps are the
shared conversation language, :mod:`fakeopenai.scripting.conversation`), seeded assistants and
threads under ``objects:``, ``require_beta_header``, and what compat profiles cannot say."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from fakeopenai.core.compat.profiles import profiles_that_read, who
from fakeopenai.core.family import Built, Problems, package_json
from fakeopenai.scenario.model import StreamOptions
from fakeopenai.scripting.conversation import BASIC_KINDS, Step, build_steps
from fakeopenai.scripting.matching import TextMatch, differs, last_message_differs, metadata_differs

if TYPE_CHECKING:
    from fakeopenai.core.compat.profiles import Profile
    from fakeopenai.scenario.build import Builder
    from fakeopenai.scenario.model import Scenario


@dataclass(frozen=True, slots=True)
class RunMatch:
    assistant_id: str | None = None
    assistant_name: str | None = None
    model: str | None = None
    thread_id: str | None = None
    metadata: dict[str, str] | None = None
    last_message: TextMatch | None = None

    def mismatch(self, *, assistant_id: str, assistant_name: str | None, model: str, thread_id: str,
                 metadata: dict[str, str], last_message: str | None, **other: Any) -> str | None:
        """None when the run matches, else why it does not (for reports; ``other`` facts are for
        ``conversations:`` scripts: instructions, tools)."""
        return (differs("assistant_id", assistant_id, self.assistant_id)
                or differs("assistant name", assistant_name, self.assistant_name)
                or differs("model", model, self.model) or differs("thread_id", thread_id, self.thread_id)
                or metadata_differs(metadata, self.metadata)
                or last_message_differs(last_message, self.last_message, "the thread has no user message"))


@dataclass(frozen=True, slots=True)
class RunScript:
    key: ClassVar[str] = "runs"
    index: int
    name: str
    match: RunMatch
    times: int | None                # None = always
    steps: tuple[Step, ...]
    stream: StreamOptions | None = None
    line: int | None = None          # where the script starts in the scenario's YAML, for reports
    column: int | None = None


@dataclass(frozen=True, slots=True)
class AssistantsPart:
    """What else the family reads: seeded objects (dicts, as a create body) and options."""

    assistants: tuple[dict[str, Any], ...] = ()
    threads: tuple[dict[str, Any], ...] = ()
    require_beta_header: bool = False


def schema() -> dict[str, Any]:
    return package_json(__package__, "scenario.schema.json")


def build(builder: Builder, data: dict[str, Any]) -> Built:
    runs_at = builder.positions.item_positions(("runs",))
    runs = tuple(run_script(builder, i, s, builder.stream, builder.nth(runs_at, i))
                 for i, s in enumerate(data.get("runs") or []))
    objects = data.get("objects") or {}
    assistants = []
    for i, item in enumerate(objects.get("assistants") or []):
        builder.pin(("objects", "assistants", i), item)
        assistants.append({"model": "gpt-4o", **item})
    threads = []
    for i, item in enumerate(objects.get("threads") or []):
        builder.pin(("objects", "threads", i), item)
        for j, message in enumerate(item.get("messages") or []):
            builder.pin(("objects", "threads", i, "messages", j), message)
        threads.append(dict(item))
    part = AssistantsPart(assistants=tuple(assistants), threads=tuple(threads),
                          require_beta_header=bool(data.get("require_beta_header", False)))
    return Built(scripts={"runs": runs}, part=part)


def run_script(builder: Builder, index: int, data: dict[str, Any], stream: StreamOptions,
               at: tuple[int, int] | tuple[None, None]) -> RunScript:
    path = ("runs", index)
    match = data.get("match") or {}
    builder.check_regex(path + ("match", "last_message"), match.get("last_message"))
    steps = build_steps(builder, path, data.get("steps") or [], "run", (*BASIC_KINDS, "file_search"))
    return RunScript(
        index=index,
        name=data.get("name") or f"runs[{index}]",
        match=RunMatch(
            assistant_id=match.get("assistant_id"), assistant_name=match.get("assistant_name"),
            model=match.get("model"), thread_id=match.get("thread_id"), metadata=match.get("metadata"),
            last_message=builder.text_match(match.get("last_message"))),
        times=builder.times(data.get("times")),
        steps=steps,
        stream=builder.stream_options(data.get("stream"), stream) if data.get("stream") else None,
        line=at[0], column=at[1],
    )


def conflicts(scenario: Scenario, profile: Profile) -> Problems:
    """(key path, message) for what ``scenario``'s runs and seeds ask that ``profile`` cannot express."""
    compat = f"compat: {profile.name}"
    out: Problems = []
    scripts = [("runs", i, s) for i, s in enumerate(scenario.scripts.get("runs", ()))]
    scripts += [("conversations", i, s) for i, s in enumerate(scenario.scripts.get("conversations", ()))]
    for key, i, script in scripts:   # conversations: scripts serve runs too
        for j, step in enumerate(script.steps):
            path = (key, i, "steps", j)
            if step.kind == "tool_calls" and (blockers := profile.who_cannot_read("requires_action")):
                message = (f"{who(blockers)} cannot read status requires_action, so tool_calls steps cannot be "
                           f"used with {compat} (profiles that can: {profiles_that_read('requires_action')})")
                out.append((path, message))
            if step.kind == "status" and step.status and (blockers := profile.who_cannot_read(step.status)):
                message = (f"{who(blockers)} cannot read status {step.status}, so a status: {step.status} step "
                           f"cannot be used with {compat}; end the run completed or failed instead")
                out.append((path + ("status",), message))
            code = (step.last_error or {}).get("code")
            if code and (blockers := profile.who_rejects_code(code)):
                allowed = sorted(set.intersection(*(set(c.error_codes or ()) for c in blockers)))
                message = (f"{who(blockers)} decodes last_error.code {' or '.join(allowed)} only, so {code} "
                           f"cannot be used with {compat}")
                out.append((path + ("last_error", "code"), message))
            for key in sorted(step.extra.keys() & RUN_FIELDS):
                message = (f"extra may not replace the run's {key} under {compat}, which keeps it readable by "
                           f"{who(profile.clients)}; extra may only add fields the API does not have")
                out.append((path + ("extra", key), message))
    style = profile.tool_style()
    part: AssistantsPart = scenario.part("assistants", AssistantsPart())
    for i, assistant in enumerate(part.assistants if style is not None else ()):
        for k, tool in enumerate(assistant.get("tools") or ()):
            reason = style.missing.get(tool.get("type")) if style is not None else None
            if reason is not None:
                message = (f"{reason}, so a {tool['type']} tool cannot be seeded with {compat} (tools added at "
                           "runtime are left out of the JSON under this profile)")
                out.append((("objects", "assistants", i, "tools", k, "type"), message))
    return out


# The run's fields as the API (and the profiles) write them: `extra` may not replace one.
RUN_FIELDS = frozenset({
    "id", "object", "created_at", "thread_id", "assistant_id", "status", "required_action", "last_error",
    "expires_at", "started_at", "cancelled_at", "failed_at", "completed_at", "incomplete_details", "model",
    "instructions", "tools", "metadata", "usage", "temperature", "top_p", "max_prompt_tokens",
    "max_completion_tokens", "truncation_strategy", "tool_choice", "parallel_tool_calls", "response_format",
    "file_ids",
})
