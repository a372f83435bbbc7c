"""The shield's parts that need no store: its decisions as plain functions over counters, what a number is, who asks,
what a refusal says, and the rules' ranges."""

from __future__ import annotations

import contextlib
import random

import phonenumbers
import pytest
from phonenumbers import PhoneNumber, PhoneNumberFormat, PhoneNumberType

from infobip_2fa_async import InfobipError, InvalidRequestError
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
from infobip_2fa_async.shield._decide import (
    BreakerParams,
    BreakerState,
    Check,
    Verdict,
    breaker_add,
    breaker_verdict,
    conclude,
    distinct_verdict,
    log_verdict,
)
from infobip_2fa_async.shield._numbers import NumberReader

MINUTE, HOUR = 60_000, 3_600_000  # the plain functions count in milliseconds

# --- decisions as plain functions ---


def test_a_log_refuses_inside_the_cooldown_and_says_how_long_to_wait() -> None:
    assert log_verdict([1_000], now=11_000, cooldown=30_000, caps=[]) == Verdict(1, 20_000)
    assert log_verdict([1_000], now=31_000, cooldown=30_000, caps=[]) == Verdict(0, 0)


def test_a_log_cap_waits_for_enough_sends_to_leave_the_window() -> None:
    times = [0, 10 * MINUTE, 20 * MINUTE]
    assert log_verdict(times, now=30 * MINUTE, cooldown=0, caps=[(3, HOUR)]) == Verdict(2, 30 * MINUTE)
    # two caps: the send waits for the later of the two
    assert log_verdict(times, now=30 * MINUTE, cooldown=0, caps=[(3, HOUR), (2, HOUR)]) == Verdict(2, 40 * MINUTE)
    assert log_verdict(times, now=HOUR + 1, cooldown=0, caps=[(3, HOUR)]) == Verdict(0, 0)


def test_a_number_already_seen_in_a_prefix_is_not_a_new_one() -> None:
    seen = {"a": 0, "b": MINUTE, "c": 2 * MINUTE}
    assert distinct_verdict(seen, "d", now=3 * MINUTE, caps=[(3, HOUR)]) == Verdict(1, HOUR - 3 * MINUTE)
    assert distinct_verdict(seen, "b", now=3 * MINUTE, caps=[(3, HOUR)]) == Verdict(0, 0)
    assert distinct_verdict(seen, "d", now=HOUR + 1, caps=[(3, HOUR)]) == Verdict(0, 0)


PARAMS = BreakerParams(grace=5 * MINUTE, buckets=72, min_sends=10, share=0.2, cool_off=30 * MINUTE,
                       max_cool_off=2 * HOUR, probes=2)  # fmt: skip


def _sends(state: BreakerState, at: int, count: int, *, verified: bool = False) -> None:
    for _ in range(count):
        breaker_add(state, at, PARAMS, verified=verified)


def test_a_breaker_judges_only_sends_older_than_the_grace_period() -> None:
    state = BreakerState()
    _sends(state, at=0, count=12)
    assert breaker_verdict(state, 6 * MINUTE, PARAMS) == (Verdict(0, 0), None), "their PINs may still be typed in"
    verdict, tripped = breaker_verdict(state, 10 * MINUTE, PARAMS)
    assert verdict == Verdict(1, 30 * MINUTE)
    assert tripped is not None
    assert tripped.open_until == 40 * MINUTE
    assert tripped.trips == 1


def test_a_breaker_stays_closed_while_enough_pins_are_verified() -> None:
    state = BreakerState()
    _sends(state, at=0, count=20)
    _sends(state, at=MINUTE, count=4, verified=True)
    assert breaker_verdict(state, 15 * MINUTE, PARAMS) == (Verdict(0, 0), None), "4 of 20 is the 20% asked for"


def test_a_tripped_breaker_half_opens_lets_probes_through_and_a_verified_pin_closes_it() -> None:
    state = BreakerState(open_until=30 * MINUTE, trips=1)
    assert breaker_verdict(state, 29 * MINUTE, PARAMS)[0] == Verdict(1, MINUTE)
    _sends(state, at=30 * MINUTE, count=2)  # the two probes
    assert breaker_verdict(state, 31 * MINUTE, PARAMS)[0] == Verdict(1, 4 * MINUTE), "waits to see them verified"
    breaker_add(state, 32 * MINUTE, PARAMS, verified=True)
    verdict, closed = breaker_verdict(state, 33 * MINUTE, PARAMS)
    assert verdict == Verdict(0, 0)
    assert closed is not None
    assert (closed.open_until, closed.trips) == (0, 0)


