"""Which backend a client sends through, built from the client's settings.

- a caller's ``http_client``: httpx, with the caller's own settings (proxy, TLS, limits) and ours per request;
- a caller's ``transport``: httpx around it;
- otherwise aiohttp, with an httpx fallback made when respx is mocking (so respx sees every request).
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from .._connection import ssl_context
from .._options import DEFAULT_LIMITS, AttemptTimeout
from . import ACCEPT_ENCODING, Backend
from ._httpx import HttpxBackend

__all__ = ["choose_backend"]


def choose_backend(
    *,
    headers: dict[str, str],
    host: str,
    timeout: AttemptTimeout,
    max_response_bytes: int,
    http_client: httpx.AsyncClient | None,
    transport: httpx.AsyncBaseTransport | None,
    proxy: str | None,
    verify: object,
    trust_env: bool,
) -> tuple[Backend, Callable[[], Backend] | None]:
    """The backend, and the httpx fallback used while respx mocks (None when the backend is already httpx).

    The TLS context is built only where this client makes its own connections (loading a CA bundle takes
    milliseconds, which a client around the sandbox's or a mock transport should not pay).
    """
    headers = {**headers, "Accept-Encoding": ACCEPT_ENCODING}

    def owned_httpx(transport: httpx.AsyncBaseTransport | None) -> HttpxBackend:
        made = httpx.AsyncClient(
            headers=headers,
            timeout=timeout.phases,
            limits=DEFAULT_LIMITS,
            transport=transport,
            follow_redirects=False,
            verify=ssl_context(verify, trust_env=trust_env) if transport is None else True,  # unused with a transport
            proxy=proxy if transport is None else None,
            trust_env=False,  # the proxy and the TLS context were already read from the environment, once
        )
        return HttpxBackend(made, owned=True, headers=None, host=host, max_response_bytes=max_response_bytes)

    if http_client is not None:
        return HttpxBackend(
            http_client, owned=False, headers=headers, host=host, max_response_bytes=max_response_bytes
        ), None
    if transport is not None:
        return owned_httpx(transport), None
    from ._aiohttp import AiohttpBackend

    backend = AiohttpBackend(
        headers=headers,
        timeout=timeout,
        limits=DEFAULT_LIMITS,
        host=host,
        max_response_bytes=max_response_bytes,
        ssl_context=ssl_context(verify, trust_env=trust_env),
        proxy=proxy,
    )
    return backend, lambda: owned_httpx(None)
