"""Recording results and writing prose: values are escaped, names checked, claims asserted."""

from __future__ import annotations

import numpy as np
import pytest

from deepstrike import figures, results


def test_prose_escapes_values_but_keeps_bold() -> None:
    text = results.render_prose(
        "**{n:,}** systems; title {t}", n=12345, t='<script>alert("x")</script>'
    )
    assert text.startswith("<p><strong>12,345</strong> systems")
    assert "<script>" not in text and "&lt;script&gt;" in text


def test_prose_paragraphs() -> None:
    assert results.render_prose("a\n\nb") == "<p>a</p><p>b</p>"


def test_expect_raises_with_the_sentence() -> None:
    results.expect(True, "fine")
    with pytest.raises(results.NarrativeError, match="the text claims: 'HIMARS was refused'"):
        results.expect(False, "HIMARS was refused")


def test_results_are_read_back_from_outputs() -> None:
    cells = [
        {
            "outputs": [
                {"data": {results.MIME: {"name": "x.a", "value": 1, "unit": "d", "label": ""}}}
            ]
        },
        {"outputs": [{"data": {"text/plain": "hello"}}]},
    ]
    assert results.read(cells) == {"x.a": {"value": 1, "unit": "d", "label": ""}}


def test_numpy_values_become_plain_json() -> None:
    assert results._plain({"a": np.int64(3), "b": np.array([1.5, np.nan])}) == {
        "a": 3,
        "b": [1.5, None],
    }


def test_bad_result_names_are_refused() -> None:
    with pytest.raises(ValueError, match="must look like chapter.name"):
        results.record("NoChapter", 1)


def test_tables_escape_cells_and_captions() -> None:
    import pandas as pd

    page = figures.table_html(pd.DataFrame({"a": ["<b>x</b>"]}), caption="<i>c</i>")
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page
    assert "&lt;i&gt;c&lt;/i&gt;" in page


def test_join_names() -> None:
    assert results.join_names(["a", "b", "c"]) == "a, b and c"
    assert results.join_names([]) == "none"


@pytest.mark.parametrize(
    ("p", "word"),
    [
        (0.0, "almost no chance"),
        (0.05, "almost no chance"),
        (0.1, "very unlikely"),
        (0.3, "unlikely"),
        (0.5, "roughly even chance"),
        (0.62, "likely"),
        (0.9, "very likely"),
        (0.99, "almost certain"),
        (1.0, "almost certain"),
    ],
)
def test_icd_203_words(p: float, word: str) -> None:
    assert results.likelihood_word(p) == word
    assert results.estimative(p).startswith(word + " (")


def test_estimative_shows_the_number() -> None:
    assert results.estimative(0.62) == "likely (62%)"
    assert results.estimative(0.004) == "almost no chance (<1%)"
    with pytest.raises(ValueError):
        results.likelihood_word(1.2)
