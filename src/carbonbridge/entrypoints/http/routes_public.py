"""Public reports, without sign-in (like the EU Transaction Log's public pages): per
installation-year the allocation, verified emissions, units surrendered and compliance status;
per jurisdiction the totals. Nothing personal: no holders, representatives or users."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from carbonbridge.domain.errors import NotFound
from carbonbridge.entrypoints.http import schemas as s
from carbonbridge.entrypoints.http.access import Ctx
from carbonbridge.services import api_queries as q

router = APIRouter(prefix="/public", tags=["public reports"], responses=s.PROBLEMS)
Year = Annotated[int, Path(ge=2000, le=2100)]
Code = Annotated[s.Jurisdiction, Path()]


def _served(ctx: Ctx, code: str) -> None:
    if ctx.settings.jurisdiction and code != ctx.settings.jurisdiction:
        raise NotFound(f"jurisdiction {code} is not served here")


@router.get("/jurisdictions", response_model=s.Page[s.JurisdictionPublic])
def jurisdictions(ctx: Ctx, cursor: s.Cursor = None, limit: s.Limit = 50) -> dict[str, object]:
    after = s.decode_cursor(cursor)
    codes = [
        c
        for c in sorted(ctx.core.config.jurisdictions)
        if (after is None or c > after) and (not ctx.settings.jurisdiction or c == ctx.settings.jurisdiction)
    ][:limit]
    items = []
    for code in codes:
        j = ctx.core.jurisdiction(code)
        items.append(
            s.JurisdictionPublic(
                code=j.code,
                name=j.name,
                currency=j.currency,
                gwp_set=j.gwp_set,
                method_pack=j.method_pack,
                timezone=j.timezone,
            )
        )
    return s.page(items, codes, limit)


@router.get("/installations", response_model=s.Page[s.InstallationPublic])
def installations(
    ctx: Ctx,
    cursor: s.Cursor = None,
    limit: s.Limit = 50,
    jurisdiction: Annotated[s.Jurisdiction | None, Query()] = None,
) -> dict[str, object]:
    code = jurisdiction or ctx.settings.jurisdiction
    if code:
        _served(ctx, code)
    found = q.installations_page(ctx.sessions, after=s.decode_cursor(cursor), limit=limit, jurisdiction=code)
    return s.page(
        [s.InstallationPublic(id=i.id, jurisdiction=i.jurisdiction, name=i.name, sector=i.sector) for i in found],
        [i.id for i in found],
        limit,
    )


@router.get("/installations/{installation_id}/years/{year}", response_model=s.PublicInstallationYearOut)
def installation_year(installation_id: s.Id, year: Year, ctx: Ctx) -> s.PublicInstallationYearOut:
    found = q.public_installation_year(ctx.sessions, installation_id, year)
    _served(ctx, found.jurisdiction)
    return s.PublicInstallationYearOut(**{k: getattr(found, k) for k in s.PublicInstallationYearOut.model_fields})


@router.get("/jurisdictions/{code}/years/{year}", response_model=s.PublicJurisdictionYearOut)
def jurisdiction_year(code: Code, year: Year, ctx: Ctx) -> s.PublicJurisdictionYearOut:
    _served(ctx, code)
    found = q.public_jurisdiction_year(ctx.sessions, code, year)
    return s.PublicJurisdictionYearOut(**{k: getattr(found, k) for k in s.PublicJurisdictionYearOut.model_fields})


@router.get("/jurisdictions/{code}/years/{year}/installations", response_model=s.Page[s.PublicInstallationYearOut])
def jurisdiction_installations(
    code: Code, year: Year, ctx: Ctx, cursor: s.Cursor = None, limit: s.Limit = 50
) -> dict[str, object]:
    _served(ctx, code)
    found = q.public_installations_page(ctx.sessions, code, year, after=s.decode_cursor(cursor), limit=limit)
    fields = s.PublicInstallationYearOut.model_fields
    return s.page(
        [s.PublicInstallationYearOut(**{k: getattr(f, k) for k in fields}) for f in found],
        [f.installation_id for f in found],
        limit,
    )
