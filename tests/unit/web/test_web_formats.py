"""The web's formatting per language: numbers, money and dates by the locale's rules (CLDR via
Babel), moments in the zone of the jurisdiction looked at, and the language negotiation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from carbonbridge.adapters.config import load_config
from carbonbridge.entrypoints.web.i18n import Formats, negotiate

NOON_UTC = dt.datetime(2026, 3, 31, 12, 0, tzinfo=dt.UTC)
CONFIG = load_config(None)  # the shipped jurisdictions


@pytest.mark.parametrize(
    ("language", "jurisdiction", "moment", "money", "number"),
    [
        ("ru", "BY", "31 мар. 2026\u202fг., 15:00:00 (Минск)", "1\xa0234,50\xa0BYN", "1\xa0234\xa0567"),
        ("zh_Hans", "CN", "2026年3月31日 20:00:00 (上海)", "¥1,234.50", "1,234,567"),
        ("en", "BY", "31 Mar 2026, 15:00:00 (Minsk)", "BYN1,234.50", "1,234,567"),
    ],
)
def test_formats_follow_the_locale_and_the_jurisdictions_zone(
    language: str, jurisdiction: str, moment: str, money: str, number: str
) -> None:
    formats = Formats(language, CONFIG.jurisdiction(jurisdiction))
    assert formats.datetime(NOON_UTC) == moment
    assert formats.money(Decimal("1234.5")) == money
    assert formats.minor(123450, "BYN" if jurisdiction == "BY" else "CNY") == money
    assert formats.number(1234567) == number
    assert formats.number(None) == "—"


def test_a_naive_moment_is_read_as_utc() -> None:
    formats = Formats("en", CONFIG.jurisdiction("CN"))
    assert formats.datetime(NOON_UTC.replace(tzinfo=None)).startswith("31 Mar 2026, 20:00:00")


@pytest.mark.parametrize(
    ("cookie", "accept", "expected"),
    [
        ("zh_Hans", "ru-RU,ru;q=0.9", "zh_Hans"),  # the remembered choice wins
        (None, "zh-CN,zh;q=0.9,en;q=0.5", "zh_Hans"),
        (None, "be-BY,ru;q=0.8", "ru"),
        ("xx", "de-DE", "en"),
        (None, None, "en"),
    ],
)
def test_the_language_is_the_remembered_one_else_the_browsers_else_english(
    cookie: str | None, accept: str | None, expected: str
) -> None:
    assert negotiate(cookie, accept) == expected
