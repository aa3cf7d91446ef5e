"""`market replay`: an ORDERS.csv stream checked row by row (every problem located), then run
through a bare book (no bands, no reservations, no owners, tick 0.01) giving its fills in order."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

from carbonbridge.domain.errors import Problem
from carbonbridge.domain.market.book import MAX_QUANTITY, Fill, OrderBook, OrderType, Side
from carbonbridge.domain.market.money import format_minor, parse_price

ORDER_COLUMNS = ("seq", "op", "order_id", "side", "price", "quantity", "type")
FILL_COLUMNS = ("seq", "taker_order_id", "maker_order_id", "price", "quantity")


@dataclass(frozen=True, slots=True)
class Operation:
    seq: int
    op: str  # "add" or "cancel"
    order_id: str
    side: Side | None = None
    price: int | None = None
    quantity: int = 0
    type: OrderType | None = None


def parse_orders(text: str, file: str) -> tuple[list[Operation], list[Problem]]:
    """Every row checked; a problem names FILE:LINE:COLUMN (1-based; the column of the field)."""
    problems: list[Problem] = []
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        return [], [Problem("empty file: expected the header " + ",".join(ORDER_COLUMNS), file, 1, 1)]
    names = [h.strip() for h in header]
    if names != list(ORDER_COLUMNS):
        return [], [Problem(f"header must be {','.join(ORDER_COLUMNS)} (found {','.join(names)})", file, 1, 1)]
    ops: list[Operation] = []
    added: set[str] = set()
    last_seq: int | None = None
    for line, row in enumerate(reader, start=2):
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != len(ORDER_COLUMNS):
            problems.append(Problem(f"expected {len(ORDER_COLUMNS)} fields, found {len(row)}", file, line, 1))
            continue
        found = _row(row, file, line, problems, added, last_seq)
        if found is not None:
            ops.append(found)
        seq = _integer(row[0].strip())
        if seq is not None and (last_seq is None or seq > last_seq):
            last_seq = seq
    return ops, problems


def _row(
    row: Sequence[str], file: str, line: int, problems: list[Problem], added: set[str], last_seq: int | None
) -> Operation | None:
    before = len(problems)
    cell = {name: value.strip() for name, value in zip(ORDER_COLUMNS, row, strict=True)}
    col = {name: i + 1 for i, name in enumerate(ORDER_COLUMNS)}

    def bad(name: str, message: str) -> None:
        problems.append(Problem(message, file, line, col[name], name))

    seq = _integer(cell["seq"])
    if seq is None or seq < 0:
        bad("seq", f"seq must be a non-negative integer, got {cell['seq']!r}")
    elif last_seq is not None and seq <= last_seq:
        bad("seq", f"seq must increase (previous {last_seq}, got {seq})")
    order_id = cell["order_id"]
    if not order_id:
        bad("order_id", "order_id is required")
    if cell["op"] == "cancel":
        if order_id and order_id not in added:
            bad("order_id", f"cancel of order {order_id!r} that was never added")
        if len(problems) > before:
            return None
        assert seq is not None
        return Operation(seq, "cancel", order_id)
    if cell["op"] != "add":
        bad("op", f"op must be add or cancel, got {cell['op']!r}")
        return None
    if order_id in added:
        bad("order_id", f"order {order_id!r} was already added")
    side = _side(cell["side"])
    if side is None:
        bad("side", f"side must be buy or sell, got {cell['side']!r}")
    kind = _kind(cell["type"])
    if kind is None:
        bad("type", f"type must be limit, market, ioc or fok, got {cell['type']!r}")
    price = None
    if kind is OrderType.MARKET:
        if cell["price"]:
            bad("price", "a market order has no price (leave it empty)")
    elif not cell["price"]:
        bad("price", f"a {cell['type'] or 'limit'} order needs a price")
    else:
        try:
            price = parse_price(cell["price"])
        except ValueError as exc:
            bad("price", f"{exc} (got {cell['price']!r})")
    quantity = _integer(cell["quantity"])
    if quantity is None or not 0 < quantity <= MAX_QUANTITY:
        bad("quantity", f"quantity must be a whole number from 1 to {MAX_QUANTITY:,}, got {cell['quantity']!r}")
    if order_id:
        added.add(order_id)
    if len(problems) > before:
        return None
    assert seq is not None and quantity is not None and side is not None and kind is not None
    return Operation(seq, "add", order_id, side, price, quantity, kind)


def _integer(text: str) -> int | None:
    if not text or not (text.isdigit() or (text[0] == "-" and text[1:].isdigit())):
        return None
    return int(text)


def _side(text: str) -> Side | None:
    return Side(text) if text in Side._value2member_map_ else None


def _kind(text: str) -> OrderType | None:
    return OrderType(text) if text in OrderType._value2member_map_ else None


def replay(ops: Sequence[Operation]) -> list[tuple[int, Fill]]:
    """Run the operations through a bare book; each fill with the seq of the operation that made it.
    A cancel of an order no longer resting (filled, cancelled or killed) does nothing."""
    book = OrderBook(tick=1)
    out: list[tuple[int, Fill]] = []
    for op in ops:
        if op.op == "cancel":
            if book.order(op.order_id) is not None:
                book.cancel(op.order_id)
            continue
        assert op.side is not None and op.type is not None
        outcome = book.submit(op.order_id, op.side, op.type, op.quantity, op.price)
        out += [(op.seq, f) for f in outcome.fills]
    return out


def fills_csv(fills: Sequence[tuple[int, Fill]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(FILL_COLUMNS)
    for seq, f in fills:
        writer.writerow((seq, f.taker_order_id, f.maker_order_id, format_minor(f.price), f.quantity))
    return buffer.getvalue()
