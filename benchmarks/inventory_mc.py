"""Benchmark of uncertainty Approach 2: 2,000 parameters x 100,000 iterations (2e8 draws).

Prints the Monte Carlo's seconds and draws per second next to NumPy's own generator producing
the same number of standard normals in the same run (the floor). Acceptance: within 3x of the
floor. Memory stays bounded: both work in blocks of iterations (2,000 x 4,096 float64 = 66 MB),
never the 1.6 GB of the whole draw matrix.

    .venv/bin/python benchmarks/inventory_mc.py [--parameters 2000] [--iterations 100000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from carbonbridge.domain.inventory.montecarlo import Model, Parameter, Source, simulate

BLOCK = 4096


def build_model(parameters: int, seed: int) -> Model:
    """Sources with an activity-data and an emission-factor parameter each; the EF mix is 60 %
    normal, 25 % lognormal, 10 % triangular, 5 % uniform (AD always normal)."""
    rng = np.random.default_rng(seed)
    sources = parameters // 2
    params = []
    for j in range(sources):
        params.append(Parameter(f"AD{j}", float(rng.uniform(1, 10))))
        kind = ("normal",) * 12 + ("lognormal",) * 5 + ("triangular",) * 2 + ("uniform",)
        params.append(Parameter(f"EF{j}", float(rng.uniform(5, 100)), kind[j % 20]))
    return Model(
        params, [Source(f"c{j}", "CO2", float(rng.uniform(1e3, 1e7)), (f"AD{j}", f"EF{j}")) for j in range(sources)]
    )


def floor(parameters: int, iterations: int, seed: int) -> float:
    """Seconds for NumPy's default generator to fill the same number of normals, block by block."""
    rng = np.random.default_rng(seed)
    buffer = np.empty((parameters, BLOCK))
    start = time.perf_counter()
    done = 0
    while done < iterations:
        size = min(BLOCK, iterations - done)
        rng.standard_normal(out=buffer if size == BLOCK else np.empty((parameters, size)))
        done += size
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parameters", type=int, default=2000)
    parser.add_argument("--iterations", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    model = build_model(args.parameters, args.seed)
    draws = args.parameters * args.iterations
    floor(args.parameters, min(args.iterations, 2 * BLOCK), args.seed)  # warm up
    start = time.perf_counter()
    result = simulate(model, np.random.default_rng(args.seed), args.iterations, block=BLOCK)
    mc_seconds = time.perf_counter() - start
    floor_seconds = floor(args.parameters, args.iterations, args.seed)
    print(f"{'':<32}{'seconds':>10}{'draws/s':>16}")
    print(f"{'Approach 2 Monte Carlo':<32}{mc_seconds:>10.2f}{draws / mc_seconds:>16,.0f}")
    print(f"{'numpy standard_normal (floor)':<32}{floor_seconds:>10.2f}{draws / floor_seconds:>16,.0f}")
    ratio = mc_seconds / floor_seconds
    print(f"ratio to floor: {ratio:.2f}x (acceptance: <= 3x) -> {'PASS' if ratio <= 3 else 'FAIL'}")
    print(
        f"{args.parameters} parameters x {args.iterations} iterations = {draws:,} draws; "
        f"total {result.total.mean:,.0f} t, interval -{result.total.low_pct:.2f} % / +{result.total.high_pct:.2f} %"
    )


if __name__ == "__main__":
    main()
