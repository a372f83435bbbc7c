"""The sandbox's 2FA service: its state and the handlers of each resource family, put together.

Plain data in, plain data out: each handler takes the parsed request (path parameters, query, JSON body) and
returns (status, JSON, headers) or raises ApiFailure. No HTTP here; ``_app`` puts it behind ASGI.
"""

from __future__ import annotations

from collections.abc import Callable

from ._applications import Applications
from ._pins import Pins
from ._store import Store
from ._templates import Templates

__all__ = ["Service"]


class Service:
    """The 2FA API's behaviour over in-memory state. ``clock`` returns seconds."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.store = Store(clock)
        self.applications = Applications(self.store)
        self.templates = Templates(self.store)
        self.pins = Pins(self.store)
