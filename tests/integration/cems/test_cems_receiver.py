"""The HJ 212 receiver on localhost: good, bad-CRC, truncated, unknown-command and repeated packets
on one connection; nothing lost, nothing counted twice, the connection kept."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import polars as pl

from carbonbridge.adapters.cems_config import load_hj212_codes, load_rule_set
from carbonbridge.adapters.cems_receiver import Receiver, Stack
from carbonbridge.domain.cems import hj212
from carbonbridge.domain.cems.hj212 import Reading


def _hourly(qn: str, hour: int, co2_mg: float) -> bytes:
    return hj212.upload_packet(
        qn=qn,
        mn="MN0001",
        pw="123456",
        cn=hj212.UPLOAD_HOURLY,
        data_time=dt.datetime(2025, 1, 1, hour),
        readings=[Reading("a05001", co2_mg, "N"), Reading("a00000", 50.0, "N"), Reading("a21026", 3.0, "N")],
    ).frame()


async def _session(root: Path) -> tuple[list[hj212.Packet], Receiver]:
    receiver = Receiver(
        root,
        "CN",
        load_rule_set("CN"),
        load_hj212_codes(),
        stacks={"MN0001": Stack("PLANT1", "STACK1")},
        flush_seconds=0.01,
    )
    server = await receiver.start("127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    good1, good2 = _hourly("20250101010000001", 0, 180_000.0), _hourly("20250101020000001", 1, 190_000.0)
    bad_crc = good2[:-6] + b"0000\r\n"
    unknown = hj212.Packet("20250101020000002", "31", "3020", "123456", "MN0001", 5, "").frame()
    stranger = _hourly("20250101020000003", 2, 1.0).replace(b"MN=MN0001", b"MN=MN0099")
    stranger = hj212.build_frame(stranger[6:-6].decode())
    stream = good1 + bad_crc + good2[:50] + b"\r\n" + unknown + stranger + good2 + good1  # good1 sent again
    for i in range(0, len(stream), 100):
        writer.write(stream[i : i + 100])
        await writer.drain()
    answers = []
    for _ in range(3):
        line = await asyncio.wait_for(reader.readuntil(b"\r\n"), 10)
        answers.append(hj212.parse_frame(line))
    writer.close()
    server.close()
    await server.wait_closed()
    await receiver.close()
    return answers, receiver


def test_the_receiver_acknowledges_good_packets_refuses_bad_ones_and_stores_each_value_once(tmp_path: Path) -> None:
    answers, receiver = asyncio.run(_session(tmp_path))
    assert [(a.cn, a.st, a.qn, a.flag, a.cp) for a in answers] == [
        ("9014", "91", "20250101010000001", 4, ""),
        ("9014", "91", "20250101020000001", 4, ""),
        ("9014", "91", "20250101010000001", 4, ""),  # the repeat is answered, so the station stops sending it
    ]
    assert dict(receiver.stats.refused) == {"crc": 1, "truncated": 1, "command": 1, "stack": 1}
    assert (receiver.stats.accepted, receiver.stats.values_new, receiver.stats.values_repeated) == (3, 4, 2)
    data = pl.read_parquet(tmp_path / "hourly/jurisdiction=CN/year=2025/month=1/installation=PLANT1/part.parquet")
    assert data.sort("ts").select("stack_id", "co2", "flow").rows() == [
        ("STACK1", 180.0, 180_000.0),  # mg/m3 -> g/Nm3; m3/s -> Nm3/h (data/cems/hj212.toml)
        ("STACK1", 190.0, 180_000.0),
    ]
