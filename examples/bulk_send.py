"""Send a PIN to every row of a CSV file from your own code, with a journal that makes a rerun safe.

    python examples/bulk_send.py numbers.csv journal.jsonl APPLICATION_ID MESSAGE_ID

(the key and base URL from ``INFOBIP_API_KEY`` and ``INFOBIP_BASE_URL``; the CSV has a header line with a ``to``
column of phone numbers). ``infobip-2fa bulk`` does all this and
more; this is the same idea in a page, to adapt:

- the CSV is read lazily and ``send_many`` keeps at most ``2 x concurrency`` rows in memory;
- each row is journaled "taken" right before its request goes out (``before_send``), then with its outcome;
- a row the service answered without sending it (``MESSAGE_NOT_SENT``: the number lookup found it unreachable) is
  "not_sent", as in ``infobip-2fa bulk``, not "sent";
- a rerun skips rows sent or not sent, and holds back rows of unknown fate (taken with no outcome, or an error with
  ``maybe_sent``): nobody is texted twice. Failed rows (nothing was sent) are tried again.
"""

from __future__ import annotations

import asyncio
import csv
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from infobip_2fa_async import SendPinRequest, TwoFactorClient

USAGE = "usage: python examples/bulk_send.py numbers.csv journal.jsonl APPLICATION_ID MESSAGE_ID"


def read_journal(path: Path) -> dict[int, str]:
    """Each row's last status in the journal."""
    states: dict[int, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a line cut short by a crash
            states[entry["row"]] = entry["status"]
    return states


async def send_all(client: TwoFactorClient, csv_path: Path, journal_path: Path, application_id: str,
                   message_id: str, *, concurrency: int = 20) -> dict[str, int]:  # fmt: skip
    """Send what is left to send; return the counts of this run."""
    states = read_journal(journal_path)
    pending: dict[int, tuple[int, str]] = {}  # run index -> (CSV row, number), while the send is under way

    def requests() -> Iterator[SendPinRequest]:
        run_index = 0  # send_many numbers the requests it is given, from 0
        with csv_path.open(newline="") as source:
            for row, fields in enumerate(csv.DictReader(source)):
                if states.get(row) in ("sent", "not_sent", "taken", "unknown"):
                    continue  # sent, answered, or may have been sent: never texted twice
                pending[run_index] = (row, fields["to"])
                run_index += 1
                yield SendPinRequest(application_id, message_id, fields["to"])

    counts = {"sent": 0, "not_sent": 0, "failed": 0, "unknown": 0}
    journaled: set[int] = set()
    with journal_path.open("a") as journal:

        def write(entry: dict[str, Any]) -> None:
            journal.write(json.dumps(entry) + "\n")
            journal.flush()

        def taken(run_index: int, request: SendPinRequest) -> None:
            if run_index not in journaled:  # once: a retry after a 429 goes out under the same line
                journaled.add(run_index)
                row, to = pending[run_index]
                write({"row": row, "to": to, "status": "taken"})

        async for result in client.send_many(requests(), concurrency=concurrency, before_send=taken):
            row, to = pending.pop(result.index)
            journaled.discard(result.index)
            if result.result is not None:  # answered: sent, or MESSAGE_NOT_SENT
                status = "sent" if result.result.message_sent else "not_sent"
            else:
                assert result.error is not None
                status = "unknown" if result.error.maybe_sent else "failed"
            counts[status] += 1
            write({"row": row, "to": to, "status": status})
    return counts


async def main(argv: list[str]) -> int:
    if len(argv) != 4:
        print(USAGE, file=sys.stderr)
        return 2
    csv_path, journal_path, application_id, message_id = argv
    async with TwoFactorClient() as client:
        counts = await send_all(client, Path(csv_path), Path(journal_path), application_id, message_id)
    print(f"{counts['sent']} sent, {counts['not_sent']} not sent, {counts['failed']} failed, "
          f"{counts['unknown']} unknown (held back next time)")  # fmt: skip
    return 0 if counts["sent"] == sum(counts.values()) else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main(sys.argv[1:])))
