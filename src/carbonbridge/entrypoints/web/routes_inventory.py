"""The national inventory for its administrators: the latest submission, total emissions per year
(chart) and the key categories of the latest year (IPCC Approach 1, level and trend)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import RedirectResponse

from carbonbridge.domain.auth.policy import Action, Target
from carbonbridge.domain.errors import NotFound
from carbonbridge.domain.inventory.records import total_co2e_t
from carbonbridge.entrypoints.http.access import authorize
from carbonbridge.entrypoints.web.render import Ctx, SignedIn, home_jurisdiction, page
from carbonbridge.services import inventory
from carbonbridge.services.inventory.analysis import kca_report, records_estimates

router = APIRouter()
Code = Annotated[str, Path(pattern="^(BY|CN)$")]
KEY_ROWS_SHOWN = 40


@router.get("/inventory")
def inventory_home(who: SignedIn, ctx: Ctx) -> Response:
    authorize(ctx, who, Action.INVENTORY_READ, None)
    return RedirectResponse(f"/web/inventory/{ctx.settings.jurisdiction or home_jurisdiction(who)}", status_code=303)


@router.get("/inventory/{code}")
def inventory_page(code: Code, request: Request, who: SignedIn, ctx: Ctx) -> Response:
    authorize(ctx, who, Action.INVENTORY_READ, Target(code), "jurisdiction")
    gwp_set = ctx.core.jurisdiction(code).inventory_gwp_set
    try:
        view = inventory.submission(ctx.sessions, code, gwp_set=gwp_set)
    except NotFound:
        return page(request, "inventory.html", who, jurisdiction=code, code=code, view=None)
    records = inventory.load_submission(ctx.sessions, code, view.version)
    years = view.years
    totals = [total_co2e_t(records, y, gwp_set) for y in years]
    latest, base = years[-1], years[0]
    report = kca_report(
        records_estimates(records, latest, gwp_set, with_lulucf=False),
        records_estimates(records, base, gwp_set, with_lulucf=False) if base != latest else None,
        year=latest,
        base_year=base if base != latest else None,
    )
    chart = {"years": years, "totals": [t / 1000 for t in totals]}
    return page(
        request,
        "inventory.html",
        who,
        jurisdiction=code,
        code=code,
        view=view,
        gwp_set=gwp_set,
        totals=list(zip(years, totals, strict=True)),
        key_categories=report["key_categories"][:KEY_ROWS_SHOWN],
        chart=chart,
    )
