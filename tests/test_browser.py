"""The briefing in a real browser, looked at and not only parsed: offline, every chart drawn, no
console errors; the first screen at 1280x800 holds the bottom line and the key judgments; the
sidebar's links land; nothing overflows at 375 px; print has no sidebar; the comparison page
renders. Screenshots are written beside the briefing (report/<scenario>/screenshots/), and
copied to $DEEPSTRIKE_SCREENSHOTS when that is set."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from deepstrike import build, compare
from deepstrike.params import CHAPTERS

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
WIDE = {"width": 1280, "height": 800}
NARROW = {"width": 375, "height": 812}
# Every figure drawn: plotly has put an SVG into each.
DRAWN = (
    "document.querySelectorAll('.ds-figure .main-svg').length >= "
    "document.querySelectorAll('.ds-figure').length"
)
# Elements reaching past the right edge (or the left), other than those inside a box that
# scrolls or clips (a wide table in its scroll box), the skip link and plotly's off-screen
# measuring element.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth, out = [];
  const boxed = el => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      if (['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(p).overflowX)) return true;
    }
    return false;
  };
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if ((r.width === 0 && r.height === 0) || r.right < 0 || el.closest('.skip')) continue;
    if ((r.right > width + 1 || r.left < -1) && !boxed(el)) {
      out.push(`${el.tagName}.${el.className} ${Math.round(r.left)}..${Math.round(r.right)}`);
    }
  }
  return {scroll: document.documentElement.scrollWidth, width, out: out.slice(0, 20)};
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is missing in CI: .ci/run should have installed it")
        pytest.skip("chromium not installed (apt-get install chromium); browser tests skipped")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield launched
        launched.close()


class Opened:
    """One page in the browser with the requests it tried and the errors it logged."""

    def __init__(self, browser: Any, path: Path, viewport: dict[str, int]) -> None:
        self.url = path.resolve().as_uri()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page = browser.new_page(viewport=viewport)
        self.page.route("**/*", self._guard)
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.goto(self.url, wait_until="load", timeout=120_000)
        self.page.wait_for_function(DRAWN, timeout=90_000)

    def _guard(self, route: Any) -> None:
        if route.request.url == self.url:
            route.continue_()
        else:
            self.requests.append(route.request.url)
            route.abort()


def shots(folder: Path) -> Path:
    out = folder / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    return out


def keep(path: Path) -> None:
    """A copy of a screenshot where $DEEPSTRIKE_SCREENSHOTS says (CI artefacts, review)."""
    target = os.environ.get("DEEPSTRIKE_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, Path(target) / path.name)


def screenshot(page: Any, path: Path, **kw: Any) -> None:
    page.screenshot(path=str(path), **kw)
    keep(path)


@pytest.fixture(scope="module")
def wide(browser: Any, baseline: build.BuildResult) -> Iterator[Opened]:
    opened = Opened(browser, baseline.briefing, WIDE)
    yield opened
    opened.page.close()


@pytest.fixture(scope="module")
def narrow(browser: Any, baseline: build.BuildResult) -> Iterator[Opened]:
    opened = Opened(browser, baseline.briefing, NARROW)
    yield opened
    opened.page.close()


def test_no_request_leaves_the_file(wide: Opened, narrow: Opened) -> None:
    assert wide.requests == [] and narrow.requests == []


def test_no_console_errors(wide: Opened, narrow: Opened) -> None:
    assert wide.errors == [] and narrow.errors == []


def test_every_figure_is_drawn_with_marks(wide: Opened) -> None:
    counts = wide.page.eval_on_selector_all(
        ".ds-figure",
        """figs => figs.map(f => ({
            id: f.dataset.figure,
            svg: f.querySelectorAll('.main-svg').length,
            marks: f.querySelectorAll(
              '.scatterlayer .point, .scatterlayer .js-line, .barlayer .point, .geo path, '
              + '.boxlayer path, .violinlayer path, .heatmaplayer image, .scatterlayer path'
            ).length,
        }))""",
    )
    assert counts, "no figures found"
    # A chart with nothing public yet by the as-of date says so in its one annotation.
    empty = set(
        wide.page.eval_on_selector_all(
            ".ds-figure",
            """figs => figs.filter(f => !f.querySelector('.scatterlayer, .barlayer, .geo')
                && f.querySelector('.annotation-text')).map(f => f.dataset.figure)""",
        )
    )
    for fig in counts:
        assert fig["svg"] > 0 and (fig["marks"] > 0 or fig["id"] in empty), fig


def test_first_screen_holds_the_bottom_line_and_key_judgments(
    wide: Opened, baseline: build.BuildResult
) -> None:
    page = wide.page
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(200)
    screenshot(page, shots(baseline.out_dir) / "first_screen_1280x800.png")
    boxes = page.evaluate(
        """() => Object.fromEntries(['h1', '.masthead .meta', '#bottom-line', '#key-judgments',
            '#toc'].map(s => { const r = document.querySelector(s).getBoundingClientRect();
            return [s, {top: r.top, bottom: r.bottom, left: r.left, width: r.width}]; }))"""
    )
    for selector in ("h1", ".masthead .meta", "#bottom-line", "#key-judgments"):
        box = boxes[selector]
        assert box["top"] >= 0 and box["bottom"] <= WIDE["height"], (selector, box)
    # the contents are a sidebar at this width
    assert boxes["#toc"]["left"] == 0 and 150 < boxes["#toc"]["width"] < 400
    lines = page.eval_on_selector(
        "#bottom-line",
        """el => { const s = getComputedStyle(el);
            const inner = el.clientHeight - parseFloat(s.paddingTop) - parseFloat(s.paddingBottom);
            return inner / parseFloat(s.lineHeight); }""",
    )
    assert round(lines) <= 5, f"the bottom line runs to {lines:.1f} lines at 1280 px"
    rows = page.eval_on_selector_all("#key-judgments tbody tr", "rs => rs.length")
    assert rows >= len(CHAPTERS)


def _lands(page: Any, href: str, viewport: dict[str, int], margin: float = 5) -> None:
    top, at_bottom = page.eval_on_selector(
        href,
        """el => [el.getBoundingClientRect().top,
                 window.innerHeight + window.scrollY >= document.body.scrollHeight - 2]""",
    )
    # A section near the end cannot reach the top: then the page sits at its bottom.
    assert -5 < top < margin or (at_bottom and 0 <= top < viewport["height"]), f"{href} at {top}"


def test_sidebar_links_land_and_mark_the_current_section(wide: Opened) -> None:
    page = wide.page
    parts = page.eval_on_selector_all(
        "#toc > ol > li",
        "lis => lis.map(li => li.querySelector(':scope > a') ? "
        "li.querySelector(':scope > a').getAttribute('href') : null)",
    )
    assert len(parts) == len(CHAPTERS) + 2  # summary, chapters, annexes
    clicked = 0
    for i, head in enumerate(parts):
        if head:
            page.click(f'#toc a[href="{head}"]')
            page.wait_for_timeout(150)
            _lands(page, head, WIDE)
            clicked += 1
        subs = page.eval_on_selector_all(
            f"#toc > ol > li:nth-child({i + 1}) > ol > li > a",
            "as => as.map(a => a.getAttribute('href'))",
        )
        for href in subs:
            page.click(f'#toc a[href="{href}"]')
            page.wait_for_timeout(150)
            _lands(page, href, WIDE)
            clicked += 1
            top = page.eval_on_selector(href, "el => el.getBoundingClientRect().top")
            if abs(top) < 5:
                marked = page.eval_on_selector(f'#toc a[href="{href}"]', "a => a.className")
                assert "current" in marked, f"{href} is not marked as the current section"
    assert clicked >= len(CHAPTERS) + 6


def test_nothing_overflows_at_375_px(narrow: Opened, baseline: build.BuildResult) -> None:
    page = narrow.page
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(200)
    screenshot(page, shots(baseline.out_dir) / "first_screen_375x812.png")
    found = page.evaluate(OVERFLOW)
    assert found["scroll"] <= found["width"], found
    assert found["out"] == [], found["out"]


def test_the_narrow_menu_opens_and_its_links_land(narrow: Opened) -> None:
    page = narrow.page
    assert page.is_visible(".menu-toggle") and not page.is_visible("#toc")
    page.click(".menu-toggle")
    assert page.is_visible("#toc")
    target = f"#{CHAPTERS[1].name}"
    page.click(f'#toc a[href="{target}"]')
    page.wait_for_timeout(200)
    assert not page.is_visible("#toc"), "the menu stays open after a link"
    _lands(page, target, NARROW, margin=70)  # below the sticky menu bar
    assert page.is_visible(".menu-bar")


def test_print_has_no_sidebar_and_judgments_in_full(wide: Opened) -> None:
    page = wide.page
    page.emulate_media(media="print")
    try:
        shown = page.evaluate(
            """() => ({toc: getComputedStyle(document.querySelector('#toc')).display,
                bar: getComputedStyle(document.querySelector('.menu-bar')).display,
                clamp: [...document.querySelectorAll('.kj-text')].map(
                    e => getComputedStyle(e).webkitLineClamp)})"""
        )
    finally:
        page.emulate_media(media="screen")
    assert shown["toc"] == "none" and shown["bar"] == "none"
    assert shown["clamp"] and set(shown["clamp"]) <= {"none", "unset"}


def test_chapter_screenshots_are_saved_beside_the_briefing(
    wide: Opened, baseline: build.BuildResult
) -> None:
    folder = shots(baseline.out_dir)
    for i, chapter in enumerate(CHAPTERS, start=1):
        path = folder / f"{i:02d}_{chapter.name}.png"
        wide.page.locator(f"#chapter-{chapter.name}").screenshot(path=str(path))
        keep(path)
    names = {p.name for p in folder.glob("*.png")}
    assert {"first_screen_1280x800.png", f"01_{CHAPTERS[0].name}.png"} <= names


# --- the comparison page --------------------------------------------------------------------


@pytest.fixture(scope="module")
def comparison(
    baseline: build.BuildResult, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path]:
    """baseline against a slower firing rate, built from a copy of the baseline's folder."""
    root = tmp_path_factory.mktemp("compare") / "report"
    shutil.copytree(baseline.out_dir.parent, root)
    other = root.parent / "slower.yaml"
    other.write_text(
        "title: 'Slower firing'\nsupply:\n  firing_prior: stated\n  firing_per_week_low: 2\n"
        "  firing_per_week_high: 2\n",
        encoding="utf-8",
    )
    page = compare.compare(["baseline", str(other)], out_root=root, log=lambda _l: None)
    return page, root / "baseline"


