"""infobip_2fa_async: an asyncio client for Infobip's 2FA API (send, resend and verify one-time PINs)."""

from ._client import TwoFactorClient
from ._config import API_KEY_ENV, BASE_URL_ENV, DEFAULT_BASE_URL
from ._exceptions import (
    ApiError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    InfobipError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestMaybeSentError,
    RequestNotSentError,
    ResponseDecodeError,
    ServerError,
    TransportError,
)
from ._models import CallStatus, NcStatus, PinError, PinSent, PinVerification, SmsStatus
from ._retry import RetryDecision, RetryPolicy, backoff, decide
from ._transport import DEFAULT_LIMITS, DEFAULT_TIMEOUT, NOT_GIVEN, NotGiven
from ._version import __version__

__all__ = [
    "API_KEY_ENV",
    "BASE_URL_ENV",
    "DEFAULT_BASE_URL",
    "DEFAULT_LIMITS",
    "DEFAULT_TIMEOUT",
    "NOT_GIVEN",
    "ApiError",
    "AuthenticationError",
    "BadRequestError",
    "CallStatus",
    "ConfigurationError",
    "InfobipError",
    "InvalidRequestError",
    "NcStatus",
    "NotFoundError",
    "NotGiven",
    "PermissionDeniedError",
    "PinError",
    "PinSent",
    "PinVerification",
    "RateLimitError",
    "RequestMaybeSentError",
    "RequestNotSentError",
    "ResponseDecodeError",
    "RetryDecision",
    "RetryPolicy",
    "ServerError",
    "SmsStatus",
    "TransportError",
    "TwoFactorClient",
    "__version__",
    "backoff",
    "decide",
]
