"""Helpers for the Redis tests: a client whose Lua script calls are counted from outside the library (as
``benchmarks/gate_sender.py`` counts them), and the slots each call of the gate's script granted."""

from __future__ import annotations

from typing import Any


class Counted:
    """A registered script, counted: each call, and for the gate's script the slots each call granted (Redis's clock,
    UNIX seconds). The gate's script answers ``[wait µs, granted, pause ms, Redis's time µs]`` for the arguments
    ``[operation, interval µs, ...]``: granted slot j opens ``max(0, wait + j * interval)`` after Redis's time."""

    def __init__(self, script: Any) -> None:
        self.script = script
        self.calls = 0
        self.slots: list[float] = []
        self.granted: list[int] = []  # slots granted by each call of the gate's "enter"

    async def __call__(self, *, keys: Any = None, args: Any = None, client: Any = None) -> Any:
        self.calls += 1
        answer = await self.script(keys=keys, args=args, client=client)
        if args and args[0] == "enter":
            wait, granted, _, now = (int(value) for value in answer)
            interval = int(args[1])
            self.slots += [(now + max(0, wait + j * interval)) / 1e6 for j in range(granted)]
            self.granted.append(granted)
        return answer


class Scripts(list[Counted]):
    """The counted scripts of one client."""

    @property
    def calls(self) -> int:
        return sum(script.calls for script in self)

    @property
    def granted(self) -> list[int]:
        return [count for script in self for count in script.granted]

    @property
    def slots(self) -> list[float]:
        return sorted(slot for script in self for slot in script.slots)


def counting(redis: Any) -> Scripts:
    """Count every script ``redis`` registers from now on (call before building the gate or store on it)."""
    register = redis.register_script
    scripts = Scripts()

    def counted(script: Any) -> Counted:
        scripts.append(Counted(register(script)))
        return scripts[-1]

    redis.register_script = counted
    return scripts
