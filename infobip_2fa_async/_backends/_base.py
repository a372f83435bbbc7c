"""What a backend is given and what it gives back: plain data, so that a backend is one small file.

A backend is built once per client with the client's headers and connection settings (pool, TLS, proxy, the body
cap). Per attempt it is called with plain values: the method, the absolute URL with its query already encoded, the
body bytes, the attempt's ``Timeouts`` in seconds, and headers of this request alone when it has any (an OAuth2 bearer
token) (separate arguments rather than one request object: nothing is
built per attempt to carry them). It answers with a ``RawResponse``, or raises ``NoAnswer`` (``_errors``) saying
whether the request provably never left and why. Retries, HTTP statuses, JSON and the wording of errors live above
it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from typing import TYPE_CHECKING, NamedTuple, Protocol

if TYPE_CHECKING:
    from .._options import AttemptTimeout

__all__ = ["ACCEPT_ENCODING", "Backend", "BodyProblem", "RawResponse", "Timeouts", "plain_timeouts"]

#: What every backend asks for; anything else a server sends is refused rather than decoded by some other means.
ACCEPT_ENCODING = "gzip, deflate"


class Timeouts(NamedTuple):
    """One attempt's time bounds in seconds (None: no bound): the phases, as httpx names them, and ``total``, the
    bound on the attempt as a whole (connecting, sending, waiting and reading the whole body)."""

    connect: float | None
    read: float | None
    write: float | None
    pool: float | None
    total: float | None

    def within(self, seconds: float) -> Timeouts:
        """These bounds with ``total`` cut to ``seconds`` if that is shorter (the very same object if not)."""
        if self.total is not None and self.total <= seconds:
            return self
        return self._replace(total=seconds)


_last_converted: tuple[AttemptTimeout, Timeouts] | None = None


def plain_timeouts(timeout: AttemptTimeout) -> Timeouts:
    """An attempt's ``AttemptTimeout`` (httpx's phases and a total) as plain numbers.

    The same ``AttemptTimeout`` twice in a row gives the very same object: a client hands its default to its backend
    and then to its transport, and the backend tells the default from an attempt's own bounds with ``is``.
    """
    global _last_converted
    if _last_converted is not None and _last_converted[0] is timeout:
        return _last_converted[1]
    phases = timeout.phases
    converted = Timeouts(phases.connect, phases.read, phases.write, phases.pool, timeout.total)
    _last_converted = (timeout, converted)
    return converted


class BodyProblem(NamedTuple):
    """Why a body was not read whole: past the cap of ``cap`` bytes, or (``cap`` None) an encoding that could not
    be decoded."""

    text: str
    cap: int | None = None


class RawResponse(NamedTuple):
    """What came back: status, headers (case-insensitive mapping), the body, and what kept it from being whole."""

    status: int
    headers: Mapping[str, str]
    content: bytes
    problem: BodyProblem | None = None


class Backend(Protocol):
    """Sends one request; raises ``NoAnswer`` when no answer came."""

    @property
    def is_closed(self) -> bool:
        """Whether ``aclose()`` was called (or the underlying client was closed)."""
        ...

    def send(
        self, method: str, url: str, body: bytes | None, timeouts: Timeouts, headers: Mapping[str, str] | None = None
    ) -> Awaitable[RawResponse]:
        """Send ``body`` (None: none) to ``url`` and read the answer (up to the cap), within ``timeouts``; ``headers``
        (a bearer token, a form's content type) go with this request on top of the backend's own."""
        ...

    async def aclose(self) -> None:
        """Release connections the backend owns."""
        ...
