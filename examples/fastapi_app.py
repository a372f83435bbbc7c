"""A FastAPI login flow: "send me a code" and "check my code", with one TwoFactorClient for the app's life.

Run it against your account (``pip install '.[examples]'`` first)::

    export INFOBIP_API_KEY=... INFOBIP_BASE_URL=https://xxxxx.api.infobip.com
    export INFOBIP_APPLICATION_ID=... INFOBIP_MESSAGE_ID=...
    uvicorn examples.fastapi_app:app

or against the sandbox: ``infobip-2fa sandbox --demo`` prints the four variables to export.

What it shows:

- the client is made in the lifespan and closed at shutdown: one connection pool, shared by every request;
- the typed errors become HTTP answers: a bad phone number is 422 naming the field; a rate limit is 429 with
  ``Retry-After``; a failure after which the code may already be on its way (``maybe_sent``) is 202 "check your
  phone", never "try again", so that nobody is told to ask for a second text they may not need;
- ``deadline=10``: whatever the network does, the endpoint answers within about 10 seconds.
"""

from __future__ import annotations

import math
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from infobip_2fa_async import InfobipError, InvalidRequestError, RateLimitError, TwoFactorClient


class CodeRequest(BaseModel):
    phone: str


class CheckRequest(BaseModel):
    pin_id: str
    pin: str


def create_app(
    client_factory: Callable[..., TwoFactorClient] = TwoFactorClient,
    *,
    application_id: str | None = None,
    message_id: str | None = None,
) -> FastAPI:
    """The app. ``client_factory`` makes the client at start-up (tests pass the sandbox's)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with client_factory(deadline=10) as client:  # closed at shutdown
            app.state.tfa = client
            app.state.application_id = application_id or os.environ["INFOBIP_APPLICATION_ID"]
            app.state.message_id = message_id or os.environ["INFOBIP_MESSAGE_ID"]
            yield

    app = FastAPI(lifespan=lifespan)

    @app.exception_handler(InvalidRequestError)
    async def invalid(request: Request, error: InvalidRequestError) -> JSONResponse:
        return JSONResponse({"field": error.argument, "problem": error.problem}, status_code=422)

    @app.exception_handler(RateLimitError)
    async def limited(request: Request, error: RateLimitError) -> JSONResponse:
        wait = math.ceil(error.retry_after) if error.retry_after is not None else 30
        return JSONResponse({"detail": "Too many codes asked for; try later."}, status_code=429,
                            headers={"Retry-After": str(wait)})  # fmt: skip

    @app.exception_handler(InfobipError)
    async def failed(request: Request, error: InfobipError) -> JSONResponse:
        if error.maybe_sent:  # the code may be on its way: do not invite a second text
            return JSONResponse({"status": "unknown", "detail": "A code may be on its way: check your phone before "
                                 "asking for another."}, status_code=202)  # fmt: skip
        return JSONResponse({"status": "not_sent", "detail": "No code was sent; please try again."}, status_code=503)

    @app.post("/login/code")
    async def send_code(body: CodeRequest, request: Request) -> Any:
        state = request.app.state
        sent = await state.tfa.send_pin(application_id=state.application_id, message_id=state.message_id,
                                        to=body.phone)  # fmt: skip
        if not sent.message_sent:  # answered, but the number cannot be texted (number lookup)
            return JSONResponse({"detail": "We cannot send a text to this number."}, status_code=422)
        return {"pin_id": sent.pin_id}

    @app.post("/login/verify")
    async def check_code(body: CheckRequest, request: Request) -> Any:
        result = await request.app.state.tfa.verify_pin(body.pin_id, body.pin)
        reason = None if result.pin_error is None else str(result.pin_error)
        return {"verified": result.verified, "attempts_remaining": result.attempts_remaining, "reason": reason}

    return app


app = create_app()
