"""Load the CRT categorisation and the IPCC 2006 -> CRT conversion (climate-categories formats,
data/inventory/CRT.yaml and conversion.IPCC2006.CRT.csv) into the domain's pure objects."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from carbonbridge.domain.inventory.crt_categories import CategoryRule, CrtConversion, CrtTree
from carbonbridge.domain.inventory.records import ancestors

DATA = resources.files("carbonbridge") / "data" / "inventory"
CRT_YAML = "CRT.yaml"
CONVERSION_CSV = "conversion.IPCC2006.CRT.csv"


@cache
def crt_categorization() -> Any:
    """The CRT categorisation as a climate-categories HierarchicalCategorization."""
    import climate_categories

    with resources.as_file(DATA / CRT_YAML) as path:
        return climate_categories.from_yaml(path)


@cache
def crt_conversion_cc() -> Any:
    """The conversion as a climate-categories Conversion (IPCC2006 <-> CRT), for its own checks."""
    import climate_categories

    cats = {"IPCC2006": climate_categories.IPCC2006, "CRT": crt_categorization()}
    with resources.as_file(DATA / CONVERSION_CSV) as path:
        return climate_categories.Conversion.from_csv(path, cats=cats)


@cache
def crt_tree() -> CrtTree:
    cat = crt_categorization()
    titles = {str(c.codes[0]): str(c.title) for c in cat.values()}
    children: dict[str, tuple[str, ...]] = {}
    for c in cat.values():
        sets = c.children
        if sets:
            children[str(c.codes[0])] = tuple(sorted(str(k.codes[0]) for k in sets[0]))
    return CrtTree(titles, children)


@cache
def crt_conversion() -> CrtConversion:
    """The domain conversion. A rule maps one IPCC category, or a sum of them, to one CRT category;
    a category named in a sum that also has a rule of its own keeps its own (more specific) rule:
    '3.A.2 + 3.C.6 -> 3.B' states the totals agree while 3.C.6 itself goes to 3.B.5."""
    conv = crt_conversion_cc()
    single: dict[str, CategoryRule] = {}
    summed: dict[str, CategoryRule] = {}
    for rule in conv.rules:
        a, b = rule.factors_categories_a, rule.factors_categories_b
        if len(b) != 1 or set(a.values()) != {1} or set(b.values()) != {1}:
            raise ValueError(
                f"{CONVERSION_CSV}:{rule.csv_line_number}: a rule maps a sum of IPCC 2006 categories "
                "to one CRT category"
            )
        (crt,) = (str(k.codes[0]) for k in b)
        comment = rule.comment or ""
        target = single if len(a) == 1 else summed
        for k in a:
            ipcc = str(k.codes[0])
            if ipcc in target:
                raise ValueError(f"{CONVERSION_CSV}:{rule.csv_line_number}: {ipcc} is in two rules")
            target[ipcc] = CategoryRule(ipcc, crt, comment, rule.csv_line_number)
    rules = {**summed, **single}
    return CrtConversion(tuple(rules[k] for k in sorted(rules)), crt_tree(), ancestors)
