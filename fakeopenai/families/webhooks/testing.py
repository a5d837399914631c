"""What the project's tests take from this family, read through the registry (``tests/family_tables.py``;
the tables are described in ``fakeopenai/families/responses/testing.py``)."""

from __future__ import annotations

from typing import Any

ERROR_CASES: list[tuple[str, str, str, dict[str, Any], int, str | None]] = [
    ("webhooks: wait not a number", "GET", "/_fake/webhooks?wait=abc", {}, 400, "wait"),
]
