"""Notation keys (NO, NE, NA, IE, C, FX): what a Party reports where it reports no number, and the
completeness of the inventory that follows from them (CRT Table 9).

Bit values are those of the CRT Data Exchange JSON, as lukeghg quotes them from UNFCCC's
"DataExchangeJSON_DescriptionDocument_v1.0.pdf" (CRT-NOTES.md section 2.2, [V2]). Rules: a number
and a key for the same category, gas and year is an error; NE needs an explanation; IE needs an
explanation and the category where the emissions are included (CRT Table 9).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from carbonbridge.domain.errors import Problem
from carbonbridge.domain.inventory.records import EmissionRecord

# Bit masks of the CRT Data Exchange JSON (value type "NK").
BITS: dict[str, int] = {"C": 1, "IE": 32, "NA": 256, "NE": 1024, "NO": 2048, "FX": 8388608}
MEANINGS: dict[str, str] = {
    "NO": "not occurring: the activity or process does not occur in the country",
    "NE": "not estimated: occurs but is not estimated (explain why)",
    "NA": "not applicable: the activity occurs but does not emit this gas",
    "IE": "included elsewhere: estimated and included in another category (say where)",
    "C": "confidential: not reported to protect confidential information",
    "FX": "flexibility: a developing-country Party applies a flexibility provision (decision 18/CMA.1)",
}
ORDER = ("NO", "NE", "NA", "IE", "C", "FX")
ALL_BITS = sum(BITS.values())


@dataclass(frozen=True, slots=True)
class NotationKey:
    """Keys for one category, gas and year, with the explanations the CRT asks for."""

    category: str
    gas: str
    year: int
    keys: tuple[str, ...]
    explanation: str = ""
    included_in: str = ""  # IE: the category where the Party includes the emissions
    allocation_by_ipcc: str = ""  # IE: where the IPCC Guidelines allocate them (default: this category)
    likely_t_co2e: float | None = field(default=None, compare=False)  # NE: the likely level, if assessed
    file: str = field(default="<input>", compare=False)
    line: int | None = field(default=None, compare=False)

    @property
    def mask(self) -> int:
        return mask_of(self.keys)

    @property
    def label(self) -> str:
        return ",".join(self.keys)


def parse_keys(text: str) -> tuple[str, ...]:
    """'IE, NO' -> ('NO', 'IE') in canonical order; ValueError naming an unknown key."""
    found = {part.strip().upper() for part in text.replace(";", ",").split(",") if part.strip()}
    unknown = sorted(found - set(BITS))
    if unknown or not found:
        raise ValueError(f"unknown notation key {', '.join(unknown) or repr(text)} (one of {', '.join(ORDER)})")
    return tuple(k for k in ORDER if k in found)


def mask_of(keys: Iterable[str]) -> int:
    return sum(BITS[k] for k in set(keys))


def keys_of(mask: int) -> tuple[str, ...]:
    """The keys of a bit mask; ValueError for bits that are not notation keys of emissions."""
    if mask <= 0 or mask & ~ALL_BITS:
        raise ValueError(f"{mask} is not a combination of notation keys {', '.join(f'{k}={BITS[k]}' for k in ORDER)}")
    return tuple(k for k in ORDER if mask & BITS[k])


def _problem(key: NotationKey, message: str, field_name: str) -> Problem:
    return Problem(f"{key.category}/{key.gas}/{key.year}: {message}", file=key.file, line=key.line, field=field_name)


def check_keys(keys: Sequence[NotationKey], records: Iterable[EmissionRecord] = ()) -> list[Problem]:
    """Every rule broken by the keys, alone and together with the numbers in `records`."""
    problems: list[Problem] = []
    valued = {(r.category, r.gas, r.year) for r in records}
    seen: set[tuple[str, str, int]] = set()
    for k in keys:
        where = (k.category, k.gas, k.year)
        if not k.keys or any(x not in BITS for x in k.keys):
            problems.append(_problem(k, f"unknown notation key {k.label!r}", "key"))
        if where in valued:
            problems.append(_problem(k, f"has a number and the notation key {k.label}: report one or the other", "key"))
        if where in seen:
            problems.append(_problem(k, "has two notation-key rows", "key"))
        seen.add(where)
        if "NE" in k.keys and not k.explanation.strip():
            problems.append(_problem(k, "NE needs an explanation of why it is not estimated", "explanation"))
        if "IE" in k.keys:
            if not k.explanation.strip():
                problems.append(_problem(k, "IE needs an explanation", "explanation"))
            if not k.included_in.strip():
                problems.append(_problem(k, "IE needs the category where the emissions are included", "included_in"))
    return problems


@dataclass(frozen=True, slots=True)
class Completeness:
    """How one category and gas is reported over the years: estimated, or which keys (CRT Table 9)."""

    category: str
    gas: str
    estimated_years: tuple[int, ...]
    keys: tuple[tuple[str, tuple[int, ...]], ...]  # (key label, years)
    missing_years: tuple[int, ...]
    explanation: str
    included_in: str
    allocation_by_ipcc: str

    @property
    def status(self) -> str:
        if self.missing_years:
            return "missing"
        if not self.keys:
            return "estimated"
        labels = "/".join(label for label, _ in self.keys)
        return f"estimated+{labels}" if self.estimated_years else labels


def completeness(
    records: Iterable[EmissionRecord],
    keys: Iterable[NotationKey],
    years: Sequence[int],
    expected: Iterable[tuple[str, str]] = (),
) -> list[Completeness]:
    """For every category and gas with a number, a key or an expectation: the years estimated, the
    years under each key and the years with neither (missing), with the key's explanations."""
    estimated: dict[tuple[str, str], set[int]] = defaultdict(set)
    for r in records:
        estimated[(r.category, r.gas)].add(r.year)
    keyed: dict[tuple[str, str], dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    texts: dict[tuple[str, str], list[NotationKey]] = defaultdict(list)
    for k in keys:
        keyed[(k.category, k.gas)][k.label].add(k.year)
        texts[(k.category, k.gas)].append(k)
    out = []
    for pair in sorted(set(estimated) | set(keyed) | set(expected)):
        by_key = keyed.get(pair, {})
        covered = estimated.get(pair, set()).union(*by_key.values()) if by_key else estimated.get(pair, set())
        notes = texts.get(pair, [])
        out.append(
            Completeness(
                pair[0],
                pair[1],
                tuple(sorted(estimated.get(pair, ()))),
                tuple((label, tuple(sorted(ys))) for label, ys in sorted(by_key.items())),
                tuple(y for y in years if y not in covered),
                _join(k.explanation for k in notes),
                _join(k.included_in for k in notes),
                _join(k.allocation_by_ipcc or (k.category if "IE" in k.keys else "") for k in notes),
            )
        )
    return out


def _join(texts: Iterable[str]) -> str:
    unique: dict[str, None] = {}
    for t in texts:
        if t.strip():
            unique.setdefault(t.strip(), None)
    return "; ".join(unique)


def flexibility_keys(
    records: Iterable[EmissionRecord], keys: Iterable[NotationKey], fx_years: Iterable[int]
) -> list[NotationKey]:
    """FX for every category and gas of the inventory in each flexibility year without a number or
    a key: a Party using time-series flexibility reports 'FX' for the years outside its inventory
    period (BTR Hotline, CRT-NOTES.md section 1.3, [V2])."""
    records, keys = list(records), list(keys)
    taken = {(r.category, r.gas, r.year) for r in records} | {(k.category, k.gas, k.year) for k in keys}
    pairs = sorted({(r.category, r.gas) for r in records} | {(k.category, k.gas) for k in keys})
    return [
        NotationKey(c, g, y, ("FX",), "year outside the inventory period under the flexibility of decision 18/CMA.1")
        for y in sorted(set(fx_years))
        for c, g in pairs
        if (c, g, y) not in taken
    ]


# Insignificance (MPGs, annex to decision 18/CMA.1): NE may be used for a category whose likely level
# is below a share of the national total without LULUCF or an absolute level, whichever is lower, as
# long as all NE together stay below a second share. Standard: 0.05 % or 500 kt CO2e, all NE 0.1 %
# ([V2] secondary copy); developing Parties using the flexibility: 0.1 % or 1,000 kt, all NE 0.2 %
# ([V] unfccc.int ETF flexibility table). CRT-NOTES.md section 1.4.
NE_THRESHOLDS: dict[str, tuple[float, float, float]] = {
    "standard": (0.0005, 500_000.0, 0.001),
    "flexibility": (0.001, 1_000_000.0, 0.002),
}


def check_insignificance(
    keys: Sequence[NotationKey], total_without_lulucf_t_co2e: dict[int, float], mode: str = "standard"
) -> list[Problem]:
    """Each NE needs its likely level (t CO2e), below the category threshold of its year; the NE of a
    year together stay below the total threshold."""
    share, absolute, all_share = NE_THRESHOLDS[mode]
    problems: list[Problem] = []
    by_year: dict[int, list[NotationKey]] = defaultdict(list)
    for k in keys:
        if "NE" not in k.keys:
            continue
        if k.likely_t_co2e is None:
            problems.append(
                _problem(k, "NE needs its likely level (likely_t_co2e) to show it is insignificant", "likely_t_co2e")
            )
            continue
        by_year[k.year].append(k)
        total = total_without_lulucf_t_co2e.get(k.year, 0.0)
        limit = min(share * total, absolute)
        if k.likely_t_co2e > limit:
            problems.append(
                _problem(
                    k,
                    f"NE of likely {k.likely_t_co2e:,.0f} t CO2e is above the insignificance "
                    f"threshold {limit:,.0f} t CO2e ({mode}): estimate it",
                    "likely_t_co2e",
                )
            )
    for year, ks in sorted(by_year.items()):
        together = sum(k.likely_t_co2e or 0.0 for k in ks)
        limit = all_share * total_without_lulucf_t_co2e.get(year, 0.0)
        if together > limit:
            problems.append(
                _problem(
                    ks[-1],
                    f"all NE of {year} together, {together:,.0f} t CO2e, exceed "
                    f"{all_share:.1%} of the total without LULUCF ({limit:,.0f} t CO2e)",
                    "likely_t_co2e",
                )
            )
    return problems
