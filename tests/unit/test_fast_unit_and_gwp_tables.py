"""The fast tables for usual units and single-gas GWPs give exactly what pint / openscm-units give."""

from __future__ import annotations

import globalwarmingpotentials
import pytest

from carbonbridge.domain import units
from carbonbridge.domain.gwp import GWP_SETS, gwp, gwp_from_registry
from carbonbridge.domain.units import Dimension, UnitError, to_canonical, to_canonical_by_registry


@pytest.mark.parametrize("spelling", sorted(units._KNOWN))
def test_each_tabled_unit_converts_exactly_as_the_registry_does(spelling: str) -> None:
    assert units._KNOWN[spelling] == to_canonical_by_registry(spelling)


@pytest.mark.parametrize(
    ("unit", "expected"),
    [  # the spellings the README lists, by hand: SI prefixes, 1 t = 1000 kg, 1 MWh = 3.6 GJ
        ("t", (Dimension.MASS, 1.0)),
        ("kt", (Dimension.MASS, 1_000.0)),
        ("Gg", (Dimension.MASS, 1_000.0)),
        ("kg", (Dimension.MASS, 0.001)),
        ("Mt", (Dimension.MASS, 1_000_000.0)),
        ("tonnes", (Dimension.MASS, 1.0)),
        ("m3", (Dimension.VOLUME, 1.0)),
        ("thousand m3", (Dimension.VOLUME, 1_000.0)),
        ("million m3", (Dimension.VOLUME, 1_000_000.0)),
        ("10^4 m3", (Dimension.VOLUME, 10_000.0)),
        ("TJ", (Dimension.ENERGY, 1.0)),
        ("GJ", (Dimension.ENERGY, 0.001)),
        ("MJ", (Dimension.ENERGY, 0.000001)),
        ("MWh", (Dimension.ENERGY, 0.0036)),
    ],
)
def test_usual_spellings_take_the_table_and_agree_with_the_registry(unit: str, expected: object) -> None:
    assert to_canonical(unit) == expected
    assert to_canonical_by_registry(unit) == expected


def test_spellings_outside_the_table_still_go_through_the_registry() -> None:
    assert "lb" not in units._KNOWN
    dimension, factor = to_canonical("lb")  # avoirdupois pound = 0.45359237 kg
    assert dimension is Dimension.MASS
    assert factor == pytest.approx(0.00045359237, rel=1e-12)
    with pytest.raises(UnitError, match="ambiguous unit 'mt'"):
        to_canonical("mt")
    with pytest.raises(UnitError, match="unknown unit 'barrels of fun'"):
        to_canonical("barrels of fun")


@pytest.mark.parametrize("gwp_set", GWP_SETS)
def test_every_single_gas_gwp_read_from_the_table_equals_openscm_units(gwp_set: str) -> None:
    gases = sorted(globalwarmingpotentials.data[gwp_set])
    assert len(gases) > 50
    assert {g: gwp(g, gwp_set) for g in gases} == {g: gwp_from_registry(g, gwp_set) for g in gases}
