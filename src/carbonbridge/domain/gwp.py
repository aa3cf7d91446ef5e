"""Global warming potentials from openscm-units' GWP contexts, guarded against silent NaN.

Sources (as packaged by openscm-units): AR4GWP100 = IPCC AR4 WG1 Ch 2 Table 2.14;
AR5GWP100 = IPCC AR5 WG1 Ch 8 Table 8.A.1 (no climate-carbon feedback); AR6GWP100 =
IPCC AR6 WG1 Ch 7 Table 7.SM.7. UNFCCC Decision 18/CMA.1 annex para 37 makes AR5 GWP100
the Paris reporting metric. openscm-units returns NaN for a gas a set lacks: we raise.

The values of single gases are read straight from the `globalwarmingpotentials` package (CC0),
the table openscm-units builds its contexts from: building those contexts takes seconds per
process, which `mrv calc` would pay for two numbers. Mixtures (which the table lacks and
openscm-units composes from their constituents) still go through openscm-units. A test pins
both paths to the same values.
"""

from __future__ import annotations

import math
from functools import cache

from carbonbridge.domain.errors import UnknownGas

GWP_SETS: tuple[str, ...] = ("AR4GWP100", "AR5GWP100", "AR6GWP100")
DEFAULT_GWP_SET = "AR5GWP100"

# openscm-units spells some gases differently from inventory tables.
_GAS_NAMES = {"HFC-134a": "HFC134a", "HFC-23": "HFC23", "HFC-32": "HFC32", "HFC-125": "HFC125"}


@cache
def gwp(gas: str, gwp_set: str = DEFAULT_GWP_SET) -> float:
    """t CO2e per t of `gas` under `gwp_set`; UnknownGas for a gas or set it does not define."""
    if gwp_set not in GWP_SETS:
        raise UnknownGas(f"unknown GWP set {gwp_set!r}; expected one of {', '.join(GWP_SETS)}")
    name = _GAS_NAMES.get(gas, gas)
    if name == "CO2":
        return 1.0
    published = _published(gwp_set).get(name)
    if published is not None:
        if math.isnan(published) or published <= 0:
            raise UnknownGas(f"gas {gas!r} has no GWP in {gwp_set} (the table gives {published})")
        return round(published, 6)
    return gwp_from_registry(gas, gwp_set)


@cache
def _published(gwp_set: str) -> dict[str, float]:
    import globalwarmingpotentials

    return {str(name): float(value) for name, value in globalwarmingpotentials.data.get(gwp_set, {}).items()}


def gwp_from_registry(gas: str, gwp_set: str) -> float:
    """`gwp` through openscm-units' conversion contexts (slow to build: mixtures need it)."""
    name = _GAS_NAMES.get(gas, gas)
    from carbonbridge.domain.units import _registry

    registry = _registry()
    try:
        with registry.context(gwp_set):
            value = float(registry.Quantity(1.0, f"t {name}").to("t CO2").magnitude)
    except Exception as exc:
        raise UnknownGas(f"gas {gas!r} has no GWP in {gwp_set}") from exc
    if math.isnan(value) or value <= 0:  # the guard the brief asks for
        raise UnknownGas(f"gas {gas!r} has no GWP in {gwp_set} (openscm-units gave {value})")
    # pint conversion leaves float noise (16100.000000000002); tables have <= 6 decimals.
    return round(value, 6)
