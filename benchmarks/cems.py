"""Benchmark of the CEMS annual pipeline on DuckDB: N synthetic hourly rows (default 10^8, about
11,400 stacks x a year) from the partitioned Parquet data set to annual emissions per stack and
installation with validity flags and EU MRR Art. 45(3) substitution, against a bare DuckDB
``GROUP BY stack_id`` sum over the same files in the same run.

Reports rows/s, the ratio to the bare aggregation (target <= 3x) and peak memory: the process's
peak RSS (VmHWM, reset before each phase through /proc/self/clear_refs) and DuckDB's own buffer
use sampled every 250 ms (target <= 2 GiB).

Run: `.venv/bin/python benchmarks/cems.py [--rows 10000000] [--data DIR] [--memory-limit 2GiB] [--keep]`.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import sys
import threading
import time
from pathlib import Path

from carbonbridge.adapters import cems_duckdb
from carbonbridge.adapters.cems_config import load_rule_set
from carbonbridge.domain.cems.annual import StackYear
from carbonbridge.domain.cems.partials import stack_years
from carbonbridge_demo.cems_synthetic import write_synthetic

YEAR = 2025


def _reset_peak_rss() -> None:
    Path("/proc/self/clear_refs").write_text("5")


def _peak_rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


class DuckSampler:
    """DuckDB's buffer-manager use, sampled on a second connection to the same database."""

    def __init__(self, con: object) -> None:
        self.con = con.cursor()  # type: ignore[attr-defined]
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.25):
            self.peak = max(self.peak, cems_duckdb.peak_memory_bytes(self.con))

    def __enter__(self) -> DuckSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=float, default=1e8)
    parser.add_argument("--data", type=Path, default=Path("/tmp/carbonbridge-cems-bench"))
    parser.add_argument("--memory-limit", default=cems_duckdb.DEFAULT_MEMORY_LIMIT)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--stacks-per-installation", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep (and reuse) the generated data set")
    args = parser.parse_args(argv)
    rules = load_rule_set("BY")
    stacks = max(1, math.ceil(args.rows / 8_760))
    marker = args.data / f".rows-{int(args.rows)}"
    if not marker.exists():
        shutil.rmtree(args.data, ignore_errors=True)
        started = time.perf_counter()
        written = write_synthetic(
            args.data,
            jurisdiction="BY",
            year=YEAR,
            n_stacks=stacks,
            stacks_per_installation=args.stacks_per_installation,
            seed=17,
        )
        print(f"generated {written:,} rows ({stacks:,} stacks) in {time.perf_counter() - started:.1f} s", flush=True)
        marker.write_text(str(written))
    written = int(marker.read_text())
    files = sum(1 for _ in (args.data / "hourly").rglob("*.parquet"))
    size = sum(p.stat().st_size for p in (args.data / "hourly").rglob("*.parquet"))
    print(f"data set: {written:,} rows, {files:,} files, {size / 2**30:.2f} GiB", flush=True)

    con = cems_duckdb.connect(args.memory_limit, threads=args.threads, temp_dir=args.data / ".spill")
    source = cems_duckdb.source(args.data)
    bare_sql = f"SELECT stack_id, sum(co2) FROM {source} GROUP BY stack_id"

    def bare() -> tuple[float, int, int]:
        _reset_peak_rss()
        with DuckSampler(con) as sampler:
            t = time.perf_counter()
            n = len(con.execute(bare_sql).fetchall())
            elapsed = time.perf_counter() - t
        assert n == stacks, (n, stacks)
        return elapsed, _peak_rss_bytes(), sampler.peak

    def pipeline() -> tuple[float, int, int, list[StackYear]]:
        _reset_peak_rss()
        with DuckSampler(con) as sampler:
            t = time.perf_counter()
            partials = cems_duckdb.month_partial_columns(con, args.data, rules, "BY", YEAR)
            assert partials is not None
            years = [year for _, year in stack_years(partials, rules)]
            elapsed = time.perf_counter() - t
        return elapsed, _peak_rss_bytes(), sampler.peak, years

    # Alternate the two in rounds: the machine is shared, so single timings wander.
    load_before = os.getloadavg()[0]
    bares, pipes = [], []
    for _ in range(args.rounds):
        bares.append(bare())
        pipes.append(pipeline())
    years = pipes[-1][3]
    total_t = sum(y.emissions_t or 0.0 for y in years)
    substituted = sum(y.hours_substituted_co2 for y in years)
    print(f"annual: {len(years):,} stacks, {total_t / 1e6:,.2f} Mt CO2, {substituted:,} CO2 hours substituted")
    print("| phase | median s | best s | rows/s (median) | peak RSS MiB | DuckDB peak MiB |")
    print("|---|---|---|---|---|---|")
    for name, runs in (
        ("bare GROUP BY stack_id sum(co2)", bares),
        ("pipeline: flags + substitution + annual", [p[:3] for p in pipes]),
    ):
        times = sorted(r[0] for r in runs)
        median = statistics.median(times)
        print(
            f"| {name} | {median:.2f} | {times[0]:.2f} | {written / median:,.0f} | "
            f"{max(r[1] for r in runs) / 2**20:,.0f} | {max(r[2] for r in runs) / 2**20:,.0f} |"
        )
    ratio = statistics.median(p[0] for p in pipes) / statistics.median(b[0] for b in bares)
    print(
        f"ratio pipeline / bare (medians of {args.rounds} rounds): {ratio:.2f}x (target <= 3x); "
        f"memory limit {args.memory_limit}; load average (1 min) {load_before:.2f} before, "
        f"{os.getloadavg()[0]:.2f} after"
    )
    if not args.keep:
        shutil.rmtree(args.data, ignore_errors=True)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
