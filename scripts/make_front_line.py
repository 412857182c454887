"""Derive data/front_line.csv: the edge of Ukrainian-held ground, weekly, from DeepStateMap.

For every Monday from 2022-07-04 to the latest date the archives hold, the map as it stood at
03:00 UTC that Monday gives the line of contact: the part of the boundary of Ukrainian-held
ground that faces Russian-held ground, i.e.

- the edge of the occupied area inside Ukraine (DeepStateMap's "Occupied", "CADR and CALR" and
  "Occupied Crimea" layers; its grey "Unknown status" zone counts as not occupied),
- the Russia-Ukraine and Belarus-Ukraine state border where Ukraine holds its side,
- the edge of Ukrainian-held ground inside Russia (the Kursk salient, drawn by DeepStateMap as
  dark-blue "Liberated" polygons, fill #01579b, from 9 Aug 2024 to April 2025),

and not the coastline, nor the borders with Moldova, Romania, Hungary, Slovakia and Poland.

Held ground = Natural Earth 1:50m Ukraine (data/topojson/europe_50m.json, plotly's topojson)
minus the occupied area, plus the salient. Natural Earth's outline is coarse (a vertex every
~16 km) and does not match DeepStateMap's coast and border, so the plain difference leaves
slivers and islands of "held" ground along occupied coasts and borders. The steps:

1. Reservoir water: DeepStateMap leaves the Kakhovka reservoir unassigned; where both shores
   were occupied (July-November 2022) it is given to the occupied side by a closing of radius
   CLOSE_KM (5 km) of the occupied area, applied only within LAKE_ZONE_KM of Natural Earth lakes.
2. Held ground = Ukraine - occupied + salient; holes in it that hold no occupied ground (gaps
   between DeepStateMap's salient and Natural Earth's border) are filled.
3. Slivers: a morphological opening of radius OPEN_KM (1 km) removes held ground narrower than
   2 km; only the main body (and pieces touching the salient) is kept, and the original
   boundary is restored within OPEN_KM of it.
4. The line: the boundary of held ground within HOSTILE_KM (1 km) of the occupied area, Russia
   or Belarus (Natural Earth), merged into parts, each oriented with held ground on its left
   (decided by probing 20 m either side of each segment), then simplified with shapely
   (Douglas-Peucker, preserve_topology=True) at TOLERANCE_KM = 1 km in a Lambert conformal conic
   projection on the sphere (standard parallels 45N and 52N, scale error < 1% over the area).
   Parts shorter than 0.5 km and pockets that simplify to under 0.5 km2 are dropped.
5. Written as Google encoded polylines (lat, lon, precision 1e-5): one row per part, the main
   part (Dnipro-Buh estuary -> front -> Russian border -> Belarusian border -> Poland tripoint)
   first, then closed rings (occupied pockets inside held ground).

Sources (read from local git snapshots, never copied into this repository):
- DanielRose2310/deepstatemaps-history: DeepStateMap's raw map GeoJSON, April 2022 - Aug 2025,
  files geojsons/<unix time>.geojson; used for every Monday it covers (map published before
  03:00 UTC that Monday, at most 48 h earlier).
- cyterat/deepstate-map-data (GPL-3.0): DeepStateMap's occupied area as one MultiPolygon a day
  (data/deepstatemap_data_YYYYMMDD.geojson, fetched daily at 03:00 UTC), from July 2024; used
  after the first archive ends. It carries no salient layer: DeepStateMap showed no held ground
  in Russia from mid-April 2025 to the end of the first archive, and none is assumed after.
  Its occupied area equals the first archive's on the same day (checked: see --check).

The archive's last day is added after the last Monday. Weeks whose line is identical to the
previous stored date are skipped (the line in force at D is the latest valid_from <= D); the
script prints them.

Usage (from the repository root; needs shapely 2):
    python scripts/make_front_line.py [--danielrose GITDIR] [--cyterat GITDIR]
        [--start 2022-07-04] [--end YYYY-MM-DD] [--out data/front_line.csv] [--check]
GITDIR is a bare git directory (or a clone) of the archive; HEAD is read.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, shape

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
from deepstrike.front_line import COLUMNS, SOURCE_IDS, encode_polyline  # noqa: E402

DANIELROSE = "DanielRose2310/deepstatemaps-history"
CYTERAT = "cyterat/deepstate-map-data"
DEFAULT_DIRS = {
    DANIELROSE: Path("/work/.mirror/DanielRose2310+deepstatemaps-history/repo"),
    CYTERAT: Path("/work/.mirror/cyterat+deepstate-map-data/repo"),
}
START = date(2022, 7, 4)
CUTOFF_HOUR = 3  # the map as it stood at 03:00 UTC (cyterat's daily fetch time)
MAX_AGE = timedelta(hours=48)  # a raw map older than this at the cutoff is not used
OCCUPIED = {"Occupied", "CADR and CALR", "Occupied Crimea"}  # cyterat's selection, English names
SALIENT_FILL = "#01579b"
TOLERANCE_KM = 1.0
OPEN_KM = 1.0
HOSTILE_KM = 1.0
MIN_PART_KM = 0.5
MIN_RING_KM2 = 0.5
CLOSE_KM = 5.0
LAKE_ZONE_KM = 5.0

# Lambert conformal conic on the sphere (Snyder 1987, eq. 15-1 to 15-3), kilometres.
R_KM = 6371.0088
_P1, _P2, _P0, _L0 = np.radians([45.0, 52.0, 48.5, 31.5])
_N = np.log(np.cos(_P1) / np.cos(_P2)) / np.log(
    np.tan(np.pi / 4 + _P2 / 2) / np.tan(np.pi / 4 + _P1 / 2)
)
_F = np.cos(_P1) * np.tan(np.pi / 4 + _P1 / 2) ** _N / _N
_RHO0 = R_KM * _F / np.tan(np.pi / 4 + _P0 / 2) ** _N


def lcc(lonlat: np.ndarray) -> np.ndarray:
    lon, lat = np.radians(lonlat[:, 0]), np.radians(lonlat[:, 1])
    rho = R_KM * _F / np.tan(np.pi / 4 + lat / 2) ** _N
    theta = _N * (lon - _L0)
    return np.column_stack([rho * np.sin(theta), _RHO0 - rho * np.cos(theta)])


def lcc_inverse(xy: np.ndarray) -> np.ndarray:
    x, y = xy[:, 0], xy[:, 1]
    rho = np.sign(_N) * np.hypot(x, _RHO0 - y)
    theta = np.arctan2(x, _RHO0 - y)
    lat = 2 * np.arctan((R_KM * _F / rho) ** (1 / _N)) - np.pi / 2
    return np.column_stack([np.degrees(theta / _N + _L0), np.degrees(lat)])


def project(geom):  # noqa: ANN001, ANN201
    return shapely.transform(geom, lcc)


# ---------------------------------------------------------------------------------------------
# Natural Earth countries from the vendored topojson
# ---------------------------------------------------------------------------------------------


def countries(ids: tuple[str, ...] = ("UKR", "RUS", "BLR")) -> dict[str, MultiPolygon]:
    topo = json.loads((ROOT / "data/topojson/europe_50m.json").read_text(encoding="utf-8"))
    sx, sy = topo["transform"]["scale"]
    tx, ty = topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        q = np.cumsum(np.asarray(arc, dtype=float), axis=0)
        arcs.append(np.column_stack([q[:, 0] * sx + tx, q[:, 1] * sy + ty]))

    def ring(ids_: list[int]) -> np.ndarray:
        pieces = [arcs[i] if i >= 0 else arcs[~i][::-1] for i in ids_]
        return np.concatenate([pieces[0]] + [p[1:] for p in pieces[1:]])

    def polygon(rings: list[list[int]]) -> Polygon:
        return Polygon(ring(rings[0]), [ring(r) for r in rings[1:]])

    def multipolygon(g: dict) -> MultiPolygon:
        polys = [g["arcs"]] if g["type"] == "Polygon" else g["arcs"]
        return project(MultiPolygon([polygon(p) for p in polys]))

    out = {}
    for g in topo["objects"]["countries"]["geometries"]:
        if g.get("id") in ids:
            out[g["id"]] = multipolygon(g)
    lakes = [multipolygon(g) for g in topo["objects"]["lakes"]["geometries"] if g.get("arcs")]
    # Kakhovka, Kremenchuk and Sivash: Natural Earth counts them as land of Ukraine.
    out["LAKES"] = shapely.union_all([g for g in lakes if g.intersects(out["UKR"])])
    return out


# ---------------------------------------------------------------------------------------------
# The archives
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    repo: str
    commit: str
    path: str
    blob: str
    taken: datetime  # publication (DanielRose) or fetch time (cyterat), UTC


def git(gitdir: Path, *args: str) -> bytes:
    return subprocess.run(
        ["git", f"--git-dir={gitdir}", *args], check=True, capture_output=True
    ).stdout


def list_snapshots(repo: str, gitdir: Path) -> list[Snapshot]:
    commit = git(gitdir, "rev-parse", "HEAD").decode().strip()
    folder = "geojsons/" if repo == DANIELROSE else "data/"
    out = []
    for line in git(gitdir, "ls-tree", commit, folder).decode().splitlines():
        meta, path = line.split("\t")
        blob = meta.split()[2]
        stem = Path(path).stem
        if repo == DANIELROSE:
            taken = datetime.fromtimestamp(int(stem), tz=UTC)
        else:
            day = datetime.strptime(stem.rsplit("_", 1)[1], "%Y%m%d")
            taken = day.replace(hour=CUTOFF_HOUR, tzinfo=UTC)
        out.append(Snapshot(repo, commit, path, blob, taken))
    return sorted(out, key=lambda s: s.taken)


def choose(monday: date, raw: list[Snapshot], daily: list[Snapshot]) -> Snapshot | None:
    """The raw map in force at 03:00 UTC that Monday if fresh, else cyterat's latest file."""
    cutoff = datetime(monday.year, monday.month, monday.day, CUTOFF_HOUR, tzinfo=UTC)
    for pool, age in ((raw, MAX_AGE), (daily, timedelta(days=3))):
        before = [s for s in pool if s.taken <= cutoff]
        if before and cutoff - before[-1].taken <= age:
            return before[-1]
    return None


