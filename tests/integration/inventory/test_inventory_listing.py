"""The submissions list is summarised in a fixed number of statements, whatever the number of
versions, and says exactly what each version's own view says."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import event

from carbonbridge.services.inventory import compile as store

ENERGY = "year,category,fuel,amount,unit\n2019,1.A.1,natural_gas,1000,TJ\n2020,1.A.1,natural_gas,{tj},TJ\n"
SINK = "year,category,gas,mass_t,method\n2019,3.B.1.a,CO2,-20000,synthetic\n2020,3.B.1.a,CO2,-21000,synthetic\n"


def _compile(app: Any, folder: Path, tj: int, now: dt.datetime, label: str) -> int:
    folder.mkdir()
    (folder / "energy_balance.csv").write_text(ENERGY.format(tj=tj), encoding="utf-8")
    (folder / "emissions.csv").write_text(SINK, encoding="utf-8")
    return store.compile_submission(app.sessions, "BY", folder, now=now, label=label).version


def _statements(app: Any, work: Any) -> tuple[Any, int]:
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(app.engine, "before_cursor_execute", count)
    try:
        return work(), len([s for s in seen if s.lstrip().upper().startswith(("SELECT", "(SELECT", "WITH"))])
    finally:
        event.remove(app.engine, "before_cursor_execute", count)


def test_the_list_takes_the_same_statements_for_one_version_or_four(app: Any, tmp_path: Path, now: dt.datetime) -> None:
    _compile(app, tmp_path / "v1", 1100, now, "first")
    one, for_one = _statements(
        app, lambda: store.submissions_page(app.sessions, "BY", after=None, limit=50, gwp_set="AR5GWP100")
    )
    for n, tj in enumerate((1200, 1300, 1400), 2):
        assert _compile(app, tmp_path / f"v{n}", tj, now, "later") == n
    four, for_four = _statements(
        app, lambda: store.submissions_page(app.sessions, "BY", after=None, limit=50, gwp_set="AR4GWP100")
    )
    assert [v.version for v in one] == [1] and [v.version for v in four] == [1, 2, 3, 4]
    assert for_one == for_four == 2  # the page, then its summary: no statement per version
    assert four == [store.submission(app.sessions, "BY", v, "AR4GWP100") for v in (1, 2, 3, 4)]
    assert four[3].latest_total_without_lulucf_t_co2e > four[0].latest_total_without_lulucf_t_co2e > 0


def test_the_list_filters_by_label_and_pages_after_a_version(app: Any, tmp_path: Path, now: dt.datetime) -> None:
    for n, (tj, label) in enumerate(((1100, "a"), (1200, "b"), (1300, "b")), 1):
        _compile(app, tmp_path / f"v{n}", tj, now, label)
    labelled = store.submissions_page(app.sessions, "BY", after=None, limit=50, gwp_set="AR5GWP100", label="b")
    assert [v.version for v in labelled] == [2, 3]
    page = store.submissions_page(app.sessions, "BY", after=1, limit=1, gwp_set="AR5GWP100")
    assert [v.version for v in page] == [2] and page[0].years == [2019, 2020] and page[0].records == 8
    assert store.submissions_page(app.sessions, "CN", after=None, limit=50, gwp_set="AR5GWP100") == []
