"""``infobip-2fa bulk-submit``, ``bulk-worker`` and ``bulk-report``: a bulk campaign split across machines through
Redis (the ``[redis]`` extra). The rows are the CSV ``bulk`` reads; the report is the journal ``bulk`` writes, with the
same summary and exit codes (see ``infobip_2fa_async.redis`` for what is stored and why no row is sent twice).

Nothing reaches Redis before the arguments and the input are checked: a bad number is a usage error (exit 2), and
``bulk-submit`` reads the whole CSV file first, so a file it cannot use (missing, a directory, no ``to`` column, not
UTF-8 somewhere) is one line on stderr and exit 1, with no campaign created. A worker or a report that finds the
campaign's submission incomplete says so and exits non-zero.
"""

from __future__ import annotations

import argparse
import asyncio
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from .._journal import EXIT_ALL_SENT, EXIT_ERROR, EXIT_FAILED
from ._bulk import (
    EXIT_CODES,
    MAX_CONCURRENCY,
    InputFileError,
    add_rate_options,
    read_rows,
    whole_number,
    write_summary,
)
from ._common import add_application_id, add_connection_options, add_message_id, base_url, print_line

if TYPE_CHECKING:
    from ..redis import Row

__all__ = ["add_parsers"]

Run = Callable[[argparse.Namespace, TextIO, TextIO], int]


def _seconds(low: float, high: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
        if math.isnan(value) or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be a number of seconds from {low:g} to {high:g}, not {text}")
        return value

    return parse


def _redis_url(text: str) -> str:
    """An argparse type: a URL redis-py can connect to (a usage error otherwise, before anything is tried)."""
    if text.partition("://")[0].lower() not in ("redis", "rediss", "unix", "redis+cluster", "rediss+cluster"):
        raise argparse.ArgumentTypeError(
            "must be a redis://, rediss://, unix://, redis+cluster:// or rediss+cluster:// URL, e.g. "
            "redis://host:6379/0"
        )
    return text


def _redis_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--redis", required=True, metavar="URL", type=_redis_url,
        help="the Redis holding campaigns: redis://host:6379/0, rediss://... (TLS; ?ssl_ca_certs=ca.pem), "
        "redis+cluster://node:7000 (a Redis Cluster)",
    )  # fmt: skip
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
    submit.set_defaults(run=_runner(submit))

    worker = commands.add_parser("bulk-worker", help="send a campaign's rows; run it on any number of machines")
    _redis_options(worker)
    add_connection_options(worker, json_output=False, insecure_http=True)
    worker.add_argument(
        "--concurrency",
        type=whole_number(1, MAX_CONCURRENCY),
        default=50,
        help=f"sends in flight at once, 1 to {MAX_CONCURRENCY} (default 50)",
    )
    worker.add_argument(
        "--lease", type=_seconds(1, 86_400), default=30.0,
        help="seconds a silent worker keeps its chunk before another takes it over, 1 to 86400 (default 30)",
    )  # fmt: skip
    worker.set_defaults(run=_runner(worker))

    report = commands.add_parser("bulk-report", help="write a campaign's journal, as bulk writes it", epilog=EXIT_CODES)
    _redis_options(report)
    report.add_argument("--out", required=True, metavar="JSONL", help="the journal to write")
    report.set_defaults(run=_runner(report))


def _runner(parser: argparse.ArgumentParser) -> Run:
    """The command's ``run``, with its parser at hand for usage errors found after parsing."""

    def run_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
        return run(args, out, err, parser)

    return run_command


def run(args: argparse.Namespace, out: TextIO, err: TextIO, parser: argparse.ArgumentParser) -> int:
    """Run one of the distributed commands, once the arguments and the input file are checked; a Redis that cannot
    be reached is a ConfigurationError naming it, a file that cannot be read or written one line naming the file."""
    from redis.exceptions import RedisClusterException, RedisError

    from .._connection import redact_url
    from .._exceptions import ConfigurationError

    try:
        if args.command == "bulk-submit":
            _check_rate(args, parser)
            args.expected = sum(1 for _ in read_rows(Path(args.input)))
        return asyncio.run(_run(args, out))
    except InputFileError as error:
        err.write(f"infobip-2fa: error: {error}\n")
        err.flush()
        return EXIT_ERROR
    except OSError as error:
        if error.filename is None:
            raise ConfigurationError(
                f"cannot work with the Redis at {redact_url(args.redis)}: {type(error).__name__}: {error}"
            ) from None
        err.write(f"infobip-2fa: error: cannot write {error.filename}: {error.strerror or error}\n")
        err.flush()
        return EXIT_ERROR
    except (RedisError, RedisClusterException) as error:  # a cluster no node of which answers: not a RedisError
        raise ConfigurationError(
            f"cannot work with the Redis at {redact_url(args.redis)}: {type(error).__name__}: {error}"
        ) from None