def _polygons(geom: dict):  # noqa: ANN202
    if geom["type"] == "GeometryCollection":
        for g in geom["geometries"]:
            yield from _polygons(g)
    elif geom["type"] in ("Polygon", "MultiPolygon"):
        yield shapely.make_valid(shape(geom))


def english(name: str) -> str:
    parts = name.split("///")
    return parts[1].strip() if len(parts) > 1 else ""


def layers(snap: Snapshot, gitdir: Path) -> tuple[shapely.Geometry, shapely.Geometry]:
    """(occupied area, Ukrainian-held ground in Russia), projected; 2D polygons only."""
    doc = json.loads(git(gitdir, "cat-file", "blob", snap.blob))
    occupied, salient = [], []
    for feature in doc["features"]:
        props = feature.get("properties") or {}
        if snap.repo == CYTERAT:
            occupied += list(_polygons(feature["geometry"]))
            continue
        name = english(props.get("name", ""))
        if name in OCCUPIED:
            occupied += list(_polygons(feature["geometry"]))
        elif ("Liberated" in name or "Taken back" in name) and str(
            props.get("fill", "")
        ).lower() == SALIENT_FILL:
            salient += list(_polygons(feature["geometry"]))

    def merge(polys: list) -> shapely.Geometry:
        polys = [shapely.force_2d(p) for p in polys]
        polys = [p for p in polys if p.geom_type in ("Polygon", "MultiPolygon")]
        return project(shapely.union_all(polys)) if polys else Polygon()

    return merge(occupied), merge(salient)


