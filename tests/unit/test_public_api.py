"""The public Python API is exactly what `carbonbridge.__all__` names (STYLE.md #14)."""

from __future__ import annotations

import subprocess
import sys

import carbonbridge

PUBLIC_API = [
    "__version__",
    "ActivityRecord",
    "Calculator",
    "CarbonBridgeError",
    "Conflict",
    "EmissionResult",
    "GWP_SETS",
    "MethodPack",
    "NotFound",
    "Problem",
    "RuleViolation",
    "ValidationFailed",
    "available_packs",
    "gwp",
    "load_jurisdiction",
    "load_pack",
    "measured_emissions",
]


def test_the_public_api_is_exactly_what_all_names() -> None:
    assert carbonbridge.__all__ == PUBLIC_API


def test_every_public_name_resolves() -> None:
    for name in carbonbridge.__all__:
        assert getattr(carbonbridge, name) is not None, name


def test_public_names_are_the_domain_objects() -> None:
    from carbonbridge.domain.errors import CarbonBridgeError, ValidationFailed
    from carbonbridge.domain.mrv.calculation import Calculator

    assert carbonbridge.Calculator is Calculator
    assert carbonbridge.ValidationFailed is ValidationFailed
    assert issubclass(carbonbridge.ValidationFailed, CarbonBridgeError)
    assert carbonbridge.__version__ == "0.1.0"


def test_a_name_outside_the_api_is_an_attribute_error() -> None:
    try:
        carbonbridge.build_plan  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as exc:
        assert "build_plan" in str(exc)
    else:
        raise AssertionError("build_plan must not be public")


def test_importing_the_package_loads_no_heavy_library() -> None:
    probe = (
        "import sys, carbonbridge\n"
        "print(sorted(m for m in ('polars', 'pint', 'sqlalchemy', 'numpy', 'openscm_units') if m in sys.modules))\n"
    )
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "[]"
