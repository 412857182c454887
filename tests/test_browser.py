"""The briefing in a real browser: offline, every chart drawn, no console errors, TOC works."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from deepstrike import build
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


@pytest.fixture(scope="module")
def browser_page(baseline: build.BuildResult):  # noqa: ANN201 - playwright objects
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is missing in CI: .ci/run should have installed it")
        pytest.skip("chromium not installed (apt-get install chromium); browser tests skipped")
    from playwright.sync_api import sync_playwright

    url = baseline.briefing.as_uri()
    requests: list[str] = []
    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})

        def guard(route) -> None:  # noqa: ANN001 - playwright Route
            if route.request.url == url:
                route.continue_()
            else:
                requests.append(route.request.url)
                route.abort()

        page.route("**/*", guard)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(url, wait_until="load")
        page.wait_for_function(
            "document.querySelectorAll('.ds-figure .main-svg').length >= "
            "document.querySelectorAll('.ds-figure').length",
            timeout=30_000,
        )
        yield page, requests, errors, baseline.out_dir
        browser.close()


def test_no_request_leaves_the_file(browser_page) -> None:  # noqa: ANN001
    _, requests, _, _ = browser_page
    assert requests == []


def test_no_console_errors(browser_page) -> None:  # noqa: ANN001
    _, _, errors, _ = browser_page
    assert errors == []


def test_every_figure_is_drawn_with_marks(browser_page) -> None:  # noqa: ANN001
    page, _, _, _ = browser_page
    counts = page.eval_on_selector_all(
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
    for fig in counts:
        assert fig["svg"] > 0 and fig["marks"] > 0, fig


def test_toc_links_land_on_their_sections(browser_page) -> None:  # noqa: ANN001
    page, _, _, _ = browser_page
    links = page.eval_on_selector_all(".toc a", "as => as.map(a => a.getAttribute('href'))")
    assert len(links) >= len(CHAPTERS) + 4
    for href in links:
        page.click(f'.toc a[href="{href}"]')
        top, at_bottom = page.eval_on_selector(
            href,
            """el => [el.getBoundingClientRect().top,
                     window.innerHeight + window.scrollY >= document.body.scrollHeight - 2]""",
        )
        # A section near the end cannot reach the top: then the page sits at its bottom.
        assert abs(top) < 5 or (at_bottom and 0 <= top < 900), f"{href} scrolled to {top}"


def test_screenshots_are_saved_beside_the_briefing(browser_page) -> None:  # noqa: ANN001
    page, _, _, out_dir = browser_page
    shots = out_dir / "screenshots"
    shots.mkdir(exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(shots / "00_top.png"))
    for i, chapter in enumerate(CHAPTERS, start=1):
        page.locator(f"#chapter-{chapter.name}").screenshot(
            path=str(shots / f"{i:02d}_{chapter.name}.png")
        )
    assert len(list(shots.glob("*.png"))) == len(CHAPTERS) + 1
