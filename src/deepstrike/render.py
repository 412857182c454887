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

from deepstrike import whatif
from deepstrike.chapter import RESULT_MIME
from deepstrike.prose import PROSE_MIME, render_payload
from deepstrike.whatif import WHATIF_MIME

TEMPLATES = Path(__file__).parent / "templates"
# Cells papermill adds or that hold code-only set-up; the reader sees outputs and prose only.
HIDDEN_TAGS = {"parameters", "injected-parameters", "papermill-error-cell-tag"}
_HEADING = re.compile(r"<h([1-3])(?: [^>]*)?>(.*?)</h\1>", re.S)

# The Method annex. A chapter's running text is for a policy reader; how its numbers are made
# (estimators, priors, draws) goes to the annex at the end of the briefing. What goes there:
#   - a markdown section headed "## Method" (or "## Method: ..."), up to the next "## " or "# "
#     heading, with the outputs of the code cells inside it;
#   - any cell tagged "method" (cell metadata tags, as papermill's "parameters" tag);
#   - the prose of a template named method.j2 or method_<anything>.j2.
# The chapter keeps a one-line link to its part of the annex where the first such part was.
METHOD_TAG = "method"
_METHOD_HEADING = re.compile(r"^##\s+Method\b", re.IGNORECASE)
_METHOD_TEMPLATE = re.compile(r"^method(_.*)?$")
_LINK_TOKEN = "DSMETHODLINKTOKEN"
# The method part of a chapter's HTML sits between these markers (the chapter view cache keeps
# one HTML string per chapter); `briefing` moves it to the annex.
METHOD_START = "<!--ds-method-->"
METHOD_END = "<!--/ds-method-->"


@dataclass
class ChapterView:
    name: str
    title: str
    html: str
    sections: list[tuple[str, str]] = field(default_factory=list)

    def parts(self) -> tuple[str, str]:
        """(running text, method part) of the chapter's HTML."""
        return split_method(self.html)


def split_method(text: str) -> tuple[str, str]:
    start = text.find(METHOD_START)
    if start < 0:
        return text, ""
    end = text.find(METHOD_END, start)
    end = len(text) if end < 0 else end
    return text[:start] + text[end + len(METHOD_END) :], text[start + len(METHOD_START) : end]


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


def _is_method_output(out: Any) -> bool:
    data = out.get("data", {})
    return PROSE_MIME in data and bool(_METHOD_TEMPLATE.match(data[PROSE_MIME].get("template", "")))


def _split_markdown(cell: Any) -> list[Any]:
    """A markdown cell cut before each level-1 or level-2 heading, so a '## Method' section that
    starts inside a cell starts a cell of its own."""
    lines = cell.source.splitlines(keepends=True)
    chunks: list[list[str]] = [[]]
    for line in lines:
        if re.match(r"^#{1,2}\s", line) and any(s.strip() for s in chunks[-1]):
            chunks.append([])
        chunks[-1].append(line)
    if len(chunks) == 1:
        return [cell]
    out = []
    for chunk in chunks:
        part = copy.deepcopy(cell)
        part.source = "".join(chunk)
        out.append(part)
    return out


def _mark_method(cells: list[Any]) -> list[tuple[Any, bool]]:
    """Each cell with whether it belongs to the Method annex (see METHOD_TAG above)."""
    marked: list[tuple[Any, bool]] = []
    in_method = False
    for cell in cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if cell.cell_type == "markdown":
            for part in _split_markdown(cell):
                head = part.source.lstrip()
                if re.match(r"^#{1,2}\s", head):
                    in_method = bool(_METHOD_HEADING.match(head))
                marked.append((part, in_method or METHOD_TAG in tags))
            continue
        if in_method or METHOD_TAG in tags or cell.cell_type != "code":
            marked.append((cell, in_method or METHOD_TAG in tags))
            continue
        # Prose of a method template leaves the running text; the other outputs stay.
        outputs = cell.get("outputs", [])
        method = [o for o in outputs if _is_method_output(o)]
        if not method:
            marked.append((cell, False))
            continue
        run: list[Any] = []
        run_is_method = _is_method_output(outputs[0])
        for out in outputs:
            if _is_method_output(out) != run_is_method:
                part = copy.deepcopy(cell)
                part.outputs = run
                marked.append((part, run_is_method))
                run, run_is_method = [], not run_is_method
            run.append(out)
        part = copy.deepcopy(cell)
        part.outputs = run
        marked.append((part, run_is_method))
    return marked


