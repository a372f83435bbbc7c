"""I/O backends: the one place that sends bytes and gets bytes back.

A backend takes a described request, its encoded body and the attempt's limits, and returns the status, headers and
body, or raises ``RequestNotSentError`` / ``RequestMaybeSentError``. Everything else (retries, errors by status,
JSON) lives above it, so each backend is small:

- ``AiohttpBackend`` (the default): aiohttp's connection pool, without building httpx objects per request.
  It is what the benchmarks chose: see benchmarks/RESULTS.md.
- ``HttpxBackend``: any ``httpx.AsyncClient``; used when you pass ``http_client=`` or ``transport=``, and while
  respx is mocking (so respx sees every request of a default client too).

What both must do alike lives here: reading a body with a cap on its decoded size (``BodyReader``, which also
decodes gzip and deflate itself, so that a small compressed answer cannot inflate without bound), and the wording
of a failed request (``transport_error``).
"""

from __future__ import annotations

import re
import sys
import zlib
from collections.abc import Mapping
from typing import Any, NamedTuple, Protocol

from .._connection import redact_url
from .._exceptions import RequestMaybeSentError, RequestNotSentError, TransportError
from .._options import AttemptTimeout
from .._request import ApiRequest

if sys.version_info >= (3, 11):
    from asyncio import timeout as time_limit
else:  # pragma: no cover  (aiohttp brings async-timeout on Python 3.10)
    from async_timeout import timeout as time_limit  # type: ignore[import-not-found, no-redef, unused-ignore]

__all__ = [
    "ACCEPT_ENCODING",
    "Backend",
    "BodyProblem",
    "BodyReader",
    "RawResponse",
    "respx_is_mocking",
    "time_limit",
    "transport_error",
]

#: What both backends ask for; anything else a server sends is refused rather than decoded by some other means.
ACCEPT_ENCODING = "gzip, deflate"


class BodyProblem(NamedTuple):
    """Why a body was not read whole: past the cap of ``limit`` bytes, or (``limit`` None) an encoding that could
    not be decoded."""

    text: str
    limit: int | None = None


class RawResponse(NamedTuple):
    """What came back: status, headers (case-insensitive mapping), the body, and what kept it from being whole."""

    status: int
    headers: Mapping[str, str]
    content: bytes
    problem: BodyProblem | None = None


class BodyReader:
    """Collects a body as it streams in, decoding ``Content-Encoding`` gzip or deflate with a cap on the size.

    ``feed`` returns False once reading should stop (the cap passed, or the data cannot be decoded); ``result``
    gives the bytes kept (at most ``limit``) and the problem, if any. Decompression never produces more than the
    room left under the cap (``zlib``'s ``max_length``), so a compression bomb costs at most the cap.
    """

    __slots__ = ("_decoder", "_first", "_parts", "_raw_deflate_possible", "_size", "limit", "problem")

    def __init__(self, content_encoding: str | None, limit: int) -> None:
        self.limit = limit
        self.problem: BodyProblem | None = None
        self._parts: list[bytes] = []
        self._size = 0
        self._first = True
        self._raw_deflate_possible = False
        self._decoder: Any = None
        codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        if not codings:
            return
        if len(codings) > 1 or codings[0] not in ("gzip", "x-gzip", "deflate"):
            self.problem = BodyProblem(f"the answer's Content-Encoding {content_encoding!r} is not supported")
        elif codings[0] == "deflate":
            self._decoder = zlib.decompressobj()
            self._raw_deflate_possible = True
        else:
            self._decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)

    def too_large(self) -> BodyProblem:
        """The problem of a body past the cap."""
        return BodyProblem(f"the answer is larger than max_response_bytes ({self.limit:,} bytes); not read", self.limit)

    def feed(self, data: bytes) -> bool:
        """Take the next raw bytes; False when the reader wants no more."""
        if self.problem is not None:
            return False
        if self._decoder is None:
            self._keep(data)
        else:
            try:
                self._inflate(data)
            except zlib.error as error:
                self.problem = BodyProblem(f"the answer's compressed body is broken: {error}")
        return self.problem is None

    def _inflate(self, data: bytes) -> None:
        if self._first and self._raw_deflate_possible:
            self._first = False
            try:
                self._keep(self._decoder.decompress(data, self._room()))
            except zlib.error:  # "deflate" is sometimes raw deflate without the zlib wrapper
                self._decoder = zlib.decompressobj(-zlib.MAX_WBITS)
                self._keep(self._decoder.decompress(data, self._room()))
        else:
            self._keep(self._decoder.decompress(data, self._room()))
        while self.problem is None and self._decoder.unconsumed_tail:
            self._keep(self._decoder.decompress(self._decoder.unconsumed_tail, self._room()))

    def _room(self) -> int:
        return self.limit - self._size + 1  # one byte past the cap is enough to know it was passed

    def _keep(self, data: bytes) -> None:
        if not data:
            return
        self._size += len(data)
        if self._size > self.limit:
            self.problem = self.too_large()
            return
        self._parts.append(data)

    def result(self) -> tuple[bytes, BodyProblem | None]:
        """The body read (decoded), and why it is not whole, if it is not."""
        if self.problem is None and self._decoder is not None:
            try:
                self._keep(self._decoder.flush())
            except zlib.error as error:
                self.problem = BodyProblem(f"the answer's compressed body is broken: {error}")
        return b"".join(self._parts), self.problem


class Backend(Protocol):
    """Sends one request; raises RequestNotSentError or RequestMaybeSentError when no answer came."""

    @property
    def is_closed(self) -> bool:
        """Whether ``aclose()`` was called (or the underlying client was closed)."""
        ...

    async def send(
        self, request: ApiRequest[Any], url: str, content: bytes | None, timeout: AttemptTimeout
    ) -> RawResponse:
        """Send and read the answer, within ``timeout`` (its phases, and its total for the attempt as a whole)."""
        ...

    async def aclose(self) -> None:
        """Release connections the backend owns."""
        ...


_SECRETS = re.compile(r"(?i)(authorization:?\s*)(app\s+)?\S+")


def transport_error(
    not_sent: bool, reason: str, request: ApiRequest[Any], host: str, error: BaseException | str
) -> TransportError:
    """The typed error for a request that got no answer, worded for the log and the caller.

    The underlying error's text is kept for diagnosis, with any password in a URL and any authorization value
    masked.
    """
    where = f"{request.method} {request.path} to {host}"
    detail = error if isinstance(error, str) else (str(error) or type(error).__name__)
    detail = _SECRETS.sub(r"\1***", redact_url(detail))
    if not_sent:
        text = f"{reason.replace('_', ' ')} on {where}; the request was not sent: {detail}"
        return RequestNotSentError(text, reason=reason, method=request.method, path=request.path)
    text = f"{reason.replace('_', ' ')} on {where}; the server may have processed it: {detail}"
    return RequestMaybeSentError(text, reason=reason, method=request.method, path=request.path)


def respx_is_mocking() -> bool:
    """True while a respx router is active: then a default client must send through httpx for respx to see it."""
    mocks = sys.modules.get("respx.mocks")
    if mocks is None:
        return False
    registry = getattr(getattr(mocks, "Mocker", None), "registry", {})
    return any(getattr(mocker, "routers", None) for mocker in registry.values())
