"""``Shield``: may this PIN be sent at all? It reads what the number is, hashes every identifier with its secret,
turns its rules into checks and asks its store for one decision."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import logging
import re
import secrets
import time
from collections.abc import Callable
from typing import Any

from .._exceptions import ConfigurationError, InvalidRequestError
from ._decide import BreakerParams, Check, Role, conclude
from ._model import Channel, Mode, Requester, SendRefusedError, ShieldDecision, ShieldReason, requester_keys
from ._numbers import NumberFacts, NumberReader
from ._rules import HOUR, ShieldRules
from ._store import MemoryShieldStore, PinRecord, ShieldStore, StoreRequest

__all__ = ["Shield"]

logger = logging.getLogger("infobip_2fa_async")

_SEPARATORS = re.compile(r"[\s\-.()/]")
_DIGITS = re.compile(r"\+?[0-9]{6,15}")
_CHANNELS = ("sms", "voice", "email")


def _ms(caps: Any) -> tuple[tuple[int, int], ...]:
    return tuple((cap.count, round(cap.seconds * 1000)) for cap in caps)


class Shield:
    """Decides, before a PIN is sent, whether it may be sent at all: stops SMS pumping and SMS bombing.

    Five rules, each with a default that a legitimate login flow never reaches (``ShieldRules``): per number (a
    cool-down and caps), per requester identifier (IP, user, session or device: caps), per prefix (distinct
    numbers), country and number type (allow and deny lists; premium-rate and similar ranges, invalid numbers),
    and a conversion breaker per country and prefix (sends that stop being verified stop being sent).

    Numbers, e-mail addresses, IPs, ids and PIN ids reach the store only as keyed hashes (HMAC-SHA256 with
    ``secret``); countries stay readable. Nothing personal reaches a log line, a decision or an error.

    Args:
        rules: The rules (default ``ShieldRules()``).
        store: Where the counters live: ``MemoryShieldStore()`` (the default: this process) or
            ``infobip_2fa_async.redis.RedisShieldStore`` (a fleet).
        secret: The key of the hashes (at least 16 bytes). Generated when not given, which suits one process; a
            shared store needs the same secret in every process (a ConfigurationError otherwise).
        mode: ``"enforce"`` (refuse) or ``"monitor"`` (decide and report everything, refuse nothing).
        clock: What the shield reads for time, in seconds (default ``time.time``; the sandbox's ``ManualClock``
            in tests and benchmarks).
        pin_memory: How long a sent PIN's number is remembered for its resends, in seconds (1 minute to 1 day).

    Attributes:
        rules: The rules in force.
        store: Where the counters live.
        mode: ``"enforce"`` or ``"monitor"``.

    Raises:
        ConfigurationError: A shared store without a secret, a short secret, or an unknown mode.
        InvalidRequestError: ``pin_memory`` out of range.
        ImportError: phonenumberslite is missing (the ``[shield]`` extra).
    """

    def __init__(
        self,
        rules: ShieldRules | None = None,
        *,
        store: ShieldStore | None = None,
        secret: str | bytes | None = None,
        mode: Mode = "enforce",
        clock: Callable[[], float] | None = None,
        pin_memory: float = HOUR,
    ) -> None:
        if mode not in ("enforce", "monitor"):
            raise ConfigurationError(f"Shield mode must be 'enforce' or 'monitor', not {mode!r}")
        self.rules = rules if rules is not None else ShieldRules()
        self.store: ShieldStore = store if store is not None else MemoryShieldStore()
        if secret is None:
            if self.store.shared:
                raise ConfigurationError(
                    "a shield on a shared store needs secret=: the same one in every process, or their counters "
                    "would not meet (keep it with your other secrets)"
                )
            secret = secrets.token_bytes(32)
        key = secret.encode() if isinstance(secret, str) else secret
        if not isinstance(key, bytes) or len(key) < 16:
            raise ConfigurationError("the shield's secret must be at least 16 bytes")
        if isinstance(pin_memory, bool) or not isinstance(pin_memory, (int, float)) or not 60 <= pin_memory <= 86400:
            raise InvalidRequestError("pin_memory", "must be a number of seconds from 60 to 86,400")
        self.mode: Mode = mode
        self._mac = hmac.new(key, digestmod=hashlib.sha256)
        self._clock = clock or time.time
        self._pin_memory = round(pin_memory * 1000)
        self._reader = NumberReader()
        self._tokens = itertools.count()
        self._token_base = secrets.token_hex(6) + ":"
        # Each rule as a check with no key yet: a decision only fills in the keys.
        rules_ = self.rules
        cooldown = round(rules_.number_cooldown * 1000)
        self._templates: dict[Role, Check] = {
            "number": Check.of("number", "log", "", cooldown=cooldown, caps=_ms(rules_.number_caps)),
            "ip": Check.of("ip", "log", "", caps=_ms(rules_.ip_caps)),
            "user": Check.of("user", "log", "", caps=_ms(rules_.user_caps)),
            "session": Check.of("session", "log", "", caps=_ms(rules_.session_caps)),
            "device": Check.of("device", "log", "", caps=_ms(rules_.session_caps)),
            "prefix": Check.of("prefix", "distinct", "", caps=_ms(rules_.prefix_caps)),
        }
        breaker = rules_.breaker
        if breaker is not None and breaker.min_verified_share > 0:
            prefix_breaker = BreakerParams.of(breaker, country=False)
            country_breaker = BreakerParams.of(breaker, country=True)
            self._templates["prefix_breaker"] = Check.of("prefix_breaker", "breaker", "", breaker=prefix_breaker)
            self._templates["country_breaker"] = Check.of("country_breaker", "breaker", "", breaker=country_breaker)

    def __repr__(self) -> str:
        return f"Shield(mode={self.mode!r}, store={type(self.store).__name__})"

    # --- what a number is, and its keys ---

    def _hash(self, domain: bytes, value: str) -> str:
        """HMAC-SHA256 of ``value`` under the secret (``domain`` keeps numbers, IPs and ids apart), 128 bits."""
        mac = self._mac.copy()  # the keyed state is computed once: a copy costs half of a fresh HMAC
        mac.update(domain + value.encode())
        return mac.digest()[:16].hex()

    def _now(self) -> int:
        return round(self._clock() * 1000)

    def _destination(self, to: object, channel: Channel) -> tuple[str, NumberFacts | None]:
        """The destination's log key and, for a phone number, its facts."""
        if channel not in _CHANNELS:
            raise InvalidRequestError("channel", f"must be one of {', '.join(_CHANNELS)}")
        if not isinstance(to, str):
            raise InvalidRequestError("to", f"must be a string, not {type(to).__name__}")
        if channel == "email":
            address = to.strip().lower()
            if "@" not in address or len(address) > 320:
                raise InvalidRequestError("to", "is not an e-mail address")  # the value is not repeated
            return "n:" + self._hash(b"email\0", address), None
        digits = to if to.isdigit() and 6 <= len(to) <= 15 else _SEPARATORS.sub("", to)  # the client's form: as is
        if not _DIGITS.fullmatch(digits):
            raise InvalidRequestError("to", "is not a phone number in international form (6 to 15 digits)")
        digits = digits.lstrip("+")
        return "n:" + self._hash(b"number\0", digits), self._reader.read(digits, self.rules.prefix_tail)

    def _static_reason(self, facts: NumberFacts | None) -> ShieldReason | None:
        """The rules that need no counter: validity, country and number type."""
        if facts is None:
            return None
        rules = self.rules
        if facts.type is None and rules.refuse_invalid:
            return ShieldReason.INVALID_NUMBER
        region = facts.region
        if region in rules.denied_regions or (
            rules.allowed_regions is not None and region not in rules.allowed_regions
        ):
            return ShieldReason.COUNTRY
        if facts.type in rules.refused_types:
            return ShieldReason.NUMBER_TYPE
        return None

    def _check(self, role: Role, key: str, member: str = "", fallback: str = "") -> Check | None:
        """The rule ``role`` as a check of ``key``; None when the rules switch it off."""
        template = self._templates.get(role)
        if template is None or not (template.caps or template.cooldown or template.breaker):
            return None
        t = template  # built field by field: a decision builds several, and NamedTuple._replace is slower
        return Check(t.role, t.kind, key, member, t.cooldown, t.caps, t.breaker, fallback, t.longest, t.most)

    def _breakers(self, facts: NumberFacts | None, prefix_hash: str = "") -> list[Check | None]:
        if facts is None or facts.country_code is None:
            return []
        prefix_key = "bp:" + (prefix_hash or self._hash(b"prefix\0", facts.prefix))
        country = None if facts.region is None else self._check("country_breaker", "bc:" + facts.region)
        return [self._check("prefix_breaker", prefix_key), country]

    def _requester_checks(self, requester: Requester | None) -> list[Check | None]:
        if requester is not None and not isinstance(requester, Requester):
            raise InvalidRequestError("requester", "must be a Requester(ip=..., user_id=..., ...) or None")
        return [
            self._check(role, f"{role[0]}:" + self._hash(role.encode() + b"\0", value))
            for role, value in requester_keys(requester)
        ]

    # --- decisions ---

    async def check(self, to: str, *, channel: Channel = "sms", requester: Requester | None = None) -> ShieldDecision:
        """Decide whether a PIN may be sent to ``to`` now, and count the send when it may (before sending it).

        Args:
            to: The phone number in international form (separators and a leading ``+`` are fine), or for
                ``channel="email"`` the e-mail address.
            channel: ``"sms"``, ``"voice"`` or ``"email"``. SMS and voice sends to one number share its counters.
            requester: Who asks (client IP, user, session, device), for the per-requester caps.

        Returns:
            The decision: in enforce mode one that lets the send go (a refusal raises); in monitor mode always,
            with ``reason`` set when a rule would have refused it.

        Raises:
            SendRefusedError: A rule refused the send (enforce mode); nothing was counted for it.
            InvalidRequestError: ``to`` is not a phone number (or e-mail address), or an argument is invalid.
            ShieldUnavailableError: The store (Redis) cannot be reached and fails closed.
        """
        number_key, facts = self._destination(to, channel)
        country = facts.region if facts is not None else None
        static = self._static_reason(facts)
        if static is not None and self.mode == "enforce":
            return self._finish(ShieldDecision(static, self.mode, channel, country))
        checks = [self._check("number", number_key), *self._requester_checks(requester)]
        prefix_hash = ""
        if facts is not None and facts.country_code is not None:
            prefix_hash = self._hash(b"prefix\0", facts.prefix)
            checks.append(self._check("prefix", "p:" + prefix_hash, member=number_key[2:]))
        checks += self._breakers(facts, prefix_hash)
        request = self._request(checks)
        answer = await self.store.decide(request)
        reason, wait = conclude(request.checks, answer.verdicts)
        return self._finish(ShieldDecision(static or reason, self.mode, channel, country, self._seconds(wait)))

    async def check_resend(
        self, pin_id: str, *, channel: Channel = "sms", requester: Requester | None = None
    ) -> ShieldDecision:
        """Decide whether the PIN ``pin_id`` may be sent again now, and count the resend when it may.

        The number's counters are those of the send that ``sent`` recorded; a PIN the shield does not know (sent
        before the shield, or longer ago than ``pin_memory``) is counted on its own, with the requester's caps.

        Args:
            pin_id: The ``pin_id`` the send answered.
            channel: ``"sms"``, ``"voice"`` or ``"email"``.
            requester: Who asks.

        Returns:
            The decision, as for ``check``.

        Raises:
            SendRefusedError: A rule refused the resend (enforce mode).
            InvalidRequestError: An argument is invalid.
            ShieldUnavailableError: The store (Redis) cannot be reached and fails closed.
        """
        if not isinstance(pin_id, str) or not pin_id or channel not in _CHANNELS:
            raise InvalidRequestError("pin_id", "must be the pin_id a send answered, with a known channel")
        pin_hash = self._hash(b"pin\0", pin_id)
        checks = [
            self._check("number", "@number", fallback="q:" + pin_hash),
            *self._requester_checks(requester),
            self._check("prefix_breaker", "@prefix"),
            self._check("country_breaker", "@country"),
        ]
        request = self._request(checks, pin_key="r:" + pin_hash)
        answer = await self.store.decide(request)
        reason, wait = conclude(request.checks, answer.verdicts)
        decision = ShieldDecision(reason, self.mode, channel, answer.country or None, self._seconds(wait), resend=True)
        return self._finish(decision)

    def _request(self, checks: list[Check | None], pin_key: str | None = None) -> StoreRequest:
        token = self._token_base + str(next(self._tokens))
        kept = tuple(check for check in checks if check is not None)
        return StoreRequest(kept, self._now(), self.mode == "monitor", token, pin_key)

    @staticmethod
    def _seconds(wait: int | None) -> float | None:
        return None if wait is None else wait / 1000

    def _finish(self, decision: ShieldDecision) -> ShieldDecision:
        if decision.reason is not None:
            logger.debug("shield: %s refused a send (%s, country %s)", decision.reason.value, decision.mode,
                         decision.country or "unknown")  # fmt: skip
            if decision.mode == "enforce":
                raise SendRefusedError(decision)
        return decision

    # --- what happened after ---

    async def sent(self, pin_id: str, to: str, *, channel: Channel = "sms") -> None:
        """Remember which number the PIN ``pin_id`` went to (as keyed hashes), for its resends.

        Never raises for the store: the PIN is already sent (a store that cannot be reached is logged).

        Args:
            pin_id: The ``pin_id`` the send answered.
            to: The number (or e-mail address) it was sent to.
            channel: ``"sms"``, ``"voice"`` or ``"email"``.

        Raises:
            InvalidRequestError: An argument is invalid.
        """
        number_key, facts = self._destination(to, channel)
        if not isinstance(pin_id, str) or not pin_id:
            raise InvalidRequestError("pin_id", "must be the pin_id a send answered")
        breakers = {check.role: check.key for check in self._breakers(facts) if check is not None}
        region = facts.region if facts is not None and facts.region is not None else ""
        record = PinRecord(number_key, breakers.get("prefix_breaker", ""), breakers.get("country_breaker", ""), region)
        await self.store.remember("r:" + self._hash(b"pin\0", pin_id), record, self._now(), self._pin_memory)

    async def verified(self, to: str) -> None:
        """Count a verified PIN for the number's prefix and country (what ``verify_pin`` reports: its ``msisdn``).

        Args:
            to: The number the verified PIN was sent to. An e-mail address counts for nothing.

        Raises:
            InvalidRequestError: ``to`` is not a string.
        """
        if not isinstance(to, str):
            raise InvalidRequestError("to", f"must be a string, not {type(to).__name__}")
        if "@" in to:
            return
        _, facts = self._destination(to, "sms")
        checks = tuple(check for check in self._breakers(facts) if check is not None)
        if checks:
            await self.store.count_verified(checks, self._now())

    async def aclose(self) -> None:
        """Close the store (its Redis connections, if it made them)."""
        await self.store.aclose()

    async def __aenter__(self) -> Shield:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()
