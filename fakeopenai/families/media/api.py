"""The media family's HTTP handlers: the Images API (JSON for generations; a multipart form, or JSON
with image references, for edits; a form for variations), the served image URLs, speech, and
transcriptions and translations (forms). A form's text fields are read as the schema types them
(``n=2`` an integer, ``stream=true`` a boolean) and checked against the official schema like a JSON
body."""

from __future__ import annotations

import re
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from fakeopenai.core.errors import InvalidRequestError, NotFoundError, UnsupportedMediaTypeError
from fakeopenai.families.media import IMAGE_PATH, images, speech, transcripts
from fakeopenai.http.params import check, json_body, schema_node
from fakeopenai.http.params import read_form as parse_form
from fakeopenai.http.rendering import json_response, tenant
from fakeopenai.http.streaming import event_frame, sse_response

MAX_PART_BYTES = 64 * 1024 * 1024
SHOWN_CHARS = 48   # of a transcript, on the timeline


async def read_form(request: Request, schema_name: str) -> tuple[dict[str, Any], dict[str, list[tuple[str, bytes]]]]:
    """The form's text fields (typed by the schema, checked against it) and its files by field name
    (``image[]`` is ``image``)."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type not in ("multipart/form-data", "application/x-www-form-urlencoded"):
        raise UnsupportedMediaTypeError(f"Invalid content type {media_type or 'none'!r}: this endpoint takes "
                                        "multipart/form-data.", param="body", code="unsupported_content_type")
    form = await parse_form(request, max_files=64, max_fields=256, max_part_size=MAX_PART_BYTES)
    fields: dict[str, Any] = {}
    files: dict[str, list[tuple[str, bytes]]] = {}
    try:
        for name, value in form.multi_items():
            key = name[:-2] if name.endswith("[]") else name
            if isinstance(value, UploadFile):
                files.setdefault(key, []).append((value.filename or "upload", await value.read()))
            elif key in fields:
                fields[key] = [*fields[key], value] if isinstance(fields[key], list) else [fields[key], value]
            else:
                fields[key] = [value] if name.endswith("[]") else value
    finally:
        await form.close()
    schema = schema_node(schema_name)
    body = {name: _typed(value, _types(schema.get("properties", {}).get(name, {}))) for name, value in fields.items()}
    checked = {**body, **{name: "" for name in files}}   # a file is a binary string to the schema
    check(checked, schema_name, tenant(request))
    return {k: v for k, v in checked.items() if k not in files}, files


def _types(node: dict[str, Any]) -> set[str]:
    if "$ref" in node:
        node = schema_node(node["$ref"].rsplit("/", 1)[-1])
    kinds = node.get("type")
    found = set(kinds if isinstance(kinds, list) else [kinds] if kinds else [])
    for branch in (*node.get("anyOf", ()), *node.get("oneOf", ())):
        found |= _types(branch)
    return found


def _typed(value: Any, types: set[str]) -> Any:
    if isinstance(value, list):
        return [_typed(item, types - {"array"}) for item in value]
    if "array" in types:
        return [value]
    if "integer" in types and re.fullmatch(r"-?\d+", value):
        return int(value)
    if "number" in types and re.fullmatch(r"-?\d+(\.\d+)?", value):
        return float(value)
    if "boolean" in types and value in ("true", "false"):
        return value == "true"
    return value


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/") + IMAGE_PATH


def _images_answer(request: Request, answer: images.Answer) -> Response:
    if answer.data is not None:
        return json_response(answer.data)
    return sse_response(request.scope, [event_frame(name, data) for name, data in answer.events])


# ----------------------------------------------------------------------------- images
async def generate_images(request: Request) -> Response:
    state = tenant(request)
    body = json_body(request, "CreateImageRequest")
    return _images_answer(request, images.create(state, "generations", body, _base_url(request)))


async def edit_images(request: Request) -> Response:
    state = tenant(request)
    if request.headers.get("content-type", "").startswith("application/json"):
        body = json_body(request, "EditImageBodyJsonParam")
        inputs = images.Inputs()   # references (file ids, urls): the picture is drawn from the prompt
    else:
        body, files = await read_form(request, "CreateImageEditRequest")
        if not files.get("image"):
            raise InvalidRequestError("Missing required parameter: 'image'.", param="image",
                                      code="missing_required_parameter")
        mask = files.get("mask")
        inputs = images.Inputs(tuple(data for _, data in files["image"]), mask[0][1] if mask else None)
    return _images_answer(request, images.create(state, "edits", body, _base_url(request), inputs))


async def image_variations(request: Request) -> Response:
    state = tenant(request)
    body, files = await read_form(request, "CreateImageVariationRequest")
    if not files.get("image"):
        raise InvalidRequestError("Missing required parameter: 'image'.", param="image",
                                  code="missing_required_parameter")
    inputs = images.Inputs(tuple(data for _, data in files["image"])[:1])
    return _images_answer(request, images.create(state, "variations", body, _base_url(request), inputs))


async def served_image(request: Request) -> Response:
    """An image a dall-e answer gave as a ``url``: no API key needed, as for the live API's signed URLs."""
    found = images.served(request.path_params["name"])
    if found is None:
        raise NotFoundError("This image is not served (any more): the fake keeps the latest "
                            f"{images.SERVED_LIMIT} images a url answer named.", param=None)
    content, media_type = found
    return Response(content, media_type=media_type)


