"""Which operator accounts to block after the emissions deadline.

Directive 2003/87/EC Art. 15 (as amended): an operator whose verified report of the previous
year's emissions is not in by the deadline (the jurisdiction's `deadlines.emissions`,
data/compliance/<CODE>.toml) may make no transfers until it is, so the registry blocks its
operator holding account (the EU registry rules, Commission Delegated Regulation (EU) 2019/1122;
the article was not re-read for this module). The first entry's local date counts: an entry
after the deadline is late even if a correction follows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping


def accounts_to_block(
    open_operator_accounts: Mapping[str, str], first_entered_on: Mapping[str, dt.date], deadline: dt.date
) -> list[str]:
    """The open operator accounts (installation -> account) whose installation had no verified
    emissions entered by `deadline` (local date of the first entry), in installation order."""
    return [
        account
        for inst, account in sorted(open_operator_accounts.items())
        if first_entered_on.get(inst, dt.date.max) > deadline
    ]
