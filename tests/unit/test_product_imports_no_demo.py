"""The demo and the test fixtures depend on the product, never the other way: no module of the
`carbonbridge` package imports `carbonbridge_demo`, and only `carbonbridge.testing` itself imports
`carbonbridge.testing` (the CLI finds the demo through an entry point, not an import)."""

import ast
from pathlib import Path

import carbonbridge

PACKAGE = Path(carbonbridge.__file__).parent


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _offending(prefix: str, exempt: str | None = None) -> list[str]:
    offending = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).as_posix()
        if exempt and relative.startswith(exempt):
            continue
        offending += [f"{relative}: {m}" for m in sorted(_imports(path)) if m == prefix or m.startswith(f"{prefix}.")]
    return offending


def test_no_product_module_imports_the_demo() -> None:
    assert _offending("carbonbridge_demo") == []


def test_only_the_testing_package_imports_the_test_fixtures() -> None:
    assert _offending("carbonbridge.testing", exempt="carbonbridge/testing/") == []


def test_the_walk_sees_the_whole_package() -> None:
    assert len(list(PACKAGE.rglob("*.py"))) > 150
    assert "carbonbridge.entrypoints.cli.plugins" in _imports(PACKAGE / "entrypoints" / "cli" / "main.py")
