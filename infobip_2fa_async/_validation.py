"""Argument checks shared by the endpoint modules. Each raises InvalidRequestError naming the argument.

They run before anything is sent, so a bad call costs no request, no SMS and no PIN attempt.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from enum import Enum
from typing import TypeVar
from urllib.parse import quote

from ._exceptions import InvalidRequestError

__all__ = [
    "CONTROL_CHARACTERS",
    "check_bool",
    "check_choice",
    "check_email",
    "check_int",
    "check_max_length",
    "check_number",
    "check_optional_text",
    "check_phone_number",
    "check_pin",
    "check_placeholders",
    "check_text",
    "check_unicode",
    "path_segment",
]

# Separators people type inside phone numbers; a single leading "+" is allowed too.
_PHONE_SEPARATORS = re.compile(r"[\s\-.()]")
_DIGITS = re.compile(r"[0-9]{6,15}")
#: Control characters (C0, DEL, C1) and the Unicode line and paragraph separators: never valid in an id, a
#: placeholder or a PIN.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
#: Lone surrogates: not text at all, so they cannot be sent as UTF-8 (Python makes them of the bytes of a command-line
#: argument that are not UTF-8).
_SURROGATES = re.compile("[\ud800-\udfff]")
#: One pass for both: what can never be in a string sent to the API.
_UNSENDABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_NOT_UTF8 = (
    "must be valid text, but holds a lone surrogate, which cannot be encoded as UTF-8 (from a command line: bytes "
    "that are not UTF-8, as from a terminal or a file in another encoding)"
)


def check_unicode(argument: str, text: str) -> str:
    """``text`` if it can be sent as UTF-8; InvalidRequestError naming ``argument`` if it holds a lone surrogate.

    Every string that goes into a request passes here (through the checks below, which call it for the strings they
    accept), so no operation fails later with a UnicodeEncodeError. The message never repeats the text.
    """
    if _SURROGATES.search(text):
        raise InvalidRequestError(argument, _NOT_UTF8)
    return text


def _has_control_characters(argument: str, text: str) -> bool:
    """Whether ``text`` holds control characters; a lone surrogate is refused. One pass over ``text`` for both."""
    if _UNSENDABLE.search(text):
        check_unicode(argument, text)
        return True
    return False


def check_text(argument: str, value: object) -> str:
    """A non-empty string without control characters (ids, sender names) that is valid Unicode."""
    if not isinstance(value, str):
        raise InvalidRequestError(argument, f"must be a string, not {type(value).__name__}")
    if not value.strip():
        raise InvalidRequestError(argument, "must not be empty")
    if _has_control_characters(argument, value):
        raise InvalidRequestError(argument, "must not contain control characters such as newlines")
    return value


def check_optional_text(argument: str, value: object) -> str | None:
    """None (left out of the request), or text as ``check_text`` accepts it."""
    return None if value is None else check_text(argument, value)


def path_segment(argument: str, value: object) -> str:
    """An id placed in the URL path, escaped so that it can never change which path is requested."""
    text = check_text(argument, value)
    if text in (".", ".."):
        raise InvalidRequestError(argument, f"{text!r} is not an id")
    return quote(text, safe="")


def check_phone_number(argument: str, value: object) -> str:
    """A phone number in international form; returns its digits (``+41 79-302 67.27`` -> ``41793026727``)."""
    if not isinstance(value, str):
        raise InvalidRequestError(argument, f"must be a phone number string, not {type(value).__name__}")
    digits = _PHONE_SEPARATORS.sub("", value)
    digits = digits.removeprefix("+")
    if not _DIGITS.fullmatch(digits):
        raise InvalidRequestError(
            argument,
            f"{value!r} is not a phone number: give 6 to 15 digits in international form, "
            "country code first (for example '41793026727' or '+41 79 302 67 27')",
        )
    return digits


#: The longest PIN accepted: generated PINs are a handful of characters; anything longer was not typed as a PIN.
MAX_PIN_LENGTH = 64
_PIN = re.compile(r"[0-9A-Za-z]+")


def check_pin(value: object) -> str:
    """The PIN the user typed, as the service compares it: ASCII letters and digits. Never echoed in a message.

    People type on their own keyboards: fullwidth characters and any script's decimal digits (Arabic-Indic, Devanagari,
    ...) become their ASCII forms, and surrounding whitespace goes. What still cannot be a PIN (other characters,
    absurd lengths) is refused before it spends one of the PIN's attempts.
    """
    if not isinstance(value, str):
        raise InvalidRequestError("pin", f"must be a string, not {type(value).__name__}")
    if len(value) > 4 * MAX_PIN_LENGTH:  # before any work on it: a megabyte "PIN" is refused at once
        raise InvalidRequestError("pin", f"must be at most {MAX_PIN_LENGTH} characters")
    check_unicode("pin", value)
    text = unicodedata.normalize("NFKC", value).strip()
    text = "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text)
    if not text:
        raise InvalidRequestError("pin", "must not be empty")
    if len(text) > MAX_PIN_LENGTH:
        raise InvalidRequestError("pin", f"must be at most {MAX_PIN_LENGTH} characters")
    if not _PIN.fullmatch(text):
        raise InvalidRequestError("pin", "a PIN is letters and digits only (spaces, punctuation and control "
                                         "characters cannot be part of it)")  # fmt: skip
    return text


def check_bool(argument: str, value: object) -> bool | None:
    """None (leave it to the server) or a real bool; the string 'false' is refused, not taken as true."""
    if value is None or isinstance(value, bool):
        return value
    raise InvalidRequestError(argument, f"must be True, False or None, not {type(value).__name__}")


#: Limits on template placeholders: a message is a few hundred characters, an e-mail landing page a URL or two.
MAX_PLACEHOLDERS = 50
MAX_PLACEHOLDER_KEY = 100
MAX_PLACEHOLDER_VALUE = 2000


def check_placeholders(argument: str, value: object) -> dict[str, str] | None:
    """Template placeholders: string keys without braces, not ``pin`` (the PIN fills that), string values; no
    control characters in either, and sizes within the limits above (named in the error)."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise InvalidRequestError(argument, f"must be a mapping of str to str, not {type(value).__name__}")
    if len(value) > MAX_PLACEHOLDERS:
        raise InvalidRequestError(argument, f"at most {MAX_PLACEHOLDERS} placeholders, not {len(value)}")
    checked: dict[str, str] = {}
    for key, text in value.items():
        if not isinstance(key, str) or not key:
            raise InvalidRequestError(argument, f"keys must be non-empty strings, not {key!r}")
        if len(key) > MAX_PLACEHOLDER_KEY:
            raise InvalidRequestError(argument, f"a key must be at most {MAX_PLACEHOLDER_KEY} characters")
        if _has_control_characters(argument, key):
            raise InvalidRequestError(argument, f"key {key!r} holds a control character")
        if "{" in key or "}" in key:
            raise InvalidRequestError(
                argument, f"key {key!r} must not contain braces: write 'firstName', not '{{{{firstName}}}}'"
            )
        if key == "pin":
            raise InvalidRequestError(argument, "the key 'pin' is reserved: the service fills {{pin}} itself")
        if not isinstance(text, str):
            raise InvalidRequestError(argument, f"value of {key!r} must be a string, not {type(text).__name__}")
        if len(text) > MAX_PLACEHOLDER_VALUE:
            raise InvalidRequestError(
                argument, f"value of {key!r} must be at most {MAX_PLACEHOLDER_VALUE} characters, not {len(text):,}"
            )
        if _has_control_characters(argument, text):
            raise InvalidRequestError(argument, f"value of {key!r} holds a control character (such as a line break)")
        checked[key] = text
    return checked