def test_the_comparison_page_renders(
    browser: Any, comparison: tuple[Path, Path], baseline: build.BuildResult
) -> None:
    page_path, _ = comparison
    opened = Opened(browser, page_path, WIDE)
    try:
        assert opened.requests == [] and opened.errors == []
        page = opened.page
        assert page.locator("#why").count() == 1, "compare.py does not use compare_view yet"
        charts = page.eval_on_selector_all("#charts .ds-figure .main-svg", "s => s.length")
        assert charts >= 2
        for path in (shots(page_path.parent), shots(baseline.out_dir)):
            screenshot(page, path / "compare_1280x800.png")
        page.locator("#why").screenshot(path=str(shots(baseline.out_dir) / "compare_why.png"))
        page.set_viewport_size(NARROW)
        page.wait_for_timeout(300)
        found = page.evaluate(OVERFLOW)
        assert found["scroll"] <= found["width"] and found["out"] == [], found
    finally:
        opened.page.close()


# --- what-if sliders ---------------------------------------------------------------------------

HEADLINE = 'c => document.querySelector(`[data-headline="${c}"]`).innerText'
# What a reader sees change in a chart: the marks, and the lines and notes drawn on it.
CHART = """id => { const g = document.getElementById(id);
  return JSON.stringify([g.data.map(t => [t.x, t.y, t.text]), g.layout.shapes || [],
    (g.layout.annotations || []).map(a => a.text)]); }"""


