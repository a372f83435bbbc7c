"""The abuse shield against a simulated day: legitimate logins mixed with SMS pumping and SMS bombing, under a
manual clock (a day runs in seconds).

    python benchmarks/abuse.py                            # 5,000 users, the shield in memory
    python benchmarks/abuse.py --redis redis://127.0.0.1:6379/0   # the same day on Redis too: round trips counted
    python benchmarks/abuse.py --users 800                # the size the test suite runs

Legitimate users: valid mobile numbers of every region phonenumbers knows (half of them in ten big countries),
generated from each region's example number and checked against the metadata; each logs in at a random time (some
twice), from its own IPv4 or IPv6 address or a carrier NAT shared by many. 80% type their PIN within a minute, 12%
ask for one resend first (after 30 to 120 s, as a login page's countdown allows), 8% never verify.

Attacks, each from rotating IPs with no user id:

1. a sequential-number burst: 2,000 consecutive numbers of one prefix in 10 minutes;
2. slow pumping: a send a minute all day (1,440) to random numbers of 3 prefixes, from 5,000 IPs;
3. a premium-rate range: 600 sends in 2 hours to premium-rate numbers of 6 countries;
4. one victim bombed: 500 sends to one number in an hour.

It drives the shield as a client would: ``check`` before a send, ``sent`` after it, ``check_resend`` before a
resend and ``verified`` after a PIN is typed in (the sends themselves are not simulated: the shield decides before
anything is built). Targets: at least 95% of attack sends stopped, at most 0.5% of legitimate sends refused, a
decision in memory under 50 µs (median), one Redis round trip per decision. Results go to
``results/<date>-abuse.json``; the Markdown table is printed for RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import heapq
import json
import random
import statistics
import sys
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from infobip_2fa_async.sandbox import ManualClock
from infobip_2fa_async.shield import MemoryShieldStore, Requester, SendRefusedError, Shield

HERE = Path(__file__).resolve().parent
DAY = 86400.0
BIG = ["US", "IN", "BR", "ID", "NG", "GB", "DE", "FR", "MX", "PH"]  # half the users
SECRET = "abuse-benchmark-secret-0123456789"
STATIC = ("invalid_number", "country", "number_type")  # the rules that need no counter


# --- numbers, from the metadata ---


def _e164(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)[1:]


def _varied(chance: random.Random, region: str, kind: int, digits: int, keep: Callable[[str], bool]) -> str | None:
    """A number of ``region`` and type ``kind``: its example with the last ``digits`` digits drawn at random."""
    example = phonenumbers.example_number_for_type(region, kind)
    if example is None:
        return None
    base = _e164(example)
    digits = min(digits, len(str(example.national_number)) - 2)  # short national numbers keep a leading digit
    for _ in range(40):
        candidate = base[:-digits] + "".join(chance.choice("0123456789") for _ in range(digits))
        number = phonenumbers.parse("+" + candidate)
        if phonenumbers.is_valid_number(number) and phonenumbers.number_type(number) == kind and keep(candidate):
            return candidate
    return None


def mobile_regions() -> list[str]:
    return [
        r
        for r in sorted(phonenumbers.SUPPORTED_REGIONS)
        if phonenumbers.example_number_for_type(r, PhoneNumberType.MOBILE)
    ]


def legit_numbers(chance: random.Random, count: int, avoid: set[str]) -> list[str]:
    regions = mobile_regions()
    found: list[str] = []
    while len(found) < count:
        region = chance.choice(BIG) if chance.random() < 0.5 else chance.choice(regions)
        number = _varied(chance, region, PhoneNumberType.MOBILE, 6, lambda n: n[:-4] not in avoid)
        if number is not None:
            found.append(number)
    return found


def block_of(chance: random.Random, region: str) -> str:
    """A prefix (all but the last 4 digits) of valid mobile numbers of ``region``."""
    number = _varied(chance, region, PhoneNumberType.MOBILE, 4, lambda n: True)
    assert number is not None, region
    return number[:-4]


# --- the day ---


class Day:
    """The events of one day, in time order, and what came of them."""

    def __init__(self, shield: Shield, clock: ManualClock) -> None:
        self.shield, self.clock = shield, clock
        self.start = clock.now  # the day's midnight: event times are seconds after it
        self.events: list[tuple[float, int, Callable[[], Awaitable[None]]]] = []
        self.order = 0
        self.timings: list[int] = []  # ns per decision
        self.decisions = 0
        self.pins = 0  # PINs sent (each one ``sent``: a SET on Redis)
        self.verifications = 0  # PINs typed in (each one ``verified``: a script call on Redis)
        self.legit = Counter[str]()
        self.attacks: dict[str, dict[str, Any]] = {}
        self.outcomes: list[str] = []

    def at(self, when: float, action: Callable[[], Awaitable[None]]) -> None:
        self.order += 1
        heapq.heappush(self.events, (when, self.order, action))

    async def decide(self, call: Awaitable[Any]) -> str | None:
        """One decision, timed: None when let through, else the refusal's reason."""
        self.decisions += 1
        started = time.perf_counter_ns()
        try:
            await call
            reason = None
        except SendRefusedError as refused:
            reason = refused.reason.value
        self.timings.append(time.perf_counter_ns() - started)
        self.outcomes.append(reason or "-")
        return reason

    async def verify(self, number: str) -> None:
        self.verifications += 1
        await self.shield.verified(number)

    async def run(self) -> None:
        while self.events:
            when, _, action = heapq.heappop(self.events)
            self.clock.now = self.start + when
            await action()

    # legitimate users

    def login(self, chance: random.Random, number: str, when: float, asker: Requester) -> None:
        async def send() -> None:
            self.legit["sends"] += 1
            reason = await self.decide(self.shield.check(number, requester=asker))
            if reason is not None:
                self.legit[f"refused: {reason}"] += 1
                return
            self.pins += 1
            pin_id = f"PIN-{self.pins}"
            await self.shield.sent(pin_id, number)
            behaviour = chance.random()
            if behaviour < 0.80:
                self.at(when + chance.uniform(5, 60), lambda: self.verify(number))
            elif behaviour < 0.92:
                self.at(when + chance.uniform(30, 120), lambda: resend(pin_id))

        async def resend(pin_id: str) -> None:
            self.legit["sends"] += 1
            reason = await self.decide(self.shield.check_resend(pin_id, requester=asker))
            if reason is not None:
                self.legit[f"refused: {reason}"] += 1
            elif chance.random() < 0.9:
                self.at(self.clock.now - self.start + chance.uniform(5, 60), lambda: self.verify(number))

        self.at(when, send)

    # attacks

    def attack(self, name: str, sends: list[tuple[float, str, Requester]]) -> None:
        record: dict[str, Any] = {"attempted": 0, "let_through": 0, "reasons": Counter[str](),
                                  "start": sends[0][0], "first_refused_after_s": None, "last_let_through_after_s": None,
                                  "let_through_before_first_refusal": 0}  # fmt: skip
        self.attacks[name] = record

        def one(when: float, number: str, asker: Requester) -> Callable[[], Awaitable[None]]:
            async def send() -> None:
                record["attempted"] += 1
                reason = await self.decide(self.shield.check(number, requester=asker))
                after = round(when - record["start"], 1)
                if reason is None:
                    record["let_through"] += 1
                    record["last_let_through_after_s"] = after
                    if record["first_refused_after_s"] is None:
                        record["let_through_before_first_refusal"] += 1
                    self.pins += 1
                    await self.shield.sent(f"PIN-{self.pins}", number)
                else:
                    record["reasons"][reason] += 1
                    if record["first_refused_after_s"] is None:
                        record["first_refused_after_s"] = after

            return send

        for when, number, asker in sends:
            self.at(when, one(when, number, asker))


