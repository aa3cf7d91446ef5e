"""The CRT Data Exchange JSON from the SYNTHETIC fixture metadata (tests/fixtures/crt, written by
make_synthetic.py after the documented structure): export the demo inventory, validate (a second
pass of the repairs changes nothing), read back, convert to IPCC 2006 and match every mass and
every notation key; primap2's own sums equal the CRT Summary 1; bad input is located and nothing
is written."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from carbonbridge.adapters.inventory_crt_categories import crt_conversion
from carbonbridge.adapters.inventory_crt_json import dumps, new_country_uid, read_json
from carbonbridge.domain.errors import ValidationFailed
from carbonbridge.domain.inventory.crt_metadata import build_catalog
from carbonbridge.domain.inventory.crt_rules import repair, validate
from carbonbridge.domain.inventory.notation import NotationKey
from carbonbridge.domain.inventory.records import EmissionRecord
from carbonbridge.services.inventory.crt import export_crt, read_crt, validate_crt

FIXTURES = Path(__file__).parents[2] / "fixtures" / "crt"
METADATA = FIXTURES / "synthetic_metadata.json"
PARTY = FIXTURES / "synthetic_party_export.json"
NOW = dt.datetime(2026, 3, 31, 12, 0, tzinfo=dt.UTC)
# Tolerance of 6 decimals in the variable's unit: kt -> 0.0005 t.
TOLERANCE_T = 0.5e-6 * 1000


@cache
def demo_records() -> tuple[EmissionRecord, ...]:
    import tempfile

    from carbonbridge.adapters.inventory_files import default_factor_table, read_national_data
    from carbonbridge.adapters.packs import load_pack
    from carbonbridge.domain.inventory.compile import compile_inventory
    from carbonbridge_demo.inventory import write_synthetic_inputs

    folder = Path(tempfile.mkdtemp(prefix="crt-demo-"))
    records = compile_inventory(
        read_national_data(write_synthetic_inputs(folder, seed=5)), load_pack(), default_factor_table()
    ).records
    # 3.C.8 (other) goes to the CRT LIST node 3.J, i.e. the Party's existing country-specific row.
    extra = [EmissionRecord("3.C.8", "CH4", y, 1234.5678 + y) for y in range(1990, 2024)]
    return (*records, *extra)


def demo_keys() -> list[NotationKey]:
    keys = []
    for y in range(1990, 2024):
        keys += [
            NotationKey("1.B.1.a", "CH4", y, ("NO",), "no coal mining in the country"),
            NotationKey("2.B.3", "N2O", y, ("NE",), "one plant, no data before the survey"),
            NotationKey(
                "1.A.3.a.ii",
                "CO2",
                y,
                ("IE",),
                "jet kerosene is in the road fuel statistics",
                included_in="1.A.3.b",
                allocation_by_ipcc="1.A.3.a.ii",
            ),
            NotationKey("3.C.7", "CH4", y, ("NO",), ""),
            NotationKey("3.D.1", "CO2", y, ("NE",), "harvested wood products not yet modelled"),
        ]
    return keys


def _close(a: float, b: float) -> bool:
    """Within 6 decimals of a kt (half a unit of the last decimal) plus float noise of the value."""
    return abs(a - b) <= TOLERANCE_T + 1e-12 * abs(b)


def _by_cell(records: Any) -> dict[tuple[str, str, int], float]:
    return {(r.category, r.gas, r.year): r.mass_t for r in records}


def test_the_demo_inventory_round_trips_with_every_mass_and_every_notation_key(tmp_path: Path) -> None:
    out = tmp_path / "BLR-CRT.json"
    result = export_crt(
        demo_records(), demo_keys(), metadata_path=METADATA, template_path=PARTY, output=out, now=NOW, source="demo"
    )
    assert result.numbers == len(demo_records())
    assert result.keys == len(demo_keys())
    assert result.kept_from_template == 1  # the Party's activity-data number is still there
    assert result.repairs == []
    assert validate_crt(out, METADATA)["valid"]
    back = read_crt(out, METADATA)
    want, got = _by_cell(demo_records()), _by_cell(back.records)
    assert set(got) == set(want)
    assert all(_close(got[k], want[k]) for k in want), max(abs(got[k] - want[k]) for k in want)
    assert sorted(back.keys, key=lambda k: (k.category, k.gas, k.year)) == sorted(
        demo_keys(), key=lambda k: (k.category, k.gas, k.year)
    )
    ie = next(k for k in back.keys if "IE" in k.keys)
    assert (ie.explanation, ie.included_in, ie.allocation_by_ipcc) == (
        "jet kerosene is in the road fuel statistics",
        "1.A.3.b",
        "1.A.3.a.ii",
    )
    assert back.skipped == 1  # the activity-data entry is not an emission


def test_the_written_file_is_a_fixed_point_of_the_repairs_and_keeps_the_tool_conventions(tmp_path: Path) -> None:
    out = tmp_path / "BLR-CRT.json"
    export_crt(demo_records(), demo_keys(), metadata_path=METADATA, template_path=PARTY, output=out, now=NOW)
    raw = out.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8")
    document, _ = read_json(out, what="test")
    metadata, _ = read_json(METADATA, what="test")
    catalog = build_catalog(metadata["Metadata"][0], document, metadata_file="m", party_file="p")
    assert validate(document, catalog, file=str(out)) == []
    again, changes = repair(document, catalog, new_country_uid)
    assert changes == [] and again == document
    years = [e["inventory_year"] for e in document["data"]["values"]]
    assert years == [str(y) for y in range(1990, 2024)]
    numbers = [
        v["value"]["value"] for e in document["data"]["values"] for v in e["values"] if v["value"]["type"] == "number"
    ]
    assert all("e" not in n.text.lower() for n in numbers if hasattr(n, "text"))
    written = re.findall(r'"value": (-?[0-9][0-9.eE+-]*)', text)
    assert len(written) > 1000 and not [n for n in written if "e" in n.lower()]
    calculated = {v["uid"] for v in metadata["Metadata"][0]["variable"] if v["is_calculated"]}
    written = {v["variable_uid"] for e in document["data"]["values"] for v in e["values"]}
    assert not written & calculated
    masks = {v["value"]["value"] for e in document["data"]["values"] for v in e["values"] if v["value"]["type"] == "NK"}
    assert masks == {2048, 1024, 32}


def test_a_sparse_series_with_flexibility_reports_fx_in_the_other_years(tmp_path: Path) -> None:
    records = [r for r in demo_records() if r.year in (2005, 2020, 2021)]
    fx_years = [y for y in range(1990, 2022) if y not in (2005, 2020, 2021)]
    out = tmp_path / "CHN-CRT.json"
    result = export_crt(
        records, [], metadata_path=METADATA, template_path=PARTY, output=out, now=NOW, fx_years=fx_years
    )
    pairs = {(r.category, r.gas) for r in records}
    assert result.keys == len(pairs) * len(fx_years)
    back = read_crt(out, METADATA)
    assert {k.keys for k in back.keys} == {("FX",)}
    assert {k.year for k in back.keys} == set(fx_years)
    assert {(k.category, k.gas) for k in back.keys} == pairs
    got, want = _by_cell(back.records), _by_cell(records)
    assert set(got) == set(want) and all(_close(got[k], want[k]) for k in want)


def test_primap2_sums_of_the_read_back_crt_values_equal_summary1(tmp_path: Path, primap2: Any) -> None:
    from primap2 import pm2io

    from carbonbridge.adapters.inventory_primap import write_interchange
    from carbonbridge.domain.inventory.crt_tables import summary1

    out = tmp_path / "BLR-CRT.json"
    export_crt(demo_records(), [], metadata_path=METADATA, template_path=PARTY, output=out, now=NOW)
    back = read_crt(out, METADATA)
    carriers = [
        EmissionRecord(v.category, v.gas, v.year, v.mass_t) for v in back.crt_values if v.gas in ("CO2", "CH4", "N2O")
    ]
    _, yaml_path = write_interchange(carriers, tmp_path / "crt", jurisdiction="BY", categorisation="CRT")
    dataset = pm2io.from_interchange_format(pm2io.read_interchange_format(yaml_path))
    tree = crt_conversion().tree
    # primap2 aggregates the leaves along the CRT tree, deepest parents first.
    parents = sorted((c for c in tree.children if not tree.is_memo(c)), key=lambda c: (-_depth(c, tree), c))
    agg = {code: [k for k in tree.children[code]] for code in parents}
    dataset = dataset.pr.add_aggregates_coordinates({"category (CRT)": agg}, min_count=1)
    year = 2023
    table = summary1(back.crt_values, back.crt_keys, tree, year, lambda g: 1.0, "none")
    header = table[0]
    rows = {row[0]: dict(zip(header, row, strict=True)) for row in table[1:]}
    checked = 0
    for code in ("0", "M.0.EL", "1", "2", "3", "4", "5"):
        for gas in ("CO2", "CH4", "N2O"):
            ours = rows[code][f"{gas} (kt)"]
            if ours == "":
                continue
            cell = (
                dataset[gas]
                .pint.to(f"t {gas} / yr")
                .pint.dequantify()
                .sel({"category (CRT)": code, "area (ISO3)": "BLR"})
                .sel(time=f"{year}-01-01")
                .squeeze()
            )
            assert float(cell) / 1000 == pytest.approx(ours, abs=1e-6), (code, gas)
            checked += 1
    assert checked >= 12


def _depth(code: str, tree: Any) -> int:
    return len(tree.ancestors(code))


def test_a_malformed_template_is_located_and_nothing_is_written(tmp_path: Path) -> None:
    bad = tmp_path / "party.json"
    bad.write_text('{"data": {"values": [\n  {"inventory_year": "2023",, }]}}\n', encoding="utf-8")
    out = tmp_path / "out.json"
    with pytest.raises(ValidationFailed) as caught:
        export_crt(demo_records()[:3], [], metadata_path=METADATA, template_path=bad, output=out, now=NOW)
    problem = caught.value.problems[0]
    assert (problem.file, problem.line) == (str(bad), 2) and problem.column is not None
    assert not out.exists() and list(tmp_path.iterdir()) == [bad]


def test_a_number_with_a_key_refuses_the_export_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    out.write_text("previous export\n", encoding="utf-8")
    keys = [NotationKey("1.A.1", "CO2", 2023, ("NO",), file="nk.csv", line=7)]
    with pytest.raises(ValidationFailed) as caught:
        export_crt(demo_records(), keys, metadata_path=METADATA, output=out, now=NOW)
    assert [(p.file, p.line, p.field) for p in caught.value.problems] == [("nk.csv", 7, "key")]
    assert out.read_text(encoding="utf-8") == "previous export\n"


def test_records_without_a_variable_are_located_by_category_gas_and_year(tmp_path: Path) -> None:
    records = [EmissionRecord("2.C.1", "CO2", 2023, 5.0), EmissionRecord("1.A.1", "CO2", 2023, 7.0)]
    with pytest.raises(ValidationFailed) as caught:
        export_crt(records, [], metadata_path=METADATA, output=tmp_path / "o.json", now=NOW, source="BY v2")
    assert [(p.file, p.field) for p in caught.value.problems] == [("BY v2", "2.C.1/CO2/2023")]
    assert "no emission variable for CRT 2.C.1 CO2" in caught.value.problems[0].message
    assert not (tmp_path / "o.json").exists()


def test_an_emission_on_a_variable_the_tool_calculates_is_refused() -> None:
    metadata, _ = read_json(METADATA, what="test")
    catalog = build_catalog(metadata["Metadata"][0], None, metadata_file="m", party_file="p")
    variable, why = catalog.resolve("1.A.3", "CO2")
    assert variable is None and "calculated by the ETF tool" in why


def _exported(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    out = tmp_path / "BLR-CRT.json"
    export_crt(demo_records(), demo_keys(), metadata_path=METADATA, template_path=PARTY, output=out, now=NOW)
    return out, json.loads(out.read_text(encoding="utf-8"))


def test_the_validator_names_the_record_and_field_that_break_each_rule(tmp_path: Path) -> None:
    _, doc = _exported(tmp_path)
    metadata = json.loads(METADATA.read_text(encoding="utf-8"))
    calculated = next(v["uid"] for v in metadata["Metadata"][0]["variable"] if v["is_calculated"])
    first = doc["data"]["values"][0]
    first["inventory_year"] = 1990
    values = first["values"]
    values[0]["variable_uid"] = "00000000-0000-4000-8000-000000000000"
    values[1]["value"]["type"] = "text"
    ne = next(i for i, v in enumerate(values) if v["value"]["type"] == "NK" and v["value"]["value"] == 1024)
    del values[ne]["comments"]
    values.append({"variable_uid": calculated, "value": {"type": "number", "value": 7.125}})
    values.append({"variable_uid": values[2]["variable_uid"], "value": {"type": "NK", "value": 4}})
    broken = tmp_path / "broken.json"
    broken.write_text(dumps(doc).replace('"value": 7.125', '"value": 7.125e-03', 1), encoding="utf-8")
    with pytest.raises(ValidationFailed) as caught:
        validate_crt(broken, METADATA)
    found = {(p.field, p.message.split("]")[0] + "]") for p in caught.value.problems}
    n = len(values)
    assert found == {
        ("data.values[0].inventory_year", "[year]"),
        ("data.values[0].values[0].variable_uid", "[unknown-variable]"),
        ("data.values[0].values[1].value.type", "[type]"),
        (f"data.values[0].values[{ne}].comments", "[nk-comment]"),
        (f"data.values[0].values[{n - 2}].value", "[calculated]"),
        (f"data.values[0].values[{n - 2}].value.value", "[number]"),
        (f"data.values[0].values[{n - 1}].variable_uid", "[duplicate-value]"),
        (f"data.values[0].values[{n - 1}].value.value", "[nk-mask]"),
    }
    assert all(p.file == str(broken) for p in caught.value.problems)


def test_repairs_nest_nodes_clone_grids_and_drop_calculated_values_and_then_change_nothing(tmp_path: Path) -> None:
    party = json.loads(PARTY.read_text(encoding="utf-8"))
    csd = party["country_specific_data"]
    other = csd["nodes"][0]
    child = {
        "uid": "aa" * 12,
        "parent_uid": other["uid"],
        "template_node_uid": other["template_node_uid"],
        "name": "Child row (synthetic)",
    }
    csd["nodes"].append(child)  # a country-specific child left at the root, without a grid
    metadata = json.loads(METADATA.read_text(encoding="utf-8"))
    calculated = next(v["uid"] for v in metadata["Metadata"][0]["variable"] if v["is_calculated"])
    party["data"]["values"][0]["values"].append({"variable_uid": calculated, "value": {"type": "number", "value": 2}})
    catalog = build_catalog(metadata["Metadata"][0], party, metadata_file="m", party_file="p")
    before = validate(party, catalog, file="p")
    assert {p.message.split("]")[0] + "]" for p in before} == {"[parents]", "[grids]", "[calculated]"}
    fixed, changes = repair(party, catalog, iter(f"{i:024x}" for i in range(1, 100)).__next__)
    assert len(changes) >= 4 and any("nested node" in c for c in changes) and any("grid" in c for c in changes)
    assert fixed["country_specific_data"]["nodes"][-1] == {"uid": child["uid"]}  # visibility reference
    catalog = build_catalog(metadata["Metadata"][0], fixed, metadata_file="m", party_file="p")
    assert validate(fixed, catalog, file="p") == []
    again, more = repair(fixed, catalog, new_country_uid)
    assert more == [] and again == fixed
    assert party["country_specific_data"]["nodes"][-1] is child  # the input was not changed


def test_totals_survive_the_round_trip_with_and_without_lulucf(tmp_path: Path) -> None:
    out, _ = _exported(tmp_path)
    back = read_crt(out, METADATA)
    from carbonbridge.domain.inventory.records import total_co2e_t

    for year in (1990, 2023):
        for lulucf in (True, False):
            a = total_co2e_t(demo_records(), year, "AR5GWP100", with_lulucf=lulucf)
            b = total_co2e_t(back.records, year, "AR5GWP100", with_lulucf=lulucf)
            assert math.isclose(a, b, abs_tol=len(demo_records()) * TOLERANCE_T * 300), (year, lulucf)


def test_more_than_six_decimals_is_a_problem_unless_six_would_round_the_value_to_zero(tmp_path: Path) -> None:
    from carbonbridge.domain.inventory.crt_rules import JsonNumber

    _, doc = _exported(tmp_path)
    metadata, _ = read_json(METADATA, what="test")
    catalog = build_catalog(metadata["Metadata"][0], doc, metadata_file="m", party_file="p")
    entries = doc["data"]["values"][0]["values"]
    numbers = [j for j, v in enumerate(entries) if v["value"]["type"] == "number"]
    entries[numbers[0]]["value"]["value"] = JsonNumber("1.1234567")
    entries[numbers[1]]["value"]["value"] = JsonNumber("0.00000001234")
    problems = validate(doc, catalog, file="f.json")
    assert [(p.field, p.message) for p in problems] == [
        (f"data.values[0].values[{numbers[0]}].value.value", "[number] 1.1234567 has 7 decimals; the tool keeps 6")
    ]


def test_a_bom_in_the_partys_export_is_dropped_but_a_bom_in_a_file_to_import_is_a_problem(tmp_path: Path) -> None:
    template = tmp_path / "party.json"
    template.write_bytes(b"\xef\xbb\xbf" + PARTY.read_bytes())
    out = tmp_path / "out.json"
    export_crt(demo_records()[:5], [], metadata_path=METADATA, template_path=template, output=out, now=NOW)
    assert not out.read_bytes().startswith(b"\xef\xbb\xbf")
    assert validate_crt(out, METADATA)["valid"]
    out.write_bytes(b"\xef\xbb\xbf" + out.read_bytes())
    with pytest.raises(ValidationFailed) as caught:
        validate_crt(out, METADATA)
    assert [(p.line, p.message[:10]) for p in caught.value.problems] == [(1, "[encoding]")]


def test_a_sector_export_writes_only_that_sectors_cells(tmp_path: Path) -> None:
    out = tmp_path / "BLR-CRT-LULUCF.json"
    result = export_crt(
        demo_records(),
        demo_keys(),
        metadata_path=METADATA,
        template_path=PARTY,
        output=out,
        now=NOW,
        sectors=["lulucf"],
    )
    back = read_crt(out, METADATA)
    assert {r.category for r in back.records} == {"3.B.1.a"}  # IPCC 3.B.1.a is CRT 4.A.1
    assert {k.category for k in back.keys} == {"3.D.1"}  # the NE of harvested wood products (CRT 4.G)
    assert result.numbers == sum(1 for r in demo_records() if r.category == "3.B.1.a")
    with pytest.raises(ValidationFailed, match="unknown sector 'forests'"):
        export_crt(demo_records(), [], metadata_path=METADATA, output=tmp_path / "x.json", now=NOW, sectors=["forests"])


def test_emission_entries_of_the_template_that_the_inventory_does_not_have_are_kept_and_named(tmp_path: Path) -> None:
    metadata = json.loads(METADATA.read_text(encoding="utf-8"))
    rail = next(
        v["uid"]
        for v in metadata["Metadata"][0]["variable"]
        if v["name"].startswith("[1.A.3.c. Railways]") and "[CO₂]" in v["name"]
    )
    party = json.loads(PARTY.read_text(encoding="utf-8"))
    party["data"]["values"][0]["values"].append({"variable_uid": rail, "value": {"type": "number", "value": 12.5}})
    template = tmp_path / "party.json"
    template.write_text(json.dumps(party), encoding="utf-8")
    out = tmp_path / "out.json"
    result = export_crt(
        [EmissionRecord("1.A.1", "CO2", 2023, 5.0)],
        [],
        metadata_path=METADATA,
        template_path=template,
        output=out,
        now=NOW,
    )
    assert result.kept_from_template == 2
    assert result.notes == [
        "1 emission entries of the template are not in this inventory and were kept as they "
        "were (check them in the ETF tool): 2023 1.A.3.c CO₂"
    ]
    back = read_crt(out, METADATA)
    assert {(r.category, r.year): r.mass_t for r in back.records} == {("1.A.1", 2023): 5.0, ("1.A.3.c", 2023): 12500.0}


def test_an_unknown_variable_in_the_template_is_located_in_the_template(tmp_path: Path) -> None:
    party = json.loads(PARTY.read_text(encoding="utf-8"))
    party["data"]["values"][0]["values"].append(
        {"variable_uid": "00000000-0000-4000-8000-00000000abcd", "value": {"type": "number", "value": 1}}
    )
    template = tmp_path / "party.json"
    template.write_text(json.dumps(party), encoding="utf-8")
    out = tmp_path / "out.json"
    with pytest.raises(ValidationFailed) as caught:
        export_crt(demo_records()[:3], [], metadata_path=METADATA, template_path=template, output=out, now=NOW)
    assert [(p.file, p.field) for p in caught.value.problems] == [
        (str(template), "data.values[0].values[1].variable_uid")
    ]
    assert "[unknown-variable] 00000000-0000-4000-8000-00000000abcd" in caught.value.problems[0].message
    assert not out.exists()


def test_a_co2_equivalent_value_of_a_gas_group_is_a_located_problem_when_read(tmp_path: Path) -> None:
    metadata = json.loads(METADATA.read_text(encoding="utf-8"))
    root = metadata["Metadata"][0]
    node = root["variable"][0]["node_uid"]
    uid = "0f0f0f0f-0000-4000-8000-000000000001"
    root["variable"].append(
        {
            "uid": uid,
            "node_uid": node,
            "is_calculated": False,
            "is_template": False,
            "name": "[1. Energy][no classification][Emissions][HFCs][no parameter][kt CO₂ equivalent]",
        }
    )
    meta = tmp_path / "meta.json"
    meta.write_text(json.dumps(metadata), encoding="utf-8")
    doc = {
        "data": {
            "values": [
                {"inventory_year": "2023", "values": [{"variable_uid": uid, "value": {"type": "number", "value": 3.5}}]}
            ]
        }
    }
    path = tmp_path / "f.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ValidationFailed) as caught:
        read_crt(path, meta)
    assert [(p.file, p.field) for p in caught.value.problems] == [(str(path), "data.values[0].values[0].value")]
    assert "has no GWP" in caught.value.problems[0].message
