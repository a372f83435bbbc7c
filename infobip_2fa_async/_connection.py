"""Where the connection goes and how it is secured: the proxy and the TLS context, worked out once per client and
handed to whichever backend sends, so that both backends behave alike.

- Proxy: an explicit ``proxy=`` wins; otherwise, with ``trust_env=True`` (the default), ``HTTP_PROXY``,
  ``HTTPS_PROXY``, ``ALL_PROXY`` and ``NO_PROXY`` (upper or lower case) are read exactly as httpx reads them:
  ``NO_PROXY=example.com`` bypasses example.com and its subdomains, ``.example.com`` only the subdomains, ``*``
  every host, and IP addresses and ``localhost`` match as written.
- TLS: ``verify=True`` trusts certifi's CA bundle, or ``SSL_CERT_FILE``/``SSL_CERT_DIR`` when ``trust_env`` is on
  (as httpx does); ``verify=False`` checks nothing; a path is a CA bundle file or directory; an
  ``ssl.SSLContext`` is used as it is (load a client certificate into it with ``load_cert_chain``).
"""

from __future__ import annotations

import os
import re
import ssl
from urllib.parse import urlsplit
from urllib.request import getproxies

from ._config import is_ip_address
from ._exceptions import ConfigurationError

__all__ = ["VerifyArg", "environment_proxy", "redact_url", "resolve_proxy", "ssl_context"]

VerifyArg = bool | str | os.PathLike[str] | ssl.SSLContext


def redact_url(url: str) -> str:
    """The URL without its password (``http://user:***@proxy:3128``), for messages."""
    return re.sub(r"(//[^/@:]*):[^/@]*@", r"\1:***@", url)


class _Pattern:
    """httpx's URLPattern: ``scheme://host:port``, with ``all`` for any scheme and ``*`` prefixes on the host."""

    def __init__(self, pattern: str) -> None:
        parts = urlsplit(pattern)
        host = (parts.hostname or "").strip("[]")
        self.scheme = "" if parts.scheme == "all" else parts.scheme
        self.port = parts.port
        self.host = "" if host == "*" else host
        if not self.host:
            self.regex = None
        elif self.host.startswith("*."):
            self.regex = re.compile(rf"^.+\.{re.escape(self.host[2:])}$")
        elif self.host.startswith("*"):
            self.regex = re.compile(rf"^(.+\.)?{re.escape(self.host[1:])}$")
        else:
            self.regex = re.compile(rf"^{re.escape(self.host)}$")

    def matches(self, scheme: str, host: str, port: int | None) -> bool:
        if self.scheme and self.scheme != scheme:
            return False
        if self.regex is not None and not self.regex.match(host):
            return False
        return self.port is None or self.port == port

    @property
    def priority(self) -> tuple[int, int, int]:
        return (0 if self.port is not None else 1, -len(self.host), -len(self.scheme))


def environment_proxy(url: str, proxies: dict[str, str] | None = None) -> str | None:
    """The proxy httpx would take from the environment for ``url`` (None: connect directly)."""
    info = getproxies() if proxies is None else proxies
    mounts: list[tuple[_Pattern, str | None]] = []
    for scheme in ("http", "https", "all"):
        if info.get(scheme):
            address = info[scheme]
            mounts.append((_Pattern(f"{scheme}://"), address if "://" in address else f"http://{address}"))
    for host in (entry.strip() for entry in info.get("no", "").split(",")):
        if host == "*":
            return None
        if not host:
            continue
        numeric = is_ip_address(host.split("/")[0])  # an address, or a network as written (10.0.0.0/8)
        if "://" in host:
            mounts.append((_Pattern(host), None))
        elif numeric and ":" in host:
            mounts.append((_Pattern(f"all://[{host}]"), None))
        elif numeric or host.lower() == "localhost":
            mounts.append((_Pattern(f"all://{host}"), None))
        else:
            mounts.append((_Pattern(f"all://*{host}"), None))
    parts = urlsplit(url)
    scheme, host = parts.scheme, (parts.hostname or "")
    port = None if parts.port == {"http": 80, "https": 443}.get(scheme) else parts.port  # httpx drops default ports
    for pattern, chosen in sorted(mounts, key=lambda mount: mount[0].priority):
        if pattern.matches(scheme, host, port):
            return chosen
    return None


def resolve_proxy(base_url: str, proxy: str | None, *, trust_env: bool) -> str | None:
    """The proxy requests to ``base_url`` go through: ``proxy`` if given, else the environment's if trusted."""
    if proxy is None:
        proxy = environment_proxy(base_url) if trust_env else None
        if proxy is None:
            return None
    if not isinstance(proxy, str):
        raise ConfigurationError(f"proxy must be a URL string such as 'http://proxy:3128', not {type(proxy).__name__}")
    scheme = urlsplit(proxy).scheme.lower()
    if scheme not in ("http", "https") or not urlsplit(proxy).hostname:
        raise ConfigurationError(
            f"the proxy {redact_url(proxy)!r} is not an http:// or https:// proxy URL (SOCKS is not supported)"
        )
    return proxy


def ssl_context(verify: object, *, trust_env: bool) -> ssl.SSLContext:
    """The TLS context both backends use, from ``verify`` (see the module's docstring)."""
    if isinstance(verify, ssl.SSLContext):
        return verify
    if verify is True:
        if trust_env and os.environ.get("SSL_CERT_FILE"):
            return ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"])
        if trust_env and os.environ.get("SSL_CERT_DIR"):
            return ssl.create_default_context(capath=os.environ["SSL_CERT_DIR"])
        import certifi

        return ssl.create_default_context(cafile=certifi.where())
    if verify is False:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if isinstance(verify, (str, os.PathLike)):
        path = os.fspath(verify)
        try:
            if os.path.isdir(path):
                return ssl.create_default_context(capath=path)
            return ssl.create_default_context(cafile=path)
        except (OSError, ssl.SSLError) as error:
            raise ConfigurationError(
                f"verify={path!r} is not a readable CA bundle file or directory: {error}"
            ) from None
    raise ConfigurationError(
        f"verify must be True, False, a CA bundle path or an ssl.SSLContext, not {type(verify).__name__}"
    )
