"""Validate every response the tests see against the official OpenAPI spec.

The spec is the vendored official document (``spec/openai-openapi.yaml.gz``),
normalized by :func:`fakeopenai.spec.openapi.normalize` in its documented ways (among them OpenAPI
3.0 ``nullable``, null for unset optional Batch/File fields, null ``first_id``/``last_id`` on
empty lists). Nothing else is loosened. One answer is read before
it is checked: an embedding asked for with ``encoding_format: base64`` is a base64 string
(little-endian float32, what the SDKs ask for by default and decode), which the spec does not
model; it is decoded into its floats (the embeddings family's ``testing.SPEC_ANSWER_READERS``) and checked
as those.

:class:`SpecChecker` is installed as an HTTP response hook on the SDK clients the
tests use, so no response escapes validation: JSON bodies are checked against
the operation's 200 schema (or ``ErrorResponse`` for errors), and every SSE
event against the schema of its object.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import pickle
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from fakeopenai.spec.openapi import normalize

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "spec" / "openai-openapi.yaml.gz"
LEGACY_SPEC = ROOT / "spec" / "openai-openapi-2025-04-29.yaml.gz"
URI = "urn:openai:openapi"
SHARED_DOCUMENT_ENV = "FAKEOPENAI_TESTS_SPEC_DOCUMENT"

EVENT_SCHEMAS = [
    (re.compile(r"^thread\.created$"), "ThreadObject"),
    (re.compile(r"^thread\.run\.step\.delta$"), "RunStepDeltaObject"),
    (re.compile(r"^thread\.run\.step\.[a-z_]+$"), "RunStepObject"),
    (re.compile(r"^thread\.run\.[a-z_]+$"), "RunObject"),
    (re.compile(r"^thread\.message\.delta$"), "MessageDeltaObject"),
    (re.compile(r"^thread\.message\.[a-z_]+$"), "MessageObject"),
    (re.compile(r"^response\.[a-z_.]+$"), "ResponseStreamEvent"),
    (re.compile(r"^chat\.completion\.chunk$"), "CreateChatCompletionStreamResponse"),
    (re.compile(r"^error$"), "ErrorResponse"),   # Responses streams send it flat and nested: both validate
]


class SpecViolation(AssertionError):
    pass


# Paths the official SDK calls for an operation the spec places elsewhere (fakeopenai serves both): checked
# as that operation (fakeopenai/families/generic/facts.py, SDK_ALIASES).
SDK_ALIASES = [(re.compile(r"^(/v1/evals/[^/]+/runs/[^/]+)/cancel$"), r"\1")]


@lru_cache(maxsize=1)
def answer_readers() -> dict[str, Any]:
    """Each family's readers of answers the spec does not model as sent (testing.SPEC_ANSWER_READERS): path ->
    (answer bytes, request bytes) -> the answer as the spec models it, or ValueError."""
    from tests.family_tables import family_rows

    return dict(family_rows("SPEC_ANSWER_READERS"))


def _request_body(request: Any) -> bytes:
    try:
        return bytes(request.content)
    except Exception:  # noqa: BLE001 - a streamed request body: nothing to read
        return b""


@lru_cache(maxsize=2)
def vendored_spec(path: Path) -> dict[str, Any]:
    """One vendored spec file as parsed YAML, parsed once per process (the parse is the costly part, ~1 s).

    Shared, so it must not be changed: :func:`spec_document` and tests/test_openapi_doc.py only read it."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return dict(yaml.load(handle, Loader=loader))  # noqa: S506 - safe loader


def _sources_key() -> str:
    return hashlib.sha256(SPEC.read_bytes() + LEGACY_SPEC.read_bytes()).hexdigest()


def share_spec_document(folder: Path) -> dict[str, str]:
    """Write the parsed document for a child test process; returns the environment that makes it
    read the file instead of parsing the spec again (the client matrix's openai 1.x run)."""
    target = folder / "spec-document.pickle"
    with target.open("wb") as handle:
        pickle.dump((_sources_key(), spec_document()), handle, protocol=pickle.HIGHEST_PROTOCOL)
    return {SHARED_DOCUMENT_ENV: str(target)}


