"""The registry's transaction use cases speak the ledger port only (services/registry/ports.py):
no SQL, no SQLAlchemy, no storage adapter, so the in-memory ledger can stand in for the database."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import carbonbridge

REGISTRY = Path(carbonbridge.__file__).parent / "services" / "registry"
PORT_ONLY = ("ports.py", "transactions.py", "workflow.py")
FORBIDDEN = ("sqlalchemy", "psycopg", "carbonbridge.adapters", "carbonbridge.testing")


def _imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
    return found


@pytest.mark.parametrize("module", PORT_ONLY)
def test_transaction_use_cases_import_neither_sql_nor_an_adapter(module: str) -> None:
    imported = _imports(REGISTRY / module)
    assert [m for m in imported if m.startswith(FORBIDDEN)] == []


@pytest.mark.parametrize("module", PORT_ONLY)
def test_transaction_use_cases_hold_no_sql_text(module: str) -> None:
    text = (REGISTRY / module).read_text(encoding="utf-8")
    assert not any(word in text for word in ("SELECT ", "UPDATE ", "INSERT ", "is_postgres", "dialect"))
