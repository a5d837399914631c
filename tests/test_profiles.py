"""Compat profiles (SPEC section 8): JSON the seed client libraries can read.

Two halves. First the checkers in ``tests/compat_rules.py`` are held to the
verdicts recorded in ``compat/SEED_CLIENTS.md`` section 3 (every case, every
column we model), so they cannot silently accept everything. Then the server is
driven under each profile over raw HTTP, and every JSON object it answers (plain
responses, list envelopes and their items, stream events) is checked with the
checkers that profile promises.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from fakeopenai import ScenarioError, load_scenario
from fakeopenai.core.compat.profiles import PROFILE_NAMES, get_profile
from fakeopenai.families.assistants.render import run as render_run
from fakeopenai.http.rendering import page
from tests import compat_rules as rules

# ============================================================================ the checkers vs SC §3

# SC §6: the run, step and batch that every seed client reads.
RUN = {
    "id": "run_abc123", "object": "thread.run", "created_at": 1717000000, "thread_id": "thread_abc123",
    "assistant_id": "asst_abc123", "status": "completed", "required_action": None, "last_error": None,
    "expires_at": 1717000600, "started_at": 1717000001, "cancelled_at": None, "failed_at": None,
    "completed_at": 1717000005, "incomplete_details": None, "model": "gpt-4o", "instructions": "",
    "tools": [], "file_ids": [], "metadata": {},
    "usage": {"prompt_tokens": 12, "completion_tokens": 34, "total_tokens": 46},
    "temperature": 1.0, "top_p": 1.0, "max_prompt_tokens": None, "max_completion_tokens": None,
    "truncation_strategy": {"type": "auto", "last_messages": None}, "tool_choice": "auto",
    "parallel_tool_calls": True, "response_format": "auto",
}
PARAMETERS = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
NESTED_FUNCTION = {"type": "function",
                   "function": {"name": "get_weather", "description": "Get weather", "parameters": PARAMETERS}}
FLAT_FUNCTION = {"type": "function", "name": "get_weather", "description": "Get weather", "parameters": PARAMETERS}
HYBRID_FUNCTION = {**FLAT_FUNCTION, "function": NESTED_FUNCTION["function"]}
ZERO = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
# The step of SC §6 without the two oxillama keys (the base of the step table's cases).
STEP = {
    "id": "step_abc123", "object": "thread.run.step", "created_at": 1717000002, "assistant_id": "asst_abc123",
    "thread_id": "thread_abc123", "run_id": "run_abc123", "type": "message_creation", "status": "completed",
    "step_details": {"type": "message_creation", "message_creation": {"message_id": "msg_abc123"}},
    "last_error": None, "expired_at": None, "cancelled_at": None, "failed_at": None, "completed_at": 1717000005,
    "metadata": {}, "usage": {"prompt_tokens": 12, "completion_tokens": 34, "total_tokens": 46},
}
FUNCTION_CALL = {"id": "call_1", "type": "function",
                 "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}", "output": None}}
BATCH = {
    "id": "batch_abc123", "object": "batch", "endpoint": "/v1/chat/completions", "errors": None,
    "input_file_id": "file-abc123", "completion_window": "24h", "status": "completed",
    "output_file_id": "file-out123", "error_file_id": None, "created_at": 1717000000,
    "in_progress_at": 1717000010, "expires_at": 1717086400, "finalizing_at": 1717000100,
    "completed_at": 1717000200, "failed_at": None, "expired_at": None, "cancelling_at": None,
    "cancelled_at": None, "request_counts": {"total": 10, "completed": 10, "failed": 0},
    "metadata": {"customer_id": "user_123"},
}
BATCH_ERRORS = {"object": "list", "data": [{"code": "invalid_json_line", "message": "Line 3 is not valid JSON",
                                            "param": None, "line": 3}]}


def _with(base: dict[str, Any], drop: tuple[str, ...] = (), **changes: Any) -> dict[str, Any]:
    out = {k: v for k, v in copy.deepcopy(base).items() if k not in drop}
    out.update(copy.deepcopy(changes))
    return out


def _tool_step(*calls: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return _with(STEP, type="tool_calls", step_details={"type": "tool_calls", "tool_calls": list(calls)}, **changes)


def _last_error(code: str) -> dict[str, Any]:
    return {"status": "failed", "failed_at": 1717000005, "completed_at": None,
            "last_error": {"code": code, "message": "Something went wrong."}}


# SC §3 "run": case -> (JSON, verdicts for A oxillama, B api_openai, (x) async-openai RunObject, D zio-openai).
RUN_COLUMNS = (rules.oxillama_run, rules.api_openai_run, rules.async_openai_run, rules.zio_run)
_LIVE_COMPLETED = _with(RUN, drop=("file_ids",), expires_at=None)
RUN_CASES: dict[str, tuple[dict[str, Any], str]] = {
    "01_compat_completed": (RUN, "ok ok ok ok"),
    "02_compat_queued_zero_usage": (_with(RUN, status="queued", started_at=None, completed_at=None, usage=ZERO),
                                    "ok ok ok ok"),
    "03_compat_failed": (_with(RUN, **_last_error("server_error")), "ok ok ok ok"),
    "04_compat_hybrid_function_tool": (_with(RUN, tools=[HYBRID_FUNCTION]), "ok ok ok ok"),
    "10_status_requires_action": (_with(RUN, status="requires_action", completed_at=None, required_action={
        "type": "submit_tool_outputs", "submit_tool_outputs": {"tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}]}}),
        "FAIL ok ok ok"),
    "11_status_cancelling": (_with(RUN, status="cancelling", completed_at=None), "FAIL ok ok ok"),
    "12_status_incomplete": (_with(RUN, status="incomplete",
                                   incomplete_details={"reason": "max_completion_tokens"}), "FAIL ok ok FAIL"),
    "13_expires_at_null": (_with(RUN, expires_at=None), "ok ok ok FAIL"),
    "14_file_ids_missing": (_with(RUN, drop=("file_ids",)), "ok ok ok FAIL"),
    "15_usage_null": (_with(RUN, usage=None), "ok ok ok FAIL"),
    "16_instructions_null": (_with(RUN, instructions=None), "ok ok FAIL FAIL"),
    "17_tools_code_interpreter": (_with(RUN, tools=[{"type": "code_interpreter"}]), "ok FAIL ok ok"),
    "18_tools_file_search_bare": (_with(RUN, tools=[{"type": "file_search"}]), "ok ok ok FAIL"),
    "19_tools_file_search_with_overrides": (
        _with(RUN, tools=[{"type": "file_search", "file_search": {"max_num_results": 5}}]), "ok FAIL ok FAIL"),
    "20_tools_assistants_function_nested_only": (_with(RUN, tools=[NESTED_FUNCTION]), "ok FAIL ok ok"),
    "21_tools_flat_function_only": (_with(RUN, tools=[FLAT_FUNCTION]), "ok ok FAIL FAIL"),
    "22_parallel_tool_calls_missing": (_with(RUN, drop=("parallel_tool_calls",)), "ok FAIL FAIL ok"),
    "23_metadata_non_string_value": (_with(RUN, metadata={"n": 1}), "ok FAIL ok ok"),
    "24_last_error_invalid_prompt": (_with(RUN, **_last_error("invalid_prompt")), "ok ok ok FAIL"),
    "25_created_at_millis": (_with(RUN, created_at=1717000000000), "ok ok FAIL FAIL"),
    "26_assistant_id_null": (_with(RUN, assistant_id=None), "ok FAIL ok FAIL"),
    "27_tools_missing": (_with(RUN, drop=("tools",)), "ok FAIL FAIL FAIL"),
    "28_object_not_thread_run": (_with(RUN, object="run"), "ok ok ok FAIL"),
    "29_response_format_json_object": (_with(RUN, response_format={"type": "json_object"}), "ok ok ok ok"),
    "30_tool_choice_named": (_with(RUN, tool_choice={"type": "function", "function": {"name": "get_weather"}}),
                             "ok ok ok ok"),
    "31_status_unknown_value": (_with(RUN, status="paused"), "FAIL ok FAIL FAIL"),
    "32_model_null": (_with(RUN, model=None), "FAIL FAIL FAIL FAIL"),
    "33_truncation_last_messages": (_with(RUN, truncation_strategy={"type": "last_messages", "last_messages": 5}),
                                    "ok ok ok ok"),
    "34_tools_retrieval": (_with(RUN, tools=[{"type": "retrieval"}]), "ok FAIL FAIL ok"),
    "35_response_format_json_schema_no_schema": (
        _with(RUN, response_format={"type": "json_schema", "json_schema": {"name": "answer"}}), "ok ok ok ok"),
    "36_tool_choice_unknown_string": (_with(RUN, tool_choice="sometimes"), "ok ok FAIL ok"),
    "40_live_v2_completed": (_LIVE_COMPLETED, "ok ok ok FAIL"),
    "41_live_v2_queued": (_with(_LIVE_COMPLETED, status="queued", started_at=None, completed_at=None,
                                expires_at=1717000600, usage=None), "ok ok ok FAIL"),
}

# SC §3 "step": C async-openai, (x) api_openai RunStepObject, (x) oxillama RunStep, (x) zio RunStepObject.
STEP_COLUMNS = (rules.async_openai_step, rules.api_openai_step, rules.oxillama_step, rules.zio_step)
STEP_CASES: dict[str, tuple[dict[str, Any], str]] = {
    "01_compat_message_creation": (STEP, "ok ok FAIL ok"),
    "02_compat_tool_calls_function": (_tool_step(FUNCTION_CALL), "ok ok FAIL ok"),
    "03_compat_tool_calls_code_interpreter": (_tool_step({"id": "call_2", "type": "code_interpreter",
                                                          "code_interpreter": {"input": "1+1", "outputs": [
                                                              {"type": "logs", "logs": "2"}]}}), "ok ok FAIL ok"),
    "04_compat_in_progress_zero_usage": (_with(STEP, status="in_progress", completed_at=None, usage=ZERO),
                                         "ok ok FAIL ok"),
    "05_hybrid_plus_oxillama": (_with(STEP, step_type="message_creation", step_details={
        **STEP["step_details"], "message_id": "msg_abc123"}), "ok ok ok ok"),
    "10_usage_null_in_progress": (_with(STEP, status="in_progress", completed_at=None, usage=None),
                                  "ok ok FAIL FAIL"),
    "11_assistant_id_null": (_with(STEP, assistant_id=None), "ok FAIL FAIL FAIL"),
    "12_status_expired": (_with(STEP, status="expired", completed_at=None, expired_at=1717000600), "ok ok FAIL ok"),
    "13_tool_calls_file_search": (_tool_step({"id": "call_3", "type": "file_search", "file_search": {}}),
                                  "ok ok FAIL FAIL"),
    "14_step_details_untyped": (_with(STEP, step_details={"message_creation": {"message_id": "msg_abc123"}}),
                                "FAIL FAIL FAIL FAIL"),
    "15_last_error_invalid_prompt": (_with(STEP, **_last_error("invalid_prompt")), "ok ok FAIL FAIL"),
    "16_last_error_other_code": (_with(STEP, **_last_error("internal_error")), "FAIL ok FAIL FAIL"),
    "17_created_at_after_2038": (_with(STEP, created_at=2200000000), "FAIL ok FAIL FAIL"),
    "18_type_unknown": (_with(STEP, type="thinking"), "FAIL ok FAIL FAIL"),
    "19_metadata_non_string_value": (_with(STEP, metadata={"n": 1}), "ok FAIL FAIL ok"),
    "20_function_output_missing": (_tool_step({**FUNCTION_CALL, "function": {"name": "get_weather",
                                                                             "arguments": "{}"}}), "ok ok FAIL ok"),
    "21_code_image_output": (_tool_step({"id": "call_4", "type": "code_interpreter", "code_interpreter": {
        "input": "plot()", "outputs": [{"type": "image", "image": {"file_id": "file-img1"}}]}}), "ok ok FAIL ok"),
    "22_tool_calls_retrieval": (_tool_step({"id": "call_5", "type": "retrieval", "retrieval": {}}),
                                "FAIL FAIL FAIL ok"),
}

# SC §3 "batch": E api_openai Batch, (x) async-openai Batch, (x) oxillama Batch.
BATCH_COLUMNS = (rules.api_openai_batch, rules.async_openai_batch, rules.oxillama_batch)
BATCH_CASES: dict[str, tuple[dict[str, Any], str]] = {
    "01_compat_completed": (BATCH, "ok ok ok"),
    "02_compat_validating": (_with(BATCH, status="validating", output_file_id=None, in_progress_at=None,
                                   finalizing_at=None, completed_at=None,
                                   request_counts={"total": 0, "completed": 0, "failed": 0}), "ok ok ok"),
    "03_compat_failed_with_errors": (_with(BATCH, status="failed", errors=BATCH_ERRORS, output_file_id=None,
                                           completed_at=None, failed_at=1717000010), "ok ok ok"),
    "10_request_counts_null": (_with(BATCH, request_counts=None), "ok ok FAIL"),
    "11_request_counts_missing": (_with(BATCH, drop=("request_counts",)), "ok ok FAIL"),
    "12_status_unknown": (_with(BATCH, status="paused"), "ok FAIL FAIL"),
    "13_errors_without_object": (_with(BATCH, errors={"data": BATCH_ERRORS["data"]}), "ok FAIL ok"),
    "14_errors_data_partial": (_with(BATCH, errors={"object": "list", "data": [{"message": "bad line"}]}),
                               "ok FAIL ok"),
    "15_metadata_non_string_value": (_with(BATCH, metadata={"n": 1}), "FAIL ok ok"),
    "16_created_at_millis": (_with(BATCH, created_at=1717000000000), "ok FAIL ok"),
    "17_completion_window_missing": (_with(BATCH, drop=("completion_window",)), "FAIL FAIL ok"),
    "18_minimal_only_required": ({k: BATCH[k] for k in ("id", "object", "endpoint", "input_file_id",
                                                         "completion_window", "status", "created_at")}, "ok ok FAIL"),
    "19_endpoint_responses": (_with(BATCH, endpoint="/v1/responses"), "ok ok ok"),
    "20_extra_fields_model_usage": (_with(BATCH, model="gpt-4o", usage={"input_tokens": 1}), "ok ok ok"),
}


def _verdicts(columns: tuple[Callable[[Any], list[str]], ...], obj: dict[str, Any]) -> str:
    return " ".join("FAIL" if checker(obj) else "ok" for checker in columns)


@pytest.mark.parametrize("case", RUN_CASES)
def test_run_checkers_agree_with_the_recorded_verdicts(case: str) -> None:
    obj, expected = RUN_CASES[case]
    assert _verdicts(RUN_COLUMNS, obj) == expected, [p for c in RUN_COLUMNS for p in c(obj)]


@pytest.mark.parametrize("case", STEP_CASES)
def test_step_checkers_agree_with_the_recorded_verdicts(case: str) -> None:
    obj, expected = STEP_CASES[case]
    assert _verdicts(STEP_COLUMNS, obj) == expected, [p for c in STEP_COLUMNS for p in c(obj)]


@pytest.mark.parametrize("case", BATCH_CASES)
def test_batch_checkers_agree_with_the_recorded_verdicts(case: str) -> None:
    obj, expected = BATCH_CASES[case]
    assert _verdicts(BATCH_COLUMNS, obj) == expected, [p for c in BATCH_COLUMNS for p in c(obj)]


def test_checkers_name_the_reason_like_the_decoder() -> None:
    """SC §3's representative errors, one per seed client."""
    [oxillama] = rules.oxillama_run(RUN_CASES["10_status_requires_action"][0])
    assert "unknown variant 'requires_action'" in oxillama and oxillama.startswith("oxillama Run: $.status")
    api = rules.api_openai_run(_with(RUN, tools=[{"type": "code_interpreter"}, NESTED_FUNCTION]))
    assert any("unknown variant 'code_interpreter'" in p for p in api)
    assert any("$.tools[1].name: missing field" in p for p in api)
    [millis] = rules.async_openai_step(_with(STEP, created_at=2200000000))
    assert "invalid value: integer 2200000000, expected i32" in millis
    zio = rules.zio_run(_with(RUN, expires_at=None, drop=("file_ids",), usage=None))
    assert zio == ["zio-openai RunObject: $.expires_at: invalid type: null, expected i32",
                   "zio-openai RunObject: $.file_ids: missing field",
                   "zio-openai RunObject: $.usage: invalid type: null, expected map"]
    assert rules.api_openai_list({"object": "list", "data": [], "first_id": None, "last_id": None,
                                  "has_more": False})


