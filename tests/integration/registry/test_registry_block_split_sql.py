"""The block split of the PostgreSQL hot path agrees with the domain's rule.

On PostgreSQL a transfer takes the source's free serial blocks inside its write statement
(`adapters/db/registry/store.PICK_SQL` and `PLAN_SQL`); the rule itself is `domain.registry.blocks.take`. For
random holdings (blocks of several accounts, some reserved, gaps between serials) and random
quantities, the SQL must choose the same whole blocks and split the same block at the same serial,
and must come up short exactly when `take` finds too few units.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carbonbridge.adapters.db.registry import sql
from carbonbridge.adapters.db.registry.store import PICK_SQL, PLAN_SQL
from carbonbridge.domain.errors import Conflict
from carbonbridge.domain.registry.blocks import SerialBlock, take

UNIT = "BY-AL-2026"
SOURCE = "BY-T001"
PLAN_QUERY = sql._pg(
    f"WITH RECURSIVE pick AS ({PICK_SQL}), plan AS ({PLAN_SQL}) "
    "SELECT id, start_serial, end_serial, moved_start FROM plan ORDER BY start_serial"
)

# (size, owner: 0 = the source, 1 = another account, reserved, gap before the block)
blocks = st.lists(
    st.tuples(st.integers(1, 40), st.integers(0, 1), st.booleans(), st.integers(0, 3)), min_size=0, max_size=25
)


@pytest.fixture
def blocks_table(pg_url: str) -> Any:
    """A bare serial-blocks table of the same shape (the plan reads nothing else)."""
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as connection:
        connection.execute(
            "CREATE TABLE registry_serial_blocks (id bigserial PRIMARY KEY, unit_type varchar(64) NOT NULL, "
            "start_serial bigint NOT NULL, end_serial bigint NOT NULL, account_id varchar(64) NOT NULL, "
            "reserved_by varchar(32))"
        )
        connection.execute(
            "CREATE INDEX ix_registry_blocks_free ON registry_serial_blocks (account_id, unit_type, start_serial) "
            "WHERE reserved_by IS NULL"
        )
        yield connection


@pytest.mark.postgres
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(layout=blocks, quantity=st.integers(1, 400))
def test_the_sql_block_split_takes_the_same_blocks_as_the_domain_rule(
    blocks_table: Any, layout: list[tuple[int, int, bool, int]], quantity: int
) -> None:
    connection = blocks_table
    connection.execute("TRUNCATE registry_serial_blocks RESTART IDENTITY")
    free: list[SerialBlock] = []
    serial = 1
    for size, owner, reserved, gap in layout:
        start = serial + gap
        account = SOURCE if owner == 0 else "BY-T002"
        row = connection.execute(
            "INSERT INTO registry_serial_blocks (unit_type, start_serial, end_serial, account_id, reserved_by) "
            "VALUES (%s, %s, %s, %s, %s) RETURNING id",
            (UNIT, start, start + size - 1, account, "pending" if reserved else None),
        ).fetchone()
        if owner == 0 and not reserved:
            free.append(SerialBlock(UNIT, start, start + size - 1, row[0]))
        serial = start + size
    planned = connection.execute(PLAN_QUERY, {"ksrc": SOURCE, "kunit": UNIT, "kq": quantity}).fetchall()
    moved = sum(end - moved_start + 1 for _, _, end, moved_start in planned)
    try:
        rule = take(free, quantity)
    except Conflict:
        assert moved < quantity, "the SQL found units that the domain rule does not"
        return
    assert moved == quantity
    assert [i for i, start, _, moved_start in planned if moved_start == start] == [b.id for b in rule.whole]
    splits = [(i, moved_start - 1) for i, start, _, moved_start in planned if moved_start > start]
    expected = [(rule.split.id, rule.split_rest_end)] if rule.split is not None else []
    assert splits == expected
