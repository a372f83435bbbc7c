"""The abuse shield (the ``[shield]`` extra): stops SMS pumping and SMS bombing before a PIN is sent.

```python
from infobip_2fa_async.shield import Requester, SendRefusedError, Shield

shield = Shield()  # the default rules, in this process
try:
    await shield.check("+44 7700 900123", requester=Requester(ip=client_ip))
except SendRefusedError as refused:
    ...  # refused.reason: which rule; refused.retry_after
sent = await client.send_pin(
    application_id=..., message_id=..., to="447700900123"
)
# for its resends: shield.check_resend(pin_id, ...)
await shield.sent(sent.pin_id, "447700900123")
...
if (await client.verify_pin(sent.pin_id, pin)).verified:
    await shield.verified("447700900123")  # a conversion, for the breaker
```

- ``Shield``: decides per number, per requester (IP, user, session, device), per prefix, per country and number
  type, and with a conversion breaker per country and prefix; ``mode="monitor"`` reports without refusing.
- ``ShieldRules``, ``Cap``, ``BreakerRules``: the rules and their defaults.
- ``Requester``: who asks. ``ShieldDecision``: what was decided (plain data, never the number).
- ``SendRefusedError``: a refusal (``maybe_sent`` False, ``reason``, ``retry_after``).
- ``MemoryShieldStore`` (one process) and ``infobip_2fa_async.redis.RedisShieldStore`` (a fleet): where the
  counters live, as keyed hashes only.

``Requester``, ``ShieldDecision`` and the errors import without phonenumberslite; building a ``Shield`` needs it.
"""

from __future__ import annotations

from ._model import Requester, SendRefusedError, ShieldDecision, ShieldReason, ShieldUnavailableError
from ._rules import DAY, HOUR, MINUTE, REFUSED_TYPES, BreakerRules, Cap, ShieldRules
from ._shield import Shield
from ._store import MemoryShieldStore, ShieldStore

__all__ = [
    "DAY",
    "HOUR",
    "MINUTE",
    "REFUSED_TYPES",
    "BreakerRules",
    "Cap",
    "MemoryShieldStore",
    "Requester",
    "SendRefusedError",
    "Shield",
    "ShieldDecision",
    "ShieldReason",
    "ShieldRules",
    "ShieldStore",
    "ShieldUnavailableError",
]
