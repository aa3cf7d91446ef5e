"""National inventory use cases: compile a submission from inventory files and verified MRV,
list, load and compare its versions, analyse it (key categories, uncertainty), publish it
(primap2, Summary 1, Table 10, charts) and exchange it in the CRT format.

The modules: `compile` (versions in storage), `from_mrv` (verified installation emissions as
inventory records), `analysis` (KCA and uncertainty without storage), `commands` (one function per
CLI command), `export` (the publications), `crt` (CRT Data Exchange JSON and tables) and `api`
(the same as bytes for the HTTP API)."""

from typing import TYPE_CHECKING

from carbonbridge.services._lazy import lazy_api

if TYPE_CHECKING:
    from carbonbridge.services.inventory.analysis import kca_report, uncertainty_report
    from carbonbridge.services.inventory.compile import (
        SubmissionView,
        compile_submission,
        diff_versions,
        load_submission,
        reconcile_with_mrv,
        submission,
        versions,
    )
    from carbonbridge.services.inventory.crt import export_crt, read_crt, validate_crt
    from carbonbridge.services.inventory.export import export_inventory
    from carbonbridge.services.inventory.from_mrv import mrv_records

__all__ = [
    "SubmissionView",
    "compile_submission",
    "diff_versions",
    "export_crt",
    "export_inventory",
    "kca_report",
    "load_submission",
    "mrv_records",
    "read_crt",
    "reconcile_with_mrv",
    "submission",
    "uncertainty_report",
    "validate_crt",
    "versions",
]

# Each name's module: imported when the name is first used (services/_lazy.py).
_HOME = {
    "SubmissionView": "compile",
    "compile_submission": "compile",
    "diff_versions": "compile",
    "export_crt": "crt",
    "export_inventory": "export",
    "kca_report": "analysis",
    "load_submission": "compile",
    "mrv_records": "from_mrv",
    "read_crt": "crt",
    "reconcile_with_mrv": "compile",
    "submission": "compile",
    "uncertainty_report": "analysis",
    "validate_crt": "crt",
    "versions": "compile",
}
__getattr__ = lazy_api(__name__, _HOME)
