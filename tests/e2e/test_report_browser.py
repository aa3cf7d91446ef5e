"""Every `report.html` that `carbonbridge demo` writes renders its Plotly charts in headless Chromium.

The browser is Debian's `chromium` at /usr/bin/chromium, driven by Playwright; a browser
downloaded by Playwright is never used (`playwright install` must not run). Where chromium or
playwright is missing the tests are skipped with the reason - unless
CARBONBRIDGE_REQUIRE_BROWSER=1 (set by .ci/run), which turns the skip into a failure.
The demo's run (seed 7) is the one tests/e2e/test_demo.py checks, run once per session; each
report found under its output (new reports included) is opened as a file:// URL, checked, and
screenshotted into the pytest tmp dir.
"""

from __future__ import annotations

import os
import re
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Request

CHROMIUM = Path("/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("CARBONBRIDGE_REQUIRE_BROWSER") == "1"
# --no-sandbox: CI runs as root; --disable-dev-shm-usage: containers often have a tiny /dev/shm.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-dev-shm-usage"]
DEMO_SEED = "7"
MAX_REPORTS = 50
LOAD_TIMEOUT_MS = 60_000  # each report inlines ~5 MB of plotly.js; the CI machine may be busy
RENDER_TIMEOUT_MS = 30_000
# A blank 1280x900 page is ~5 KB, a lone simple chart ~18 KB, the MRV report ~80 KB; the chart
# checks in the tests do the real work; this only catches a blank or broken image.
MIN_SCREENSHOT_BYTES = 10_000
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")

pytestmark = pytest.mark.xdist_group("demo")  # the same worker as test_demo.py: one demo run

# One entry per chart container (plotly.py writes div.plotly-graph-div; plotly.js adds
# js-plotly-plot once it draws). `marks` counts visible SVG marks inside trace groups (bars,
# points, lines, pie slices, heatmap images) plus non-empty WebGL canvases (scattergl & co.).
_PLOT_FACTS_JS = """
() => [...document.querySelectorAll('div.plotly-graph-div, div.js-plotly-plot')].map((gd, i) => {
  const visible = (e) => { const box = e.getBBox(); return box.width > 0 || box.height > 0; };
  const svgMarks = [...gd.querySelectorAll('g.trace path, g.trace image, g.hm image, g.contour path')]
    .filter(visible).length;
  const canvases = [...gd.querySelectorAll('canvas')].filter((c) => c.width > 0 && c.height > 0).length;
  return {
    id: gd.id || `#${i + 1}`,
    rendered: gd.classList.contains('js-plotly-plot') && gd.querySelector('svg.main-svg') !== null,
    traces: (gd._fullData || []).filter((t) => t.visible === true).length,
    marks: svgMarks + canvases,
  };
})
"""
_ALL_CHARTS_DRAWN_JS = f"""
() => {{
  const facts = ({_PLOT_FACTS_JS})();
  return facts.length > 0 && facts.every((f) => f.rendered && f.traces > 0 && f.marks > 0);
}}
"""


@dataclass(frozen=True)
class PlotFacts:
    id: str
    rendered: bool
    traces: int
    marks: int


@dataclass(frozen=True)
class RenderedReport:
    """What headless Chromium saw of one report."""

    name: str
    plots: tuple[PlotFacts, ...]
    render_timeout: str  # "" when every chart was drawn in time
    js_errors: tuple[str, ...]
    outside_requests: tuple[str, ...]
    screenshot: Path


def _browser_missing_reason() -> str | None:
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} not found (apt-get install chromium chromium-driver)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        return f"playwright is not installed (pip install -e '.[test]'): {exc}"
    return None


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    missing = _browser_missing_reason()
    if missing:
        if REQUIRE_BROWSER:
            pytest.fail(f"CARBONBRIDGE_REQUIRE_BROWSER=1 but no browser for the report tests: {missing}")
        pytest.skip(f"browser tests need Debian's chromium and playwright: {missing}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def demo_output(run_demo: Callable[..., Path]) -> Path:
    return run_demo(DEMO_SEED)  # the run tests/e2e/test_demo.py checks, shared (tests/e2e/conftest.py)


def _render(browser: Browser, report: Path, name: str, screenshot: Path) -> RenderedReport:
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    js_errors: list[str] = []
    outside_requests: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            where = message.location
            js_errors.append(f"console error at {where['url']}:{where['lineNumber']}: {message.text}")

    def on_request(request: Request) -> None:
        if not request.url.startswith(LOCAL_SCHEMES):
            outside_requests.append(request.url)

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        context.route(re.compile(r"^(https?|wss?)://"), lambda route: route.abort())
        page = context.new_page()
        page.on("console", on_console)
        page.on("pageerror", lambda error: js_errors.append(f"uncaught exception: {error}"))
        page.on("request", on_request)
        page.goto(report.as_uri(), wait_until="load", timeout=LOAD_TIMEOUT_MS)
        render_timeout = ""
        try:
            page.wait_for_function(_ALL_CHARTS_DRAWN_JS, timeout=RENDER_TIMEOUT_MS)
        except PlaywrightTimeoutError:  # keep going: the facts below say which chart is missing
            render_timeout = f"charts not all drawn within {RENDER_TIMEOUT_MS} ms"
        facts = page.evaluate(_PLOT_FACTS_JS)
        page.screenshot(path=str(screenshot), full_page=True)
    finally:
        context.close()
    return RenderedReport(
        name=name,
        plots=tuple(PlotFacts(str(f["id"]), bool(f["rendered"]), int(f["traces"]), int(f["marks"])) for f in facts),
        render_timeout=render_timeout,
        js_errors=tuple(js_errors),
        outside_requests=tuple(outside_requests),
        screenshot=screenshot,
    )


@pytest.fixture(scope="module")
def rendered_reports(
    chromium: Browser, demo_output: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, RenderedReport]:
    reports = sorted(demo_output.rglob("report.html"))
    assert reports, f"carbonbridge demo wrote no report.html under {demo_output}"
    assert len(reports) <= MAX_REPORTS, f"{len(reports)} report.html files under {demo_output}: more than expected"
    screenshots = tmp_path_factory.mktemp("screenshots")
    rendered = {}
    for report in reports:
        name = report.relative_to(demo_output).as_posix()
        screenshot = screenshots / (name.removesuffix(".html").replace("/", "__") + ".png")
        rendered[name] = _render(chromium, report, name, screenshot)
    return rendered


def _assert_no_problems(problems: list[str], what: str) -> None:
    assert not problems, f"{what}:\n" + "\n".join(f"  - {problem}" for problem in problems)


def test_the_demo_writes_the_mrv_report_among_its_html_reports(rendered_reports: dict[str, RenderedReport]) -> None:
    assert "mrv/report.html" in rendered_reports, sorted(rendered_reports)


def test_every_report_draws_each_of_its_plotly_charts_with_traces(
    rendered_reports: dict[str, RenderedReport],
) -> None:
    problems = []
    for name, report in rendered_reports.items():
        if report.render_timeout:
            problems.append(f"{name}: {report.render_timeout}")
        if not report.plots:
            problems.append(f"{name}: no Plotly chart container (div.plotly-graph-div) on the page")
        for plot in report.plots:
            if not plot.rendered:
                problems.append(f"{name}: chart {plot.id} was not rendered (no js-plotly-plot with svg.main-svg)")
            elif plot.traces == 0 or plot.marks == 0:
                problems.append(f"{name}: chart {plot.id} drew nothing ({plot.traces} traces, {plot.marks} marks)")
    _assert_no_problems(problems, "charts missing in the demo's HTML reports")


def test_every_report_runs_without_javascript_errors(rendered_reports: dict[str, RenderedReport]) -> None:
    problems = [f"{name}: {error}" for name, report in rendered_reports.items() for error in report.js_errors]
    _assert_no_problems(problems, "JavaScript errors in the demo's HTML reports")


def test_every_report_is_self_contained_without_network_requests(
    rendered_reports: dict[str, RenderedReport],
) -> None:
    problems = [
        f"{name}: requested {url}" for name, report in rendered_reports.items() for url in report.outside_requests
    ]
    _assert_no_problems(problems, "reports must inline plotly.js and fetch nothing")


def test_every_report_gives_a_full_page_screenshot_with_content(rendered_reports: dict[str, RenderedReport]) -> None:
    problems = []
    for name, report in rendered_reports.items():
        png = report.screenshot.read_bytes() if report.screenshot.exists() else b""
        if not png.startswith(PNG_SIGNATURE) or len(png) < 24:
            problems.append(f"{name}: {report.screenshot} is not a PNG")
            continue
        width, height = struct.unpack(">II", png[16:24])  # IHDR, the first chunk
        if len(png) < MIN_SCREENSHOT_BYTES or width < 640 or height < 400:
            problems.append(f"{name}: {report.screenshot} looks empty ({len(png)} bytes, {width}x{height} px)")
    _assert_no_problems(problems, "screenshots of the demo's HTML reports")
