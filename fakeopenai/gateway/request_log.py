"""The request log: what each request is recorded as (``GET /_fake/requests``), and the one
line per request the server logs (``POST /v1/threads 200 1.2ms [tenant-1a2b3c4d]``), with the
bodies at ``--log-level debug`` (never a header, so never the API key)."""

from __future__ import annotations

import copy
import logging
import re
import time
from typing import TYPE_CHECKING, Any

from starlette.types import Message, Scope, Send

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState

log = logging.getLogger("fakeopenai.http")

SECRET_HEADERS = frozenset({b"authorization", b"api-key", b"x-api-key", b"cookie", b"proxy-authorization",
                            b"openai-organization", b"openai-project"})
BODY_LOG_LIMIT = 64 * 1024
DEBUG_BODY_CHARS = 2000  # --log-level debug shows this much of each request and response body
RESPONSE_HEAD_BYTES = 4096  # of each answer, kept for the timeline (GET /_fake/timeline, the page)


def record(state: TenantState, scope: Scope, body: bytes, request_id: str, content_type: bytes) -> dict[str, Any]:
    """Keep the request in the tenant's log (up to REQUEST_LOG_LIMIT entries: an upload's bytes
    are never held a second time). The entry also carries what the timeline shows (its number
    ``n``, the fake and wall time; :func:`finish` adds the status, the answer's head and the
    duration; the gateway the fault), kept as they come and rounded when read (:func:`timeline.snapshot`).
    Its values are plain (the headers a tuple): the garbage collector stops looking at it after its
    first pass. ``content_type``: the request's (its last ``content-type`` header), or b"". """
    headers = tuple(scope["headers"])
    kept: bytes | str | dict[str, Any] = body
    if content_type.startswith(b"multipart/form-data"):
        kept = multipart_fields(body, content_type) or f"<multipart/form-data, {len(body)} bytes>"
    elif len(body) > BODY_LOG_LIMIT:
        kept = f"<{len(body)} bytes, not shown>"
    entry = {"method": scope["method"], "path": scope["path"], "query": scope.get("query_string", b""),
             "headers": headers, "body": kept, "n": state.timeline.next_request(), "request_id": request_id,
             "micros": state.clock.micros, "wall": time.time(), "status": None, "fault": None}
    state.requests.append(entry)
    return entry


def finish(state: TenantState, entry: dict[str, Any] | None, status: int, started: float,
           capture: Capture | None = None) -> None:
    """The request is answered: its status, duration and the head of its answer in the log (for the
    timeline, not ``GET /_fake/requests``), and the timeline notes what it changed (every object
    still in progress)."""
    if entry is None:
        return
    entry["status"] = status or None
    if capture is not None and capture.started:
        entry["response"] = (capture.content_type, bytes(capture.head[:RESPONSE_HEAD_BYTES]), capture.size)
    entry["elapsed"] = time.perf_counter() - started   # seconds: shown as "ms" (timeline.snapshot)
    entry["micros_end"] = state.clock.micros
    if state.timeline.live:   # (what note_after looks at first: most requests leave nothing in progress)
        state.timeline.note_after(state, entry.get("path") or "")


_PARAM = re.compile(r';\s*([\w*-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))')


def multipart_fields(body: bytes, content_type: bytes) -> dict[str, Any] | None:
    """A multipart/form-data body as the request log keeps it: each text field's value (clipped
    at :data:`BODY_LOG_LIMIT`), each file as ``{"filename", "bytes", "content_type"}`` (never its
    bytes); a name sent twice, a list. None when the body is not well-formed multipart."""
    boundary = dict((m.group(1).lower(), m.group(2) if m.group(2) is not None else m.group(3))
                    for m in _PARAM.finditer(content_type.decode("latin-1"))).get("boundary")
    if not boundary:
        return None
    delimiter = b"--" + boundary.encode("latin-1")
    fields: dict[str, Any] = {}
    at = body.find(delimiter)
    while at >= 0:
        at += len(delimiter)
        if body[at:at + 2] == b"--":
            return fields
        head_end = body.find(b"\r\n\r\n", at)
        end = body.find(b"\r\n" + delimiter, head_end + 4)
        if body[at:at + 2] != b"\r\n" or head_end < 0 or end < 0:
            return None
        headers = {}
        for line in body[at + 2:head_end].decode("utf-8", "replace").split("\r\n"):
            name, _, text = line.partition(":")
            headers[name.strip().lower()] = text.strip()
        params = {m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
                  for m in _PARAM.finditer(";" + headers.get("content-disposition", "").partition(";")[2])}
        start = head_end + 4
        value: Any
        if "filename" in params:
            value = {"filename": params["filename"], "bytes": end - start,
                     "content_type": headers.get("content-type")}
        else:
            value = body[start:min(end, start + BODY_LOG_LIMIT)].decode("utf-8", "replace")
        name = params.get("name", "")
        if name in fields:
            fields[name] = [*fields[name], value] if isinstance(fields[name], list) else [fields[name], value]
        else:
            fields[name] = value
        at = end + 2
    return None


