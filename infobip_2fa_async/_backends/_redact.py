"""Masking secrets in the text of a failure before it goes on an error: an underlying library's message may quote a
proxy URL with its password, or a header with the API key."""

from __future__ import annotations

import re

from .._connection import redact_url

__all__ = ["mask_secrets"]

_AUTHORIZATION = re.compile(r"(?i)(authorization:?\s*)(app\s+)?\S+")


def mask_secrets(text: str) -> str:
    """``text`` with any password in a URL and any authorization value replaced by ``***``."""
    return _AUTHORIZATION.sub(r"\1***", redact_url(text))
