"""A CEMS file names each hour once: blank or repeated hours are refused with their lines."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from carbonbridge.adapters.db.models import MeasurementResultRow
from carbonbridge.adapters.monitoring_plan_file import parse_plan
from carbonbridge.domain.errors import ValidationFailed
from carbonbridge.services.mrv.imports import import_cems
from carbonbridge.services.mrv.plans import register_plan

PLAN = {
    "installation_id": "BY-9001",
    "jurisdiction": "BY",
    "name": "Stack test",
    "operator": "Op",
    "sector": "energy_industries",
    "category": "A",
    "method_pack": "ipcc2006",
    "source_streams": [{"name": "stack", "activity": "cems", "method": "measurement"}],
}


def test_blank_and_repeated_hours_are_refused_and_nothing_is_stored(app: Any, tmp_path: Path, now: dt.datetime) -> None:
    register_plan(app.sessions, parse_plan(PLAN), config=app.config, now=now)
    source = tmp_path / "hours.csv"
    source.write_text("hour,concentration,flow\n0,150,200000\n1,,200000\n1,151,\n,152,200001\n3,150,199000\n")
    with pytest.raises(ValidationFailed) as info:
        import_cems(app.sessions, source, installation_id="BY-9001", year=2025, emission_source="stack", now=now)
    assert [p.render() for p in info.value.problems] == [
        f"{source}:3:1: hour '1' appears more than once",
        f"{source}:4:1: hour '1' appears more than once",
        f"{source}:5:1: missing hour",
    ]
    with app.sessions() as session:
        assert session.scalar(select(func.count()).select_from(MeasurementResultRow)) == 0
