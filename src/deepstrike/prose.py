"""Chapter prose from Jinja templates, rendered from key numbers.

A notebook shows a paragraph by `say`, which emits the rendered HTML and, beside it, what the
paragraph was rendered from (chapter, template, numbers, context). The build renders the
paragraph again from that record with the templates as they are now, so a wording change
needs no notebook to run again. Templates are autoescaped and strict: a missing name fails.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from deepstrike.language import FILTERS, Quantity

PROSE_MIME = "application/vnd.deepstrike.prose+json"
CHAPTERS_DIR = Path(__file__).parent / "chapters"
_BOLD = re.compile(r"\*\*(.+?)\*\*", re.S)


class ProseError(RuntimeError):
    """A template that cannot be rendered (missing name, syntax error)."""


@cache
def environment(folder: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters.update(FILTERS)
    return env


def template_folder(chapter: str, part: str = "templates") -> Path:
    return CHAPTERS_DIR / chapter / part


def template_names(chapter: str, part: str = "templates") -> list[str]:
    folder = template_folder(chapter, part)
    return sorted(p.stem for p in folder.glob("*.j2"))


def paragraphs(text: str) -> Markup:
    """Blank lines separate paragraphs; **bold** is the only markup prose needs."""
    text = _BOLD.sub(r"<strong>\1</strong>", text)
    parts = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]
    return Markup("".join(f"<p>{p}</p>" for p in parts))


def render(
    chapter: str,
    template: str,
    numbers: dict[str, Quantity],
    part: str = "templates",
    **context: Any,
) -> Markup:
    """HTML paragraphs of one template, from a chapter's key numbers (`k`) and context."""
    env = environment(str(template_folder(chapter, part)))
    try:
        text = env.get_template(f"{template}.j2").render(k=numbers, **context)
    except jinja2.TemplateError as exc:
        raise ProseError(f"template {chapter}/{part}/{template}.j2: {exc}") from exc
    return paragraphs(text)


def plain(markup: str) -> str:
    """Text of rendered prose without tags (for results.json and the comparison page)."""
    import html

    return html.unescape(re.sub(r"<[^>]+>", "", str(markup).replace("</p><p>", " "))).strip()


def numbers_from_records(records: dict[str, dict[str, Any]]) -> dict[str, Quantity]:
    return {short: Quantity.from_record(name, rec) for short, (name, rec) in records.items()}


def payload(
    chapter: str, template: str, numbers: dict[str, Quantity], context: dict[str, Any]
) -> dict[str, Any]:
    return {
        "chapter": chapter,
        "template": template,
        "numbers": {short: [q.name, q.as_record()] for short, q in numbers.items()},
        "context": json.loads(json.dumps(context, default=str)),
    }


def render_payload(data: dict[str, Any]) -> Markup:
    numbers = numbers_from_records({k: tuple(v) for k, v in data["numbers"].items()})
    return render(data["chapter"], data["template"], numbers, **data["context"])


def headline(chapter: str, numbers: dict[str, Quantity], **context: Any) -> str:
    """A chapter's headline as plain text, without its 'Headline.' label."""
    text = plain(render(chapter, "headline", numbers, **context))
    return text.removeprefix("Headline.").strip()


def inline(
    chapter: str, template: str, numbers: dict[str, Quantity], part: str = "summary", **context: Any
) -> Markup:
    """One template rendered as inline HTML (no paragraph), e.g. a clause of the bottom line."""
    html_text = str(render(chapter, template, numbers, part=part, **context))
    return Markup(re.sub(r"^<p>|</p>$", "", html_text).replace("</p><p>", " "))
