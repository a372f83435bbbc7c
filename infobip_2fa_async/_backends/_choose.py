"""Which backend a client sends through, built from the client's settings.

- a caller's ``http_client``: httpx, with the caller's own settings (proxy, TLS, limits) and ours per request;
- a caller's ``transport``: httpx around it;
- otherwise aiohttp; where respx is installed, wrapped so that it sends through httpx while respx mocks (so respx
  sees every request: ``_respx``).
"""

from __future__ import annotations

import importlib.util
from functools import cache

import httpx

from .._connection import ssl_context
from .._options import DEFAULT_LIMITS, AttemptTimeout
from ._base import ACCEPT_ENCODING, Backend, plain_timeouts
from ._httpx import HttpxBackend

__all__ = ["choose_backend", "respx_installed"]


@cache
def respx_installed() -> bool:
    """Whether respx can be imported in this environment (asked once per process)."""
    return importlib.util.find_spec("respx") is not None


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
) -> Backend:
    """The backend for these settings.

    The TLS context is built only where this client makes its own connections (loading a CA bundle takes
    milliseconds, which a client around the sandbox's or a mock transport should not pay). ``host`` goes unused:
    the transport words every failure, with the host it knows.
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
        return HttpxBackend(made, owned=True, headers=None, max_response_bytes=max_response_bytes)

    if http_client is not None:
        return HttpxBackend(http_client, owned=False, headers=headers, max_response_bytes=max_response_bytes)
    if transport is not None:
        return owned_httpx(transport)
    from ._aiohttp import AiohttpBackend  # here: a client on httpx never imports aiohttp

    backend = AiohttpBackend(
        headers=headers,
        timeouts=plain_timeouts(timeout),
        max_connections=DEFAULT_LIMITS.max_connections or 0,
        keepalive_expiry=DEFAULT_LIMITS.keepalive_expiry,
        max_response_bytes=max_response_bytes,
        ssl_context=ssl_context(verify, trust_env=trust_env),
        proxy=proxy,
    )
    if respx_installed():
        from ._respx import WhileRespxMocks  # here: only where respx is installed (it brings httpcore)

        return WhileRespxMocks(backend, lambda: owned_httpx(None))
    return backend