# ---------------------------------------------------------------------------------------------
# Geometry
# ---------------------------------------------------------------------------------------------


def close_water(occupied, nat):  # noqa: ANN001, ANN201
    """The occupied area with reservoir water between two occupied shores added to it.

    DeepStateMap leaves the water of the Kakhovka reservoir unassigned; where both shores were
    occupied (downstream of Dudchany until November 2022) that water would count as held. A
    morphological closing of radius CLOSE_KM, applied only within LAKE_ZONE_KM of Natural Earth's
    lakes, gives it to the occupied side; where one shore is held nothing changes but corners.
    """
    zone = nat["LAKES"].buffer(LAKE_ZONE_KM)
    closed = occupied.buffer(CLOSE_KM).buffer(-CLOSE_KM)
    return shapely.union(occupied, closed.intersection(zone))


def held_ground(occupied, salient, nat):  # noqa: ANN001, ANN201
    """Ukrainian-held ground: Natural Earth Ukraine - occupied + salient, slivers removed."""
    held0 = shapely.union(nat["UKR"].difference(occupied), salient.difference(occupied))
    # Gaps between the salient as DeepStateMap draws it and Natural Earth's border leave holes
    # of "Russia" inside held ground; a hole with no occupied ground in it is filled.
    held0 = shapely.union_all(
        [
            Polygon(
                g.exterior,
                [r for r in g.interiors if Polygon(r).intersection(occupied).area > 0.01],
            )
            for g in getattr(held0, "geoms", [held0])
        ]
    )
    opened = held0.buffer(-OPEN_KM).buffer(OPEN_KM)
    pieces = list(getattr(opened, "geoms", [opened]))
    main = max(pieces, key=lambda g: g.area)
    keep = [g for g in pieces if g is main or (not salient.is_empty and g.intersects(salient))]
    return held0.intersection(shapely.union_all(keep).buffer(OPEN_KM))


