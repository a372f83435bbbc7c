"""Every refusal a ``Verifier`` gives, as a typed error.

The hierarchy::

    InfobipError
    └── VerificationError              base of every refusal below
        ├── ChallengeNotFoundError     no such challenge: unknown, cancelled, or bound to another purpose or subject
        ├── ChallengeExpiredError      its PIN's time to live ran out
        ├── ChallengeUsedError         it was verified already: a code is good for one check
        ├── PinNotKnownError           the last send's fate is unknown, so no code can be checked yet
        ├── ResendTooSoonError         the cool-down since the last send has not passed (``retry_after``)
        ├── ResendLimitError           the challenge had all the sends it may have
        ├── ChannelUnavailableError    the channel asked for has no template, or no e-mail address was given
        ├── IdempotencyKeyReusedError  an idempotency key came back with another number, purpose or subject
        └── VerificationStoreError     the store (Redis) could not be reached

Messages name the refusal and the wait, never the number, the e-mail address, the PIN, the ``pinId`` or the
challenge id. Every refusal is raised before anything is sent (``maybe_sent`` False), except a
``VerificationStoreError`` raised after a send, whose ``maybe_sent`` is True.
"""

from __future__ import annotations

from .._exceptions import InfobipError

__all__ = [
    "ChallengeExpiredError",
    "ChallengeNotFoundError",
    "ChallengeUsedError",
    "ChannelUnavailableError",
    "IdempotencyKeyReusedError",
    "PinNotKnownError",
    "ResendLimitError",
    "ResendTooSoonError",
    "VerificationError",
    "VerificationStoreError",
]


class VerificationError(InfobipError):
    """A verifier refused the call: nothing was sent and no attempt was spent (``maybe_sent`` False)."""

    maybe_sent = False


class ChallengeNotFoundError(VerificationError):
    """No such challenge: the id is unknown or was cancelled, or the check named another purpose or subject.

    The same error whatever the reason, so that a wrong purpose or subject tells nothing about the challenge.
    """

    def __init__(self) -> None:
        super().__init__("no such verification challenge (unknown, cancelled, or for another purpose or subject)")


class ChallengeExpiredError(VerificationError):
    """The challenge's PIN ran out of time: start a new challenge."""

    def __init__(self) -> None:
        super().__init__("this verification challenge has expired: start a new one")


class ChallengeUsedError(VerificationError):
    """The challenge was verified already: a code is good for one successful check."""

    def __init__(self) -> None:
        super().__init__("this verification challenge was verified already: a code is good for one check")


class _Waiting(VerificationError):
    """A refusal that waiting ends."""

    def __init__(self, message: str, retry_after: float) -> None:
        self.retry_after = max(0.0, retry_after)
        super().__init__(f"{message}; a new code may be asked for in {self.retry_after:g} s")


class PinNotKnownError(_Waiting):
    """The last send's fate is unknown (it may or may not have reached the person), so its ``pinId`` is unknown and
    no code can be checked. Ask the person to wait: a new code may be sent once the cool-down has passed.

    Attributes:
        retry_after: Seconds until ``resend`` (or ``start``) may send a new code.
    """

    def __init__(self, retry_after: float) -> None:
        super().__init__("the last send of this challenge may or may not have gone out, so no code can be checked",
                         retry_after)  # fmt: skip


class ResendTooSoonError(_Waiting):
    """The challenge's last send was too recent: its cool-down has not passed.

    Attributes:
        retry_after: Seconds until a resend is allowed.
    """

    def __init__(self, retry_after: float) -> None:
        super().__init__("the last code of this challenge was sent too recently", retry_after)


class ResendLimitError(VerificationError):
    """The challenge had as many sends as it may have; it stays checkable until it expires.

    Attributes:
        expires_in: Seconds until the challenge expires (then a new one may be started).
    """

    def __init__(self, expires_in: float) -> None:
        self.expires_in = max(0.0, expires_in)
        super().__init__(f"this verification challenge had all the sends it may have; it expires in "
                         f"{self.expires_in:g} s")  # fmt: skip


class ChannelUnavailableError(VerificationError):
    """The channel asked for cannot be used: the verifier has no template for it, it is not in the verifier's
    ``channels``, or (for e-mail) ``start`` was given no e-mail address.

    Attributes:
        channel: The channel asked for.
    """

    def __init__(self, channel: str, why: str) -> None:
        self.channel = channel
        super().__init__(f"the channel {channel!r} cannot be used: {why}")


class IdempotencyKeyReusedError(VerificationError):
    """An idempotency key came back with another number, purpose or subject than the start it was first used for."""

    def __init__(self) -> None:
        super().__init__("this idempotency key was used for another verification (number, purpose or subject)")


class VerificationStoreError(VerificationError):
    """The verifier's store (Redis) could not be reached. Never a silent pass: nothing is started, resent or
    checked without it.

    Attributes:
        maybe_sent: False when nothing was sent; True when the store failed after a PIN was sent (the challenge
            then counts that send as uncertain once its cool-down has passed).
    """

    def __init__(self, message: str, *, maybe_sent: bool = False) -> None:
        super().__init__(message)
        self.maybe_sent = maybe_sent
