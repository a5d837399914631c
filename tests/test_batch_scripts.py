"""Batch lines answered by the scripts of the endpoint's family, through the official SDK:
``chat:`` / ``conversations:`` scripts for ``/v1/chat/completions`` lines, ``embeddings:`` vectors
and ``moderations:`` flags for theirs (the ``Family.batch_answerer`` hook). A line no script takes
gets the generated answer, byte for byte the one it gets in a scenario without such scripts."""

from __future__ import annotations

import json
from typing import Any

import httpx
import openai

from fakeopenai.core.registry import batch_answerer

TOOL: Any = {"type": "function", "function": {"name": "get_weather", "parameters": {
    "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}


def _run(client: openai.OpenAI, endpoint: str, bodies: dict[str, dict[str, Any]]) -> tuple[bytes, bytes]:
    """A batch of ``bodies`` (by custom_id) polled to its end: its output and error files' bytes."""
    upload = client.files.create(purpose="batch", file=("in.jsonl", "".join(
        json.dumps({"custom_id": cid, "method": "POST", "url": endpoint, "body": body}) + "\n"
        for cid, body in bodies.items()).encode()))
    batch = client.batches.create(input_file_id=upload.id, endpoint=endpoint, completion_window="24h")  # type: ignore[arg-type]
    while batch.status not in {"completed", "failed", "expired", "cancelled"}:
        batch = client.batches.retrieve(batch.id)
    assert batch.status == "completed"
    output = client.files.content(batch.output_file_id).read() if batch.output_file_id else b""
    errors = client.files.content(batch.error_file_id).read() if batch.error_file_id else b""
    return output, errors


def _bodies(raw: bytes) -> dict[str, Any]:
    lines = (json.loads(line) for line in raw.splitlines())
    return {line["custom_id"]: line["response"] for line in lines}


def _chat(text: str, **more: Any) -> dict[str, Any]:
    return {"model": "gpt-4o", "messages": [{"role": "user", "content": text}], **more}


CHAT_LINES = {"w": _chat("weather in Paris?", tools=[TOOL]), "s": _chat("tell me the secret"),
              "f": _chat("please fail"), "other": _chat("Hello"), "other2": _chat("Hi there", n=2)}


def test_chat_lines_are_answered_by_chat_scripts(fake_openai: Any, client: openai.OpenAI, spec: Any) -> None:
    fake_openai.load({"seed": 3, "chat": [
        {"name": "weather", "match": {"tools": ["get_weather"]},
         "steps": [{"tool_calls": [{"function": "get_weather", "arguments": {"city": "Paris"}}]}]},
        {"name": "fails", "match": {"last_message": {"contains": "fail"}},
         "steps": [{"status": "failed", "last_error": {"code": "rate_limit_exceeded", "message": "Slow down."}}]}],
        "conversations": [{"name": "secret", "match": {"last_message": {"contains": "secret"}},
                           "steps": [{"message": "I cannot say."}]}]})
    output, errors = _run(client, "/v1/chat/completions", CHAT_LINES)
    lines = _bodies(output)
    for line in lines.values():
        spec.validate(line["body"], "CreateChatCompletionResponse")
    [weather] = lines["w"]["body"]["choices"]
    assert weather["finish_reason"] == "tool_calls" and weather["message"]["content"] is None
    [call] = weather["message"]["tool_calls"]
    assert call["function"] == {"name": "get_weather", "arguments": '{"city": "Paris"}'}
    assert lines["s"]["body"]["choices"][0]["message"]["content"] == "I cannot say."
    failed = _bodies(errors)["f"]
    assert failed["status_code"] == 429 and failed["body"]["error"]["code"] == "rate_limit_exceeded"
    assert [s["used"] for s in fake_openai.scenario["chat"]] == [1, 1]
    # Lines no script takes are generated, as without scripts: the same bytes.
    fake_openai.load({"seed": 3})
    plain, _ = _run(client, "/v1/chat/completions", CHAT_LINES)
    generated = _bodies(plain)
    assert lines["other"]["body"] == generated["other"]["body"] and lines["other2"] == generated["other2"]


def test_every_endpoint_is_answered_by_its_family_and_ahead_without_scripts(fake_openai: Any) -> None:
    """Each batch endpoint's lines are answered by the family that serves it (Family.batch_answerer); with no
    script or entry of that family, answering changes nothing, so a big batch's answers may be built ahead
    (and the usual chat line takes the fast path); chat scripts, embeddings entries, moderations entries
    each make their family's answers play at the end."""
    from fakeopenai.families.batches.batch_input import ENDPOINTS

    def lines() -> dict[str, Any]:
        return fake_openai._with_state(lambda state: {endpoint: batch_answerer(state, endpoint)
                                                      for endpoint in ENDPOINTS})

    fake_openai.load({"seed": 3, "responses": [{"steps": [{"message": "x"}]}]})
    plain = lines()
    assert all(found is not None for found in plain.values())
    assert [plain[e].pure for e in ("/v1/chat/completions", "/v1/embeddings", "/v1/moderations",
                                    "/v1/completions")] == [True] * 4
    assert plain["/v1/chat/completions"].planned is not None and not plain["/v1/responses"].pure
    fake_openai.load({"chat": [{"steps": [{"message": "x"}]}], "embeddings": [{"vector": [1, 0]}],
                      "moderations": [{"categories": {"hate": 0.9}}]})
    scripted = lines()
    assert [scripted[e].pure for e in ("/v1/chat/completions", "/v1/embeddings", "/v1/moderations")] == [False] * 3
    assert scripted["/v1/chat/completions"].planned is None


def test_embedding_lines_get_the_scripted_vectors(fake_openai: Any, client: openai.OpenAI, spec: Any) -> None:
    fake_openai.load({"embeddings": [{"match": {"input": {"equals": "cat"}}, "vector": [1, 0, 0, 0]},
                                     {"match": {"input": {"contains": "kitten"}}, "similar_to": "cat",
                                      "similarity": 0.9}]})
    model = {"model": "text-embedding-3-small", "dimensions": 4}
    bodies = {"pair": {**model, "input": ["cat", "a kitten"]}, "dog": {**model, "input": "dog"},
              "empty": {**model, "input": ["cat", ""]}}
    output, errors = _run(client, "/v1/embeddings", bodies)
    lines = _bodies(output)
    for line in lines.values():
        spec.validate(line["body"], "CreateEmbeddingResponse")
    cat, kitten = (item["embedding"] for item in lines["pair"]["body"]["data"])
    assert cat == [1.0, 0.0, 0.0, 0.0] and abs(kitten[0] - 0.9) < 1e-6
    assert _bodies(errors)["empty"]["body"]["error"]["param"] == "input"   # as POST /embeddings answers it
    synced = client.embeddings.create(input="dog", encoding_format="float", **model)   # type: ignore[arg-type]
    assert lines["dog"]["body"]["data"][0]["embedding"] == synced.data[0].embedding


def test_moderation_lines_get_the_scripted_flags(fake_openai: Any, client: openai.OpenAI, spec: Any) -> None:
    fake_openai.load({"moderations": [{"match": {"input": {"contains": "kill"}}, "categories": {"violence": 0.97}}]})
    output, _ = _run(client, "/v1/moderations", {"bad": {"input": ["I will kill it", "fine"]},
                                                 "good": {"input": "a nice day"}})
    lines = _bodies(output)
    for line in lines.values():
        spec.validate(line["body"], "CreateModerationResponse")
    bad, fine = lines["bad"]["body"]["results"]
    assert bad["flagged"] and bad["categories"]["violence"] and bad["category_scores"]["violence"] == 0.97
    assert not fine["flagged"] and not lines["good"]["body"]["results"][0]["flagged"]


# ----------------------------------------------------------------------------- a line is a direct call

SCHEMA: Any = {"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
               "required": ["city", "days"], "additionalProperties": False}
OTHER_TOOL: Any = {"type": "function", "function": {"name": "get_time", "parameters": {
    "type": "object", "properties": {"zone": {"type": "string"}}, "required": ["zone"]}}}
SAME_BODIES: dict[str, dict[str, dict[str, Any]]] = {
    "/v1/chat/completions": {
        "plain": _chat("Plan a trip"),
        "cut": _chat("Plan a long trip", max_tokens=3),
        "tools": _chat("Weather and time?", tools=[TOOL, OTHER_TOOL], tool_choice="required"),
        "named": _chat("Time?", tools=[TOOL, OTHER_TOOL], tool_choice={"type": "function",
                                                                       "function": {"name": "get_time"}}),
        "schema": _chat("Where to?", response_format={"type": "json_schema", "json_schema": {
            "name": "trip", "schema": SCHEMA, "strict": True}}),
        "object": _chat("As JSON", response_format={"type": "json_object"}),
        "two": _chat("Two answers", n=2),
    },
    "/v1/responses": {
        "plain": {"model": "gpt-4o", "input": "Plan a trip", "instructions": "Be brief."},
        "cut": {"model": "gpt-4o", "input": "Plan a long trip", "max_output_tokens": 16},
        "schema": {"model": "gpt-4o", "input": "Where to?", "text": {"format": {
            "type": "json_schema", "name": "trip", "schema": SCHEMA, "strict": True}}},
        "tools": {"model": "gpt-4o", "input": "Weather?", "tool_choice": "required", "tools": [
            {"type": "function", "name": "get_weather", "parameters": TOOL["function"]["parameters"]}]},
    },
    "/v1/embeddings": {
        "many": {"model": "text-embedding-3-small", "input": ["cat", "dog"], "dimensions": 8},
        "base64": {"model": "text-embedding-3-small", "input": "cat", "encoding_format": "base64"},
    },
    "/v1/moderations": {
        "one": {"model": "omni-moderation-latest", "input": "I like cats"},
        "many": {"model": "omni-moderation-latest", "input": ["a", "b"]},
    },
}
# A line's answer is never stored (the output file holds it): "store" says so on a response.
_IDS = {"id", "call_id", "created", "created_at", "completed_at", "store"}


def _content(value: Any) -> Any:
    """An answer without its ids, timestamps and whether it was stored."""
    if isinstance(value, dict):
        return {k: _content(v) for k, v in value.items() if k not in _IDS}
    if isinstance(value, list):
        return [_content(v) for v in value]
    return value


def test_a_batch_line_is_answered_as_the_direct_call_with_its_body(fake_openai: Any, client: openai.OpenAI) -> None:
    """issue 25: the family that serves an endpoint answers its batch lines with the generator of its direct calls
    (one per wire shape: forced tool calls, json_schema instances, text, the cut at a token limit), so a line and
    a call with the same body say the same, ids and timestamps aside."""
    fake_openai.load({"seed": 11})
    for endpoint, bodies in SAME_BODIES.items():
        output, errors = _run(client, endpoint, bodies)
        assert errors == b""
        lines = _bodies(output)
        for custom_id, body in bodies.items():
            direct = client.post(endpoint.removeprefix("/v1"), body=body, cast_to=httpx.Response).json()
            assert lines[custom_id]["status_code"] == 200
            assert _content(lines[custom_id]["body"]) == _content(direct), f"{endpoint} {custom_id}"
