"""The same login flow on aiohttp.web, holding one TwoFactorClient in the application's context.

Run it (``pip install '.[examples]'``; the same four variables as the FastAPI example)::

    python -m aiohttp.web -H 127.0.0.1 -P 8000 examples.aiohttp_app:make_app

``cleanup_ctx`` is aiohttp's way of holding a resource for the application's life: the code before ``yield`` runs
at start-up, the code after it at shutdown, so the client and its connections are closed cleanly.
"""

from __future__ import annotations

import math
import os
from collections.abc import AsyncIterator, Callable
from typing import Any

from aiohttp import web

from infobip_2fa_async import InfobipError, InvalidRequestError, RateLimitError, TwoFactorClient

TFA = web.AppKey("tfa", TwoFactorClient)
IDS = web.AppKey("ids", dict)


def make_app(
    argv: Any = None,
    client_factory: Callable[..., TwoFactorClient] = TwoFactorClient,
    *,
    application_id: str | None = None,
    message_id: str | None = None,
) -> web.Application:
    """The app (``argv`` is what ``python -m aiohttp.web`` passes); tests give the sandbox's client factory."""

    async def client_context(app: web.Application) -> AsyncIterator[None]:
        async with client_factory(deadline=10) as client:
            app[TFA] = client
            app[IDS] = {"application_id": application_id or os.environ["INFOBIP_APPLICATION_ID"],
                        "message_id": message_id or os.environ["INFOBIP_MESSAGE_ID"]}  # fmt: skip
            yield

    app = web.Application(middlewares=[typed_errors])
    app.cleanup_ctx.append(client_context)
    app.add_routes([web.post("/login/code", send_code), web.post("/login/verify", check_code)])
    return app


@web.middleware
async def typed_errors(request: web.Request, handler: Callable[[web.Request], Any]) -> web.StreamResponse:
    """The typed errors as HTTP answers, as in the FastAPI example."""
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except InvalidRequestError as error:
        return web.json_response({"field": error.argument, "problem": error.problem}, status=422)
    except RateLimitError as error:
        wait = math.ceil(error.retry_after) if error.retry_after is not None else 30
        return web.json_response({"detail": "Too many codes asked for; try later."}, status=429,
                                 headers={"Retry-After": str(wait)})  # fmt: skip
    except InfobipError as error:
        if error.maybe_sent:
            return web.json_response({"status": "unknown", "detail": "A code may be on its way: check your phone "
                                      "before asking for another."}, status=202)  # fmt: skip
        return web.json_response({"status": "not_sent", "detail": "No code was sent; please try again."}, status=503)


async def send_code(request: web.Request) -> web.Response:
    body = await request.json()
    client, ids = request.app[TFA], request.app[IDS]
    sent = await client.send_pin(**ids, to=str(body.get("phone", "")))
    if not sent.message_sent:
        return web.json_response({"detail": "We cannot send a text to this number."}, status=422)
    return web.json_response({"pin_id": sent.pin_id})


async def check_code(request: web.Request) -> web.Response:
    body = await request.json()
    result = await request.app[TFA].verify_pin(str(body.get("pin_id", "")), str(body.get("pin", "")))
    reason = None if result.pin_error is None else str(result.pin_error)
    return web.json_response({"verified": result.verified, "attempts_remaining": result.attempts_remaining,
                              "reason": reason})  # fmt: skip
