"""The one Jinja2 environment of the report writers: templates from this package, autoescaped,
and the number formats the reports use."""

from decimal import Decimal
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape


def _grouped(value: int | float | Decimal | str, decimals: int | None = None) -> str:
    """Thousands separated: `1,234` (or `1,234.5` as given); `decimals` fixes the decimals. A string
    is a decimal amount (penalties travel as text so that no float rounds them)."""
    number = Decimal(value) if isinstance(value, str) else value
    return format(number, ",") if decimals is None else format(number, f",.{decimals}f")


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("carbonbridge.adapters.reports", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=True),
        undefined=StrictUndefined,  # a misspelt field fails the report instead of printing nothing
        keep_trailing_newline=False,
    )
    env.filters["grouped"] = _grouped
    return env


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)
