"""The compliance year of a jurisdiction: verified emissions entered in the registry
(`entries`), accounts blocked without them, every installation-year assessed (`year`).

The rules are decided in `domain/compliance` (assessment, blocking); these modules read the
facts from the registry and the allocation records, call the domain and store the outcome."""

from carbonbridge.services.compliance.entries import NOT_VERIFIED, compliance, enter_verified_emissions
from carbonbridge.services.compliance.year import (
    AssessmentView,
    assess_year,
    assessments,
    block_missing,
    enter_all,
    obligation_of,
)

__all__ = [
    "NOT_VERIFIED",
    "AssessmentView",
    "assess_year",
    "assessments",
    "block_missing",
    "compliance",
    "enter_all",
    "enter_verified_emissions",
    "obligation_of",
]
