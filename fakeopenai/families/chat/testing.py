"""What the project's tests take from this family, read through the registry (``tests/family_tables.py``),
so a new family brings its own rows and no shared test table changes.

* ``ERROR_CASES``: its rows of the table of bad requests (``tests/test_errors.py``): (name, method, path,
  httpx request arguments, status, the error's ``param``); ``{name}`` in a path or body names an object
  that test's world made. Every route of the family needs at least one row.
* ``SCHEMATHESIS_UNMAPPED``: operations whose answers schemathesis cannot read as the spec is written
  (``tests/test_schemathesis.py``).
* ``SDK_TEST_MODULES``: its test modules about what the SDK does with the answers, which run on
  openai 1.x too (``tests/test_client_matrix.py``).
"""

from __future__ import annotations

from typing import Any

CHAT = "/v1/chat/completions"
BAD_JSON = {"headers": {"content-type": "application/json"}}

ERROR_CASES: list[tuple[str, str, str, dict[str, Any], int, str | None]] = [
    ("chat: empty body", "POST", CHAT, {"content": b"", **BAD_JSON}, 400, "model"),   # an allOf schema: was a 500
    ("chat: stream_options without stream", "POST", "/v1/chat/completions",
     {"json": {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}],
               "stream_options": {"include_usage": True}}}, 400, "stream_options"),
    ("chat: no messages", "POST", "/v1/chat/completions", {"json": {"model": "gpt-4o"}}, 400, "messages"),
    ("chat: n above 128", "POST", "/v1/chat/completions",
     {"json": {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}], "n": 129}}, 400, "n"),
    ("chat: a tool message answering nothing", "POST", "/v1/chat/completions",
     {"json": {"model": "gpt-4o", "messages": [{"role": "tool", "tool_call_id": "call_x", "content": "1"}]}},
     400, "messages.[0].role"),
    ("chat: a call left without its tool message", "POST", "/v1/chat/completions",
     {"json": {"model": "gpt-4o", "messages": [{"role": "assistant", "tool_calls": [
         {"id": "call_x", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}]}},
     400, "messages.[0].role"),
    ("chat: a named tool not offered", "POST", "/v1/chat/completions",
     {"json": {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}],
               "tool_choice": {"type": "function", "function": {"name": "f"}}}}, 400, "tool_choice"),
    ("chat: list with a bad limit", "GET", "/v1/chat/completions?limit=0", {}, 400, "limit"),
    ("chat: unknown completion", "GET", "/v1/chat/completions/chatcmpl-nope", {}, 404, "completion_id"),
    ("chat: update without metadata", "POST", "/v1/chat/completions/chatcmpl-nope", {"json": {}}, 400,
     "metadata"),
    ("chat: delete unknown", "DELETE", "/v1/chat/completions/chatcmpl-nope", {}, 404, "completion_id"),
    ("chat: messages of unknown", "GET", "/v1/chat/completions/chatcmpl-nope/messages", {}, 404, "completion_id"),
]

SDK_TEST_MODULES = ("tests/test_chat.py",)

# The spec gives stored chat messages the role "assistant" only, though its own example lists a "user"
# message (tests/test_schemathesis.py still checks the rest against the spec).
SCHEMATHESIS_UNMAPPED = ("GET /v1/chat/completions/{completion_id}/messages",)
