"""The market's server-sent event stream: trades (id = the trade's sequence number) and the depth
when it changes, polled from the database so that any worker can serve any stream."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import anyio
from fastapi.responses import StreamingResponse

from carbonbridge.entrypoints.http import schemas_market as m
from carbonbridge.entrypoints.http.context import Context
from carbonbridge.services.market import views

HEARTBEAT_SECONDS = 15.0


class EventStream(StreamingResponse):
    media_type = "text/event-stream"


def depth_public(d: views.DepthView) -> m.DepthPublic:
    def side(levels: tuple[tuple[int, int, int], ...]) -> list[m.LevelPublic]:
        return [m.LevelPublic(price_minor=p, quantity=q, orders=n) for p, q, n in levels]

    return m.DepthPublic(instrument=d.instrument, last_seq=d.last_seq, bids=side(d.bids), asks=side(d.asks))


def _sse(kind: str, event_id: int, payload: dict[str, object]) -> str:
    return f"id: {event_id}\nevent: {kind}\ndata: {json.dumps(payload, separators=(',', ':'))}\n\n"


def _trades_after(ctx: Context, instrument: str, last: int, limit: int) -> list[views.TradePrintView]:
    return views.trades_after(ctx.sessions, instrument, after_seq=last, limit=limit)


async def events(ctx: Context, instrument: str, last: int, max_events: int) -> AsyncIterator[str]:
    """Poll the database (the book may change on any worker): new trades, then the depth if changed."""
    sent, shown = 0, None
    now = anyio.current_time()
    deadline, quiet_since = now + ctx.settings.stream_seconds, now
    yield "retry: 1000\n\n"
    while sent < max_events and anyio.current_time() < deadline:
        trades = await anyio.to_thread.run_sync(_trades_after, ctx, instrument, last, min(500, max_events - sent))
        for t in trades:
            payload = {
                "id": t.id,
                "seq": t.seq,
                "price_minor": t.price_minor,
                "quantity": t.quantity,
                "block": t.block,
                "at": t.at.isoformat(),
            }
            yield _sse("trade", t.seq, payload)
            last, sent = t.seq, sent + 1
        if sent >= max_events:
            return
        book = await anyio.to_thread.run_sync(views.depth, ctx.sessions, instrument, 5)
        if (book.bids, book.asks) != shown:
            shown = (book.bids, book.asks)
            yield _sse("depth", last, depth_public(book).model_dump(mode="json"))
            sent, quiet_since = sent + 1, anyio.current_time()
        elif trades:
            quiet_since = anyio.current_time()
        elif anyio.current_time() - quiet_since >= HEARTBEAT_SECONDS:  # keeps proxies from closing it
            yield ": keep-alive\n\n"
            quiet_since = anyio.current_time()
        if not trades:
            await anyio.sleep(ctx.settings.stream_poll_seconds)
