"""The web application in headless Chromium: the journeys of issue 14 on one server and one browser.

The browser is Debian's `chromium` at /usr/bin/chromium, driven by Playwright (`playwright install`
must never run); without it the tests are skipped with the reason, unless
CARBONBRIDGE_REQUIRE_BROWSER=1 (set by .ci/run), which turns the skip into a failure. The server is
Uvicorn in a thread over a seeded SQLite registry (tests/api_world.py) whose clock the tests move.
Every page is walked in Russian, Chinese and English: no untranslated text, no console error, no
request to another host, no axe-core violation of serious or critical impact; screenshots go to
CARBONBRIDGE_SCREENSHOTS (a folder) or the pytest tmp dir.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from api_world import PASSWORD, UNIT, World, add_report, fund, make_world
from carbonbridge.entrypoints.web.i18n import HTML_LANG
from carbonbridge.entrypoints.web.security import LANGUAGE_COOKIE
from web_world import TRADER_DEPOSIT_MINOR, admit_trader, post_allocations, reconcile_with_own_other_side

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

CHROMIUM = Path("/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("CARBONBRIDGE_REQUIRE_BROWSER") == "1"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-dev-shm-usage"]
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"  # axe-core 4.14.1 from npm (MPL-2.0)
LANGUAGES = ("ru", "zh_Hans", "en")
# Latin words allowed in Russian and Chinese pages outside translate="no": a file format and the
# ISO 4217 currency codes (CLDR formats BYN amounts with the code in both languages)
LATIN_ALLOWED = {"CSV", "BYN", "CNY"}
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")

PLAN = """
installation_id = "INST-1"
jurisdiction = "BY"
name = "Plant INST-1"
operator = "Operator LLC"
sector = "energy_industries"
category = "A"
method_pack = "ipcc2006"

[[source_streams]]
name = "gas"
activity = "natural_gas"
"""
BAD_ACTIVITY = (
    "record_id,installation_id,source_stream,activity,quantity,unit,year,sector,ncv,ncv_unit\n"
    "r1,INST-1,gas,natural_gas,1000,thousand m3,2025,energy_industries,34.0,TJ/million m3\n"
    "r2,INST-1,gas,natural_gas,-5,thousand m3,2025,energy_industries,34.0,TJ/million m3\n"
    "r3,INST-1,gas,natural_gas,10,furlongs,2025,energy_industries,34.0,TJ/million m3\n"
)

# the text nodes of a page that are not data (data is marked translate="no")
_TEXTS_JS = """
() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const text = node.textContent.trim();
    if (!text) continue;
    const parent = node.parentElement;
    if (parent.closest('[translate="no"], script, style, option[lang], .js-plotly-plot')) continue;
    out.push(text);
  }
  for (const el of document.querySelectorAll('[aria-label], input[placeholder], [title]')) {
    if (el.closest('[translate="no"], .js-plotly-plot')) continue;
    for (const name of ['aria-label', 'placeholder', 'title']) {
      const value = el.getAttribute(name);
      if (value) out.push(value);
    }
  }
  // the title repeats ids shown on the page as data: drop the words of translate="no" elements
  const data = new Set([...document.querySelectorAll('[translate="no"]')]
    .flatMap((el) => el.textContent.split(/[^A-Za-z0-9]+/)));
  out.push(document.title.split(/[^A-Za-z0-9]+/).filter((w) => !data.has(w)).join(' '));
  return out;
}
"""


def _browser_missing_reason() -> str | None:
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} not found (apt-get install chromium chromium-driver)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        return f"playwright is not installed (pip install -e '.[test]'): {exc}"
    return None


@dataclass
class Server:
    world: World
    base: str
    screenshots: Path
    problems: list[str] = field(default_factory=list)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    missing = _browser_missing_reason()
    if missing:
        if REQUIRE_BROWSER:
            pytest.fail(f"CARBONBRIDGE_REQUIRE_BROWSER=1 but no browser for the web tests: {missing}")
        pytest.skip(f"browser tests need Debian's chromium and playwright: {missing}")
    import uvicorn

    from carbonbridge.adapters.monitoring_plan_file import read_plan_file
    from carbonbridge.entrypoints.bootstrap import build_app
    from carbonbridge.entrypoints.http.settings import Settings
    from carbonbridge.services import mrv

    folder = tmp_path_factory.mktemp("web")
    url = f"sqlite:///{folder / 'carbonbridge.db'}"
    core = build_app(url, upgrade=True)
    settings = Settings(db_url=url, rate_limit_signin="1000/minute", token_ttl_seconds=24 * 3600)
    world = make_world(core, settings)
    world.objects.update(fund(world))
    plan_file = folder / "plan.toml"
    plan_file.write_text(PLAN)
    mrv.register_plan(core.sessions, read_plan_file(plan_file), config=core.config, now=world.clock.now)
    add_report(core.sessions, "INST-1", 250.0, 2025, world.clock.now)
    admit_trader(core.sessions, world.clock.now)
    post_allocations(core.sessions, 2025, {"INST-1": 1200, "INST-2": 800}, world.clock.now)
    reconcile_with_own_other_side(core.sessions, world.clock.now)
    port = _free_port()
    config = uvicorn.Config(world.app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    uvicorn_server = uvicorn.Server(config)
    thread = threading.Thread(target=uvicorn_server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uvicorn_server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert uvicorn_server.started, "uvicorn did not start"
    wanted = os.environ.get("CARBONBRIDGE_SCREENSHOTS")
    screenshots = Path(wanted) if wanted else tmp_path_factory.mktemp("screenshots")
    screenshots.mkdir(parents=True, exist_ok=True)
    yield Server(world, f"http://localhost:{port}", screenshots)
    uvicorn_server.should_exit = True
    thread.join(timeout=10)
    core.engine.dispose()


@pytest.fixture(scope="module")
def chromium(server: Server) -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@dataclass
class Session:
    context: BrowserContext
    page: Page
    problems: list[str]


def _open(chromium: Browser, server: Server, language: str = "en") -> Session:
    """A fresh browser context that records console errors and any request to another host."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    problems: list[str] = []
    context.route(
        re.compile(r"^(https?|wss?)://(?!localhost:)"),
        lambda route: (problems.append(f"request to another host: {route.request.url}"), route.abort()),
    )
    page = context.new_page()
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"uncaught exception: {e}"))
    session = Session(context, page, problems)
    if language != "en":
        _switch_language(session, server, language)
    return session


