"""Retries, for code that reasons about them itself: the policy a client follows and the decision it makes.

``RetryPolicy`` is what ``TwoFactorClient(retry=...)`` takes (also importable from ``infobip_2fa_async``).
``decide`` is the pure function each failure goes through ("retry or not, and how long to wait"), ``RetryDecision``
its answer, and ``backoff`` the wait before a retry when the server named none: call them with plain data, no client
and no I/O (docs/retries.md).
"""

from ._retry import RetryDecision, RetryPolicy, backoff, decide

__all__ = ["RetryDecision", "RetryPolicy", "backoff", "decide"]
