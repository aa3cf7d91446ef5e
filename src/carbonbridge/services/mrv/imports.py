"""MRV use cases against storage: activity-data import (calculated on the way in) and measured (CEMS) hourly series."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from carbonbridge.adapters.cems_file import read_hourly_series
from carbonbridge.adapters.db.models import ActivityDatasetRow, ActivityRecordRow, MeasurementResultRow
from carbonbridge.adapters.db.uow import audit, unit_of_work
from carbonbridge.adapters.packs import load_pack
from carbonbridge.adapters.tables import read_table, sha256_of
from carbonbridge.domain.errors import NotFound, Problem, ValidationFailed, one_of
from carbonbridge.domain.jurisdiction import Config
from carbonbridge.domain.mrv import cems
from carbonbridge.domain.mrv.bulk import records_from_frame, validate_frame
from carbonbridge.domain.mrv.calculation import Calculator
from carbonbridge.domain.mrv.monitoring import Method, check_records_against_plan
from carbonbridge.domain.mrv.records import ActivityRecord
from carbonbridge.services.mrv.plans import Sessions, latest_plan

Progress = Callable[[int, int], None]
CHUNK = 5000
MEASURED_GASES = ("CO2", "CH4", "N2O")


@dataclass(frozen=True, slots=True)
class ImportedDataset:
    installation_id: str
    year: int
    version: int
    records: int
    co2_t: float


def _record_values(record: ActivityRecord, dataset_id: int, result: Any) -> dict[str, Any]:
    return {
        "dataset_id": dataset_id,
        "record_id": record.record_id,
        "source_stream": record.source_stream,
        "activity": record.activity,
        "quantity": record.quantity,
        "unit": record.unit,
        "sector": record.sector,
        "technology": record.technology,
        "ncv": record.ncv,
        "ncv_unit": record.ncv_unit,
        "emission_factor": record.emission_factor,
        "ef_unit": record.ef_unit,
        "oxidation_factor": record.oxidation_factor,
        "carbon_content": record.carbon_content,
        "carbon_content_unit": record.carbon_content_unit,
        "co2_t": result.co2_t,
        "ch4_t": result.ch4_t,
        "n2o_t": result.n2o_t,
        "method": result.method,
        "factor_source": result.factor_source,
    }


def _pack_of(plans: dict[str, Any]) -> str:
    """The method pack of the known installations' plans (the first, if they differ: import refuses
    that case after reporting the file's other problems), or the default pack."""
    packs = sorted({p[1].method_pack for p in plans.values() if p is not None})
    return packs[0] if packs else "ipcc2006"


def import_activity(
    sessions: Sessions,
    path: Path,
    *,
    config: Config,
    year: int | None,
    now: dt.datetime,
    actor: str = "cli",
    progress: Progress | None = None,
    admit: Callable[[list[str]], None] | None = None,
) -> list[ImportedDataset]:
    """Validate a whole file against the factor pack and each installation's monitoring plan,
    then store one new dataset version per installation-year in a single transaction.
    `admit` is shown the installations the file names before anything else is checked and raises
    to refuse the whole file (an API principal may import only its own installations). `config`:
    the jurisdictions' configuration (the GWP set of each installation's jurisdiction)."""
    raw, source = read_table(path)
    ids = (
        raw.get_column("installation_id").drop_nulls().str.strip_chars().unique().sort().to_list()
        if "installation_id" in raw.columns
        else []
    )
    if admit is not None:
        admit(ids)
    with unit_of_work(sessions) as session:
        plans = {i: latest_plan(session, i) for i in ids}
        unknown = sorted(i for i, p in plans.items() if p is None)
        if unknown:
            col = source.columns.index("installation_id") + 1
            lines = raw.with_row_index().filter(pl.col("installation_id").str.strip_chars().is_in(unknown))
            located = [
                Problem(
                    f"installation {i!r} has no monitoring plan; register it with 'mrv plan'",
                    source.file,
                    source.line(n),
                    col if source.column_numbers else None,
                    "installation_id",
                )
                for n, i in lines.select("index", "installation_id").head(1000).iter_rows()
            ]
            try:  # report the file's other problems in the same run, not one kind at a time
                validate_frame(raw, source, load_pack(_pack_of(plans)), year)
            except ValidationFailed as exc:
                located += exc.problems
            raise ValidationFailed(sorted(located, key=lambda p: (p.line or 0, p.column or 0))[:1000])
        packs = {p[1].method_pack for p in plans.values() if p is not None}
        if len(packs) > 1:
            raise ValidationFailed(
                [
                    Problem(
                        f"installations in one file use different method packs "
                        f"({', '.join(sorted(packs))}); split the file by pack",
                        source.file,
                    )
                ]
            )
        pack_name = _pack_of(plans)
        typed = validate_frame(raw, source, load_pack(pack_name), year)
        records = records_from_frame(typed)
        problems: list[Problem] = []
        if any(r.year is None for r in records):
            problems.append(Problem("year is required: give a year column or --year", source.file, field="year"))
        record_lines = source.all_lines(len(records))
        for installation_id, found in plans.items():
            assert found is not None
            mine = [(record_lines[i], r) for i, r in enumerate(records) if r.installation_id == installation_id]
            problems += check_records_against_plan(found[1], mine, file=source.file, columns=source.columns)
        if problems:
            raise ValidationFailed(
                sorted(problems, key=lambda p: (p.line or 0, p.column or 0))[:1000],
                truncated=max(0, len(problems) - 1000),
            )
        return _store_datasets(session, records, plans, pack_name, path, now, actor, progress, config)