def random_ip(chance: random.Random) -> str:
    return f"{chance.randrange(1, 224)}.{chance.randrange(256)}.{chance.randrange(256)}.{chance.randrange(1, 255)}"


def plan(day: Day, chance: random.Random, users: int) -> None:
    """Every login and every attack send of the day."""
    victim = _varied(chance, "ES", PhoneNumberType.MOBILE, 6, lambda n: True)
    assert victim is not None
    burst_block, pump_blocks = block_of(chance, "FR"), [block_of(chance, region) for region in ("LV", "LV", "LT")]
    attacked = {burst_block, *pump_blocks, victim[:-4]}
    nat = [random_ip(chance) for _ in range(50)]  # carrier NATs: many users behind each
    for number in legit_numbers(chance, users, attacked):
        first = chance.uniform(0, DAY - 600)
        for login in range(2 if chance.random() < 0.15 else 1):
            when = first if login == 0 else first + chance.uniform(4, 12) * 3600
            kind = chance.random()
            if kind < 0.7:
                ip = random_ip(chance)
            elif kind < 0.8:
                ip = chance.choice(nat)
            else:
                ip = f"2001:db8:{chance.randrange(65536):x}:{chance.randrange(65536):x}::1"
            user_id = f"user-{number[-6:]}" if chance.random() < 0.7 else None
            day.login(
                chance, number, min(when, DAY - 600), Requester(ip=ip, user_id=user_id, session_id=uuid.uuid4().hex)
            )

    def rotating() -> Requester:
        return Requester(ip=random_ip(chance), session_id=uuid.uuid4().hex)

    burst = [(3 * 3600 + i * 0.3, f"{burst_block}{i:04d}", rotating()) for i in range(2000)]
    pump_ips = [random_ip(chance) for _ in range(5000)]
    pumping = [(i * 60 + chance.uniform(0, 30), f"{chance.choice(pump_blocks)}{chance.randrange(10000):04d}",
                Requester(ip=chance.choice(pump_ips))) for i in range(1440)]  # fmt: skip
    premium_numbers = [
        number
        for region in ("GB", "DE", "FR", "IT", "AT", "LV")
        for _ in range(20)
        if (number := _varied(chance, region, PhoneNumberType.PREMIUM_RATE, 3, lambda n: True))
    ]
    premium = [(12 * 3600 + i * 12, chance.choice(premium_numbers), rotating()) for i in range(600)]
    bombing = [(18 * 3600 + i * 7.2, victim, rotating()) for i in range(500)]
    for name, sends in (("sequential burst", burst), ("slow pumping", pumping), ("premium-rate range", premium),
                        ("one victim bombed", bombing)):  # fmt: skip
        day.attack(name, sends)


