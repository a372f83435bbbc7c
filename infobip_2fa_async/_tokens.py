"""OAuth2 client credentials at work: one bearer token per client, fetched when first needed, shared by every
concurrent call, renewed before it expires and once more when the API answers 401.

A client with a fixed ``Authorization`` (API key, Basic, IBSSO) has no ``Tokens``: its header is one of the
backend's own, and nothing here runs. With one, each attempt sends through ``Tokens.send``, which adds the bearer
header to that one request.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Callable
from urllib.parse import urlencode

from ._backends import Backend, NoAnswer, RawResponse, Timeouts
from ._exceptions import AuthenticationError, PermissionDeniedError
from ._protocol import error_from_response
from .auth import OAuth2ClientCredentials

__all__ = ["TOKEN_PATH", "Tokens"]

#: Where Infobip issues OAuth2 tokens (the spec's ``tokenUrl``, on the account's base URL).
TOKEN_PATH = "/auth/1/oauth2/token"  # noqa: S105  (a path, not a token)

_FORM = {"Content-Type": "application/x-www-form-urlencoded"}
_PRINTABLE = frozenset(range(0x21, 0x7F))


class Tokens:
    """The bearer token of one client (and of every client ``with_options`` made from it)."""

    def __init__(self, credentials: OAuth2ClientCredentials, base_url: str, clock: Callable[[], float]) -> None:
        self._url = base_url + TOKEN_PATH
        self._form = urlencode({
            "client_id": credentials.client_id,
            "client_secret": credentials.client_secret,
            "grant_type": "client_credentials",
        }).encode()  # fmt: skip
        self._refresh_before = credentials.refresh_before
        self._clock = clock
        self._headers: dict[str, str] | None = None  # {"Authorization": "Bearer ..."} while the token is good
        self._renew_at = 0.0
        self._fetching: asyncio.Future[dict[str, str]] | None = None

    def __repr__(self) -> str:
        return f"<Tokens: {'a token' if self._headers is not None else 'no token'}>"

    async def send(
        self, backend: Backend, method: str, url: str, body: bytes | None, timeouts: Timeouts
    ) -> RawResponse:
        """Send one request with the bearer token; on a 401, renew the token (unless another call already did) and
        send it once more."""
        headers = await self._current(backend, timeouts)
        response = await backend.send(method, url, body, timeouts, headers)
        if response.status != 401:
            return response
        if self._headers is headers:  # the token this request carried was refused: nobody has renewed it yet
            self._headers = None
        return await backend.send(method, url, body, timeouts, await self._current(backend, timeouts))

    async def _current(self, backend: Backend, timeouts: Timeouts) -> dict[str, str]:
        headers = self._headers
        if headers is not None and self._clock() < self._renew_at:
            return headers
        fetching = self._fetching
        if fetching is None:
            # A task of its own: a caller cancelled while waiting does not cancel the fetch the others wait for.
            fetching = self._fetching = asyncio.ensure_future(self._fetch(backend, timeouts))
            fetching.add_done_callback(self._fetched)
        return await asyncio.shield(fetching)

    def _fetched(self, fetching: asyncio.Future[dict[str, str]]) -> None:
        self._fetching = None
        if not fetching.cancelled():
            fetching.exception()  # read, so that a failure nobody awaited is not reported as "never retrieved"

    async def _fetch(self, backend: Backend, timeouts: Timeouts) -> dict[str, str]:
        """Ask for a token. The credentials refused: AuthenticationError (or PermissionDeniedError). Anything else
        that goes wrong: ``NoAnswer`` as never sent, since the request that needed the token never went out."""
        started = self._clock()
        try:
            response = await backend.send("POST", self._url, self._form, timeouts, _FORM)
        except NoAnswer as failure:
            raise _no_token(f"the token request failed ({failure.reason})") from failure
        if response.status != 200:
            error = error_from_response(
                response.status, response.headers, response.content, method="POST", path=TOKEN_PATH, now=0.0
            )
            if isinstance(error, (AuthenticationError, PermissionDeniedError)):
                raise error
            raise _no_token(f"the token endpoint answered HTTP {response.status}") from error
        token, lifetime = _read_token(response)
        margin = min(self._refresh_before, lifetime / 2)
        self._renew_at = started + lifetime - margin
        self._headers = {"Authorization": "Bearer " + token}
        return self._headers


def _no_token(why: str) -> NoAnswer:
    return NoAnswer(True, "token_error", f"no OAuth2 token: {why}")


def _read_token(response: RawResponse) -> tuple[str, float]:
    """The token and its lifetime in seconds from a 200 answer, or ``NoAnswer`` saying what was wrong with it (never
    the token itself)."""
    try:
        data = json.loads(response.content) if response.problem is None else None
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise _no_token("the token endpoint's answer is not a JSON object")
    token, lifetime = data.get("access_token"), data.get("expires_in")
    if not isinstance(token, str) or not token or not all(ord(ch) in _PRINTABLE for ch in token):
        raise _no_token("the token endpoint's answer has no usable access_token")
    if isinstance(lifetime, str) and lifetime.isdigit():  # some servers send it as a string
        lifetime = int(lifetime)
    if isinstance(lifetime, bool) or not isinstance(lifetime, (int, float)) or not (0 < lifetime < math.inf):
        raise _no_token("the token endpoint's answer has no usable expires_in")
    return token, float(lifetime)