def test_the_default_profile_output_is_what_zio_and_oxillama_reject() -> None:
    """Why profiles exist: the live v2 shapes fail the seeds exactly as SC §5 says."""
    assert rules.zio_run(_LIVE_COMPLETED) and not rules.oxillama_run(_LIVE_COMPLETED)
    empty = page([], False)
    assert rules.zio_list(empty) and rules.api_openai_list(empty) and not rules.api_openai_batch_list(empty)


# ============================================================================ the server under each profile

PROFILES = [p for p in PROFILE_NAMES if p != "openai"]
TOOLS_ALLOWED = {"zio-openai", "api-openai", "async-openai"}   # oxillama cannot read requires_action
_LIST_KINDS = {"runs": "run", "steps": "step", "batches": "batch", "messages": "message",
               "assistants": "assistant", "files": "file"}
_OBJECT_KINDS = {"thread.run": "run", "thread.run.step": "step", "batch": "batch", "thread.message": "message",
                 "thread": "thread", "assistant": "assistant", "file": "file"}


def scenario(profile: str) -> dict[str, Any]:
    """Completed, failed, cancelled and (where the profile allows it) tool-call runs, by metadata."""
    runs: list[dict[str, Any]] = [
        {"name": "fails", "times": "always", "match": {"metadata": {"case": "fail"}},
         "steps": [{"status": "queued"}, {"status": "in_progress"},
                   {"status": "failed", "last_error": {"code": "rate_limit_exceeded", "message": "Slow down."}}]},
        {"name": "long", "times": "always", "match": {"metadata": {"case": "cancel"}},
         "steps": [{"status": "queued"}, {"status": "in_progress", "reads": 5}, {"status": "cancelled"}]},
    ]
    if profile in TOOLS_ALLOWED:
        runs.append({"name": "tools", "times": "always", "match": {"metadata": {"case": "tools"}},
                     "steps": [{"status": "queued"}, {"tool_calls": [{"function": "get_weather",
                                                                      "arguments": {"city": "Paris"}}]},
                               {"message": "It is 18 C."}, {"status": "completed",
                                                           "usage": {"prompt_tokens": 9, "completion_tokens": 5}}]})
    batches = [
        {"name": "fails", "times": "always", "match": {"metadata": {"case": "fail"}},
         "steps": [{"status": "validating"}, {"status": "in_progress", "progress": 0.5},
                   {"status": "failed", "errors": [{"code": "server_error", "message": "Backend down."}]}]},
        {"name": "expires", "times": "always", "match": {"metadata": {"case": "expire"}},
         "steps": [{"status": "validating"}, {"status": "in_progress", "progress": 0.5}, {"status": "expired"}]},
    ]
    return {"name": f"profile_{profile}", "compat": profile, "runs": runs, "batches": batches,
            "objects": {"assistants": [{"id": "asst_seeded", "model": "gpt-4o", "metadata": {"team": "qa"},
                                        "tools": [NESTED_FUNCTION]}]}}


