"""CARBONBRIDGE_CONFIG: a folder whose files replace the shipped jurisdiction and allocation files.
The composition root reads it (`load_config(override_dir)`); `load_jurisdiction` and `load_policy`
serve the callers not yet handed a `Jurisdiction`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from carbonbridge.adapters.config import load_config, load_jurisdiction
from carbonbridge.adapters.policy_config import load_policy
from carbonbridge.domain.allocation.design import BenchmarkDesign
from carbonbridge.domain.errors import ValidationFailed
from carbonbridge.domain.registry.policy import ApprovalRule
from carbonbridge.entrypoints.bootstrap import build_app

BY = """
code = "BY"
name = "Belarus (test)"
currency = "BYN"
gwp_set = "AR6GWP100"
method_pack = "eu-mrr-2018"
timezone = "Europe/Minsk"
language = "be"

[registry]
approval = "untrusted"
transfer_limit_units = 5000
"""


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("CARBONBRIDGE_CONFIG", str(tmp_path))
    load_policy.cache_clear()  # the registry's policy lookup is cached per code
    yield tmp_path
    load_policy.cache_clear()


def test_an_override_file_replaces_the_shipped_jurisdiction_and_its_registry_policy(config: Path) -> None:
    (config / "BY.toml").write_text(BY, encoding="utf-8")
    jurisdiction = load_jurisdiction("by")
    assert (jurisdiction.gwp_set, jurisdiction.method_pack, jurisdiction.language) == ("AR6GWP100", "eu-mrr-2018", "be")
    policy = load_policy("BY")
    assert (policy.approval, policy.transfer_limit_units) == (ApprovalRule.UNTRUSTED, 5000)
    assert load_jurisdiction("CN").currency == "CNY"  # no override: the shipped file


def test_allocation_rules_are_overridden_by_allocation_code_toml(tmp_path: Path) -> None:
    shipped = load_config(tmp_path).jurisdiction("BY").allocation
    (tmp_path / "allocation-BY.toml").write_text(
        '[cap]\nstart_year = 2030\nstart_cap_t = 1000\nreference_t = 1000\nreduction = [[2031, "0.1"]]\n'
        '[free_allocation]\nclef_exposed = "1"\nclef_not_exposed = "0.3"\ncscf = "1"\n',
        encoding="utf-8",
    )
    design = load_config(tmp_path).jurisdiction("BY").allocation
    assert isinstance(design, BenchmarkDesign) and isinstance(shipped, BenchmarkDesign)
    assert (design.cap.cap(2031), design.rules(2031).benchmarks) == (900, {})
    assert shipped.cap.start_year == 2025


def test_the_application_carries_the_configuration_of_its_override_folder(config: Path, sqlite_url: str) -> None:
    (config / "BY.toml").write_text(BY, encoding="utf-8")
    app = build_app(sqlite_url, upgrade=True)
    assert app.jurisdiction("BY").registry.approval is ApprovalRule.UNTRUSTED
    assert app.jurisdiction("CN").registry.approval is ApprovalRule.ALWAYS
    app.engine.dispose()


def test_a_broken_override_refuses_to_start_the_application(config: Path, sqlite_url: str) -> None:
    (config / "compliance-CN.toml").write_text('[penalty]\nkind = "per_day"\n', encoding="utf-8")
    with pytest.raises(ValidationFailed) as info:
        build_app(sqlite_url, upgrade=True)
    assert {p.file for p in info.value.problems} == {"$CARBONBRIDGE_CONFIG/compliance-CN.toml"}
    assert "penalty.kind" in {p.field for p in info.value.problems}


def test_an_override_folder_that_does_not_exist_refuses_to_start_the_application(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    monkeypatch.setenv("CARBONBRIDGE_CONFIG", str(tmp_path / "misspelt"))
    with pytest.raises(ValidationFailed) as info:
        build_app(sqlite_url, upgrade=True)
    [problem] = info.value.problems
    assert problem.file == "$CARBONBRIDGE_CONFIG" and "names no folder" in problem.message
    assert str(tmp_path) not in problem.message  # a problem document never shows the server's paths


def test_a_broken_override_is_reported_by_its_name_under_carbonbridge_config(config: Path) -> None:
    (config / "BY.toml").write_text('code = "BY\n', encoding="utf-8")
    with pytest.raises(ValidationFailed) as info:
        load_jurisdiction("BY")
    # the logical name, not the server path: problem documents over HTTP must not reveal it
    assert info.value.problems[0].file == "$CARBONBRIDGE_CONFIG/BY.toml"
    assert "invalid TOML" in info.value.problems[0].message


def test_the_api_lists_the_jurisdictions_of_the_applications_configuration(config: Path, sqlite_url: str) -> None:
    from fastapi.testclient import TestClient

    from carbonbridge.entrypoints.http.app import API_PREFIX, create_app
    from carbonbridge.entrypoints.http.settings import Settings

    (config / "BY.toml").write_text(BY, encoding="utf-8")
    build_app(sqlite_url, upgrade=True).engine.dispose()
    with TestClient(create_app(Settings(db_url=sqlite_url))) as client:
        response = client.get(f"{API_PREFIX}/public/jurisdictions")
    assert response.status_code == 200, response.text
    page = response.json()
    assert [(j["code"], j["name"], j["gwp_set"]) for j in page["items"]] == [
        ("BY", "Belarus (test)", "AR6GWP100"),
        ("CN", "People's Republic of China", "AR5GWP100"),
    ]


def test_the_link_key_file_is_read_from_the_environment_by_the_composition_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    from carbonbridge.domain.link.messages import private_key, public_key_hex
    from carbonbridge.services.link_config import demo_seed

    seed = tmp_path / "by.seed"
    seed.write_text(demo_seed("BY").hex() + "\n", encoding="ascii")
    monkeypatch.setenv("CARBONBRIDGE_LINK_KEY", str(seed))
    app = build_app(sqlite_url, upgrade=True)
    app.engine.dispose()
    assert app.link_key_file == seed
    assert public_key_hex(app.signing_key("by")) == public_key_hex(private_key(demo_seed("BY")))
    wrong = tmp_path / "wrong.seed"
    wrong.write_text(demo_seed("CN").hex(), encoding="ascii")
    monkeypatch.setenv("CARBONBRIDGE_LINK_KEY", str(wrong))
    other = build_app(sqlite_url)
    other.engine.dispose()
    with pytest.raises(ValidationFailed) as info:
        other.signing_key("BY")
    assert "does not match the agreement's public key of BY" in info.value.problems[0].message
