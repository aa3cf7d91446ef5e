"""Run the HJ 212 receiver until interrupted: logging to DATA/receive.log and a stack register."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import polars as pl

from carbonbridge.adapters.cems_config import load_hj212_codes, load_rule_set
from carbonbridge.adapters.cems_receiver import Receiver, Stack
from carbonbridge.domain.errors import Problem, ValidationFailed


def read_stacks(path: Path) -> dict[str, Stack]:
    frame = pl.read_csv(path, infer_schema=False)
    missing = [c for c in ("mn", "installation_id", "stack_id") if c not in frame.columns]
    if missing:
        raise ValidationFailed([Problem(f"missing required column '{c}'", str(path), 1, None, c) for c in missing])
    return {r["mn"]: Stack(r["installation_id"], r["stack_id"]) for r in frame.iter_rows(named=True)}


def make_receiver(data: Path, jurisdiction: str, stacks: Path | None = None) -> Receiver:
    data.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(data / "receive.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger = logging.getLogger("carbonbridge.cems.receiver")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    return Receiver(
        data, jurisdiction, load_rule_set(jurisdiction), load_hj212_codes(), read_stacks(stacks) if stacks else None
    )


async def serve_forever(data: Path, jurisdiction: str, host: str, port: int, stacks: Path | None = None) -> None:
    receiver = make_receiver(data, jurisdiction, stacks)
    server = await receiver.start(host, port)
    print(f"receiving HJ 212-2017 on {host}:{port} into {data} (Ctrl-C to stop)", flush=True)
    try:
        async with server:
            await server.serve_forever()
    except asyncio.CancelledError:
        pass
    finally:
        await receiver.close()
