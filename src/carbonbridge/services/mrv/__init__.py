"""MRV use cases: monitoring plans, activity and measured (CEMS) data import, annual reports and
their verification, the stateless calculation of a file, and the CEMS pipeline and receiver.

The modules: `plans` (monitoring plan versions), `imports` (activity data and hourly CEMS series
into storage), `reports` (versioned reports, verification; they speak the reports port in
`ports`), `queries` (read side for the API), `calc` (a file in, a file out, no storage), `cems`
(the continuous-monitoring data set: import, annual, quality) and `cems_receive` (the HJ 212
receiver)."""

from typing import TYPE_CHECKING

from carbonbridge.services._lazy import lazy_api

if TYPE_CHECKING:
    from carbonbridge.services.mrv.calc import CalcSummary, calculate_file
    from carbonbridge.services.mrv.imports import ImportedDataset, import_activity, import_cems
    from carbonbridge.services.mrv.plans import monitoring_plan, register_plan
    from carbonbridge.services.mrv.queries import PlanView, SourceStreamView, plan_versions
    from carbonbridge.services.mrv.reports import (
        ReportView,
        report_history,
        submit_report,
        verified_emissions,
        verify_report,
    )

__all__ = [
    "CalcSummary",
    "ImportedDataset",
    "PlanView",
    "ReportView",
    "SourceStreamView",
    "calculate_file",
    "import_activity",
    "import_cems",
    "monitoring_plan",
    "plan_versions",
    "register_plan",
    "report_history",
    "submit_report",
    "verified_emissions",
    "verify_report",
]

# Each name's module: imported when the name is first used (services/_lazy.py).
_HOME = {
    "CalcSummary": "calc",
    "ImportedDataset": "imports",
    "PlanView": "queries",
    "ReportView": "reports",
    "SourceStreamView": "queries",
    "calculate_file": "calc",
    "import_activity": "imports",
    "import_cems": "imports",
    "monitoring_plan": "plans",
    "plan_versions": "queries",
    "register_plan": "plans",
    "report_history": "reports",
    "submit_report": "reports",
    "verified_emissions": "reports",
    "verify_report": "reports",
}
__getattr__ = lazy_api(__name__, _HOME)
