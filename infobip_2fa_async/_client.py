"""TwoFactorClient: the one object users hold. The PIN operations are its own methods (``_resources.pins``); the
management operations are its groups ``applications``, ``templates`` and ``email_templates`` (``_resources``)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable
from types import TracebackType
from typing import TYPE_CHECKING

import attrs
import httpx

from ._config import resolve_base_url, user_agent
from ._endpoints import check_api_version
from ._exceptions import ConfigurationError
from ._gate import Gate
from ._options import (
    DEFAULT_MAX_RESPONSE_BYTES,
    NOT_GIVEN,
    DeadlineArg,
    NotGiven,
    RetriesArg,
    Sleep,
    TimeoutArg,
    attempt_timeout,
    check_deadline,
    check_max_response_bytes,
    check_max_retries,
)
from ._resources.pins import Pins
from ._retry import RetryPolicy

if TYPE_CHECKING:
    from ._bulk import BeforeSend, BulkResult, Progress, SendPinRequest
    from ._connection import VerifyArg
    from ._hooks import Hook
    from ._resources.applications import Applications
    from ._resources.email_templates import EmailTemplates
    from ._resources.templates import Templates
    from ._transport import HttpTransport
    from .auth import Auth
    from .shield import Shield

__all__ = ["TwoFactorClient"]


class TwoFactorClient(Pins):
    """Async client for Infobip's 2FA API. Create one per event loop and reuse it; close it when done.

    Every call shares the client's connection pool; ``timeout``, ``deadline`` and the retry policy's ``max_retries``
    apply to every call unless a call gives its own, or a client made by ``with_options`` has others. No request ever
    follows a redirect.

    Args:
        api_key: The API key (the same as ``auth=ApiKey(key)``); default ``$INFOBIP_API_KEY``.
        base_url: Your account's base URL (``https://xxxxx.api.infobip.com``); default ``$INFOBIP_BASE_URL``, then
            ``https://api.infobip.com``. Without a scheme, ``https://`` is assumed; ``http://`` only for loopback
            or with ``allow_insecure_http``.
        timeout: Bound on each attempt as a whole (connecting, sending, waiting, reading): seconds, or an
            ``httpx.Timeout`` whose phases are kept and whose largest phase bounds the attempt. Default
            ``DEFAULT_TIMEOUT`` (an attempt ends within 30 s).
        deadline: Bound on a whole call, retries and waits included, in seconds; None (default) for none.
        retry: How failures are retried (``RetryPolicy``).
        max_response_bytes: The largest answer read, counted after decompression (default 4 MiB).
        proxy: An ``http://`` or ``https://`` proxy URL for this client's own connections.
        verify: TLS: True (certifi's CAs, or ``SSL_CERT_FILE``/``SSL_CERT_DIR``), False (no checks), a CA bundle
            path, or an ``ssl.SSLContext`` (which also carries a client certificate).
        trust_env: Whether ``HTTP_PROXY``/``HTTPS_PROXY``/``NO_PROXY`` and ``SSL_CERT_FILE``/``SSL_CERT_DIR`` count,
            as httpx reads them.
        http_client: Your own ``httpx.AsyncClient`` to send through (it keeps its proxy and TLS settings and is
            never closed by this client).
        transport: An httpx transport to send through (tests, the sandbox's, a mock).
        api_version: 2 (current) or 1 (the first API version's ``/2fa/1`` paths) for the SMS and voice operations.
        allow_insecure_http: Allow ``http://`` to a host that is not loopback (the key would travel unencrypted).
        gate: A ``LocalGate``, or a ``RedisGate`` shared by many processes, that every request passes: one rate
            budget, and one pause after a 429 for everyone behind it.
        hooks: ``Hook`` instances told of every call, attempt and retry (``OpenTelemetryHooks``, your own).
        sleep: What waits between retries (default ``asyncio.sleep``); tests inject one that does not wait.
        clock: What deadlines and bulk rate limits read (default ``time.monotonic``).
        auth: How the client proves who it is, instead of ``api_key``: ``ApiKey``, ``BasicAuth``, ``IbssoToken`` or
            ``OAuth2ClientCredentials`` (``infobip_2fa_async.auth``). With neither, the environment's: see
            ``auth_from_env``.
        shield: A ``infobip_2fa_async.shield.Shield`` that every PIN send and resend (SMS, voice, e-mail) asks
            first and ``verify_pin`` tells of verified PINs; the operations that send take ``requester=`` for it.
            None (default): no shield, no shield work, and ``requester=`` is ignored.

    Raises:
        ConfigurationError: No credentials, unusable ones, an unusable base URL, conflicting arguments.
        InvalidRequestError: A timeout, deadline or size that means nothing (0, negative, NaN, infinite).
    """

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        timeout: TimeoutArg = NOT_GIVEN,
        deadline: float | None = None,
        retry: RetryPolicy = RetryPolicy(),  # noqa: B008 (frozen, so one shared default is safe; the docs show it)
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        proxy: str | None = None,
        verify: VerifyArg = True,
        trust_env: bool = True,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        api_version: int = 2,
        allow_insecure_http: bool = False,
        gate: Gate | None = None,
        hooks: Iterable[Hook] = (),
        sleep: Sleep | None = None,
        clock: Callable[[], float] | None = None,
        shield: Shield | None = None,
        auth: Auth | None = None,
    ) -> None:
        from .auth import resolve_auth

        scheme = resolve_auth(api_key, auth)
        url = resolve_base_url(base_url, allow_insecure_http=allow_insecure_http)
        if not isinstance(retry, RetryPolicy):
            raise ConfigurationError(f"retry must be a RetryPolicy, not {type(retry).__name__}")
        if http_client is not None and transport is not None:
            raise ConfigurationError(
                "pass http_client or transport, not both: a transport belongs inside the http_client you build"
            )
        if (http_client is not None or transport is not None) and (proxy is not None or verify is not True):
            raise ConfigurationError(
                "proxy= and verify= configure this client's own connections; with http_client= or transport=, "
                "set them on the httpx client or transport you pass"
            )
        if gate is not None and not isinstance(gate, Gate):
            raise ConfigurationError(f"gate must be a Gate (LocalGate, RedisGate, ...), not {type(gate).__name__}")
        if shield is not None:
            from .shield import Shield as Shield_  # only when one is given: the core works without the [shield] extra

            if not isinstance(shield, Shield_):
                raise ConfigurationError(f"shield must be a Shield, not {type(shield).__name__}")
        limits = attempt_timeout(http_client.timeout if http_client is not None and timeout is NOT_GIVEN else timeout)
        version = check_api_version(api_version)
        import asyncio  # here, not at the top: `import infobip_2fa_async` stays light (benchmarks/README.md)

        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": user_agent(httpx.__version__),
        }
        if scheme.header is not None:  # a fixed one; an OAuth2 bearer token goes with each request (``_tokens``)
            headers["Authorization"] = scheme.header
        parsed = httpx.URL(url)
        host = parsed.host
        # Imported here, not at the top: the retry machinery, the converter and aiohttp load when the first
        # client is built, which keeps ``import infobip_2fa_async`` light.
        from ._backends._choose import choose_backend
        from ._connection import resolve_proxy
        from ._hooks import Hooks
        from ._transport import HttpTransport

        backend = choose_backend(
            headers=headers,
            host=host,
            timeout=limits,
            max_response_bytes=check_max_response_bytes(max_response_bytes),
            http_client=http_client,
            transport=transport,
            proxy=resolve_proxy(url, proxy, trust_env=trust_env) if http_client is None else None,
            verify=verify,
            trust_env=trust_env,
        )
        clock = clock or time.monotonic
        tokens = None
        if scheme.header is None:
            from ._tokens import Tokens
            from .auth import OAuth2ClientCredentials

            assert isinstance(scheme, OAuth2ClientCredentials)
            tokens = Tokens(scheme, url, clock)
        transport_ = HttpTransport(
            backend=backend, base_url=url, host=host, policy=retry, timeout=limits, deadline=check_deadline(deadline),
            sleep=sleep, clock=clock, gate=gate, hooks=Hooks(hooks),
            port=parsed.port or (443 if parsed.scheme == "https" else 80), tokens=tokens,
        )  # fmt: skip
        self._wire(transport_, version, sleep or asyncio.sleep, shield, derived=False)

    def _wire(
        self, transport: HttpTransport, api_version: int, sleep: Sleep, shield: Shield | None, *, derived: bool,
    ) -> None:  # fmt: skip
        """Set up a client around ``transport``: the PIN operations, the groups, and what ``send_many`` needs."""
        from ._resources import applications, email_templates, templates  # the management models load here

        super().__init__(transport.call, api_version, shield, transport.hooks)
        self._transport = transport
        self._sleep = sleep
        self._clock = transport.clock
        self._derived = derived
        self._applications = applications.Applications(self._call)
        self._templates = templates.Templates(self._call)
        self._email_templates = email_templates.EmailTemplates(self._call)

    def with_options(
        self,
        *,
        max_retries: RetriesArg = NOT_GIVEN,
        timeout: TimeoutArg = NOT_GIVEN,
        deadline: DeadlineArg = NOT_GIVEN,
    ) -> TwoFactorClient:
        """A client with other defaults for the per-call options, sharing everything else with this one.

        ``fast = client.with_options(timeout=2.0, max_retries=0)`` costs no connection: the new client sends through
        this client's connection pool, gate, hooks and shield, with its retry policy (but for ``max_retries``), sleep
        and clock. A call may still give its own options; the ones left out are the new client's.

        The connections stay this client's: closing the new client (``aclose``, ``async with``) closes nothing,
        and closing this one closes them for every client made from it. See
        <https://infobip-2fa-async.readthedocs.io/client-options/>.

        Args:
            max_retries: Retries after the first try (0: none); left out, this client's.
            timeout: Bound on each attempt: seconds, an ``httpx.Timeout``, or None for none; left out, this client's.
            deadline: Bound on a whole call, retries and waits included, in seconds, or None for none; left out,
                this client's.

        Returns:
            The new client.

        Raises:
            InvalidRequestError: A value that means nothing: ``max_retries`` None, negative or not a whole number; a
                timeout or deadline of 0, negative, NaN or infinite.
        """
        from ._transport import HttpTransport

        base = self._transport
        policy = base.policy
        if not isinstance(max_retries, NotGiven):
            policy = attrs.evolve(policy, max_retries=check_max_retries(max_retries))
        transport = HttpTransport(
            backend=base.backend, base_url=base.base_url, host=base.host, policy=policy,
            timeout=base.timeout if isinstance(timeout, NotGiven) else attempt_timeout(timeout),
            deadline=base.deadline if isinstance(deadline, NotGiven) else check_deadline(deadline),
            sleep=base.sleep, clock=base.clock, gate=base.gate, hooks=base.hooks, port=base.port, tokens=base.tokens,
        )  # fmt: skip
        derived = object.__new__(type(self))
        derived._wire(transport, self.api_version, self._sleep, self._shield, derived=True)
        return derived

    @property
    def applications(self) -> Applications:
        """Create, list, read and update 2FA applications: ``await client.applications.create(name="Login")``."""
        return self._applications

    @property
    def templates(self) -> Templates:
        """Create, list, read and update SMS/voice message templates of an application."""
        return self._templates

    @property
    def email_templates(self) -> EmailTemplates:
        """Create and update e-mail message templates of an application."""
        return self._email_templates

    @property
    def base_url(self) -> str:
        """The API's base URL, without a trailing slash."""
        return self._transport.base_url

    @property
    def retry(self) -> RetryPolicy:
        """The retry policy applied to every call (``max_retries``: the default of this client's calls)."""
        return self._transport.policy

    @property
    def gate(self) -> Gate | None:
        """The gate every request of this client passes, if one was given."""
        return self._transport.gate

    @property
    def shield(self) -> Shield | None:
        """The abuse shield every PIN send of this client asks first, if one was given."""
        return self._shield

    def __repr__(self) -> str:
        return f"TwoFactorClient(base_url={self.base_url!r}, api_version={self.api_version})"

    async def __aenter__(self) -> TwoFactorClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connections this client opened (a caller's ``http_client`` is left open).

        Calls made after it raise ``ConfigurationError``, on this client and on every client ``with_options`` made
        from it. ``async with TwoFactorClient() as client:`` closes it on the way out. A client made by
        ``with_options`` owns no connections: closing it does nothing.
        """
        if self._derived:
            return
        await self._transport.aclose()

    def send_many(
        self,
        requests: Iterable[SendPinRequest] | AsyncIterable[SendPinRequest],
        *,
        concurrency: int = 50,
        rate: float | None = None,
        burst: float | None = None,
        gate: Gate | None = None,
        ordered: bool = False,
        on_progress: Progress | None = None,
        before_send: BeforeSend | None = None,
    ) -> AsyncIterator[BulkResult]:
        """Send many PINs: ``async for outcome in client.send_many(requests): ...``.

        The input is read lazily, with at most ``concurrency`` sends in flight and ``2 x concurrency`` items held, so
        memory follows ``concurrency``, not the input's size. Exactly one ``BulkResult`` comes back per input; a
        failure, or an invalid item, is a result, never a stop. Stopping early (``break``) or being cancelled
        cancels the sends in flight.

        Args:
            requests: An iterable or async iterable of ``SendPinRequest``.
            concurrency: Sends in flight at once.
            rate: Requests per second for the run; None for no limit (a 429 still pauses every worker together).
            burst: How many requests may go at once after a quiet spell (default one second's worth; 1 spaces them
                evenly).
            gate: A gate of your own instead of ``rate``/``burst`` (a ``RedisGate`` shares them with other
                processes).
            ordered: Yield results in input order (holding at most the window) instead of as they finish.
            on_progress: Called after each result with ``(done, total or None, succeeded, failed)``.
            before_send: Called with ``(index, request)`` just before each attempt at an item goes out, after the
                rate limit: the moment a journal should record "may have been sent". It may be a coroutine
                function.

        Returns:
            An async iterator of ``BulkResult``: ``result`` (the ``PinSent``) when sent, ``error`` (an
            ``InfobipError``; see its ``maybe_sent``) when not.

        Raises:
            InvalidRequestError: ``concurrency``, ``rate``, ``burst`` or ``gate`` is invalid, or ``requests`` is not
                iterable (raised here, before anything is read).
        """
        from . import _bulk

        return _bulk.send_many(
            self._call,
            self.api_version,
            requests,
            concurrency=concurrency,
            rate=rate,
            burst=burst,
            gate=gate,
            ordered=ordered,
            on_progress=on_progress,
            before_send=before_send,
            clock=self._clock,
            sleep=self._sleep,
        )
