"""What a backend raises, worded in one place: a request that got no answer (``NoAnswer``, worded as the typed error
the caller sees by ``transport_error``), a connection that could not be opened (``connect_failure``, in the same words
on every backend), and a client used from a second event loop (``other_event_loop``)."""

from __future__ import annotations

import os
import socket
import ssl

from .._exceptions import ConfigurationError, RequestMaybeSentError, RequestNotSentError, TransportError
from ._redact import mask_secrets

__all__ = ["PLAIN_HTTP_HINT", "NoAnswer", "connect_failure", "other_event_loop", "transport_error"]

#: Added to a TLS failure that looks like a plain-HTTP answer to the TLS handshake.
PLAIN_HTTP_HINT = "the server seems to speak plain HTTP, not HTTPS: for a local server such as the sandbox, use http://"
# OpenSSL's reasons for a handshake answered by something that is not TLS (an HTTP answer, typically).
_NOT_TLS = frozenset({"WRONG_VERSION_NUMBER", "PACKET_LENGTH_TOO_LONG", "RECORD_LAYER_FAILURE", "UNKNOWN_PROTOCOL"})
#: How deep a chain of causes is searched for what went wrong underneath.
_CAUSE_DEPTH = 10


class NoAnswer(Exception):
    """Raised by a backend when no HTTP answer came: whether the request provably never left (``not_sent``), why
    (``reason``, one of ``TransportError.reason``'s values) and what happened underneath (``detail``: the library's
    exception, also its ``__cause__``, or a sentence).

    It never leaves the library: the transport turns it into a ``TransportError`` with ``transport_error``.
    """

    def __init__(self, not_sent: bool, reason: str, detail: BaseException | str) -> None:
        super().__init__(reason)
        self.not_sent = not_sent
        self.reason = reason
        self.detail = detail


def transport_error(failure: NoAnswer, method: str, path: str, host: str) -> TransportError:
    """The typed error for a request that got no answer, worded for the log and the caller.

    The underlying error's text is kept for diagnosis, with any password in a URL and any authorization value
    masked. ``path`` is the path without its query, which may hold a phone number.
    """
    detail = failure.detail
    text = mask_secrets(detail if isinstance(detail, str) else (str(detail) or type(detail).__name__))
    reason = failure.reason
    where = f"{reason.replace('_', ' ')} on {method} {path} to {host}"
    if failure.not_sent:
        return RequestNotSentError(f"{where}; the request was not sent: {text}", reason=reason, method=method,
                                   path=path)  # fmt: skip
    return RequestMaybeSentError(f"{where}; the server may have processed it: {text}", reason=reason, method=method,
                                 path=path)  # fmt: skip


def _causes(error: BaseException) -> list[BaseException]:
    """``error`` and what it was raised from, nearest first."""
    chain: list[BaseException] = []
    seen: BaseException | None = error
    while seen is not None and len(chain) < _CAUSE_DEPTH and seen not in chain:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    return chain


def _why(chain: list[BaseException]) -> str:
    """Why a connection could not be opened, in the operating system's words (``connection refused``)."""
    for each in chain:
        if isinstance(each, socket.gaierror):
            return f"the host name could not be resolved ({each.strerror or each})"
        if isinstance(each, OSError) and isinstance(each.errno, int) and each.errno > 0:
            return os.strerror(each.errno).lower()
    last = getattr(chain[-1], "os_error", None) or chain[-1]  # aiohttp's own text would say "ssl:default"
    return str(last) or type(last).__name__


def connect_failure(error: BaseException, *, scheme: str | None, host: str | None, port: int | None,
                    proxy: bool = False, through_proxy: bool = False) -> str:  # fmt: skip
    """What was tried and why it failed, the same on every backend: ``could not connect to 127.0.0.1 port 8080 over
    http: connection refused``, or for a failed TLS handshake ``the TLS handshake with ... failed: [SSL: ...]``, with
    a hint when the answer looks like plain HTTP (``https://`` to a plain-HTTP server such as the sandbox).

    ``error`` is the library's; ``scheme``, ``host`` and ``port`` what it connected to (the proxy's, with ``proxy``;
    the server's, reached through a proxy not named, with ``through_proxy``).
    """
    target = f"{'the proxy ' if proxy else ''}{host or 'the server'}"
    if port is not None:
        target += f" port {port}"
    via = " through a proxy" if through_proxy else ""
    chain = _causes(error)
    # the innermost SSLError is the ssl module's (aiohttp's own errors are SSLErrors too, holding it)
    tls: BaseException | None = next((each for each in reversed(chain) if isinstance(each, ssl.SSLError)), None)
    if tls is not None:
        tls = getattr(tls, "certificate_error", None) or getattr(tls, "os_error", None) or tls
        text = f"the TLS handshake with {target}{via} failed: {tls}"
        if getattr(tls, "reason", None) in _NOT_TLS:
            text += f" ({PLAIN_HTTP_HINT})"
        return text
    over = f" over {scheme}" if scheme in ("http", "https") else ""
    return f"could not connect to {target}{over}{via}: {_why(chain)}"


def other_event_loop() -> ConfigurationError:
    """The error for a request sent from an event loop other than the one the backend's connections belong to (the
    loop of its first request): connections cannot move between loops, on either backend."""
    return ConfigurationError(
        "this TwoFactorClient's connections belong to the event loop it first sent from; "
        "create one client per event loop (for example in your app's startup, or in a test fixture)"
    )