def _switch_language(session: Session, server: Server, language: str) -> None:
    page = session.page
    if not page.url.startswith(server.base):
        page.goto(server.base + "/web/public")
    page.select_option("#language-switch", language)
    page.locator("form.lang button").click()
    page.wait_for_load_state()
    expected = {"ru": "ru", "zh_Hans": "zh-Hans", "en": "en"}[language]
    assert page.locator("html").get_attribute("lang") == expected


def _sign_in(session: Session, server: Server, user: str) -> None:
    page = session.page
    page.goto(server.base + "/web/sign-in")
    page.fill("#user_id", user)
    page.fill("#password", PASSWORD)
    page.fill("#code", server.world.code(user))
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert "/web/sign-in" not in page.url, page.content()[:2000]


def _sign_with_code(session: Session, server: Server, user: str) -> None:
    page = session.page
    page.fill("#code", server.world.code(user))
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()


REFUSED_FORM = "the server responded with a status of 422"  # Chromium logs a form answered 422 as an error


def _no_problems(session: Session, *expected: str) -> None:
    """No console error, uncaught exception or outside request, except `expected` (a refused form)."""
    found = [p for p in session.problems if not any(e in p for e in expected)]
    assert not found, "\n".join(found)


def test_sign_in_asks_for_the_code_and_refuses_a_wrong_one(chromium: Browser, server: Server) -> None:
    session = _open(chromium, server)
    page = session.page
    page.goto(server.base + "/web/accounts")
    assert "/web/sign-in" in page.url
    page.fill("#user_id", "operator")
    page.fill("#password", PASSWORD)
    page.fill("#code", "000000")
    page.locator("main form button[type=submit]").click()
    assert page.locator(".error-summary a[href='#password']").is_visible()
    # the page moves focus to the summary from a script once loaded: wait for it (fails after 5 s)
    page.wait_for_function("document.activeElement?.classList.contains('error-summary')", timeout=5000)
    _sign_in(session, server, "operator")
    assert page.url.endswith("/web/")
    page.goto(server.base + "/web/accounts/BY-OP1")
    available = page.locator("#holdings td[data-available]").first.inner_text()
    assert available.replace("\u202f", "").replace(",", "").replace(" ", "") == "100"
    session.context.close()
    _no_problems(session, REFUSED_FORM)