class Recorder:
    """Raw HTTP against the fake; every JSON object answered is kept with its kind."""

    def __init__(self, fake: Any) -> None:
        self.http = httpx.Client(base_url=fake.base_url, timeout=30,
                                 headers={"Authorization": f"Bearer {fake.api_key}"})
        self.seen: list[tuple[str, str, Any]] = []   # (where, kind, object)
        self.spec: Any = None                         # a SpecChecker: also validate against the official spec

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self.http.request(method, path, json=body)
        where = f"{method} {path}"
        assert response.status_code == 200, f"{where}: {response.status_code} {response.text}"  # zio: 200 only
        if self.spec is not None:
            self.spec.check_response(method, response.request.url.path, response.status_code,
                                     response.headers["content-type"], response.content)
        if response.headers["content-type"].startswith("text/event-stream"):
            return self._events(where, response.text)
        data = response.json()
        self._record(where, data, _LIST_KINDS.get(path.split("?")[0].rstrip("/").rsplit("/", 1)[-1]))
        return data

    def _record(self, where: str, data: Any, list_kind: str | None) -> None:
        if data.get("object") == "list":
            self.seen.append((where, f"list:{list_kind}", data))
            for item in data["data"]:
                self._record(where, item, None)
        elif data.get("object") in _OBJECT_KINDS:
            self.seen.append((where, _OBJECT_KINDS[data["object"]], data))

    def _events(self, where: str, text: str) -> list[tuple[str, Any]]:
        events = []
        for block in text.strip("\n").split("\n\n"):
            name_line, data_line = block.split("\n")
            name, data = name_line[len("event: "):], data_line[len("data: "):]
            if name == "done":
                continue
            payload = json.loads(data)
            events.append((name, payload))
            if not name.endswith(".delta"):
                self._record(f"{where} event {name}", payload, None)
        return events

    def of(self, kind: str) -> list[Any]:
        return [obj for _, k, obj in self.seen if k == kind]

    def violations(self, profile: str) -> list[str]:
        return [f"{where}: {problem}" for where, kind, obj in self.seen for problem in rules.check(profile, kind, obj)]


