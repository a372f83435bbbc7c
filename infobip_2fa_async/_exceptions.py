"""Every error this library raises.

The whole hierarchy:

    InfobipError                      base of everything below
    ├── ConfigurationError            the client cannot be built (no API key,
    │                                 bad base URL, ...)
    ├── InvalidRequestError           bad arguments, raised before anything is
    │                                 sent (also a ValueError)
    ├── ApiError                      the server answered with an HTTP error
    │   │                             status
    │   ├── BadRequestError           400
    │   ├── AuthenticationError       401
    │   ├── PermissionDeniedError     403
    │   ├── NotFoundError             404
    │   ├── RateLimitError            429 (retry_after in seconds, or None): a
    │   │   │                         throttle, waited out together
    │   │   └── QuotaExceededError    429 with a long Retry-After: a quota is
    │   │                             spent until resets_at
    │   └── ServerError               5xx
    ├── TransportError                no HTTP answer was received (maybe_sent
    │   │                             says if it may have arrived)
    │   ├── RequestNotSentError       connect failure, connect or pool timeout,
    │   │                             TLS, proxy: it never left
    │   └── RequestMaybeSentError     read/write timeout, dropped connection:
    │                                 it may have been processed
    ├── ResponseDecodeError           a 2xx answer whose body is not the JSON
    │   │                             the operation promises
    │   └── ResponseTooLargeError     a 2xx answer larger than the client's
    │                                 max_response_bytes
    ├── DeadlineExceededError         the call's deadline ran out (last_error
    │                                 is the failure before it)
    ├── GateUnavailableError          a shared gate (Redis) could not be
    │   │                             reached: nothing was sent
    │   └── ShieldUnavailableError    the abuse shield's store (Redis) could
    │                                 not be reached: nothing was sent
    └── SendRefusedError              the abuse shield refused to send a PIN
                                      (reason, retry_after)

An HTTP status with no class of its own (409, 422, ...) raises plain ``ApiError``.
Messages never carry the API key or a PIN.

Every error carries ``maybe_sent``: whether the server may have acted on the request (texted a PIN, spent an
attempt). False means it provably did not (refused before sending, or answered 4xx/429), so sending again is safe;
True means it may have, so a blind resend could text the person twice. Retries, ``send_many`` and the bulk journal
all read this one attribute.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._shield_decision import ShieldDecision, ShieldReason

__all__ = [
    "ApiError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "DeadlineExceededError",
    "GateUnavailableError",
    "InfobipError",
    "InvalidRequestError",
    "NotFoundError",
    "PermissionDeniedError",
    "QuotaExceededError",
    "RateLimitError",
    "RequestMaybeSentError",
    "RequestNotSentError",
    "ResponseDecodeError",
    "ResponseTooLargeError",
    "SendRefusedError",
    "ServerError",
    "ShieldUnavailableError",
    "TransportError",
]


class InfobipError(Exception):
    """Base class of every error raised by infobip_2fa_async.

    Attributes:
        maybe_sent: True unless the error proves the server did not act on the request: when in doubt, a send
            counts as possibly made, and sending it again could text the person twice.
    """

    maybe_sent: bool = True


class ConfigurationError(InfobipError):
    """The client was configured in a way that cannot work (missing key, bad base URL, ...)."""

    maybe_sent = False


class InvalidRequestError(InfobipError, ValueError):
    """An argument is invalid; raised before anything is sent (also a ``ValueError``).

    Attributes:
        argument: The argument's name (``"to"``, ``"placeholders"``, ``"timeout.read"``, ...).
        problem: What is wrong with it, and how to put it right.
    """

    maybe_sent = False

    def __init__(self, argument: str, problem: str) -> None:
        super().__init__(f"{argument}: {problem}")
        self.argument = argument
        self.problem = problem


class ApiError(InfobipError):
    """The server answered with an HTTP error status.

    Attributes:
        status_code: The HTTP status.
        message_id: The error's ``messageId`` (``BAD_REQUEST``, ``NOT_FOUND``, ...) or ``errorCode``, when the body
            held one.
        text: The error's text, when the body held one.
        validation_errors: Field name -> messages, from the body.
        body: The start of the body (2,000 characters), whatever it was (JSON, an HTML page, nothing).
        headers: The answer's headers, lower-cased names.
        method: The request's method.
        path: The request's path.
        maybe_sent: True for a 5xx only: a 4xx (429 included) is a refusal, a 5xx may come after the work was done.
    """

    def __init__(
        self,
        status_code: int,
        *,
        message_id: str | None = None,
        text: str | None = None,
        validation_errors: Mapping[str, list[str]] | None = None,
        body: str = "",
        headers: Mapping[str, str] | None = None,
        method: str = "",
        path: str = "",
    ) -> None:
        self.status_code = status_code
        self.maybe_sent = status_code >= 500
        self.message_id = message_id
        self.text = text
        self.validation_errors: dict[str, list[str]] = dict(validation_errors or {})
        self.body = body
        self.headers: dict[str, str] = dict(headers or {})
        self.method = method
        self.path = path
        super().__init__(self._describe())

    def _details(self) -> dict[str, Any]:
        """The keyword arguments this error was made with (beyond the status), for an error made from it."""
        return {"message_id": self.message_id, "text": self.text, "validation_errors": self.validation_errors,
                "body": self.body, "headers": self.headers, "method": self.method, "path": self.path}  # fmt: skip

    @property
    def request_id(self) -> str | None:
        """The server's request id header, when it sent one (quote it to Infobip support)."""
        for name in ("x-request-id", "x-infobip-request-id"):
            if name in self.headers:
                return self.headers[name]
        return None

    def _describe(self) -> str:
        parts = [f"HTTP {self.status_code}"]
        if self.message_id:
            parts.append(self.message_id)
        head = " ".join(parts)
        where = f" from {self.method} {self.path}" if self.method else ""
        detail = f": {self.text}" if self.text else ""
        fields = "".join(f"; {field}: {', '.join(messages)}" for field, messages in self.validation_errors.items())
        return f"{head}{where}{detail}{fields}"


