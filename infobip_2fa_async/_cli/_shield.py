"""The abuse shield on the command line: ``--shield``, ``--shield-allow-countries`` and ``--shield-mode``, for
``send`` and ``bulk``.

The shield asked is ``Shield(ShieldRules(allowed_regions=..., breaker=None), mode=...)``, its counters in this
process: the default rules (a number's country, type and validity; its cool-down and caps; distinct numbers per
prefix) without the conversion breaker, which counts verified PINs and the command never sees them (a long bulk
run would trip it on its own sends). For one ``send``, a fresh process, only the rules that need no counter can
refuse; in a ``bulk`` run every rule counts over the run. Without phonenumberslite, any of the options is a usage
error naming the ``[shield]`` extra.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from typing import TYPE_CHECKING, TextIO

from .._exceptions import SendRefusedError
from .._hooks import Hook, SendRefused

if TYPE_CHECKING:
    from ..shield import Shield

__all__ = ["MonitorReport", "Refusals", "add_shield_options", "build_shield"]

_REGION = re.compile(r"[A-Z]{2}|001")
_EXTRA = "pip install 'infobip-2fa-async[shield]'"


def _regions(text: str) -> frozenset[str]:
    """An argparse type: region codes separated by commas (``GB,DE``; ``001`` for non-geographic numbers)."""
    codes = [code.strip().upper() for code in text.split(",") if code.strip()]
    if not codes or not all(_REGION.fullmatch(code) for code in codes):
        raise argparse.ArgumentTypeError(
            f"takes region codes separated by commas, such as GB,DE (001: non-geographic numbers), not {text!r}"
        )
    return frozenset(codes)


def add_shield_options(command: argparse.ArgumentParser) -> None:
    """``--shield``, ``--shield-allow-countries`` and ``--shield-mode``."""
    group = command.add_argument_group("abuse shield (the [shield] extra)")
    group.add_argument(
        "--shield", action="store_true",
        help="ask the abuse shield before each send, with its default rules (counters in this process, no conversion "
        "breaker); a refused send is not sent",
    )  # fmt: skip
    group.add_argument(
        "--shield-allow-countries", type=_regions, metavar="GB,DE,...",
        help="send only to numbers of these regions (001: non-geographic numbers); implies --shield",
    )  # fmt: skip
    group.add_argument(
        "--shield-mode", choices=("enforce", "monitor"),
        help="enforce (the default: refuse) or monitor (report what would be refused, and send it); implies --shield",
    )  # fmt: skip


def build_shield(args: argparse.Namespace, parser: argparse.ArgumentParser) -> Shield | None:
    """The shield the options ask for, or None when none of them was given; a usage error (exit 2) when
    phonenumberslite is missing or a region code is not one of its metadata's."""
    given = [name for name, value in (("--shield", args.shield), ("--shield-allow-countries",
             args.shield_allow_countries), ("--shield-mode", args.shield_mode)) if value]  # fmt: skip
    if not given:
        return None
    try:
        import phonenumbers

        from ..shield import Shield, ShieldRules

        regions = args.shield_allow_countries
        if regions is not None:
            unknown = sorted(regions - set(phonenumbers.SUPPORTED_REGIONS) - {"001"})
            if unknown:
                parser.error(f"argument --shield-allow-countries: unknown region codes: {','.join(unknown)}")
        return Shield(ShieldRules(allowed_regions=regions, breaker=None), mode=args.shield_mode or "enforce")
    except ImportError:
        parser.error(f"argument {given[0]}: the shield needs phonenumberslite: install the [shield] extra ({_EXTRA})")


class MonitorReport(Hook):
    """For ``send`` in monitor mode: one line on stderr (one JSON object with ``--json``) for a send the shield would
    have refused, which went out all the same. Never the number."""

    def __init__(self, err: TextIO, *, as_json: bool) -> None:
        self._err = err
        self._as_json = as_json

    def on_send_refused(self, event: SendRefused) -> None:
        """Write the line (the refusals of enforce mode are the error the command prints)."""
        if not event.monitor:
            return
        if self._as_json:
            told = {"reason": event.reason, "country": event.country, "mode": "monitor", "sent": True}
            self._err.write(json.dumps({"shield": told}) + "\n")
        else:
            self._err.write(
                f"infobip-2fa: the shield (monitor mode) would have refused this send (rule {event.reason}, country "
                f"{event.country or 'unknown'}); it was sent\n"
            )
        self._err.flush()


class Refusals:
    """For ``bulk``: the rows the shield refused (or in monitor mode would have), by rule, for the summary."""

    def __init__(self) -> None:
        self.refused: Counter[str] = Counter()
        self.would: Counter[str] = Counter()

    def note(self, error: object) -> None:
        """Count a row's error when the shield refused it."""
        if isinstance(error, SendRefusedError):
            self.refused[error.reason.value] += 1

    def lines(self) -> str:
        """What the summary says of them (nothing when there were none)."""
        text = ""
        if self.refused:
            text += (
                f"The shield refused {sum(self.refused.values())} rows ({_by_rule(self.refused)}): nothing was sent "
                'to them, and reruns do not send them (journaled "refused").\n'
            )
        if self.would:
            text += (
                f"The shield (monitor mode) would have refused {sum(self.would.values())} rows "
                f"({_by_rule(self.would)}); they were sent.\n"
            )
        return text


def _by_rule(counts: Counter[str]) -> str:
    return ", ".join(f"{reason} {count}" for reason, count in counts.most_common())