def _poll(rec: Recorder, thread_id: str, run_id: str) -> dict[str, Any]:
    run = rec.call("GET", f"/threads/{thread_id}/runs/{run_id}")
    for _ in range(20):
        if run["status"] in ("completed", "failed", "cancelled", "expired", "incomplete", "requires_action"):
            return run  # type: ignore[no-any-return]
        run = rec.call("GET", f"/threads/{thread_id}/runs/{run_id}")
    raise AssertionError(f"run {run_id} did not settle: {run['status']}")


def drive_runs(rec: Recorder, *, tools: bool, instant_cancel: bool) -> None:
    """Every run outcome (tool calls only when ``tools``), read every way a client reads them."""
    assistant = rec.call("POST", "/assistants", {
        "model": "gpt-4o", "name": "Helper", "instructions": None, "metadata": {"team": "qa"},
        "tools": [{"type": "code_interpreter"}, {"type": "file_search"}, NESTED_FUNCTION,
                  {"type": "function", "function": {"name": "ping"}}]})
    rec.call("GET", "/assistants")
    rec.call("GET", "/assistants/asst_seeded")
    thread = rec.call("POST", "/threads", {"messages": [{"role": "user", "content": "Hello"}],
                                           "metadata": {"k": "v"}})
    tid = thread["id"]
    rec.call("GET", f"/threads/{tid}/runs")                                    # an empty list
    for case in ("complete", "fail", "cancel"):
        run = rec.call("POST", f"/threads/{tid}/runs", {"assistant_id": assistant["id"],
                                                         "metadata": {"case": case}})
        if case == "cancel":
            rec.call("GET", f"/threads/{tid}/runs/{run['id']}/steps")          # empty while queued
            rec.call("GET", f"/threads/{tid}/runs/{run['id']}")
            cancelled = rec.call("POST", f"/threads/{tid}/runs/{run['id']}/cancel")
            assert cancelled["status"] == ("cancelled" if instant_cancel else "cancelling")
        final = _poll(rec, tid, run["id"])
        assert final["status"] == {"complete": "completed", "fail": "failed", "cancel": "cancelled"}[case]
        steps = rec.call("GET", f"/threads/{tid}/runs/{run['id']}/steps")
        for step in steps["data"]:
            rec.call("GET", f"/threads/{tid}/runs/{run['id']}/steps/{step['id']}")
    if tools:
        run = rec.call("POST", f"/threads/{tid}/runs", {"assistant_id": "asst_seeded", "metadata": {"case": "tools"}})
        waiting = _poll(rec, tid, run["id"])
        assert waiting["status"] == "requires_action"
        rec.call("GET", f"/threads/{tid}/runs/{run['id']}/steps")              # the in_progress tool_calls step
        [call] = waiting["required_action"]["submit_tool_outputs"]["tool_calls"]
        rec.call("POST", f"/threads/{tid}/runs/{run['id']}/submit_tool_outputs",
                 {"tool_outputs": [{"tool_call_id": call["id"], "output": "18C"}]})
        assert _poll(rec, tid, run["id"])["status"] == "completed"
        rec.call("GET", f"/threads/{tid}/runs/{run['id']}/steps")
    rec.call("GET", f"/threads/{tid}/runs")
    rec.call("GET", f"/threads/{tid}/messages")
    streamed = rec.call("POST", "/threads/runs", {"assistant_id": assistant["id"], "stream": True,
                                                  "thread": {"messages": [{"role": "user", "content": "Hi"}]}})
    assert streamed[-1][0] == "thread.run.completed"