class BadRequestError(ApiError):
    """HTTP 400: the server refused the request's content."""


class AuthenticationError(ApiError):
    """HTTP 401: the API key is missing, wrong or revoked."""


class PermissionDeniedError(ApiError):
    """HTTP 403: the API key may not use this operation or resource."""


class NotFoundError(ApiError):
    """HTTP 404: the application, template or PIN id does not exist."""


class RateLimitError(ApiError):
    """HTTP 429: a throttle or an application limit was hit; nothing was done.

    Made with ``ApiError``'s arguments and ``retry_after``.

    Attributes:
        retry_after: The ``Retry-After`` in seconds (from seconds or an HTTP date), or None.
    """

    def __init__(self, status_code: int = 429, *, retry_after: float | None = None, **details: Any) -> None:
        self.retry_after = retry_after
        super().__init__(status_code, **details)

    def _describe(self) -> str:
        text = super()._describe()
        if self.retry_after is not None:
            text += f" (Retry-After: {self.retry_after:g} s)"
        return text


class QuotaExceededError(RateLimitError):
    """HTTP 429 whose ``Retry-After`` is longer than ``RetryPolicy.max_shared_pause``: a quota (a number's or an
    application's daily limit), not a throttle. Nothing was done, and the same request is refused until the reset.

    It does not pause a shared gate: one number's daily cap must not stop every other send for a day.

    Attributes:
        resets_at: When the quota resets (UTC), from the ``Retry-After``.
    """

    def __init__(self, status_code: int = 429, *, resets_at: datetime, **details: Any) -> None:
        self.resets_at = resets_at
        super().__init__(status_code, **details)

    @classmethod
    def of(cls, error: RateLimitError, *, now: float) -> QuotaExceededError:
        """The quota error for a 429 answered at ``now`` (a Unix time) with a long ``Retry-After``."""
        retry_after = error.retry_after or 0.0
        resets_at = datetime.fromtimestamp(now + retry_after, timezone.utc).replace(microsecond=0)
        quota = cls(error.status_code, resets_at=resets_at, retry_after=retry_after, **error._details())
        quota.__cause__ = error
        return quota

    def _describe(self) -> str:
        return f"{super()._describe()}: a quota is spent; it resets at {self.resets_at.isoformat()}"


class ServerError(ApiError):
    """HTTP 5xx: the server failed; the request may or may not have been carried out."""


class TransportError(InfobipError):
    """No HTTP answer was received.

    Attributes:
        reason: ``connect_error``, ``connect_timeout``, ``pool_timeout``, ``tls_error``, ``proxy_error``,
            ``protocol_error``, ``token_error`` (no OAuth2 token could be had) (never sent), or ``read_timeout``,
            ``write_timeout``, ``connection_dropped`` (an answer cut short, or not HTTP at all), ``transport_error``
            (maybe sent). A request that could not be
            written is a ``protocol_error`` that was never sent, unless its head had already gone out: then it may
            have been read, and it is maybe sent.
        method: The request's method.
        path: The request's path.
        maybe_sent: Whether the server may have acted on it.
    """

    maybe_sent: bool = True

    def __init__(self, message: str, *, reason: str, method: str = "", path: str = "") -> None:
        super().__init__(message)
        self.reason = reason
        self.method = method
        self.path = path


