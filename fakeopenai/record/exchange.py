"""One request and its answer: what the recorder saw, or what a cassette holds."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Exchange:
    """A request (method, ``/v1/...`` path, query, body) and the answer (status, headers, body).

    Header names are lower case. A streamed answer's body is the whole event stream as it arrived.
    ``broken`` says the upstream closed the connection without (a complete) answer."""

    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    request_headers: dict[str, str] = field(default_factory=dict)
    request_body: bytes = b""
    status: int = 200
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: bytes = b""
    broken: bool = False

    @classmethod
    def from_url(cls, method: str, url: str, **kwargs: Any) -> Exchange:
        """An exchange for a full URL (``https://api.openai.com/v1/x?y=1``): the path from its ``/v1``."""
        parts = urlsplit(url)
        path = parts.path
        index = path.find("/v1/")
        path = path[index:] if index >= 0 else ("/v1" + path if not path.startswith("/v1") else path)
        return cls(method.upper(), path.rstrip("/") or "/", dict(parse_qsl(parts.query)), **kwargs)

    def request_json(self) -> Any:
        try:
            return json.loads(self.request_body or b"null")
        except ValueError:
            return None

    @property
    def streamed(self) -> bool:
        return "text/event-stream" in self.response_headers.get("content-type", "")

    def response_json(self) -> Any:
        if self.streamed:
            return None
        try:
            return json.loads(self.response_body or b"null")
        except ValueError:
            return None

    def events(self) -> list[tuple[str | None, Any]]:
        """A streamed answer's events: (event name or None, parsed data); ``[DONE]`` and bad JSON left out."""
        out: list[tuple[str | None, Any]] = []
        text = self.response_body.decode("utf-8", "replace").replace("\r\n", "\n")
        for block in text.split("\n\n"):
            name: str | None = None
            data: list[str] = []
            for line in block.split("\n"):
                if line.startswith("event:"):
                    name = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].lstrip(" "))
            if not data or data == ["[DONE]"]:
                continue
            try:
                parsed = json.loads("\n".join(data))
            except ValueError:
                continue
            out.append((name or (parsed.get("type") if isinstance(parsed, dict) else None), parsed))
        return out
