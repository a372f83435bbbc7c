"""Each rule of the shield, on both stores (in this process, and a real Redis), under a manual clock: what a user of
a login flow never meets, and what an attack runs into."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from infobip_2fa_async.sandbox import ManualClock
from infobip_2fa_async.shield import (
    BreakerRules,
    Cap,
    MemoryShieldStore,
    Requester,
    SendRefusedError,
    Shield,
    ShieldDecision,
    ShieldReason,
    ShieldRules,
)
from infobip_2fa_async.shield._numbers import NumberReader

SECRET = "a-test-secret-of-32-characters!!"
_READER = NumberReader()


def gb(block: int, n: int) -> str:
    """A valid UK mobile number; numbers of one ``block`` share a prefix (all but their last 4 digits)."""
    number = f"447400{block:02d}{n:04d}"
    assert _READER.read(number, 4).type == "MOBILE", number
    return number


def de(block: int, n: int) -> str:
    """A valid German mobile number, prefix ``491512`` plus ``block``."""
    number = f"491512{block:03d}{n:04d}"
    assert _READER.read(number, 4).type == "MOBILE", number
    return number


class Setup:
    """Shields on one store kind and one manual clock."""

    def __init__(self, kind: str, redis_url: str | None) -> None:
        self.kind, self.redis_url = kind, redis_url
        self.clock = ManualClock()
        self.made: list[Shield] = []

    def shield(self, rules: ShieldRules | None = None, *, mode: Any = "enforce") -> Shield:
        if self.redis_url is None:
            store: Any = MemoryShieldStore()
        else:
            from infobip_2fa_async.redis import RedisShieldStore

            store = RedisShieldStore.from_url(self.redis_url, name=f"test-{uuid.uuid4().hex}")
        made = Shield(rules, store=store, secret=SECRET, mode=mode, clock=self.clock)
        self.made.append(made)
        return made


@pytest.fixture(params=["memory", "redis"])
async def setup(request: pytest.FixtureRequest) -> AsyncIterator[Setup]:
    url = request.getfixturevalue("redis_url") if request.param == "redis" else None
    made = Setup(request.param, url)
    yield made
    for shield in made.made:
        reset = getattr(shield.store, "reset", None)
        if reset is not None:
            await reset()
        await shield.aclose()


async def refused(shield: Shield, to: str, **kwargs: Any) -> SendRefusedError:
    with pytest.raises(SendRefusedError) as caught:
        await shield.check(to, **kwargs)
    return caught.value


# --- 1. per number ---


async def test_a_login_with_one_resend_and_a_verified_pin_is_never_refused_all_day(setup: Setup) -> None:
    shield = setup.shield()
    you = Requester(ip="203.0.113.7", user_id="user-1", session_id="session-1")
    for _ in range(3):  # three logins a day, each asking for one resend
        assert (await shield.check("+44 7400 123456", requester=you)).allowed
        await shield.sent("PIN-1", "447400123456")
        setup.clock.advance(35)
        assert (await shield.check_resend("PIN-1", requester=you)).allowed
        setup.clock.advance(20)
        await shield.verified("447400123456")
        setup.clock.advance(4 * 3600)


async def test_a_second_send_inside_the_cooldown_waits_for_it(setup: Setup) -> None:
    shield = setup.shield()
    await shield.check(gb(0, 1))
    setup.clock.advance(10)
    error = await refused(shield, gb(0, 1))
    assert (error.reason, error.retry_after) == (ShieldReason.NUMBER_COOLDOWN, 20.0)
    setup.clock.advance(20)
    assert (await shield.check(gb(0, 1))).allowed, "a refused send did not restart the cooldown"


async def test_a_number_gets_its_caps_per_window_and_then_waits_for_the_oldest_send_to_leave(setup: Setup) -> None:
    shield = setup.shield(ShieldRules(number_cooldown=0, number_caps=(Cap(2, 600), Cap(3, 3600))))
    for _ in range(2):
        await shield.check(gb(0, 1))
        setup.clock.advance(100)
    error = await refused(shield, gb(0, 1))
    assert (error.reason, error.retry_after) == (ShieldReason.NUMBER_CAP, 400.0)
    setup.clock.advance(400)
    await shield.check(gb(0, 1))  # the third of the hour
    setup.clock.advance(600)
    error = await refused(shield, gb(0, 1))
    assert error.reason == ShieldReason.NUMBER_CAP
    assert error.retry_after == 3600 - 1200


async def test_sms_and_voice_share_a_number_and_an_address_is_one_whatever_its_case(setup: Setup) -> None:
    shield = setup.shield()
    await shield.check(gb(0, 1), channel="sms")
    assert (await refused(shield, gb(0, 1), channel="voice")).reason == ShieldReason.NUMBER_COOLDOWN
    await shield.check("Alice@Example.com", channel="email")
    error = await refused(shield, "alice@example.com", channel="email")
    assert (error.reason, error.country) == (ShieldReason.NUMBER_COOLDOWN, None)


async def test_a_resend_counts_against_its_number_and_an_unknown_pin_against_itself(setup: Setup) -> None:
    shield = setup.shield()
    await shield.check(gb(0, 1))
    await shield.sent("PIN-A", gb(0, 1))
    setup.clock.advance(10)
    with pytest.raises(SendRefusedError) as caught:
        await shield.check_resend("PIN-A")
    assert (caught.value.reason, caught.value.country) == (ShieldReason.NUMBER_COOLDOWN, "GB")
    setup.clock.advance(25)
    assert (await shield.check_resend("PIN-A")).country == "GB"
    assert (await refused(shield, gb(0, 1))).reason == ShieldReason.NUMBER_COOLDOWN, "the resend counted"
    assert (await shield.check_resend("PIN-NOT-SEEN")).country is None
    with pytest.raises(SendRefusedError):
        await shield.check_resend("PIN-NOT-SEEN")


# --- 2. per requester ---


async def test_one_ip_gets_its_sends_and_then_waits(setup: Setup) -> None:
    shield = setup.shield()
    bot = Requester(ip="198.51.100.9")
    for n in range(20):
        await shield.check(gb(n, 1), requester=bot)
    error = await refused(shield, gb(50, 1), requester=bot)
    assert error.reason == ShieldReason.IP_CAP
    assert error.retry_after == 3600
    assert (await shield.check(gb(50, 1), requester=Requester(ip="198.51.100.10"))).allowed


async def test_an_ipv6_address_counts_by_its_64_and_a_mapped_ipv4_as_the_ipv4(setup: Setup) -> None:
    shield = setup.shield(ShieldRules(ip_caps=(Cap(2, 3600),)))
    await shield.check(gb(1, 1), requester=Requester(ip="2001:db8:1:2::1"))
    await shield.check(gb(2, 1), requester=Requester(ip="2001:db8:1:2:ffff:ffff:ffff:9"))
    assert (await refused(shield, gb(3, 1), requester=Requester(ip="2001:db8:1:2::77"))).reason == ShieldReason.IP_CAP
    assert (await shield.check(gb(3, 1), requester=Requester(ip="2001:db8:1:3::1"))).allowed
    await shield.check(gb(4, 1), requester=Requester(ip="192.0.2.1"))
    await shield.check(gb(5, 1), requester=Requester(ip="::ffff:192.0.2.1"))
    assert (await refused(shield, gb(6, 1), requester=Requester(ip="192.0.2.1"))).reason == ShieldReason.IP_CAP


@pytest.mark.parametrize(("field", "reason"), [("user_id", ShieldReason.USER_CAP),
                                               ("session_id", ShieldReason.SESSION_CAP),
                                               ("device_id", ShieldReason.SESSION_CAP)])  # fmt: skip
async def test_user_session_and_device_ids_each_get_their_caps(setup: Setup, field: str, reason: ShieldReason) -> None:
    shield = setup.shield(ShieldRules(user_caps=(Cap(2, 3600),), session_caps=(Cap(2, 3600),)))
    asker = Requester(**{field: "same-one"})
    await shield.check(gb(1, 1), requester=asker)
    await shield.check(gb(2, 1), requester=asker)
    assert (await refused(shield, gb(3, 1), requester=asker)).reason == reason
    assert (await shield.check(gb(3, 1), requester=Requester(**{field: "another-one"}))).allowed
    assert (await shield.check(gb(4, 1), requester=Requester())).allowed, "no identifiers: no requester caps"


# --- 3. per prefix ---


async def test_a_sequential_burst_in_one_prefix_stops_at_its_distinct_numbers(setup: Setup) -> None:
    shield = setup.shield()
    for n in range(20):
        await shield.check(gb(7, n), requester=Requester(ip=f"10.0.0.{n}"))
    error = await refused(shield, gb(7, 20), requester=Requester(ip="10.0.1.1"))
    assert (error.reason, error.retry_after) == (ShieldReason.PREFIX_CAP, 3600.0)
    setup.clock.advance(60)
    assert (await shield.check(gb(7, 3))).allowed, "a number already seen in the prefix is not a new one"
    assert (await shield.check(gb(8, 20))).allowed, "the next prefix has its own"


# --- 4. country and number type ---


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("449012345678", ShieldReason.NUMBER_TYPE),  # premium rate
        ("448001234567", ShieldReason.NUMBER_TYPE),  # toll-free
        ("445512345678", ShieldReason.NUMBER_TYPE),  # UAN
        ("447640123456", ShieldReason.NUMBER_TYPE),  # pager
        ("447700900123", ShieldReason.INVALID_NUMBER),  # a range kept for drama: never a real number
        ("999123456789", ShieldReason.INVALID_NUMBER),  # no country code
    ],
)
async def test_ranges_that_pay_their_owner_and_numbers_that_cannot_exist_are_refused(
    setup: Setup, number: str, reason: ShieldReason
) -> None:
    error = await refused(setup.shield(), number)
    assert (error.reason, error.retry_after) == (reason, None), "waiting does not help"


async def test_the_allow_and_deny_lists_of_regions(setup: Setup) -> None:
    only_uk = setup.shield(ShieldRules(allowed_regions={"GB"}))
    assert (await only_uk.check(gb(0, 1))).country == "GB"
    assert (await refused(only_uk, de(0, 1))).reason == ShieldReason.COUNTRY
    no_germany = setup.shield(ShieldRules(denied_regions={"de"}))
    error = await refused(no_germany, de(0, 1))
    assert (error.reason, error.country) == (ShieldReason.COUNTRY, "DE")
    lenient = setup.shield(ShieldRules(refuse_invalid=False, refused_types=()))
    assert (await lenient.check("447700900123")).allowed
    assert (await lenient.check("449012345678")).allowed


# --- 5. the conversion breaker ---


async def test_a_prefix_whose_pins_are_never_verified_trips_half_opens_and_closes_on_a_verified_pin(
    setup: Setup,
) -> None:
    shield = setup.shield()
    for n in range(10):
        await shield.check(gb(9, n))
    setup.clock.advance(9 * 60)  # the sends are now older than the grace period, and none was verified
    error = await refused(shield, gb(9, 10))
    assert (error.reason, error.retry_after) == (ShieldReason.PREFIX_BREAKER, 1800.0)
    assert (await shield.check(gb(10, 1))).allowed, "the next prefix is not tripped"
    setup.clock.advance(1800)  # half-open: two probes
    await shield.check(gb(9, 11))
    await shield.check(gb(9, 12))
    error = await refused(shield, gb(9, 13))
    assert (error.reason, error.retry_after) == (ShieldReason.PREFIX_BREAKER, 300), "waits to see them verified"
    await shield.verified(gb(9, 12))
    assert (await shield.check(gb(9, 13))).allowed, "a verified probe closed it"


async def test_unverified_probes_trip_the_breaker_again_for_twice_as_long(setup: Setup) -> None:
    shield = setup.shield()
    for n in range(10):
        await shield.check(gb(9, n))
    setup.clock.advance(9 * 60)
    await refused(shield, gb(9, 10))
    setup.clock.advance(1800)
    await shield.check(gb(9, 11))
    await shield.check(gb(9, 12))
    setup.clock.advance(300)
    error = await refused(shield, gb(9, 13))
    assert (error.reason, error.retry_after) == (ShieldReason.PREFIX_BREAKER, 3600.0)


async def test_a_prefix_whose_pins_are_verified_never_trips(setup: Setup) -> None:
    shield = setup.shield()
    for round_ in range(4):
        for n in range(10):
            number = gb(9, round_ * 10 + n)
            await shield.check(number)
            if n % 3 == 0:
                await shield.verified(number)
        setup.clock.advance(3600)
    assert (await shield.check(gb(9, 99))).allowed


async def test_a_country_whose_pins_stop_being_verified_trips_its_own_breaker(setup: Setup) -> None:
    shield = setup.shield(ShieldRules(breaker=BreakerRules(min_sends=1000, min_country_sends=12)))
    for block in range(12):  # one number per prefix: no prefix ever knows
        await shield.check(de(block, 1))
    setup.clock.advance(10 * 60)
    error = await refused(shield, de(50, 1))
    assert (error.reason, error.country) == (ShieldReason.COUNTRY_BREAKER, "DE")
    assert (await shield.check(gb(0, 1))).allowed


# --- monitor mode ---


async def test_monitor_mode_reports_every_refusal_and_stops_nothing(setup: Setup) -> None:
    shield = setup.shield(mode="monitor")
    first = await shield.check(gb(0, 1))
    setup.clock.advance(10)
    second = await shield.check(gb(0, 1))
    assert first == ShieldDecision(None, "monitor", "sms", "GB")
    assert second.allowed
    assert not second.enforced
    assert (second.reason, second.retry_after) == (ShieldReason.NUMBER_COOLDOWN, 20.0)
    setup.clock.advance(25)
    third = await shield.check(gb(0, 1))
    assert third.reason == ShieldReason.NUMBER_COOLDOWN, "the second send went out, and counted"
    assert (await shield.check("449012345678")).reason == ShieldReason.NUMBER_TYPE


# --- nothing personal ---


async def test_no_number_ip_id_or_address_reaches_the_store_a_log_or_a_decision(
    setup: Setup, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    shield = setup.shield()
    number, address = "447400123456", "alice.personal@example.com"
    asker = Requester(ip="2001:db8:abcd:12::5", user_id="alice-user-id", session_id="sess-7731", device_id="dev-8842")
    seen: list[str] = []
    seen.append(repr(await shield.check(number, requester=asker)))
    await shield.sent("PIN-SECRET-ID-1", number)
    for attempt in (number, "449012345678"):
        try:
            seen.append(repr(await shield.check(attempt, requester=Requester(ip="203.0.113.99"))))
        except SendRefusedError as error:
            seen += [str(error), repr(error), repr(error.decision)]
    seen.append(repr(await shield.check(address, channel="email", requester=asker)))
    setup.clock.advance(40)
    seen.append(repr(await shield.check_resend("PIN-SECRET-ID-1", requester=asker)))
    await shield.verified(number)
    stored = await _everything_stored(shield)
    assert len(stored) > 500, "the store was read"
    personal = [number, number[2:], "7400123456", "2001:db8:abcd:12", "203.0.113.99", "alice-user-id", "sess-7731",
                "dev-8842", "alice.personal", "PIN-SECRET-ID-1", SECRET, "44740012"]  # fmt: skip
    for text in [stored, *seen, caplog.text, repr(shield), repr(asker)]:
        for value in personal:
            assert value not in text


async def _everything_stored(shield: Shield) -> str:
    """Every key and value the shield's store holds, as text."""
    store: Any = shield.store
    if isinstance(store, MemoryShieldStore):
        return repr(store._entries)
    redis = store._redis
    found = []
    async for key in redis.scan_iter(match=f"shield:{{{store.name}}}:*".replace("{", "\\{").replace("}", "\\}")):
        kind = (await redis.type(key)).decode()
        if kind == "zset":
            value = await redis.zrange(key, 0, -1, withscores=True)
        elif kind == "hash":
            value = await redis.hgetall(key)
        else:
            value = await redis.get(key)
        found.append(f"{key!r} {value!r}")
        assert await redis.pttl(key) > 0, "every key expires"
    return "\n".join(found)
