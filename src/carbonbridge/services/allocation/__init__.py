"""Free allocation: plans from configuration and production data (`plan`), their posting to the
registry ex ante and at true-up (`posting`), and the decisions read back (`queries`).

What to withhold, take back or record as a debt, and the cap of the year's unit type, are
decided in `domain/allocation/posting.py`; `posting` reads the facts, calls it and stores."""

from carbonbridge.services.allocation.plan import (
    EX_ANTE,
    TRUE_UP,
    AllocationRun,
    PlanLine,
    Posting,
    caps,
    entitlements,
    plan,
    rules_version,
)
from carbonbridge.services.allocation.posting import (
    national_account,
    operator_accounts,
    outstanding_deductions,
    post_allocation,
)
from carbonbridge.services.allocation.queries import AllocationEntryView, entries_page

__all__ = [
    "EX_ANTE",
    "TRUE_UP",
    "AllocationEntryView",
    "AllocationRun",
    "PlanLine",
    "Posting",
    "caps",
    "entitlements",
    "entries_page",
    "national_account",
    "operator_accounts",
    "outstanding_deductions",
    "plan",
    "post_allocation",
    "rules_version",
]