def _batch_input(lines: int) -> bytes:
    return "".join(json.dumps({"custom_id": f"req-{i}", "method": "POST", "url": "/v1/chat/completions",
                               "body": {"model": "gpt-4o", "messages": [{"role": "user", "content": f"Hi {i}"}]}})
                   + "\n" for i in range(lines)).encode()


def _upload(rec: Recorder, content: bytes) -> str:
    response = rec.http.post("/files", files={"file": ("input.jsonl", content)}, data={"purpose": "batch"})
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def drive_batches(rec: Recorder) -> None:
    """Completed, failed (scripted and by validation), expired and cancelled batches; lists."""
    rec.call("GET", "/batches")                                                # an empty list
    good, bad = _upload(rec, _batch_input(4)), _upload(rec, b'{"custom_id": "a"}\nnot json\n')
    outcomes = {}
    for case, file_id in (("complete", good), ("fail", good), ("expire", good), ("invalid", bad)):
        batch = rec.call("POST", "/batches", {"input_file_id": file_id, "endpoint": "/v1/chat/completions",
                                              "completion_window": "24h", "metadata": {"case": case}})
        while batch["status"] not in ("completed", "failed", "expired", "cancelled"):
            batch = rec.call("GET", f"/batches/{batch['id']}")
        outcomes[case] = batch["status"]
    batch = rec.call("POST", "/batches", {"input_file_id": good, "endpoint": "/v1/chat/completions",
                                          "completion_window": "24h"})
    rec.call("POST", f"/batches/{batch['id']}/cancel")
    outcomes["cancel"] = rec.call("GET", f"/batches/{batch['id']}")["status"]
    assert outcomes == {"complete": "completed", "fail": "failed", "expire": "expired", "invalid": "failed",
                        "cancel": "cancelled"}
    rec.call("GET", "/batches")
    rec.call("GET", f"/batches?after={batch['id']}")                            # empty again


@pytest.fixture
def rec(fake_openai: Any) -> Iterator[Recorder]:
    recorder = Recorder(fake_openai)
    yield recorder
    recorder.http.close()


@pytest.mark.parametrize("profile", PROFILES)
def test_every_object_is_readable_by_the_profiles_clients(profile: str, fake_openai: Any, rec: Recorder) -> None:
    fake_openai.load(scenario(profile))
    drive_runs(rec, tools=profile in TOOLS_ALLOWED, instant_cancel=get_profile(profile).instant_cancel)
    drive_batches(rec)

    assert rec.violations(profile) == []
    statuses = {run["status"] for run in rec.of("run")}
    expected = {"queued", "in_progress", "completed", "failed", "cancelled"}
    expected |= {"requires_action"} if profile in TOOLS_ALLOWED else set()
    expected |= {"cancelling"} if not get_profile(profile).instant_cancel else set()
    assert statuses == expected
    checked = {kind for kind in rules.PROFILE_CHECKERS[profile]} & {kind for _, kind, _ in rec.seen}
    assert {"run", "step"} <= checked and ("batch" in checked) == (profile != "zio-openai")  # zio: no Batch
    batch_statuses = {"validating", "in_progress", "completed", "failed", "expired", "cancelled"}
    batch_statuses |= {"cancelling"} if not get_profile(profile).instant_cancel else set()
    assert {b["status"] for b in rec.of("batch")} >= batch_statuses
    assert any(b["errors"] for b in rec.of("batch")) and any(not p["data"] for p in rec.of("list:batch"))
    assert any(not page_["data"] for page_ in rec.of("list:run")) and any(
        not page_["data"] for page_ in rec.of("list:step"))
    if profile in TOOLS_ALLOWED:
        assert any(step["type"] == "tool_calls" for step in rec.of("step"))


@pytest.mark.parametrize("profile", PROFILES)
def test_the_checkers_see_the_default_profile_fail(profile: str, fake_openai: Any, rec: Recorder,
                                                    spec: Any) -> None:
    """The same drive under compat: openai breaks the profile's clients (except async-openai's, which
    reads the live v2 JSON as it is): the profile layer is what makes the difference. And that JSON is
    the official schema's, response by response."""
    rec.spec, checked = spec, spec.checked
    fake_openai.load({**scenario("api-openai"), "compat": "openai"})
    drive_runs(rec, tools=True, instant_cancel=False)
    drive_batches(rec)
    assert spec.checked - checked > 50
    problems = rec.violations(profile)
    print("\n".join(problems))
    if profile == "async-openai":
        assert [p for p in problems if "RunStepObject" in p] == []   # the seed itself: v2 steps decode
    else:
        assert problems


# ============================================================================ what each profile changes

