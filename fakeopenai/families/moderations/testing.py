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
    ("moderation: no input", "POST", "/v1/moderations", {"json": {"model": "omni-moderation-latest"}}, 400, "input"),
]

SDK_TEST_MODULES = ("tests/test_moderations.py",)
