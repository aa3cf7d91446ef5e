"""SQL for the registry's ledger writes: row locks in a fixed order, serial blocks, postings.

Concurrency pattern (docs/registry.md): on PostgreSQL a command first locks the holding rows it
touches with SELECT ... FOR UPDATE in ascending account order, then, in its one write statement,
takes and splits serial blocks (protected by those holding locks; see PICK_SQL), locks one chain
head of the transaction log, and inserts its transaction row (whose unique client key serialises
repeats) with all other writes. A command never waits for a lock that is earlier in that order
than one it holds, so commands cannot wait on each other in a cycle; the one remaining case (two
commands creating the same holding row) is a detected deadlock that `ledger.retrying` repeats. On SQLite
every transaction starts with BEGIN IMMEDIATE, so writers run one at a time, and blocks are read
and split (domain.registry.blocks.take) in Python.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from carbonbridge.adapters.db.registry import sql
from carbonbridge.adapters.db.registry.sql import Batch, Conn
from carbonbridge.domain.errors import Conflict
from carbonbridge.domain.registry.blocks import SerialBlock, Take, take
from carbonbridge.domain.registry.records import Holding

PAGE = 64
FIRST_PAGE = 8
MOVEMENT_COLUMNS = ("transaction_id", "unit_type", "start_serial", "end_serial", "from_account", "to_account")
POSTING_COLUMNS = ("transaction_id", "account_id", "unit_type", "amount")


def _holding(row: Sequence[Any], unit_type: str) -> Holding:
    return Holding(row[0], unit_type, int(row[1]), int(row[2]), int(row[3]))


def lock_holdings(session: Conn, unit_type: str, account_ids: Iterable[str]) -> dict[str, Holding]:
    """Lock (creating if absent) the holdings of `unit_type` in the given accounts, in id order."""
    ids = sorted(set(account_ids))
    params = {"unit": unit_type, **{f"a{i}": a for i, a in enumerate(ids)}}
    query = (
        "SELECT account_id, quantity, reserved, market_held FROM registry_holdings WHERE unit_type = :unit "
        f"AND account_id IN ({sql.placeholders('a', len(ids))}) ORDER BY account_id{sql.for_update(session)}"
    )
    found = {r[0]: _holding(r, unit_type) for r in sql.rows(session, query, params)}
    missing = [i for i in ids if i not in found]
    if missing:
        conflict = "ON CONFLICT DO NOTHING"
        for account_id in missing:
            sql.run(
                session,
                "INSERT INTO registry_holdings (account_id, unit_type, quantity, reserved) "
                f"VALUES (:account, :unit, 0, 0) {conflict}",
                {"account": account_id, "unit": unit_type},
            )
        found = {r[0]: _holding(r, unit_type) for r in sql.rows(session, query, params)}
    assert len(found) == len(ids), "holding rows missing after creation"
    return found


def _free_blocks(session: Conn, account_id: str, unit_type: str, quantity: int) -> list[SerialBlock]:
    """Unreserved blocks, lowest serials first, paged until `quantity` units are covered."""
    found: list[SerialBlock] = []
    covered, after = 0, 0
    query = (
        "SELECT id, start_serial, end_serial FROM registry_serial_blocks WHERE account_id = :account AND "
        "unit_type = :unit AND reserved_by IS NULL AND start_serial > :after ORDER BY start_serial LIMIT :page"
    )
    size = FIRST_PAGE  # most transfers are covered by the first few blocks: start small, then grow
    while covered < quantity:  # bounded: each page advances past `after`, the blocks are finite
        page = sql.rows(session, query, {"account": account_id, "unit": unit_type, "after": after, "page": size})
        for block_id, start, end in page:
            found.append(SerialBlock(unit_type, int(start), int(end), int(block_id)))
            covered += int(end) - int(start) + 1
        if len(page) < size:
            break
        after = int(page[-1][1])
        size = min(PAGE, size * 4)
    return found


def _apply_take(batch: Batch, plan: Take, column: str, value: str, owner: str) -> None:
    """Give the whole blocks to `value` (new owner or reserving transaction); split the partial one.
    The writes touch distinct rows and distinct first serials, so they can go out as one statement."""
    ids = [b.id for b in plan.whole]
    if ids:
        params = {"tv": value, **{f"ti{n}": i for n, i in enumerate(ids)}}
        batch.add(
            f"UPDATE registry_serial_blocks SET {column} = :tv WHERE id IN ({sql.placeholders('ti', len(ids))})", params
        )
    if plan.split is not None:
        part = plan.moved[-1]
        batch.add(
            "UPDATE registry_serial_blocks SET end_serial = :tre WHERE id = :tid",
            {"tre": plan.split_rest_end, "tid": plan.split.id},
        )
        reserved = value if column == "reserved_by" else None
        account = value if column == "account_id" else owner
        record = {
            "unit_type": part.unit_type,
            "start_serial": part.start,
            "end_serial": part.end,
            "account_id": account,
            "reserved_by": reserved,
        }
        batch.insert("registry_serial_blocks", tuple(record), [record])


# PostgreSQL: the free blocks are taken inside the command's write statement. That statement starts
# after the holding locks were granted, so under READ COMMITTED it sees the latest blocks, and it
# saves the round trip of reading them first. `pick` walks the holding's unreserved blocks in serial
# order through ix_registry_blocks_free, one index probe per block, until `:kq` units are covered;
# `plan` is domain.registry.blocks.take(): whole blocks move, the last one splits, keeping its first
# serial, and its last units move as a new block (`moved_start` > `start_serial`). The agreement of
# the two is tested (tests/integration/registry/test_registry_block_split_sql.py).
_FREE = "FROM registry_serial_blocks WHERE account_id = :ksrc AND unit_type = :kunit AND reserved_by IS NULL"
PICK_SQL = (
    f"(SELECT id, start_serial, end_serial, CAST(0 AS bigint) AS taken {_FREE} ORDER BY start_serial LIMIT 1) "
    "UNION ALL (SELECT b.id, b.start_serial, b.end_serial, p.taken + p.end_serial - p.start_serial + 1 "
    f"FROM pick p CROSS JOIN LATERAL (SELECT id, start_serial, end_serial {_FREE} AND start_serial > p.start_serial "
    "ORDER BY start_serial LIMIT 1) b WHERE p.taken + p.end_serial - p.start_serial + 1 < :kq)"
)
PLAN_SQL = (
    "SELECT id, start_serial, end_serial, GREATEST(start_serial, end_serial - (:kq - taken) + 1) AS moved_start "
    "FROM pick"
)
_TAKE_SQL = (
    (
        "UPDATE registry_serial_blocks b SET account_id = :kowner, reserved_by = :kreserved FROM plan p "
        "WHERE b.id = p.id AND p.moved_start = p.start_serial"
    ),
    (
        "UPDATE registry_serial_blocks b SET end_serial = p.moved_start - 1 FROM plan p "
        "WHERE b.id = p.id AND p.moved_start > p.start_serial"
    ),
    (
        "INSERT INTO registry_serial_blocks (unit_type, start_serial, end_serial, account_id, reserved_by) "
        "SELECT :kunit, moved_start, end_serial, :kowner, :kreserved FROM plan WHERE moved_start > start_serial"
    ),
)


def _take_in_sql(batch: Batch, unit_type: str, source: str, quantity: int, owner: str, reserved: str | None) -> None:
    """Queue `take` of the source's free blocks: the taken units go to `owner`, reserved for
    `reserved` (a pending transaction) or free. The batch fails unless exactly `quantity` moved."""
    plan = {"ksrc": source, "kunit": unit_type, "kq": quantity}
    batch.add(PICK_SQL, plan, name="pick", recursive=True)
    batch.add(PLAN_SQL, {"kq": quantity}, name="plan")
    values = {"kowner": owner, "kreserved": reserved, "kunit": unit_type}
    for statement in _TAKE_SQL:
        batch.add(statement, values)
    batch.check(
        "SELECT CAST(coalesce(sum(end_serial - moved_start + 1), 0) AS bigint) FROM plan",
        {},
        quantity,
        f"serial blocks of {source} do not cover {quantity} units: ledger inconsistent",
    )


def move_free_units(
    session: Conn, batch: Batch, transaction_id: str, unit_type: str, source: str, destination: str, quantity: int
) -> None:
    """Move `quantity` unreserved units now: blocks, movements, postings, both holdings."""
    if sql.is_postgres(session):
        _take_in_sql(batch, unit_type, source, quantity, destination, None)
        batch.add(
            f"INSERT INTO registry_block_movements ({', '.join(MOVEMENT_COLUMNS)}) "
            "SELECT :mt, :mu, moved_start, end_serial, :ms, :md FROM plan ORDER BY start_serial",
            {"mt": transaction_id, "mu": unit_type, "ms": source, "md": destination},
        )
    else:
        plan = take(_free_blocks(session, source, unit_type, quantity), quantity)
        _apply_take(batch, plan, "account_id", destination, source)
        record_movements(batch, transaction_id, plan.moved, source, destination)
    post(batch, transaction_id, unit_type, source, destination, quantity, reserved=False)


def reserve_units(session: Conn, batch: Batch, transaction_id: str, unit_type: str, source: str, quantity: int) -> None:
    """Earmark `quantity` units of `source` for a pending transaction (they stay in the account)."""
    if sql.is_postgres(session):
        _take_in_sql(batch, unit_type, source, quantity, source, transaction_id)
    else:
        plan = take(_free_blocks(session, source, unit_type, quantity), quantity)
        _apply_take(batch, plan, "reserved_by", transaction_id, source)
    batch.add(
        "UPDATE registry_holdings SET reserved = reserved + :rq WHERE account_id = :ra AND unit_type = :ru",
        {"rq": quantity, "ra": source, "ru": unit_type},
    )


def release_units(session: Conn, batch: Batch, transaction_id: str, unit_type: str, source: str, quantity: int) -> None:
    """Undo a reservation: the units are free again in the source account."""
    changed = sql.run(
        session, "UPDATE registry_serial_blocks SET reserved_by = NULL WHERE reserved_by = :t", {"t": transaction_id}
    )
    assert changed > 0, "no reserved blocks for a pending transaction"
    batch.add(
        "UPDATE registry_holdings SET reserved = reserved - :rq WHERE account_id = :ra AND unit_type = :ru",
        {"rq": quantity, "ra": source, "ru": unit_type},
    )


def move_reserved_units(
    session: Conn, batch: Batch, transaction_id: str, unit_type: str, source: str, destination: str, quantity: int
) -> None:
    """Complete a pending transaction: its reserved blocks change owner."""
    found = sql.rows(
        session,
        "SELECT start_serial, end_serial FROM registry_serial_blocks WHERE reserved_by = :t ORDER BY start_serial",
        {"t": transaction_id},
    )
    moved = [SerialBlock(unit_type, int(r[0]), int(r[1])) for r in found]
    if sum(b.size for b in moved) != quantity:
        raise Conflict(f"transaction {transaction_id} reserved {sum(b.size for b in moved)} units, not {quantity}")
    sql.run(
        session,
        "UPDATE registry_serial_blocks SET account_id = :d, reserved_by = NULL WHERE reserved_by = :t",
        {"d": destination, "t": transaction_id},
    )
    record_movements(batch, transaction_id, moved, source, destination)
    post(batch, transaction_id, unit_type, source, destination, quantity, reserved=True)


def create_block(
    session: Conn, batch: Batch, transaction_id: str, block: SerialBlock, issuance: str, destination: str
) -> None:
    """Issuance: a new block of fresh serials enters the national holding account."""
    sql.run(
        session,
        "INSERT INTO registry_serial_blocks (unit_type, start_serial, end_serial, account_id, reserved_by) "
        "VALUES (:unit, :start, :end, :account, NULL)",
        {"unit": block.unit_type, "start": block.start, "end": block.end, "account": destination},
    )
    record_movements(batch, transaction_id, [block], None, destination)
    batch.insert(
        "registry_postings",
        POSTING_COLUMNS,
        [
            {"transaction_id": transaction_id, "account_id": a, "unit_type": block.unit_type, "amount": n}
            for a, n in ((issuance, -block.size), (destination, block.size))
        ],
    )
    batch.add(
        "UPDATE registry_holdings SET quantity = quantity + :iq WHERE account_id = :ia AND unit_type = :iu",
        {"iq": block.size, "ia": destination, "iu": block.unit_type},
    )


def record_movements(
    batch: Batch, transaction_id: str, moved: Sequence[SerialBlock], source: str | None, destination: str
) -> None:
    records = [
        {
            "transaction_id": transaction_id,
            "unit_type": b.unit_type,
            "start_serial": b.start,
            "end_serial": b.end,
            "from_account": source,
            "to_account": destination,
        }
        for b in moved
    ]
    batch.insert("registry_block_movements", MOVEMENT_COLUMNS, records)


def post(
    batch: Batch, transaction_id: str, unit_type: str, source: str, destination: str, quantity: int, *, reserved: bool
) -> None:
    """Double entry: -quantity on the source, +quantity on the destination, both holdings in one update."""
    records = [
        {"transaction_id": transaction_id, "account_id": a, "unit_type": unit_type, "amount": n}
        for a, n in ((source, -quantity), (destination, quantity))
    ]
    batch.insert("registry_postings", POSTING_COLUMNS, records)
    batch.add(
        "UPDATE registry_holdings SET "
        "quantity = quantity + CASE WHEN account_id = :hs THEN -:hq ELSE :hq END, "
        "reserved = reserved - CASE WHEN account_id = :hs THEN :hr ELSE 0 END "
        "WHERE unit_type = :hu AND account_id IN (:hs, :hd)",
        {"hs": source, "hd": destination, "hq": quantity, "hr": quantity if reserved else 0, "hu": unit_type},
    )