class RequestNotSentError(TransportError):
    """The request never reached the server (connect failure, connect or pool timeout, a failed TLS handshake, a
    proxy that refused the tunnel, a request that could not be written): safe to send again."""

    maybe_sent = False


class RequestMaybeSentError(TransportError):
    """The request may have reached the server (read/write timeout, connection dropped): not safe to resend."""

    maybe_sent = True


class ResponseDecodeError(InfobipError):
    """A successful (2xx) answer whose body is not the JSON the operation promises. The server answered, so it
    acted on the request: ``maybe_sent`` is True.

    Attributes:
        status_code: The HTTP status.
        body: The start of the body.
        method: The request's method.
        path: The request's path.
    """

    maybe_sent = True

    def __init__(self, message: str, *, status_code: int, body: str, method: str = "", path: str = "") -> None:
        super().__init__(message)
        self.status_code = status_code
        self.body = body
        self.method = method
        self.path = path


class ResponseTooLargeError(ResponseDecodeError):
    """A 2xx answer whose body (after decompression) passed the client's ``max_response_bytes``; the rest was not
    read. The server answered, so it acted: ``maybe_sent`` is True.

    Attributes:
        limit: The cap that was passed, in bytes.
    """

    def __init__(
        self, message: str, *, limit: int, status_code: int, body: str, method: str = "", path: str = ""
    ) -> None:
        super().__init__(message, status_code=status_code, body=body, method=method, path=path)
        self.limit = limit


class DeadlineExceededError(InfobipError):
    """The call's ``deadline`` ran out before it could succeed: an attempt was cut short by it, or the wait before
    the next retry would have ended past it (that retry is then not made).

    Attributes:
        deadline: The seconds allowed.
        attempts: How many attempts went out.
        last_error: The failure the deadline cut in on (None when it ran out before any attempt).
        method: The request's method.
        path: The request's path.
        maybe_sent: The last failure's (an attempt cut while the request was out may have been carried out).
    """

    def __init__(
        self, *, deadline: float, attempts: int, last_error: InfobipError | None, method: str, path: str
    ) -> None:
        self.deadline = deadline
        self.attempts = attempts
        self.last_error = last_error
        self.method = method
        self.path = path
        self.maybe_sent = last_error.maybe_sent if last_error is not None else False
        tried = f"after {attempts} attempt{'s' if attempts != 1 else ''}" if attempts else "before the first attempt"
        last = f"; the last failure: {last_error}" if last_error is not None else ""
        super().__init__(f"the deadline of {deadline:g} s for {method} {path} ran out {tried}{last}")


class GateUnavailableError(InfobipError):
    """A shared gate could not be asked (its Redis is down or unreachable) and fails closed, so the request was not
    sent: ``maybe_sent`` is False. A gate built with ``fail_open=True`` lets requests through instead."""

    maybe_sent = False


class ShieldUnavailableError(GateUnavailableError):
    """The abuse shield's store (Redis) could not be asked and the shield fails closed, so nothing was sent
    (``maybe_sent`` is False). A store built with ``fail_open=True`` lets sends through instead."""


class SendRefusedError(InfobipError):
    """The abuse shield (``infobip_2fa_async.shield``) refused to send a PIN: nothing was sent (``maybe_sent`` is
    False).

    The message names the rule, never the number, the requester or any secret.

    Attributes:
        reason: Which rule refused it (``ShieldReason``, a stable string).
        retry_after: Seconds until the send would be let through, where waiting helps; None where it does not
            (the number's country or type, for instance).
        country: The number's region code, when known.
        decision: The whole decision (``ShieldDecision``).
    """

    maybe_sent = False

    def __init__(self, decision: ShieldDecision) -> None:
        if decision.reason is None:
            raise InvalidRequestError("decision", "a SendRefusedError needs a decision that refused")
        self.decision = decision
        self.reason: ShieldReason = decision.reason
        self.retry_after = decision.retry_after
        self.country = decision.country
        wait = "" if decision.retry_after is None else f"; it may be let through in {decision.retry_after:g} s"
        super().__init__(f"the shield refused this send ({self.reason.value}): {self.reason.description}{wait}")
