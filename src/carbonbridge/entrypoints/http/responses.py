"""Answers of hot routes, serialised once in the route's own thread from the Pydantic model the
route built for its `response_model`: FastAPI would validate such a model again against the same
class and serialise it after a second hop to the thread pool (a sync route's response validation
runs there), which costs a busy server more than the command's own Python code."""

from __future__ import annotations

from fastapi import Response
from pydantic import BaseModel


def validated(model: BaseModel, status_code: int = 200) -> Response:
    """`model` as the JSON body FastAPI would send for it (no aliases are used in schemas.py)."""
    return Response(model.model_dump_json(), status_code=status_code, media_type="application/json")
