"""The data layer: tables validate, rows are sourced, violations name file, line, column."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pandas as pd
import pytest

from deepstrike import data, paths
from deepstrike.data import DataError

DATA = paths.data_dir()


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "data"
    shutil.copytree(DATA, dest)
    return dest


def _rewrite(path: Path, edit) -> None:  # noqa: ANN001 - edit(rows) mutates the rows
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    edit(rows)
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)


def _error(root: Path, table: str = "pattern_events") -> str:
    with pytest.raises(DataError) as info:
        data.validate(data.resources(root)[table], root, data.registry(root))
    return str(info.value)


def test_every_table_validates_and_has_rows() -> None:
    tables = data.validate_all()
    assert "pattern_events" in tables
    for name, frame in tables.items():
        assert len(frame) > 0, name


def test_every_row_is_sourced() -> None:
    tables = data.validate_all()
    known = set(tables[data.REGISTRY]["source_id"])
    for name, frame in tables.items():
        if name == data.REGISTRY:
            continue
        for ids in frame["source_ids"]:
            assert data.split_ids(ids) and set(data.split_ids(ids)) <= known, name
        assert frame[data.KNOWN_FROM].notna().all(), name


def test_datapackage_is_generated_from_the_dictionary() -> None:
    from deepstrike import datapackage

    current = (DATA / "datapackage.json").read_text(encoding="utf-8")
    assert current == datapackage.text(DATA), "run `make data` (python -m deepstrike.datapackage)"


def test_one_definition_per_field_name() -> None:
    seen: dict[str, dict] = {}
    for res in data.resources().values():
        for field in res.fields:
            if field["name"] in seen:
                assert field == seen[field["name"]], field["name"]
            seen[field["name"]] = field


def test_every_resource_has_a_primary_key_and_described_fields() -> None:
    for res in data.resources().values():
        assert res.primary_key, res.name
        for field in res.fields:
            assert field.get("description"), f"{res.name}.{field['name']}"


def test_every_csv_in_data_is_described() -> None:
    described = {res.path for res in data.resources().values()}
    on_disk = {p.name for p in DATA.glob("*.csv")}
    assert on_disk <= described


def test_missing_source_names_line_and_column(data_copy: Path) -> None:
    path = data_copy / "pattern_events.csv"
    header = path.read_text(encoding="utf-8").splitlines()[0].split(",")
    column = header.index("source_ids")

    def edit(rows: list[list[str]]) -> None:
        rows[3][column] = ""

    _rewrite(path, edit)
    message = _error(data_copy)
    assert "data/pattern_events.csv, line 4, column source_ids" in message
    assert "needs a source" in message


def test_bad_date_is_reported(data_copy: Path) -> None:
    path = data_copy / "pattern_events.csv"

    def edit(rows: list[list[str]]) -> None:
        rows[2][rows[0].index("date_central")] = "2023-02-30"

    _rewrite(path, edit)
    assert "line 3, column date_central" in _error(data_copy)


def test_low_above_high_is_reported(data_copy: Path) -> None:
    path = data_copy / "pattern_events.csv"

    def edit(rows: list[list[str]]) -> None:
        rows[1][rows[0].index("date_low")] = "2030-01-01"

    _rewrite(path, edit)
    message = _error(data_copy)
    assert "line 2" in message and "date_low <= date_central <= date_high" in message


def test_enum_violation_is_reported(data_copy: Path) -> None:
    path = data_copy / "pattern_events.csv"

    def edit(rows: list[list[str]]) -> None:
        rows[1][rows[0].index("event_type")] = "maybe"

    _rewrite(path, edit)
    assert "column event_type: 'maybe' is not one of" in _error(data_copy)


def test_duplicate_primary_key_is_reported(data_copy: Path) -> None:
    path = data_copy / "pattern_events.csv"
    _rewrite(path, lambda rows: rows.append(list(rows[1])))
    assert "duplicate key" in _error(data_copy)


def test_non_http_url_is_refused(data_copy: Path) -> None:
    path = data_copy / "sources.csv"

    def edit(rows: list[list[str]]) -> None:
        rows[1][rows[0].index("copy_url")] = "javascript:alert(1)"

    _rewrite(path, edit)
    assert "column copy_url" in _error(data_copy, "sources")


def test_unknown_source_id_is_reported(data_copy: Path) -> None:
    path = data_copy / "pattern_events.csv"

    def edit(rows: list[list[str]]) -> None:
        rows[1][rows[0].index("source_ids")] = "no-such-source"

    _rewrite(path, edit)
    message = _error(data_copy)
    assert "line 2, column source_ids: unknown source id 'no-such-source'" in message


def test_missing_column_is_reported(data_copy: Path) -> None:
    path = data_copy / "pattern_events.csv"

    def edit(rows: list[list[str]]) -> None:
        for row in rows:
            del row[-1]

    _rewrite(path, edit)
    assert "line 1 (header): missing column(s) source_ids" in _error(data_copy)


def test_missing_file(data_copy: Path) -> None:
    (data_copy / "pattern_events.csv").unlink()
    assert "file not found" in _error(data_copy)


def test_empty_file(data_copy: Path) -> None:
    (data_copy / "pattern_events.csv").write_text("", encoding="utf-8")
    assert "file is empty" in _error(data_copy)


def test_corrupt_file(data_copy: Path) -> None:
    (data_copy / "pattern_events.csv").write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00binary")
    assert "corrupt" in _error(data_copy)


def test_ragged_row(data_copy: Path) -> None:
    path = data_copy / "pattern_events.csv"
    with path.open("a", encoding="utf-8") as handle:
        handle.write("only,three,fields\n")
    assert "3 fields, header has" in _error(data_copy)


def test_corrupt_metadata(data_copy: Path) -> None:
    (data_copy / "datapackage.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(DataError, match="not valid JSON"):
        data.resources(data_copy)


def test_as_of_drops_rows_public_later() -> None:
    full = data.load_table("pattern_events")
    early = data.load_table("pattern_events", as_of="2023-01-01")
    assert 0 < len(early) < len(full)
    assert (early[data.KNOWN_FROM] <= pd.Timestamp("2023-01-01")).all()


def test_sources_used_lists_each_source_once_with_its_rows() -> None:
    tables = data.validate_all()
    used = data.sources_used(tables, tables[data.REGISTRY])
    assert not used["source_id"].duplicated().any()
    n_refs = sum(
        len(data.split_ids(i))
        for n, t in tables.items()
        if n != data.REGISTRY
        for i in t["source_ids"]
    )
    assert used["rows"].sum() == n_refs
    early = data.sources_used(tables, tables[data.REGISTRY], "2023-01-01")
    assert (early["published"] <= pd.Timestamp("2023-01-01")).all()


def test_claims_are_labelled_with_a_party() -> None:
    events = data.load_table("pattern_events")
    assert set(events["claimed_by"].dropna()) <= {"Ukraine", "Russia"}


# One bad cell per table: the message names the file, the line and the column. An order
# violation (low <= central <= high) is reported at the column found out of order.
ORDER_REPORTED_AT = {"range_km_central": "range_km_high", "units_low": "units_central"}
BAD_CELLS = [
    ("strike_systems", 2, "range_km_central", "900", "range_km_high"),
    ("strike_systems", 2, "system_class", "cannon", "not one of"),
    ("targets", 2, "lat", "95", "above the maximum"),
    ("targets", 2, "source_ids", "", "needs a source"),
    ("atacms_launches", 2, "claimed_by", "NATO", "not one of"),
    ("atacms_supply", 2, "reported_date", "19 Nov 2024", "not a date"),
    ("drone_claims", 2, "claimed_by", "NATO", "is not one of"),
    ("drone_strikes", 2, "source_ids", "", "every row needs a source"),
    ("sources", 2, "outlet_class", "blog", "is not one of"),
    ("sources", 2, "published", "2024-02-30", "not a date"),
    ("refinery_offline", 2, "offline_share_pct", "140", "above the maximum"),
    ("deep_targets", 2, "target_type", "bunker", "is not one of"),
    ("drone_production", 2, "units_low", "99999", "is below units_low"),
    ("escalation_responses", 3, "rung", "nuclear_war", "is not one of"),
    ("escalation_steps", 3, "source_ids", "a;;b c", "does not match the pattern"),
    ("sabotage_incidents", 3, "count_high", "1", "is below"),
    ("dprk_troops", 3, "claimed_by", "Belarus", "is not one of"),
    ("escalation_estimates", 3, "value_pct", "140", "above the maximum"),
    ("claims", 2, "verdict", "maybe", "is not one of"),
]


@pytest.mark.parametrize(
    ("table", "line", "column", "value", "message"),
    BAD_CELLS,
    ids=[f"{t}-{c}" for t, _, c, _, _ in BAD_CELLS],
)
def test_bad_cell_names_file_line_and_column(
    data_copy: Path, table: str, line: int, column: str, value: str, message: str
) -> None:
    res = data.resources(data_copy)[table]

    def edit(rows: list[list[str]]) -> None:
        rows[line - 1][rows[0].index(column)] = value

    _rewrite(data_copy / res.path, edit)
    text = _error(data_copy, table)
    reported = ORDER_REPORTED_AT.get(column, column)
    assert f"data/{res.path}, line {line}, column {reported}" in text
    assert message in text


def test_a_table_is_read_again_when_its_file_changes(data_copy: Path) -> None:
    # Tables are memoised by content: an edit between two loads must show in the second.
    first = data.load_table("pattern_events", root=data_copy)
    _rewrite(data_copy / "pattern_events.csv", lambda rows: rows.pop())
    second = data.load_table("pattern_events", root=data_copy)
    assert len(second) == len(first) - 1
    _rewrite(data_copy / "sources.csv", lambda rows: rows.append(rows[-1]))
    with pytest.raises(DataError, match="duplicate key"):
        data.load_table("pattern_events", root=data_copy)


def test_a_loaded_table_is_the_callers_own_copy(data_copy: Path) -> None:
    first = data.load_table("pattern_events", root=data_copy)
    first.loc[:, "system_id"] = "changed"
    again = data.load_table("pattern_events", root=data_copy)
    assert len(again) > 0 and (again["system_id"] != "changed").all()


def test_a_missing_table_file_is_named_whether_or_not_it_was_loaded_before(
    data_copy: Path,
) -> None:
    data.load_table("pattern_events", root=data_copy)
    (data_copy / "pattern_events.csv").unlink()
    with pytest.raises(DataError, match="pattern_events.csv"):
        data.load_table("pattern_events", root=data_copy)
