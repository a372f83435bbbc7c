"""The API's duration ("15m") and limit ("3/1d") strings: parsing, checking, and writing typed values.

Format, from Infobip's documentation: a duration is ``{length}{unit}`` with unit ms, s, m, h or d and a
length that defaults to 1 ("d" is one day); a limit is ``{attempts}/{duration}``.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import NamedTuple

from ._exceptions import InvalidRequestError

__all__ = ["RateLimit", "duration_to_wire", "limit_to_wire", "parse_duration", "parse_limit"]

_UNITS = {"ms": timedelta(milliseconds=1), "s": timedelta(seconds=1), "m": timedelta(minutes=1),
          "h": timedelta(hours=1), "d": timedelta(days=1)}  # fmt: skip
#: The longest duration of each unit that a timedelta holds (999999999 days): the largest accepted.
_LONGEST = {unit: timedelta.max // step for unit, step in _UNITS.items()}
#: The most attempts a limit may allow: the largest number a 64-bit integer holds.
_MOST_ATTEMPTS = 2**63 - 1
_DURATION = re.compile(r"([0-9]*)(ms|s|m|h|d)")
_LIMIT = re.compile(r"([0-9]+)/([0-9]*(?:ms|s|m|h|d))")


class RateLimit(NamedTuple):
    """A typed application limit: at most ``attempts`` events per ``window`` (the API's "attempts/window").

    Attributes:
        attempts: How many events the window allows.
        window: The window's length.
    """

    attempts: int
    window: timedelta


def parse_duration(argument: str, text: str) -> timedelta:
    """``"15m"`` -> 15 minutes; InvalidRequestError naming ``argument`` otherwise, a zero length and one longer than
    999999999 days (``"99999999999999d"``) included."""
    match = _DURATION.fullmatch(text) if isinstance(text, str) else None
    digits = "" if match is None else match.group(1).lstrip("0")
    if match is None or (match.group(1) and not digits):
        raise InvalidRequestError(
            argument, f"{text!r} is not a duration: write {{length}}{{unit}} with unit ms, s, m, h or d, e.g. '15m'"
        )
    unit = match.group(2)
    longest = _LONGEST[unit]
    # compared as text first: a length of thousands of digits is refused without being read as a number
    if len(digits) > len(str(longest)) or int(digits or 1) > longest:
        raise InvalidRequestError(
            argument, f"{_shortened(text)} is too long a duration: the longest accepted is {longest}{unit}"
            + ("" if unit == "d" else f" ({_LONGEST['d']} days)"),
        )  # fmt: skip
    return int(digits or 1) * _UNITS[unit]


def _shortened(text: str) -> str:
    return repr(text) if len(text) <= 40 else f"{text[:20]!r}...({len(text)} characters)"


def parse_limit(argument: str, text: str) -> RateLimit:
    """``"3/1d"`` -> RateLimit(3, 1 day); InvalidRequestError naming ``argument`` otherwise."""
    match = _LIMIT.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise InvalidRequestError(
            argument, f"{_shortened(text)} is not a limit: write {{attempts}}/{{length}}{{unit}}, e.g. '3/1d' or '1/3s'"
        )
    attempts = match.group(1).lstrip("0")
    if len(attempts) > len(str(_MOST_ATTEMPTS)) or int(attempts or 0) > _MOST_ATTEMPTS:
        raise InvalidRequestError(argument, f"{_shortened(text)} allows too many attempts: at most {_MOST_ATTEMPTS}")
    return RateLimit(int(attempts or 0), parse_duration(argument, match.group(2)))


def _format_duration(argument: str, value: timedelta) -> str:
    if value <= timedelta(0):
        raise InvalidRequestError(argument, f"must be a positive duration, not {value}")
    for unit in ("d", "h", "m", "s", "ms"):
        count, rest = divmod(value, _UNITS[unit])
        if not rest:
            return f"{count}{unit}"
    raise InvalidRequestError(argument, f"{value} is not a whole number of milliseconds")


def duration_to_wire(value: str | timedelta | None) -> str | None:
    """Accept a wire string as it is, or write a timedelta in the largest exact unit (900 s -> "15m")."""
    if isinstance(value, timedelta):
        return _format_duration("pin_time_to_live", value)
    return value


def limit_to_wire(value: str | tuple[int, timedelta] | None) -> str | None:
    """Accept a wire string as it is, or write ``(attempts, timedelta)`` as ``"attempts/duration"``."""
    if isinstance(value, tuple):
        if len(value) != 2 or isinstance(value[0], bool) or not isinstance(value[0], int) or value[0] < 1:
            raise InvalidRequestError("limit", f"must be (attempts >= 1, timedelta), not {value!r}")
        if not isinstance(value[1], timedelta):
            raise InvalidRequestError("limit", f"the window must be a timedelta, not {type(value[1]).__name__}")
        return f"{value[0]}/{_format_duration('limit', value[1])}"
    return value
