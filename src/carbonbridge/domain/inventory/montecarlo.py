"""Uncertainty Approach 2: Monte Carlo simulation, IPCC 2006 Vol 1 Ch 3 Sec 3.2.3.2.

Each source (category and gas) is its central estimate times relative multipliers (mean 1)
drawn for its parameters (activity data, emission factor). A parameter shared by several
sources makes them fully correlated; `Correlation` rows add partial correlations through a
Gaussian copula. Uncertainty U is the half-width of the 95 % interval in percent:
normal sd = U/196; lognormal with mean 1 and sd U/196 (sigma^2 = ln(1 + sd^2)); uniform
half-width U/95; symmetric triangular half-width U / (100 (1 - sqrt(0.05))).
The work is columnar: a block of iterations at a time, never a Python loop per iteration.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from carbonbridge.domain.errors import Problem, ValidationFailed

DISTRIBUTIONS = ("normal", "lognormal", "triangular", "uniform")
_TRIANGULAR_95 = 1.0 - math.sqrt(0.05)
Array = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    uncertainty_pct: float
    distribution: str = "normal"


@dataclass(frozen=True, slots=True)
class Source:
    """A category and gas: current (and base-year) estimate and the parameters it multiplies by.
    Base-year parameters default to the current ones (fully correlated between the years)."""

    category: str
    gas: str
    current: float
    parameters: tuple[str, ...]
    base: float = 0.0
    base_parameters: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Correlation:
    a: str
    b: str
    rho: float


@dataclass(frozen=True)
class Interval:
    mean: float
    p2_5: float
    p97_5: float

    @property
    def low_pct(self) -> float:
        return (self.mean - self.p2_5) / abs(self.mean) * 100.0 if self.mean else math.nan

    @property
    def high_pct(self) -> float:
        return (self.p97_5 - self.mean) / abs(self.mean) * 100.0 if self.mean else math.nan


@dataclass(frozen=True)
class Approach2Result:
    iterations: int
    total: Interval
    trend_pct: Interval | None
    source_sd: tuple[float, ...]  # standard deviation of each source, same order as the model's sources
    groups: Mapping[str, Interval] = field(default_factory=dict)


def _phi(z: Array) -> Array:
    """Standard normal CDF via Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7), vectorised."""
    x = np.abs(z) / math.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * x)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    erf = 1.0 - poly * np.exp(-x * x)
    return np.asarray(0.5 * (1.0 + np.sign(z) * erf), dtype=np.float64)


class Model:
    """Parameters ordered by distribution (contiguous slices), sources as index arrays."""

    def __init__(
        self,
        parameters: Sequence[Parameter],
        sources: Sequence[Source],
        correlations: Sequence[Correlation] = (),
        groups: Mapping[str, Sequence[int]] | None = None,
    ) -> None:
        problems = _check(parameters, sources, correlations)
        if problems:
            raise ValidationFailed(problems)
        ordered = sorted(parameters, key=lambda p: DISTRIBUTIONS.index(p.distribution))
        self.names = [p.name for p in ordered]
        position = {name: i for i, name in enumerate(self.names)}
        self.n = len(ordered)
        u = np.array([p.uncertainty_pct / 100.0 for p in ordered], dtype=np.float64)
        kinds = [p.distribution for p in ordered]
        self.slices = {d: slice(kinds.index(d), len(kinds) - kinds[::-1].index(d)) for d in DISTRIBUTIONS if d in kinds}
        sd = u / 1.96
        self.scale = {
            "normal": sd,
            "lognormal": np.sqrt(np.log1p(sd**2)),
            "uniform": u / 0.95,
            "triangular": u / _TRIANGULAR_95,
        }
        width = max([len(s.parameters) for s in sources] + [len(s.base_parameters or ()) for s in sources] + [1])
        one = self.n  # index of a row of ones
        self.sources = list(sources)
        self.current = np.array([s.current for s in sources], dtype=np.float64)
        self.base = np.array([s.base for s in sources], dtype=np.float64)
        self.index = np.full((width, len(sources)), one, dtype=np.intp)
        self.base_index = np.full((width, len(sources)), one, dtype=np.intp)
        for j, s in enumerate(sources):
            for k, name in enumerate(s.parameters):
                self.index[k, j] = position[name]
            for k, name in enumerate(s.parameters if s.base_parameters is None else s.base_parameters):
                self.base_index[k, j] = position[name]
        self.has_base = bool(np.any(self.base != 0))
        self.correlated, self.cholesky = _cholesky(correlations, position)
        self.group_names = list(groups or {})
        self.group_matrix = np.zeros((len(self.group_names), len(sources)))
        for g, name in enumerate(self.group_names):
            self.group_matrix[g, list((groups or {})[name])] = 1.0

    def draw(self, rng: np.random.Generator, out: Array) -> None:
        """Fill out[:n] with multipliers for a block of iterations (out[n] stays 1)."""
        z = out[: self.n]
        rng.standard_normal(out=z)
        if self.correlated.size:
            z[self.correlated] = self.cholesky @ z[self.correlated]
        for dist, sl in self.slices.items():
            block = z[sl]
            scale = self.scale[dist][sl, None]
            if dist == "normal":
                block *= scale
                block += 1.0
            elif dist == "lognormal":
                block *= scale
                block -= 0.5 * scale**2  # mean-1 lognormal: mu = -sigma^2/2
                np.exp(block, out=block)
            elif dist == "uniform":
                block[...] = 1.0 + scale * (2.0 * _phi(block) - 1.0)
            else:
                p = _phi(block)
                low = 1.0 - scale + scale * np.sqrt(2.0 * p)
                high = 1.0 + scale - scale * np.sqrt(2.0 * (1.0 - p))
                block[...] = np.where(p < 0.5, low, high)


def _check(
    parameters: Sequence[Parameter], sources: Sequence[Source], correlations: Sequence[Correlation]
) -> list[Problem]:
    problems: list[Problem] = []
    names = [p.name for p in parameters]
    if len(set(names)) != len(names):
        problems.append(Problem("parameter names must be unique", field="parameter"))
    for p in parameters:
        if p.distribution not in DISTRIBUTIONS:
            problems.append(Problem(f"{p.name}: unknown distribution {p.distribution!r}", field="distribution"))
        if not (p.uncertainty_pct >= 0 and math.isfinite(p.uncertainty_pct)):
            problems.append(Problem(f"{p.name}: uncertainty must be a finite number >= 0", field="uncertainty_pct"))
    known = set(names)
    for s in sources:
        missing = (set(s.parameters) | set(s.base_parameters or ())) - known
        if missing:
            problems.append(Problem(f"{s.category}/{s.gas}: unknown parameters {sorted(missing)}", field="parameters"))
    for c in correlations:
        if {c.a, c.b} - known or not -1.0 < c.rho < 1.0 or c.a == c.b:
            problems.append(Problem(f"bad correlation {c.a}~{c.b} ({c.rho}); share a parameter for rho = 1"))
    if not sources:
        problems.append(Problem("no sources to simulate"))
    return problems


def _cholesky(correlations: Sequence[Correlation], position: Mapping[str, int]) -> tuple[npt.NDArray[np.intp], Array]:
    involved = sorted({position[c.a] for c in correlations} | {position[c.b] for c in correlations})
    local = {p: i for i, p in enumerate(involved)}
    matrix = np.eye(len(involved))
    for c in correlations:
        i, j = local[position[c.a]], local[position[c.b]]
        matrix[i, j] = matrix[j, i] = c.rho
    try:
        lower = np.linalg.cholesky(matrix) if involved else np.zeros((0, 0))
    except np.linalg.LinAlgError:
        raise ValidationFailed([Problem("the correlation matrix is not positive definite")]) from None
    return np.array(involved, dtype=np.intp), np.asarray(lower, dtype=np.float64)


def _product(x: Array, index: npt.NDArray[np.intp]) -> Array:
    prod: Array = x[index[0]]
    for row in index[1:]:
        prod = prod * x[row]
    return prod


def _interval(samples: Array) -> Interval:
    low, high = np.percentile(samples, [2.5, 97.5])
    return Interval(float(samples.mean()), float(low), float(high))


def simulate(model: Model, rng: np.random.Generator, iterations: int, *, block: int = 4096) -> Approach2Result:
    """Run `iterations` draws in blocks of `block` iterations (memory ~ 8 x params x block bytes)."""
    if iterations < 100:
        raise ValidationFailed([Problem("at least 100 iterations are needed for a 95 % interval")])
    buffer = np.ones((model.n + 1, min(block, iterations)))
    totals = np.empty(iterations)
    base_totals = np.empty(iterations) if model.has_base else None
    group_totals = np.empty((len(model.group_names), iterations))
    s1 = np.zeros(len(model.sources))
    s2 = np.zeros(len(model.sources))
    done = 0
    while done < iterations:
        size = min(buffer.shape[1], iterations - done)
        x = buffer[:, :size]
        if size < buffer.shape[1]:
            x = np.ascontiguousarray(x)
            x[model.n] = 1.0
        model.draw(rng, x)
        emissions = _product(x, model.index) * model.current[:, None]
        totals[done : done + size] = emissions.sum(axis=0)
        s1 += emissions.sum(axis=1)
        s2 += np.einsum("ij,ij->i", emissions, emissions)
        if model.group_names:
            group_totals[:, done : done + size] = model.group_matrix @ emissions
        if base_totals is not None:
            base_totals[done : done + size] = model.base @ _product(x, model.base_index)
        done += size
    mean = s1 / iterations
    sd = np.sqrt(np.maximum(s2 / iterations - mean**2, 0.0))
    trend = None
    if base_totals is not None:
        trend = _interval((totals - base_totals) / base_totals * 100.0)
        # For a trend, report the interval in percentage points around the mean trend.
    return Approach2Result(
        iterations,
        _interval(totals),
        trend,
        tuple(float(v) for v in sd),
        {name: _interval(group_totals[g]) for g, name in enumerate(model.group_names)},
    )