# ----------------------------------------------------------------------------- audio
async def create_speech(request: Request) -> Response:
    state = tenant(request)
    body = json_body(request, "CreateSpeechRequest")
    speech.check(body)
    spoken = speech.speak(state, body)
    sse = body.get("stream_format") == "sse"
    state.timeline.answered(state, "speech", "completed", said_speech,
                            (spoken.format, spoken.seconds, len(spoken.audio), sse), spoken.entry)
    if sse:
        return sse_response(request.scope, [event_frame(name, data) for name, data
                                            in speech.sse_events(body, spoken.audio)])
    return Response(spoken.audio, media_type=speech.MEDIA_TYPES[spoken.format])


def said_speech(response_format: str, seconds: float, size: int, sse: bool) -> str:
    """What a speech answer was, on the timeline: ``mp3, 2.4 s, 31204 bytes``."""
    return f"{response_format}, {seconds:.1f} s, {size} bytes" + (" in speech.audio events" if sse else "")


async def _transcript(request: Request, operation: str, schema_name: str) -> Response:
    state = tenant(request)
    body, files = await read_form(request, schema_name)
    uploads = files.get("file")
    if not uploads:
        raise InvalidRequestError("Missing required parameter: 'file'.", param="file",
                                  code="missing_required_parameter")
    response_format = transcripts.check(body, operation)
    filename, data = uploads[0]
    transcript = transcripts.transcribe(state, operation, body, filename, data)
    model = str(body.get("model"))
    streamed = body.get("stream") is True and operation == "transcriptions"
    state.timeline.answered(state, operation[:-1], "completed", said_transcript,
                            (transcript.text[:SHOWN_CHARS + 1], response_format, streamed), transcript.entry)
    if streamed:
        return sse_response(request.scope, [event_frame(name, event) for name, event
                                            in transcripts.stream_events(transcript, model, body)])
    answer = transcripts.render(transcript, model, operation, response_format, body)
    if isinstance(answer, str):
        return PlainTextResponse(answer)
    return json_response(answer)


def said_transcript(head: str, response_format: str, streamed: bool) -> str:
    """What a transcript was, on the timeline: its first words (``head``: its first characters and one
    more, so that a cut shows) and how it was answered."""
    shown = head if len(head) <= SHOWN_CHARS else head[:SHOWN_CHARS].rsplit(" ", 1)[0] + "…"
    return f"{shown!r} as {'transcript.text events' if streamed else response_format}"


async def create_transcription(request: Request) -> Response:
    return await _transcript(request, "transcriptions", "CreateTranscriptionRequest")


async def create_translation(request: Request) -> Response:
    return await _transcript(request, "translations", "CreateTranslationRequest")

