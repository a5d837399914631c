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

ERROR_CASES: list[tuple[str, str, str, dict[str, Any], int, str | None]] = [
    ("response: unknown id", "GET", "/v1/responses/resp_nope", {}, 404, "response_id"),
    ("input tokens: bad input", "POST", "/v1/responses/input_tokens", {"json": {"model": "gpt-4o", "input": 5}}, 400,
     "input"),
    ("input tokens: unknown previous", "POST", "/v1/responses/input_tokens",
     {"json": {"model": "gpt-4o", "previous_response_id": "resp_nope"}}, 400, "previous_response_id"),
    ("compact: no model", "POST", "/v1/responses/compact", {"json": {"input": "Hi"}}, 400, "model"),
    ("compact: GET", "GET", "/v1/responses/compact", {}, 404, "response_id"),
    ("response: delete unknown", "DELETE", "/v1/responses/resp_nope", {}, 404, "response_id"),
    ("response: cancel unknown", "POST", "/v1/responses/resp_nope/cancel", {}, 404, "response_id"),
    ("response: input items of unknown", "GET", "/v1/responses/resp_nope/input_items", {}, 404, "response_id"),
    ("response: unknown previous", "POST", "/v1/responses",
     {"json": {"model": "gpt-4o", "input": "Hi", "previous_response_id": "resp_nope"}}, 400, "previous_response_id"),
    ("response: input of the wrong type", "POST", "/v1/responses", {"json": {"model": "gpt-4o", "input": 5}}, 400,
     "input"),
    ("response: background without store", "POST", "/v1/responses",
     {"json": {"model": "gpt-4o", "input": "Hi", "background": True, "store": False}}, 400, "store"),
    ("response: an output for no call", "POST", "/v1/responses",
     {"json": {"model": "gpt-4o", "input": [{"type": "function_call_output", "call_id": "call_x", "output": "y"}]}},
     400, "input"),
    ("response: unknown conversation", "POST", "/v1/responses",
     {"json": {"model": "gpt-4o", "input": "Hi", "conversation": "conv_nope"}}, 404, "conversation"),
    ("response: conversation and previous response", "POST", "/v1/responses",
     {"json": {"model": "gpt-4o", "input": "Hi", "conversation": "{conversation}", "previous_response_id": "resp_x"}},
     400, "conversation"),
    ("conversation: metadata not an object", "POST", "/v1/conversations", {"json": {"metadata": "x"}}, 400,
     "metadata"),
    ("conversation: 21 items", "POST", "/v1/conversations",
     {"json": {"items": [{"role": "user", "content": "x"}] * 21}}, 400, "items"),
    ("conversation: unknown id", "GET", "/v1/conversations/conv_nope", {}, 404, "conversation_id"),
    ("conversation: update without metadata", "POST", "/v1/conversations/{conversation}", {"json": {}}, 400,
     "metadata"),
    ("conversation: delete unknown", "DELETE", "/v1/conversations/conv_nope", {}, 404, "conversation_id"),
    ("conversation items: no items", "POST", "/v1/conversations/{conversation}/items", {"json": {}}, 400, "items"),
    ("conversation items: unknown field", "POST", "/v1/conversations/{conversation}/items",
     {"json": {"items": [], "metadata": {}}}, 400, "metadata"),
    ("conversation items: a bad item", "POST", "/v1/conversations/{conversation}/items",
     {"json": {"items": [{"role": "user", "content": 5}]}}, 400, "items[0].content"),
    ("conversation items: limit 101", "GET", "/v1/conversations/{conversation}/items?limit=101", {}, 400, "limit"),
    ("conversation items: unknown conversation", "GET", "/v1/conversations/conv_nope/items", {}, 404,
     "conversation_id"),
    ("conversation item: unknown id", "GET", "/v1/conversations/{conversation}/items/msg_nope", {}, 404, "item_id"),
    ("conversation item: delete unknown", "DELETE", "/v1/conversations/{conversation}/items/msg_nope", {}, 404,
     "item_id"),
]

SDK_TEST_MODULES = ("tests/test_responses.py", "tests/test_conversations.py", "tests/test_hosted_tools.py")

# The spec's ItemResource has a discriminator without a mapping, so schemathesis takes the item types
# ("message") for schema names and rejects every item (tests/test_schemathesis.py still checks them
# against the spec).
SCHEMATHESIS_UNMAPPED = ("GET /v1/responses/{response_id}/input_items",)
