"""MRV over HTTP: the assigned verifier verifies an installation's report, which the national
administrator then enters as verified emissions; other principals see it only within their scope."""

from __future__ import annotations

from typing import Any

import pytest

from api_world import World, add_report, make_world
from carbonbridge.client import ApiError


@pytest.fixture
def world(app: Any) -> World:
    w = make_world(app)
    add_report(w.core.sessions, "INST-1", 1000.0, 2025, w.clock.now)
    add_report(w.core.sessions, "INST-2", 500.0, 2025, w.clock.now)
    return w


def test_the_assigned_verifier_verifies_and_the_figure_reaches_compliance(world: World) -> None:
    verifier = world.as_user("verifier")
    reports = verifier.get("/mrv/installations/INST-1/reports", year=2025)["items"]
    assert [(r["version"], r["verified"]) for r in reports] == [(1, False)]
    done = verifier.post(
        "/mrv/installations/INST-1/reports/2025/verification", {"opinion": "satisfactory", "misstatement_t": 10}
    )
    assert done["verified"] is True and done["verified_emissions_t"] == 1000
    with pytest.raises(ApiError) as again:
        verifier.post("/mrv/installations/INST-1/reports/2025/verification", {"opinion": "satisfactory"})
    assert again.value.status == 409
    assert world.as_user("national").enter_verified_emissions("INST-1", 2025)["verified_emissions_t"] == 1000
    assert world.as_user("operator").get("/mrv/installations/INST-1/reports")["items"][0]["verified"] is True


def test_a_verifier_cannot_see_or_verify_another_installation(world: World) -> None:
    verifier = world.as_user("verifier")
    for call in (
        lambda: verifier.get("/mrv/installations/INST-2/reports"),
        lambda: verifier.post("/mrv/installations/INST-2/reports/2025/verification", {"opinion": "satisfactory"}),
    ):
        with pytest.raises(ApiError) as hidden:
            call()
        assert hidden.value.status == 404
    with pytest.raises(ApiError) as forbidden:
        world.as_user("national").post(
            "/mrv/installations/INST-1/reports/2025/verification", {"opinion": "satisfactory"}
        )
    assert forbidden.value.status == 403


def test_a_material_misstatement_is_refused_as_satisfactory_and_not_verified(world: World) -> None:
    verifier = world.as_user("verifier")
    with pytest.raises(ApiError) as material:
        verifier.post(
            "/mrv/installations/INST-1/reports/2025/verification", {"opinion": "satisfactory", "misstatement_t": 100}
        )
    assert material.value.status == 422 and material.value.response_code == "material_misstatement"
    done = verifier.post(
        "/mrv/installations/INST-1/reports/2025/verification", {"opinion": "not_satisfactory", "misstatement_t": 100}
    )
    assert done["verified"] is False
    with pytest.raises(ApiError) as refused:
        world.as_user("national").enter_verified_emissions("INST-1", 2025)
    assert refused.value.response_code == "C01_NOT_VERIFIED"