def _move(page: Any, chapter: str, lever: int, to: int) -> None:
    page.eval_on_selector(
        f"#whatif-{chapter} input[data-lever='{lever}']",
        "(s, v) => { s.value = String(v); s.dispatchEvent(new Event('input')); }",
        to,
    )


def test_every_slider_moves_the_headline_and_the_chart(wide: Opened) -> None:
    boxes = wide.page.eval_on_selector_all(
        ".whatif",
        """bs => bs.map(b => ({chapter: b.dataset.chapter,
            figure: JSON.parse(b.querySelector('.whatif-data').textContent).figure,
            sliders: [...b.querySelectorAll('input[type=range]')].map(s => ({
              max: Number(s.max), value: Number(s.value)}))}))""",
    )
    assert {b["chapter"] for b in boxes} == {c.name for c in CHAPTERS}
    for box in boxes:
        chapter, figure = box["chapter"], box["figure"]
        before = wide.page.evaluate(HEADLINE, chapter)
        chart = wide.page.evaluate(CHART, figure)
        for n, slider in enumerate(box["sliders"]):
            # the far end from the scenario's value: the end most likely to change the view
            to = 0 if slider["value"] > slider["max"] / 2 else slider["max"]
            _move(wide.page, chapter, n, to)
            moved = wide.page.evaluate(HEADLINE, chapter)
            assert moved != before, (chapter, n)
            assert wide.page.evaluate(CHART, figure) != chart, (chapter, n, "chart")
            _move(wide.page, chapter, n, slider["value"])
            assert wide.page.evaluate(HEADLINE, chapter) == before, (chapter, n, "back")
        assert wide.page.evaluate(CHART, figure) == chart
    assert wide.errors == [] and wide.requests == []
    screenshot(wide.page, shots(Path(wide.url.removeprefix("file://")).parent) / "whatif.png")


def test_a_slider_point_shows_what_a_full_build_gives(
    wide: Opened, browser: Any, report_copy: Path
) -> None:
    # Supply at 52 weeks: the precomputed headline is the headline of a build with that value.
    labels = wide.page.eval_on_selector(
        "#whatif-supply input[data-lever='2']", "s => JSON.parse(s.dataset.labels)"
    )
    _move(wide.page, "supply", 2, labels.index("52 weeks"))
    shown = wide.page.evaluate(HEADLINE, "supply")
    _move(wide.page, "supply", 2, labels.index("26 weeks"))
    full = build.build(
        "baseline", ["supply.horizon_weeks=52"], out_root=report_copy, log=lambda _l: None
    )
    other = Opened(browser, full.briefing, WIDE)
    try:
        built = other.page.evaluate(HEADLINE, "supply")
    finally:
        other.page.close()
    assert "52 weeks" in shown
    assert shown.removeprefix("What-if setting, not the scenario:").strip() == built.strip()
