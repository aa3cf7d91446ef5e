"""The use cases cut to a port speak it only: the registry's transactions the ledger port
(services/registry/ports.py), MRV's annual reports the reports port (services/mrv/ports.py). No
SQL, no SQLAlchemy, no storage adapter, so the in-memory fakes can stand in for the database."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import carbonbridge

SERVICES = Path(carbonbridge.__file__).parent / "services"
PORT_ONLY = ("registry/ports.py", "registry/transactions.py", "registry/workflow.py", "mrv/ports.py", "mrv/reports.py")
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
def test_use_cases_cut_to_a_port_import_neither_sql_nor_an_adapter(module: str) -> None:
    imported = _imports(SERVICES / module)
    assert [m for m in imported if m.startswith(FORBIDDEN)] == []


@pytest.mark.parametrize("module", PORT_ONLY)
def test_use_cases_cut_to_a_port_hold_no_sql_text(module: str) -> None:
    text = (SERVICES / module).read_text(encoding="utf-8")
    assert not any(word in text for word in ("SELECT ", "UPDATE ", "INSERT ", "is_postgres", "dialect"))
