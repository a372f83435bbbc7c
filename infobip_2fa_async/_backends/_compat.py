"""What differs between the Python versions supported: ``time_limit``, asyncio's ``timeout`` (3.11+) or, on 3.10,
async-timeout's, which aiohttp brings along."""

from __future__ import annotations

import sys

if sys.version_info >= (3, 11):
    from asyncio import timeout as time_limit
else:  # pragma: no cover
    from async_timeout import timeout as time_limit  # type: ignore[import-not-found, no-redef, unused-ignore]

__all__ = ["time_limit"]
