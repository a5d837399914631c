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
from typing import Any, Callable, Iterator

import httpx
import pytest

from fakeopenai import ScenarioError, load_scenario
from fakeopenai.render.objects import page, run as render_run
from fakeopenai.render.profiles import PROFILE_NAMES, get_profile
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
