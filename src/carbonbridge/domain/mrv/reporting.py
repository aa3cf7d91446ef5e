"""Annual emissions report totals from calculated records and measured sources, and the rule
for when a report gets a new version.

Sums use math.fsum (correctly rounded), so the totals do not depend on the order rows come
back from the database: SQLite and PostgreSQL give bit-identical reports.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from carbonbridge.domain.errors import Problem, ValidationFailed
from carbonbridge.domain.gwp import gwp

GASES = ("CO2", "CH4", "N2O")


@dataclass(frozen=True, slots=True)
class StreamEmissions:
    """Emissions of one source stream or measured emission source, t by gas."""

    name: str
    method: str
    co2_t: float = 0.0
    ch4_t: float = 0.0
    n2o_t: float = 0.0


@dataclass(frozen=True, slots=True)
class ReportTotals:
    co2_t: float
    ch4_t: float
    n2o_t: float
    co2e_t: float
    gwp_set: str
    by_stream: dict[str, dict[str, float | str]] = field(default_factory=dict)


def co2e(co2_t: float, ch4_t: float, n2o_t: float, gwp_set: str) -> float:
    return math.fsum((co2_t, ch4_t * gwp("CH4", gwp_set), n2o_t * gwp("N2O", gwp_set)))


def totals(parts: Iterable[StreamEmissions], gwp_set: str) -> ReportTotals:
    """Totals by gas and by stream, with CO2e recomputed from the masses under `gwp_set`."""
    grouped: dict[tuple[str, str], list[StreamEmissions]] = defaultdict(list)
    for part in parts:
        grouped[(part.name, part.method)].append(part)
    by_stream: dict[str, dict[str, float | str]] = {}
    names = [name for name, _ in grouped]
    for (name, method), items in sorted(grouped.items()):
        label = name if names.count(name) == 1 else f"{name} ({method})"  # never overwrite a stream
        co2 = math.fsum(p.co2_t for p in items)
        ch4 = math.fsum(p.ch4_t for p in items)
        n2o = math.fsum(p.n2o_t for p in items)
        by_stream[label] = {
            "method": method,
            "co2_t": co2,
            "ch4_t": ch4,
            "n2o_t": n2o,
            "co2e_t": co2e(co2, ch4, n2o, gwp_set),
            "records": float(len(items)),
        }
    co2 = math.fsum(float(s["co2_t"]) for s in by_stream.values())
    ch4 = math.fsum(float(s["ch4_t"]) for s in by_stream.values())
    n2o = math.fsum(float(s["n2o_t"]) for s in by_stream.values())
    return ReportTotals(co2, ch4, n2o, co2e(co2, ch4, n2o, gwp_set), gwp_set, by_stream)


@dataclass(frozen=True, slots=True)
class ReportInputs:
    """What a report version was compiled from: the activity dataset (None without one) and the
    measured series. Stored with the report as `{"dataset_id": ..., "measurement_ids": [...]}`."""

    dataset_id: int | None
    measurement_ids: tuple[int, ...]

    def as_record(self) -> dict[str, object]:
        return {"dataset_id": self.dataset_id, "measurement_ids": list(self.measurement_ids)}

    @classmethod
    def from_record(cls, record: object) -> ReportInputs | None:
        """The inputs stored with a report; None when the record does not name them."""
        if not isinstance(record, Mapping):
            return None
        dataset_id, measurement_ids = record.get("dataset_id"), record.get("measurement_ids")
        if not (dataset_id is None or isinstance(dataset_id, int)) or not isinstance(measurement_ids, list):
            return None
        if not all(isinstance(i, int) for i in measurement_ids):
            return None
        return cls(dataset_id, tuple(measurement_ids))


@dataclass(frozen=True, slots=True)
class ReportHead:
    """The latest stored version of an installation's report for a year."""

    version: int
    gwp_set: str
    inputs: ReportInputs | None
    verified: bool


def next_version(latest: ReportHead | None, inputs: ReportInputs, gwp_set: str, reason: str) -> int | None:
    """The version number a newly compiled report gets, or None: nothing changed (same inputs, same
    GWP set), the latest version stands and submitting again is idempotent.

    Reports are immutable versions (STYLE #2): a verified report is corrected only by a new version
    that says why (the verifier's opinion stays attached to the version it was given on), so
    without a reason it raises ValidationFailed."""
    if latest is None:
        return 1
    if latest.gwp_set == gwp_set and latest.inputs == inputs:
        return None
    if latest.verified and not reason.strip():
        raise ValidationFailed(
            [Problem("the latest report is verified: a corrected version needs --reason", field="reason")]
        )
    return latest.version + 1
