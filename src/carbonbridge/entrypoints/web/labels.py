"""Translatable names of the registry's states, types and statuses (marked for extraction; the
templates translate them when they show them)."""

from __future__ import annotations

from carbonbridge.entrypoints.web.i18n import N_

STATE_NAMES = {
    "proposed": N_("proposed"),
    "approved": N_("approved"),
    "delayed": N_("delayed"),
    "checked": N_("checked"),
    "completed": N_("completed"),
    "terminated": N_("terminated"),
}
TYPE_NAMES = {
    "issuance": N_("issuance"),
    "allocation": N_("allocation"),
    "transfer": N_("transfer"),
    "surrender": N_("surrender"),
    "deletion": N_("deletion"),
    "cancellation": N_("cancellation"),
    "reversal": N_("reversal"),
    "return": N_("return"),
}
ACCOUNT_TYPES = {
    "national_holding": N_("national holding account"),
    "operator_holding": N_("operator holding account"),
    "trading": N_("trading account"),
    "person_holding": N_("person holding account"),
    "auction_delivery": N_("auction delivery account"),
    "deletion": N_("deletion account"),
    "market_stability_reserve": N_("market stability reserve"),
    "link_transit": N_("link transit account"),
    "issuance": N_("issuance account"),
}
ACCOUNT_STATES = {
    "open": N_("open"),
    "blocked": N_("blocked"),
    "suspended": N_("suspended"),
    "closed": N_("closed"),
}
COMPLIANCE_STATUS = {
    "A": N_("A: surrendered at least the verified emissions"),
    "B": N_("B: surrendered fewer units than the verified emissions"),
    "C": N_("C: no verified emissions entered"),
}
JURISDICTION_NAMES = {
    "BY": N_("Republic of Belarus"),
    "CN": N_("People's Republic of China"),
}
