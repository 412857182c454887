"""Executed notebooks -> one self-contained HTML briefing (no code, plotly.js inlined once)."""

from __future__ import annotations

import copy
import html
import importlib.util
import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from deepstrike.chapter import RESULT_MIME
from deepstrike.prose import PROSE_MIME, render_payload

TEMPLATES = Path(__file__).parent / "templates"
# Cells papermill adds or that hold code-only set-up; the reader sees outputs and prose only.
HIDDEN_TAGS = {"parameters", "injected-parameters", "papermill-error-cell-tag"}
_HEADING = re.compile(r"<h([1-3])(?: [^>]*)?>(.*?)</h\1>", re.S)


@dataclass
class ChapterView:
    name: str
    title: str
    html: str
    sections: list[tuple[str, str]] = field(default_factory=list)


@cache
def plotly_js() -> str:
    """The plotly.min.js bundled with the installed plotly package (found without importing it)."""
    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("plotly is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "package_data" / "plotly.min.js"
    script = path.read_text(encoding="utf-8")
    if re.search(r"</script", script, re.IGNORECASE):
        raise RuntimeError(f"{path} contains '</script': it cannot be inlined safely")
    return script


def _clean(nb: Any) -> Any:
    """A copy without hidden cells, recorded results, stream output and execution metadata;
    prose re-rendered from its numbers."""
    nb = copy.deepcopy(nb)
    cells = []
    for cell in nb.cells:
        if HIDDEN_TAGS & set(cell.get("metadata", {}).get("tags", [])):
            continue
        if cell.cell_type == "code":
            outputs = []
            for out in cell.get("outputs", []):
                if out.get("output_type") == "stream":
                    continue  # warnings and prints are for the build log, not the reader
                data = out.get("data", {})
                if RESULT_MIME in data:
                    continue
                if PROSE_MIME in data:
                    # Prose is rendered again from its numbers with the templates of now, so
                    # a wording change needs no notebook to run again.
                    out = copy.deepcopy(out)
                    out["data"] = {"text/html": str(render_payload(data[PROSE_MIME]))}
                outputs.append(out)
            cell.outputs = outputs
            if not outputs:
                continue
        cells.append(cell)
    nb.cells = cells
    return nb


@cache
def _exporter() -> Any:
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name="basic",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_anchor_links=True,
    )


def _slug(text: str) -> str:
    plain = re.sub(r"<[^>]+>", "", html.unescape(text))
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:60] or "section"


def chapter_html(nb: Any, name: str, title: str) -> ChapterView:
    """Render one executed notebook's outputs and prose; headings get chapter-scoped ids."""
    body, _ = _exporter().from_notebook_node(_clean(nb))
    body = body.replace(' id="cell-id=', ' data-cell="')
    sections: list[tuple[str, str]] = []
    seen: set[str] = set()

    def anchor(match: re.Match[str]) -> str:
        level, inner = match.group(1), match.group(2)
        if level == "1":
            return f'<h2 class="chapter-title" id="{name}">{inner}</h2>'
        ident = f"{name}--{_slug(inner)}"
        while ident in seen:
            ident += "-x"
        seen.add(ident)
        if level == "2":
            sections.append((ident, re.sub(r"<[^>]+>", "", inner)))
            return f'<h3 id="{ident}">{inner}</h3>'
        return f'<h4 id="{ident}">{inner}</h4>'

    body = _HEADING.sub(anchor, body)
    return ChapterView(name=name, title=title, html=body, sections=sections)


def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["safe_url"] = safe_url
    env.filters["fmt"] = format_value
    return env


def safe_url(url: Any) -> str:
    """Only http(s) links are rendered as links; anything else becomes '#'."""
    text = str(url or "")
    return text if re.match(r"^https?://", text) else "#"


def format_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"
    if isinstance(value, list):
        return ", ".join(format_value(v) for v in value)
    if value is None:
        return "–"
    return str(value)


def briefing(context: dict[str, Any]) -> str:
    """The whole page. Everything from parameters or data is escaped by the template."""
    css = (TEMPLATES / "briefing.css").read_text(encoding="utf-8")
    assets = geo_assets(ch.html for ch in context.get("chapters", []))
    return (
        _env()
        .get_template("briefing.html.j2")
        .render(css=css, plotly_js=plotly_js(), geo_assets=assets, **context)
    )


_GEO_MARK = re.compile(r'data-geo="([a-z0-9_-]+)"')


def geo_assets(chapter_htmls: Any) -> str:
    """`{topojson: {...}}` for window.PlotlyGeoAssets, holding the maps' topojson; "" if no map.

    plotly.js fetches map geometry from cdn.plot.ly unless window.PlotlyGeoAssets has it, so
    the vendored topojson of every map on the page (data/topojson/<name>.json) is inlined once.
    """
    from deepstrike import paths

    names = sorted({name for text in chapter_htmls for name in _GEO_MARK.findall(text)})
    if not names:
        return ""
    parts = []
    for name in names:
        path = paths.data_dir() / "topojson" / f"{name}.json"
        if not path.is_file():
            raise RuntimeError(f"a map needs data/topojson/{name}.json, which is missing")
        # "<\/" keeps any "</script" inside the JSON from closing the script element.
        body = path.read_text(encoding="utf-8").replace("</", "<\\/")
        parts.append(f"{json.dumps(name)}:{body}")
    return "{topojson:{" + ",".join(parts) + "}}"


def compare_page(context: dict[str, Any]) -> str:
    """The scenario comparison page: no charts, so no plotly.js; every value escaped."""
    css = (TEMPLATES / "briefing.css").read_text(encoding="utf-8")
    return _env().get_template("compare.html.j2").render(css=css, **context)
