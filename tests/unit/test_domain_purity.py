"""The domain core stays pure (STYLE.md #1): no storage, HTTP, OS, clock or randomness imports."""

from __future__ import annotations

import ast
from pathlib import Path

import carbonbridge

DOMAIN = Path(carbonbridge.__file__).parent / "domain"
FORBIDDEN_MODULES = {
    "sqlalchemy",
    "alembic",
    "psycopg",
    "fastapi",
    "starlette",
    "httpx",
    "requests",
    "urllib",
    "socket",
    "subprocess",
    "os",
    "sys",
    "time",
    "random",
    "secrets",
    "uuid",
    "pathlib",
    "shutil",
    "tempfile",
    "typer",
    "rich",
    "carbonbridge.adapters",
    "carbonbridge.services",
    "carbonbridge.entrypoints",
}
CLOCK_ATTRIBUTES = {"now", "utcnow", "today"}


def _dotted(node: ast.expr) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def violations(source: str, name: str = "<module>") -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        modules: list[str] = []
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules = [node.module]
        for module in modules:
            if any(module == bad or module.startswith(bad + ".") for bad in FORBIDDEN_MODULES):
                found.append(f"{name}:{node.lineno}: imports {module}")
        if isinstance(node, ast.Call):
            called = _dotted(node.func)
            if called == "open" or (called.endswith(".open") and called.split(".")[0] in ("io", "codecs")):
                found.append(f"{name}:{node.lineno}: calls {called}(")
            if called.split(".")[-1] in CLOCK_ATTRIBUTES:
                found.append(f"{name}:{node.lineno}: reads the clock with {called}()")
            if ".random." in f".{called}." and not called.endswith("Generator"):
                found.append(f"{name}:{node.lineno}: draws randomness with {called}()")
        if isinstance(node, ast.Name) and node.id in ("__import__", "exec", "eval"):
            found.append(f"{name}:{node.lineno}: uses {node.id}")
    return sorted(found, key=lambda v: int(v.split(":")[1]))


def test_the_checker_catches_each_kind_of_impurity() -> None:
    source = (
        "import os\nfrom sqlalchemy import select\nimport fastapi.routing\nfrom time import monotonic\n"
        "import random\nfrom pathlib import Path\nimport datetime as dt\nx = dt.datetime.now(dt.UTC)\n"
        "y = open('f')\nz = np.random.default_rng(1)\nfrom carbonbridge.adapters.packs import load_pack\n"
    )
    assert [v.split(": ", 1)[1] for v in violations(source)] == [
        "imports os",
        "imports sqlalchemy",
        "imports fastapi.routing",
        "imports time",
        "imports random",
        "imports pathlib",
        "reads the clock with dt.datetime.now()",
        "calls open(",
        "draws randomness with np.random.default_rng()",
        "imports carbonbridge.adapters.packs",
    ]


def test_the_checker_allows_pure_code() -> None:
    source = (
        "import datetime as dt\nimport math\nimport numpy as np\nfrom decimal import Decimal\n"
        "def f(rng: np.random.Generator, at: dt.datetime) -> float:\n    return math.fsum([1.0]) + rng.normal()\n"
        "t = dt.time(12)\n"
    )
    assert violations(source) == []


def test_domain_modules_import_no_storage_http_os_clock_or_randomness() -> None:
    files = sorted(DOMAIN.rglob("*.py"))
    assert len(files) >= 12  # the walk really sees the domain (mrv alone has 9 modules)
    found = [v for path in files for v in violations(path.read_text(encoding="utf-8"), str(path.relative_to(DOMAIN)))]
    assert found == []
