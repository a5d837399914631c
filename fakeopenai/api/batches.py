"""/v1/batches"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from fakeopenai.errors import NotFoundError


async def create(request: Request) -> Response:
    raise NotFoundError("batches are not implemented yet")


list_ = retrieve = cancel = create
