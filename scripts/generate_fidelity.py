"""Write docs/fidelity.md from the shipped configuration (`--check`: exit 1 if it differs)."""

from __future__ import annotations

import sys
from pathlib import Path

from carbonbridge.adapters.fidelity import render

PAGE = Path(__file__).resolve().parent.parent / "docs" / "fidelity.md"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        same = PAGE.exists() and PAGE.read_text(encoding="utf-8") == text
        print(f"{PAGE}: {'up to date' if same else 'differs from the configuration; run scripts/generate_fidelity.py'}")
        return 0 if same else 1
    PAGE.write_text(text, encoding="utf-8")
    print(f"wrote {PAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
