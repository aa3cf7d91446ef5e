"""Files of the CRT Data Exchange JSON: read (with located syntax errors and the text of every
number kept for the validator) and write (UTF-8 without BOM, numbers without exponents, through a
temporary file so that a failed export leaves nothing behind)."""

from __future__ import annotations

import json
import os
import re
import secrets
import tempfile
from pathlib import Path
from typing import Any

from carbonbridge.domain.errors import Problem, ValidationFailed
from carbonbridge.domain.inventory.crt_rules import JsonNumber
from carbonbridge.domain.inventory.crt_values import positional

BOM = b"\xef\xbb\xbf"
_MARK = "\u0000crt-number:"
_MARKED = re.compile(r'"\\u0000crt-number:([-0-9.]+)"')


def read_json(path: Path, *, what: str) -> tuple[Any, list[Problem]]:
    """The parsed document and problems that do not stop reading (a BOM). A file that is not JSON
    raises ValidationFailed located at its line and column."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ValidationFailed([Problem(f"cannot read the {what}: {exc.strerror}", file=str(path))]) from None
    notes = []
    if raw.startswith(BOM):
        notes.append(
            Problem(
                "[encoding] the file starts with a byte order mark; the ETF tool wants UTF-8 without BOM",
                file=str(path),
                line=1,
                column=1,
            )
        )
        raw = raw[len(BOM) :]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationFailed(
            [Problem(f"[encoding] the {what} is not UTF-8 (byte {exc.start})", file=str(path))]
        ) from None
    try:
        return json.loads(text, parse_float=JsonNumber), notes
    except json.JSONDecodeError as exc:
        raise ValidationFailed(
            [Problem(f"the {what} is not valid JSON: {exc.msg}", file=str(path), line=exc.lineno, column=exc.colno)]
        ) from None


def _mark_numbers(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _mark_numbers(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_mark_numbers(v) for v in node]
    if isinstance(node, float):
        return _MARK + positional(float(node))
    return node


def dumps(document: Any) -> str:
    """JSON text with every float written positionally ('0.0000001', never '1e-07')."""
    text = json.dumps(_mark_numbers(document), ensure_ascii=False, indent=1)
    return _MARKED.sub(lambda m: m.group(1), text) + "\n"


def write_atomically(path: Path, text: str) -> Path:
    """Write next to the target and rename: the target is either the old file or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def new_country_uid() -> str:
    """A country-specific UID as the ETF tool makes them: 24 hex characters (etf-cli make_uid, [V])."""
    return secrets.token_hex(12)
