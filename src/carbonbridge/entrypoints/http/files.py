"""Multipart uploads in, files out: the one place routes turn an UploadFile into bytes (bounded)
and bytes into a download."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import UploadFile
from fastapi.responses import Response

from carbonbridge.adapters.uploads import MAX_UPLOAD_BYTES, safe_name


def read(upload: UploadFile, default_name: str) -> tuple[str, bytes]:
    """The client's file name (made safe) and at most MAX_UPLOAD_BYTES + 1 bytes (the adapter refuses more)."""
    return safe_name(upload.filename, default_name), upload.file.read(MAX_UPLOAD_BYTES + 1)


def optional(upload: UploadFile | None, default_name: str) -> dict[str, tuple[str, bytes]]:
    return {} if upload is None else {default_name: read(upload, default_name)}


def download(name: str, media_type: str, content: bytes) -> Response:
    return Response(content, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def binary(media_types: Iterable[str], description: str) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI description of a file answer (one of `media_types`)."""
    file = {"schema": {"type": "string", "format": "binary"}}
    return {200: {"description": description, "content": {media: file for media in media_types}}}
