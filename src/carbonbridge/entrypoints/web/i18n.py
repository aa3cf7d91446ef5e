"""Languages of the web application (Russian, simplified Chinese, English) with Babel: the gettext
catalogs under carbonbridge/locale, and numbers, dates and money formatted per locale with times
shown in the jurisdiction's zone.

The catalogs are committed as .po files; `scripts/i18n` extracts, updates and compiles them with
pybabel. At start-up each .po is compiled in memory with Babel's API when no compiled .mo newer
than it is present, so an installed package never serves a stale catalog."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel import Locale, dates, numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from carbonbridge.domain.jurisdiction import Jurisdiction

LOCALE_DIR = Path(__file__).resolve().parents[2] / "locale"
DOMAIN = "messages"
LANGUAGES: dict[str, str] = {"ru": "Русский", "zh_Hans": "中文", "en": "English"}
"""Catalog id -> the language's own name (shown in the switch, never translated)."""
DEFAULT_LANGUAGE = "en"
HTML_LANG = {"ru": "ru", "zh_Hans": "zh-Hans", "en": "en"}
BABEL_LOCALE = {"ru": "ru_RU", "zh_Hans": "zh_Hans_CN", "en": "en_GB"}
ACCEPT = {"ru": "ru", "zh": "zh_Hans", "en": "en"}


def N_(message: str) -> str:
    """Mark a string for extraction (pybabel -k N_) without translating it here."""
    return message


@cache
def translations(language: str) -> Translations:
    """The catalog of `language`: the compiled .mo if it is at least as new as its .po, else the .po
    compiled in memory."""
    folder = LOCALE_DIR / language / "LC_MESSAGES"
    po, mo = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        with mo.open("rb") as handle:
            return Translations(handle, domain=DOMAIN)
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=language, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def negotiate(cookie: str | None, accept_language: str | None) -> str:
    """The remembered choice, else the browser's first supported language, else English."""
    if cookie in LANGUAGES:
        return cookie
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower().replace("_", "-")
        found = ACCEPT.get(tag.split("-")[0])
        if found:
            return found
    return DEFAULT_LANGUAGE


@dataclass(frozen=True)
class Formats:
    """Formatting for one request: its language and the zone of the jurisdiction it looks at."""

    language: str
    jurisdiction: Jurisdiction

    @property
    def locale(self) -> Locale:
        return Locale.parse(BABEL_LOCALE[self.language])

    @property
    def zone(self) -> dt.tzinfo:
        return self.jurisdiction.zone

    def number(self, value: int | float | Decimal | None) -> str:
        return "—" if value is None else numbers.format_decimal(value, locale=self.locale)

    def money(self, value: int | float | Decimal | None, currency: str | None = None) -> str:
        if value is None:
            return "—"
        return numbers.format_currency(value, currency or self.jurisdiction.currency, locale=self.locale)

    def minor(self, minor_units: int | None, currency: str) -> str:
        """An amount kept in integer minor units (both BYN and CNY have two decimals)."""
        if minor_units is None:
            return "—"
        return self.money(Decimal(minor_units) / 100, currency)

    def date(self, value: dt.date | None) -> str:
        return "—" if value is None else dates.format_date(value, format="medium", locale=self.locale)

    def datetime(self, value: dt.datetime | None) -> str:
        """A moment in the jurisdiction's zone, with the zone named."""
        if value is None:
            return "—"
        moment = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        local = moment.astimezone(self.zone)
        when = dates.format_datetime(local, format="medium", locale=self.locale)
        return f"{when} ({dates.get_timezone_location(self.zone, locale=self.locale, return_city=True)})"
