"""vcrpy / pytest-recording YAML cassettes to exchanges (the same data the proxy records)."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path
from typing import Any

import yaml

from fakeopenai.record.exchange import Exchange
from fakeopenai.record.proxy import SECRET_HEADERS


def _bytes(value: Any) -> bytes:
    if value is None:
        return b""
    if isinstance(value, bytes):
        return value
    if isinstance(value, dict):        # a response body: {string: ...}
        return _bytes(value.get("string"))
    return str(value).encode("utf-8")


def _headers(value: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, values in (value or {}).items():
        if isinstance(values, list):
            values = values[-1] if values else ""
        out[str(name).lower()] = str(values)
    return out


def _decoded(body: bytes, encoding: str) -> bytes:
    try:
        if encoding == "gzip":
            return gzip.decompress(body)
        if encoding == "deflate":
            return zlib.decompress(body)
    except (OSError, zlib.error):
        pass
    return body


def exchanges_from(data: Any) -> list[Exchange]:
    """A loaded cassette (``{interactions: [{request, response}], version: 1}``) to exchanges."""
    if not isinstance(data, dict) or not isinstance(data.get("interactions"), list):
        raise ValueError("not a vcrpy cassette (no interactions: list)")
    out = []
    for interaction in data["interactions"]:
        request, response = interaction.get("request") or {}, interaction.get("response") or {}
        headers = _headers(response.get("headers"))
        body = _decoded(_bytes(response.get("body")), headers.pop("content-encoding", ""))
        status = response.get("status") or {}
        out.append(Exchange.from_url(
            str(request.get("method", "GET")), str(request.get("uri", "")),
            request_headers={k: v for k, v in _headers(request.get("headers")).items() if k not in SECRET_HEADERS},
            request_body=_bytes(request.get("body")),
            status=int(status.get("code", 200) if isinstance(status, dict) else status),
            response_headers=headers, response_body=body))
    return out


def read_cassette(path: Path) -> list[Exchange]:
    return exchanges_from(yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader))
