"""The same login flow on aiohttp.web, holding one TwoFactorClient and one ``Verifier`` in the application's context.
The browser only ever sees an opaque challenge id, never a ``pinId``.

Run it (``pip install '.[examples]'``; the same variables as the FastAPI example)::

    python -m aiohttp.web -H 127.0.0.1 -P 8000 examples.aiohttp_app:make_app

``cleanup_ctx`` is aiohttp's way of holding a resource for the application's life: the code before ``yield`` runs
at start-up, the code after it at shutdown, so the verifier, the client and its connections are closed cleanly.
"""

from __future__ import annotations

import math
import os
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiohttp import web

from infobip_2fa_async import InfobipError, InvalidRequestError, RateLimitError, TwoFactorClient
from infobip_2fa_async.shield import Requester
from infobip_2fa_async.verification import (
    Challenge,
    ChallengeExpiredError,
    ChallengeNotFoundError,
    ChallengeUsedError,
    ChannelUnavailableError,
    IdempotencyKeyReusedError,
    PinNotKnownError,
    ResendLimitError,
    ResendTooSoonError,
    VerificationStoreError,
    Verifier,
)

VERIFIER = web.AppKey("verifier", Verifier)
SESSION = "session"


class NoSession(Exception):
    """The request carries no session cookie: the browser did not open the login page first."""


def make_app(
    argv: Any = None,
    client_factory: Callable[..., TwoFactorClient] = TwoFactorClient,
    *,
    application_id: str | None = None,
    message_id: str | None = None,
    voice_message_id: str | None = None,
    clock: Callable[[], float] | None = None,
) -> web.Application:
    """The app (``argv`` is what ``python -m aiohttp.web`` passes); tests give the sandbox's client factory and
    clock."""

    async def verifier_context(app: web.Application) -> AsyncIterator[None]:
        async with (
            client_factory(deadline=10) as client,
            # Challenges live in this process's memory. For several replicas, keep them in Redis, with the same
            # secret in every replica:
            #   store=RedisVerificationStore.from_url(os.environ["REDIS_URL"], name="login"),
            #   secret=os.environ["VERIFIER_SECRET"],
            Verifier(
                client,
                application_id=application_id or os.environ["INFOBIP_APPLICATION_ID"],
                message_id=message_id or os.environ["INFOBIP_MESSAGE_ID"],
                voice_message_id=voice_message_id or os.environ.get("INFOBIP_VOICE_MESSAGE_ID"),
                clock=clock,
            ) as verifier,
        ):
            app[VERIFIER] = verifier
            yield

    app = web.Application(middlewares=[typed_errors])
    app.cleanup_ctx.append(verifier_context)
    app.add_routes([
        web.get("/login", login_page),
        web.post("/login/code", code_handler("login")),
        web.post("/login/verify", check_handler("login")),
        web.post("/login/resend", resend_code),
        # a code sent to change a number cannot log anybody in: its challenge is bound to "change-phone"
        web.post("/phone/change/code", code_handler("change-phone")),
        web.post("/phone/change/verify", check_handler("change-phone")),
    ])  # fmt: skip
    return app


def session_of(request: web.Request) -> str:
    session = request.cookies.get(SESSION)
    if not session:
        raise NoSession
    return session


def requester_of(request: web.Request) -> Requester:
    """Who asks (behind a proxy: the address your trusted proxy reports). The verifier carries it to every send,
    for the abuse shield once the client takes ``requester=``."""
    return Requester(ip=request.remote)