def facing_line(held, occupied, nat):  # noqa: ANN001, ANN201
    """Parts of held ground's boundary facing occupied ground, Russia or Belarus, held on left."""
    hostile = shapely.union_all([occupied, nat["RUS"], nat["BLR"]]).buffer(HOSTILE_KM)
    edge = shapely.line_merge(held.boundary.intersection(hostile))
    probe = held.buffer(-0.01)
    oriented = []
    for line in getattr(edge, "geoms", [edge]):
        if line.geom_type != "LineString" or line.is_empty:
            continue
        xy = np.asarray(line.coords)
        d = np.diff(xy, axis=0)
        length = np.hypot(d[:, 0], d[:, 1])
        ok = length > 0.05
        if not ok.any():
            continue
        mid = (xy[:-1] + xy[1:])[ok] / 2
        normal = np.column_stack([-d[ok, 1], d[ok, 0]]) / length[ok, None]
        left = shapely.contains_xy(probe, *(mid + 0.02 * normal).T)
        right = shapely.contains_xy(probe, *(mid - 0.02 * normal).T)
        votes = int(left.sum()) - int(right.sum())
        oriented.append(line if votes >= 0 else shapely.reverse(line))
    merged = shapely.line_merge(shapely.MultiLineString(oriented), directed=True)
    out = []
    for line in getattr(merged, "geoms", [merged]):
        if line.length < MIN_PART_KM:
            continue
        simple = line.simplify(TOLERANCE_KM, preserve_topology=True)
        if simple.is_ring and Polygon(simple.coords).area < MIN_RING_KM2:
            continue  # a pocket that simplification collapses
        out.append(simple)
    return out


def to_latlon(line) -> np.ndarray:  # noqa: ANN001
    lonlat = lcc_inverse(np.asarray(line.coords))
    return np.round(lonlat[:, ::-1], 5)


@dataclass
class Result:
    monday: date
    snap: Snapshot
    parts: list[np.ndarray]
    held_km2: float
    occupied_km2: float
    salient_km2: float


def derive(monday: date, snap: Snapshot, gitdir: Path) -> Result:
    nat = _nat()
    occupied, salient = layers(snap, gitdir)
    occupied = close_water(occupied, nat)
    held = held_ground(occupied, salient, nat)
    lines = facing_line(held, occupied, nat)
    parts = [to_latlon(line) for line in lines]
    # Northernmost part first, so that part numbers are stable from week to week.
    parts.sort(key=lambda p: -p[:, 0].max())
    return Result(
        monday,
        snap,
        parts,
        held.area,
        occupied.intersection(nat["UKR"]).area,
        salient.difference(nat["UKR"]).area,
    )


_NAT: dict | None = None


