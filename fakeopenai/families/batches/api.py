"""The Batch family's HTTP handlers: /v1/batches (create, list, retrieve: one lifecycle step per
read, cancel) and /v1/files (multipart upload, list, retrieve, delete, content).

The state machine lives in ``batches.py``; these handlers parse the request and render the
answer. Uploads are parsed by Starlette's multipart parser (python-multipart), the body in 1 MB
pieces with a pause between them and the file part kept in memory (spooled to a temporary file,
it would be written there at once, on the event loop); a 10 MB batch input (50,000 requests)
uploads in 0.1-0.3 s through the SDK (``benchmarks/batch_scale.py``). Large downloads go out in
1 MB chunks. Big batches are validated and answered in steps (:func:`drive`), so no request of
another API key waits on them for more than a few milliseconds.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Generator
from typing import Any, TypeVar

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from fakeopenai.core.errors import InvalidRequestError, UnsupportedMediaTypeError
from fakeopenai.core.store import PageQuery
from fakeopenai.families.batches import batches, files
from fakeopenai.families.batches.render import RENDER
from fakeopenai.families.batches.world import world
from fakeopenai.http.params import drop_unknown, enum_query, int_query, json_body, read_form
from fakeopenai.http.rendering import deleted, json_response, tenant

T = TypeVar("T")


STEP_SECONDS = 0.004   # the longest a handler holds the event loop between two pauses while it steps
WAIT_SECONDS = 0.002   # the pause while another request of the tenant builds the same answers


async def drive(steps: Generator[Any, None, T]) -> T:
    """Run a stepping engine generator, pausing (``asyncio.sleep(0)``: other requests run) whenever
    it has held the event loop for :data:`STEP_SECONDS`; its value. A small input never pauses. A
    function it yields is a one-time load that touches no tenant state (``answers.load_ahead``):
    it runs in a worker thread while the loop serves other requests."""
    deadline = time.perf_counter() + STEP_SECONDS
    try:
        while True:
            step = next(steps)
            if step is None:
                if time.perf_counter() < deadline:
                    continue
                await asyncio.sleep(0)
            elif step == batches.WAITING:
                await asyncio.sleep(WAIT_SECONDS)
            else:
                await asyncio.to_thread(step)
            deadline = time.perf_counter() + STEP_SECONDS
    except StopIteration as stop:
        return stop.value


async def create_batch(request: Request) -> Response:
    state = tenant(request)
    body = json_body(request, "CreateBatchRequest")
    return json_response(RENDER.one(state, await drive(batches.create_batch_steps(state, body))))


async def list_batches(request: Request) -> Response:
    state = tenant(request)
    # GET /batches takes only `after` and `limit`; the live API lists newest first.
    query = PageQuery(limit=int_query(request, "limit", default=20, low=1, high=100), order="desc",
                      after=request.query_params.get("after") or None)
    batches.refresh_all(state)
    page = world(state).batches.page(query)
    return json_response(RENDER.many(state, page.data, page.has_more, "batch"))


async def retrieve_batch(request: Request) -> Response:
    state = tenant(request)
    batch = batches.get_batch(state, request.path_params["batch_id"])
    await drive(batches.prepare_end(state, batch))   # a big batch's answers, built in steps
    batches.observe(state, batch)   # no pause in between
    batch._prepared = None   # built for an end this read did not bring (a missed prediction): not kept
    return json_response(RENDER.one(state, batch))


async def cancel_batch(request: Request) -> Response:
    state = tenant(request)
    batch = batches.get_batch(state, request.path_params["batch_id"])
    return json_response(RENDER.one(state, batches.cancel_batch(state, batch)))


UPLOAD_PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
EXPIRY_RANGE = (3600, 2_592_000)
DOWNLOAD_CHUNK = 1024 * 1024
_INTEGER = re.compile(r"-?[0-9]{1,12}")  # int() would also take "+5", " 5", "5_0" and non-ASCII digits
FORM_FIELDS = frozenset({"file", "purpose", "expires_after[anchor]", "expires_after[seconds]"})


async def create_file(request: Request) -> Response:
    state = tenant(request)
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        raise UnsupportedMediaTypeError(
            f"Invalid content type {content_type.split(';')[0] or 'none'!r}: files are uploaded as "
            "multipart/form-data with the fields file and purpose.", param="file", code="unsupported_content_type")
    form = await read_form(request, max_files=1, max_fields=16, max_part_size=1024 * 1024, param="file")
    try:
        if "expires_after" in form:   # the spec's parameter, in a shape a form cannot carry
            raise InvalidRequestError("Invalid 'expires_after': a multipart form sends it as the fields "
                                      "expires_after[anchor] and expires_after[seconds].", param="expires_after",
                                      code="invalid_value")
        drop_unknown(dict.fromkeys(form.keys()), FORM_FIELDS, state)   # as JSON bodies are checked
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InvalidRequestError("Missing required parameter: 'file'.", param="file",
                                      code="missing_required_parameter")
        purpose = form.get("purpose")
        if not isinstance(purpose, str) or not purpose:
            raise InvalidRequestError("Missing required parameter: 'purpose'.", param="purpose",
                                      code="missing_required_parameter")
        if purpose not in UPLOAD_PURPOSES:
            raise InvalidRequestError(f"Invalid value for 'purpose': '{purpose}'. Supported values are: "
                                      f"{', '.join(repr(p) for p in UPLOAD_PURPOSES)}.", param="purpose",
                                      code="invalid_value")
        filename = upload.filename or "upload"
        if purpose == "batch" and not filename.lower().endswith(".jsonl"):
            # The live API's words (the Batch API reads JSONL only).
            raise InvalidRequestError("Invalid file format for Batch API. Must be .jsonl", param="file",
                                      code="invalid_file_format")
        expires_after = _expires_after(form)
        content = await upload.read()
        item = files.store_file(state, content, filename=filename, purpose=purpose,
                                expires_after=expires_after)
    finally:
        await form.close()
    return json_response(RENDER.one(state, item))


def _expires_after(form: Any) -> int | None:   # Starlette's FormData
    """``expires_after[anchor]`` and ``expires_after[seconds]``: both, or neither."""
    get = form.get
    anchor, seconds = get("expires_after[anchor]"), get("expires_after[seconds]")
    if anchor is None and seconds is None:
        return None
    low, high = EXPIRY_RANGE
    for name, value, other, takes in (("anchor", anchor, "seconds", "'created_at'"),
                                      ("seconds", seconds, "anchor", f"{low} to {high}")):
        if value is None:
            raise InvalidRequestError(
                f"Missing required parameter: 'expires_after.{name}': the form field expires_after[{name}] "
                f"({takes}) goes with expires_after[{other}].", param=f"expires_after.{name}",
                code="missing_required_parameter")
    if anchor != "created_at":
        raise InvalidRequestError(f"Invalid value for 'expires_after.anchor': {anchor!r}. Supported values are: "
                                  "'created_at'.", param="expires_after.anchor", code="invalid_value")
    if not isinstance(seconds, str) or not _INTEGER.fullmatch(seconds):
        got = repr(seconds) if isinstance(seconds, str) else "a file"
        raise InvalidRequestError(f"Invalid type for 'expires_after.seconds': expected an integer, but got {got} "
                                  "instead.", param="expires_after.seconds", code="invalid_type")
    value = int(seconds)
    if not low <= value <= high:
        raise InvalidRequestError(f"Invalid 'expires_after.seconds': expected a value between {low} and {high}, "
                                  f"but got {value} instead.", param="expires_after.seconds", code="invalid_value")
    return value


async def list_files(request: Request) -> Response:
    state = tenant(request)
    query = PageQuery(limit=int_query(request, "limit", default=10_000, low=1, high=10_000),
                      order=enum_query(request, "order", ("asc", "desc"), "desc"),
                      after=request.query_params.get("after") or None)
    purpose = request.query_params.get("purpose")
    files.expire_files(state)
    page = world(state).files.page(query, where=(lambda f: f.purpose == purpose) if purpose else None)
    return json_response(RENDER.many(state, page.data, page.has_more, "file"))


async def retrieve_file(request: Request) -> Response:
    state = tenant(request)
    return json_response(RENDER.one(state, files.get_file(state, request.path_params["file_id"])))


async def delete_file(request: Request) -> Response:
    state = tenant(request)
    return json_response(deleted(files.delete_file(state, request.path_params["file_id"]), "file"))


async def file_content(request: Request) -> Response:
    state = tenant(request)
    item = files.get_file(state, request.path_params["file_id"])
    data = item._content
    if isinstance(data, bytes) and len(data) <= DOWNLOAD_CHUNK:
        return Response(data, media_type="application/octet-stream")
    return _Download(data, item.bytes)


class _Download(Response):
    """A big file's bytes in chunks of :data:`DOWNLOAD_CHUNK`, with a pause between two: handed over
    whole, a 50 MB output file would be copied into the transport's write buffer (doubling the
    server's peak memory) and sent while other requests wait. Not a StreamingResponse: that one
    needs a task group, which the in-process transport's direct drive of a request does not have."""

    def __init__(self, data: bytes | tuple[bytes, ...], size: int) -> None:
        super().__init__(media_type="application/octet-stream", headers={"content-length": str(size)})
        self.parts = (data,) if isinstance(data, bytes) else data

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        for part in self.parts:
            for start in range(0, len(part), DOWNLOAD_CHUNK):
                await send({"type": "http.response.body", "body": part[start:start + DOWNLOAD_CHUNK] if
                            start or len(part) > DOWNLOAD_CHUNK else part, "more_body": True})
                await asyncio.sleep(0)
        await send({"type": "http.response.body", "body": b"", "more_body": False})