@lru_cache(maxsize=1)
def spec_document() -> dict[str, Any]:
    shared = os.environ.get(SHARED_DOCUMENT_ENV)
    if shared:  # written by share_spec_document() in the parent run, from these very spec files
        with open(shared, "rb") as handle:
            key, document = pickle.load(handle)  # noqa: S301 - our own file
        if key == _sources_key():
            return dict(document)
    official = vendored_spec(SPEC)
    legacy = vendored_spec(LEGACY_SPEC)
    schemas = {**official["components"]["schemas"],
               **{name: legacy["components"]["schemas"][name] for name in ("BatchRequestInput", "BatchRequestOutput")}}
    return normalize({**official, "components": {**official["components"], "schemas": schemas}})


class SpecChecker:
    """Checks JSON against ``components.schemas`` and responses against their operations."""

    def __init__(self) -> None:
        doc = spec_document()
        self.doc = doc
        self.registry = Registry().with_resource(URI, Resource.from_contents(doc, default_specification=DRAFT202012))
        self._validators: dict[str, Any] = {}
        # A literal path before a templated one it also fits (/responses/compact, not /responses/{response_id}).
        self._routes = sorted(((self._path_regex(path), path, ops) for path, ops in doc["paths"].items()),
                              key=lambda route: route[1].count("{"))
        self.checked = 0

    @staticmethod
    def _path_regex(template: str) -> re.Pattern[str]:
        return re.compile("^/v1" + re.sub(r"\{[^}]+\}", r"[^/]+", template) + "$")

    def validator(self, ref: str) -> Any:
        if ref not in self._validators:
            self._validators[ref] = jsonschema.Draft202012Validator({"$ref": f"{URI}#{ref}"}, registry=self.registry)
        return self._validators[ref]

    def validate(self, instance: Any, schema_name: str, where: str = "") -> None:
        """Raise :class:`SpecViolation` listing every problem of ``instance`` against a schema."""
        self._validate_ref(instance, f"/components/schemas/{schema_name}", where or schema_name)

    def _validate_ref(self, instance: Any, ref: str, where: str) -> None:
        errors = sorted(self.validator(ref).iter_errors(instance), key=lambda e: list(e.absolute_path))
        self.checked += 1
        if errors:
            lines = [f"{where}: response does not match {ref}:"]
            for error in errors[:10]:
                path = "/".join(str(p) for p in error.absolute_path) or "<root>"
                lines.append(f"  at {path}: {error.message[:300]}")
            raise SpecViolation("\n".join(lines))

    def response_schema(self, method: str, path: str, status: int, media: str = "application/json") -> str | None:
        for regex, template, ops in self._routes:
            if regex.match(path):
                op = ops.get(method.lower())
                if op is None:  # a method the path does not have: the 405 is an error like any other
                    return "/components/schemas/ErrorResponse" if status >= 400 else None
                if status >= 400:
                    return "/components/schemas/ErrorResponse"
                content = op.get("responses", {}).get(str(status), {}).get("content", {})
                schema = content.get(media, {}).get("schema", {})
                if schema and "$ref" not in schema:   # given inline: a pointer to it
                    return "/" + "/".join(_escape(p) for p in ("paths", template, method.lower(), "responses",
                                                               str(status), "content", media, "schema"))
                return schema.get("$ref", "")[1:] or None
        return "/components/schemas/ErrorResponse" if status >= 400 else None

    def declared_media(self, method: str, path: str, status: int) -> dict[str, Any] | None:
        """The media types the spec documents for this answer (empty: no content), None when the
        operation or status is not in the spec."""
        for regex, _template, ops in self._routes:
            if regex.match(path):
                op = ops.get(method.lower())
                answer = (op or {}).get("responses", {}).get(str(status))
                return None if answer is None else dict(answer.get("content") or {})
        return None

    def check_response(self, method: str, path: str, status: int, content_type: str, body: bytes,
                       request_body: bytes = b"") -> None:
        where = f"{method} {path} -> {status}"
        for alias, target in SDK_ALIASES:
            path = alias.sub(target, path)
        reader = answer_readers().get(path) if status == 200 else None
        if reader is not None:   # a family's answer the spec does not model as sent (a base64 embedding)
            try:
                body = reader(body, request_body)
            except ValueError as problem:
                raise SpecViolation(f"{where}: {problem}") from None
        declared = self.declared_media(method, path, status) if 200 <= status < 300 else None
        media = content_type.split(";", 1)[0].strip().lower()
        if declared is not None and not declared:   # the spec documents no content
            if body and media == "application/json":
                json.loads(body)   # DELETE /responses/{id}: a JSON body anyway (the SDKs ignore it)
            elif body and not path.endswith("/content"):   # a file's bytes: the spec leaves their type out
                raise SpecViolation(f"{where}: the spec documents no content, the answer has {len(body)} bytes")
            return
        if declared and media in declared and media not in ("application/json", "text/event-stream"):
            if not body:
                raise SpecViolation(f"{where}: an empty {media} answer")
            return   # bytes of a documented type (audio, video, an image, a zip, SDP)
        if path.endswith("/content") and status == 200 and media != "application/json":
            return  # raw file bytes
        if status == 200 and path in MEDIA_ANSWERS and media.startswith(MEDIA_ANSWERS[path]):
            if not body:
                raise SpecViolation(f"{where}: an empty {media} answer")
            return  # the live API's own types, which the spec leaves out: speech as audio/mpeg, srt as text
        if content_type.startswith("text/event-stream"):
            events = parse_sse(body)
            if path == "/v1/chat/completions":
                check_chat_stream(events, where)
            stream_ref = self.response_schema(method, path, status, "text/event-stream")
            for name, data in events:
                self.check_event(name, data, where, stream_ref)
            return
        if not content_type.startswith("application/json"):
            raise SpecViolation(f"{where}: content-type {content_type!r}, expected application/json")
        ref = self.response_schema(method, path, status)
        if ref is None and method == "DELETE" and status == 200:
            json.loads(body)   # DELETE /responses/{id}: the spec gives no schema (the SDKs ignore the body)
            return
        if ref is None:
            raise SpecViolation(f"{where}: no response schema in the spec for this operation")
        data = json.loads(body)
        if path == "/v1/audio/transcriptions" and status == 200 and isinstance(data, dict):
            ref = _transcription_branch(data)
        if ref.endswith("/ChatCompletionMessageList"):
            # The spec gives a stored message role "assistant" only, but its own docs example lists the
            # request's messages with their roles ("user"): check the rest, the role among the known ones.
            for message in data.get("data") or ():
                if message.get("role") not in ("system", "developer", "user", "assistant", "tool"):
                    raise SpecViolation(f"{where}: stored message role {message.get('role')!r}")
            data = {**data, "data": [{**m, "role": "assistant"} for m in data.get("data") or ()]}
        self._validate_ref(data, ref, where)

    def check_event(self, name: str, data: str, where: str = "stream", stream_ref: str | None = None) -> None:
        if name == "done":
            if data != "[DONE]":
                raise SpecViolation(f"{where}: event done with data {data!r}, expected [DONE]")
            return
        for regex, schema in EVENT_SCHEMAS:
            if regex.match(name):
                self.validate(json.loads(data), schema, f"{where} event {name}")
                return
        if stream_ref is not None:   # the operation's own stream schema (image and audio events)
            event = json.loads(data)
            if not isinstance(event, dict) or event.get("type") != name:
                raise SpecViolation(f"{where}: event {name!r} carries type {event.get('type')!r}")
            self._validate_ref(event, stream_ref, f"{where} event {name}")
            return
        raise SpecViolation(f"{where}: unknown event {name!r}")

    # httpx / httpx2 event hooks (the SDK majors use one or the other). Only the API under /v1
    # is in the spec; the /_fake control API and /openapi.json are ours.
    def hook(self, response: Any) -> None:
        response.read()
        request = response.request
        if not request.url.path.startswith("/v1/"):
            return
        self.check_response(request.method, request.url.path, response.status_code,
                            response.headers.get("content-type", ""), response.content, _request_body(request))

    async def async_hook(self, response: Any) -> None:
        await response.aread()
        request = response.request
        if not request.url.path.startswith("/v1/"):
            return
        self.check_response(request.method, request.url.path, response.status_code,
                            response.headers.get("content-type", ""), response.content, _request_body(request))


