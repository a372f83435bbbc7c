"""A faithful, stateful local imitation of Infobip's 2FA API, in-process or over HTTP.

```python
sandbox = Sandbox()
async with sandbox.client() as client:
    app = await client.applications.create(name="Login")
    template = await client.templates.create(
        app.application_id, message_text="Code: {{pin}}", pin_type="NUMERIC"
    )
    sent = await client.send_pin(
        application_id=app.application_id,
        message_id=template.message_id,
        to="41793026727",
    )
    pin = sandbox.last_pin("41793026727")
    assert (await client.verify_pin(sent.pin_id, pin)).verified
```

Sandbox choices where the real service's behaviour is not documented:

- a limit hit answers 429 TOO_MANY_REQUESTS with ``Retry-After`` = whole seconds until the window frees up;
- with ``allowMultiplePinVerifications: false``, verifying an already verified PIN answers ``verified: false``,
  ``pinError: NO_MORE_PIN_ATTEMPTS``;
- each verification, right or wrong, spends one attempt;
- a resend delivers the same PIN without extending its time to live, and counts against the send limits;
- number lookup: a number ending in ``00000`` is NC_DESTINATION_NOT_REACHABLE (MESSAGE_NOT_SENT, nothing
  delivered), one ending in ``99999`` is NC_DESTINATION_UNKNOWN (delivered), any other is reachable;
- verification status times are UNIX milliseconds, as the schema says.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any

import httpx

from .._client import TwoFactorClient
from .._config import is_loopback
from ._app import SandboxApp
from ._auth import SANDBOX_USERNAME, Credentials
from ._faults import ConnectionDropped, ConnectionRefused, Fault, FaultKind, Faults
from ._pins import UNKNOWN_SUFFIX, UNREACHABLE_SUFFIX
from ._server import ServerLimits
from ._service import Service
from ._store import OutboxMessage

__all__ = [
    "DEFAULT_API_KEY",
    "SANDBOX_BASE_URL",
    "SANDBOX_USERNAME",
    "UNKNOWN_NUMBER",
    "UNKNOWN_SUFFIX",
    "UNREACHABLE_NUMBER",
    "UNREACHABLE_SUFFIX",
    "Fault",
    "FaultKind",
    "Faults",
    "ManualClock",
    "OutboxMessage",
    "Sandbox",
    "SandboxServer",
    "ServerLimits",
]

#: The key a Sandbox accepts unless given others; refused off loopback.
DEFAULT_API_KEY = "sandbox-key"
#: The base URL sandbox clients use in-process; nothing is resolved or connected.
SANDBOX_BASE_URL = "https://sandbox.infobip-2fa.invalid"
#: A phone number the sandbox's number lookup finds not reachable.
UNREACHABLE_NUMBER = "41790000000"
#: A phone number the sandbox's number lookup cannot tell about.
UNKNOWN_NUMBER = "41799999999"


class ManualClock:
    """A clock for tests: starts at ``start`` and moves only when told (or when ``sleep`` is awaited).

    Args:
        start: The time it starts at, in seconds.

    Attributes:
        now: The time it shows.
    """

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward.

        Args:
            seconds: How far.
        """
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        """An ``asyncio.sleep`` stand-in that moves this clock instead of waiting.

        Args:
            seconds: How far to move it.
        """
        self.now += seconds
        await asyncio.sleep(0)


class _SandboxTransport(httpx.AsyncBaseTransport):
    """httpx's ASGI transport, turning the sandbox's drop faults into the errors a real socket gives."""

    def __init__(self, app: SandboxApp) -> None:
        self._inner = httpx.ASGITransport(app=app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await self._inner.handle_async_request(request)
        except ConnectionRefused as error:
            raise httpx.ConnectError(str(error), request=request) from None
        except ConnectionDropped:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            ) from None


