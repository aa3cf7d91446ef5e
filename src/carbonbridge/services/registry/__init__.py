"""The registry's use cases (Union Registry model): unit types, accounts, representatives and
trusted lists; transactions proposed, approved, cancelled and settled; the read side and the
checks of the ledger and its log. `import carbonbridge.services.registry as registry;
registry.propose(ledgers, request, now=...)`. (Verified emissions entered and an installation-year's
compliance record: `services.compliance`.) Transactions run on a `ports.Ledgers`
(adapters/db/registry/ledger.SqlLedgers, or testing/memory_ledger.MemoryLedgers)."""

from carbonbridge.services.registry.accounts import (
    add_representative,
    change_trusted,
    create_unit_type,
    open_account,
    reinstate_representative,
    set_account_state,
    set_cap,
)
from carbonbridge.services.registry.log import verify_log
from carbonbridge.services.registry.queries import check, holdings, serial_history, transaction
from carbonbridge.services.registry.transactions import issue, propose, propose_in_unit_of_work
from carbonbridge.services.registry.workflow import approve, cancel, settle_due

__all__ = [
    "add_representative",
    "approve",
    "cancel",
    "change_trusted",
    "check",
    "create_unit_type",
    "holdings",
    "issue",
    "open_account",
    "propose",
    "propose_in_unit_of_work",
    "reinstate_representative",
    "serial_history",
    "set_account_state",
    "set_cap",
    "settle_due",
    "transaction",
    "verify_log",
]
