"""deepstrike.front_line and data/front_line.csv (the DeepStateMap-derived front line)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from deepstrike import front_line as fl
from deepstrike import geo, paths

GOOGLE_EXAMPLE = "_p~iF~ps|U_ulLnnqC_mqNvxq`@"
GOOGLE_POINTS = [(38.5, -120.2), (40.7, -120.95), (43.252, -126.453)]
# Mondays the derivation skipped because the line equalled the previous stored date's (printed
# by scripts/make_front_line.py, listed in data/README). None in the current table.
IDENTICAL_WEEKS: tuple[str, ...] = ()
KM_PER_DEGREE = fl.EARTH_RADIUS_KM * np.pi / 180

HELD = {  # held by Ukraine on every date of the table
    "Kyiv": (50.45, 30.52),
    "Lviv": (49.84, 24.03),
    "Odesa": (46.48, 30.73),
    "Kharkiv": (49.99, 36.23),
    "Dnipro": (48.46, 35.05),
    "Zaporizhzhia": (47.84, 35.14),
    "Sumy": (50.91, 34.80),
    "Chernihiv": (51.50, 31.30),
}
NOT_HELD = {  # occupied, Russian or Belarusian on every date of the table
    "Sevastopol": (44.60, 33.52),
    "Kerch": (45.36, 36.47),
    "Henichesk": (46.17, 34.82),
    "Melitopol": (46.85, 35.37),
    "Mariupol": (47.10, 37.55),
    "Donetsk": (48.00, 37.80),
    "Luhansk": (48.57, 39.31),
    "Milove": (49.37, 40.13),
    "Belgorod": (50.60, 36.60),
    "Kursk": (51.73, 36.19),
    "Rostov-on-Don": (47.23, 39.72),
    "Moscow": (55.75, 37.62),
    "Minsk": (53.90, 27.56),
    "Gomel": (52.44, 30.98),
}
IZIUM = (49.21, 37.26)
SUDZHA = (51.19, 35.27)


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return fl.load()


# --- polylines --------------------------------------------------------------------------------


def test_decode_google_documented_example() -> None:
    points = fl.decode_polyline(GOOGLE_EXAMPLE)
    assert points.shape == (3, 2)
    np.testing.assert_allclose(points, GOOGLE_POINTS, atol=1e-9)


def test_encode_google_documented_example() -> None:
    assert fl.encode_polyline(GOOGLE_POINTS) == GOOGLE_EXAMPLE


def test_polyline_round_trip() -> None:
    rng = np.random.default_rng(7)
    points = np.round(rng.uniform([-89, -179], [89, 179], size=(200, 2)), 5)
    points[5] = points[4]  # a zero step
    np.testing.assert_allclose(fl.decode_polyline(fl.encode_polyline(points)), points, atol=1e-9)
    assert fl.decode_polyline("").shape == (0, 2)


@pytest.mark.parametrize("text", ["_p~iF~ps|U_ulL", "_p~iF~ps|U_", "abc def"])
def test_decode_rejects_broken_text(text: str) -> None:
    with pytest.raises(ValueError, match="not an encoded polyline"):
        fl.decode_polyline(text)


# --- line_at ----------------------------------------------------------------------------------


def synthetic_table() -> pd.DataFrame:
    def row(day: str, part: int, points: list[tuple[float, float]]) -> dict:
        return {
            "valid_from": pd.Timestamp(day),
            "part": part,
            "n_vertices": len(points),
            "polyline": fl.encode_polyline(points),
            "upstream_repo": "owner/repo",
            "upstream_commit": "0" * 40,
            "upstream_file": f"data/{day}.geojson",
        }

    return pd.DataFrame(
        [
            row("2024-01-01", 0, [(50.0, 30.0), (50.0, 31.0)]),
            row("2024-01-08", 0, [(51.0, 30.0), (51.0, 31.0)]),
            row("2024-01-08", 1, [(52.0, 30.0), (52.0, 31.0), (52.5, 31.5)]),
            row("2024-01-15", 0, [(53.0, 30.0), (53.0, 31.0)]),
        ]
    )


@pytest.mark.parametrize(
    ("as_of", "expected", "n_parts"),
    [
        ("2024-01-01", "2024-01-01", 1),
        ("2024-01-07", "2024-01-01", 1),
        (date(2024, 1, 8), "2024-01-08", 2),
        (pd.Timestamp("2024-01-14 23:59"), "2024-01-08", 2),
        ("2030-01-01", "2024-01-15", 1),
    ],
)
def test_line_at_picks_latest_valid_from(as_of, expected: str, n_parts: int) -> None:  # noqa: ANN001
    line = fl.line_at(as_of, synthetic_table())
    assert line["valid_from"] == pd.Timestamp(expected)
    assert len(line["parts"]) == n_parts
    assert line["file"] == f"data/{expected}.geojson"
    assert line["upstream_repo"] == "owner/repo" and line["commit"] == "0" * 40


def test_line_at_keeps_part_order() -> None:
    parts = fl.line_at("2024-01-10", synthetic_table())["parts"]
    np.testing.assert_allclose(parts[0][:, 0], [51.0, 51.0])
    np.testing.assert_allclose(parts[1], [(52.0, 30.0), (52.0, 31.0), (52.5, 31.5)])


def test_line_at_before_first_date_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="no front line before 2024-01-01"):
        fl.line_at("2023-12-31", synthetic_table())


# --- distances --------------------------------------------------------------------------------


def test_distance_to_a_segment_of_the_equator() -> None:
    parts = [np.array([(0.0, 0.0), (0.0, 1.0)])]
    lat = np.array([1.0, -2.0, 0.0, 0.0, 0.0, 1.0])
    lon = np.array([0.5, 0.2, 0.7, 2.0, -3.0, 1.0])
    expected = np.array([1.0, 2.0, 0.0, 1.0, 3.0, np.sqrt(2.0)]) * KM_PER_DEGREE
    got = fl.distance_km(lat, lon, parts)
    np.testing.assert_allclose(got[:5], expected[:5], atol=1e-6)
    # (1, 1) is nearest the end vertex: a haversine distance, a little under sqrt(2) degrees.
    assert got[5] == pytest.approx(float(geo.distance_km(1.0, 1.0, 0.0, 1.0)), abs=1e-6)


def test_distance_to_a_meridian_is_the_cross_track_distance() -> None:
    parts = [np.array([(49.0, 30.0), (52.0, 30.0)])]
    lat, dlon = 50.5, 1.5
    cross_track = np.arcsin(np.cos(np.radians(lat)) * np.sin(np.radians(dlon)))
    got = fl.distance_km(lat, 30.0 + dlon, parts)
    assert got == pytest.approx(cross_track * fl.EARTH_RADIUS_KM, abs=1e-6)
    assert np.shape(got) == ()


def test_distance_takes_the_nearest_part_and_keeps_the_input_shape() -> None:
    parts = [np.array([(0.0, 0.0), (0.0, 1.0)]), np.array([(5.0, 0.0), (5.0, 1.0)])]
    lat = np.array([[1.0, 4.0], [2.4, 2.6]])
    lon = np.full((2, 2), 0.5)
    got = fl.distance_km(lat, lon, parts)
    assert got.shape == (2, 2)
    # The arc from (5, 0) to (5, 1) bulges ~20 m north of the parallel: hence the tolerance.
    np.testing.assert_allclose(got, np.array([[1.0, 1.0], [2.4, 2.4]]) * KM_PER_DEGREE, atol=0.05)


def _densified_distance(lat, lon, part, step_km: float) -> np.ndarray:  # noqa: ANN001
    """Brute force: haversine to the line densified at step_km (linear in degrees)."""
    pts = [part[:1]]
    for a, b in zip(part[:-1], part[1:], strict=True):
        n = max(1, int(np.ceil(float(geo.distance_km(a[0], a[1], b[0], b[1])) / step_km)))
        t = np.linspace(0, 1, n + 1)[1:, None]
        pts.append(a + t * (b - a))
    dense = np.concatenate(pts)
    return geo.distance_km(lat[:, None], lon[:, None], dense[None, :, 0], dense[None, :, 1]).min(1)


def test_distance_matches_a_densified_haversine_on_the_real_line(table: pd.DataFrame) -> None:
    parts = fl.line_at("2024-09-02", table)["parts"]
    rng = np.random.default_rng(3)
    lat, lon = rng.uniform(44, 56, 200), rng.uniform(28, 48, 200)
    brute = np.min([_densified_distance(lat, lon, p, 0.1) for p in parts], axis=0)
    got = fl.distance_km(lat, lon, parts)
    # Densified at 100 m, linear in degrees: within ~50 m of the great-circle segments.
    assert np.max(np.abs(brute - got)) < 0.1


def test_held_side_of_a_synthetic_line_closed_through_the_west() -> None:
    # From the Dnipro-Buh estuary east and north round to the Poland-Belarus-Ukraine tripoint.
    parts = [np.array([(46.55, 32.2), (47.5, 38.0), (52.0, 34.0), (51.5, 23.62)])]
    lat = np.array([50.45, 46.48, 55.75, 44.60, 53.90])
    lon = np.array([30.52, 30.73, 37.62, 33.52, 27.56])
    np.testing.assert_array_equal(fl.on_held_side(lat, lon, parts), [True, True] + [False] * 3)
    d = fl.distance_to_held_km(lat, lon, parts)
    assert d[0] == 0 and d[1] == 0 and np.all(d[2:] > 50)


def test_held_side_refuses_a_line_that_closure_does_not_fit() -> None:
    with pytest.raises(ValueError, match="CLOSURE does not fit"):
        fl.on_held_side(50.0, 30.0, [np.array([(40.0, 30.0), (41.0, 31.0)])])


# --- the real table ---------------------------------------------------------------------------


def test_table_columns_and_provenance(table: pd.DataFrame) -> None:
    assert tuple(pd.read_csv(paths.data_dir() / fl.FILE_NAME, nrows=0).columns) == fl.COLUMNS
    assert (paths.data_dir() / fl.FILE_NAME).stat().st_size < 3_000_000
    assert set(table["upstream_repo"]) <= {
        "DanielRose2310/deepstatemaps-history",
        "cyterat/deepstate-map-data",
    }
    assert table["upstream_commit"].str.fullmatch(r"[0-9a-f]{40}").all()
    assert table["upstream_file"].str.match(r"^(geojsons|data)/.+\.geojson$").all()
    for _, rows in table.groupby("valid_from"):
        assert list(rows["part"]) == list(range(len(rows)))
        assert rows[["upstream_repo", "upstream_commit", "upstream_file"]].nunique().max() == 1
    decoded = table["polyline"].map(lambda text: len(fl.decode_polyline(text)))
    assert (decoded == table["n_vertices"]).all() and (table["n_vertices"] >= 2).all()


def test_table_is_at_least_weekly_from_july_2022(table: pd.DataFrame) -> None:
    dates = sorted(table["valid_from"].dt.date.unique())
    assert dates[0] == date(2022, 7, 4)
    assert dates[-1] >= date(2025, 8, 4)  # beyond the end of the raw-map archive
    assert all(d.weekday() == 0 for d in dates[:-1])  # the last may be the archive's last day
    mondays = []
    day = dates[0]
    while day <= dates[-1]:
        mondays.append(day)
        day += timedelta(days=7)
    missing = sorted(set(mondays) - set(dates))
    assert [d.isoformat() for d in missing] == list(IDENTICAL_WEEKS)
    gaps = np.diff(pd.to_datetime(dates)).astype("timedelta64[D]").astype(int)
    skipped_runs = len(IDENTICAL_WEEKS) + 1
    assert gaps.max() <= 7 * skipped_runs
    if not IDENTICAL_WEEKS:
        assert gaps.max() <= 7


def test_sources_switch_once_from_raw_maps_to_the_daily_archive(table: pd.DataFrame) -> None:
    first = table.groupby("valid_from")["upstream_repo"].first()
    raw = first[first == "DanielRose2310/deepstatemaps-history"]
    daily = first[first == "cyterat/deepstate-map-data"]
    assert raw.index.max() < daily.index.min()
    assert raw.index.min() == pd.Timestamp("2022-07-04")
    stamps = table.loc[table["upstream_repo"] == raw.iloc[0], "upstream_file"]
    assert stamps.str.fullmatch(r"geojsons/\d{10}\.geojson").all()


def test_known_places_are_on_the_right_side_on_every_date(table: pd.DataFrame) -> None:
    names = [*HELD, *NOT_HELD]
    points = np.array([HELD.get(n) or NOT_HELD[n] for n in names])
    expected = np.array([n in HELD for n in names])
    for valid_from in table["valid_from"].unique():
        parts = fl.line_at(valid_from, table)["parts"]
        got = fl.on_held_side(points[:, 0], points[:, 1], parts)
        wrong = [n for n, g, e in zip(names, got, expected, strict=True) if g != e]
        assert not wrong, f"{pd.Timestamp(valid_from).date()}: {wrong}"


def test_kharkiv_counteroffensive_moves_the_line_past_izium(table: pd.DataFrame) -> None:
    before = fl.line_at("2022-08-01", table)["parts"]
    after = fl.line_at("2022-10-03", table)["parts"]
    assert fl.distance_to_held_km(*IZIUM, before) > 5  # occupied, well behind the line
    assert fl.distance_to_held_km(*IZIUM, after) == pytest.approx(0.0)
    assert fl.distance_km(*IZIUM, after) > 20  # and the line is now far to the east


def test_kursk_salient_is_held_ground_in_2024_and_gone_by_mid_2025(table: pd.DataFrame) -> None:
    held = fl.line_at("2024-09-02", table)["parts"]
    lost = fl.line_at("2025-06-02", table)["parts"]
    assert fl.distance_to_held_km(*SUDZHA, held) == pytest.approx(0.0)
    assert fl.distance_to_held_km(*SUDZHA, lost) > 2
    # Before the incursion the border is the edge, a few km south of Sudzha.
    before = fl.line_at("2024-08-05", table)["parts"]
    assert 2 < fl.distance_to_held_km(*SUDZHA, before) < 15


def test_kherson_right_bank_is_held_after_november_2022(table: pd.DataFrame) -> None:
    kherson = (46.64, 32.62)
    assert fl.distance_to_held_km(*kherson, fl.line_at("2022-10-31", table)["parts"]) > 10
    assert fl.distance_to_held_km(*kherson, fl.line_at("2022-11-14", table)["parts"]) == 0


def test_commit_ids_look_like_git(table: pd.DataFrame) -> None:
    assert all(re.fullmatch(r"[0-9a-f]{40}", c) for c in table["upstream_commit"].unique())
