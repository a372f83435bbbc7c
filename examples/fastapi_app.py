"""A FastAPI login flow on the ``Verifier``: "send me a code", "send it again", "check my code". The browser only
ever sees an opaque challenge id, never a ``pinId``.

Run it against your account (``pip install '.[examples]'`` first)::

    export INFOBIP_API_KEY=... INFOBIP_BASE_URL=https://xxxxx.api.infobip.com
    export INFOBIP_APPLICATION_ID=... INFOBIP_MESSAGE_ID=...
    export INFOBIP_VOICE_MESSAGE_ID=...   # optional: a voice template, to call when a text cannot go out
    uvicorn examples.fastapi_app:app

or against the sandbox: ``infobip-2fa sandbox --demo`` prints the first four variables to export.

What it shows:

- one client and one verifier, made in the lifespan and closed at shutdown, shared by every request;
- ``GET /login`` (the login page) gives the browser a session cookie; each code is bound to that session and to its
  purpose, so a code asked for on ``/phone/change/code`` cannot log anybody in on ``/login/verify``;
- a double-click, two tabs or a retried request send one text and answer the same challenge;
- a send that may or may not have gone out is 202 "a code may be on its way, ask again in N s", never "try again";
- the typed errors become HTTP answers: 404 "invalid code", 410 expired, 409 used, 429 with ``Retry-After``, 503
  when the store cannot be reached, 422 naming the field of a bad request;
- ``deadline=10``: whatever the network does, the endpoint answers within about 10 seconds.
"""

from __future__ import annotations

import math
import os
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from infobip_2fa_async import InfobipError, InvalidRequestError, RateLimitError, TwoFactorClient
from infobip_2fa_async.shield import Requester
from infobip_2fa_async.verification import (
    Challenge,
    ChallengeExpiredError,
    ChallengeNotFoundError,
    ChallengeUsedError,
    Channel,
    ChannelUnavailableError,
    IdempotencyKeyReusedError,
    PinNotKnownError,
    ResendLimitError,
    ResendTooSoonError,
    VerificationStoreError,
    Verifier,
)

SESSION = "session"


class CodeRequest(BaseModel):
    phone: str


class ResendRequest(BaseModel):
    challenge_id: str
    channel: Channel | None = None


class CheckRequest(BaseModel):
    challenge_id: str
    pin: str


class NoSession(Exception):
    """The request carries no session cookie: the browser did not open the login page first."""