def _check_rate(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    """The campaign's rate and burst within what its shared gate can hold (exit 2 otherwise, like argparse)."""
    from .._exceptions import InvalidRequestError
    from ..redis._gate import check_shared_rate

    if args.burst is not None and args.rate is None:
        parser.error("argument --burst: applies to a rate: give --rate too, or leave --burst out")
    try:
        check_shared_rate(args.rate, args.burst)
    except InvalidRequestError as error:
        parser.error(f"argument --{error.argument}: {error.problem}")


def _rows(path: Path, expected: int) -> Iterator[Row]:
    """The rows to submit, read again; InputFileError if the file changed since it was checked."""
    from ..redis import Row

    count = 0
    for index, (line, row) in enumerate(read_rows(path)):
        placeholders = {k: v for k, v in row.items() if k != "to" and k is not None and v}
        yield Row(index, line, (row.get("to") or "").strip(), placeholders or None)
        count += 1
    if count != expected:
        raise InputFileError(f"{path} changed while it was submitted ({expected} rows, then {count}): submit again")


async def _run(args: argparse.Namespace, out: TextIO) -> int:
    from ..redis import connect, report_campaign, run_worker, submit_campaign

    if args.command == "bulk-worker":
        from .._exceptions import QuotaExceededError
        from .._journal import EXIT_QUOTA

        try:
            tally = await run_worker(args.redis, args.campaign, concurrency=args.concurrency, lease=args.lease,
                                     api_key=args.api_key, base_url=base_url(args),
                                     allow_insecure_http=args.allow_insecure_http)  # fmt: skip
        except QuotaExceededError as quota:
            print_line(out, f"This worker stopped: the application's quota is spent ({quota}); the rows not tried "
                            f"are left for a worker started after {quota.resets_at.isoformat()}.")  # fmt: skip
            return EXIT_QUOTA
        print_line(out, f"This worker: {tally.line()}.")
        await _check_complete(args)
        return EXIT_ALL_SENT
    redis = connect(args.redis, timeout=10, connect_timeout=5)
    try:
        if args.command == "bulk-submit":
            rows = _rows(Path(args.input), args.expected)
            total = await submit_campaign(redis, args.campaign, rows, application_id=args.application_id,
                                          message_id=args.message_id, channel=args.channel, rate=args.rate,
                                          burst=args.burst, expected=args.expected)  # fmt: skip
            print_line(out, f"Campaign {args.campaign}: {total} rows submitted.")
            return EXIT_ALL_SENT
        from ..redis import Campaign

        tally = await report_campaign(redis, args.campaign, Path(args.out))
        submission = await Campaign(redis, args.campaign).submission()
        write_summary(out, this_run=None, before=None, after=tally, journal=Path(args.out), bad_rows=[],
                      interrupted=False)  # fmt: skip
        code = tally.exit_code(interrupted=False)
        if submission is not None and not submission.complete:
            print_line(out, f"Not every row was submitted: {submission.describe()}.")
            return code or EXIT_FAILED
        return code
    finally:
        await redis.aclose()


async def _check_complete(args: argparse.Namespace) -> None:
    """After a worker: ConfigurationError (exit 1) if it stopped because the campaign's submission is incomplete."""
    from .._exceptions import ConfigurationError
    from ..redis import Campaign, connect

    redis = connect(args.redis, timeout=10, connect_timeout=5)
    try:
        submission = await Campaign(redis, args.campaign).submission()
    finally:
        await redis.aclose()
    if submission is None:
        raise ConfigurationError(
            f"campaign {args.campaign!r} was withdrawn while this worker ran: its submission failed before any of "
            "its rows was sent; submit it again"
        )
    if not submission.complete:
        raise ConfigurationError(f"{submission.describe()}; this worker sent what was loaded")
