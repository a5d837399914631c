"""What the project's tests take from this family, read through the registry (``tests/family_tables.py``),
so a new family brings its own rows and no shared test table changes.

* ``ERROR_CASES``: its rows of the table of bad requests (``tests/test_errors.py``): (name, method, path,
  httpx request arguments, status, the error's ``param``); ``{name}`` in a path or body names an object
  that test's world made. Every route of the family needs at least one row.
* ``SPEC_ANSWER_READERS``: (path, reader) for answers the spec does not model as sent: the reader turns
  (answer bytes, request bytes) into what the spec models, or raises ValueError (``tests/spec_check.py``).
* ``SDK_TEST_MODULES``: its test modules about what the SDK does with the answers, which run on
  openai 1.x too (``tests/test_client_matrix.py``).
"""

from __future__ import annotations

import base64
import json
import struct
from typing import Any

ERROR_CASES: list[tuple[str, str, str, dict[str, Any], int, str | None]] = [
    ("embeddings: empty input", "POST", "/v1/embeddings",
     {"json": {"model": "text-embedding-3-small", "input": ""}}, 400, "input"),
    ("embeddings: no inputs", "POST", "/v1/embeddings", {"json": {"model": "text-embedding-3-small", "input": []}},
     400, "input"),
    ("embeddings: dimensions 0", "POST", "/v1/embeddings",
     {"json": {"model": "text-embedding-3-small", "input": "x", "dimensions": 0}}, 400, "dimensions"),
    ("embeddings: a model that is not a string, with dimensions", "POST", "/v1/embeddings",
     {"json": {"model": [{}, True, []], "input": "x", "dimensions": 44}}, 400, "model"),
]

SDK_TEST_MODULES = ("tests/test_embeddings.py",)


def decode_base64_embeddings(body: bytes, request_body: bytes) -> bytes:
    """An embeddings answer to a request with ``encoding_format: base64``, its embeddings decoded (each must be
    base64 of little-endian float32) so the spec's array of numbers can check them."""
    try:
        asked = json.loads(request_body).get("encoding_format")
    except (ValueError, AttributeError):
        return body
    if asked != "base64":
        return body
    data = json.loads(body)
    for item in data.get("data") or ():
        encoded = item.get("embedding")
        if not isinstance(encoded, str):
            raise ValueError(f"encoding_format base64 asked, embedding is {type(encoded).__name__}")
        packed = base64.b64decode(encoded, validate=True)
        if len(packed) % 4:
            raise ValueError(f"a base64 embedding of {len(packed)} bytes is not float32")
        item["embedding"] = list(struct.unpack(f"<{len(packed) // 4}f", packed))
    return json.dumps(data).encode()


SPEC_ANSWER_READERS = (("/v1/embeddings", decode_base64_embeddings),)
