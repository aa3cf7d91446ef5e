"""Serial ranges: carving given serials out of a holding's blocks (a unit keeps its serial across
the link, so the receiver moves exactly the serials the sender names), merging and differences."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

Range = tuple[int, int]  # inclusive


@dataclass(frozen=True, slots=True)
class Carve:
    """Moving exactly `moved` out of a holding: the blocks `removed` (ids) are replaced by the
    ranges that `stay` and the ranges that move (one block each)."""

    removed: tuple[int, ...]
    stay: tuple[Range, ...]
    moved: tuple[Range, ...]


def carve(held: Sequence[tuple[int, int, int]], wanted: Iterable[Range]) -> Carve | None:
    """How to move exactly the serials `wanted` out of the `held` (id, start, end) blocks, or None
    if some wanted serial is not held. Only the blocks the wanted serials touch are rewritten."""
    want = merge(wanted)
    touched = [b for b in held if intersects((b[1], b[2]), want)]
    covered = [(b[1], b[2]) for b in touched]
    if difference(want, covered):
        return None
    moved: list[Range] = []
    stay: list[Range] = []
    for _, start, end in sorted(touched, key=lambda b: b[1]):
        moved += [r for r in _intersection((start, end), want)]
        stay += difference([(start, end)], want)
    return Carve(tuple(b[0] for b in touched), tuple(stay), tuple(moved))


def _intersection(block: Range, ranges: Iterable[Range]) -> list[Range]:
    return [(max(s, block[0]), min(e, block[1])) for s, e in ranges if s <= block[1] and block[0] <= e]


def merge(ranges: Iterable[Range]) -> list[Range]:
    """Adjacent or overlapping ranges joined, in order."""
    out: list[Range] = []
    for start, end in sorted(ranges):
        if out and start <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def difference(a: Iterable[Range], b: Iterable[Range]) -> list[Range]:
    """Serials in `a` and not in `b`."""
    result: list[Range] = []
    others = merge(b)
    for start, end in merge(a):
        cursor = start
        for o_start, o_end in others:
            if o_end < cursor or o_start > end:
                continue
            if o_start > cursor:
                result.append((cursor, o_start - 1))
            cursor = max(cursor, o_end + 1)
        if cursor <= end:
            result.append((cursor, end))
    return result


def intersects(block: Range, ranges: Iterable[Range]) -> bool:
    return any(block[0] <= e and s <= block[1] for s, e in ranges)


def size(ranges: Iterable[Range]) -> int:
    return sum(e - s + 1 for s, e in ranges)
