"""Words and numbers: ICD 203 bands, quantities shown one way, plurals, prose templates."""

from __future__ import annotations

import pytest
from markupsafe import Markup

from deepstrike import prose
from deepstrike.chapter import RESULT_MIME, read_results
from deepstrike.language import Quantity, estimative, join_names, likelihood_word, percent, plural


@pytest.mark.parametrize(
    ("p", "word"),
    [
        (0.03, "almost no chance"),
        (0.10, "very unlikely"),
        (0.30, "unlikely"),
        (0.50, "roughly even chance"),
        (0.70, "likely"),
        (0.90, "very likely"),
        (0.97, "almost certain"),
    ],
)
def test_icd_203_bands(p: float, word: str) -> None:
    assert likelihood_word(p) == word
    assert estimative(p).startswith(word + " (")


def test_numbers_stay_within_one_and_ninety_nine_percent() -> None:
    assert estimative(0.62) == "likely (62%)"
    assert estimative(0.004) == "almost no chance (<1%)"
    assert estimative(1.0) == "almost certain (>99%)"
    assert percent(0.0) == "<1%" and percent(0.995) == ">99%"
    with pytest.raises(ValueError):
        likelihood_word(1.2)


def test_join_names() -> None:
    assert join_names(["a", "b", "c"]) == "a, b and c"
    assert join_names([]) == "none"


def test_a_quantity_shows_one_text_and_marks_its_name() -> None:
    q = Quantity(1_970_000.0, "USD", "cost", "usd", name="drones.cost")
    assert q.text() == "$1.97 m"
    assert q.__html__() == '<span class="q" data-q="drones.cost">$1.97 m</span>'
    assert Quantity(-0.0, kind="number").text() == "0"
    assert Quantity(0.38, kind="share").text() == "38%"
    assert Quantity(4.66, kind="ratio").text() == "4.7×"
    with pytest.raises(ValueError, match="not finite"):
        Quantity(float("nan"), kind="number").text()


def test_plural_agrees_with_the_number() -> None:
    assert plural(1, "decision") == "1 decision"
    assert plural(5, "day") == "5 days"
    q = Quantity(2, kind="count", name="x.n")
    assert str(plural(q, "analysis", "analyses")).endswith("</span> analyses")


def test_a_quantity_survives_the_round_trip_through_results() -> None:
    q = Quantity(12.0, "weeks", "depletion", "weeks", name="supply.week")
    back = Quantity.from_record("supply.week", q.as_record())
    assert back == q and back.text() == q.text()
    cells = [{"outputs": [{"data": {RESULT_MIME: {"name": q.name, **q.as_record()}}}]}]
    assert read_results(cells)["supply.week"]["value"] == 12.0


def test_prose_paragraphs_escape_values_and_apply_bold() -> None:
    assert prose.paragraphs("a\n\nb") == Markup("<p>a</p><p>b</p>")
    assert prose.paragraphs("**x**") == Markup("<p><strong>x</strong></p>")


def test_templates_are_strict_and_autoescaped(tmp_path, monkeypatch) -> None:
    folder = tmp_path / "chapters" / "demo" / "templates"
    folder.mkdir(parents=True)
    (folder / "t.j2").write_text("{{ k.name }} and {{ k.n|plural('day') }}", encoding="utf-8")
    (folder / "missing.j2").write_text("{{ k.nope }}", encoding="utf-8")
    monkeypatch.setattr(prose, "CHAPTERS_DIR", tmp_path / "chapters")
    numbers = {
        "name": Quantity("<b>x</b>", kind="text", name="demo.name"),
        "n": Quantity(1, kind="count", name="demo.n"),
    }
    out = str(prose.render("demo", "t", numbers))
    assert "&lt;b&gt;x&lt;/b&gt;" in out and "1</span> day<" in out
    with pytest.raises(prose.ProseError, match="nope"):
        prose.render("demo", "missing", numbers)
