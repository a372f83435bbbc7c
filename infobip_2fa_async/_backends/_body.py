"""Reading an answer's body with a cap on its decoded size, the same on every backend.

Backends turn aiohttp's or httpx's decompression off and hand the raw bytes to ``BodyReader``, which decodes gzip
and deflate itself, so that a small compressed answer cannot inflate without bound. A body whose declared
``Content-Length`` is already past the cap is not read at all.
"""

from __future__ import annotations

import zlib
from typing import Any

from ._base import BodyProblem

__all__ = ["BodyReader", "announced_length"]


def announced_length(value: str | None) -> int | None:
    """A ``Content-Length`` header's value as a number of bytes (None: absent or not a plain number)."""
    return int(value) if value is not None and value.isdigit() else None


class BodyReader:
    """Collects a body as it streams in, decoding ``Content-Encoding`` gzip or deflate with a cap on the size.

    ``problem`` is set from the start when the body cannot be read (an unsupported encoding, or an uncompressed body
    declared past the cap: not a byte of it is read). ``feed`` returns False once reading should stop (the cap
    passed, or the data cannot be decoded); ``result`` gives the bytes kept (at most ``cap``) and the problem, if
    any. Decompression never produces more than the room left under the cap (``zlib``'s ``max_length``), so a
    compression bomb costs at most the cap.
    """

    __slots__ = ("_decoder", "_first", "_parts", "_raw_deflate_possible", "_size", "cap", "problem")

    def __init__(self, content_encoding: str | None, cap: int, announced: int | None = None) -> None:
        self.cap = cap
        self.problem: BodyProblem | None = None
        self._parts: list[bytes] = []
        self._size = 0
        self._first = True
        self._raw_deflate_possible = False
        self._decoder: Any = None
        codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        if not codings:
            if announced is not None and announced > cap:
                self.problem = self._too_large()
            return
        if len(codings) > 1 or codings[0] not in ("gzip", "x-gzip", "deflate"):
            self.problem = BodyProblem(f"the answer's Content-Encoding {content_encoding!r} is not supported")
        elif codings[0] == "deflate":
            self._decoder = zlib.decompressobj()
            self._raw_deflate_possible = True
        else:
            self._decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)

    def _too_large(self) -> BodyProblem:
        return BodyProblem(f"the answer is larger than max_response_bytes ({self.cap:,} bytes); not read", self.cap)

    def feed(self, data: bytes) -> bool:
        """Take the next raw bytes; False when the reader wants no more."""
        if self.problem is not None:
            return False
        if self._decoder is None:
            self._keep(data)
        else:
            try:
                self._inflate(data)
            except zlib.error as error:
                self.problem = BodyProblem(f"the answer's compressed body is broken: {error}")
        return self.problem is None

    def _inflate(self, data: bytes) -> None:
        if self._first and self._raw_deflate_possible:
            self._first = False
            try:
                self._keep(self._decoder.decompress(data, self._room()))
            except zlib.error:  # "deflate" is sometimes raw deflate without the zlib wrapper
                self._decoder = zlib.decompressobj(-zlib.MAX_WBITS)
                self._keep(self._decoder.decompress(data, self._room()))
        else:
            self._keep(self._decoder.decompress(data, self._room()))
        while self.problem is None and self._decoder.unconsumed_tail:
            self._keep(self._decoder.decompress(self._decoder.unconsumed_tail, self._room()))

    def _room(self) -> int:
        return self.cap - self._size + 1  # one byte past the cap is enough to know it was passed

    def _keep(self, data: bytes) -> None:
        if not data:
            return
        self._size += len(data)
        if self._size > self.cap:
            self.problem = self._too_large()
            return
        self._parts.append(data)

    def result(self) -> tuple[bytes, BodyProblem | None]:
        """The body read (decoded), and why it is not whole, if it is not."""
        if self.problem is None and self._decoder is not None:
            try:
                self._keep(self._decoder.flush())
            except zlib.error as error:
                self.problem = BodyProblem(f"the answer's compressed body is broken: {error}")
        return b"".join(self._parts), self.problem
