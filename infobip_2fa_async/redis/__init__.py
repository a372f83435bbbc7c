"""Running on several machines, with Redis (the ``[redis]`` extra): a shared gate for every call, and bulk
campaigns split across workers.

- ``RedisGate``: one rate budget and one 429 pause for every process that names the same key; pass it as
  ``TwoFactorClient(gate=...)`` (web replicas) or ``send_many(gate=...)`` (a run).
- ``submit_campaign``, ``run_worker``, ``report_campaign``: a campaign of rows loaded into Redis, sent by any
  number of workers, each row claimed before its request goes out and never sent twice, and written back as the
  same journal ``infobip-2fa bulk`` writes. A submission that fails is withdrawn (nothing of it was claimed: the
  name is free again) or marked failed; ``Campaign.submission()`` says where one stands. The ``bulk-submit``,
  ``bulk-worker`` and ``bulk-report`` commands run them.
- ``RedisShieldStore``: the abuse shield's counters for a fleet (``Shield(store=..., secret=...)``, the ``[shield]``
  extra too): one script call per decision, every cap held exactly across processes.
- ``RedisVerificationStore``: a verifier's challenges for a fleet (``Verifier(client, store=..., secret=...)``): any
  replica checks what another started, and one number, purpose and subject get one PIN across processes.
- ``connect``: a URL to a redis-py asyncio client, as every ``from_url`` here makes it: one Redis (``redis://``,
  ``rediss://`` for TLS, ``unix://``) or a Redis Cluster (``redis+cluster://``, ``rediss+cluster://``), with an ACL
  user's name and password in the URL and a CA bundle as ``ssl_ca_certs=``. Every script keeps the keys it touches in
  one Cluster slot (hash tags).
"""

from __future__ import annotations

try:
    import redis as _redis_library  # noqa: F401  (checked here, used by the modules below)
except ImportError as error:  # pragma: no cover
    raise ImportError("infobip_2fa_async.redis needs redis-py: pip install 'infobip-2fa-async[redis]'") from error

from ._campaign import Campaign, Row, Submission, report_campaign
from ._connect import connect
from ._gate import RedisGate
from ._shield import RedisShieldStore
from ._submit import submit_campaign
from ._verification import RedisVerificationStore
from ._worker import run_worker

__all__ = [
    "Campaign",
    "RedisGate",
    "RedisShieldStore",
    "RedisVerificationStore",
    "Row",
    "Submission",
    "connect",
    "report_campaign",
    "run_worker",
    "submit_campaign",
]
