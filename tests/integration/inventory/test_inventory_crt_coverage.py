"""`crt coverage`: where each CRT category and gas of the inventory would go and which metadata rows
stay empty - on the SYNTHETIC fixture always, and on a real CRT_Metadata_v*.json when
CARBONBRIDGE_CRT_METADATA points to one (skipped with a notice otherwise; never committed)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from carbonbridge.domain.inventory.notation import NotationKey
from carbonbridge.domain.inventory.records import EmissionRecord
from carbonbridge.services.inventory.crt import crt_coverage, load_catalog

FIXTURES = Path(__file__).parents[2] / "fixtures" / "crt"
REAL = os.environ.get("CARBONBRIDGE_CRT_METADATA")


def test_coverage_names_what_has_no_variable_and_what_stays_empty() -> None:
    records = [
        EmissionRecord("1.A.1", "CO2", 2023, 1.0),
        EmissionRecord("2.C.1", "CO2", 2023, 1.0),
        EmissionRecord("1.A.3", "CO2", 2023, 1.0),
        EmissionRecord("3.C.8", "N2O", 2023, 1.0),
    ]
    keys = [NotationKey("2.B.3", "N2O", 2023, ("NE",), "no data")]
    report = crt_coverage(
        records,
        keys,
        metadata_path=FIXTURES / "synthetic_metadata.json",
        template_path=FIXTURES / "synthetic_party_export.json",
    )
    assert [(p["category"], p["gas"]) for p in report["placed"]] == [("1.A.1", "CO2"), ("2.B.3", "N2O"), ("3.J", "N2O")]
    assert [(u["category"], u["gas"]) for u in report["unplaced"]] == [("2.C.1", "CO2")]
    assert len(report["not_converted"]) == 1 and "1.A.3 " in report["not_converted"][0]
    empty = report["variables_without_number_or_key"]
    assert "[1.A.1. Energy industries][no classification][Emissions][CH₄][no parameter][kt]" in empty
    assert not any(name.startswith("[1.A.1.") and "[CO₂]" in name for name in empty)


@pytest.mark.skipif(not REAL, reason="set CARBONBRIDGE_CRT_METADATA to a real CRT_Metadata_v*.json to run")
def test_a_real_metadata_file_loads_and_the_demo_coverage_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    import tempfile

    from carbonbridge.adapters.inventory_files import default_factor_table, read_national_data
    from carbonbridge.adapters.packs import load_pack
    from carbonbridge.domain.inventory.compile import compile_inventory
    from carbonbridge_demo.inventory import write_synthetic_inputs

    path = Path(str(REAL))
    catalog = load_catalog(path, None, "")  # raises ValidationFailed on any unparsable variable name
    emission = [v for v in catalog.variables.values() if v.is_emission and v.code]
    assert emission, "no emission variable with a category code was found in the metadata"
    folder = Path(tempfile.mkdtemp(prefix="crt-real-"))
    records = compile_inventory(
        read_national_data(write_synthetic_inputs(folder, seed=5)), load_pack(), default_factor_table()
    ).records
    report = crt_coverage(records, [], metadata_path=path)
    with capsys.disabled():
        print(f"\n{path.name}: {len(catalog.variables)} variables, {len(emission)} emission variables")
        print(f"demo: {len(report['placed'])} placed, {len(report['unplaced'])} without a variable")
        for u in report["unplaced"]:
            print(f"  {u['category']} {u['gas']}: {u['reason']}")