def _prose_html(payload: dict[str, Any]) -> str:
    """A prose paragraph; a chapter's headline is marked so its what-if sliders can replace it."""
    text = str(render_payload(payload))
    if payload.get("template") == "headline":
        return f'<div class="ds-headline" data-headline="{payload["chapter"]}">{text}</div>'
    return text


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
                    out["data"] = {"text/html": _prose_html(data[PROSE_MIME])}
                elif WHATIF_MIME in data:
                    # Sliders and precomputed points; every point's headline rendered now.
                    out = copy.deepcopy(out)
                    out["data"] = {"text/html": str(whatif.render(data[WHATIF_MIME]))}
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


def _export(nb: Any, cells: list[Any]) -> str:
    if not cells:
        return ""
    part = copy.copy(nb)
    part.cells = cells
    body, _ = _exporter().from_notebook_node(part)
    return body.replace(' id="cell-id=', ' data-cell="')


def method_link(name: str) -> str:
    return (
        f'<p class="method-link"><a href="#method-{name}">How these numbers are made: the '
        "chapter's part of the Method annex</a></p>"
    )


def chapter_html(nb: Any, name: str, title: str) -> ChapterView:
    """Render one executed notebook's outputs and prose; headings get chapter-scoped ids. The
    method part (see METHOD_TAG) follows the running text between METHOD_START and METHOD_END."""
    cleaned = _clean(nb)
    main_cells, method_cells = [], []
    for cell, is_method in _mark_method(cleaned.cells):
        if is_method:
            if not method_cells:
                main_cells.append(nbformat_markdown(_LINK_TOKEN))
            method_cells.append(cell)
        else:
            main_cells.append(cell)
    sections: list[tuple[str, str]] = []
    seen: set[str] = set()

    def anchor(match: re.Match[str], method: bool = False) -> str:
        level, inner = match.group(1), match.group(2)
        if level == "1" and not method:
            return f'<h2 class="chapter-title" id="{name}">{inner}</h2>'
        ident = f"{name}--{_slug(inner)}"
        while ident in seen:
            ident += "-x"
        seen.add(ident)
        if method:
            return f'<h{int(level) + 2} id="{ident}">{inner}</h{int(level) + 2}>'
        if level == "2":
            sections.append((ident, re.sub(r"<[^>]+>", "", inner)))
            return f'<h3 id="{ident}">{inner}</h3>'
        return f'<h4 id="{ident}">{inner}</h4>'

    body = _HEADING.sub(anchor, _export(cleaned, main_cells))
    body = re.sub(rf"<p>\s*{_LINK_TOKEN}\s*</p>", lambda _m: method_link(name), body)
    if method_cells:
        method = _HEADING.sub(lambda m: anchor(m, True), _export(cleaned, method_cells))
        body += METHOD_START + method + METHOD_END
    return ChapterView(name=name, title=title, html=body, sections=sections)


def nbformat_markdown(text: str) -> Any:
    import nbformat

    return nbformat.v4.new_markdown_cell(text)


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


_TABLE = re.compile(r"(<table\b.*?</table>)", re.S)


def wrap_tables(text: str) -> str:
    """Each table in a scrolling box, so a wide table never widens a narrow page."""
    return _TABLE.sub(r'<div class="table-wrap">\1</div>', text)


@dataclass
class MethodPart:
    name: str
    title: str
    html: str


def _views(chapters: list[Any]) -> tuple[list[ChapterView], list[MethodPart]]:
    """Chapters with their running text only, and their method parts for the annex."""
    views, methods = [], []
    for ch in chapters:
        text, method = split_method(ch.html)
        views.append(ChapterView(ch.name, ch.title, wrap_tables(text), list(ch.sections)))
        if method.strip():
            methods.append(MethodPart(ch.name, ch.title, wrap_tables(method)))
    return views, methods


def page_script() -> str:
    script = (TEMPLATES / "briefing.js").read_text(encoding="utf-8")
    if re.search(r"</script", script, re.IGNORECASE):
        raise RuntimeError("briefing.js contains '</script': it cannot be inlined safely")
    return script


def briefing(context: dict[str, Any]) -> str:
    """The whole page. Everything from parameters or data is escaped by the template."""
    css = (TEMPLATES / "briefing.css").read_text(encoding="utf-8")
    assets = geo_assets(ch.html for ch in context.get("chapters", []))
    chapters, methods = _views(context.get("chapters", []))
    context = {**context, "chapters": chapters}
    context.setdefault("methods", methods)
    return (
        _env()
        .get_template("briefing.html.j2")
        .render(css=css, plotly_js=plotly_js(), page_js=page_script(), geo_assets=assets, **context)
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
    """The scenario comparison page; plotly.js is inlined once when it has charts. Every value
    is escaped."""
    css = (TEMPLATES / "briefing.css").read_text(encoding="utf-8")
    compare_css = (TEMPLATES / "compare.css").read_text(encoding="utf-8")
    script = plotly_js() if context.get("charts") else ""
    return (
        _env()
        .get_template("compare.html.j2")
        .render(css=css, compare_css=compare_css, plotly_js=script, **context)
    )
