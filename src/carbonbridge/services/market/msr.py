"""MSR figures from the registry's data, and a scenario over several years charted (Plotly HTML,
Matplotlib PNG)."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict
from pathlib import Path

from sqlalchemy import text

from carbonbridge.adapters.db.registry.ledger import Sessions
from carbonbridge.domain.errors import Problem, ValidationFailed
from carbonbridge.domain.market.msr import MsrFigures, MsrPolicy, ScenarioYear, figures, scenario

OUT_OF_CIRCULATION = ("national_holding", "auction_delivery", "market_stability_reserve", "deletion", "issuance")


def registry_tnac(sessions: Sessions, jurisdiction: str) -> tuple[int, int]:
    """Allowances in circulation (held in holders' accounts: not national, auction, reserve, deleted)
    and allowances in the reserve account(s), from the registry's holdings."""
    marks = ", ".join(f"'{t}'" for t in OUT_OF_CIRCULATION)
    with sessions() as session:
        held, reserve = session.execute(
            text(
                f"SELECT coalesce(sum(CASE WHEN a.type NOT IN ({marks}) THEN h.quantity ELSE 0 END), 0), "
                "coalesce(sum(CASE WHEN a.type = 'market_stability_reserve' THEN h.quantity ELSE 0 END), 0) "
                "FROM registry_holdings h JOIN registry_accounts a ON a.id = h.account_id "
                "JOIN registry_unit_types u ON u.code = h.unit_type "
                "WHERE a.jurisdiction = :j AND u.kind = 'allowance'"
            ),
            {"j": jurisdiction},
        ).one()
    return int(held), int(reserve)


def msr_figures(
    sessions: Sessions | None, jurisdiction: str, year: int, policy: MsrPolicy, tnac: int | None
) -> MsrFigures:
    if tnac is None:
        if sessions is None:
            raise ValidationFailed([Problem("give --tnac or a database with registry data", field="tnac")])
        tnac, reserve = registry_tnac(sessions, jurisdiction)
        return figures(year, tnac, policy, reserve)
    return figures(year, tnac, policy)


SCENARIO_COLUMNS = ("year", "cap", "free_allocation", "emissions")


def read_scenario(path: Path) -> tuple[int, list[int], list[int], list[int]]:
    file = str(path)
    reader = csv.reader(io.StringIO(path.read_text(encoding="utf-8")))
    header = [h.strip() for h in next(reader, [])]
    if header != list(SCENARIO_COLUMNS):
        raise ValidationFailed([Problem(f"header must be {','.join(SCENARIO_COLUMNS)}", file, 1, 1)])
    problems: list[Problem] = []
    years: list[int] = []
    values: list[list[int]] = [[], [], []]
    for line, row in enumerate(reader, start=2):
        if not any(c.strip() for c in row):
            continue
        if len(row) != 4:
            problems.append(Problem(f"expected 4 fields, found {len(row)}", file, line, 1))
            continue
        for column, cell in enumerate(row, start=1):
            text_value = cell.strip().replace("_", "")
            if not text_value.isdigit():
                problems.append(Problem(f"{SCENARIO_COLUMNS[column - 1]} must be a whole number", file, line, column))
            elif column == 1:
                if years and int(text_value) != years[-1] + 1:
                    problems.append(Problem("years must follow each other", file, line, 1))
                years.append(int(text_value))
            else:
                values[column - 2].append(int(text_value))
    if not years and not problems:
        problems.append(Problem("no years", file, 2, 1))
    if problems:
        raise ValidationFailed(problems)
    return years[0], values[0], values[1], values[2]


def run_scenario(
    path: Path, policy: MsrPolicy, out: Path, *, opening_tnac: int, opening_reserve: int
) -> list[ScenarioYear]:
    start, caps, free, emissions = read_scenario(path)
    years = scenario(start, caps, free, emissions, policy, opening_tnac=opening_tnac, opening_reserve=opening_reserve)
    out.mkdir(parents=True, exist_ok=True)
    with (out / "msr_scenario.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(asdict(years[0])))
        writer.writeheader()
        writer.writerows(asdict(y) for y in years)
    _charts(years, out)
    return years


def _charts(years: list[ScenarioYear], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import plotly.graph_objects as go

    x = [y.year for y in years]
    series = {
        "auction supply": [y.auctioned for y in years],
        "TNAC": [y.tnac for y in years],
        "reserve": [y.reserve for y in years],
        "emissions": [y.emissions for y in years],
    }
    figure = go.Figure(
        [go.Scatter(x=x, y=[v / 1e6 for v in ys], name=name, mode="lines+markers") for name, ys in series.items()]
    )
    figure.update_layout(title="MSR scenario (million allowances)", xaxis_title="year", yaxis_title="Mt")
    figure.write_html(out / "msr_scenario.html", include_plotlyjs="cdn")
    fig, axis = plt.subplots(figsize=(8, 4.5))
    for name, ys in series.items():
        axis.plot(x, [v / 1e6 for v in ys], marker="o", label=name)
    axis.set_title("MSR scenario (million allowances)")
    axis.set_xlabel("year")
    axis.legend()
    fig.tight_layout()
    fig.savefig(out / "msr_scenario.png", dpi=110)
    plt.close(fig)