def _run_and_finish(rec: Recorder, assistant_id: str, **body: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    thread = rec.call("POST", "/threads", {"messages": [{"role": "user", "content": "Hi"}]})
    run = rec.call("POST", f"/threads/{thread['id']}/runs", {"assistant_id": assistant_id, **body})
    return run, _poll(rec, thread["id"], run["id"])


TOOLS = [{"type": "code_interpreter"}, {"type": "file_search", "file_search": {"max_num_results": 5}},
         NESTED_FUNCTION, {"type": "function", "function": {"name": "ping"}}]


def test_zio_openai_never_sends_the_nulls_zio_cannot_decode(fake_openai: Any, rec: Recorder) -> None:
    fake_openai.load("default", compat="zio-openai")
    assistant = rec.call("POST", "/assistants", {"model": "gpt-4o", "tools": TOOLS})
    queued, done = _run_and_finish(rec, assistant["id"])
    assert queued["usage"] == ZERO and queued["file_ids"] == [] and queued["instructions"] == ""
    assert done["status"] == "completed" and done["expires_at"] == done["created_at"] + 600  # live API: null
    assert done["usage"]["total_tokens"] > 0
    assert [t["type"] for t in done["tools"]] == ["code_interpreter", "retrieval", "function", "function"]
    assert done["tools"][2] == NESTED_FUNCTION
    empty = rec.call("GET", f"/threads/{done['thread_id']}/runs?after={done['id']}")
    assert (empty["data"], empty["first_id"], empty["last_id"]) == ([], "", "")


def test_api_openai_sends_flat_tools_and_string_ids(fake_openai: Any, rec: Recorder) -> None:
    fake_openai.load("default", compat="api-openai")
    assistant = rec.call("POST", "/assistants", {"model": "gpt-4o", "tools": TOOLS})
    _, done = _run_and_finish(rec, assistant["id"])
    assert done["tools"] == [{"type": "file_search"}, FLAT_FUNCTION,
                             {"type": "function", "name": "ping", "parameters": {"type": "object", "properties": {}}}]
    assert assistant["tools"] == done["tools"]  # the same crate's Tool type reads both
    assert done["expires_at"] is None and "file_ids" not in done  # what api_openai reads as Option stays live
    steps = f"/threads/{done['thread_id']}/runs/{done['id']}/steps"
    [step] = rec.call("GET", steps)["data"]
    empty = rec.call("GET", f"{steps}?after={step['id']}")
    assert (empty["data"], empty["first_id"], empty["last_id"]) == ([], "", "")


def test_portable_sends_hybrid_function_tools_only(fake_openai: Any, rec: Recorder) -> None:
    fake_openai.load("default", compat="portable")
    assistant = rec.call("POST", "/assistants", {"model": "gpt-4o", "tools": TOOLS})
    _, done = _run_and_finish(rec, assistant["id"])
    assert done["tools"][0] == HYBRID_FUNCTION and len(done["tools"]) == 2
    assert done["tools"][1]["function"] == {"name": "ping"} and done["tools"][1]["name"] == "ping"
    [step] = rec.call("GET", f"/threads/{done['thread_id']}/runs/{done['id']}/steps")["data"]
    assert step["step_type"] == "message_creation"
    assert step["step_details"]["message_id"] == step["step_details"]["message_creation"]["message_id"]


def test_oxillama_cancel_goes_straight_to_cancelled(fake_openai: Any, rec: Recorder) -> None:
    fake_openai.load("run_cancelled", compat="oxillama")
    assistant = rec.call("POST", "/assistants", {"model": "gpt-4o"})
    thread = rec.call("POST", "/threads", {})
    run = rec.call("POST", f"/threads/{thread['id']}/runs", {"assistant_id": assistant["id"]})
    cancelled = rec.call("POST", f"/threads/{thread['id']}/runs/{run['id']}/cancel")
    assert cancelled["status"] == "cancelled" and cancelled["cancelled_at"] is not None
    again = rec.http.post(f"/threads/{thread['id']}/runs/{run['id']}/cancel")
    assert again.status_code == 400 and "cancelled" in again.json()["error"]["message"]


def test_async_openai_reads_the_live_json_as_it_is(fake_openai: Any, rec: Recorder) -> None:
    """SC §2 C: the live v2 step already decodes; the profile only pins run.instructions to a string."""
    assert get_profile("async-openai").rules["run"].fill == {"instructions": ""}
    fake_openai.load("run_incomplete", compat="async-openai")   # async-openai reads incomplete
    assistant = rec.call("POST", "/assistants", {"model": "gpt-4o", "tools": TOOLS})
    _, done = _run_and_finish(rec, assistant["id"])
    assert done["status"] == "incomplete" and done["tools"] == TOOLS and done["expires_at"] is None
    assert rec.violations("async-openai") == []


def test_the_default_profile_is_no_layer_at_all() -> None:
    profile = get_profile("openai")
    assert profile.rewrites == {} and profile.clients == () and not profile.instant_cancel
    data = {"id": "run_x", "expires_at": None}
    assert profile.apply("run", data) is data and profile.apply("list:run", data) is data


def test_clients_that_disagree_must_be_settled_by_the_profile() -> None:
    from fakeopenai.core.compat.profiles import API_OPENAI, ZIO_OPENAI, _merge

    with pytest.raises(ValueError, match="clients disagree on run.tools; settle it"):
        _merge("both", (API_OPENAI, ZIO_OPENAI), {})
    merged = _merge("both", (API_OPENAI, ZIO_OPENAI), {"tools": "hybrid"})
    assert merged["run"].reshape["tools"] == merged["assistant"].reshape["tools"] == "hybrid"
    assert get_profile("portable").rules == _merge("portable", get_profile("portable").clients, {"tools": "hybrid"})


def test_rewrites_never_touch_the_stored_objects() -> None:
    from fakeopenai.families.assistants.objects import Run, RunStep
    from fakeopenai.families.assistants.render import run_step

    stored_run = Run(id="run_x", created_at=1735689600, thread_id="thread_x", assistant_id="asst_x",
                     model="gpt-4o", instructions="", tools=copy.deepcopy(TOOLS), metadata={"k": "v"})
    stored_step = RunStep(id="step_x", created_at=1735689601, assistant_id="asst_x", thread_id="thread_x",
                             run_id="run_x", type="message_creation",
                             step_details={"type": "message_creation", "message_creation": {"message_id": "msg_x"}})
    def snapshot() -> str:
        return json.dumps([render_run(stored_run), run_step(stored_step)], sort_keys=True)

    before = snapshot()
    for name in PROFILE_NAMES:
        profile = get_profile(name)
        json.dumps([profile.apply("run", render_run(stored_run)), profile.apply("step", run_step(stored_step))])
        assert snapshot() == before, name
    zio = get_profile("zio-openai")
    zio.apply("run", render_run(stored_run))["usage"]["prompt_tokens"] = 99   # a fill is a fresh value
    assert zio.apply("run", render_run(stored_run))["usage"] == ZERO
    portable = get_profile("portable")
    portable.apply("run", render_run(stored_run))["tools"].clear()            # a reshape builds a new list
    portable.apply("step", run_step(stored_step))["step_details"]["message_id"] = "changed"
    assert snapshot() == before


# ============================================================================ rejected at load time

def _scenario_text(compat: str, steps: str, objects: str = "") -> str:
    return f"name: weather\ncompat: {compat}\n{objects}runs:\n  - steps:\n{steps}"


TOOL_STEPS = "      - status: queued\n      - tool_calls:\n          - {function: get_weather}\n"
INCOMPLETE_STEPS = "      - status: in_progress\n      - status: incomplete\n"
INVALID_PROMPT_STEPS = "      - status: failed\n        last_error: {code: invalid_prompt, message: No.}\n"
EXTRA_STEPS = "      - status: queued\n        extra: {expires_at: null, x_debug: 1}\n"
SEEDED_TOOLS = ("objects:\n  assistants:\n    - id: asst_a\n      model: gpt-4o\n      tools:\n"
                "        - {type: function, function: {name: f}}\n        - type: code_interpreter\n"
                "        - type: file_search\n")

# (compat, steps, objects) -> the problems, as the loader prints them after "FILE:"
REJECTED = {
    "tool_calls under oxillama": ("oxillama", TOOL_STEPS, "", [
        ("6:9: runs[0].steps[1]: the oxillama client (oxillama-server 0.1.3 Run) cannot read status "
         "requires_action, so tool_calls steps cannot be used with compat: oxillama (profiles that can: openai, "
         "zio-openai, api-openai, async-openai)")]),
    "tool_calls under portable": ("portable", TOOL_STEPS, "", [
        ("6:9: runs[0].steps[1]: the oxillama client (oxillama-server 0.1.3 Run) cannot read status "
         "requires_action, so tool_calls steps cannot be used with compat: portable (profiles that can: openai, "
         "zio-openai, api-openai, async-openai)")]),
    "incomplete under zio-openai": ("zio-openai", INCOMPLETE_STEPS, "", [
        ("6:17: runs[0].steps[1].status: the zio-openai client (zio-openai 0.4.1 RunObject) cannot read status "
         "incomplete, so a status: incomplete step cannot be used with compat: zio-openai; end the run completed "
         "or failed instead")]),
    "incomplete under portable": ("portable", INCOMPLETE_STEPS, "", [
        ("6:17: runs[0].steps[1].status: the oxillama client (oxillama-server 0.1.3 Run) and the zio-openai "
         "client (zio-openai 0.4.1 RunObject) cannot read status incomplete, so a status: incomplete step cannot "
         "be used with compat: portable; end the run completed or failed instead")]),
    "invalid_prompt under zio-openai": ("zio-openai", INVALID_PROMPT_STEPS, "", [
        ("6:28: runs[0].steps[0].last_error.code: the zio-openai client (zio-openai 0.4.1 RunObject) decodes "
         "last_error.code rate_limit_exceeded or server_error only, so invalid_prompt cannot be used with "
         "compat: zio-openai")]),
    "extra replacing a run field": ("zio-openai", EXTRA_STEPS, "", [
        ("6:29: runs[0].steps[0].extra.expires_at: extra may not replace the run's expires_at under compat: "
         "zio-openai, which keeps it readable by the zio-openai client (zio-openai 0.4.1 RunObject); extra may "
         "only add fields the API does not have")]),
    "code_interpreter seeded under api-openai": ("api-openai", "      - status: completed\n", SEEDED_TOOLS, [
        ("9:17: objects.assistants[0].tools[1].type: the api_openai client (api_openai 0.3.0 RunObject) has no "
         "code_interpreter tool variant, so a code_interpreter tool cannot be seeded with compat: api-openai "
         "(tools added at runtime are left out of the JSON under this profile)")]),
    "file_search seeded under portable": ("portable", "      - status: completed\n", SEEDED_TOOLS, [
        ("9:17: objects.assistants[0].tools[1].type: the api_openai client (api_openai 0.3.0 RunObject) has no "
         "code_interpreter tool variant, so a code_interpreter tool cannot be seeded with compat: portable "
         "(tools added at runtime are left out of the JSON under this profile)"),
        ("10:17: objects.assistants[0].tools[2].type: the zio-openai client (zio-openai 0.4.1 RunObject) rejects "
         "file_search and the api_openai client rejects its stand-in, retrieval, so a file_search tool cannot be "
         "seeded with compat: portable (tools added at runtime are left out of the JSON under this profile)")]),
}
ACCEPTED = {
    "tool_calls under api-openai": ("api-openai", TOOL_STEPS, ""),
    "tool_calls under zio-openai": ("zio-openai", TOOL_STEPS, ""),
    "incomplete under async-openai": ("async-openai", INCOMPLETE_STEPS, ""),
    "invalid_prompt under async-openai": ("async-openai", INVALID_PROMPT_STEPS, ""),
    "seeded tools under zio-openai": ("zio-openai", "      - status: completed\n", SEEDED_TOOLS),
    "everything under openai": ("openai", TOOL_STEPS + "      - status: incomplete\n", SEEDED_TOOLS),
    "extra fields no client reads": ("portable", "      - status: queued\n        extra: {x_debug: 1}\n", ""),
}


@pytest.mark.parametrize("case", REJECTED)
def test_a_scenario_its_profile_cannot_express_is_rejected_with_position(case: str, tmp_path: Any) -> None:
    compat, steps, objects, expected = REJECTED[case]
    path = tmp_path / "weather.yaml"
    path.write_text(_scenario_text(compat, steps, objects))
    with pytest.raises(ScenarioError) as error:
        load_scenario(path)
    assert [str(p) for p in error.value.problems] == [f"{path}:{line}" for line in expected]


@pytest.mark.parametrize("case", ACCEPTED)
def test_what_a_profile_can_express_loads(case: str) -> None:
    compat, steps, objects = ACCEPTED[case]
    assert load_scenario(_scenario_text(compat, steps, objects)).compat == compat


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_the_default_script_works_under_every_profile(profile: str) -> None:
    assert load_scenario("default", compat=profile).compat == profile
    assert load_scenario("run_fails", compat=profile).compat == profile


def test_a_compat_override_is_checked_too(fake_openai: Any) -> None:
    with pytest.raises(ScenarioError) as error:
        load_scenario("requires_action_then_complete", compat="oxillama")
    [problem] = error.value.problems
    assert problem.path == "conversations[0].steps[2]" and "the oxillama client" in problem.message
    with pytest.raises(ScenarioError) as typo:
        fake_openai.load("default", compat="zio-opnai")
    assert "invalid value 'zio-opnai'" in str(typo.value) and "(did you mean 'zio-openai'?)" in str(typo.value)
    with pytest.raises(ScenarioError, match="zio-openai client"):
        fake_openai.load("run_incomplete", compat="zio-openai")


def test_put_scenario_answers_400_with_positions(fake_openai: Any, rec: Recorder) -> None:
    response = rec.http.put("/../_fake/scenario", content=_scenario_text("oxillama", TOOL_STEPS))
    assert response.status_code == 400, response.text
    [problem] = response.json()["error"]["problems"]
    assert (problem["line"], problem["column"], problem["path"]) == (6, 9, "runs[0].steps[1]")
    assert problem["message"].startswith("the oxillama client (oxillama-server 0.1.3 Run) cannot read status")
    named = rec.http.put("/../_fake/scenario", json={"name": "run_incomplete", "compat": "zio-openai"})
    assert named.status_code == 400 and "zio-openai client" in named.json()["error"]["message"]


def test_marker_with_a_profile_that_cannot_express_the_scenario(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_suite='''
        import pytest

        @pytest.mark.fake_openai(scenario="requires_action_then_complete", compat="oxillama")
        def test_tools(fake_openai):
            pass

        @pytest.mark.fake_openai(scenario="run_fails", compat="portable")
        def test_fails(fake_openai):
            pass
    ''')
    result = pytester.runpytest("-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*fake_openai: cannot load the scenario:*",
                                 ("*conversations[[]0[]].steps[[]2[]]: the oxillama client (oxillama-server 0.1.3 Run) "
                                  "cannot read status requires_action*")])