def test_unverified_probes_trip_it_again_for_twice_as_long_up_to_the_maximum() -> None:
    state = BreakerState(open_until=30 * MINUTE, trips=1)
    _sends(state, at=30 * MINUTE, count=2)
    verdict, again = breaker_verdict(state, 36 * MINUTE, PARAMS)
    assert verdict == Verdict(1, HOUR)
    assert again is not None
    assert again.trips == 2
    ninth = BreakerState(open_until=1, trips=9)
    _sends(ninth, at=1, count=2)
    _, longest = breaker_verdict(ninth, 6 * MINUTE, PARAMS)
    assert longest is not None
    assert longest.open_until - 6 * MINUTE == 2 * HOUR


def test_the_first_rule_in_order_names_the_refusal_and_the_longest_wait_counts() -> None:
    checks = [Check.of("number", "log", "n"), Check.of("ip", "log", "i"), Check.of("prefix", "distinct", "p")]
    assert conclude(checks, [Verdict(0, 0), Verdict(2, 5), Verdict(1, 9)]) == (ShieldReason.IP_CAP, 9)
    assert conclude(checks, [Verdict(1, 3), Verdict(0, 0), Verdict(0, 0)]) == (ShieldReason.NUMBER_COOLDOWN, 3)
    assert conclude(checks, [Verdict(2, 3), Verdict(0, 0), Verdict(0, 0)]) == (ShieldReason.NUMBER_CAP, 3)
    assert conclude(checks, [Verdict(0, 0)] * 3) == (None, None)


# --- what a number is ---


def _built(digits: str) -> PhoneNumber:
    for size in (1, 2, 3):
        if int(digits[:size]) in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            rest = digits[size:]
            number = PhoneNumber(country_code=int(digits[:size]), national_number=int(rest))
            zeros = len(rest) - len(rest.lstrip("0"))
            if zeros:
                number.italian_leading_zero, number.number_of_leading_zeros = True, zeros
            return number
    raise AssertionError(digits)


def test_numbers_are_read_as_phonenumbers_reads_them_in_every_region() -> None:
    """Region and type agree with phonenumbers' own functions on every region's example numbers of every type, and
    on numbers a few digits away from them (many of them invalid)."""
    types = [getattr(PhoneNumberType, name) for name in dir(PhoneNumberType) if name.isupper()]
    examples = [
        phonenumbers.format_number(example, PhoneNumberFormat.E164)[1:]
        for region in sorted(phonenumbers.SUPPORTED_REGIONS)
        for kind in types
        if (example := phonenumbers.example_number_for_type(region, kind)) is not None
    ] + [
        phonenumbers.format_number(example, PhoneNumberFormat.E164)[1:]
        for code in phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS
        if (example := phonenumbers.example_number_for_non_geo_entity(code)) is not None
    ]
    assert len(examples) > 1300
    chance = random.Random(19)
    numbers = examples + [
        example[:-k] + "".join(chance.choice("0123456789") for _ in range(k))
        for example in examples for k in (1, 3, 4)
    ]  # fmt: skip
    reader = NumberReader()
    names = {getattr(PhoneNumberType, name): name for name in dir(PhoneNumberType) if name.isupper()}
    for digits in numbers:
        facts = reader.read(digits, 4)
        number = _built(digits)
        kind = phonenumbers.number_type(number)
        assert facts.region == phonenumbers.region_code_for_number(number), digits
        assert facts.type == (None if kind == PhoneNumberType.UNKNOWN else names[kind]), digits


def test_a_prefix_is_the_number_without_its_last_digits_and_never_shorter_than_the_country_code() -> None:
    reader = NumberReader()
    assert reader.read("447400123456", 4).prefix == "44740012"
    assert reader.read("447400123456", 6).prefix == "447400"
    assert reader.read("6831234", 4).prefix == "6831", "Niue: four national digits, the prefix keeps one"
    assert reader.read("999123456", 4).country_code is None


# --- who asks, and what is said back ---


def test_a_requester_never_shows_its_identifiers() -> None:
    requester = Requester(ip="203.0.113.7", user_id="alice@example.com", session_id="", device_id=None)
    assert repr(requester) == "Requester(ip=<set>, user_id=<set>, session_id=None, device_id=None)"
    with pytest.raises(InvalidRequestError) as refused:
        Requester(ip="not-an-ip-10.1.2.3")
    assert "10.1.2.3" not in str(refused.value)


async def test_a_refusal_is_a_typed_error_that_names_the_rule_and_neither_number_nor_ip() -> None:
    clock = ManualClock()  # a real clock moves between the two checks and shortens the wait
    shield = Shield(secret="s3cret-s3cret-s3cret", clock=clock)
    await shield.check("+44 7400 123456", requester=Requester(ip="203.0.113.7"))
    with pytest.raises(SendRefusedError) as refused:
        await shield.check("+44 7400 123456", requester=Requester(ip="203.0.113.7"))
    error = refused.value
    assert isinstance(error, InfobipError)
    assert error.maybe_sent is False
    assert (error.reason, error.retry_after, error.country) == (ShieldReason.NUMBER_COOLDOWN, 30.0, "GB")
    assert error.reason == "number_cooldown", "a stable string to count and alert on"
    for text in (str(error), repr(error), repr(error.decision)):
        assert "7400" not in text
        assert "123456" not in text
        assert "203.0.113" not in text
        assert "s3cret" not in text
    assert repr(shield) == "Shield(mode='enforce', store=MemoryShieldStore)"