class Sandbox:
    """An in-memory 2FA service, used in-process (``client()``) or over HTTP (``serve()``).

    Args:
        api_keys: The keys it accepts (``Authorization: App <key>``).
        logins: The ``(username, password)`` pairs it accepts for HTTP Basic, OAuth2 client credentials (client id
            and secret) and IBSSO sessions; default: the username ``sandbox`` with any of ``api_keys`` as password.
        token_lifetime: Seconds an OAuth2 token or IBSSO session it issues stays good, on its clock.
        clock: What it reads for time to live, limits and timestamps, in seconds (default ``time.time``;
            ``ManualClock()`` moves only when told).
        sleep: What slow faults await (default ``asyncio.sleep``).
        seed: Makes random fault rates repeatable.

    Attributes:
        faults: The faults it injects (``Faults``).
        credentials: Its keys, logins and live tokens (``credentials.revoke_all()`` ends every token and session).
        asgi_app: The service as an ASGI application.

    Raises:
        ValueError: No API key given.
    """

    def __init__(
        self,
        *,
        api_keys: Iterable[str] = (DEFAULT_API_KEY,),
        logins: Iterable[tuple[str, str]] | None = None,
        token_lifetime: float = 3600.0,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        seed: int | None = None,
    ) -> None:
        self.api_keys = tuple(api_keys)
        if not self.api_keys:
            raise ValueError("a Sandbox needs at least one API key")
        if not 0 < token_lifetime < float("inf"):
            raise ValueError(f"token_lifetime must be a number of seconds > 0, not {token_lifetime!r}")
        clock = clock or time.time
        self._service = Service(clock)
        self.faults = Faults(seed)
        self.credentials = Credentials(self.api_keys, logins, clock, token_lifetime)
        self.asgi_app = SandboxApp(self._service, self.faults, self.credentials, sleep or asyncio.sleep)

    def __repr__(self) -> str:
        return f"<Sandbox: {len(self._service.store.applications)} applications, {len(self.outbox)} deliveries>"

    @property
    def outbox(self) -> list[OutboxMessage]:
        """Every delivery so far, oldest first."""
        return self._service.store.outbox

    def last_pin(self, to: str) -> str:
        """The PIN of the latest delivery to ``to``: what the user would read on their phone.

        Args:
            to: A phone number in any usual format, or an e-mail address.

        Returns:
            The PIN.

        Raises:
            LookupError: Nothing was delivered to ``to``.
        """
        wanted = to if "@" in to else "".join(ch for ch in to if ch.isdigit())
        for message in reversed(self._service.store.outbox):
            if message.to == wanted:
                return message.pin
        raise LookupError(f"the sandbox delivered nothing to {to!r}")

    def transport(self) -> httpx.AsyncBaseTransport:
        """An httpx transport that calls the sandbox in-process: no sockets."""
        return _SandboxTransport(self.asgi_app)

    def client(self, **kwargs: Any) -> TwoFactorClient:
        """A TwoFactorClient bound to this sandbox, in-process (no sockets).

        Args:
            **kwargs: Any ``TwoFactorClient`` argument (``sleep``, ``retry``, ``hooks``, ...).

        Returns:
            The client; close it (or use ``async with``) when done.
        """
        if "auth" not in kwargs:
            kwargs.setdefault("api_key", self.api_keys[0])
        kwargs.setdefault("base_url", SANDBOX_BASE_URL)
        if "http_client" not in kwargs:
            kwargs.setdefault("transport", self.transport())
        return TwoFactorClient(**kwargs)

    @asynccontextmanager
    async def serve(
        self, host: str = "127.0.0.1", port: int = 0, *, limits: ServerLimits | None = None
    ) -> AsyncIterator[SandboxServer]:
        """Serve the sandbox over HTTP while the block runs: ``async with sandbox.serve() as server: ...``.

        Off loopback (``host="0.0.0.0"``, say) the well-known key ``sandbox-key`` is refused, so that nobody on the
        network can use the sandbox or read its outbox without the key you chose; the outbox then needs the key.

        Args:
            host: The address to listen on.
            port: The port; 0 picks a free one.
            limits: What one request may cost (``ServerLimits``: body and head sizes, how long a request may take to
                arrive, how long an idle connection stays).

        Yields:
            Where it listens (``server.base_url``, ``server.api_key``).

        Raises:
            ValueError: Off loopback with the well-known key.
        """
        from ._server import Listener, ServerLimits

        exposed = not is_loopback(host)
        if exposed and DEFAULT_API_KEY in self.api_keys:
            raise ValueError(
                f"refusing to serve on {host} with the well-known key {DEFAULT_API_KEY!r}: anyone on the network "
                "could use it; build the Sandbox with api_keys=(a key of your own,)"
            )
        listener = Listener(self.asgi_app, limits or ServerLimits(), exposed)
        server = await listener.start(host, port)
        bound_host, bound_port = server.sockets[0].getsockname()[:2]
        try:
            yield SandboxServer(host=bound_host, port=bound_port, api_key=self.api_keys[0])
        finally:
            await listener.close()


class SandboxServer:
    """Where a served sandbox listens.

    Attributes:
        host: The address it listens on.
        port: The port.
        api_key: A key it accepts.
    """

    def __init__(self, host: str, port: int, api_key: str) -> None:
        self.host = host
        self.port = port
        self.api_key = api_key

    @property
    def base_url(self) -> str:
        """``http://host:port``, ready for TwoFactorClient(base_url=...) on this machine (a server listening on
        every address, 0.0.0.0 or ::, is reached through loopback)."""
        host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(self.host, self.host)  # noqa: S104
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}"

    def __repr__(self) -> str:
        return f"SandboxServer(base_url={self.base_url!r})"
