"""The reader's briefing: the first screen, methods in an annex, ICD 203 used right, and what
changed since the previous edition."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import nbformat
import pytest
from markupsafe import Markup, escape

from deepstrike import build, edition, paths, render, summary
from deepstrike.chapter import Judgment
from deepstrike.language import (
    ICD_BANDS,
    Quantity,
    icd,
    icd_predicate,
    label_words,
    likelihood_phrases,
    likelihood_problems,
    reading,
)
from deepstrike.prose import PROSE_MIME

# ------------------------------------------------------------------ ICD 203 words and numbers


def test_bands_run_from_no_chance_to_almost_certain() -> None:
    assert ICD_BANDS["almost no chance"] == (0.0, 5.0)
    assert ICD_BANDS["roughly even chance"] == (45.0, 55.0)
    assert ICD_BANDS["almost certain"] == (95.0, 100.0)


def test_the_predicate_agrees_with_the_word() -> None:
    assert icd_predicate(0.62) == "is likely (62%)"
    assert icd_predicate(0.03) == "has almost no chance (3%)"
    assert icd_predicate(0.5) == "has a roughly even chance (50%)"
    assert icd_predicate(0.999) == "is almost certain (&gt;99%)"
    q = Quantity(0.33, kind="probability", name="supply.p")
    assert str(icd_predicate(q)) == 'is unlikely (<span class="q" data-q="supply.p">33%</span>)'
    words = Quantity("almost no chance to very unlikely", kind="text")
    assert icd_predicate(words) == "ranges from almost no chance to very unlikely"
    assert icd_predicate(Quantity("very unlikely", kind="text")) == "is very unlikely"
    with pytest.raises(ValueError):
        icd_predicate("somewhat plausible")


@pytest.mark.parametrize(
    "text",
    [
        "the stock is almost certain (100%) to run out",
        "lasted 60 days or more: almost no chance (0%)",
        "cheaper in 100% of draws: almost certain",
        "a strike is likely (30%)",
        "almost no chance to very unlikely (4%–30%) across three priors",
        "very unlikely (0.5%)",
    ],
)
def test_misused_likelihood_words_are_found(text: str) -> None:
    assert likelihood_problems(text), text


@pytest.mark.parametrize(
    "text",
    [
        "the stock is unlikely (33%) to run out",
        "almost certain (>99%) and almost no chance (<1%)",
        "a direct attack ranges from almost no chance to very unlikely (4%–11% across priors)",
        "very unlikely (5%) and very unlikely (20%): the edges belong to both words",
        "Likelihood follows ICD 203 — almost no chance 1–5%, very unlikely 5–20%, likely 55–80%",
        "likely (3 of 8 windows)",
        "it is unlikely that anyone reads this far",
    ],
)
def test_likelihood_words_in_their_bands_pass(text: str) -> None:
    assert likelihood_problems(text) == []


def test_phrases_are_read_as_written() -> None:
    text = "signalling is almost certain (96%); NATO: almost no chance to very unlikely (4%–11%)"
    assert likelihood_phrases(text) == [
        "almost certain (96%)",
        "almost no chance to very unlikely (4%–11%)",
    ]


def test_a_quantity_reads_with_its_unit_in_words() -> None:
    assert reading(Quantity(77.9, "USD m", kind="number", digits=2)) == "$77.9 m"
    assert reading(Quantity(100.0, "USD m/month", kind="number")) == "$100 m a month"
    assert reading(Quantity(3_321_678.0, "USD", kind="usd")) == "$3.32 m"
    assert reading(Quantity(2.69, "missiles/week", kind="number", digits=1)) == "2.7 missiles/week"
    assert reading(Quantity(1, "targets", kind="count")) == "1 target"
    assert reading(Quantity(39, "hits", kind="count")) == "39 hits"
    assert reading(Quantity(0.38, "of draws", kind="share")) == "38% of draws"
    assert reading(Quantity(0.33, kind="probability")) == "33%"
    assert reading(Quantity(26, "weeks", kind="weeks")) == "26 weeks"
    assert reading(Quantity(None, "km", kind="km")) == "–"
    assert label_words("", "drones.mix_hits") == "Mix hits"
    assert label_words("stock runs out") == "Stock runs out"


# ------------------------------------------------------------------ key judgments, compact


def _judgment(text: str, chapter: str = "supply", figure: str = "supply-stock-fan") -> Judgment:
    return Judgment(chapter, text, "low", figure)


def test_key_judgments_carry_their_likelihood_and_gist(monkeypatch: pytest.MonkeyPatch) -> None:
    from deepstrike.chapters import CHAPTERS

    text = (
        '<p><span class="gist">The stock runs out</span>: it is unlikely '
        '(<span class="q" data-q="supply.p_runs_out">33%</span>) to run out within 26 weeks.</p>'
    )
    supply = next(c for c in CHAPTERS if c.name == "supply")
    monkeypatch.setattr(type(supply), "judgments", lambda self, k: [_judgment(text)] * 2)
    found = summary.key_judgments({"supply": {"x": Quantity(1)}})
    assert [j.ident for j in found] == ["judgment-supply-1", "judgment-supply-2"]
    assert found[0].key == "supply/supply-stock-fan/1"
    assert found[0].likelihoods == ("unlikely (33%)",)
    assert found[0].gist == "The stock runs out"
    assert found[0].shown() == {"supply.p_runs_out": "33%"}
    assert summary.first_sentence("One (2.5 km). Two.") == "One (2.5 km)."


# ------------------------------------------------------------------ the Method annex


def _markdown(text: str, tags: list[str] | None = None) -> Any:
    cell = nbformat.v4.new_markdown_cell(text)
    if tags:
        cell.metadata["tags"] = tags
    return cell


def _html_output(text: str, tags: list[str] | None = None) -> Any:
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": text})]
    if tags:
        cell.metadata["tags"] = tags
    return cell


def _notebook() -> Any:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        _markdown("# Demo: a chapter\n\nRunning text for a policy reader."),
        _markdown(
            "## What we found\n\nPlain words.\n\n## Method: how it is made\n\nBeta(0.5, 0.5)."
        ),
        _html_output("<p>right-censored Kaplan–Meier output</p>"),
        _markdown("## What this leaves out\n\nSelection."),
        _html_output("<p>Saltelli and Jansen estimators</p>", tags=["method"]),
        _html_output("<p>still running text</p>"),
    ]
    return nb


def test_method_sections_move_to_the_annex() -> None:
    view = render.chapter_html(_notebook(), "demo", "Demo: a chapter")
    text, method = view.parts()
    assert [label for _, label in view.sections] == ["What we found", "What this leaves out"]
    for word in ("Beta(0.5, 0.5)", "right-censored", "Saltelli and Jansen"):
        assert word in method and word not in text
    assert "Plain words." in text and "still running text" in text and "Selection." in text
    assert text.count('href="#method-demo"') == 1
    assert '<h4 id="demo--method-how-it-is-made">' in method
    assert text.index("Plain words.") < text.index("#method-demo") < text.index("Selection.")


def test_a_method_template_leaves_the_running_text() -> None:
    prose_cell = nbformat.v4.new_code_cell("run.say(...)")
    prose_cell.outputs = [
        nbformat.v4.new_output("display_data", data={"text/html": "<p>a</p>"}),
        nbformat.v4.new_output(
            "display_data", data={PROSE_MIME: {"template": "method_priors"}, "text/html": "b"}
        ),
        nbformat.v4.new_output(
            "display_data", data={PROSE_MIME: {"template": "methodical"}, "text/html": "c"}
        ),
    ]
    marked = render._mark_method([prose_cell])
    assert [(len(c.outputs), m) for c, m in marked] == [(1, False), (1, True), (1, False)]


def _context(**over: Any) -> dict[str, Any]:
    """The least a briefing needs: what build._finish passes, with nothing in it."""
    context: dict[str, Any] = {
        "bottom_line": Markup("Ukraine's stock is unlikely (33%) to run out."),
        "judgments": [],
        "chapter_titles": {},
        "claims": [],
        "later_claims": [],
        "claim_counts": [],
        "hindsight": [],
        "title": "A <b>title</b>",
        "scenario_name": "demo",
        "as_of": "2024-11-18",
        "description": "",
        "summary": [],
        "chapters": [],
        "parameters": [],
        "sources": [],
        "n_sources": 0,
        "provenance": {
            "version": "0",
            "commit": "abc",
            "dirty": False,
            "built_at": "now",
            "seconds": "1",
            "executed": 0,
            "cached": 0,
            "python": "3",
            "versions": {},
            "data_hashes": {},
            "command": "deepstrike build",
        },
    }
    context.update(over)
    return context


def test_the_page_has_a_sidebar_an_annex_and_escapes_the_title() -> None:
    view = render.chapter_html(_notebook(), "demo", "Demo: a chapter")
    key = summary.KeyJudgment(
        "demo",
        '<p>It is likely (<span class="q" data-q="demo.p">62%</span>).</p>',
        "moderate",
        "demo-fig",
        ident="judgment-demo-1",
        likelihoods=("likely (62%)",),
    )
    since = edition.Since("as of 2024-11-01", "1 parameter changed", [edition.Change("x", "y")])
    page = render.briefing(
        _context(
            chapters=[view],
            judgments=[key],
            chapter_titles={"demo": "Demo: a chapter"},
            since_last=since,
        )
    )
    rest = page.replace(render.plotly_js(), "")
    for anchor in re.findall(r'href="#([^"]+)"', rest):
        if not anchor.startswith("fig-"):
            assert f'id="{anchor}"' in rest, anchor
    assert "A &lt;b&gt;title&lt;/b&gt;" in rest and "<b>title" not in rest
    order = [rest.index(s) for s in ('id="summary"', 'id="chapter-demo"', 'id="method"')]
    assert order == sorted(order)
    assert rest.count("Saltelli and Jansen") == 1 and rest.index("Saltelli") > order[2]
    first = rest[rest.index('id="summary"') : rest.index('id="chapter-demo"')]
    assert 'id="bottom-line"' in first and 'id="key-judgments"' in first
    assert first.index("bottom-line") < first.index("since-last-edition") < first.index("key-j")
    assert '<span class="icd">likely (62%)' in first
    assert 'class="toc" id="toc"' in rest and 'class="menu-toggle"' in rest
    assert "</script" not in render.page_script()


def test_wide_tables_scroll_inside_their_box() -> None:
    assert render.wrap_tables("<p>a</p><table><tr><td>1</td></tr></table>") == (
        '<p>a</p><div class="table-wrap"><table><tr><td>1</td></tr></table></div>'
    )


# ------------------------------------------------------------------ since the previous edition


def _payload(p: float, firing: float, rows: dict[str, str], weeks: float = 12) -> dict[str, Any]:
    return {
        "scenario": "demo",
        "as_of": "2024-11-18",
        "parameters": {"title": "t", "supply": {"firing_per_week": firing}},
        "results": {
            "supply.p_runs_out": {
                "value": p,
                "unit": "",
                "label": "runs out",
                "kind": "probability",
            },
            "supply.weeks": {
                "value": weeks,
                "unit": "weeks",
                "label": "median week",
                "kind": "weeks",
            },
        },
        "data": {"pattern_events": {"rows": rows}},
    }


@pytest.fixture
def one_judgment(monkeypatch: pytest.MonkeyPatch) -> None:
    from deepstrike.chapters import CHAPTERS

    def judge(self: Any, k: dict[str, Quantity]) -> list[Judgment]:
        if self.name != "supply" or "p_runs_out" not in k:
            return []
        week = k["weeks"].__html__()
        text = f"<p>The stock is {icd(k['p_runs_out'])} to run out, in week {week}.</p>"
        return [Judgment("supply", text, "low", "supply-stock-fan")]

    monkeypatch.setattr(type(CHAPTERS[0]), "judgments", judge)


def test_changes_name_judgments_data_and_parameters(one_judgment: None) -> None:
    before = _payload(0.33, 5, {"a": "1", "b": "2"})
    after = _payload(0.62, 3, {"a": "1", "b": "3", "c": "4"})
    found = edition.changes(before, after)
    kinds = [c.kind for c in found]
    assert kinds == ["judgment", "data", "data", "parameter"]
    assert "unlikely (33%) → likely (62%)" in found[0].text
    assert found[1].text == "1 data row new (1 in pattern_events)."
    assert found[2].text == "1 data row revised (1 in pattern_events)."
    assert found[3].text == "Parameter supply.firing_per_week: 5 → 3."
    box = edition.box(before, after)
    assert box is not None and box.headline == (
        "1 judgment moved, 1 data row new; 1 data row revised, 1 parameter changed"
    )
    assert edition.box(None, after) is None


def test_a_number_that_moves_within_its_word_is_named(one_judgment: None) -> None:
    found = edition.changes(_payload(0.30, 5, {}), _payload(0.35, 5, {}, weeks=14))
    assert [c.kind for c in found] == ["judgment"]
    assert "unlikely (30%) → unlikely (35%)" in found[0].text
    same = edition.box(_payload(0.3, 5, {}), _payload(0.3, 5, {}))
    assert same is not None and same.items == [] and same.headline.startswith("no change")
    weeks_only = edition.changes(_payload(0.3, 5, {}), _payload(0.3, 5, {}, weeks=14))
    assert weeks_only[0].text.endswith("Median week: 12 weeks → 14 weeks.")


def test_an_unchanged_rebuild_keeps_the_edition_before(tmp_path: Path) -> None:
    older, current = _payload(0.2, 5, {}), _payload(0.3, 5, {})
    assert edition.previous_payload(tmp_path, current) is None
    (tmp_path / "results.json").write_text(json.dumps(current), encoding="utf-8")
    (tmp_path / "provenance.json").write_text('{"built_at": "yesterday"}', encoding="utf-8")
    assert edition.previous_payload(tmp_path, _payload(0.4, 5, {}))["built_at"] == "yesterday"
    # the same results again: compared with the edition before, which the set keeps
    assert edition.previous_payload(tmp_path, current)["results"] == current["results"]
    (tmp_path / edition.PREVIOUS).write_text(json.dumps(older), encoding="utf-8")
    assert edition.previous_payload(tmp_path, current) == older
    assert json.loads(edition.previous_text(older)) == older


def test_data_summary_keys_rows_by_their_primary_key() -> None:
    import pandas as pd

    from deepstrike import data

    frame = pd.DataFrame({"event_id": ["x", "y"], "v": [1, 2]})
    res = data.resources()["pattern_events"]
    summary_ = edition.data_summary({"pattern_events": frame}, {"pattern_events": res})
    rows = summary_["pattern_events"]["rows"]
    assert list(rows) == ["x", "y"] and len(set(rows.values())) == 2
    again = edition.data_summary({"pattern_events": frame}, {"pattern_events": res})
    assert again == summary_


# ------------------------------------------------------------------ every scenario's briefing

SCENARIOS = sorted(p.stem for p in paths.scenarios_dir().glob("*.yaml"))


@pytest.fixture(scope="session")
def scenario_briefings(baseline: build.BuildResult) -> dict[str, Path]:
    """Every scenario built once, beside the session's baseline (sharing its cache)."""
    out = {"baseline": baseline.briefing}
    for name in SCENARIOS:
        if name not in out:
            result = build.build(name, out_root=baseline.out_dir.parent, log=lambda _l: None)
            out[name] = result.briefing
    return out


