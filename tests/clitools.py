"""Running the ``infobip-2fa`` command as a user does: a subprocess, with its own environment."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any


async def run_cli(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Run the command without blocking the loop that may serve a sandbox; (exit code, stdout, stderr)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "infobip_2fa_async", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@asynccontextmanager
async def sandbox_command(*args: str) -> AsyncIterator[dict[str, Any]]:
    """``infobip-2fa sandbox --json --port 0 ARGS`` running in a subprocess; yields its ready line."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "infobip_2fa_async", "sandbox", "--json", "--port", "0", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), timeout=30)
        assert line, "the sandbox command printed nothing"
        yield json.loads(line)
    finally:
        process.terminate()
        await process.wait()


def demo_environment(ready: dict[str, Any]) -> dict[str, str]:
    """What ``sandbox --demo`` tells the user to export."""
    return {
        "INFOBIP_BASE_URL": ready["base_url"],
        "INFOBIP_API_KEY": ready["api_key"],
        "INFOBIP_APPLICATION_ID": ready["application_id"],
        "INFOBIP_MESSAGE_ID": ready["message_id"],
    }
