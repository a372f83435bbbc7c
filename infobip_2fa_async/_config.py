"""Client configuration: API key and base URL from arguments or the environment, and their checks."""

from __future__ import annotations

import ipaddress
import os
import sys
from urllib.parse import urlsplit

from ._exceptions import ConfigurationError
from ._validation import CONTROL_CHARACTERS
from ._version import __version__

__all__ = [
    "API_KEY_ENV",
    "BASE_URL_ENV",
    "DEFAULT_BASE_URL",
    "resolve_api_key",
    "resolve_base_url",
    "user_agent",
]

API_KEY_ENV = "INFOBIP_API_KEY"
BASE_URL_ENV = "INFOBIP_BASE_URL"
DEFAULT_BASE_URL = "https://api.infobip.com"


def resolve_api_key(api_key: str | None) -> str:
    """The API key given, else ``$INFOBIP_API_KEY``; a clear ConfigurationError when there is none."""
    key = api_key if api_key is not None else os.environ.get(API_KEY_ENV)
    if key is None or not key.strip():
        raise ConfigurationError(f"no Infobip API key: pass api_key=... or set the environment variable {API_KEY_ENV}")
    if not isinstance(key, str) or CONTROL_CHARACTERS.search(key):
        raise ConfigurationError("the API key must be a string without control characters or newlines")
    return key.strip()


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def resolve_base_url(base_url: str | None, *, allow_insecure_http: bool = False) -> str:
    """The base URL given, else ``$INFOBIP_BASE_URL``, else api.infobip.com; https unless loopback or allowed."""
    raw = base_url if base_url is not None else os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
    if not isinstance(raw, str) or not raw.strip():
        raise ConfigurationError(f"the base URL must be a non-empty string such as {DEFAULT_BASE_URL!r}")
    raw = raw.strip()
    if "://" not in raw:
        raw = "https://" + raw
    try:
        parts = urlsplit(raw)
        host = parts.hostname
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError as error:
        raise ConfigurationError(f"the base URL {raw!r} is not a valid URL: {error}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ConfigurationError(f"the base URL must start with https://, not {parts.scheme}://")
    if not host:
        raise ConfigurationError(f"the base URL {raw!r} has no host name")
    if parts.username or parts.password:
        raise ConfigurationError("the base URL must not carry credentials; pass the API key as api_key")
    if parts.query or parts.fragment:
        raise ConfigurationError(f"the base URL {raw!r} must not have a query string or fragment")
    if scheme == "http" and not allow_insecure_http and not _is_loopback(host):
        raise ConfigurationError(
            f"refusing http:// for {host}: the API key would travel unencrypted. Use https://, "
            "or pass allow_insecure_http=True if a trusted proxy really needs it"
        )
    return raw.rstrip("/")


def user_agent(httpx_version: str) -> str:
    """``infobip-2fa-async/<version> python/<x.y> httpx/<version>``."""
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    return f"infobip-2fa-async/{__version__} python/{python} httpx/{httpx_version}"
