"""What a backend raises, worded in one place: a request that got no answer (``NoAnswer``, worded as the typed error
the caller sees by ``transport_error``), and a client used from a second event loop (``other_event_loop``)."""

from __future__ import annotations

from .._exceptions import ConfigurationError, RequestMaybeSentError, RequestNotSentError, TransportError
from ._redact import mask_secrets

__all__ = ["NoAnswer", "other_event_loop", "transport_error"]


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


def other_event_loop() -> ConfigurationError:
    """The error for a request sent from an event loop other than the one the backend's connections belong to (the
    loop of its first request): connections cannot move between loops, on either backend."""
    return ConfigurationError(
        "this TwoFactorClient's connections belong to the event loop it first sent from; "
        "create one client per event loop (for example in your app's startup, or in a test fixture)"
    )
