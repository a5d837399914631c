"""What the project's tests take from this family, read through the registry (``tests/family_tables.py``;
the tables are described in ``fakeopenai/families/responses/testing.py``)."""

from __future__ import annotations

from typing import Any

ERROR_CASES: list[tuple[str, str, str, dict[str, Any], int, str | None]] = [
    ("client secret: a lifetime out of bounds", "POST", "/v1/realtime/client_secrets",
     {"json": {"expires_after": {"anchor": "created_at", "seconds": 5}}}, 400, "expires_after.seconds"),
    ("client secret: a session type changed", "POST", "/v1/realtime/client_secrets",
     {"json": {"session": {"type": "realtime", "output_modalities": "text"}}}, 400, "session.output_modalities"),
]
