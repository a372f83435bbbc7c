"""TwoFactorClient: the one object users hold, with a method per 2FA operation."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable
from types import TracebackType
from typing import TYPE_CHECKING

import httpx

from ._config import resolve_api_key, resolve_base_url, user_agent
from ._endpoints import pin_base, pin_verification, sms, voice
from ._exceptions import ConfigurationError
from ._gate import Gate
from ._models import EmailPinSent, PinSent, PinVerification, Verification
from ._options import (
    DEFAULT_MAX_RESPONSE_BYTES,
    NOT_GIVEN,
    DeadlineArg,
    Sleep,
    TimeoutArg,
    attempt_timeout,
    check_deadline,
    check_max_response_bytes,
)
from ._retry import RetryPolicy

if TYPE_CHECKING:
    from ._bulk import BeforeSend, BulkResult, Progress, SendPinRequest
    from ._connection import VerifyArg
    from ._resources import Applications, EmailTemplates, Templates

__all__ = ["TwoFactorClient"]

_DEFAULT_RETRY = RetryPolicy()


class TwoFactorClient:
    """Async client for Infobip's 2FA API. Create one per event loop and reuse it; close it when done.

    ``api_key`` defaults to ``$INFOBIP_API_KEY``, ``base_url`` to ``$INFOBIP_BASE_URL`` and then to
    ``https://api.infobip.com``. ``timeout`` (seconds, bounding each attempt as a whole, or an ``httpx.Timeout``,
    whose largest phase bounds it), ``deadline`` (seconds for a whole call, retries and waits included; None: no
    deadline) and ``retry`` apply to every call unless a call overrides them. ``max_response_bytes`` caps the size
    of an answer, counted after decompression.

    ``proxy`` (an ``http://`` URL) and ``verify`` (True, False, a CA bundle path, or an ``ssl.SSLContext`` holding
    a client certificate too if you need one) set where and how connections go; with ``trust_env`` (the default)
    ``HTTP_PROXY``/``HTTPS_PROXY``/``NO_PROXY`` and ``SSL_CERT_FILE``/``SSL_CERT_DIR`` are honoured as httpx
    honours them. No request ever follows a redirect.

    Pass ``http_client`` to use your own ``httpx.AsyncClient`` (it keeps its own proxy and TLS settings and is
    never closed by this client) or ``transport`` to plug an httpx transport (tests, the sandbox). ``gate`` (a
    ``LocalGate``, or a ``RedisGate`` shared by many processes) is passed by every request of this client: one
    rate budget, and one pause after a 429 for everyone behind it. ``sleep`` replaces ``asyncio.sleep`` between
    retries and ``clock`` replaces ``time.monotonic`` for deadlines and bulk rate limiting, so tests can run
    without waiting.
    """

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        timeout: TimeoutArg = NOT_GIVEN,
        deadline: float | None = None,
        retry: RetryPolicy = _DEFAULT_RETRY,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        proxy: str | None = None,
        verify: VerifyArg = True,
        trust_env: bool = True,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        api_version: int = 2,
        allow_insecure_http: bool = False,
        gate: Gate | None = None,
        sleep: Sleep | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        key = resolve_api_key(api_key)
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
        limits = attempt_timeout(http_client.timeout if http_client is not None and timeout is NOT_GIVEN else timeout)
        self._pin_base = pin_base(api_version)
        self._sleep: Sleep = sleep or asyncio.sleep
        self._clock: Callable[[], float] = clock or time.monotonic
        self.api_version = api_version
        headers = {
            "Authorization": f"App {key}",
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": user_agent(httpx.__version__),
        }
        host = httpx.URL(url).host
        # Imported here, not at the top: the retry machinery, the converter and aiohttp load when the first
        # client is built, which keeps ``import infobip_2fa_async`` light.
        from . import _resources as resources
        from ._backends._choose import choose_backend
        from ._connection import resolve_proxy
        from ._transport import HttpTransport

        backend, respx_fallback = choose_backend(
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
        self._transport = HttpTransport(
            backend=backend, base_url=url, host=host, policy=retry, timeout=limits, deadline=check_deadline(deadline),
            sleep=sleep, clock=self._clock, gate=gate, respx_fallback=respx_fallback,
        )  # fmt: skip
        self._call = self._transport.call
        self.applications: Applications = resources.Applications(self._call)
        """Create, list, read and update 2FA applications."""
        self.templates: Templates = resources.Templates(self._call)
        """Create, list, read and update SMS/voice message templates."""
        self.email_templates: EmailTemplates = resources.EmailTemplates(self._call)
        """Create and update e-mail message templates."""

    @property
    def base_url(self) -> str:
        """The API's base URL, without a trailing slash."""
        return self._transport.base_url

    @property
    def retry(self) -> RetryPolicy:
        """The retry policy applied to every call."""
        return self._transport.policy

    @property
    def gate(self) -> Gate | None:
        """The gate every request of this client passes, if one was given."""
        return self._transport.gate

    def __repr__(self) -> str:
        return f"TwoFactorClient(base_url={self.base_url!r}, api_version={self.api_version})"

    async def __aenter__(self) -> TwoFactorClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connections this client opened (a caller's ``http_client`` is left open)."""
        await self._transport.aclose()

    async def send_pin(
        self,
        *,
        application_id: str,
        message_id: str,
        to: str,
        from_: str | None = None,
        placeholders: dict[str, str] | None = None,
        track_delivery: bool | None = None,
        nc_needed: bool | None = None,
        max_retries: int | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
        deadline: DeadlineArg = NOT_GIVEN,
    ) -> PinSent:
        """Generate a PIN and send it by SMS to ``to``. Not retried after it may have reached the server."""
        request = sms.send_pin(
            self._pin_base,
            application_id=application_id,
            message_id=message_id,
            to=to,
            from_=from_,
            placeholders=placeholders,
            track_delivery=track_delivery,
            nc_needed=nc_needed,
        )
        return await self._call(request, max_retries=max_retries, timeout=timeout, deadline=deadline)

    async def resend_pin(
        self,
        pin_id: str,
        *,
        placeholders: dict[str, str] | None = None,
        track_delivery: bool | None = None,
        max_retries: int | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
        deadline: DeadlineArg = NOT_GIVEN,
    ) -> PinSent:
        """Send the same PIN again by SMS, under the same ``pin_id``."""
        request = sms.resend_pin(self._pin_base, pin_id, placeholders=placeholders, track_delivery=track_delivery)
        return await self._call(request, max_retries=max_retries, timeout=timeout, deadline=deadline)

    async def send_voice_pin(
        self,
        *,
        application_id: str,
        message_id: str,
        to: str,
        from_: str | None = None,
        placeholders: dict[str, str] | None = None,
        track_delivery: bool | None = None,
        max_retries: int | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
        deadline: DeadlineArg = NOT_GIVEN,
    ) -> PinSent:
        """Generate a PIN and read it out in a voice call to ``to``."""
        request = voice.send_voice_pin(
            self._pin_base,
            application_id=application_id,
            message_id=message_id,
            to=to,
            from_=from_,
            placeholders=placeholders,
            track_delivery=track_delivery,
        )
        return await self._call(request, max_retries=max_retries, timeout=timeout, deadline=deadline)

    async def resend_voice_pin(
        self,
        pin_id: str,
        *,
        placeholders: dict[str, str] | None = None,
        track_delivery: bool | None = None,
        max_retries: int | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
        deadline: DeadlineArg = NOT_GIVEN,
    ) -> PinSent:
        """Call again and read out the same PIN, under the same ``pin_id``."""
        request = voice.resend_voice_pin(
            self._pin_base, pin_id, placeholders=placeholders, track_delivery=track_delivery
        )
        return await self._call(request, max_retries=max_retries, timeout=timeout, deadline=deadline)

    async def verify_pin(
        self,
        pin_id: str,
        pin: str,
        *,
        max_retries: int | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
        deadline: DeadlineArg = NOT_GIVEN,
    ) -> PinVerification:
        """Check the PIN the user typed. A wrong PIN is ``verified=False``, not an exception."""
        request = pin_verification.verify_pin(self._pin_base, pin_id, pin)
        return await self._call(request, max_retries=max_retries, timeout=timeout, deadline=deadline)

    async def send_email_pin(
        self,
        *,
        application_id: str,
        message_id: str,
        to: str,
        from_: str | None = None,
        placeholders: dict[str, str] | None = None,
        landing_page_placeholders: dict[str, str] | None = None,
        max_retries: int | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
        deadline: DeadlineArg = NOT_GIVEN,
    ) -> EmailPinSent:
        """Generate a PIN and e-mail it to the address ``to``."""
        from ._endpoints import email

        request = email.send_email_pin(
            application_id=application_id,
            message_id=message_id,
            to=to,
            from_=from_,
            placeholders=placeholders,
            landing_page_placeholders=landing_page_placeholders,
        )
        return await self._call(request, max_retries=max_retries, timeout=timeout, deadline=deadline)

    async def resend_email_pin(
        self,
        pin_id: str,
        *,
        placeholders: dict[str, str] | None = None,
        landing_page_placeholders: dict[str, str] | None = None,
        max_retries: int | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
        deadline: DeadlineArg = NOT_GIVEN,
    ) -> EmailPinSent:
        """E-mail the same PIN again, under the same ``pin_id``."""
        from ._endpoints import email

        request = email.resend_email_pin(
            pin_id, placeholders=placeholders, landing_page_placeholders=landing_page_placeholders
        )
        return await self._call(request, max_retries=max_retries, timeout=timeout, deadline=deadline)

    async def verification_status(
        self,
        application_id: str,
        *,
        msisdn: str,
        verified: bool | None = None,
        sent: bool | None = None,
        max_retries: int | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
        deadline: DeadlineArg = NOT_GIVEN,
    ) -> list[Verification]:
        """What was sent to ``msisdn`` under the application and whether it was verified."""
        from ._endpoints import verification_status

        request = verification_status.verification_status(application_id, msisdn=msisdn, verified=verified, sent=sent)
        return await self._call(request, max_retries=max_retries, timeout=timeout, deadline=deadline)

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

        ``requests`` (an iterable or async iterable of SendPinRequest) is read lazily, at most ``concurrency`` sends
        in flight. Exactly one BulkResult comes back per input, as sends finish or, with ``ordered=True``, in input
        order. ``rate`` caps requests per second (``burst`` of them may go at once after a quiet spell: one second's
        worth by default, 1 for evenly spaced sends); a 429 pauses every worker together. ``gate`` replaces
        ``rate``/``burst`` with a gate of your own (a ``RedisGate`` shares the budget with other processes).
        ``on_progress(done, total or None, succeeded, failed)`` is called after each result;
        ``before_send(index, request)`` just before each attempt at an item goes out, after the rate limit (the
        moment a journal should record "may have been sent"). Stopping early (``break``) or being cancelled cancels
        the sends in flight.
        """
        from . import _bulk

        return _bulk.send_many(
            self._call,
            self._pin_base,
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
