"""The CRT metadata (nodes, variables, grids) and a Party's country-specific nodes, indexed so that
an emission of a CRT category and gas finds its UNFCCC variable by the variable's *name*.

Variable names are six bracketed parts, `[node][classification][measure][gas][parameter][unit]`
(unfccc/etf-cli metadata; CRT-NOTES.md section 2.2, [V]). UIDs are never hard-coded: each metadata
release may change them. Country-specific variables take the name of their template variable with
their own node, and the category of the nearest metadata node above them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from carbonbridge.domain.errors import Problem

SUBSCRIPTS = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")
EMISSION_MEASURES = ("emissions", "net co2 emissions/removals", "net emissions/removals")
NO_CLASSIFICATION = "no classification"
NO_PARAMETER = "no parameter"
_CODE = re.compile(r"^(\S+?)\.\s+\S")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
COUNTRY_UID = re.compile(r"^[0-9a-f]{24}$")


@dataclass(frozen=True, slots=True)
class VariableName:
    node: str
    classification: str
    measure: str
    gas: str
    parameter: str
    unit: str

    @property
    def code(self) -> str | None:
        """The CRT category code at the start of the node part ('1.A.3.b.i. Cars' -> '1.A.3.b.i')."""
        found = _CODE.match(self.node)
        return found.group(1) if found else None

    def with_node(self, node: str) -> VariableName:
        return VariableName(node, self.classification, self.measure, self.gas, self.parameter, self.unit)

    def text(self) -> str:
        return "".join(
            f"[{p}]" for p in (self.node, self.classification, self.measure, self.gas, self.parameter, self.unit)
        )


def parse_variable_name(name: str) -> VariableName:
    """Split a variable name; the node part may itself hold brackets ('Other [IPCC Software 1.A.5]')."""
    if not (name.startswith("[") and name.endswith("]")):
        raise ValueError(f"variable name {name!r} is not [node][classification][measure][gas][parameter][unit]")
    parts = name[1:-1].split("][")
    if len(parts) < 6:
        raise ValueError(f"variable name {name!r} has {len(parts)} bracketed parts, not 6")
    node = "][".join(parts[: len(parts) - 5])
    return VariableName(node, *(p.strip() for p in parts[-5:]))


def normal_gas(gas: str) -> str:
    """'CO₂' -> 'CO2', 'HFC-134a' -> 'HFC134A': the spelling used to match gases."""
    return gas.translate(SUBSCRIPTS).replace("-", "").replace(" ", "").upper()


@dataclass(frozen=True, slots=True)
class Variable:
    uid: str
    node_uid: str
    name: VariableName
    code: str | None  # CRT category of the variable
    is_calculated: bool
    node_type: str  # FIXED | LIST | '' (country-specific or unknown)
    is_template: bool
    country_specific: bool
    path: str  # JSON path where it is defined

    @property
    def computed_by_tool(self) -> bool:
        """Values of calculated variables on FIXED nodes are the tool's own (etf-cli fix #3)."""
        return self.is_calculated and self.node_type == "FIXED"

    @property
    def is_emission(self) -> bool:
        return (
            self.name.measure.translate(SUBSCRIPTS).lower() in EMISSION_MEASURES
            and self.name.classification.lower() == NO_CLASSIFICATION
            and self.name.parameter.lower() == NO_PARAMETER
        )


def metadata_root(metadata: Any, file: str) -> tuple[dict[str, Any] | None, list[Problem]]:
    """`{"Metadata": [{...}]}` -> the one metadata object, or located problems."""
    if not isinstance(metadata, dict) or not isinstance(metadata.get("Metadata"), list) or not metadata["Metadata"]:
        return None, [Problem("not a CRT metadata file: no non-empty 'Metadata' list", file=file, field="Metadata")]
    root = metadata["Metadata"][0]
    problems = []
    for key in ("node", "variable"):
        if not isinstance(root, dict) or not isinstance(root.get(key), list):
            problems.append(Problem(f"metadata has no '{key}' list", file=file, field=f"Metadata[0].{key}"))
    return (root if not problems else None), problems


def as_list(value: Any) -> list[Any]:
    """`value` if it is a list, else an empty list (the validator reports the wrong shape)."""
    return value if isinstance(value, list) else []


def walk_nodes(
    nodes: Any, path: str, parent: dict[str, Any] | None = None
) -> Iterator[tuple[dict[str, Any], str, dict[str, Any] | None]]:
    """Every node of a (nested) node list with its JSON path and the node it is nested in;
    visibility references ({"uid": ...} alone) are skipped."""
    if not isinstance(nodes, list):
        return
    for i, node in enumerate(nodes):
        if not isinstance(node, dict) or list(node) == ["uid"]:
            continue
        here = f"{path}[{i}]"
        yield node, here, parent
        yield from walk_nodes(node.get("node"), f"{here}.node", node)


