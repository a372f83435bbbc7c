"""Client configuration: the base URL from an argument or the environment, and its checks (credentials: ``auth``)."""

from __future__ import annotations

import ipaddress
import os
import re
import sys
from urllib.parse import urlsplit

from ._exceptions import ConfigurationError
from ._version import __version__

__all__ = [
    "ALLOW_INSECURE_HTTP_PYTHON",
    "API_KEY_ENV",
    "BASE_URL_ENV",
    "DEFAULT_BASE_URL",
    "is_ip_address",
    "is_loopback",
    "resolve_base_url",
    "user_agent",
]

API_KEY_ENV = "INFOBIP_API_KEY"
BASE_URL_ENV = "INFOBIP_BASE_URL"
DEFAULT_BASE_URL = "https://api.infobip.com"
#: How a refused ``http://`` base URL tells a Python caller to allow it.
ALLOW_INSECURE_HTTP_PYTHON = "pass allow_insecure_http=True"


_ASCII_SPACE = " \t\r\n"
# What a base URL may hold, before it is taken apart: printable ASCII, no spaces (percent-encode anything else).
_URL_CHARACTERS = re.compile(r"[\x21-\x7e]+")
_HOST = re.compile(r"[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?")


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine: localhost, 127.0.0.0/8 or ::1 (0.0.0.0 and :: are not: they listen on every
    address)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def resolve_base_url(
    base_url: str | None, *, allow_insecure_http: bool = False, how_to_allow: str = ALLOW_INSECURE_HTTP_PYTHON
) -> str:
    """The base URL given, else ``$INFOBIP_BASE_URL``, else api.infobip.com; https unless loopback or allowed.

    Messages name the scheme and host at most: a password, a token in a query string or a key pasted into the URL
    is never repeated back. ``how_to_allow`` is how the refusal of ``http://`` says to allow it (the command line
    names its own flag).
    """
    raw = base_url if base_url is not None else os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
    if not isinstance(raw, str) or not raw.strip(_ASCII_SPACE):
        raise ConfigurationError(f"the base URL must be a non-empty string such as {DEFAULT_BASE_URL!r}")
    raw = raw.strip(_ASCII_SPACE)
    if not _URL_CHARACTERS.fullmatch(raw):
        raise ConfigurationError(
            "the base URL holds a space, a control character (such as a line break) or a non-ASCII character: "
            f"write it as plain ASCII, e.g. {DEFAULT_BASE_URL!r}, percent-encoding anything else"
        )
    if "://" not in raw:
        raw = "https://" + raw
    try:
        parts = urlsplit(raw)
        host = parts.hostname
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError:
        raise ConfigurationError("the base URL is not a valid URL (check its host and port)") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ConfigurationError(f"the base URL must start with https://, not {parts.scheme}://")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ConfigurationError("the base URL must not carry credentials (user:password@); pass the key as api_key")
    if not host or not (_HOST.fullmatch(host) or is_ip_address(host)):
        raise ConfigurationError("the base URL has no valid host name, e.g. 'xxxxx.api.infobip.com'")
    if parts.query or parts.fragment or raw.endswith(("?", "#")):
        raise ConfigurationError(f"the base URL {scheme}://{host}/... must not have a query string or fragment")
    if scheme == "http" and not allow_insecure_http and not is_loopback(host):
        raise ConfigurationError(
            f"refusing http:// for {host}: the API key would travel unencrypted. Use https://, "
            f"or {how_to_allow} if a trusted proxy really needs it"
        )
    return raw.rstrip("/")


def is_ip_address(host: str) -> bool:
    """Whether ``host`` is an IPv4 or IPv6 address (without brackets) rather than a name."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def user_agent(httpx_version: str) -> str:
    """``infobip-2fa-async/<version> python/<x.y> httpx/<version>``."""
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    return f"infobip-2fa-async/{__version__} python/{python} httpx/{httpx_version}"
