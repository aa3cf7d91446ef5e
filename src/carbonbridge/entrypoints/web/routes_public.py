"""Public pages, without sign-in (as the EU Transaction Log's): per installation-year the
allocation, verified emissions, units surrendered and compliance status; per jurisdiction-year the
totals. Nothing personal: no holders, representatives or users."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from carbonbridge.adapters.config import jurisdiction_codes, load_jurisdiction
from carbonbridge.domain.errors import NotFound
from carbonbridge.entrypoints.web.render import Ctx, MaybeSignedIn, page
from carbonbridge.services import api_queries as q

router = APIRouter()
Code = Annotated[str, Path(pattern="^(BY|CN)$")]
Year = Annotated[int, Path(ge=2000, le=2100)]
YEARS_SHOWN = 5


def _served(ctx: Ctx, code: str) -> None:
    if ctx.settings.jurisdiction and code != ctx.settings.jurisdiction:
        raise NotFound(f"jurisdiction {code} is not served here")


@router.get("/public")
def public_home(request: Request, who: MaybeSignedIn, ctx: Ctx) -> Response:
    codes = [c for c in jurisdiction_codes() if not ctx.settings.jurisdiction or c == ctx.settings.jurisdiction]
    latest = ctx.now().year - 1
    return page(
        request,
        "public_home.html",
        who,
        jurisdictions=[load_jurisdiction(c) for c in codes],
        years=list(range(latest, latest - YEARS_SHOWN, -1)),
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
