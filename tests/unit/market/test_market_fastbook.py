"""The batch entry point of the compiled core (an array of operations in, fills out: what the
benchmark runs) gives the same fills, STP cancellations and outcomes as the plain Python book for
random streams of every operation kind and STP mode, growing its arrays as it goes; it refuses
arrays it could not run safely; and the same code runs as plain Python when numba is missing."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carbonbridge.domain.errors import Conflict, NotFound
from carbonbridge.domain.market import fastbook as fb
from carbonbridge.domain.market.book import OrderType, Side, StpMode
from carbonbridge.domain.market.plainbook import PlainOrderBook

TYPES = {fb.LIMIT: OrderType.LIMIT, fb.MARKET: OrderType.MARKET, fb.IOC: OrderType.IOC, fb.FOK: OrderType.FOK}
MODES = {StpMode.NONE: fb.STP_NONE, StpMode.CANCEL_RESTING: fb.STP_CANCEL_RESTING}
MODES[StpMode.CANCEL_INCOMING] = fb.STP_CANCEL_INCOMING
ROWS = st.lists(
    st.tuples(
        st.integers(fb.LIMIT, fb.RESTORE),
        st.integers(0, 1),
        st.integers(0, 40),  # slots are reused: conflicts, cancels of orders gone, amends of live ones
        st.one_of(st.integers(90, 110), st.integers(1, 1_500)),
        st.integers(1, 30),
        st.integers(-1, 2),
    ),
    max_size=150,
)


def _plain_run(plain: PlainOrderBook, rows: list[tuple[int, int, int, int, int, int]]) -> tuple[list, list, list]:
    fills, stp, results = [], [], []
    for op, (kind, side_no, slot, price, qty, owner_no) in enumerate(rows):
        order_id, side, owner = str(slot), (Side.BUY, Side.SELL)[side_no], None if owner_no < 0 else str(owner_no)
        try:
            if kind == fb.CANCEL:
                out = None
                results.append((0, plain.cancel(order_id), fb.OK))
            elif kind == fb.AMEND:
                out = plain.amend(order_id, qty, price)
            elif kind == fb.RESTORE:
                out = None
                plain.restore(order_id, side, price, qty, owner)
                results.append((qty, 0, fb.OK))
            else:
                book_price = None if kind == fb.MARKET and price == fb.NO_PRICE else price
                out = plain.submit(order_id, side, TYPES[kind], qty, book_price, owner)
        except NotFound:
            results.append((0, 0, fb.NOT_FOUND))
            continue
        except Conflict:
            results.append((0, 0, fb.CONFLICT))
            continue
        except ValueError:
            results.append((0, 0, fb.CROSSED))
            continue
        if out is not None:
            fills += [
                (
                    op,
                    int(f.taker_order_id),
                    int(f.maker_order_id),
                    f.price,
                    f.quantity,
                    -1 if f.maker_owner is None else int(f.maker_owner),
                    int(plain.order(f.maker_order_id) is None),  # the fill emptied the maker
                )
                for f in out.fills
            ]
            stp += [(op, int(maker), qty) for maker, qty in out.stp_cancelled]
            results.append((out.rested, out.cancelled, fb.OK))
    return fills, stp, results


@settings(max_examples=200, deadline=None)
@given(ROWS, st.sampled_from(StpMode), st.integers(0, 3))
def test_a_batch_matches_like_the_plain_book(rows: list, mode: StpMode, markets_unprotected: int) -> None:
    rows = [
        (k, s, i, fb.NO_PRICE if k == fb.MARKET and (i + markets_unprotected) % 3 == 0 else p, q, o)
        for k, s, i, p, q, o in rows
    ]
    core = fb.FastBook(MODES[mode], slots=4, width=8)  # small: every array has to grow
    batch = core.run(np.array(rows, dtype=np.int64).reshape(-1, 6))
    fills, stp, results = _plain_run(PlainOrderBook(stp=mode), rows)
    assert [tuple(r) for r in batch.fills.tolist()] == fills
    assert [tuple(r) for r in batch.stp_cancelled.tolist()] == stp
    assert [tuple(r) for r in batch.results.tolist()] == results


def test_a_batch_continues_where_the_last_one_left_the_book() -> None:
    core = fb.FastBook()
    core.run(np.array([[fb.LIMIT, fb.SELL, 0, 100, 5, -1], [fb.LIMIT, fb.SELL, 1, 101, 5, -1]], dtype=np.int64))
    second = core.run(np.array([[fb.MARKET, fb.BUY, 2, fb.NO_PRICE, 7, -1]], dtype=np.int64))
    assert second.fills.tolist() == [[0, 2, 0, 100, 5, -1, 1], [0, 2, 1, 101, 2, -1, 0]]
    assert second.results.tolist() == [[0, 0, fb.OK]] and core.best(fb.SELL) == 101


@pytest.mark.parametrize(
    "row",
    [
        [fb.RESTORE + 1, 0, 0, 5, 1, -1],  # unknown kind
        [fb.LIMIT, 2, 0, 5, 1, -1],  # unknown side
        [fb.LIMIT, 0, -1, 5, 1, -1],  # negative slot
        [fb.LIMIT, 0, 0, 0, 1, -1],  # a limit without a price
        [fb.LIMIT, 0, 0, 5, 0, -1],  # nothing to trade
        [fb.LIMIT, 0, 0, 5, 1, -2],  # owner below -1
        [fb.MARKET, 0, 0, -3, 1, -1],  # a negative protection
        [fb.LIMIT, 0, 0, 2**61, 1, -1],  # a price the offsets could overflow on
    ],
)
def test_refuses_rows_the_compiled_code_could_not_run_safely(row: list[int]) -> None:
    core = fb.FastBook()
    with pytest.raises(ValueError):
        core.run(np.array([row], dtype=np.int64))
    assert core.live == 0


def test_refuses_a_batch_whose_resting_prices_span_beyond_the_window_limit() -> None:
    far = np.array([[fb.LIMIT, 0, 0, 1, 1, -1], [fb.LIMIT, 1, 1, 2 + fb.MAX_WIDTH, 1, -1]], dtype=np.int64)
    with pytest.raises(fb.PriceRangeError):
        fb.FastBook().run(far)


def test_the_same_code_runs_as_plain_python_without_numba() -> None:
    """numba made unimportable in a child process: the core is plain Python and still agrees with
    the plain book on a stream with every operation kind, handing out Python ints (numpy scalars
    once reached the market's SQL and broke the demo on an install without numba)."""
    script = textwrap.dedent(
        """
        import sys
        sys.modules["numba"] = None  # import numba -> ImportError
        from carbonbridge.domain.market import fastbook
        from carbonbridge.domain.market.book import OrderBook, OrderType, Side, StpMode
        from carbonbridge.domain.market.plainbook import PlainOrderBook
        assert not fastbook.COMPILED
        books = [OrderBook(tick=5, stp=StpMode.CANCEL_RESTING), PlainOrderBook(tick=5, stp=StpMode.CANCEL_RESTING)]
        seen = []
        for book in books:
            out = [book.submit("s1", Side.SELL, OrderType.LIMIT, 10, 100, "x")]
            out.append(book.submit("s2", Side.SELL, OrderType.LIMIT, 10, 105, "y"))
            out.append(book.submit("s3", Side.SELL, OrderType.LIMIT, 10, 5000, "y"))
            out.append(book.amend("s2", 4))
            out.append(book.submit("f", Side.BUY, OrderType.FOK, 20, 105, "y"))
            out.append(book.submit("b", Side.BUY, OrderType.IOC, 20, 105, "x"))
            out.append(book.submit("m", Side.BUY, OrderType.MARKET, 3, None, "z"))
            out.append(book.cancel("s3"))
            seen.append((out, book.resting()))
        assert seen[0] == seen[1], seen
        # Python ints, as the compiled core hands out: numpy scalars are refused by the database drivers
        outcomes = seen[0][0][:-1]
        numbers = [x for o in outcomes for x in (o.rested, o.cancelled)]
        numbers += [v for o in outcomes for f in o.fills for v in (f.price, f.quantity)]
        numbers += [seen[0][0][-1], *(r.remaining for r in seen[0][1]), *(r.price for r in seen[0][1])]
        assert all(type(x) is int for x in numbers), [type(x) for x in numbers]
        print("plain", len(seen[0][0]))
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["plain", "8"]
