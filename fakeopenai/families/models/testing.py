"""What the project's tests take from this family, read through the registry (``tests/family_tables.py``),
so a new family brings its own rows and no shared test table changes.

* ``ERROR_CASES``: its rows of the table of bad requests (``tests/test_errors.py``): (name, method, path,
  httpx request arguments, status, the error's ``param``); ``{name}`` in a path or body names an object
  that test's world made. Every route of the family needs at least one row.
* ``SDK_TEST_MODULES``: its test modules about what the SDK does with the answers, which run on
  openai 1.x too (``tests/test_client_matrix.py``).
"""

from __future__ import annotations

from typing import Any

ERROR_CASES: list[tuple[str, str, str, dict[str, Any], int, str | None]] = [
    ("model: unknown id", "GET", "/v1/models/gpt-nope", {}, 404, None),
    ("model: delete a base model", "DELETE", "/v1/models/gpt-4o", {}, 403, None),
    ("models: wrong method", "POST", "/v1/models", {"json": {}}, 405, None),
]

SDK_TEST_MODULES = ("tests/test_models.py",)