# Answers the live API sends as a type the spec does not list: speech as its format's audio type
# (audio/mpeg, audio/wav ...) rather than application/octet-stream; a transcript asked as text, srt or vtt
# as text/plain rather than JSON.
MEDIA_ANSWERS = {"/v1/audio/speech": ("audio/",), "/v1/audio/transcriptions": ("text/plain",),
                 "/v1/audio/translations": ("text/plain",)}


def _transcription_branch(data: dict[str, Any]) -> str:
    """The spec's transcription answer is a oneOf of json, diarized_json and verbose_json, but json
    requires only ``text``, so a verbose or diarized answer matches two branches: check the one its
    shape names (as the SDKs read it by the response_format asked)."""
    if data.get("task") == "transcribe" and "language" not in data and "segments" in data:
        return "/components/schemas/CreateTranscriptionResponseDiarizedJson"
    if "duration" in data:
        return "/components/schemas/CreateTranscriptionResponseVerboseJson"
    return "/components/schemas/CreateTranscriptionResponseJson"


def _escape(part: str) -> str:
    """One JSON pointer segment, as a URI fragment."""
    return part.replace("~", "~0").replace("/", "~1").replace("{", "%7B").replace("}", "%7D")


def parse_sse(body: bytes) -> list[tuple[str, str]]:
    """Strict SSE framing: ``event:`` and ``data:`` lines, one JSON per data line, blank line after each."""
    text = body.decode("utf-8")
    if not text.endswith("\n\n"):
        raise SpecViolation(f"stream does not end with a blank line: {text[-80:]!r}")
    events = []
    for block in text[:-2].split("\n\n"):
        lines = block.split("\n")
        if len(lines) == 1 and lines[0].startswith("data: "):   # Chat Completions: data only, no event line
            data = lines[0][len("data: "):]
            name = "done" if data == "[DONE]" else "error" if '"error":' in data[:10] else "chat.completion.chunk"
            events.append((name, data))
            continue
        if len(lines) != 2 or not lines[0].startswith("event: ") or not lines[1].startswith("data: "):
            raise SpecViolation(f"malformed SSE event block: {block[:200]!r}")
        events.append((lines[0][len("event: "):], lines[1][len("data: "):]))
    return events


