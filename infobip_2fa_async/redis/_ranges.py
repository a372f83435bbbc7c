"""The numbers the Redis scripts can hold, checked before anything reaches Redis: a shared gate's rate and burst (also
before a campaign stores them for its workers), how far ahead it reserves, and timeouts."""

from __future__ import annotations

from .._exceptions import InvalidRequestError

__all__ = ["BURST_RANGE", "RATE_RANGE", "RESERVE_AHEAD_RANGE", "TIMEOUT_RANGE", "check_shared_rate", "in_range"]

# What the gate's script can hold: Lua numbers are doubles, exact to 2**53 µs (285 years of UNIX time), and every time
# it computes (now + burst window + reserve_ahead + interval) must stay well inside that.
RATE_RANGE = (1e-3, 1e6)  # requests per second: one every 1,000 s to one per µs
BURST_RANGE = (1.0, 1e6)  # requests
RESERVE_AHEAD_RANGE = (0.0, 3600.0)  # seconds
TIMEOUT_RANGE = (1e-3, 3600.0)  # seconds


def in_range(argument: str, value: object, accepted: tuple[float, float], what: str) -> float:
    """``value`` as a float if it is a number within ``accepted`` (bounds included), else InvalidRequestError."""
    low, high = accepted
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        shown = (f"{bound:,.0f}" if bound >= 1 and bound == int(bound) else f"{bound:g}" for bound in accepted)
        raise InvalidRequestError(argument, f"must be a number of {what} from {next(shown)} to {next(shown)}, "
                                            f"not {value!r}")  # fmt: skip
    return float(value)


def check_shared_rate(rate: object, burst: object) -> tuple[float | None, float | None]:
    """Validate a shared gate's ``rate`` and ``burst`` (also before a campaign stores them for its workers).

    Returns:
        ``(rate, burst)`` as floats (None where not given).

    Raises:
        InvalidRequestError: Either is not a number in the range the gate can hold (rate: 0.001 to 1,000,000
            requests per second; burst: 1 to 1,000,000 requests), or a burst is given without a rate.
    """
    checked_rate = None if rate is None else in_range("rate", rate, RATE_RANGE, "requests per second")
    checked_burst = None if burst is None else in_range("burst", burst, BURST_RANGE, "requests")
    if checked_burst is not None and checked_rate is None:
        raise InvalidRequestError("burst", "applies to a rate: give rate= too, or leave burst out")
    return checked_rate, checked_burst