# A pragmatic address check: something@domain.tld, no spaces. The server has the final word.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


def check_email(argument: str, value: object) -> str:
    """An e-mail address such as ``john.smith@example.com``."""
    text = check_text(argument, value)
    if not _EMAIL.fullmatch(text):
        raise InvalidRequestError(argument, f"{text!r} is not an e-mail address such as 'john.smith@example.com'")
    return text


def check_int(argument: str, value: object, *, minimum: int | None = None, maximum: int | None = None) -> int | None:
    """None, or a whole number (not a bool) within the bounds."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRequestError(argument, f"must be a whole number, not {type(value).__name__}")
    if minimum is not None and value < minimum:
        raise InvalidRequestError(argument, f"must be at least {minimum}, not {value}")
    if maximum is not None and value > maximum:
        raise InvalidRequestError(argument, f"must be at most {maximum}, not {value}")
    return value


def check_number(argument: str, value: object, *, minimum: float, maximum: float) -> float | None:
    """None, or a number (int or float, not a bool) within [minimum, maximum]."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidRequestError(argument, f"must be a number, not {type(value).__name__}")
    if not minimum <= value <= maximum:
        raise InvalidRequestError(argument, f"must be between {minimum:g} and {maximum:g}, not {value:g}")
    return value


E = TypeVar("E", bound=Enum)


def check_choice(argument: str, value: object, enum: type[E]) -> E | None:
    """None, a member of ``enum``, or one of its values as a string (``"NUMERIC"``)."""
    if value is None or isinstance(value, enum):
        return value
    member = enum._value2member_map_.get(value) if isinstance(value, str) else None
    if member is None:
        choices = ", ".join(repr(item.value) for item in enum)
        raise InvalidRequestError(argument, f"{value!r} is not one of {choices}")
    return member  # type: ignore[return-value]


def check_max_length(argument: str, value: object, maximum: int) -> str | None:
    """None, or a string of at most ``maximum`` characters."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidRequestError(argument, f"must be a string, not {type(value).__name__}")
    if len(value) > maximum:
        raise InvalidRequestError(argument, f"must be at most {maximum} characters, not {len(value)}")
    return check_unicode(argument, value)
