"""The source registry and its rules: what may back a row, and when a row became public."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pandas as pd
import pytest

from deepstrike import data

TABLES = data.validate_all()
REG = TABLES[data.REGISTRY]
BY_ID = REG.set_index("source_id")
# Geometry: where things are, not what anyone said (borders, the line of contact).
GEOMETRY = {"front_line"}
ROWS = {n: f for n, f in TABLES.items() if n != data.REGISTRY}
STRONG = {"official", "wire", "major", "specialist"}
# Outlets named by EU, US or French authorities as disinformation operations (the Pravda
# "Portal Kombat" network, News Front, RT, Sputnik), and partisan mirrors that relay them.
FORBIDDEN_DOMAINS = (
    r"(^|\.)news-pravda\.com$",
    r"(^|\.)pravda-[a-z]{2}\.com$",
    r"news-?front\.",
    r"(^|\.)rt\.com$",
    r"sputnik",
    r"(^|\.)cgtn\.com$",
    r"almayadeen",
    r"newsmax\.com$",
    r"theepochtimes\.com$",
)
FORBIDDEN_OUTLETS = re.compile(r"pravda network|news front|\bRT\b|sputnik|cgtn", re.I)
GRADES = {
    "official": "A",
    "wire": "B",
    "major": "B",
    "specialist": "B",
    "regional": "C",
    "state_media": "D",
    "aggregator": "F",
}


def _classes(ids: str) -> set[str]:
    return {BY_ID.loc[i, "outlet_class"] for i in data.split_ids(ids)}


def test_every_row_references_registry_sources() -> None:
    for name, frame in ROWS.items():
        assert "source_ids" in frame.columns, name
        for ids in frame["source_ids"]:
            assert data.split_ids(ids), name
            assert set(data.split_ids(ids)) <= set(REG["source_id"]), name


def test_no_row_rests_on_aggregators_alone() -> None:
    for name, frame in ROWS.items():
        if name in GEOMETRY:
            continue
        for key, ids in zip(frame.iloc[:, 0], frame["source_ids"], strict=True):
            assert _classes(ids) - {"aggregator"}, f"{name} {key} rests on aggregators alone"


def test_state_media_back_only_their_partys_labelled_claims() -> None:
    for name, frame in ROWS.items():
        claimed = frame["claimed_by"] if "claimed_by" in frame.columns else None
        for i, ids in enumerate(frame["source_ids"]):
            for sid in data.split_ids(ids):
                if BY_ID.loc[sid, "outlet_class"] != "state_media":
                    continue
                party = BY_ID.loc[sid, "party"]
                label = "" if claimed is None else str(claimed.iloc[i] or "")
                assert party and party in label, (
                    f"{name} {frame.iloc[i, 0]}: {sid} ({party} state media) backs a row that "
                    f"is not labelled as {party}'s claim"
                )


def test_disinformation_outlets_back_nothing() -> None:
    for _, src in REG.iterrows():
        assert not FORBIDDEN_OUTLETS.search(str(src["outlet"])), src["source_id"]
        for col in ("url", "copy_url"):
            host = urlparse(str(src[col] or "")).hostname or ""
            for pattern in FORBIDDEN_DOMAINS:
                assert not re.search(pattern, host), f"{src['source_id']}: {host}"


def test_every_non_english_title_has_an_english_title() -> None:
    foreign = REG[REG["language"] != "en"]
    missing = foreign[foreign["title_en"].fillna("") == ""]["source_id"].tolist()
    assert not missing, missing


def test_grades_follow_the_outlet_class_rule() -> None:
    for _, src in REG.iterrows():
        assert src["grade"] == GRADES[src["outlet_class"]], src["source_id"]
        if src["outlet_class"] == "state_media":
            assert src["party"] in {"Russia", "Ukraine"}, src["source_id"]


def test_every_source_can_be_found_and_is_used_once() -> None:
    for _, src in REG.iterrows():
        assert src["url"] or src["copy_url"] or src["outlet"] == "CNN", src["source_id"]
    # One document, one entry: the same copy read twice would be one source under two ids (a
    # publisher's home page may recur, read through different archives).
    copies = REG[REG["copy_url"].fillna("") != ""]["copy_url"]
    assert not copies.duplicated().any(), copies[copies.duplicated()].tolist()
    pages = REG[REG["url"].fillna("").str.count("/") > 3]["url"]
    assert not pages.duplicated().any(), pages[pages.duplicated()].tolist()
    used = set().union(*(set(data.split_ids(i)) for f in ROWS.values() for i in f["source_ids"]))
    assert set(REG["source_id"]) <= used, sorted(set(REG["source_id"]) - used)


def test_nine_in_ten_rows_have_a_strong_source() -> None:
    rows = [ids for n, f in ROWS.items() if n not in GEOMETRY for ids in f["source_ids"]]
    strong = sum(bool(_classes(ids) & STRONG) for ids in rows)
    assert strong / len(rows) >= 0.9, f"{strong} of {len(rows)} rows"


def test_knowledge_date_is_the_earliest_source() -> None:
    described = data.resources()
    for name, frame in ROWS.items():
        own = described[name].published_field
        for i, (ids, known) in enumerate(
            zip(frame["source_ids"], frame[data.KNOWN_FROM], strict=True)
        ):
            earliest = min(BY_ID.loc[s, "published"] for s in data.split_ids(ids))
            # A daily map is public from its own day, not from its archive's first day.
            expected = max(earliest, frame[own].iloc[i]) if own else earliest
            assert known == expected, name


@pytest.mark.parametrize("as_of", ["2023-06-01", "2024-11-18"])
def test_as_of_keeps_only_what_was_public(as_of: str) -> None:
    cutoff = pd.Timestamp(as_of)
    described = data.resources()
    for name in ROWS:
        frame = data.load_table(name, as_of=as_of)
        if described[name].static:
            # Reference geography (where airfields and plants are) is not a news item.
            assert len(frame) == len(ROWS[name]), name
            continue
        assert (frame[data.KNOWN_FROM] <= cutoff).all(), name