@dataclass
class Catalog:
    """Every variable of the metadata and of a Party document, by UID and by (category, gas)."""

    variables: dict[str, Variable]
    nodes: dict[str, dict[str, Any]]
    node_code: dict[str, str | None]
    problems: list[Problem]
    grids: dict[str, dict[str, Any]]  # metadata grids by node uid (templates to clone)

    def emission_candidates(self, code: str, gas: str) -> list[Variable]:
        wanted = normal_gas(gas)
        return [
            v
            for v in self.variables.values()
            if v.code == code and not v.is_template and v.is_emission and normal_gas(v.name.gas) == wanted
        ]

    def resolve(self, code: str, gas: str) -> tuple[Variable | None, str]:
        """The one variable to write an emission of `gas` in CRT category `code`, or why there is none.
        A FIXED node's own variable comes first; else the one country-specific variable under a LIST
        node (the Party's 'Other' row); several country-specific rows are ambiguous."""
        found = self.emission_candidates(code, gas)
        if not found:
            return None, f"no emission variable for CRT {code} {gas} in the metadata or the Party's nodes"
        own = [v for v in found if not v.country_specific]
        writable = [v for v in own if not v.computed_by_tool and v.node_type != "LIST"]
        if len(writable) == 1:
            return writable[0], ""
        mine = [v for v in found if v.country_specific]
        if len(mine) == 1:
            return mine[0], ""
        if len(mine) > 1:
            names = ", ".join(sorted(v.name.node for v in mine))
            return None, f"CRT {code} {gas} has several country-specific rows ({names}): split the emission first"
        if any(v.computed_by_tool for v in own):
            return None, (
                f"CRT {code} {gas} is calculated by the ETF tool from its sub-categories: report the "
                "sub-categories (or a country-specific row) instead"
            )
        if len(writable) > 1:
            return None, f"CRT {code} {gas} matches {len(writable)} variables: " + ", ".join(v.uid for v in writable)
        return None, f"CRT {code} {gas} is a LIST node without a country-specific row: add the row in the ETF tool"


def build_catalog(
    metadata_root_: Mapping[str, Any], party: Mapping[str, Any] | None, *, metadata_file: str, party_file: str
) -> Catalog:
    """Index the metadata variables and the Party's country-specific variables."""
    problems: list[Problem] = []
    nodes: dict[str, dict[str, Any]] = {}
    node_type: dict[str, str] = {}
    node_code: dict[str, str | None] = {}
    for node, _path, _parent in walk_nodes(metadata_root_.get("node"), "Metadata[0].node"):
        uid = str(node.get("uid", ""))
        nodes[uid] = node
        node_type[uid] = str(node.get("type") or "")
        prefix = str(node.get("name_prefix") or "").strip()
        node_code[uid] = prefix[:-1] if prefix.endswith(".") else (prefix or None)
    variables: dict[str, Variable] = {}
    for i, raw in enumerate(metadata_root_.get("variable", [])):
        path = f"Metadata[0].variable[{i}]"
        var = _metadata_variable(raw, path, node_type, metadata_file, problems)
        if var is not None:
            variables[var.uid] = var
    if party is not None:
        _country_variables(party, variables, nodes, node_code, party_file, problems)
    grids = {
        str(g["node_uid"]): g for g in as_list(metadata_root_.get("grid")) if isinstance(g, dict) and "node_uid" in g
    }
    return Catalog(variables, nodes, node_code, problems, grids)


def _metadata_variable(
    raw: Any, path: str, node_type: Mapping[str, str], file: str, problems: list[Problem]
) -> Variable | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("uid"), str) or not isinstance(raw.get("name"), str):
        problems.append(Problem("variable without a uid and a name", file=file, field=path))
        return None
    try:
        name = parse_variable_name(raw["name"])
    except ValueError as exc:
        problems.append(Problem(str(exc), file=file, field=f"{path}.name"))
        return None
    node_uid = str(raw.get("node_uid") or "")
    return Variable(
        raw["uid"].lower(),
        node_uid,
        name,
        name.code,
        bool(raw.get("is_calculated")),
        node_type.get(node_uid, ""),
        bool(raw.get("is_template")),
        False,
        path,
    )


def _country_variables(
    party: Mapping[str, Any],
    variables: dict[str, Variable],
    nodes: dict[str, dict[str, Any]],
    node_code: dict[str, str | None],
    file: str,
    problems: list[Problem],
) -> None:
    csd = party.get("country_specific_data") or {}
    if not isinstance(csd, dict):
        problems.append(Problem("country_specific_data is not an object", file=file, field="country_specific_data"))
        return
    parent_of: dict[str, str] = {}
    for node, _path, parent in walk_nodes(csd.get("nodes"), "country_specific_data.nodes"):
        uid = str(node.get("uid", ""))
        nodes[uid] = node
        up = parent["uid"] if parent else node.get("parent_uid")
        if up:
            parent_of[uid] = str(up)
    for uid in list(parent_of):
        code, seen, here = None, set(), uid
        while here in parent_of and here not in seen:  # climb to the nearest metadata node
            seen.add(here)
            here = parent_of[here]
            if node_code.get(here):
                code = node_code[here]
                break
        node_code[uid] = code
    for i, raw in enumerate(as_list(csd.get("variables"))):
        path = f"country_specific_data.variables[{i}]"
        if not isinstance(raw, dict) or not isinstance(raw.get("uid"), str):
            problems.append(Problem("country-specific variable without a uid", file=file, field=path))
            continue
        template = variables.get(str(raw.get("template_var_uid", "")).lower())
        owner = nodes.get(str(raw.get("node_uid", "")))
        if template is None or owner is None:
            problems.append(
                Problem(
                    f"country-specific variable {raw['uid']} names an unknown template variable or node",
                    file=file,
                    field=f"{path}.template_var_uid",
                )
            )
            continue
        label = f"{owner.get('name_prefix') or ''}{' ' if owner.get('name_prefix') else ''}{owner.get('name', '')}"
        variables[raw["uid"].lower()] = Variable(
            raw["uid"].lower(),
            str(raw["node_uid"]),
            template.name.with_node(label.strip()),
            node_code.get(str(raw["node_uid"])),
            False,
            "",
            False,
            True,
            path,
        )