def test_an_upload_with_errors_shows_each_located_problem_next_to_its_row(chromium: Browser, server: Server) -> None:
    session = _open(chromium, server)
    _sign_in(session, server, "operator")
    page = session.page
    page.goto(server.base + "/web/installations/INST-1/activity")
    page.set_input_files(
        "#file", files=[{"name": "activity.csv", "mimeType": "text/csv", "buffer": BAD_ACTIVITY.encode()}]
    )
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("tr#line-2.has-problem").count() == 0
    for line, words in ((3, "quantity"), (4, "furlongs")):
        row = page.locator(f"tr#line-{line}.has-problem")
        assert row.count() == 1, page.content()[:3000]
        assert words in row.locator("td.problems").inner_text()
        assert page.locator(f"#problems a[href='#line-{line}']").count() >= 1
    page.screenshot(path=str(server.screenshots / "upload-problems-en.png"), full_page=True)
    session.context.close()
    _no_problems(session, REFUSED_FORM)


def test_a_transfer_proposed_by_one_representative_and_approved_by_another_is_delayed_then_completed(
    chromium: Browser, server: Server
) -> None:
    first = _open(chromium, server, "ru")
    _sign_in(first, server, "operator")
    page = first.page
    page.goto(server.base + "/web/accounts/BY-OP1/transfer?kind=transfer")
    page.select_option("#unit_type", UNIT)
    page.fill("#quantity", "10")
    page.fill("#destination_account", "BY-OP2")  # not on the trusted list: the delay window applies
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("dl.review").is_visible()
    _sign_with_code(first, server, "operator")
    assert "/web/transactions/" in page.url, page.content()[:2000]
    transaction_url = page.url
    assert page.locator("#state").get_attribute("data-state") == "proposed"
    first.context.close()

    second = _open(chromium, server, "zh_Hans")
    _sign_in(second, server, "operator2")
    page = second.page
    page.goto(server.base + "/web/tasks")
    page.locator(f"a[href='{transaction_url.removeprefix(server.base)}']").click()
    page.wait_for_load_state()
    _sign_with_code(second, server, "operator2")
    assert page.locator("#state").get_attribute("data-state") == "delayed"
    page.screenshot(path=str(server.screenshots / "transfer-delayed-zh_Hans.png"), full_page=True)
    second.context.close()

    server.world.clock.now += dt.timedelta(days=3)
    admin = _open(chromium, server)
    _sign_in(admin, server, "admin")
    admin.page.goto(server.base + "/web/accounts")
    admin.page.locator("form[action='/web/registry/settle'] button").click()
    admin.page.wait_for_load_state()
    admin.page.goto(transaction_url)
    assert admin.page.locator("#state").get_attribute("data-state") == "completed"
    admin.context.close()
    for session in (first, second, admin):
        _no_problems(session)


def test_the_national_administrator_sees_the_compliance_year_with_its_chart(chromium: Browser, server: Server) -> None:
    after_deadline = dt.datetime(2026, 4, 2, 9, 0, tzinfo=dt.UTC)  # BY: emissions due by 31 March
    server.world.clock.now = max(server.world.clock.now, after_deadline)
    session = _open(chromium, server)
    _sign_in(session, server, "national")
    page = session.page
    page.goto(server.base + "/web/compliance/BY/2025")
    page.wait_for_function("() => document.querySelector('[data-chart] svg.main-svg') !== null", timeout=20_000)
    assert page.locator("table tbody tr").count() >= 2
    page.locator("form[action='/web/compliance/BY/2025/run'] input[value='block'] + button").click()
    page.wait_for_load_state()
    assert page.locator("h2:has-text('Blocked accounts') + ul a").count() >= 1
    session.context.close()
    _no_problems(session)


def _next_trading_morning(now: dt.datetime) -> dt.datetime:
    """11:00 in Minsk (BY trades 10:00-16:00) on the next weekday after `now`."""
    day = now.date() + dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return dt.datetime(day.year, day.month, day.day, 8, 0, tzinfo=dt.UTC)


