"""HJ 212-2017 receiver over TCP (asyncio): frames in, values into the Parquet data set, 9014 out.

Each connection's byte stream is cut into frames; a malformed frame (bad header, length, CRC,
truncated, unknown stack, unsupported command) is refused and logged and the connection goes on
with the frames after it. Data uploads (2061 hourly, 2051 minute) are written in batches across
connections by one writer task; the 9014 data response goes out only after the batch holding the
packet is on disk, so an acknowledged value is never lost. The standard defines no negative
answer from the receiving side: a refused packet gets none, and the station sends it again after
its timeout (OverTime/ReCount, HJ 212-2017 CN 1000). Real-time (2011) and daily (2031) uploads
are acknowledged and counted, not stored: the data set keeps hours and minutes.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from carbonbridge.adapters.cems_config import CodeMapping
from carbonbridge.adapters.cems_store import LONG_SCHEMA, write_values
from carbonbridge.domain.cems import hj212
from carbonbridge.domain.cems.rules import RuleSet

log = logging.getLogger("carbonbridge.cems.receiver")
READ_BYTES = 65_536
MAX_BATCH = 2_000


@dataclass(frozen=True, slots=True)
class Stack:
    installation_id: str
    stack_id: str


@dataclass
class ReceiverStats:
    frames: int = 0
    accepted: int = 0
    acknowledged: int = 0
    values_new: int = 0
    values_repeated: int = 0
    values_changed: int = 0
    refused: Counter[str] = field(default_factory=Counter)


@dataclass
class _Pending:
    resolution: str
    rows: pl.DataFrame
    done: asyncio.Future[None]


class Receiver:
    def __init__(
        self,
        root: Path,
        jurisdiction: str,
        rules: RuleSet,
        codes: Mapping[str, CodeMapping],
        stacks: Mapping[str, Stack] | None = None,
        flush_seconds: float = 0.05,
    ) -> None:
        self.root, self.jurisdiction, self.rules, self.codes = root, jurisdiction, rules, codes
        self.stacks = stacks
        self.flush_seconds = flush_seconds
        self.stats = ReceiverStats()
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._writer_task: asyncio.Task[None] | None = None

    def stack_of(self, mn: str) -> Stack | None:
        if self.stacks is None:
            return Stack(mn, mn)
        return self.stacks.get(mn)

    async def start(self, host: str, port: int) -> asyncio.Server:
        self._writer_task = asyncio.create_task(self._write_loop())
        return await asyncio.start_server(self._serve, host, port)

    async def close(self) -> None:
        if self._writer_task is not None:
            self._writer_task.cancel()

    def _refuse(self, peer: str, reason: str, detail: str) -> None:
        self.stats.refused[reason] += 1
        log.warning("refused from %s: %s: %s", peer, reason, detail)

    def rows_of(self, packet: hj212.Packet) -> tuple[str, pl.DataFrame] | None:
        """The values an upload adds to the data set, or None when it stores nothing; raises PacketError."""
        upload = hj212.parse_upload(packet)
        resolution = {hj212.UPLOAD_HOURLY: "hourly", hj212.UPLOAD_MINUTE: "minute"}.get(packet.cn)
        if resolution is None:
            return None
        stack = self.stack_of(packet.mn)
        if stack is None:
            raise hj212.PacketError("stack", f"MN {packet.mn} is not a registered stack")
        kept = [(self.codes[r.code], r) for r in upload.readings if r.code in self.codes]
        rows = pl.DataFrame(
            {
                "installation_id": [stack.installation_id] * len(kept),
                "stack_id": [stack.stack_id] * len(kept),
                "ts": [upload.data_time] * len(kept),
                "parameter": [m.parameter for m, _ in kept],
                "value": [None if r.value is None else r.value * m.factor for m, r in kept],
                "flag": [r.flag for _, r in kept],
                "qn": [packet.qn] * len(kept),
            },
            schema=LONG_SCHEMA,
        )
        return resolution, rows

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = str(writer.get_extra_info("peername"))
        splitter = hj212.FrameSplitter()
        # Answers leave in the order the packets came, each once its values are on disk; parsing
        # goes on meanwhile, so one connection's packets share a write batch.
        last_answer: asyncio.Task[None] | None = None
        try:
            while data := await reader.read(READ_BYTES):
                for item in splitter.feed(data):
                    if isinstance(item, hj212.PacketError):
                        self._refuse(peer, item.reason, item.detail)
                        continue
                    self.stats.frames += 1
                    last_answer = await self._handle(peer, item, writer, last_answer)
                if splitter.pending() > 12 + 9_999:
                    self._refuse(peer, "length", "buffer beyond the longest possible frame")
                    splitter.buffer.clear()
            if splitter.pending():
                self._refuse(peer, "truncated", f"{splitter.pending()} bytes left when the connection closed")
            if last_answer is not None:
                await last_answer
        except ConnectionError as exc:
            log.info("connection %s ended: %s", peer, exc)
        finally:
            writer.close()

    async def _handle(
        self, peer: str, frame: bytes, writer: asyncio.StreamWriter, previous: asyncio.Task[None] | None
    ) -> asyncio.Task[None] | None:
        try:
            packet = hj212.parse_frame(frame)
            if packet.cn not in hj212.DATA_UPLOADS:
                raise hj212.PacketError("command", f"CN {packet.cn} is not a command this receiver serves")
            found = self.rows_of(packet)
        except hj212.PacketError as exc:
            self._refuse(peer, exc.reason, exc.detail)
            return previous
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if found is not None and found[1].height:
            await self._queue.put(_Pending(found[0], found[1], done))
        else:
            done.set_result(None)
        return asyncio.create_task(self._answer(packet, done, writer, previous))

    async def _answer(
        self,
        packet: hj212.Packet,
        done: asyncio.Future[None],
        writer: asyncio.StreamWriter,
        previous: asyncio.Task[None] | None,
    ) -> None:
        if previous is not None:
            await previous
        try:
            await done  # on disk before the answer
        except Exception:
            return  # not stored: no answer, the station sends it again
        self.stats.accepted += 1
        if packet.answer_required:
            writer.write(hj212.data_response(packet).frame())
            await writer.drain()
            self.stats.acknowledged += 1

    async def _write_loop(self) -> None:
        while True:
            batch = [await self._queue.get()]
            await asyncio.sleep(self.flush_seconds)
            while not self._queue.empty() and len(batch) < MAX_BATCH:
                batch.append(self._queue.get_nowait())
            try:
                for resolution in ("minute", "hourly"):
                    frames = [p.rows for p in batch if p.resolution == resolution]
                    if frames:
                        stats = await asyncio.to_thread(
                            write_values, self.root, self.jurisdiction, resolution, pl.concat(frames), self.rules
                        )
                        self.stats.values_new += stats.values_new
                        self.stats.values_changed += stats.values_changed
                        self.stats.values_repeated += stats.values_repeated
            except Exception as exc:  # the batch is not acknowledged: stations send it again
                log.exception("write failed; %d packets left unacknowledged", len(batch))
                for p in batch:
                    p.done.set_exception(exc)
                continue
            for p in batch:
                p.done.set_result(None)
