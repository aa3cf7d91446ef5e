"""Problem documents name inputs and configuration by their logical names, never by server paths
(the autouse fixture in conftest.py scans every problem document of the test_api_* modules; these
tests provoke the allocation and MRV errors that used to carry a path)."""

from __future__ import annotations

from pathlib import Path

import pytest

from api_world import ACTIVITY_HEADER, World, activity_row, add_plan, make_world
from carbonbridge.client import ApiError
from carbonbridge.domain.errors import ValidationFailed
from server_paths import server_paths_in

HAL = "installation_id,product,historical_activity_level,carbon_leakage_exposed\nINST-1,grey_cement_clinker,1000,true\n"


@pytest.fixture
def world(sqlite_url: str) -> World:
    from carbonbridge.entrypoints.bootstrap import build_app

    w = make_world(build_app(sqlite_url, upgrade=True))
    add_plan(w.core, "INST-1", "BY", w.clock.now)
    return w


def _refused(call: object, *args: object, **kwargs: object) -> dict[str, object]:
    with pytest.raises(ApiError) as info:
        call(*args, **kwargs)  # type: ignore[operator]
    assert info.value.status == 422, info.value.problem
    return info.value.problem


def test_a_figure_missing_from_the_shipped_allocation_rules_is_named_by_the_file_in_the_package(world: World) -> None:
    problem = _refused(world.as_user("admin").allocation_plan, "BY", "hal.csv", HAL.encode(), 2026)
    # (the 2026-2030 benchmarks are not configured: their Annex was not read)
    assert "value_not_configured" in str(problem["detail"])
    assert "data/allocation/BY.toml:versions[1].benchmarks.grey_cement_clinker" in str(problem["detail"])
    assert server_paths_in(str(problem)) == []


def test_a_broken_override_of_the_allocation_rules_is_named_under_carbonbridge_config(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from carbonbridge.entrypoints.bootstrap import build_app

    # The configuration is read once, when the application is built: a broken file stops the start.
    (tmp_path / "allocation-BY.toml").write_text("design = \n", encoding="utf-8")
    monkeypatch.setenv("CARBONBRIDGE_CONFIG", str(tmp_path))
    with pytest.raises(ValidationFailed) as info:
        build_app(sqlite_url, upgrade=True)
    assert [p.file for p in info.value.problems] == ["$CARBONBRIDGE_CONFIG/allocation-BY.toml"]
    assert server_paths_in(str(info.value)) == []


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("activity.csv", ACTIVITY_HEADER.encode() + activity_row("INST-1", quantity=-1).encode()),
        ("activity.csv", b'record_id,installation_id\n\xff\xfe,"unterminated\n'),
        ("activity.xlsx", b"not a workbook"),
        ("activity.json", b"{not json"),
    ],
)
def test_an_activity_upload_with_problems_names_the_clients_file_only(world: World, name: str, content: bytes) -> None:
    problem = _refused(world.as_user("operator").upload_activity, name, content)
    files = {p["file"] for p in problem["problems"]}  # type: ignore[union-attr]
    assert files and all(f.startswith(name) for f in files), files
    assert server_paths_in(str(problem)) == []


def test_the_scan_finds_the_installation_the_repository_and_the_temporary_folder() -> None:
    import tempfile

    import carbonbridge

    installed = Path(carbonbridge.__file__).resolve().parent / "data" / "allocation" / "BY.toml"
    assert server_paths_in(f"value_not_configured: {installed}:versions[1]") != []
    assert server_paths_in(f"cannot read {tempfile.gettempdir()}/carbonbridge-upload-x/a.csv") != []
    assert server_paths_in("/usr/lib/python3/site-packages/carbonbridge/data") != []
    assert server_paths_in("value_not_configured: data/allocation/BY.toml:versions[1]") == []


def test_a_method_the_path_does_not_answer_lists_every_method_it_does(world: World) -> None:
    client = world.anonymous()
    refused = client.http.delete("/api/v1/accounts")  # GET and POST /accounts are two routes
    assert refused.status_code == 405
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.headers["allow"] == "GET, POST"
    one = client.http.put("/api/v1/transactions/T-1/approve")
    assert (one.status_code, one.headers["allow"]) == (405, "POST")
