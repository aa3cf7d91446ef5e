"""Values of the CRT Data Exchange JSON: numbers in the variable's unit, notation keys as bit masks
with their comments, and the way back to tonnes and keys.

Conventions (CRT-NOTES.md section 2.2): numbers rounded to 6 decimals unless that gives 0
(then full precision), never in exponent notation (lukeghg, [V]); NE and IE carry an
`nk_explanation`, IE also `allocation_by_ipcc` and `allocation_by_party` (lukeghg, [V]); other
explanations go as `official_comment` ([V] for NA).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from carbonbridge.domain.inventory.crt_metadata import SUBSCRIPTS, Variable
from carbonbridge.domain.inventory.notation import keys_of, mask_of

DECIMALS = 6
MASS_UNITS_T = {"t": 1.0, "kt": 1e3, "gg": 1e3, "mt": 1e6}
CO2E_SUFFIX = "co2 equivalent"
Gwp = Callable[[str], float]


def unit_factor(unit: str, gas: str, gwp: Gwp) -> float:
    """Tonnes of `gas` per unit of the variable: 1000 for kt; for 't CO2 equivalent' 1/GWP."""
    text = unit.translate(SUBSCRIPTS).strip().lower()
    if text.endswith(CO2E_SUFFIX):
        base = text[: -len(CO2E_SUFFIX)].strip()
        if base not in MASS_UNITS_T:
            raise ValueError(f"unit {unit!r} is not a mass unit")
        return MASS_UNITS_T[base] / gwp(gas)
    if text not in MASS_UNITS_T:
        raise ValueError(f"unit {unit!r} is not a mass unit (t, kt, Gg, Mt, or one of these in CO2 equivalent)")
    return MASS_UNITS_T[text]


def rounded(value: float) -> float:
    """6 decimals, or the full value where 6 decimals would round a non-zero value to 0."""
    r = round(value, DECIMALS)
    return value if r == 0 and value != 0 else r + 0.0


def positional(value: float) -> str:
    """The shortest text of `value` without an exponent ('1e-07' -> '0.0000001')."""
    if not math.isfinite(value):
        raise ValueError(f"{value} is not a finite number")
    text = format(Decimal(repr(value)), "f")
    return text[:-2] if text.endswith(".0") else text


@dataclass(frozen=True, slots=True)
class KeyCell:
    """A notation key as the JSON holds it, with the texts of its comments."""

    keys: tuple[str, ...]
    explanation: str = ""
    allocation_by_ipcc: str = ""
    allocation_by_party: str = ""


def number_entry(variable: Variable, mass_t: float, gas: str, gwp: Gwp) -> dict[str, Any]:
    value = rounded(mass_t / unit_factor(variable.name.unit, gas, gwp))
    return {"variable_uid": variable.uid, "value": {"type": "number", "value": value}}


def key_entry(variable: Variable, cell: KeyCell, time_stamp: str) -> dict[str, Any]:
    comments = []
    explained_as = "nk_explanation" if {"NE", "IE"} & set(cell.keys) else "official_comment"
    if cell.explanation:
        comments.append({"comment": cell.explanation, "time_stamp": time_stamp, "type": explained_as})
    if "IE" in cell.keys:
        comments.append({"comment": cell.allocation_by_ipcc, "time_stamp": time_stamp, "type": "allocation_by_ipcc"})
        comments.append({"comment": cell.allocation_by_party, "time_stamp": time_stamp, "type": "allocation_by_party"})
    entry: dict[str, Any] = {"variable_uid": variable.uid, "value": {"type": "NK", "value": mask_of(cell.keys)}}
    if comments:
        entry["comments"] = comments
    return entry


def decode_number(variable: Variable, value: float, gas: str, gwp: Gwp) -> float:
    """Tonnes of gas from a number in the variable's unit."""
    return float(value) * unit_factor(variable.name.unit, gas, gwp)


def decode_key(entry: Mapping[str, Any]) -> KeyCell:
    """The keys and comment texts of an NK entry (ValueError for a mask that is not keys)."""
    keys = keys_of(int(entry["value"]["value"]))
    texts: dict[str, str] = {}
    comments = entry.get("comments")
    for c in comments if isinstance(comments, list) else []:
        if isinstance(c, dict) and isinstance(c.get("comment"), str):
            kind = str(c.get("type", ""))
            texts[kind] = (texts[kind] + "; " + c["comment"]) if kind in texts else c["comment"]
    explanation = texts.get("nk_explanation") or texts.get("official_comment", "")
    return KeyCell(keys, explanation, texts.get("allocation_by_ipcc", ""), texts.get("allocation_by_party", ""))
