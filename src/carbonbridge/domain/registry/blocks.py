"""Serial blocks: a run of consecutive unit serials held by one account. Blocks split when only
part of a block moves, so every unit keeps its serial and its history can be traced."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

from carbonbridge.domain.errors import Conflict


@dataclass(frozen=True, slots=True)
class SerialBlock:
    unit_type: str
    start: int
    end: int  # inclusive
    id: int | None = None

    def __post_init__(self) -> None:
        if self.start < 1 or self.end < self.start:
            raise ValueError(f"invalid serial block {self.start}-{self.end}")

    @property
    def size(self) -> int:
        return self.end - self.start + 1

    def contains(self, serial: int) -> bool:
        return self.start <= serial <= self.end


@dataclass(frozen=True, slots=True)
class Take:
    """How `quantity` units are taken from a holding's blocks, lowest blocks first.

    `whole` blocks move entirely; if `split` is set, its last `split_size` units move as a new
    block and the rest stays with the original block (which then ends at `split_rest_end`), so
    the original keeps its first serial and no two blocks ever share a first serial.
    """

    whole: tuple[SerialBlock, ...]
    split: SerialBlock | None
    split_size: int

    @property
    def moved(self) -> tuple[SerialBlock, ...]:
        """The serial ranges that change hands, in serial order."""
        if self.split is None:
            return self.whole
        part = SerialBlock(self.split.unit_type, self.split_rest_end + 1, self.split.end)
        return (*self.whole, part)

    @property
    def split_rest_end(self) -> int:
        if self.split is None:
            raise ValueError("no split")
        return self.split.end - self.split_size

    @property
    def quantity(self) -> int:
        return sum(b.size for b in self.moved)


def take(blocks: Sequence[SerialBlock], quantity: int) -> Take:
    """Take `quantity` units from `blocks` (ascending serial order). Conflict if there are too few."""
    if quantity <= 0:
        raise ValueError("quantity must be positive")
    whole: list[SerialBlock] = []
    remaining = quantity
    for block in blocks:
        if block.size <= remaining:
            whole.append(block)
            remaining -= block.size
            if remaining == 0:
                return Take(tuple(whole), None, 0)
        else:
            return Take(tuple(whole), block, remaining)
    raise Conflict(f"serial blocks hold {quantity - remaining} units, {quantity} needed: ledger inconsistent")


def total(blocks: Iterable[SerialBlock]) -> int:
    return sum(b.size for b in blocks)


def overlapping(blocks: Sequence[SerialBlock]) -> list[tuple[SerialBlock, SerialBlock]]:
    """Pairs of blocks of one unit type whose serial ranges overlap (a unit counted twice)."""
    ordered = sorted(blocks, key=lambda b: (b.unit_type, b.start))
    return [(a, b) for a, b in pairwise(ordered) if a.unit_type == b.unit_type and b.start <= a.end]
