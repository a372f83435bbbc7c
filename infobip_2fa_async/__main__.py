"""``python -m infobip_2fa_async``: the same as the ``infobip-2fa`` command."""

from ._cli import main

raise SystemExit(main())