def page_texts(page: str) -> list[str]:
    """The text a reader can see: the page without tags, and every string of the charts."""
    body = re.sub(r"<style>.*?</style>", " ", page, flags=re.S)
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", body, flags=re.S)
    body = re.sub(r"<script[^>]*>.*?</script>", " ", body, flags=re.S)
    texts = [html.unescape(re.sub(r"<[^>]+>", "", body))]
    bundle = render.plotly_js()
    for script in scripts:
        if script.strip() == bundle.strip():
            continue
        for literal in re.findall(r'"((?:[^"\\]|\\.)*)"', script):
            try:
                texts.append(html.unescape(re.sub(r"<[^>]+>", " ", json.loads(f'"{literal}"'))))
            except json.JSONDecodeError:
                continue
    return [" ".join(t.split()) for t in texts]


@pytest.mark.slow
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_no_likelihood_word_sits_outside_its_band(
    scenario_briefings: dict[str, Path], scenario: str
) -> None:
    page = scenario_briefings[scenario].read_text(encoding="utf-8")
    problems = [p for text in page_texts(page) for p in likelihood_problems(text)]
    assert problems == [], f"{scenario}: {sorted(set(problems))[:10]}"


@pytest.mark.slow
def test_first_screen_holds_bottom_line_and_key_judgments(baseline: build.BuildResult) -> None:
    page = baseline.briefing.read_text(encoding="utf-8")
    first = page[page.index('id="summary"') : page.index('id="chapter-')]
    assert 'id="bottom-line"' in first and 'id="key-judgments"' in first
    rows = re.findall(r'<tr id="judgment-[a-z]+-\d+">', first)
    assert 5 <= len(rows) <= 8
    assert "Chapter findings" not in first
    assert page.index('id="chapter-') < page.index('id="method"')
    words = len(summary.plain_text(first.split('id="key-judgments"')[0]).split())
    assert words <= 120, f"the bottom line runs to {words} words"


@pytest.mark.slow
def test_non_english_sources_show_their_english_title(baseline: build.BuildResult) -> None:
    from deepstrike import data

    page = baseline.briefing.read_text(encoding="utf-8")
    annex = page[page.index('id="sources"') : page.index('id="provenance"')]
    registry = data.load_table(data.REGISTRY)
    foreign = registry[registry["language"].fillna("en") != "en"]
    shown = 0
    for row in foreign.itertuples():
        if str(escape(row.title)) in annex:
            shown += 1
            assert isinstance(row.title_en, str) and row.title_en.strip(), row.source_id
            assert f'<span class="title-en">[{escape(row.title_en)}]</span>' in annex, row.source_id
    assert shown, "no foreign-language source in the annex"
