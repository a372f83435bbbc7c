"""How a client proves who it is: the four schemes of Infobip's API, passed as ``TwoFactorClient(auth=...)``.

```python
from infobip_2fa_async import TwoFactorClient
from infobip_2fa_async.auth import (
    ApiKey, BasicAuth, IbssoToken, OAuth2ClientCredentials
)

# Authorization: App ... (the default, from $INFOBIP_API_KEY)
TwoFactorClient(auth=ApiKey("..."))
# Authorization: Basic base64(user:password)
TwoFactorClient(auth=BasicAuth("user", "password"))
# Authorization: IBSSO ... (a session made elsewhere)
TwoFactorClient(auth=IbssoToken("..."))
# a bearer token from /auth/1/oauth2/token
TwoFactorClient(auth=OAuth2ClientCredentials("id", "secret"))
```

With no ``api_key=`` and no ``auth=``, a client reads the environment (``auth_from_env``): ``INFOBIP_API_KEY``,
else ``INFOBIP_USERNAME`` and ``INFOBIP_PASSWORD``, else ``INFOBIP_IBSSO_TOKEN``, else ``INFOBIP_CLIENT_ID`` and
``INFOBIP_CLIENT_SECRET``: the first found. No repr, log line or error message shows a key, a password, a secret or
a token.
"""

from __future__ import annotations

import base64
import os
import re

from ._config import API_KEY_ENV
from ._exceptions import ConfigurationError

__all__ = [
    "API_KEY_ENV",
    "CLIENT_ID_ENV",
    "CLIENT_SECRET_ENV",
    "IBSSO_TOKEN_ENV",
    "PASSWORD_ENV",
    "USERNAME_ENV",
    "ApiKey",
    "Auth",
    "BasicAuth",
    "IbssoToken",
    "OAuth2ClientCredentials",
    "auth_from_env",
]

USERNAME_ENV = "INFOBIP_USERNAME"
PASSWORD_ENV = "INFOBIP_PASSWORD"  # noqa: S105  (the variable's name, not a password)
IBSSO_TOKEN_ENV = "INFOBIP_IBSSO_TOKEN"  # noqa: S105
CLIENT_ID_ENV = "INFOBIP_CLIENT_ID"
CLIENT_SECRET_ENV = "INFOBIP_CLIENT_SECRET"  # noqa: S105

#: Every variable that may hold a secret, for whoever must blank them out of a message.
SECRET_ENVS = (API_KEY_ENV, PASSWORD_ENV, IBSSO_TOKEN_ENV, CLIENT_SECRET_ENV)

_ASCII_SPACE = " \t\r\n"
_NO_KEY = f"no Infobip API key: pass api_key=... or set the environment variable {API_KEY_ENV}"
# What may travel in a header: printable ASCII, no spaces.
_TOKEN = re.compile(r"[\x21-\x7e]+")
# What Basic credentials may hold before they are encoded: any text but control characters (and no colon in a user).
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _credential(value: object, what: str, env: str | None = None) -> str:
    """``value`` as a credential that can go in a header, else a ConfigurationError that never shows it."""
    hint = f" or set {env}" if env else ""
    if not isinstance(value, str):
        raise ConfigurationError(f"the {what} must be a string, not {type(value).__name__}")
    value = value.strip(_ASCII_SPACE)  # a newline pasted along is harmless; any other oddity is refused below
    if not value:
        raise ConfigurationError(f"the {what} is empty: pass it{hint}")
    if not _TOKEN.fullmatch(value):
        raise ConfigurationError(
            f"the {what} holds a character that cannot go in an HTTP header (a space, a control character or a "
            "non-ASCII character, often pasted along with it): it is printable ASCII only"
        )
    return value


class Auth:
    """Base class of the schemes. ``header`` is the ``Authorization`` value of a scheme that has a fixed one (None
    for OAuth2, whose bearer token the client fetches and renews)."""

    __slots__ = ()

    @property
    def header(self) -> str | None:
        """The ``Authorization`` header's value, or None when it changes over time."""
        return None


class ApiKey(Auth):
    """An API key: ``Authorization: App <key>`` (Infobip's recommended scheme, and the default).

    Raises:
        ConfigurationError: An empty key, or one with a character that cannot go in a header.
    """

    __slots__ = ("_header",)

    def __init__(self, key: str) -> None:
        if isinstance(key, str) and not key.strip(_ASCII_SPACE):
            raise ConfigurationError(_NO_KEY)
        self._header = "App " + _credential(key, "API key", API_KEY_ENV)

    @property
    def header(self) -> str:
        return self._header

    def __repr__(self) -> str:
        return "ApiKey(***)"


class BasicAuth(Auth):
    """HTTP Basic with the account's username and password: ``Authorization: Basic base64(username:password)``.

    Raises:
        ConfigurationError: An empty username or password, a colon in the username, or a control character.
    """

    __slots__ = ("_header", "username")

    def __init__(self, username: str, password: str) -> None:
        for value, what in ((username, "username"), (password, "password")):
            if not isinstance(value, str):
                raise ConfigurationError(f"the {what} must be a string, not {type(value).__name__}")
            if not value or _CONTROL.search(value):
                raise ConfigurationError(f"the {what} is empty or holds a control character (a pasted line break?)")
        if ":" in username:
            raise ConfigurationError("the username must not hold a colon: Basic credentials are username:password")
        self.username = username
        self._header = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode("ascii")

    @property
    def header(self) -> str:
        return self._header

    def __repr__(self) -> str:
        return f"BasicAuth(username={self.username!r}, password=***)"