def log_request(scope: Scope, status: int, started: float, state: TenantState | None, note: str = "", *,
                body: bytes = b"", capture: Capture | None = None) -> None:
    """One line per request at INFO: ``POST /v1/threads 200 1.2ms [tenant-1a2b3c4d] (fault x)``; at
    DEBUG also the request body and the response body."""
    if not log.isEnabledFor(logging.INFO):
        return
    elapsed = (time.perf_counter() - started) * 1000
    query = scope.get("query_string", b"").decode("latin-1")
    target = scope["path"] + ("?" + query if query else "")
    log.info("%s %s %s %.1fms%s%s", scope["method"], target, status or "-", elapsed,
             f" [{state.label}]" if state else "", f" ({note})" if note else "")
    if not log.isEnabledFor(logging.DEBUG):
        return
    if body:
        content_type = dict(scope["headers"]).get(b"content-type", b"").decode("latin-1")
        log.debug("%s %s request body: %s", scope["method"], target, show_body(body, content_type))
    if capture is not None and capture.started:
        log.debug("%s %s response body: %s", scope["method"], target,
                  show_body(bytes(capture.head), capture.content_type, capture.size))


WARNING_HEADER = b"x-fakeopenai-warning"   # what the fake accepted but noted (an unknown parameter)


class Capture:
    """The gateway's one wrapper of ``send``: adds the answer's own headers (the request id unless the
    answer has one, the warnings its log ``entry`` noted, then the door's ``date`` and ``server`` where
    the answer has none), and, when ``keep`` (a request under ``/v1``, or ``--log-level debug``), keeps
    the head of the response body and its content type for the timeline and the log."""

    __slots__ = ("send_to", "keep", "started", "status", "content_type_bytes", "head", "size", "request_id",
                 "entry", "door")

    def __init__(self, send_to: Send, keep: bool = True, door: Any = None) -> None:
        self.send_to = send_to
        self.keep = keep
        self.started = False
        self.status = 0
        self.content_type_bytes = b""   # the answer's (its last content-type header), decoded when read
        self.head: bytes | bytearray = b""   # the body's first bytes (one chunk's: kept, not copied)
        self.size = 0
        self.request_id: bytes | None = None      # the fake's x-request-id, once the gateway knows it
        self.entry: dict[str, Any] | None = None  # the request's log entry: its warnings are a header
        self.door = door           # () -> [(name, value)]: the door's headers, each unless the answer has it

    @property
    def content_type(self) -> str:
        return self.content_type_bytes.decode("latin-1")

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
            self.status = message["status"]
            headers = message.get("headers", [])
            names = dict(headers)   # name -> value (the last one), at C speed
            if not b"".join(names).islower():   # a name not in lower case (ASGI allows it): any case counts
                names = {key.lower(): value for key, value in headers}   # (names without a letter come here too)
            request_id, entry, door = self.request_id, self.entry, self.door
            if request_id is not None or door is not None:
                headers = list(headers)
                if request_id is not None and b"x-request-id" not in names:
                    headers.append((b"x-request-id", request_id))
                warnings = entry.get("warnings") if entry is not None else None
                if warnings:   # whatever the answer has
                    headers.append((WARNING_HEADER, header_text("; ".join(warnings))))
                if door is not None:   # (its names are neither of the two above: tests/test_dispatch.py)
                    for header in door():
                        if header[0] not in names:
                            headers.append(header)
                message["headers"] = headers
            if self.keep:
                self.content_type_bytes = names.get(b"content-type", b"")
        elif self.keep and message["type"] == "http.response.body":
            chunk = message.get("body", b"")
            self.size += len(chunk)
            room = DEBUG_BODY_CHARS * 4 - len(self.head)   # enough bytes for the shown characters
            if room > 0 and chunk:
                if not self.head:
                    self.head = bytes(chunk[:room])   # the whole answer, most often: kept as it is
                else:
                    if isinstance(self.head, bytes):
                        self.head = bytearray(self.head)
                    self.head += chunk[:room]
        await self.send_to(message)


