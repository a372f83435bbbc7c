"""Who the sandbox lets in: the four schemes of Infobip's API, checked as the service would, and the two calls that
issue tokens (OAuth2's ``POST /auth/1/oauth2/token`` and the IBSSO ``POST /auth/1/session``).

- ``App <key>``: a key of ``api_keys``;
- ``Basic base64(username:password)``: a pair of ``logins``;
- ``IBSSO <token>``: a session the sandbox made (from a login) and that has not expired;
- ``Bearer <token>``: an OAuth2 token the sandbox issued (client id and secret: a login) that has not expired.

By default the logins are the username ``sandbox`` with any accepted key as its password, so a sandbox served off
loopback with a key of your own lets nobody in without that key. Tokens are random, held in memory, and expire on the
sandbox's clock (a ``ManualClock`` expires them in a test without waiting).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from ._errors import ApiFailure

__all__ = ["SANDBOX_USERNAME", "SESSION_PATH", "TOKEN_PATH", "Credentials"]

SANDBOX_USERNAME = "sandbox"
TOKEN_PATH = "/auth/1/oauth2/token"  # noqa: S105  (a path)
SESSION_PATH = "/auth/1/session"


class Credentials:
    """The keys, logins and live tokens of one sandbox."""

    def __init__(
        self,
        api_keys: Iterable[str],
        logins: Iterable[tuple[str, str]] | None,
        clock: Callable[[], float],
        token_lifetime: float,
    ) -> None:
        self.api_keys = frozenset(api_keys)
        self.logins = frozenset(logins if logins is not None else ((SANDBOX_USERNAME, key) for key in self.api_keys))
        self.clock = clock
        self.token_lifetime = token_lifetime
        self._bearer: dict[str, float] = {}  # token -> when it expires
        self._sessions: dict[str, float] = {}

    def authorized(self, header: str) -> bool:
        """Whether an ``Authorization`` header lets its request in (the scheme is case-insensitive, RFC 9110)."""
        scheme, _, value = header.strip().partition(" ")
        scheme, value = scheme.lower(), value.strip()
        if scheme == "app":
            return value in self.api_keys
        if scheme == "basic":
            return self._login(*_basic(value))
        if scheme == "bearer":
            return self._live(self._bearer, value)
        if scheme == "ibsso":
            return self._live(self._sessions, value)
        return False

    def issue_token(self, content_type: str, body: bytes) -> tuple[int, dict[str, Any]]:
        """``POST /auth/1/oauth2/token`` (a form: ``client_id``, ``client_secret``, ``grant_type=client_credentials``):
        a bearer token and its lifetime, 400 for another grant, 401 for unknown credentials."""
        if "x-www-form-urlencoded" not in content_type.lower():
            raise ApiFailure(400, "BAD_REQUEST", "Send the token request as application/x-www-form-urlencoded")
        form = dict(parse_qsl(body.decode("latin-1"), keep_blank_values=True))
        if form.get("grant_type") != "client_credentials":
            raise ApiFailure(400, "BAD_REQUEST", "grant_type must be client_credentials")
        if not self._login(form.get("client_id", ""), form.get("client_secret", "")):
            raise ApiFailure(401, "UNAUTHORIZED", "Invalid login details")
        token = self._issue(self._bearer)
        return 200, {"access_token": token, "expires_in": int(self.token_lifetime), "token_type": "Bearer"}

    def create_session(self, data: object) -> tuple[int, dict[str, Any]]:
        """``POST /auth/1/session`` (JSON ``{"username": ..., "password": ...}``): an IBSSO token."""
        fields: Mapping[str, Any] = data if isinstance(data, dict) else {}
        username, password = fields.get("username"), fields.get("password")
        if not isinstance(username, str) or not isinstance(password, str):
            raise ApiFailure(400, "BAD_REQUEST", 'Send {"username": ..., "password": ...}')
        if not self._login(username, password):
            raise ApiFailure(401, "UNAUTHORIZED", "Invalid login details")
        return 200, {"token": self._issue(self._sessions)}

    def revoke_all(self) -> None:
        """End every bearer token and session at once (a test of what a client does with a revoked token)."""
        self._bearer.clear()
        self._sessions.clear()

    def _login(self, username: str, password: str) -> bool:
        given = f"{username}\n{password}".encode()
        return any(hmac.compare_digest(given, f"{user}\n{pw}".encode()) for user, pw in self.logins)

    def _issue(self, tokens: dict[str, float]) -> str:
        now = self.clock()
        for token in [token for token, expires in tokens.items() if expires <= now]:  # forget the expired ones
            del tokens[token]
        token = secrets.token_urlsafe(24)
        tokens[token] = now + self.token_lifetime
        return token

    def _live(self, tokens: dict[str, float], token: str) -> bool:
        expires = tokens.get(token)
        return expires is not None and self.clock() < expires


def _basic(value: str) -> tuple[str, str]:
    """``username, password`` from Basic credentials; two empty strings when they are not Base64 of ``user:pass``."""
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return "", ""
    username, colon, password = decoded.partition(":")
    return (username, password) if colon and username else ("", "")
