"""I/O backends: the one place that sends bytes and gets bytes back.

A backend takes plain values (method, URL with its query encoded, body bytes, the attempt's time bounds in seconds)
and returns the status, headers and body, or raises ``NoAnswer`` saying whether the request provably never left.
Everything else (retries, errors by status, their wording, JSON) lives above it, so each backend is one small file:

- ``AiohttpBackend`` (``_aiohttp``, the default): aiohttp's connection pool, without building httpx objects per
  request. It is what the benchmarks chose: see benchmarks/RESULTS.md.
- ``HttpxBackend`` (``_httpx``): any ``httpx.AsyncClient``; used when you pass ``http_client=`` or ``transport=``,
  and while respx is mocking (``_respx``), so respx sees every request of a default client too.

The rest, one job per module: ``_base`` (the interface and its plain data), ``_body`` (reading a body with a cap on
its decoded size, decoding gzip and deflate itself), ``_errors`` (``NoAnswer`` and the wording of a failed request),
``_redact`` (masking secrets in that wording), ``_compat`` (``time_limit`` on every Python supported) and ``_choose``
(which backend a client's settings call for).
"""

from __future__ import annotations

from ._base import (
    ACCEPT_ENCODING,
    Backend,
    BodyProblem,
    RawResponse,
    Timeouts,
    plain_timeouts,
)
from ._body import BodyReader
from ._compat import time_limit
from ._errors import NoAnswer, transport_error

__all__ = [
    "ACCEPT_ENCODING",
    "Backend",
    "BodyProblem",
    "BodyReader",
    "NoAnswer",
    "RawResponse",
    "Timeouts",
    "plain_timeouts",
    "time_limit",
    "transport_error",
]
