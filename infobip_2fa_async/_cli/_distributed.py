"""``infobip-2fa bulk-submit``, ``bulk-worker`` and ``bulk-report``: a bulk campaign split across machines through
Redis (the ``[redis]`` extra). The rows are the CSV ``bulk`` reads; the report is the journal ``bulk`` writes, with the
same summary and exit codes (see ``infobip_2fa_async.redis`` for what is stored and why no row is sent twice)."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from .._journal import EXIT_ALL_SENT
from ._bulk import EXIT_CODES, add_rate_options, read_rows, write_summary
from ._common import add_application_id, add_connection_options, add_message_id, print_line

__all__ = ["add_parsers"]


def _redis_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--redis", required=True, metavar="URL", help="the Redis holding campaigns, redis://host:6379/0"
    )
    command.add_argument("--campaign", required=True, help="the campaign's name, the same on every machine")


def add_parsers(commands: Any) -> None:
    """Register ``bulk-submit``, ``bulk-worker`` and ``bulk-report``."""
    submit = commands.add_parser("bulk-submit", help="load a CSV file into Redis as a campaign for bulk-worker")
    _redis_options(submit)
    submit.add_argument("--in", dest="input", required=True, metavar="CSV", help="a CSV file with a 'to' column")
    add_application_id(submit)
    add_message_id(submit)
    submit.add_argument("--channel", choices=("sms", "voice"), default="sms", help="how to send the PINs (default sms)")
    add_rate_options(submit)
    submit.set_defaults(run=run)

    worker = commands.add_parser("bulk-worker", help="send a campaign's rows; run it on any number of machines")
    _redis_options(worker)
    add_connection_options(worker, json_output=False)
    worker.add_argument("--concurrency", type=int, default=50, help="sends in flight at once (default 50)")
    worker.add_argument(
        "--lease", type=float, default=30.0,
        help="seconds a silent worker keeps its chunk before another takes it over (default 30)",
    )  # fmt: skip
    worker.set_defaults(run=run)

    report = commands.add_parser("bulk-report", help="write a campaign's journal, as bulk writes it", epilog=EXIT_CODES)
    _redis_options(report)
    report.add_argument("--out", required=True, metavar="JSONL", help="the journal to write")
    report.set_defaults(run=run)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run one of the distributed commands; a Redis that cannot be reached is a ConfigurationError naming it."""
    from redis.exceptions import RedisError

    from .._connection import redact_url
    from .._exceptions import ConfigurationError

    try:
        return asyncio.run(_run(args, out))
    except (RedisError, OSError) as error:
        raise ConfigurationError(
            f"cannot work with the Redis at {redact_url(args.redis)}: {type(error).__name__}: {error}"
        ) from None


async def _run(args: argparse.Namespace, out: TextIO) -> int:
    from redis.asyncio import Redis

    from ..redis import Row, report_campaign, run_worker, submit_campaign

    if args.command == "bulk-worker":
        tally = await run_worker(args.redis, args.campaign, concurrency=args.concurrency, lease=args.lease,
                                 api_key=args.api_key, base_url=args.base_url)  # fmt: skip
        print_line(out, f"This worker: {tally.line()}.")
        return EXIT_ALL_SENT
    redis = Redis.from_url(args.redis, socket_timeout=10, socket_connect_timeout=5)
    try:
        if args.command == "bulk-submit":
            source = Path(args.input)

            def rows() -> Iterator[Row]:
                for index, (line, row) in enumerate(read_rows(source)):
                    placeholders = {k: v for k, v in row.items() if k != "to" and k is not None and v}
                    yield Row(index, line, (row.get("to") or "").strip(), placeholders or None)

            total = await submit_campaign(redis, args.campaign, rows(), application_id=args.application_id,
                                          message_id=args.message_id, channel=args.channel, rate=args.rate,
                                          burst=args.burst)  # fmt: skip
            print_line(out, f"Campaign {args.campaign}: {total} rows submitted.")
            return EXIT_ALL_SENT
        tally = await report_campaign(redis, args.campaign, Path(args.out))
        write_summary(out, this_run=None, before=None, after=tally, journal=Path(args.out), bad_rows=[],
                      interrupted=False)  # fmt: skip
        return tally.exit_code(interrupted=False)
    finally:
        await redis.aclose()
