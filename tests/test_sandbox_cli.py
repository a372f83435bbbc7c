"""``infobip-2fa sandbox`` refuses what it cannot serve with one clear line on stderr and an exit status, never a
traceback: faults it could not serve honestly, ports that are not ports or are taken, the well-known key off
loopback. Run as a user runs it: a subprocess."""

from __future__ import annotations

import asyncio
import math
import os
import socket
import sys

import pytest

from infobip_2fa_async._cli._sandbox import parse_fault_rates


async def _refused(*args: str) -> tuple[int, str]:
    """Run ``infobip-2fa sandbox ARGS`` and expect it to stop at once: (exit status, stderr)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "infobip_2fa_async", "sandbox", *args,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.DEVNULL,
        env={**os.environ, "COLUMNS": "100"},
    )  # fmt: skip
    try:
        _, err = await asyncio.wait_for(process.communicate(), timeout=30)
    except asyncio.TimeoutError:
        process.kill()
        await process.wait()
        pytest.fail(f"`infobip-2fa sandbox {' '.join(args)}` started serving instead of refusing")
    assert process.returncode is not None
    return process.returncode, err.decode()


def _error_lines(err: str) -> list[str]:
    """stderr less argparse's usage block: the lines that say what went wrong."""
    assert "Traceback" not in err, err
    return [line for line in err.splitlines() if line.strip() and not line.startswith(("usage:", " "))]


@pytest.mark.parametrize("kind", ["429:nan", "429:inf", "429:-5", "slow:nan", "slow:-1", "slow:inf"])
async def test_fault_rates_with_waits_that_cannot_be_served_are_usage_errors(kind: str) -> None:
    code, err = await _refused("--port", "0", "--fault-rate", f"{kind}=0.5")
    assert code == 2
    [line] = _error_lines(err)
    assert line.startswith("infobip-2fa sandbox: error: argument --fault-rate: ")
    assert kind in line


@pytest.mark.parametrize("seconds", ["nan", "inf", "-inf", "-5", "-0.1"])
def test_parse_fault_rates_refuses_them_too(seconds: str) -> None:
    with pytest.raises(Exception, match="finite") as raised:
        parse_fault_rates(f"429:{seconds}=0.1")
    assert type(raised.value).__name__ == "ArgumentTypeError"
    with pytest.raises(Exception, match="finite"):
        parse_fault_rates(f"slow:{seconds}=0.1")


def test_parse_fault_rates_keeps_sound_ones() -> None:
    [(fault, share)] = parse_fault_rates("429:2.5=0.25")
    assert (fault.retry_after, share) == (2.5, 0.25)
    [(fault, _)] = parse_fault_rates("slow:0=1")
    assert fault.seconds == 0
    assert not math.isnan(fault.seconds)


@pytest.mark.parametrize("port", ["99999", "-1", "65536", "http"])
async def test_a_port_that_is_not_a_port_is_a_usage_error(port: str) -> None:
    code, err = await _refused("--port", port)
    assert code == 2
    [line] = _error_lines(err)
    assert line.startswith("infobip-2fa sandbox: error: argument --port: ")
    assert "0 to 65535" in line


async def test_a_port_in_use_is_one_line_and_exit_1() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, err = await _refused("--port", str(port))
    assert code == 1
    assert "Traceback" not in err
    [line] = err.strip().splitlines()
    assert line.startswith(f"infobip-2fa sandbox: error: cannot listen on 127.0.0.1:{port}: ")
    assert "in use" in line


async def test_the_well_known_key_off_loopback_is_a_usage_error_that_names_the_option() -> None:
    code, err = await _refused("--port", "0", "--host", "0.0.0.0", "--api-key", "sandbox-key")  # noqa: S104
    assert code == 2
    [line] = _error_lines(err)
    assert line.startswith("infobip-2fa sandbox: error: ")
    assert "--api-key" in line
    assert "api_keys=" not in line, "a CLI user is told the CLI option, not the Python argument"
