"""Endpoint modules: validate arguments and describe one operation each as an ApiRequest (no HTTP, no JSON).

- ``sms``, ``voice``, ``email``: send and resend a PIN over that channel; ``channels`` picks one by name;
- ``pin_verification``: verify the PIN a user typed;
- ``verification_status``: what was sent to a number and whether it was verified;
- ``applications``, ``templates`` (SMS/voice), ``email_templates``: the management API.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from .._exceptions import ConfigurationError

SUPPORTED_API_VERSIONS = (1, 2)


def pin_base(api_version: int) -> str:
    """Path prefix of the SMS/voice PIN operations: the current ``/2fa/2``, or ``/2fa/1`` of the first API version."""
    if api_version not in SUPPORTED_API_VERSIONS:
        raise ConfigurationError(f"api_version must be 1 or 2, not {api_version!r}")
    return f"/2fa/{api_version}"


def fields_of(body: type, arguments: Mapping[str, object]) -> dict[str, object]:
    """The arguments named like the fields of ``body`` (an attrs class): a method passes ``locals()`` and its body
    model says which of them go into the request."""
    return {field.name: arguments[field.name] for field in attrs.fields(body)}
