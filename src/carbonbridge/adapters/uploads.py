"""Files uploaded over HTTP (multipart) kept as temporary files for the services, which read paths.
The problems a service finds name each file as the client sent it, never the temporary path."""

from __future__ import annotations

import dataclasses
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from carbonbridge.domain.errors import Problem, ValidationFailed

MAX_UPLOAD_BYTES = 64 * 1024 * 1024  # a year of activity data of a large jurisdiction is a few MB
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(client_name: str | None, default: str) -> str:
    """The base name the client sent, reduced to safe characters (its suffix picks the reader)."""
    base = (client_name or "").replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _UNSAFE.sub("_", base).lstrip(".")[-120:]
    return cleaned or default


def _relabel(problems: tuple[Problem, ...], names: Mapping[str, str]) -> list[Problem]:
    """Each temporary path, wherever a problem names it (its file or its message), becomes the
    client's name for it: longest paths first, so that a file is not taken for its folder."""
    order = sorted(names, key=len, reverse=True)
    out = []
    for p in problems:
        file, message = p.file, p.message
        for temporary in order:
            file = file.replace(temporary, names[temporary])
            message = message.replace(temporary, names[temporary])
        out.append(dataclasses.replace(p, file=file, message=message))
    return out


def _too_big(uploads: Mapping[str, tuple[str, bytes]]) -> None:
    too_big = [
        Problem(f"the file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB", name, field=field)
        for field, (name, content) in uploads.items()
        if len(content) > MAX_UPLOAD_BYTES
    ]
    if too_big:
        raise ValidationFailed(too_big)


@contextmanager
def saved(uploads: Mapping[str, tuple[str, bytes]]) -> Iterator[dict[str, Path]]:
    """Write each upload (field -> (client file name, content)) to a private temporary folder and
    yield field -> path; the folder is removed afterwards, whatever happens."""
    _too_big(uploads)
    folder = Path(tempfile.mkdtemp(prefix="carbonbridge-upload-"))
    try:
        paths: dict[str, Path] = {}
        names: dict[str, str] = {}
        for field, (name, content) in uploads.items():
            own = folder / field
            own.mkdir()
            path = own / safe_name(name, field)
            path.write_bytes(content)
            paths[field] = path
            names[str(path)] = path.name
        try:
            yield paths
        except ValidationFailed as exc:
            raise ValidationFailed(_relabel(exc.problems, names), truncated=exc.truncated) from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def saved_together(field: str, uploads: Sequence[tuple[str, bytes]], *, what: str) -> Iterator[Path]:
    """Write several uploads of one field into one private temporary folder, each under the safe
    form of the client's name (a service reads the folder, as the CLI's --input FOLDER), and yield
    the folder. Problems name each file as the client sent it and the folder as `what`."""
    named = [(safe_name(name, f"{field}-{n}"), content) for n, (name, content) in enumerate(uploads, 1)]
    _too_big({f"{field}[{n}]": item for n, item in enumerate(named)})
    seen = [name for name, _ in named]
    twice = sorted({name for name in seen if seen.count(name) > 1})
    if twice:
        raise ValidationFailed([Problem("two files of the upload have this name", name, field=field) for name in twice])
    folder = Path(tempfile.mkdtemp(prefix="carbonbridge-upload-"))
    try:
        for name, content in named:
            (folder / name).write_bytes(content)
        try:
            yield folder
        except ValidationFailed as exc:
            names = {f"{folder}/": "", str(folder): what}
            raise ValidationFailed(_relabel(exc.problems, names), truncated=exc.truncated) from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)
