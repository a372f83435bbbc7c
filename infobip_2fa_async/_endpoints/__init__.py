"""Endpoint modules: validate arguments and describe one operation each as an ApiRequest."""

from __future__ import annotations

from .._exceptions import ConfigurationError

SUPPORTED_API_VERSIONS = (1, 2)


def pin_base(api_version: int) -> str:
    """Path prefix of the PIN operations: the seed's ``/2fa/1`` or the current ``/2fa/2``."""
    if api_version not in SUPPORTED_API_VERSIONS:
        raise ConfigurationError(f"api_version must be 1 or 2, not {api_version!r}")
    return f"/2fa/{api_version}"
