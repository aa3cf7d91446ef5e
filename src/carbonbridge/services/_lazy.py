"""A service package's declared API, imported on first use (PEP 562 module `__getattr__`).

`carbonbridge mrv calc` imports `services.mrv.calc`, which runs the package's `__init__`; if that
imported every module of the package (storage, reports, the CEMS pipeline), the command would pay
a quarter of a second before reading its first row. Each name is imported from its module when it
is first asked for, and kept."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_api(package: str, home: Mapping[str, str]) -> Callable[[str], Any]:
    """The `__getattr__` of `package`: `home` maps each declared name to the module defining it."""
    namespace = importlib.import_module(package).__dict__

    def __getattr__(name: str) -> Any:
        module = home.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        namespace[name] = value
        return value

    return __getattr__
