"""The import rules of the ETF GHG tool, checked and repaired (clean-room, after the behaviour of
UNFCCC's `etf data fix` (unfccc/etf-cli 1.1.0) and lukeghg's writer; CRT-NOTES.md section 2.3):

* [parents] country-specific nodes under a country-specific parent are nested in it, with a
  visibility reference {"uid": ...} for each nested node at the end of the root list;
* [grids] every country-specific node made from a template has its own grid, cloned from the
  template's grid, whose groups point at the node's own variables;
* [calculated] no values for calculated variables of FIXED nodes (the tool computes them);
* [duplicate-node] no two country-specific nodes with the same parent and template;
* and the value rules: known variable, UID form, value type, numbers with at most 6 decimals and no
  exponent, notation-key masks, NE/IE comments, string years, one entry per variable and year.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterator
from typing import Any

from carbonbridge.domain.errors import Problem
from carbonbridge.domain.inventory.crt_metadata import COUNTRY_UID, UUID, Catalog, as_list, walk_nodes
from carbonbridge.domain.inventory.crt_values import DECIMALS
from carbonbridge.domain.inventory.notation import keys_of

VALUE_TYPES = ("number", "NK", "dropdown")


class JsonNumber(float):
    """A float that remembers its text in the file, so the validator can see exponents and decimals."""

    text: str

    def __new__(cls, text: str) -> JsonNumber:
        number = super().__new__(cls, text)
        number.text = text
        return number


def validate(doc: Any, catalog: Catalog, *, file: str) -> list[Problem]:
    """Every broken rule, located as FILE:JSON-PATH with the rule name in brackets."""
    problems: list[Problem] = []

    def bad(path: str, message: str) -> None:
        problems.append(Problem(message, file=file, field=path))

    if (
        not isinstance(doc, dict)
        or not isinstance(doc.get("data"), dict)
        or not isinstance(doc["data"].get("values"), list)
    ):
        bad("data.values", "[envelope] the document has no 'data': {'values': [...]} list")
        return problems
    csd = doc.get("country_specific_data", {})
    if not isinstance(csd, dict):
        bad("country_specific_data", "[envelope] country_specific_data is not an object")
        csd = {}
    _check_structure(csd, catalog, bad)
    seen: dict[tuple[str, str], str] = {}
    for i, year_entry in enumerate(doc["data"]["values"]):
        here = f"data.values[{i}]"
        if not isinstance(year_entry, dict) or not isinstance(year_entry.get("values"), list):
            bad(here, "[envelope] a year entry needs 'inventory_year' and a 'values' list")
            continue
        year = year_entry.get("inventory_year")
        if not isinstance(year, str) or not (year.isdigit() and len(year) == 4):
            bad(f"{here}.inventory_year", f'[year] inventory_year {year!r} must be a year as a string, e.g. "2022"')
        for j, entry in enumerate(year_entry["values"]):
            _check_entry(entry, f"{here}.values[{j}]", str(year), catalog, seen, bad)
    return problems


def _check_entry(
    entry: Any,
    path: str,
    year: str,
    catalog: Catalog,
    seen: dict[tuple[str, str], str],
    bad: Callable[[str, str], None],
) -> None:
    if not isinstance(entry, dict) or not isinstance(entry.get("variable_uid"), str):
        bad(path, "[envelope] an entry needs a 'variable_uid' string")
        return
    uid = entry["variable_uid"]
    if not (UUID.match(uid) or COUNTRY_UID.match(uid)):
        bad(f"{path}.variable_uid", f"[uid] {uid!r} is neither a metadata UUID nor a 24-hex country-specific UID")
    variable = catalog.variables.get(uid.lower())
    if variable is None:
        bad(f"{path}.variable_uid", f"[unknown-variable] {uid} is in neither the metadata nor the Party's variables")
    elif variable.computed_by_tool:
        bad(f"{path}.value", f"[calculated] {uid} {variable.name.text()} is calculated by the ETF tool: leave it out")
    elif variable.is_template:
        bad(f"{path}.variable_uid", f"[template] {uid} is a template variable: write to a country-specific copy")
    if (year, uid.lower()) in seen:
        bad(
            f"{path}.variable_uid",
            f"[duplicate-value] {uid} already has a value for {year} at {seen[(year, uid.lower())]}",
        )
    seen[(year, uid.lower())] = path
    value = entry.get("value")
    if not isinstance(value, dict) or value.get("type") not in VALUE_TYPES:
        bad(f"{path}.value.type", f"[type] value.type must be one of {', '.join(VALUE_TYPES)}")
        return
    number = value.get("value")
    if value["type"] == "number":
        _check_number(number, f"{path}.value.value", bad)
    elif value["type"] == "NK":
        _check_key(number, entry.get("comments"), path, bad)
    elif isinstance(number, bool) or not isinstance(number, int) or number <= 0:
        bad(f"{path}.value.value", "[dropdown] a dropdown value is a positive integer bit mask")


def _check_number(number: Any, path: str, bad: Callable[[str, str], None]) -> None:
    if isinstance(number, bool) or not isinstance(number, int | float) or not math.isfinite(number):
        bad(path, f"[number] {number!r} is not a finite number")
        return
    text = getattr(number, "text", None) or repr(number)
    if "e" in text.lower():
        bad(path, f"[number] {text} is in exponent notation; write it positionally")
    decimals = len(text.split(".", 1)[1]) if "." in text else 0
    if decimals > DECIMALS and round(float(number), DECIMALS) != 0:
        bad(path, f"[number] {text} has {decimals} decimals; the tool keeps {DECIMALS}")


def _check_key(mask: Any, comments: Any, path: str, bad: Callable[[str, str], None]) -> None:
    try:
        if isinstance(mask, bool) or not isinstance(mask, int):
            raise ValueError(f"{mask!r} is not an integer bit mask")
        keys = keys_of(mask)
    except ValueError as exc:
        bad(f"{path}.value.value", f"[nk-mask] {exc}")
        return
    if comments is not None and not isinstance(comments, list):
        bad(f"{path}.comments", "[envelope] comments must be a list")
        comments = []
    kinds = {
        str(c.get("type"))
        for c in comments or []
        if isinstance(c, dict) and isinstance(c.get("comment"), str) and c["comment"].strip()
    }
    if "NE" in keys and "nk_explanation" not in kinds:
        bad(f"{path}.comments", "[nk-comment] NE needs an nk_explanation comment")
    if "IE" in keys:
        for kind in ("nk_explanation", "allocation_by_ipcc", "allocation_by_party"):
            if kind not in kinds:
                bad(f"{path}.comments", f"[nk-comment] IE needs a {kind} comment")


def _check_structure(csd: dict[str, Any], catalog: Catalog, bad: Callable[[str, str], None]) -> None:
    for part in ("nodes", "variables", "grids"):
        if csd.get(part) is not None and not isinstance(csd[part], list):
            bad(f"country_specific_data.{part}", f"[envelope] {part} must be a list")
    roots = as_list(csd.get("nodes"))
    node_uids = {str(n.get("uid")) for n, _, _ in walk_nodes(roots, "")}
    pairs: dict[tuple[str, str], str] = {}
    for node, path, parent in walk_nodes(roots, "country_specific_data.nodes"):
        uid = str(node.get("uid"))
        parent_uid = str(parent["uid"]) if parent else str(node.get("parent_uid") or "")
        if parent is None and parent_uid in node_uids:
            bad(f"{path}.parent_uid", f"[parents] node {uid} is not nested in its country-specific parent {parent_uid}")
        template = node.get("template_node_uid")
        if template:
            key = (parent_uid, str(template))
            if key in pairs:
                bad(path, f"[duplicate-node] node {uid} repeats {pairs[key]} (same parent and template)")
            pairs.setdefault(key, uid)
    grid_list = as_list(csd.get("grids"))
    grids = {str(g.get("node_uid")): (g, i) for i, g in enumerate(grid_list) if isinstance(g, dict)}
    for node, path, _ in walk_nodes(roots, "country_specific_data.nodes"):
        if not node.get("template_node_uid"):
            continue
        uid = str(node.get("uid"))
        if uid not in grids:
            bad(path, f"[grids] node {uid} ({node.get('name', '')}) has no grid cloned from its template")
            continue
        own = {u for u, v in catalog.variables.items() if v.node_uid == uid}
        below = {u for u, v in catalog.variables.items() if v.node_uid in _descendants(node)}
        grid, g = grids[uid]
        for k, group in enumerate(_groups(grid.get("group"))):
            target = group.get("variable_uid")
            allowed = own | below if group.get("line_type") == "CROSS_REFERENCE" else own
            if target is not None and str(target).lower() not in allowed:
                bad(
                    f"country_specific_data.grids[{g}].group[{k}].variable_uid",
                    f"[grids] group points at {target}, not at a variable of node {uid}",
                )


def _descendants(node: dict[str, Any]) -> set[str]:
    return {str(n.get("uid")) for n, _, _ in walk_nodes(node.get("node"), "")}


def _groups(groups: Any) -> Iterator[dict[str, Any]]:
    for group in groups if isinstance(groups, list) else []:
        if isinstance(group, dict):
            yield group
            yield from _groups(group.get("group"))


def repair(doc: dict[str, Any], catalog: Catalog, new_uid: Callable[[], str]) -> tuple[dict[str, Any], list[str]]:
    """Apply the three repairs; returns a repaired copy and what changed (empty: a fixed point)."""
    out = copy.deepcopy(doc)
    changes: list[str] = []
    csd = out.get("country_specific_data")
    if isinstance(csd, dict):
        _nest(csd, changes)
        _add_grids(csd, catalog, new_uid, changes)
    data = out.get("data")
    years = data.get("values") if isinstance(data, dict) else None
    for year_entry in years if isinstance(years, list) else []:
        if not isinstance(year_entry, dict) or not isinstance(year_entry.get("values"), list):
            continue  # the validator reports the shape
        kept = []
        for entry in year_entry["values"]:
            uid = entry.get("variable_uid") if isinstance(entry, dict) else None
            variable = catalog.variables.get(uid.lower()) if isinstance(uid, str) else None
            if variable is not None and variable.computed_by_tool:
                changes.append(
                    f"removed the value of calculated variable {variable.uid} in {year_entry.get('inventory_year')}"
                )
            else:
                kept.append(entry)
        year_entry["values"] = kept
    return out, changes


def _nest(csd: dict[str, Any], changes: list[str]) -> None:
    roots = [n for n in csd.get("nodes") or [] if isinstance(n, dict)]
    full = [n for n in roots if list(n) != ["uid"]]
    by_uid = {str(n.get("uid")): n for n, _, _ in walk_nodes(full, "")}
    moved_any, moved = False, True
    while moved:  # nest node by node until no root node names a country-specific parent
        moved = False
        for node in list(full):
            parent = by_uid.get(str(node.get("parent_uid") or ""))
            if parent is not None and parent is not node:
                full.remove(node)
                del node["parent_uid"]
                parent.setdefault("node", []).append(node)
                changes.append(f"nested node {node.get('uid')} in its parent {parent.get('uid')}")
                moved = moved_any = True
    root_uids = {str(n.get("uid")) for n in full}
    nested = [str(n.get("uid")) for n, _, _ in walk_nodes(full, "") if str(n.get("uid")) not in root_uids]
    new = full + [{"uid": uid} for uid in nested]
    if new != roots:
        if not moved_any:
            changes.append("put the visibility references of nested nodes at the end of the node list")
        csd["nodes"] = new


def _add_grids(csd: dict[str, Any], catalog: Catalog, new_uid: Callable[[], str], changes: list[str]) -> None:
    grids = as_list(csd.get("grids"))
    variables = as_list(csd.get("variables"))
    have = {str(g.get("node_uid")) for g in grids if isinstance(g, dict)}
    for node, _, _ in walk_nodes(csd.get("nodes"), ""):
        uid, template = str(node.get("uid")), node.get("template_node_uid")
        if not template or uid in have:
            continue
        source = catalog.grids.get(str(template))
        if source is None:
            continue  # the validator reports the node without a grid
        grid = copy.deepcopy(source)
        grid["node_uid"] = uid
        for group in _groups(grid.get("group")):
            group["template_group_uid"] = group.get("uid")
            group["uid"] = new_uid()
            if group.get("variable_uid") is None:
                continue
            template_var = str(group["variable_uid"]).lower()
            owners = [uid]
            if group.get("line_type") == "CROSS_REFERENCE":  # a child node's variable first (etf-cli fix #2)
                owners = [*sorted(_descendants(node)), uid]
            mine = next(
                (
                    v
                    for owner in owners
                    for v in variables
                    if v.get("node_uid") == owner and str(v.get("template_var_uid", "")).lower() == template_var
                ),
                None,
            )
            if mine is None:
                mine = {"uid": new_uid(), "node_uid": uid, "template_var_uid": template_var}
                variables.append(mine)
                changes.append(f"created variable {mine['uid']} of node {uid} for template variable {template_var}")
            group["variable_uid"] = mine["uid"]
        grids.append(grid)
        csd["grids"], csd["variables"] = grids, variables
        changes.append(f"added the grid of node {uid}, cloned from template node {template}")
