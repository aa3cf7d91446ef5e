"""Unit parsing and conversion to canonical units (t, m3, TJ) through pint + openscm-units.

Canonical units keep every formula in one place: activity in t (mass), m3 (volume at
reference conditions) or TJ (energy); NCV in TJ per canonical activity unit; emission
factors in t gas per TJ or per t; carbon content in t C per TJ or per t. pint is imported
lazily so that `carbonbridge --help` stays fast, and the usual spellings (`_KNOWN`) are
converted without it, so that `mrv calc` does not build the registry at all.
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import cache
from typing import Any

from carbonbridge.domain.errors import CarbonBridgeError


class UnitError(CarbonBridgeError):
    """A unit string that cannot be parsed, or one of the wrong dimension."""


class Dimension(StrEnum):
    MASS = "mass"
    VOLUME = "volume"
    ENERGY = "energy"


CANONICAL = {Dimension.MASS: "t", Dimension.VOLUME: "m3", Dimension.ENERGY: "TJ"}

# Spellings that pint would misread (Mm3 = cubic megametre) or not know at all.
_ALIASES = {
    "thousand m3": "thousand_m3",
    "thousand nm3": "thousand_m3",
    "1000 m3": "thousand_m3",
    "10^3 m3": "thousand_m3",
    "10**3 m3": "thousand_m3",
    "th m3": "thousand_m3",
    "million m3": "million_m3",
    "million nm3": "million_m3",
    "10^6 m3": "million_m3",
    "10**6 m3": "million_m3",
    "mln m3": "million_m3",
    "10^4 m3": "ten_thousand_m3",
    "10^4 nm3": "ten_thousand_m3",
    "m3": "meter**3",
    "nm3": "meter**3",
    "m^3": "meter**3",
    "m**3": "meter**3",
    "tonne": "t",
    "tonnes": "t",
    "ton": "t",
}
# Spellings pint reads one way and people write meaning another: 'mt' is a millitonne (1 kg) to
# pint but 'metric ton' on many spreadsheets - a silent factor of 1000. Refuse them.
_AMBIGUOUS = {"mt": "'mt' is a millitonne (1 kg) in SI but often means metric tonne; write t or kg"}
_GAS_SUFFIX = re.compile(r"\s*(CO2e?|CH4|N2O|C)\s*$")
# The usual spellings (after `_normalise`) with their dimension and factor to the canonical unit:
# SI prefixes (SI Brochure, 9th ed., Table 7), 1 t = 10^3 kg, 1 Wh = 3,600 J. These never need
# the unit registry, whose construction (openscm-units' gases and contexts) costs seconds per
# process; any other spelling goes through pint. A test pins every entry to pint's own answer.
_KNOWN: dict[str, tuple[Dimension, float]] = {
    "g": (Dimension.MASS, 1e-06),
    "kg": (Dimension.MASS, 0.001),
    "t": (Dimension.MASS, 1.0),
    "Mg": (Dimension.MASS, 1.0),
    "kt": (Dimension.MASS, 1000.0),
    "Gg": (Dimension.MASS, 1000.0),
    "Mt": (Dimension.MASS, 1000000.0),
    "Tg": (Dimension.MASS, 1000000.0),
    "meter**3": (Dimension.VOLUME, 1.0),
    "thousand_m3": (Dimension.VOLUME, 1000.0),
    "ten_thousand_m3": (Dimension.VOLUME, 10000.0),
    "million_m3": (Dimension.VOLUME, 1000000.0),
    "J": (Dimension.ENERGY, 1e-12),
    "kJ": (Dimension.ENERGY, 1e-09),
    "MJ": (Dimension.ENERGY, 1e-06),
    "GJ": (Dimension.ENERGY, 0.001),
    "TJ": (Dimension.ENERGY, 1.0),
    "PJ": (Dimension.ENERGY, 1000.0),
    "Wh": (Dimension.ENERGY, 3.6e-09),
    "kWh": (Dimension.ENERGY, 3.6e-06),
    "MWh": (Dimension.ENERGY, 0.0036),
    "GWh": (Dimension.ENERGY, 3.6),
    "TWh": (Dimension.ENERGY, 3600.0),
}


@cache
def _registry() -> Any:
    from openscm_units import ScmUnitRegistry

    registry = ScmUnitRegistry()
    registry.add_standards()
    registry.define("thousand_m3 = 1000 * meter ** 3")
    registry.define("ten_thousand_m3 = 10000 * meter ** 3")
    registry.define("million_m3 = 1000000 * meter ** 3")
    return registry


def _normalise(text: str) -> str:
    cleaned = " ".join(text.replace("³", "3").replace("\u00a0", " ").split())
    return _ALIASES.get(cleaned.lower(), cleaned)


_DIMENSIONALITY = {
    Dimension.MASS: "[mass]",
    Dimension.VOLUME: "[length] ** 3",
    Dimension.ENERGY: "[mass] * [length] ** 2 / [time] ** 2",
}


@cache
def dimension_of(unit: str) -> Dimension:
    """The dimension (mass, volume or energy) of an activity unit, or UnitError."""
    known = _KNOWN.get(_normalise(unit))
    if known is not None:
        return known[0]
    return _dimension_by_registry(unit)


def _dimension_by_registry(unit: str) -> Dimension:
    quantity = _parse(unit)
    for dimension in Dimension:
        if quantity.check(_DIMENSIONALITY[dimension]):
            return dimension
    raise UnitError(f"unit {unit!r} is not a mass, volume or energy unit")


@cache
def _parse(unit: str) -> Any:
    registry = _registry()
    text = _normalise(unit)
    if not text:
        raise UnitError("empty unit")
    if text in _AMBIGUOUS:
        raise UnitError(f"ambiguous unit {unit!r}: {_AMBIGUOUS[text]}")
    try:
        return registry.Quantity(1.0, text)
    except Exception as exc:  # pint raises several unrelated types for bad input
        raise UnitError(f"unknown unit {unit!r}") from exc


@cache
def to_canonical(unit: str) -> tuple[Dimension, float]:
    """(dimension, factor) such that value [unit] * factor = value [canonical unit]."""
    known = _KNOWN.get(_normalise(unit))
    if known is not None:
        return known
    return to_canonical_by_registry(unit)


def to_canonical_by_registry(unit: str) -> tuple[Dimension, float]:
    """`to_canonical` through pint, for every spelling (the fast table is checked against it)."""
    dimension = _dimension_by_registry(unit)
    factor = float(_parse(unit).to(_registry().Quantity(1.0, _normalise(CANONICAL[dimension]))).magnitude)
    return dimension, factor


@cache
def ratio_to_canonical(unit: str) -> tuple[Dimension, Dimension, float]:
    """Parse 'A/B' (e.g. 'kg CO2/TJ', 'TJ/Gg', 'tC/GJ', 'GJ/thousand m3').

    Gas words in the numerator (CO2, CH4, N2O, C) name what is counted, not a unit, and are
    dropped. Returns (numerator dimension, denominator dimension, factor to canonical).
    """
    if unit.count("/") != 1:
        raise UnitError(f"expected a ratio like 'TJ/Gg' or 'kg CO2/TJ', got {unit!r}")
    top, bottom = (part.strip() for part in unit.split("/"))
    top = _GAS_SUFFIX.sub("", top).strip() or "t"
    top_dim, top_factor = to_canonical(top)
    bottom_dim, bottom_factor = to_canonical(bottom)
    return top_dim, bottom_dim, top_factor / bottom_factor
