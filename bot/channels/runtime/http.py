"""What every HTTP endpoint of the bot shares (web chat, staff API, incidents API): a correlation id per request,
JSON error bodies, and reading a JSON body safely."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aiohttp import web
from pydantic import ValidationError

from bot.core.validation import problems

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
CORRELATION_ID = web.RequestKey("correlation_id", str)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def error_response(*, status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


async def read_json(request: web.Request) -> Any:
    """The parsed body, or an HTTP error that the middleware renders as JSON."""
    raw = await request.read()  # aiohttp enforces client_max_size here (413)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise _bad_request("invalid_utf8", f"request body is not valid UTF-8 (byte {error.start})") from error
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise _bad_request(
            "invalid_json", f"request body is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from error


def _bad_request(code: str, message: str) -> web.HTTPBadRequest:
    body = json.dumps({"error": {"code": code, "message": message}})
    return web.HTTPBadRequest(text=body, content_type="application/json")


def describe_validation(error: ValidationError) -> str:
    return "; ".join(problems(error, whole="body", limit=5))


@web.middleware
async def correlation_and_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Give every request a correlation id and turn HTTP errors on the API into JSON."""
    supplied = request.headers.get("X-Request-ID", "")
    correlation_id = supplied if _REQUEST_ID.match(supplied) else uuid.uuid4().hex[:16]
    request[CORRELATION_ID] = correlation_id
    structlog.contextvars.bind_contextvars(correlation_id=correlation_id)
    try:
        response = await handler(request)
    except web.HTTPException as error:
        if error.content_type == "application/json" or not request.path.startswith("/api/"):
            raise
        code = {413: "too_large", 404: "not_found", 405: "method_not_allowed"}.get(error.status, "http_error")
        message = error.reason if error.status != 413 else "request body is too large"
        response = error_response(status=error.status, code=code, message=message)
    finally:
        structlog.contextvars.unbind_contextvars("correlation_id")
    response.headers["X-Request-ID"] = correlation_id
    return response
