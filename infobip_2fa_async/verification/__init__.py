"""Verifying a phone number: the ``Verifier`` on top of a client, so that the app and the browser never handle a
``pinId``.

```python
from infobip_2fa_async.verification import Verifier

verifier = Verifier(client, application_id=APP_ID, message_id=MESSAGE_ID)
challenge = await verifier.start(
    "41793026727", purpose="login", subject=user_id
)
...  # the browser gets challenge.id, and sends back the code
result = await verifier.check(
    challenge_id, code, purpose="login", subject=user_id
)
if result.verified:
    ...
```

- ``Verifier``: ``start``, ``resend``, ``check``, ``cancel``; challenges bound to number, purpose and subject, one PIN
  per claim (double-clicks, tabs and retries included), cool-downs and a cap on sends, honest uncertain sends, and
  fallback from SMS to voice or e-mail.
- ``Challenge`` (what the browser may know: its ``id``, a masked number, when a resend may go) and ``Check``.
- ``MemoryVerificationStore`` (one process) and ``infobip_2fa_async.redis.RedisVerificationStore`` (a fleet): where
  challenges live, under keyed hashes only, never with a PIN; ``VerificationStore`` is their interface.
- The errors, each a ``VerificationError`` (an ``InfobipError``, ``maybe_sent`` False unless said otherwise).
"""

from __future__ import annotations

from ._errors import (
    ChallengeExpiredError,
    ChallengeNotFoundError,
    ChallengeUsedError,
    ChannelUnavailableError,
    IdempotencyKeyReusedError,
    PinNotKnownError,
    ResendLimitError,
    ResendTooSoonError,
    VerificationError,
    VerificationStoreError,
)
from ._model import Challenge, ChallengeStatus, Channel, Check
from ._store import MemoryVerificationStore, VerificationStore
from ._verifier import Verifier

__all__ = [
    "Challenge",
    "ChallengeExpiredError",
    "ChallengeNotFoundError",
    "ChallengeStatus",
    "ChallengeUsedError",
    "Channel",
    "ChannelUnavailableError",
    "Check",
    "IdempotencyKeyReusedError",
    "MemoryVerificationStore",
    "PinNotKnownError",
    "ResendLimitError",
    "ResendTooSoonError",
    "VerificationError",
    "VerificationStore",
    "VerificationStoreError",
    "Verifier",
]
