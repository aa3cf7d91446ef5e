"""The CEMS section of the demo: three (fictitious) Chinese plants report the year's stack data -
the plant data systems' files for January to mid-December, then the last three days live as
HJ 212-2017 hourly uploads to the receiver on localhost, with a corrupted, a cut-short and a
repeated packet among them - and the data-quality report and the annual figures follow."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from carbonbridge.adapters.cems_charts import write_quality_report
from carbonbridge.adapters.cems_config import load_hj212_codes, load_rule_set
from carbonbridge.adapters.cems_receiver import Receiver, Stack
from carbonbridge.domain.cems import hj212
from carbonbridge.domain.cems.hj212 import Reading
from carbonbridge.services.mrv.cems import annual, import_file

PLANTS = {"CN-PLANT-A": ["A1", "A2"], "CN-PLANT-B": ["B1"], "CN-PLANT-C": ["C1"]}
LIVE_HOURS = 24 * 3


def _series(rng: np.random.Generator, hours: int) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.str_]]:
    co2 = rng.uniform(150, 200) + rng.normal(0, 6, hours)  # g/Nm3
    flow = rng.uniform(4e5, 9e5) * (1 + rng.normal(0, 0.04, hours))  # Nm3/h
    flags = np.where(rng.random(hours) < 0.015, "D", "N")
    down = int(rng.integers(0, hours - 100))
    flags[down : down + 48] = "F"  # a two-day stop
    return co2, flow, flags


async def _send_live(receiver: Receiver, frames: dict[str, list[bytes]]) -> int:
    server = await receiver.start("127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]

    async def plant(stream: list[bytes]) -> int:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"".join(stream))
        await writer.drain()
        answers = 0
        expected = sum(1 for f in stream if f.endswith(b"\r\n") and hj212.HEADER in f) - 2  # two are refused
        while answers < expected:
            await asyncio.wait_for(reader.readuntil(b"\r\n"), 30)
            answers += 1
        writer.close()
        return answers

    try:
        acks = await asyncio.gather(*(plant(stream) for stream in frames.values()))
    finally:
        server.close()
        await server.wait_closed()
        await receiver.close()
    return sum(acks)


def run_cems_demo(output: Path, *, year: int, seed: int) -> dict[str, Any]:
    folder = output / "cems"
    shutil.rmtree(folder, ignore_errors=True)
    data = folder / "data"
    rng = np.random.default_rng(seed + 17)
    hours = (dt.date(year + 1, 1, 1) - dt.date(year, 1, 1)).days * 24
    start = dt.datetime(year, 1, 1)
    times = [start + dt.timedelta(hours=h) for h in range(hours)]
    batch: list[pl.DataFrame] = []
    frames: dict[str, list[bytes]] = {}
    stacks: dict[str, Stack] = {}
    for p_index, (plant, plant_stacks) in enumerate(PLANTS.items()):
        stream: list[bytes] = []
        for s_index, stack in enumerate(plant_stacks):
            mn = f"88888880{p_index:03d}{s_index:03d}CO2CEMS01"
            stacks[mn] = Stack(plant, stack)
            co2, flow, flags = _series(rng, hours)
            filed = hours - LIVE_HOURS
            for parameter, values in (("co2", co2), ("flow", flow)):
                batch.append(
                    pl.DataFrame(
                        {
                            "installation_id": plant,
                            "stack_id": stack,
                            "time": [t.isoformat(" ") for t in times[:filed]],
                            "parameter": parameter,
                            "value": values[:filed],
                            "flag": flags[:filed],
                        }
                    )
                )
            for h in range(filed, hours):
                packet = hj212.upload_packet(
                    qn=hj212.make_qn(times[h] + dt.timedelta(minutes=5)),
                    mn=mn,
                    pw="123456",
                    cn=hj212.UPLOAD_HOURLY,
                    data_time=times[h],
                    readings=[
                        Reading("a05001", round(co2[h] * 1000, 1), str(flags[h])),
                        Reading("a00000", round(flow[h] / 3600, 3), str(flags[h])),
                    ],
                )
                stream.append(packet.frame())
        stream.insert(5, stream[5][:-6] + b"FFFF\r\n")  # a corrupted CRC
        stream.insert(9, stream[9][:30] + b"\r\n")  # a packet cut short
        stream.append(stream[20])  # sent again
        frames[plant] = stream
    (folder / "input").mkdir(parents=True)
    plant_file = folder / "input" / "plant-data-systems.csv"
    pl.concat(batch).write_csv(plant_file)
    imported = import_file(data, plant_file, jurisdiction="CN")
    handler = logging.FileHandler(folder / "receive.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger = logging.getLogger("carbonbridge.cems.receiver")
    logger.addHandler(handler)
    logger.propagate = False
    receiver = Receiver(data, "CN", load_rule_set("CN"), load_hj212_codes(), stacks, flush_seconds=0.1)
    try:
        # a loop of its own on a thread: the caller may already run one (a notebook, a browser driver)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="cems-demo") as pool:
            acknowledged = pool.submit(asyncio.run, _send_live(receiver, frames)).result()
    finally:
        logger.removeHandler(handler)
        handler.close()
    result = annual(data, jurisdiction="CN", year=year, engine="duckdb", memory_limit="512MiB", with_findings=True)
    report = write_quality_report(folder / "quality.html", result)
    return {
        "imported_values": imported.values_new,
        "packets_acknowledged": acknowledged,
        "packets_refused": dict(receiver.stats.refused),
        "values_repeated": receiver.stats.values_repeated,
        "installations": {k: {"co2_t": v[0], "complete": v[2]} for k, v in result.installations().items()},
        "report": str(report.relative_to(output)),
    }
