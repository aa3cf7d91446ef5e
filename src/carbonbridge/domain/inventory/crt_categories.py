"""IPCC 2006 categories to the CRT categories (CRF numbering) and back, conserving every tonne.

The rules and the CRT tree come in as data (the adapter reads them from
data/inventory/CRT.yaml and conversion.IPCC2006.CRT.csv through climate-categories). A record
goes to the rule of its category or of its nearest ancestor that has one; a CRT category that
several IPCC categories feed reads back as their nearest common IPCC ancestor, so sums are
conserved both ways while detail below that ancestor is not.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from carbonbridge.domain.errors import Problem
from carbonbridge.domain.inventory.records import EmissionRecord

NATIONAL_TOTAL = "0"
TOTAL_WITHOUT_LULUCF = "M.0.EL"
LULUCF_SECTOR = "4"
# Memo lines of Summary 1: reported, never part of the national total.
MEMO_ROOTS = ("1.D", "M.IndN2O", "M.IndCO2")


@dataclass(frozen=True, slots=True)
class CategoryRule:
    """One IPCC 2006 category reported as one CRT category."""

    ipcc: str
    crt: str
    comment: str = ""
    line: int | None = None


@dataclass(frozen=True, slots=True)
class CrtValue:
    """Mass of one gas (t) of a CRT category in a year; `ipcc` names the IPCC 2006 categories it came from."""

    category: str
    gas: str
    year: int
    mass_t: float
    ipcc: tuple[str, ...] = ()


@dataclass(frozen=True)
class CrtTree:
    """The CRT categories: titles and children (one summation set per parent)."""

    titles: Mapping[str, str]
    children: Mapping[str, tuple[str, ...]]

    @property
    def parents(self) -> dict[str, tuple[str, ...]]:
        out: dict[str, list[str]] = defaultdict(list)
        for parent, kids in self.children.items():
            for kid in kids:
                out[kid].append(parent)
        return {k: tuple(sorted(v)) for k, v in out.items()}

    def ancestors(self, code: str) -> tuple[str, ...]:
        parents, seen, todo = self.parents, set(), [code]
        while todo:
            for p in parents.get(todo.pop(), ()):
                if p not in seen:
                    seen.add(p)
                    todo.append(p)
        return tuple(sorted(seen))

    def is_leaf(self, code: str) -> bool:
        return code in self.titles and not self.children.get(code)

    def is_memo(self, code: str) -> bool:
        return any(code == m or code.startswith(m + ".") for m in MEMO_ROOTS)

    def is_lulucf(self, code: str) -> bool:
        return code == LULUCF_SECTOR or LULUCF_SECTOR in self.ancestors(code)


@dataclass(frozen=True)
class CrtConversion:
    """The rules IPCC 2006 -> CRT with the CRT tree and the IPCC ancestors function."""

    rules: tuple[CategoryRule, ...]
    tree: CrtTree
    ipcc_ancestors: Callable[[str], tuple[str, ...]]
    _by_ipcc: dict[str, CategoryRule] = field(init=False, repr=False)
    _by_crt: dict[str, tuple[str, ...]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        by_ipcc: dict[str, CategoryRule] = {}
        by_crt: dict[str, list[str]] = defaultdict(list)
        for rule in self.rules:
            if rule.ipcc in by_ipcc:
                raise ValueError(f"two rules for IPCC 2006 category {rule.ipcc}")
            if rule.crt not in self.tree.titles:
                raise ValueError(f"rule {rule.ipcc} -> {rule.crt}: {rule.crt} is not a CRT category")
            by_ipcc[rule.ipcc] = rule
            by_crt[rule.crt].append(rule.ipcc)
        object.__setattr__(self, "_by_ipcc", by_ipcc)
        object.__setattr__(self, "_by_crt", {k: tuple(v) for k, v in by_crt.items()})

    def rule_for(self, ipcc: str) -> CategoryRule | None:
        """The rule of `ipcc` or of its nearest ancestor with a rule; None when there is none."""
        if ipcc in self._by_ipcc:
            return self._by_ipcc[ipcc]
        # nearest ancestor = the one with the longest code among those with a rule
        candidates = [a for a in self.ipcc_ancestors(ipcc) if a in self._by_ipcc]
        if not candidates:
            return None
        return self._by_ipcc[max(candidates, key=lambda c: (c.count("."), len(c)))]

    def ipcc_for(self, crt: str) -> str | None:
        """The IPCC 2006 category a CRT category reads back as: the one IPCC category of its rules,
        or the nearest common ancestor of several; None when no rule feeds `crt`."""
        sources = self._by_crt.get(crt)
        if not sources:
            return None
        if len(sources) == 1:
            return sources[0]
        common = set.intersection(*({s, *self.ipcc_ancestors(s)} for s in sources))
        return max(common, key=lambda c: (c.count(".") if c != "0" else -1, len(c)))

    def feeds(self, crt: str) -> tuple[str, ...]:
        return self._by_crt.get(crt, ())


def to_crt(records: Iterable[EmissionRecord], conversion: CrtConversion) -> tuple[list[CrtValue], list[Problem]]:
    """Sum records per CRT category, gas and year; a record whose category has no rule (nor an
    ancestor with one) is a problem, never dropped silently."""
    sums: dict[tuple[str, str, int], list[float]] = defaultdict(list)
    sources: dict[tuple[str, str, int], set[str]] = defaultdict(set)
    problems: list[Problem] = []
    for r in records:
        rule = conversion.rule_for(r.category)
        if rule is None:
            problems.append(
                Problem(
                    f"IPCC 2006 category {r.category} ({r.gas}, {r.year}) has no CRT category: it splits between CRT "
                    "sectors or memo lines; report its sub-categories",
                    field="category",
                )
            )
            continue
        key = (rule.crt, r.gas, r.year)
        sums[key].append(r.mass_t)
        sources[key].add(r.category)
    values = [
        CrtValue(c, g, y, math.fsum(v), tuple(sorted(sources[(c, g, y)]))) for (c, g, y), v in sorted(sums.items())
    ]
    return values, problems


def to_ipcc(
    values: Iterable[CrtValue], conversion: CrtConversion, *, source: str = "crt"
) -> tuple[list[EmissionRecord], list[Problem]]:
    """CRT values back to IPCC 2006 records (summed where several CRT categories read back as one)."""
    sums: dict[tuple[str, str, int], list[float]] = defaultdict(list)
    problems: list[Problem] = []
    for v in values:
        ipcc = conversion.ipcc_for(v.category)
        if ipcc is None:
            problems.append(
                Problem(f"CRT category {v.category} ({v.gas}, {v.year}) has no IPCC 2006 category", field="category")
            )
            continue
        sums[(ipcc, v.gas, v.year)].append(v.mass_t)
    records = [
        EmissionRecord(c, g, y, math.fsum(m), method="read from CRT", source=source)
        for (c, g, y), m in sorted(sums.items())
    ]
    return records, problems


def crt_aggregate(values: Sequence[CrtValue], tree: CrtTree) -> dict[tuple[str, str, int], float]:
    """Sum CRT values up the CRT tree by gas: (category or ancestor, gas, year) -> t. Memo lines
    sum only within their memo tree; '0' excludes them and 'M.0.EL' also excludes sector 4."""
    parts: dict[tuple[str, str, int], list[float]] = defaultdict(list)
    for v in values:
        for cat in (v.category, *tree.ancestors(v.category)):
            parts[(cat, v.gas, v.year)].append(v.mass_t)
    return {k: math.fsum(p) for k, p in parts.items()}
