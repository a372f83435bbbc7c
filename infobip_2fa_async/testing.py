"""A pytest plugin for your own tests: the ``tfa_sandbox`` and ``tfa_client`` fixtures.

Installed with the package (entry point ``pytest11``), so the fixtures are there in any project that
has infobip-2fa-async installed (async tests need pytest-asyncio, e.g. with ``asyncio_mode = "auto"``):

    async def test_login_sends_a_code(tfa_sandbox, tfa_client):
        app = await tfa_client.applications.create(name="Login")
        ...
        assert tfa_sandbox.outbox[-1].to == "41793026727"
"""

from __future__ import annotations

import pytest

from ._client import TwoFactorClient
from .sandbox import ManualClock, Sandbox

__all__ = ["tfa_client", "tfa_clock", "tfa_sandbox"]


@pytest.fixture
def tfa_clock() -> ManualClock:
    """A clock the sandbox reads: ``tfa_clock.advance(600)`` makes ten minutes pass at once."""
    return ManualClock()


@pytest.fixture
def tfa_sandbox(tfa_clock: ManualClock) -> Sandbox:
    """A fresh in-memory 2FA sandbox for one test, on the test's manual clock."""
    return Sandbox(clock=tfa_clock, sleep=tfa_clock.sleep)


@pytest.fixture
def tfa_client(tfa_sandbox: Sandbox, tfa_clock: ManualClock) -> TwoFactorClient:
    """A TwoFactorClient bound to ``tfa_sandbox``; its retry waits move the manual clock instead of sleeping.

    It is not closed after the test (it holds no connections), so the app under test may close it, in its lifespan
    for instance; calls on it then raise ``ConfigurationError``, while ``tfa_sandbox`` stays readable.
    """
    return tfa_sandbox.client(sleep=tfa_clock.sleep)
