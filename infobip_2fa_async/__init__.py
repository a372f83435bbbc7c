"""infobip_2fa_async: an asyncio client for Infobip's 2FA API (send, resend and verify one-time PINs)."""

import importlib
import logging
import warnings
from typing import TYPE_CHECKING, Any

from ._client import TwoFactorClient
from ._config import API_KEY_ENV, BASE_URL_ENV, DEFAULT_BASE_URL
from ._exceptions import (
    ApiError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    DeadlineExceededError,
    GateUnavailableError,
    InfobipError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    QuotaExceededError,
    RateLimitError,
    RequestMaybeSentError,
    RequestNotSentError,
    ResponseDecodeError,
    ResponseTooLargeError,
    SendRefusedError,
    ServerError,
    ShieldUnavailableError,
    TransportError,
)
from ._gate import Gate, LocalGate
from ._models import (
    CallStatus,
    EmailPinSent,
    EmailStatus,
    NcStatus,
    PinError,
    PinSent,
    PinVerification,
    SmsStatus,
    Verification,
)
from ._options import DEFAULT_LIMITS, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT, NOT_GIVEN, NotGiven
from ._retry import RetryPolicy
from ._version import __version__

if TYPE_CHECKING:
    from ._bulk import BulkResult, SendPinRequest
    from ._hooks import CallFinished, CallStarted, Hook, RequestSent, ResponseReceived, RetryScheduled, SendRefused
    from ._management_models import (
        Application,
        ApplicationConfiguration,
        EmailTemplate,
        IndiaDltOptions,
        Language,
        MessageTemplate,
        PinType,
        RateLimit,
        RegionalOptions,
    )
    from ._resources.applications import Applications
    from ._resources.email_templates import EmailTemplates
    from ._resources.templates import Templates

# A library logs, the application decides where it goes: without this, Python's last-resort handler would print
# this library's retry warnings to stderr in programs that never configured logging.
logging.getLogger("infobip_2fa_async").addHandler(logging.NullHandler())

# The management side loads on first use (or when the first client is built), which keeps this import light.
_LAZY = {
    **dict.fromkeys(
        ["Application", "ApplicationConfiguration", "EmailTemplate", "IndiaDltOptions", "Language", "MessageTemplate",
         "PinType", "RateLimit", "RegionalOptions"],
        "._management_models",
    ),
    "Applications": "._resources.applications",
    "EmailTemplates": "._resources.email_templates",
    "Templates": "._resources.templates",
    **dict.fromkeys(["BulkResult", "SendPinRequest"], "._bulk"),
    **dict.fromkeys(
        ["CallFinished", "CallStarted", "Hook", "RequestSent", "ResponseReceived", "RetryScheduled", "SendRefused"],
        "._hooks",
    ),
}  # fmt: skip


# Moved to ``infobip_2fa_async.retry`` (a retry-specific module): still found here, with a DeprecationWarning.
_MOVED = {"RetryDecision": "infobip_2fa_async.retry", "backoff": "infobip_2fa_async.retry",
          "decide": "infobip_2fa_async.retry"}  # fmt: skip


def __getattr__(name: str) -> Any:
    if name in _MOVED:
        warnings.warn(
            f"infobip_2fa_async.{name} moved to {_MOVED[name]}.{name}; import it from there",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(importlib.import_module(_MOVED[name]), name)
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "API_KEY_ENV",
    "BASE_URL_ENV",
    "DEFAULT_BASE_URL",
    "DEFAULT_LIMITS",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_TIMEOUT",
    "NOT_GIVEN",
    "ApiError",
    "Application",
    "ApplicationConfiguration",
    "Applications",
    "AuthenticationError",
    "BadRequestError",
    "BulkResult",
    "CallFinished",
    "CallStarted",
    "CallStatus",
    "ConfigurationError",
    "DeadlineExceededError",
    "EmailPinSent",
    "EmailStatus",
    "EmailTemplate",
    "EmailTemplates",
    "Gate",
    "GateUnavailableError",
    "Hook",
    "IndiaDltOptions",
    "InfobipError",
    "InvalidRequestError",
    "Language",
    "LocalGate",
    "MessageTemplate",
    "NcStatus",
    "NotFoundError",
    "NotGiven",
    "PermissionDeniedError",
    "PinError",
    "PinSent",
    "PinType",
    "PinVerification",
    "QuotaExceededError",
    "RateLimit",
    "RateLimitError",
    "RegionalOptions",
    "RequestMaybeSentError",
    "RequestNotSentError",
    "RequestSent",
    "ResponseDecodeError",
    "ResponseReceived",
    "ResponseTooLargeError",
    "RetryPolicy",
    "RetryScheduled",
    "SendPinRequest",
    "SendRefused",
    "SendRefusedError",
    "ServerError",
    "ShieldUnavailableError",
    "SmsStatus",
    "Templates",
    "TransportError",
    "TwoFactorClient",
    "Verification",
    "__version__",
]