async def simulate(users: int, seed: int, store: Any) -> dict[str, Any]:
    chance = random.Random(seed)
    clock = ManualClock(start=1_764_547_200.0)  # a midnight, UTC
    shield = Shield(store=store, secret=SECRET, clock=clock)
    day = Day(shield, clock)
    plan(day, chance, users)
    planned = time.perf_counter()
    await day.run()
    elapsed = time.perf_counter() - planned
    attacks = {}
    for name, record in day.attacks.items():
        record = dict(record)
        record["stopped_share"] = 1 - record["let_through"] / record["attempted"]
        record["reasons"] = dict(record["reasons"])
        del record["start"]
        attacks[name] = record
    legit_sends = day.legit["sends"]
    refused = sum(count for key, count in day.legit.items() if key.startswith("refused"))
    timings = sorted(day.timings)
    return {
        "users": users,
        "seconds": round(elapsed, 2),
        "decisions": day.decisions,
        "pins_sent": day.pins,
        "verifications": day.verifications,
        "decision_us": {
            "median": timings[len(timings) // 2] / 1000,
            "mean": statistics.mean(timings) / 1000,
            "p99": timings[int(len(timings) * 0.99)] / 1000,
        },
        "legitimate": {
            "sends": legit_sends,
            "refused": refused,
            "refused_share": refused / legit_sends,
            "reasons": {k[9:]: v for k, v in day.legit.items() if k.startswith("refused")},
        },
        "attacks": attacks,
        "attack_sends": sum(r["attempted"] for r in attacks.values()),
        "attack_let_through": sum(r["let_through"] for r in attacks.values()),
        "outcomes": day.outcomes,
    }


async def on_redis(url: str, users: int, seed: int) -> dict[str, Any]:
    """The same day on a RedisShieldStore; Redis's own count of the commands clients sent."""
    from redis.asyncio import Redis

    from infobip_2fa_async.redis import RedisShieldStore

    name = f"bench-{uuid.uuid4().hex}"
    async with Redis.from_url(url) as watcher, RedisShieldStore.from_url(url, name=name) as store:
        before = await watcher.info("commandstats")
        result = await simulate(users, seed, store)
        after = await watcher.info("commandstats")
        await store.reset()

    # Calls that failed do not count: the first EVALSHA of a script Redis has not seen answers NOSCRIPT and is sent
    # again as EVAL (redis-py's Script does it), once per script per server, not once per decision.
    def done(stats: dict[str, Any]) -> int:
        return int(stats.get("calls", 0)) - int(stats.get("failed_calls", 0)) - int(stats.get("rejected_calls", 0))

    calls = {key: done(after[key]) - done(before.get(key, {})) for key in after}
    scripts = calls.get("cmdstat_evalsha", 0) + calls.get("cmdstat_eval", 0)
    result["redis"] = {"script_calls": scripts, "sets": calls.get("cmdstat_set", 0), "store_calls": store.calls}
    return result


def table(result: dict[str, Any]) -> str:
    rows = ["| traffic | sends | let through | stopped | first refused after | last let through after | refused by |",
            "|---|---|---|---|---|---|---|"]  # fmt: skip
    for name, r in result["attacks"].items():
        reasons = ", ".join(f"{k} {v:,}" for k, v in sorted(r["reasons"].items(), key=lambda kv: -kv[1]))
        first = "-" if r["first_refused_after_s"] is None else f"{r['first_refused_after_s']:,.0f} s"
        last = "-" if r["last_let_through_after_s"] is None else f"{r['last_let_through_after_s']:,.0f} s"
        rows.append(f"| {name} | {r['attempted']:,} | {r['let_through']:,} | {r['stopped_share']:.1%} | {first} | "
                    f"{last} | {reasons} |")  # fmt: skip
    legit = result["legitimate"]
    reasons = ", ".join(f"{k} {v}" for k, v in legit["reasons"].items()) or "-"
    rows.append(f"| legitimate logins | {legit['sends']:,} | {legit['sends'] - legit['refused']:,} | "
                f"{legit['refused_share']:.2%} refused | | | {reasons} |")  # fmt: skip
    return "\n".join(rows)


def evaluate(result: dict[str, Any]) -> list[dict[str, Any]]:
    stopped = 1 - result["attack_let_through"] / result["attack_sends"]
    targets = [
        {"target": "attack sends stopped >= 95%", "value": f"{stopped:.1%}", "passed": stopped >= 0.95},
        {"target": "legitimate sends refused <= 0.5%", "value": f"{result['legitimate']['refused_share']:.2%}",
         "passed": result["legitimate"]["refused_share"] <= 0.005},
        {"target": "decision in memory < 50 µs (median)", "value": f"{result['decision_us']['median']:.1f} µs",
         "passed": result["decision_us"]["median"] < 50},
    ]  # fmt: skip
    if "redis" in result:
        per = result["redis"]["round_trips_per_decision"]
        targets.append(
            {"target": "one Redis round trip per decision that asks Redis", "value": f"{per:.3f}", "passed": per == 1}
        )
    return targets


def calibration() -> float:
    """This machine's speed, to compare runs: µs of CPU for a fixed pure-Python loop of a million steps."""
    started = time.process_time()
    total = 0
    for i in range(1_000_000):
        total += i % 7
    return round((time.process_time() - started) * 1e6)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--redis", help="also run the day on this Redis (redis://host:port/db)")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    options = parser.parse_args()
    result = asyncio.run(simulate(options.users, options.seed, MemoryShieldStore()))
    if options.redis:
        redis = asyncio.run(on_redis(options.redis, options.users, options.seed))
        # Redis's own counts of what clients sent: a verified PIN is one script call too, a sent PIN one SET
        counts = redis["redis"]
        result["redis"] = {
            **counts,
            "decisions": redis["decisions"],
            "seconds": redis["seconds"],
            "same_outcomes_as_memory": redis["outcomes"] == result["outcomes"],
            # a number refused for its type, country or validity is refused before the store is asked: no round trip
            "static_refusals": (static := sum(redis["outcomes"].count(r) for r in STATIC)),
            "round_trips_per_decision": (counts["script_calls"] - redis["verifications"])
            / (redis["decisions"] - static),
            "verified_script_calls": redis["verifications"],
            "sets_per_sent_pin": counts["sets"] / redis["pins_sent"],
        }
    del result["outcomes"]
    result["calibration_us"] = calibration()
    result["targets"] = evaluate(result)
    stamp = datetime.now(timezone.utc)
    result["date"] = stamp.strftime("%Y-%m-%d")
    result["command"] = "python benchmarks/abuse.py " + " ".join(sys.argv[1:])
    options.out.mkdir(parents=True, exist_ok=True)
    (options.out / f"{result['date']}-abuse.json").write_text(json.dumps(result, indent=2, default=str))
    print(table(result))
    print()
    timing = result["decision_us"]
    print(f"{result['decisions']:,} decisions in {result['seconds']} s; per decision in memory: median "
          f"{timing['median']:.1f} µs, mean {timing['mean']:.1f} µs, p99 {timing['p99']:.1f} µs "
          f"(this machine: {result['calibration_us']:,} µs for the calibration loop)")  # fmt: skip
    if "redis" in result:
        r = result["redis"]
        print(f"Redis: {r['decisions']:,} decisions ({r['static_refusals']:,} refused before asking Redis), "
              f"{r['round_trips_per_decision']:.3f} script calls per decision that asks it "
              f"(+{r['verified_script_calls']:,} for verified PINs, {r['sets']:,} SETs for sent PINs), "
              f"{r['seconds']} s, same outcomes as in memory: {r['same_outcomes_as_memory']}")  # fmt: skip
    for check in result["targets"]:
        print(f"{'PASS' if check['passed'] else 'FAIL'}  {check['target']}: {check['value']}")


if __name__ == "__main__":
    main()