class IbssoToken(Auth):
    """An IBSSO session token, made by Infobip's create-session call: ``Authorization: IBSSO <token>``. The session
    ends after a spell of inactivity; then calls fail with ``AuthenticationError`` and a new token is needed.

    Raises:
        ConfigurationError: An empty token, or one with a character that cannot go in a header.
    """

    __slots__ = ("_header",)

    def __init__(self, token: str) -> None:
        self._header = "IBSSO " + _credential(token, "IBSSO token", IBSSO_TOKEN_ENV)

    @property
    def header(self) -> str:
        return self._header

    def __repr__(self) -> str:
        return "IbssoToken(***)"


class OAuth2ClientCredentials(Auth):
    """OAuth2's client credentials grant: the client fetches a bearer token from ``POST /auth/1/oauth2/token`` when
    first needed and sends ``Authorization: Bearer <token>``.

    Concurrent calls share one fetch. The token is renewed ``refresh_before`` seconds before it expires (or halfway
    through its life, if that is sooner), and once more when the API answers 401 (a token revoked early); the request
    refused with that 401 is sent again with the new token (a 401 is a refusal: nothing was done). A failed fetch
    fails the call with ``AuthenticationError`` (the credentials were refused) or ``RequestNotSentError`` (reason
    ``token_error``: no token, so the call was never sent; retried as any unsent request is).

    Args:
        client_id: The client id (your Infobip username).
        client_secret: The client secret (your Infobip password).
        refresh_before: Seconds before expiry at which the token is renewed.

    Raises:
        ConfigurationError: An empty id or secret, one that cannot be sent, or a ``refresh_before`` below 0.
    """

    __slots__ = ("client_id", "client_secret", "refresh_before")

    def __init__(self, client_id: str, client_secret: str, *, refresh_before: float = 60.0) -> None:
        self.client_id = _credential(client_id, "OAuth2 client id", CLIENT_ID_ENV)
        self.client_secret = _credential(client_secret, "OAuth2 client secret", CLIENT_SECRET_ENV)
        if (
            isinstance(refresh_before, bool)
            or not isinstance(refresh_before, (int, float))
            or not (0 <= refresh_before < float("inf"))
        ):
            raise ConfigurationError(f"refresh_before must be a number of seconds >= 0, not {refresh_before!r}")
        self.refresh_before = float(refresh_before)

    def __repr__(self) -> str:
        return f"OAuth2ClientCredentials(client_id={self.client_id!r}, client_secret=***)"


def auth_from_env() -> Auth:
    """The scheme the environment gives: ``INFOBIP_API_KEY``, else ``INFOBIP_USERNAME``/``INFOBIP_PASSWORD``, else
    ``INFOBIP_IBSSO_TOKEN``, else ``INFOBIP_CLIENT_ID``/``INFOBIP_CLIENT_SECRET`` (the first found; a variable set
    to nothing counts as unset).

    Raises:
        ConfigurationError: None of them is set, only half of a pair is, or a value cannot be sent.
    """
    env = {name: value for name in (*SECRET_ENVS, USERNAME_ENV, CLIENT_ID_ENV) if (value := os.environ.get(name))}
    if API_KEY_ENV in env and env[API_KEY_ENV].strip(_ASCII_SPACE):
        return ApiKey(env[API_KEY_ENV])
    for first, second in ((USERNAME_ENV, PASSWORD_ENV), (CLIENT_ID_ENV, CLIENT_SECRET_ENV)):
        if (first in env) != (second in env):
            given, missing = (first, second) if first in env else (second, first)
            raise ConfigurationError(f"{given} is set but {missing} is not: set both, or neither")
    if USERNAME_ENV in env:
        return BasicAuth(env[USERNAME_ENV], env[PASSWORD_ENV])
    if IBSSO_TOKEN_ENV in env:
        return IbssoToken(env[IBSSO_TOKEN_ENV])
    if CLIENT_ID_ENV in env:
        return OAuth2ClientCredentials(env[CLIENT_ID_ENV], env[CLIENT_SECRET_ENV])
    raise ConfigurationError(
        f"{_NO_KEY} (or pass auth=..., or set {USERNAME_ENV}/{PASSWORD_ENV}, {IBSSO_TOKEN_ENV}, "
        f"or {CLIENT_ID_ENV}/{CLIENT_SECRET_ENV})"
    )


def resolve_auth(api_key: str | None, auth: Auth | None) -> Auth:
    """The client's scheme: ``auth``, else ``api_key`` as an ``ApiKey``, else the environment's."""
    if auth is not None:
        if api_key is not None:
            raise ConfigurationError("pass api_key= or auth=, not both (auth=ApiKey(...) is the same as api_key=...)")
        if not isinstance(auth, Auth):
            raise ConfigurationError(
                f"auth must be ApiKey, BasicAuth, IbssoToken or OAuth2ClientCredentials, not {type(auth).__name__}"
            )
        return auth
    if api_key is not None:
        return ApiKey(api_key)
    return auth_from_env()