def _nat() -> dict:
    global _NAT
    if _NAT is None:
        _NAT = countries()
    return _NAT


def _job(args: tuple[date, Snapshot, Path]) -> Result:
    return derive(*args)


# ---------------------------------------------------------------------------------------------


def check_overlap(raw: list[Snapshot], daily: list[Snapshot], dirs: dict[str, Path]) -> None:
    """Occupied area from both archives on a few common Mondays: they should coincide."""
    mondays = [date(2024, 7, 15), date(2024, 11, 4), date(2025, 3, 3), date(2025, 7, 28)]
    for monday in mondays:
        cutoff = datetime(monday.year, monday.month, monday.day, CUTOFF_HOUR, tzinfo=UTC)
        a = [s for s in raw if s.taken <= cutoff][-1]
        b = [s for s in daily if s.taken <= cutoff][-1]
        occ_a, _ = layers(a, dirs[DANIELROSE])
        occ_b, _ = layers(b, dirs[CYTERAT])
        diff = occ_a.symmetric_difference(occ_b).area
        print(
            f"{monday}: {a.path} vs {b.path}: occupied {occ_a.area:,.0f} vs {occ_b.area:,.0f} "
            f"km2, symmetric difference {diff:,.1f} km2"
        )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--danielrose", type=Path, default=DEFAULT_DIRS[DANIELROSE])
    ap.add_argument("--cyterat", type=Path, default=DEFAULT_DIRS[CYTERAT])
    ap.add_argument("--start", type=date.fromisoformat, default=START)
    ap.add_argument("--end", type=date.fromisoformat, default=None)
    ap.add_argument("--out", type=Path, default=ROOT / "data" / "front_line.csv")
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--check", action="store_true", help="compare the archives where they overlap")
    args = ap.parse_args(argv)
    dirs = {DANIELROSE: args.danielrose, CYTERAT: args.cyterat}
    raw = list_snapshots(DANIELROSE, dirs[DANIELROSE])
    daily = list_snapshots(CYTERAT, dirs[CYTERAT])
    if args.check:
        check_overlap(raw, daily, dirs)
    last = max(raw[-1].taken, daily[-1].taken).date()
    end = args.end or last
    monday = args.start + timedelta(days=(-args.start.weekday()) % 7)
    jobs = []
    while monday <= end:
        snap = choose(monday, raw, daily)
        if snap is None:
            print(f"{monday}: no map within reach, skipped", file=sys.stderr)
        else:
            jobs.append((monday, snap, dirs[snap.repo]))
        monday += timedelta(days=7)
    if jobs and jobs[-1][0] < end:
        # The latest map too, so that the table reaches the end of the archive.
        snap = choose(end, raw, daily)
        if snap is not None and snap.path != jobs[-1][1].path:
            jobs.append((end, snap, dirs[snap.repo]))
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        results = list(pool.map(_job, jobs))
    rows, previous, skipped = [], None, []
    for res in results:
        encoded = [encode_polyline(p) for p in res.parts]
        if encoded == previous:
            skipped.append(res.monday)
            continue
        previous = encoded
        for i, (text, part) in enumerate(zip(encoded, res.parts, strict=True)):
            rows.append(
                [
                    res.monday.isoformat(),
                    i,
                    len(part),
                    text,
                    res.snap.repo,
                    res.snap.commit,
                    res.snap.path,
                    SOURCE_IDS[res.snap.repo],
                ]
            )
        print(
            f"{res.monday} {res.snap.repo.split('/')[0]:14s} {Path(res.snap.path).name:34s} "
            f"parts {len(res.parts):2d} vertices {sum(len(p) for p in res.parts):5d} "
            f"occupied {res.occupied_km2:9,.0f} km2 salient {res.salient_km2:5,.0f} km2"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    dates = sorted({r[0] for r in rows})
    print(
        f"wrote {args.out} ({args.out.stat().st_size:,} bytes): {len(dates)} dates "
        f"{dates[0]} to {dates[-1]}, {len(rows)} parts; skipped as identical: "
        f"{', '.join(d.isoformat() for d in skipped) or 'none'}"
    )


if __name__ == "__main__":
    main()