def test_cli_validate_names_the_client_and_the_reason(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from fakeopenai.doors.cli import main

    bad = tmp_path / "weather.yaml"
    bad.write_text(_scenario_text("oxillama", TOOL_STEPS))
    good = tmp_path / "fine.yaml"
    good.write_text(_scenario_text("api-openai", TOOL_STEPS))

    assert main(["validate", str(good), str(bad)]) == 1

    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{good}: ok"
    assert lines[1].startswith(f"{bad}:6:9: runs[0].steps[1]: the oxillama client (oxillama-server 0.1.3 Run) "
                               "cannot read status requires_action, so tool_calls steps cannot be used with "
                               "compat: oxillama")


def test_serve_compat_selects_the_profile_and_refuses_what_it_cannot_express() -> None:
    import subprocess
    import sys

    refused = subprocess.run([sys.executable, "-m", "fakeopenai", "serve", "--port", "0", "--scenario",
                              "requires_action_then_complete", "--compat", "oxillama"],
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2
    assert "conversations[0].steps[2]: the oxillama client (oxillama-server 0.1.3 Run) cannot read status " \
           "requires_action" in refused.stderr

    process = subprocess.Popen([sys.executable, "-m", "fakeopenai", "serve", "--port", "0", "--compat",
                                "zio-openai", "--log-level", "warning"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        base_url = (process.stdout.readline().split() or [""])[-1]  # type: ignore[union-attr]
        with httpx.Client(base_url=base_url, headers={"Authorization": "Bearer sk-zio"}, timeout=30) as http:
            assistant = http.post("/assistants", json={"model": "gpt-4o"}).json()
            run = http.post("/threads/runs", json={"assistant_id": assistant["id"]}).json()
    finally:
        process.terminate()
        process.communicate(timeout=10)
    assert run["file_ids"] == [] and run["usage"] == ZERO and rules.zio_run(run) == []


def test_the_overhead_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "benchmarks" / "profile_overhead.py"
    spec = importlib.util.spec_from_file_location("profile_overhead", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--number", "5", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    assert "openai (before)" in out and "portable" in out and "default path, run: now/before" in out


def test_timestamps_stay_within_32_bits_at_the_clock_cap(fake_openai: Any, rec: Recorder) -> None:
    """Regression: at the clock's cap, created_at + 600 passed 2^31-1 in expires_at, which the 32-bit
    clients of zio-openai and async-openai cannot read (nor the profile's own filled-in value)."""
    cap = 2**31 - 1
    for profile in ("zio-openai", "async-openai", "portable"):
        rec.seen.clear()
        fake_openai.load({"compat": profile, "clock": {"start": cap - 100},
                          "runs": [{"steps": [{"status": "in_progress"}, {"status": "completed"}]}]})
        assistant = rec.call("POST", "/assistants", {"model": "gpt-4o"})
        run = rec.call("POST", "/threads/runs", {"assistant_id": assistant["id"]})
        assert run["expires_at"] == cap and run["created_at"] < cap
        upload = rec.http.post("/files", files={"file": ("in.jsonl", b"{}\n")}, data={"purpose": "batch"})
        assert upload.json()["expires_at"] == cap
        assert rec.violations(profile) == [], rec.violations(profile)
        finished = rec.call("GET", f"/threads/{run['thread_id']}/runs/{run['id']}")
        finished = rec.call("GET", f"/threads/{run['thread_id']}/runs/{run['id']}")
        assert finished["status"] == "completed"
        assert finished.get("expires_at") in (None, cap)   # zio-openai fills it: created_at + 600, capped


def test_serve_seed_and_compat_are_the_default_of_later_loads(spec: Any) -> None:
    """Regression: with serve --compat api-openai, PUT /_fake/scenario without compat fell back to openai,
    and api_openai could no longer read runs with function tools. A scenario or a request that names its
    own compat (or seed) keeps it."""
    from fakeopenai.doors.server import ServerThread
    from fakeopenai.http.app import create_app

    server = ServerThread(create_app(compat="api-openai", seed=7)).start()
    try:
        with httpx.Client(base_url=server.origin, headers={"Authorization": "Bearer sk-later"}) as http:
            loaded = http.put("/_fake/scenario", json={"name": "requires_action_then_complete"}).json()
            assert (loaded["compat"], loaded["seed"]) == ("api-openai", 7)
            tool = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}
            assistant = http.post("/v1/assistants", json={"model": "gpt-4o", "tools": [tool]}).json()
            assert assistant["tools"] == [{"type": "function", "name": "get_weather",
                                           "parameters": {"type": "object"}}]
            run = http.post("/v1/threads/runs", json={"assistant_id": "asst_weather"}).json()
            assert rules.check("api-openai", "run", run) == []
            own = http.put("/_fake/scenario", content="compat: openai\nseed: 3\n",
                           headers={"content-type": "application/yaml"}).json()
            assert (own["compat"], own["seed"]) == ("openai", 3)
            asked = http.put("/_fake/scenario?compat=zio-openai", json={"name": "default"}).json()
            assert (asked["compat"], asked["seed"]) == ("zio-openai", 7)
    finally:
        server.stop()


def test_the_profiles_run_lifetime_is_the_engines() -> None:
    """compat is a leaf (it imports no family), so it keeps its own copy of a run's 600 s."""
    from fakeopenai.core.compat import profiles
    from fakeopenai.families.assistants.runs import RUN_LIFETIME

    assert profiles.RUN_LIFETIME == RUN_LIFETIME
