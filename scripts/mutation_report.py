"""Print a per-module score table from mutmut's results (mutants/**/*.meta, written by `mutmut run`).

Usage: python scripts/mutation_report.py [--target PERCENT] [--survivors] SOURCE_FILE...

Score = killed / mutants, where killed counts a failing test or a CPU-time limit (mutmut's own
verdicts), and a mutant that no unit test reaches counts against the score like a survivor.
A mutant that was generated but not run ("not checked"), or whose run was suspicious or
crashed, also counts against it ("other"), so an interrupted run cannot look better than it is.
Exit status 1 when a module is below --target.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

# mutmut 3.8 exit codes (mutmut/stats.py `status_by_exit_code`); anything else is "other".
KILLED = {1, 3}
TIMEOUT = {-24, 24, 36, 152, 255}
SURVIVED = {0}
NO_TESTS = {5, 33}
NOT_CHECKED = {None}


def classify(exit_code: int | None) -> str:
    for name, codes in (
        ("killed", KILLED),
        ("timeout", TIMEOUT),
        ("survived", SURVIVED),
        ("no tests", NO_TESTS),
        ("not checked", NOT_CHECKED),
    ):
        if exit_code in codes:
            return name
    return "other"


def natural(name: str) -> tuple[str | int, ...]:
    """Sort x_take__mutmut_2 before x_take__mutmut_10."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name))


def load(source: str, root: Path) -> dict[str, int | None]:
    meta = root / (source + ".meta")
    if not meta.is_file():
        raise SystemExit(f"no mutmut results for {source}: {meta} is missing (run scripts/mutation first)")
    data = json.loads(meta.read_text(encoding="utf-8"))
    return dict(data["exit_code_by_key"])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", nargs="+", help="source files as listed in [tool.mutmut] only_mutate")
    parser.add_argument("--target", type=float, default=None, help="minimum score in percent per module")
    parser.add_argument("--survivors", action="store_true", help="list the mutants that were not killed")
    parser.add_argument("--root", type=Path, default=Path("mutants"))
    args = parser.parse_args(argv)

    header = ("module", "mutants", "killed", "timeout", "survived", "no tests", "other", "score")
    rows: list[tuple[str, ...]] = []
    below: list[str] = []
    alive: dict[str, dict[str, str]] = {}
    for source in args.sources:
        results = load(source, args.root)
        counts = Counter(classify(code) for code in results.values())
        total = len(results)
        killed = counts["killed"] + counts["timeout"]
        score = 100.0 * killed / total if total else 100.0
        if args.target is not None and score < args.target:
            below.append(source)
        rows.append(
            (
                source,
                str(total),
                str(counts["killed"]),
                str(counts["timeout"]),
                str(counts["survived"]),
                str(counts["no tests"]),
                str(counts["not checked"] + counts["other"]),
                f"{score:.1f} %",
            )
        )
        alive[source] = {
            name: classify(results[name])
            for name in sorted(results, key=natural)
            if classify(results[name]) not in ("killed", "timeout")
        }

    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
    line = "  ".join("-" * w for w in widths)
    print(line)
    for n, row in enumerate((header, *rows)):
        print(
            "  ".join(
                cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if n == 0:
            print(line)
    print(line)
    print(
        "score = (killed + timeout) / mutants; 'no tests' and 'other' (not run, suspicious, crashed) count against it"
    )

    if args.survivors:
        for source, names in alive.items():
            if names:
                print(f"\nnot killed in {source} (see `mutmut show NAME`):")
                for name, status in names.items():
                    print(f"  {name}: {status}")
    if below:
        print(f"\nbelow the target of {args.target:g} %: {', '.join(below)}")
        return 1
    if args.target is not None:
        print(f"every module meets the target of {args.target:g} %")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
