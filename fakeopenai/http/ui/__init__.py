"""The timeline page (``GET /_fake/ui``, and the file ``pytest --fake-openai-report DIR`` writes).

One template, ``timeline.html``: inline CSS and script, no build step, no external URL. Served
live it polls ``GET /_fake/tenants`` and ``GET /_fake/timeline``; written for a failed test it
carries one tenant's timeline JSON inside and needs no server.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


@cache
def template() -> str:
    return resources.files(__package__).joinpath("timeline.html").read_text("utf-8")


def render(data: dict[str, Any] | None = None, *, ask_key: bool = False, title: str = "fakeopenai timeline") -> str:
    """The page: live (``data`` None: it fetches the control API of the server that served it) or
    self-contained (``data``: one ``GET /_fake/timeline`` answer, embedded)."""
    embedded = "null" if data is None else _script_json(data)
    return (template().replace("__FAKEOPENAI_TITLE__", _html(title))
            .replace("__FAKEOPENAI_ASK_KEY__", "true" if ask_key else "false")
            .replace("__FAKEOPENAI_DATA__", embedded))


def _script_json(data: Any) -> str:
    """JSON safe inside a <script> element: no ``</script>``, no ``<!--``, ASCII only."""
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":"), default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
