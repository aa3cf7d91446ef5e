"""Public pages, without sign-in (as the EU Transaction Log's): per installation-year the
allocation, verified emissions, units surrendered and compliance status; per jurisdiction-year the
totals. Nothing personal: no holders, representatives or users."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from carbonbridge.adapters.market_config import load_market_config
from carbonbridge.domain.errors import NotFound
from carbonbridge.entrypoints.web.render import Ctx, MaybeSignedIn, page
from carbonbridge.services import api_queries as q
from carbonbridge.services.market import data, queries

router = APIRouter()
Code = Annotated[str, Path(pattern="^(BY|CN)$")]
Year = Annotated[int, Path(ge=2000, le=2100)]
YEARS_SHOWN = 5
BARS_SHOWN = 60


def _served(ctx: Ctx, code: str) -> None:
    if ctx.settings.jurisdiction and code != ctx.settings.jurisdiction:
        raise NotFound(f"jurisdiction {code} is not served here")


@router.get("/public")
def public_home(request: Request, who: MaybeSignedIn, ctx: Ctx) -> Response:
    config = ctx.core.config
    codes = [c for c in sorted(config.jurisdictions) if not ctx.settings.jurisdiction or c == ctx.settings.jurisdiction]
    latest = ctx.now().year - 1
    return page(
        request,
        "public_home.html",
        who,
        jurisdictions=[config.jurisdiction(c) for c in codes],
        years=list(range(latest, latest - YEARS_SHOWN, -1)),
    )


@router.get("/public/market/{code}")
def market_statistics(code: Code, request: Request, who: MaybeSignedIn, ctx: Ctx) -> Response:
    """Daily prices and volumes of each traded instrument (the close is the day's VWAP)."""
    _served(ctx, code)
    series = {}
    for instrument in queries.instruments_traded(ctx.sessions, code):
        series[instrument] = data.bars(ctx.sessions, instrument)[-BARS_SHOWN:]
    chart = {
        i: {
            "days": [b.day.isoformat() for b in bars],
            "close": [b.close / 100 for b in bars],
            "volume": [b.volume for b in bars],
        }
        for i, bars in series.items()
    }
    return page(
        request,
        "public_market.html",
        who,
        jurisdiction=code,
        code=code,
        currency=load_market_config(code).currency,
        series=series,
        chart=chart,
    )


@router.get("/public/{code}/{year}")
def public_year(code: Code, year: Year, request: Request, who: MaybeSignedIn, ctx: Ctx) -> Response:
    _served(ctx, code)
    rows = q.public_installations_page(ctx.sessions, code, year, after=None, limit=q.MAX_PAGE)
    return page(
        request,
        "public_year.html",
        who,
        jurisdiction=code,
        code=code,
        year=year,
        totals=q.public_jurisdiction_year(ctx.sessions, code, year),
        rows=rows,
    )