def header_text(text: str) -> bytes:
    """``text`` as a header value: printable ASCII, any other character escaped (a parameter's name is
    the client's to choose: a control character in it must not break the answer)."""
    return "".join(c if " " <= c <= "~" else c.encode("unicode_escape").decode("ascii") for c in text)[:2048].encode()


_TEXT_TYPES = ("application/json", "application/x-www-form-urlencoded", "application/x-yaml", "application/yaml",
               "application/x-ndjson", "application/jsonl")


def show_body(head: bytes, content_type: str, size: int | None = None) -> str:
    """A body as the debug log shows it, on one line: JSON or other text up to
    :data:`DEBUG_BODY_CHARS` characters (then ``… (N bytes in all)``); multipart and binary as
    ``<N bytes>``. ``head`` may be only the start of a body of ``size`` bytes."""
    size = len(head) if size is None else size
    if not size:
        return "(empty)"
    media = content_type.split(";", 1)[0].strip().lower()
    textual = media.startswith("text/") or media in _TEXT_TYPES or media.endswith("+json")
    if (media and not textual) or (not media and b"\x00" in head):
        return f"<{size} bytes>"  # multipart (an upload), octet-stream (file content), binary
    text = head[:DEBUG_BODY_CHARS * 4].decode("utf-8", "replace")
    if len(text) <= DEBUG_BODY_CHARS and len(head) == size:
        return text.replace("\n", "\\n").replace("\r", "\\r")
    return text[:DEBUG_BODY_CHARS].replace("\n", "\\n").replace("\r", "\\r") + f"… ({size} bytes in all)"


def format_request(entry: dict[str, Any]) -> dict[str, Any]:
    """A recorded request as ``GET /_fake/requests`` shows it: secrets redacted, body decoded."""
    from urllib.parse import parse_qsl

    headers = {}
    for key, value in entry["headers"]:
        name = key.decode("latin-1").lower()
        headers[name] = "<redacted>" if key.lower() in SECRET_HEADERS else value.decode("latin-1")
    query: dict[str, Any] = {}
    for key, value in parse_qsl(entry["query"].decode("latin-1"), keep_blank_values=True):
        if key in query:
            query[key] = query[key] if isinstance(query[key], list) else [query[key]]
            query[key].append(value)
        else:
            query[key] = value
    shown = {"method": entry["method"], "path": entry["path"], "query": query, "headers": headers,
             "body": _decode_body(entry["body"])}
    if entry.get("warnings"):
        shown["warnings"] = list(entry["warnings"])
    return shown


def _decode_body(body: bytes | str | dict[str, Any]) -> Any:
    if isinstance(body, dict):  # a multipart form's fields (a copy: the log is not the caller's to change)
        return copy.deepcopy(body)
    if isinstance(body, str) or not body:
        return body or None
    parsed = json_or_none(body)
    if parsed is not None:
        return parsed
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return f"<{len(body)} bytes of binary data>"


def json_or_none(body: bytes) -> Any:
    """The body as JSON, or None. As strict as request parsing: a NaN or an unpaired surrogate
    parsed here would make ``GET /_fake/requests`` unable to answer."""
    from fakeopenai.spec.jsonstrict import loads_strict

    try:
        return loads_strict(body) if body else None
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


def format_response(entry: dict[str, Any]) -> dict[str, Any] | None:
    """The head of a recorded answer as the timeline shows it: JSON when it is whole, else text
    (``… (N bytes in all)``), multipart or binary as ``<N bytes>``."""
    kept = entry.get("response")
    if kept is None:
        return None
    content_type, head, size = kept
    body: Any = None
    if len(head) == size and content_type.startswith("application/json"):
        body = json_or_none(head)
    if body is None:
        body = show_body(head, content_type, size) if size else None
    return {"content_type": content_type or None, "bytes": size, "body": body}
