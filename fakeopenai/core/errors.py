"""API-shaped errors, rendered in one place (``app.py``).

Every error the fake answers with is an :class:`APIError` subclass carrying the
HTTP status and the four fields of the OpenAI error body::

    {"error": {"message": ..., "type": ..., "param": ..., "code": ...}}

Hierarchy::

    APIError
    ├── InvalidRequestError      400  invalid_request_error
    │   └── WrongStateError      400  (a request valid in shape but not in this state)
    ├── AuthenticationError      401
    ├── NotFoundError            404
    ├── MethodNotAllowedError    405
    ├── PayloadTooLargeError     413
    ├── UnsupportedMediaTypeError 415
    ├── TenantLimitError         429  (tenants.py: too many API keys at once)
    └── ServerError              500  (a bug in the fake, answered in the OpenAI shape; x-should-retry: false)

Statuses a scenario scripts (HTTP faults) are rendered by :func:`fault_error_body`.

The engine raises these without knowing anything about HTTP beyond the status
number, the same way moto's backends raise ``JsonRESTError`` subclasses.
"""

from __future__ import annotations

from typing import Any

# A client's own error, or a bug in the fake: a retry would meet it again, so the SDKs must not retry.
NO_RETRY = {"x-should-retry": "false"}


# The headers that decide whether and when the SDKs retry: a scripted answer that sets one of them
# decides its retry itself (retry_at_once adds nothing).
RETRY_HEADERS = frozenset({"retry-after", "retry-after-ms", "x-should-retry"})


def retry_at_once(status: int, headers: dict[str, str] | None = None) -> dict[str, str]:
    """The headers that make the SDKs' retry of a scripted answer come at once: ``retry-after-ms: 1``
    for the statuses they retry (408, 409, 429, 5xx). They ignore 0 and would back off 0.5-8 s.
    Nothing when the answer's own ``headers`` (lower-case names) set any of :data:`RETRY_HEADERS`:
    a fault with ``retry-after: "2"`` makes the SDK wait 2 s, as it asked."""
    if headers and RETRY_HEADERS & headers.keys():
        return {}
    return {"retry-after-ms": "1"} if status in (408, 409, 429) or status >= 500 else {}


class APIError(Exception):
    status_code: int = 400
    type: str = "invalid_request_error"
    code: str | None = None
    default_headers: dict[str, str] = {}

    def __init__(self, message: str, *, param: str | None = None, code: str | None = None,
                 type: str | None = None, status_code: int | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        # Sent with the error (``x-should-retry``, ``retry-after-ms``).
        self.headers = dict(self.default_headers if headers is None else headers)   # its own: shared constants
        if code is not None:
            self.code = code
        if type is not None:
            self.type = type
        if status_code is not None:
            self.status_code = status_code

    def to_dict(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param,
                          "code": self.code}}


class InvalidRequestError(APIError):
    status_code = 400


class WrongStateError(InvalidRequestError):
    pass


class AuthenticationError(APIError):
    status_code = 401


class NotFoundError(APIError):
    status_code = 404


class MethodNotAllowedError(APIError):
    status_code = 405


class PayloadTooLargeError(APIError):
    status_code = 413


class UnsupportedMediaTypeError(APIError):
    status_code = 415


class ServerError(APIError):
    status_code = 500
    type = "server_error"
    default_headers = NO_RETRY


def not_found(kind: str, object_id: str, *, param: str | None = None) -> NotFoundError:
    """The real API's wording: ``No run found with id 'run_x'.``

    ``param`` defaults to the id parameter of that kind (``run_id``, ``step_id`` ...).
    """
    default = _ID_PARAMS.get(kind, kind.replace(" ", "_") + "_id")
    return NotFoundError(f"No {kind} found with id '{object_id}'.", param=param or default)


_ID_PARAMS = {"run step": "step_id"}


# Default body for a status a scenario fault asks for, as the live API sends it.
_FAULT_DEFAULTS: dict[int, tuple[str, str | None, str]] = {
    400: ("invalid_request_error", None, "Bad request (scripted fault)."),
    401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided (scripted fault)."),
    403: ("invalid_request_error", "unsupported_country_region_territory",
          "Country, region, or territory not supported (scripted fault)."),
    404: ("invalid_request_error", None, "Not found (scripted fault)."),
    408: ("timeout", None, "Request timed out (scripted fault)."),
    409: ("invalid_request_error", "conflict", "Conflict (scripted fault)."),
    413: ("invalid_request_error", None, "Request too large (scripted fault)."),
    422: ("invalid_request_error", None, "Unprocessable entity (scripted fault)."),
    429: ("requests", "rate_limit_exceeded",
          "Rate limit reached for requests (scripted fault). Please try again later."),
    500: ("server_error", None, "The server had an error while processing your request (scripted fault)."),
    502: ("server_error", None, "Bad gateway (scripted fault)."),
    503: ("server_error", None, "The engine is currently overloaded (scripted fault). Please try again later."),
    504: ("server_error", None, "Gateway timeout (scripted fault)."),
}


def fault_error_body(status: int) -> dict[str, Any]:
    """The OpenAI-shaped error body for a scripted HTTP fault of ``status``."""
    type_, code, message = _FAULT_DEFAULTS.get(
        status, ("server_error" if status >= 500 else "invalid_request_error", None,
                 f"HTTP {status} (scripted fault)."))
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}