def check_chat_stream(events: list[tuple[str, str]], where: str) -> None:
    """What the SDKs' chat stream helpers need beyond the schema (CONTRACT_RESPONSES.md 6.3): ``[DONE]``
    last (unless an error broke the stream off); per choice, ``role`` in its first chunk only; each tool
    call opened in order with id, type and name, which later deltas leave out, every delta with
    ``function``; one id for every chunk; a usage chunk (empty ``choices``) only last."""
    names = [name for name, _ in events]
    if "error" in names:
        if names.index("error") != len(names) - 1:
            raise SpecViolation(f"{where}: chunks after the error")
        events = events[:-1]
    elif names[-1:] != ["done"] or names.count("done") != 1:
        raise SpecViolation(f"{where}: the stream does not end with data: [DONE]")
    else:
        events = events[:-1]
    chunks = [json.loads(data) for _, data in events]
    seen: dict[int, int] = {}          # choice index -> chunks seen
    calls: dict[int, int] = {}         # choice index -> tool calls opened
    for number, chunk in enumerate(chunks):
        if chunk["id"] != chunks[0]["id"] or chunk["created"] != chunks[0]["created"]:
            raise SpecViolation(f"{where}: chunk {number} has another id or created")
        if not chunk["choices"]:
            if number != len(chunks) - 1 or chunk.get("usage") is None:
                raise SpecViolation(f"{where}: a chunk without choices must be the last one and carry usage")
            continue
        for choice in chunk["choices"]:
            index, delta = choice["index"], choice["delta"]
            if index not in seen and index != len(seen):
                raise SpecViolation(f"{where}: choice {index} first appears out of order")
            if ("role" in delta) != (index not in seen):
                raise SpecViolation(f"{where}: choice {index} has role outside its first chunk (chunk {number})")
            seen[index] = seen.get(index, 0) + 1
            for call in delta.get("tool_calls") or ():
                opened = calls.get(index, 0)
                if "function" not in call:
                    raise SpecViolation(f"{where}: a tool call delta without function (chunk {number})")
                if call["index"] == opened:
                    if not (call.get("id") and call.get("type") == "function" and call["function"].get("name")):
                        raise SpecViolation(f"{where}: tool call {opened} opens without id, type and name")
                    calls[index] = opened + 1
                elif call["index"] == opened - 1:
                    if "id" in call or "name" in call["function"]:
                        raise SpecViolation(f"{where}: tool call {call['index']} repeats its id or name")
                else:
                    raise SpecViolation(f"{where}: tool call index {call['index']} out of order")