async def body_of(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise InvalidRequestError("body", "must be a JSON object")
    return body


async def login_page(request: web.Request) -> web.Response:
    """The login page: here only the session cookie that binds the codes to this browser (your session
    middleware's, in a real app)."""
    response = web.json_response({"detail": "POST your phone number to /login/code"})
    if not request.cookies.get(SESSION):
        response.set_cookie(SESSION, secrets.token_urlsafe(24), httponly=True, samesite="Lax")
    return response


def code_handler(purpose: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def send_code(request: web.Request) -> web.Response:
        body = await body_of(request)
        challenge = await request.app[VERIFIER].start(
            str(body.get("phone", "")),
            purpose=purpose,
            subject=session_of(request),  # or the signed-in user's id, for a signed-in user's purposes
            idempotency_key=request.headers.get("X-Request-Id"),  # a retried request answers the same
            requester=requester_of(request),
        )
        return challenge_answer(challenge)

    return send_code


def check_handler(purpose: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def check_code(request: web.Request) -> web.Response:
        body = await body_of(request)
        result = await request.app[VERIFIER].check(
            str(body.get("challenge_id", "")), str(body.get("pin", "")), purpose=purpose, subject=session_of(request)
        )
        if result.verified:
            pass  # here your app signs the session in (or changes the user's number) with result.number
        return web.json_response(
            {"verified": result.verified, "attempts_left": result.attempts_left, "reason": result.pin_error}
        )

    return check_code


async def resend_code(request: web.Request) -> web.Response:
    body = await body_of(request)
    session_of(request)
    challenge = await request.app[VERIFIER].resend(
        str(body.get("challenge_id", "")), channel=body.get("channel"), requester=requester_of(request)
    )
    return challenge_answer(challenge)


def challenge_answer(challenge: Challenge) -> web.Response:
    """What the browser is told of a challenge: its id and what a page shows, never a ``pinId``."""
    if challenge.uncertain:  # the send may or may not have gone out: never invite a second text at once
        wait = math.ceil(challenge.resend_in)
        return web.json_response({"challenge_id": challenge.id, "status": "uncertain", "resend_in": challenge.resend_in,
                                  "detail": f"A code may be on its way; if none arrives, ask again in {wait} s."},
                                 status=202)  # fmt: skip
    if challenge.status == "not_sent":  # answered, but the number cannot be reached on any channel we have
        return web.json_response({"detail": "We could not text this number."}, status=422)
    return web.json_response({"challenge_id": challenge.id, "to": challenge.masked_to, "channel": challenge.channel,
                              "resend_in": challenge.resend_in, "expires_in": challenge.expires_in})  # fmt: skip


@web.middleware
async def typed_errors(request: web.Request, handler: Callable[[web.Request], Any]) -> web.StreamResponse:
    """The typed errors as HTTP answers, as in the FastAPI example."""
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except NoSession:
        return web.json_response({"detail": "No session: open the login page first."}, status=401)
    except ChallengeNotFoundError:  # unknown, or bound to another purpose or session: said alike
        return web.json_response({"detail": "invalid code"}, status=404)
    except ChallengeExpiredError:
        return web.json_response({"detail": "The code expired: ask for a new one."}, status=410)
    except ChallengeUsedError:
        return web.json_response({"detail": "This code was used already."}, status=409)
    except PinNotKnownError as error:  # the last send's fate is unknown: no code can be checked yet
        wait = math.ceil(error.retry_after)
        return web.json_response({"detail": f"A code may be on its way; if none arrives, ask again in {wait} s."},
                                 status=429, headers={"Retry-After": str(wait)})  # fmt: skip
    except ResendTooSoonError as error:
        wait = math.ceil(error.retry_after)
        return web.json_response({"detail": f"You can ask for a new code in {wait} s."}, status=429,
                                 headers={"Retry-After": str(wait)})  # fmt: skip
    except ResendLimitError as error:  # a new challenge may start once this one expires
        return web.json_response({"detail": "Too many codes asked for; try later."}, status=429,
                                 headers={"Retry-After": str(math.ceil(error.expires_in))})  # fmt: skip
    except RateLimitError as error:
        wait = math.ceil(error.retry_after) if error.retry_after is not None else 30
        return web.json_response({"detail": "Too many codes asked for; try later."}, status=429,
                                 headers={"Retry-After": str(wait)})  # fmt: skip
    except VerificationStoreError as error:  # never a silent pass: nothing is sent or checked without it
        if error.maybe_sent:  # it failed after a send: do not invite a second text at once
            detail = "A code may be on its way; if none arrives, ask again in a minute."
        else:
            detail = "We cannot send or check codes right now; try again shortly."
        return web.json_response({"detail": detail}, status=503)
    except InvalidRequestError as error:  # a bad phone number, channel, ...: the field named
        return web.json_response({"field": error.argument, "problem": error.problem}, status=422)
    except ChannelUnavailableError:
        return web.json_response({"field": "channel", "problem": "is not offered"}, status=422)
    except IdempotencyKeyReusedError:
        return web.json_response({"field": "X-Request-Id", "problem": "was used for another request"}, status=422)
    except InfobipError:
        # a send that may have gone out is not raised (the challenge comes back uncertain): this one did not go
        # out, or a code could not be checked
        return web.json_response({"detail": "The service could not be reached; please try again."}, status=503)