def create_app(
    client_factory: Callable[..., TwoFactorClient] = TwoFactorClient,
    *,
    application_id: str | None = None,
    message_id: str | None = None,
    voice_message_id: str | None = None,
    clock: Callable[[], float] | None = None,
) -> FastAPI:
    """The app. ``client_factory`` makes the client at start-up (tests pass the sandbox's, and its ``clock``)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with (
            client_factory(deadline=10) as client,  # closed at shutdown
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
            app.state.verifier = verifier
            yield

    app = FastAPI(lifespan=lifespan)

    @app.exception_handler(NoSession)
    async def no_session(request: Request, error: NoSession) -> JSONResponse:
        return JSONResponse({"detail": "No session: open the login page first."}, status_code=401)

    @app.exception_handler(InfobipError)
    async def refused(request: Request, error: InfobipError) -> JSONResponse:
        return http_answer(error)

    def session_of(request: Request) -> str:
        session = request.cookies.get(SESSION)
        if not session:
            raise NoSession
        return session

    def requester_of(request: Request) -> Requester:
        """Who asks (behind a proxy: the address your trusted proxy reports). The verifier carries it to every send,
        for the abuse shield once the client takes ``requester=``."""
        return Requester(ip=request.client.host if request.client else None)

    @app.get("/login")
    async def login_page(request: Request, response: Response) -> Any:
        """The login page: here only the session cookie that binds the codes to this browser (your session
        middleware's, in a real app)."""
        if not request.cookies.get(SESSION):
            response.set_cookie(SESSION, secrets.token_urlsafe(24), httponly=True, samesite="lax")
        return {"detail": "POST your phone number to /login/code"}

    def code_routes(prefix: str, purpose: str) -> None:
        """``{prefix}/code`` and ``{prefix}/verify``, their codes bound to ``purpose`` and the session."""

        @app.post(f"{prefix}/code")
        async def send_code(body: CodeRequest, request: Request) -> Any:
            verifier: Verifier = request.app.state.verifier
            challenge = await verifier.start(
                body.phone,
                purpose=purpose,
                subject=session_of(request),  # or the signed-in user's id, for a signed-in user's purposes
                idempotency_key=request.headers.get("X-Request-Id"),  # a retried request answers the same
                requester=requester_of(request),
            )
            return challenge_answer(challenge)

        @app.post(f"{prefix}/verify")
        async def check_code(body: CheckRequest, request: Request) -> Any:
            verifier: Verifier = request.app.state.verifier
            result = await verifier.check(body.challenge_id, body.pin, purpose=purpose, subject=session_of(request))
            if result.verified:
                pass  # here your app signs the session in (or changes the user's number) with result.number
            return {"verified": result.verified, "attempts_left": result.attempts_left, "reason": result.pin_error}

    code_routes("/login", "login")
    code_routes("/phone/change", "change-phone")  # a code sent to change a number cannot log anybody in

    @app.post("/login/resend")
    async def resend_code(body: ResendRequest, request: Request) -> Any:
        verifier: Verifier = request.app.state.verifier
        session_of(request)
        challenge = await verifier.resend(body.challenge_id, channel=body.channel, requester=requester_of(request))
        return challenge_answer(challenge)

    return app


def challenge_answer(challenge: Challenge) -> JSONResponse:
    """What the browser is told of a challenge: its id and what a page shows, never a ``pinId``."""
    if challenge.uncertain:  # the send may or may not have gone out: never invite a second text at once
        wait = math.ceil(challenge.resend_in)
        return JSONResponse({"challenge_id": challenge.id, "status": "uncertain", "resend_in": challenge.resend_in,
                             "detail": f"A code may be on its way; if none arrives, ask again in {wait} s."},
                            status_code=202)  # fmt: skip
    if challenge.status == "not_sent":  # answered, but the number cannot be reached on any channel we have
        return JSONResponse({"detail": "We could not text this number."}, status_code=422)
    return JSONResponse({"challenge_id": challenge.id, "to": challenge.masked_to, "channel": challenge.channel,
                         "resend_in": challenge.resend_in, "expires_in": challenge.expires_in})  # fmt: skip


def http_answer(error: InfobipError) -> JSONResponse:
    """The typed errors as HTTP answers."""
    if isinstance(error, ChallengeNotFoundError):  # unknown, or bound to another purpose or session: said alike
        return JSONResponse({"detail": "invalid code"}, status_code=404)
    if isinstance(error, ChallengeExpiredError):
        return JSONResponse({"detail": "The code expired: ask for a new one."}, status_code=410)
    if isinstance(error, ChallengeUsedError):
        return JSONResponse({"detail": "This code was used already."}, status_code=409)
    if isinstance(error, PinNotKnownError):  # the last send's fate is unknown: no code can be checked yet
        wait = math.ceil(error.retry_after)
        return JSONResponse({"detail": f"A code may be on its way; if none arrives, ask again in {wait} s."},
                            status_code=429, headers={"Retry-After": str(wait)})  # fmt: skip
    if isinstance(error, ResendTooSoonError):
        wait = math.ceil(error.retry_after)
        return JSONResponse({"detail": f"You can ask for a new code in {wait} s."}, status_code=429,
                            headers={"Retry-After": str(wait)})  # fmt: skip
    if isinstance(error, (ResendLimitError, RateLimitError)):
        return JSONResponse({"detail": "Too many codes asked for; try later."}, status_code=429,
                            headers={"Retry-After": str(retry_after(error))})  # fmt: skip
    if isinstance(error, VerificationStoreError):  # never a silent pass: nothing is sent or checked without it
        if error.maybe_sent:  # it failed after a send: do not invite a second text at once
            detail = "A code may be on its way; if none arrives, ask again in a minute."
        else:
            detail = "We cannot send or check codes right now; try again shortly."
        return JSONResponse({"detail": detail}, status_code=503)
    if isinstance(error, InvalidRequestError):  # a bad phone number, channel, ...: the field named
        return JSONResponse({"field": error.argument, "problem": error.problem}, status_code=422)
    if isinstance(error, ChannelUnavailableError):
        return JSONResponse({"field": "channel", "problem": "is not offered"}, status_code=422)
    if isinstance(error, IdempotencyKeyReusedError):
        return JSONResponse({"field": "X-Request-Id", "problem": "was used for another request"}, status_code=422)
    # a send that may have gone out is not raised (the challenge comes back uncertain): this one did not go out,
    # or a code could not be checked
    return JSONResponse({"detail": "The service could not be reached; please try again."}, status_code=503)


def retry_after(error: ResendLimitError | RateLimitError) -> int:
    """Seconds to wait: until the challenge expires (then a new one may start), or what the service said."""
    if isinstance(error, ResendLimitError):
        return math.ceil(error.expires_in)
    return math.ceil(error.retry_after) if error.retry_after is not None else 30


app = create_app()
