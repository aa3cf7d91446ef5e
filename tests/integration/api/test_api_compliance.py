"""Compliance over HTTP and the public reports: verified emissions entered by the national
administrator, a surrender signed by the operator, the status per installation-year, and the
public pages that show it without sign-in (and nothing personal)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from api_world import UNIT, World, fund, make_world
from carbonbridge.client import ApiError


@pytest.fixture
def world(app: Any) -> World:
    return make_world(app)


def test_a_compliance_year_shows_in_the_public_reports(world: World, add_verified_report: Callable[..., None]) -> None:
    fund(world)
    add_verified_report(world.core.sessions, "INST-1", 80, world.clock.now)
    national = world.as_user("national")
    entered = national.post("/compliance/jurisdictions/BY/2025/verified-emissions")
    assert entered == {"entered": ["INST-1"], "without_verified_report": ["INST-2"]}
    assert national.compliance("INST-1", 2025)["status"] == "B"
    operator = world.as_user("operator")
    surrender = operator.propose(
        "surrender",
        key="s-1",
        code=world.code("operator"),
        unit_type=UNIT,
        quantity=100,
        source_account="BY-OP1",
        installation_id="INST-1",
        compliance_year=2025,
    )
    assert surrender["state"] == "completed"
    assert world.as_user("verifier").compliance("INST-1", 2025) == {
        "installation_id": "INST-1",
        "year": 2025,
        "verified_emissions_t": 80,
        "surrendered": 100,
        "status": "A",
    }
    public = world.anonymous()
    page = public.public_installation_year("INST-1", 2025)
    assert (page["verified_emissions_t"], page["surrendered_t"], page["status"]) == (80, 100, "A")
    assert set(page) == {
        "installation_id",
        "jurisdiction",
        "name",
        "year",
        "allocation_t",
        "verified_emissions_t",
        "surrendered_t",
        "status",
    }  # nothing personal: no holder, representative or user
    totals = public.public_jurisdiction_year("BY", 2025)
    assert totals["installations"] == 2 and totals["verified_emissions_t"] == 80 and totals["surrendered_t"] == 100
    assert totals["status_counts"] == {"A": 1, "B": 0, "C": 1}
    rows = list(public.paginate("/public/jurisdictions/BY/years/2025/installations", limit=1))
    assert [r["installation_id"] for r in rows] == ["INST-1", "INST-2"]
    assert world.as_user("auditor").check()["ok"]


def test_entering_emissions_without_a_verified_report_is_refused_with_its_code(world: World) -> None:
    with pytest.raises(ApiError) as refused:
        world.as_user("national").enter_verified_emissions("INST-1", 2025)
    assert refused.value.status == 422 and refused.value.response_code == "C01_NOT_VERIFIED"


def test_assessing_before_the_surrender_deadline_is_refused(world: World) -> None:
    with pytest.raises(ApiError) as refused:
        world.as_user("national").post("/compliance/jurisdictions/BY/2025/assessments")
    assert refused.value.response_code == "before_deadline"


def test_an_operator_sees_the_compliance_of_its_installation_only(world: World) -> None:
    operator = world.as_user("operator")
    assert operator.compliance("INST-1", 2025)["status"] == "C"
    with pytest.raises(ApiError) as hidden:
        operator.compliance("INST-2", 2025)
    assert hidden.value.status == 404
    with pytest.raises(ApiError) as unknown:
        world.anonymous().public_installation_year("NOPE", 2025)
    assert unknown.value.status == 404