def _store_datasets(
    session: Session,
    records: list[ActivityRecord],
    plans: dict[str, Any],
    pack_name: str,
    path: Path,
    now: dt.datetime,
    actor: str,
    progress: Progress | None,
    config: Config,
) -> list[ImportedDataset]:
    groups: dict[tuple[str, int], list[ActivityRecord]] = {}
    for record in records:
        assert record.year is not None
        groups.setdefault((record.installation_id, record.year), []).append(record)
    digest = sha256_of(path)
    done, imported = 0, []
    for (installation_id, year), group in sorted(groups.items()):
        plan_row, plan = plans[installation_id]
        calculator = Calculator(load_pack(pack_name), config.jurisdiction(plan.jurisdiction).gwp_set)
        version = (
            session.scalar(
                select(func.max(ActivityDatasetRow.version)).where(
                    ActivityDatasetRow.installation_id == installation_id, ActivityDatasetRow.year == year
                )
            )
            or 0
        ) + 1
        dataset = ActivityDatasetRow(
            installation_id=installation_id,
            year=year,
            version=version,
            plan_id=plan_row.id,
            source_file=path.name,
            sha256=digest,
            method_pack=pack_name,
            record_count=len(group),
            imported_at=now,
        )
        session.add(dataset)
        session.flush()
        co2 = 0.0
        for start in range(0, len(group), CHUNK):
            chunk = group[start : start + CHUNK]
            rows = []
            for record in chunk:
                result = calculator.calculate(record)
                co2 += result.co2_t
                rows.append(_record_values(record, dataset.id, result))
            session.execute(insert(ActivityRecordRow), rows)
            done += len(chunk)
            if progress:
                progress(done, len(records))
        audit(
            session,
            at=now,
            actor=actor,
            action="activity.imported",
            subject=f"{installation_id}/{year}",
            detail={"version": version, "records": len(group), "file": path.name, "sha256": digest},
        )
        imported.append(ImportedDataset(installation_id, year, version, len(group), co2))
    return imported


# --- measurement (CEMS) -----------------------------------------------------------------


def import_cems(
    sessions: Sessions,
    path: Path,
    *,
    installation_id: str,
    year: int,
    emission_source: str,
    gas: str = "CO2",
    concentration_unit: str = "g/Nm3",
    flow_unit: str = "Nm3/h",
    now: dt.datetime,
    actor: str = "cli",
) -> cems.CemsResult:
    """Hourly CSV (columns hour, concentration, flow; blank = missing hour) to a measured year."""
    if gas not in MEASURED_GASES:
        # The report keeps measured masses per gas (co2_t, ch4_t, n2o_t); anything else would crash it later.
        expected = ", ".join(MEASURED_GASES)
        message = f"unknown gas {gas!r}; expected one of {expected}"
        raise ValidationFailed([Problem(message, field="gas", expected=one_of(MEASURED_GASES))])
    if concentration_unit not in cems.CONCENTRATION_UNITS or flow_unit not in cems.FLOW_UNITS:
        raise ValidationFailed(
            [
                Problem(
                    f"units: concentration in {', '.join(cems.CONCENTRATION_UNITS)}; flow in "
                    f"{', '.join(cems.FLOW_UNITS)}",
                    str(path),
                )
            ]
        )
    concentration, flow = read_hourly_series(path)
    result = cems.measured_emissions(
        concentration * cems.CONCENTRATION_UNITS[concentration_unit], flow * cems.FLOW_UNITS[flow_unit]
    )
    with unit_of_work(sessions) as session:
        found = latest_plan(session, installation_id)
        if found is None:
            raise NotFound(f"installation {installation_id!r} has no monitoring plan")
        stream = found[1].stream(emission_source)
        if stream is None or stream.method is not Method.MEASUREMENT:
            raise ValidationFailed(
                [
                    Problem(
                        f"{emission_source!r} is not a measurement-based emission source in the "
                        f"monitoring plan of {installation_id}",
                        field="emission_source",
                    )
                ]
            )
        version = (
            session.scalar(
                select(func.max(MeasurementResultRow.version)).where(
                    MeasurementResultRow.installation_id == installation_id,
                    MeasurementResultRow.year == year,
                    MeasurementResultRow.emission_source == emission_source,
                    MeasurementResultRow.gas == gas,
                )
            )
            or 0
        ) + 1
        session.add(
            MeasurementResultRow(
                installation_id=installation_id,
                year=year,
                version=version,
                source_file=path.name,
                sha256=sha256_of(path),
                imported_at=now,
                emission_source=emission_source,
                gas=gas,
                hours_total=result.hours_total,
                hours_valid=result.hours_valid,
                hours_substituted_concentration=result.hours_substituted_concentration,
                hours_substituted_flow=result.hours_substituted_flow,
                emissions_t=result.emissions_t,
                detail={
                    "substitute_concentration_g_per_nm3": result.substitute_concentration_g_per_nm3,
                    "substitute_flow_nm3_per_h": result.substitute_flow_nm3_per_h,
                    "rule": "EU MRR 2018/2066 Art. 45(3), Annex VIII Eq. 4: mean + 2 sigma of valid hours",
                },
            )
        )
        audit(
            session,
            at=now,
            actor=actor,
            action="cems.imported",
            subject=f"{installation_id}/{year}",
            detail={
                "source": emission_source,
                "gas": gas,
                "version": version,
                "substituted_hours": result.hours_substituted_concentration + result.hours_substituted_flow,
            },
        )
    return result