def test_a_trader_places_an_order_sees_it_in_the_book_and_cancels_it(chromium: Browser, server: Server) -> None:
    server.world.clock.now = _next_trading_morning(server.world.clock.now)
    session = _open(chromium, server)
    _sign_in(session, server, "trader")
    page = session.page
    page.goto(server.base + "/web/market")
    balance = page.locator("td[data-balance]").first.inner_text()
    assert re.sub(r"\D", "", balance) == str(TRADER_DEPOSIT_MINOR), balance
    page.check("#side-sell")
    page.select_option("#type", "limit")
    page.fill("#quantity", "20")
    page.fill("#price", "45.50")
    page.fill("#code", "000000")  # an order reserves units: it is signed with a fresh code
    page.locator("form[action='/web/market/orders'] button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("#code[aria-invalid='true']").count() == 1
    assert page.locator("tr[data-state='open']").count() == 0
    page.fill("#price", "45.50")
    page.fill("#code", server.world.code("trader"))
    page.locator("form[action='/web/market/orders'] button[type=submit]").click()
    page.wait_for_load_state()
    order = page.locator("tr[data-state='open']")
    assert order.count() == 1, page.content()[:3000]
    assert page.locator("table.depth td", has_text="45.50").count() >= 1
    assert page.locator("table.depth td", has_text="20").count() >= 1
    order.locator("button").click()
    page.wait_for_load_state()
    assert page.locator("tr[data-state='open']").count() == 0
    assert page.locator("tr[data-state='cancelled']").count() == 1
    page.check("#side-sell")
    page.fill("#quantity", "15")
    page.fill("#price", "44.00")
    page.fill("#code", server.world.code("trader"))
    page.locator("form[action='/web/market/orders'] button[type=submit]").click()
    page.wait_for_load_state()
    session.context.close()

    buyer = _open(chromium, server)
    _sign_in(buyer, server, "other")  # trades for BY-T2
    page = buyer.page
    page.goto(server.base + "/web/market")
    page.check("#side-buy")
    page.fill("#quantity", "15")
    page.fill("#price", "44.00")
    page.fill("#code", server.world.code("other"))
    page.locator("form[action='/web/market/orders'] button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("h2:has-text('Your trades') + table tbody tr td", has_text="44.00").count() == 1
    buyer.context.close()
    _no_problems(session, REFUSED_FORM)
    _no_problems(buyer)


# (user, pages) walked in every language; None is the public visitor
WALK: tuple[tuple[str | None, tuple[str, ...]], ...] = (
    (None, ("/web/", "/web/sign-in", "/web/public", "/web/public/BY/2025", "/web/public/market/BY")),
    (
        "operator",
        (
            "/web/",
            "/web/accounts",
            "/web/accounts/BY-OP1",
            "/web/accounts/BY-OP1/transfer?kind=transfer",
            "/web/accounts/BY-OP1/transfer?kind=surrender",
            "/web/tasks",
            "/web/transactions/{moved}",
            "/web/installations",
            "/web/installations/INST-1",
            "/web/installations/INST-1/activity",
        ),
    ),
    ("verifier", ("/web/installations/INST-1",)),
    ("national", ("/web/compliance/BY/2025", "/web/accounts/BY-OP2", "/web/inventory/BY", "/web/allocation/BY/2025")),
    ("auditor", ("/web/audit", "/web/link/BY")),
    ("trader", ("/web/market",)),
)


def _axe(page: Page, source: str) -> list[str]:
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(source)  # evaluated by the test, not a page script: the page's CSP stays strict
    found: Any = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".filter(v => ['serious', 'critical'].includes(v.impact))"
        ".map(v => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | ')}`)"
    )
    return list(found)


def test_every_page_in_each_language_is_translated_accessible_and_local(chromium: Browser, server: Server) -> None:
    """One session per user; every page of the user in each language."""
    source = AXE.read_text()
    failures: list[str] = []
    for user, paths in WALK:
        session = _open(chromium, server)
        if user:
            _sign_in(session, server, user)
        page = session.page
        for language in LANGUAGES:
            # the switch itself is exercised by the journeys; here its cookie is set directly
            session.context.add_cookies(
                [{"name": LANGUAGE_COOKIE, "value": language, "url": server.base, "secure": True, "httpOnly": True}]
            )
            for path in paths:
                path = path.format(moved=server.world.objects["moved"]["id"])
                page.goto(server.base + path)
                if page.locator("[data-chart]").count():
                    page.wait_for_function("() => document.querySelector('[data-chart] svg.main-svg') !== null")
                where = f"{language} {user or 'public'} {path}"
                assert page.locator("html").get_attribute("lang") == HTML_LANG[language], where
                if language != "en":
                    texts = page.evaluate(_TEXTS_JS)
                    latin = sorted({w for text in texts for w in LATIN_WORD.findall(text)} - LATIN_ALLOWED)
                    if latin:
                        failures.append(f"{where}: untranslated text {latin}")
                failures += [f"{where}: axe {v}" for v in _axe(page, source)]
                name = f"{user or 'public'}{path}".replace("/", "_").replace("?", "_").replace("=", "-")
                page.screenshot(path=str(server.screenshots / f"{language}__{name}.png"))
        session.context.close()
        failures += [f"{user or 'public'}: {p}" for p in session.problems]
    assert not failures, "\n".join(failures)