def test_every_reason_is_a_stable_string() -> None:
    assert {reason.value for reason in ShieldReason} == {
        "invalid_number", "country", "number_type", "number_cooldown", "number_cap", "ip_cap", "user_cap",
        "session_cap", "prefix_cap", "prefix_breaker", "country_breaker",
    }  # fmt: skip


def test_a_decision_says_whether_the_send_may_go() -> None:
    assert ShieldDecision(None, "enforce", "sms").allowed
    refused = ShieldDecision(ShieldReason.IP_CAP, "enforce", "sms", retry_after=3.0)
    assert not refused.allowed
    assert refused.enforced
    watched = ShieldDecision(ShieldReason.IP_CAP, "monitor", "sms")
    assert watched.allowed
    assert not watched.enforced


# --- the rules' ranges ---


@pytest.mark.parametrize(
    "build",
    [
        lambda: Cap(0, 60),
        lambda: Cap(5, 0.5),
        lambda: Cap(5, 40 * 86400),
        lambda: BreakerRules(grace=600, window=1200),
        lambda: BreakerRules(min_verified_share=1.5),
        lambda: BreakerRules(cool_off=600, max_cool_off=60),
        lambda: ShieldRules(refused_types={"PREMIUM"}),
        lambda: ShieldRules(allowed_regions="GB"),
        lambda: ShieldRules(number_caps=[5]),  # type: ignore[list-item]
        lambda: ShieldRules(prefix_tail=0),
        lambda: ShieldRules(number_cooldown=float("nan")),
    ],
)
def test_rules_a_store_cannot_hold_are_refused(build: object) -> None:
    with pytest.raises(InvalidRequestError):
        build()  # type: ignore[operator]


def test_rules_normalise_what_they_are_given() -> None:
    rules = ShieldRules(allowed_regions=["gb", "de"], number_caps=[Cap(3, 60)], refused_types=["premium_rate"])
    assert rules.allowed_regions == frozenset({"GB", "DE"})
    assert rules.number_caps == (Cap(3, 60),)
    assert rules.refused_types == frozenset({"PREMIUM_RATE"})
    assert hash(rules) == hash(ShieldRules(allowed_regions={"GB", "DE"}, number_caps=(Cap(3, 60),),
                                           refused_types={"PREMIUM_RATE"}))  # fmt: skip


def test_a_shield_needs_a_real_secret_and_a_known_mode() -> None:
    from infobip_2fa_async import ConfigurationError

    with pytest.raises(ConfigurationError):
        Shield(secret="short")
    with pytest.raises(ConfigurationError):
        Shield(mode="audit")  # type: ignore[arg-type]

    class Shared(MemoryShieldStore):
        shared = True

    with pytest.raises(ConfigurationError, match="secret="):
        Shield(store=Shared())


async def test_a_malformed_number_or_address_is_an_invalid_request_that_does_not_repeat_it() -> None:
    shield = Shield()
    with pytest.raises(InvalidRequestError) as refused:
        await shield.check("call me on 0800")
    assert "0800" not in str(refused.value)
    with pytest.raises(InvalidRequestError):
        await shield.check("no-at-sign.example.com", channel="email")
    with pytest.raises(InvalidRequestError):
        await shield.check("447400123456", channel="fax")  # type: ignore[arg-type]


async def test_the_memory_store_forgets_what_no_window_needs_any_more() -> None:
    """A day of 3,000 different numbers, IPs and prefixes, then two quiet days: the store holds only the last hour's
    entries, not the history (its memory follows the traffic of the longest window)."""
    from infobip_2fa_async.sandbox import ManualClock

    clock = ManualClock()
    shield = Shield(ShieldRules(breaker=None), clock=clock)  # no PIN is verified here: the breaker would trip
    for n in range(3000):
        clock.advance(28)
        await shield.check(f"447400{n % 100:02d}{n:04d}", requester=Requester(ip=f"10.{n % 250}.{n // 250}.1"))
    assert len(shield.store) > 6000  # type: ignore[arg-type]
    clock.advance(2 * 86400)
    for _ in range(6000):  # the store is swept as it is used
        with contextlib.suppress(SendRefusedError):
            await shield.check("447400123456")
    assert len(shield.store) < 10  # type: ignore[arg-type]
