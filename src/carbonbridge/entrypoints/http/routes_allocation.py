"""Cap and free allocation: the cap per year, allocation plans from production data, the
allocations posted, and the posting itself (issue and allocate ex ante, or true up) - the use
cases of `carbonbridge cap` and `carbonbridge allocate`, for the administrators of a jurisdiction."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Path, Query, UploadFile

from carbonbridge.adapters.uploads import saved
from carbonbridge.domain.auth.policy import Action, Target
from carbonbridge.entrypoints.http import files
from carbonbridge.entrypoints.http import schemas as s
from carbonbridge.entrypoints.http import schemas_reporting as r
from carbonbridge.entrypoints.http.access import Caller, Ctx, OneTimeCode, authorize, sign
from carbonbridge.services import allocation, national_representation

router = APIRouter(prefix="/allocation", tags=["cap and allocation"], responses=s.PROBLEMS)
Code = Annotated[s.Jurisdiction, Path()]
Year = Annotated[int, Path(ge=2000, le=2100)]
Input = Annotated[UploadFile, File(description="Historical activity (BY) or unit outputs (CN), CSV or XLSX")]
Phase = Literal["ex_ante", "true_up"]


def _jurisdiction(ctx: Ctx, who: Caller, action: Action, code: str) -> None:
    authorize(ctx, who, action, Target(code), "jurisdiction")


@router.get("/{jurisdiction}/cap", response_model=s.Page[r.CapYearPublic])
def cap(
    jurisdiction: Code,
    who: Caller,
    ctx: Ctx,
    first: Annotated[int, Query(alias="from", ge=2000, le=2100)] = 2026,
    last: Annotated[int, Query(alias="to", ge=2000, le=2100)] = 2035,
    cursor: s.Cursor = None,
    limit: s.Limit = 50,
) -> dict[str, object]:
    """The absolute cap of each year (linear reduction factor); an intensity cap follows output (422)."""
    _jurisdiction(ctx, who, Action.ALLOCATION_READ, jurisdiction)
    after = s.decode_cursor(cursor)
    start = max(first, int(after) + 1) if after and after.isdigit() else first
    found = allocation.caps(ctx.core.jurisdiction(jurisdiction), start, last)[:limit] if start <= last else []
    return s.page([r.CapYearPublic(year=y, cap_t=c) for y, c in found], [str(y) for y, _ in found], limit)


@router.post("/{jurisdiction}/plan", response_model=r.AllocationPlanPublic)
def plan(
    jurisdiction: Code,
    who: Caller,
    ctx: Ctx,
    input: Input,
    year: Annotated[int | None, Form(ge=2000, le=2100, description="Picks the rules in force")] = None,
) -> r.AllocationPlanPublic:
    """Free allocation per installation or unit from the uploaded table; nothing is stored."""
    _jurisdiction(ctx, who, Action.ALLOCATION_READ, jurisdiction)
    with saved({"input": files.read(input, "input.csv")}) as paths:
        lines = allocation.plan(ctx.core.jurisdiction(jurisdiction), paths["input"], year)
    out = [r.PlanLinePublic.model_validate(asdict(line)) for line in lines]
    return r.AllocationPlanPublic(lines=out, total_t=sum(line.allocation_t for line in lines))


@router.get("/{jurisdiction}/{year}/entries", response_model=s.Page[r.AllocationEntryPublic])
def entries(
    jurisdiction: Code,
    year: Year,
    who: Caller,
    ctx: Ctx,
    cursor: s.Cursor = None,
    limit: s.Limit = 50,
    phase: Annotated[Phase | None, Query()] = None,
    installation_id: Annotated[s.Id | None, Query()] = None,
) -> dict[str, object]:
    """The allocation decisions posted for the year, per installation and phase."""
    _jurisdiction(ctx, who, Action.ALLOCATION_READ, jurisdiction)
    found = allocation.entries_page(
        ctx.sessions,
        jurisdiction,
        year,
        after=s.decode_cursor(cursor),
        limit=limit,
        phase=phase,
        installation_id=installation_id,
    )
    return s.page([r.AllocationEntryPublic.model_validate(e) for e in found], [e.key for e in found], limit)


@router.post("/{jurisdiction}/{year}/{phase}", response_model=r.AllocationRunPublic)
def post(
    jurisdiction: Code,
    year: Year,
    phase: Annotated[Phase, Path()],
    who: Caller,
    ctx: Ctx,
    input: Input,
    code: OneTimeCode = None,
) -> r.AllocationRunPublic:
    """Issue and allocate ex ante, or true up from verified output, signed with a fresh one-time code.
    Idempotent per jurisdiction, year and phase: a repeat returns the first run; other figures 409.
    A national administrator acts as the national account's representative `national-admin.<user>`
    (added to the account on its first posting); a registry administrator as its own representative."""
    _jurisdiction(ctx, who, Action.ALLOCATION_POST, jurisdiction)
    sign(ctx, who, code)
    initiator = national_representation.national_initiator(ctx.sessions, who, jurisdiction, now=ctx.now())
    with saved({"input": files.read(input, "input.csv")}) as paths:
        run = allocation.post_allocation(
            ctx.sessions,
            ctx.core.jurisdiction(jurisdiction),
            year,
            paths["input"],
            phase,
            now=ctx.now(),
            initiator=initiator,
        )
    postings = [r.PostingPublic.model_validate(asdict(p)) for p in run.postings]
    return r.AllocationRunPublic(
        jurisdiction=run.jurisdiction,
        year=run.year,
        phase=run.phase,
        unit_type=run.unit_type,
        cap_t=run.cap_t,
        intensity_cap_t=run.intensity_cap_t,
        rules=run.rules,
        delivered_t=run.delivered_t,
        postings=postings,
    )
