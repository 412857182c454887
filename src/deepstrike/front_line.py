"""The dated edge of Ukrainian-held ground, derived from DeepStateMap (data/front_line.csv).

Each row of the table is one part (a polyline) of the line in force from `valid_from` until the
next stored date; a date may have several parts. Parts are Google encoded polylines (lat, lon,
precision 1e-5) and are oriented so that Ukrainian-held ground lies on their left. The table is
built by scripts/make_front_line.py; see data/README for sources, licence and method.

Pure functions, numpy and pandas only:

- `decode_polyline` / `encode_polyline`: the Google polyline format.
- `load`: the table as a DataFrame; `line_at`: the line in force on a date.
- `distance_km`: great-circle distance from points to the nearest point of the line.
- `on_held_side` / `distance_to_held_km`: which side of the line a point is on, and the distance
  to held ground (zero on it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from deepstrike import paths

FILE_NAME = "front_line.csv"
COLUMNS = (
    "valid_from",
    "part",
    "n_vertices",
    "polyline",
    "upstream_repo",
    "upstream_commit",
    "upstream_file",
    "source_ids",
)
# Registry ids (data/sources.csv) of DeepStateMap as read through each archive, and of the
# Natural Earth outline the held ground is cut from.
SOURCE_IDS = {
    "DanielRose2310/deepstatemaps-history": "deepstatemap-via-danielrose;naturalearth-50m-admin0",
    "cyterat/deepstate-map-data": "deepstatemap-via-cyterat;naturalearth-50m-admin0",
}
# Mean Earth radius (IUGG R1), as in deepstrike.geo: the sphere errs by at most ~0.5% against
# WGS84, far inside the uncertainty of a strike system's range.
EARTH_RADIUS_KM = 6371.0088
_PRECISION = 1e5
# Points x segments handled at once. It bounds memory: each block holds about six (c, m, 3)
# float arrays, so 2,000,000 took some 240 MB at once (the supply map grid); 250,000 takes
# about 36 MB and is faster, the blocks fitting the cache better (0.95 s -> 0.39 s).
_CHUNK = 250_000


# ---------------------------------------------------------------------------------------------
# Google encoded polylines
# ---------------------------------------------------------------------------------------------


def _encode_value(value: int) -> str:
    value = ~(value << 1) if value < 0 else value << 1
    out = []
    while value >= 0x20:
        out.append(chr((0x20 | (value & 0x1F)) + 63))
        value >>= 5
    out.append(chr(value + 63))
    return "".join(out)


def encode_polyline(points: Iterable[Sequence[float]]) -> str:
    """Google encoded polyline of (lat, lon) points, precision 1e-5 (about 1 m)."""
    out = []
    prev_lat = prev_lon = 0
    for lat, lon in points:
        ilat, ilon = round(float(lat) * _PRECISION), round(float(lon) * _PRECISION)
        out.append(_encode_value(ilat - prev_lat))
        out.append(_encode_value(ilon - prev_lon))
        prev_lat, prev_lon = ilat, ilon
    return "".join(out)


def decode_polyline(text: str) -> np.ndarray:
    """Decode a Google encoded polyline into an (n, 2) array of (lat, lon) in degrees."""
    values: list[int] = []
    shift = result = 0
    for char in text:
        byte = ord(char) - 63
        if byte < 0 or byte > 0x3F:
            raise ValueError(f"not an encoded polyline: character {char!r}")
        result |= (byte & 0x1F) << shift
        shift += 5
        if byte < 0x20:
            values.append(~(result >> 1) if result & 1 else result >> 1)
            shift = result = 0
    if shift or len(values) % 2:
        raise ValueError("not an encoded polyline: truncated")
    coords = np.cumsum(np.asarray(values, dtype=np.int64).reshape(-1, 2), axis=0)
    return coords.astype(float) / _PRECISION


# ---------------------------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------------------------


def load(path: str | Path | None = None) -> pd.DataFrame:
    """data/front_line.csv as a DataFrame sorted by (valid_from, part).

    valid_from is a pandas Timestamp (midnight); polyline stays encoded (see `line_at`).
    """
    path = Path(path) if path is not None else paths.data_dir() / FILE_NAME
    frame = pd.read_csv(
        path, dtype={"polyline": str, "upstream_commit": str}, keep_default_na=False
    )
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: missing columns {missing}")
    frame["valid_from"] = pd.to_datetime(frame["valid_from"], format="%Y-%m-%d")
    frame["part"] = frame["part"].astype(int)
    frame["n_vertices"] = frame["n_vertices"].astype(int)
    return frame.sort_values(["valid_from", "part"], kind="stable").reset_index(drop=True)


def line_at(as_of: str | date | datetime | pd.Timestamp, frame: pd.DataFrame) -> dict:
    """The line in force on `as_of`: the stored date with the latest valid_from <= as_of.

    Returns dict(valid_from, parts, upstream_repo, commit, file): parts is a list of (n, 2)
    (lat, lon) arrays, held ground on the left of each. Raises ValueError before the first date.
    """
    when = pd.Timestamp(as_of).normalize()
    if frame.empty:
        raise ValueError("the front-line table is empty")
    dates = frame["valid_from"]
    first = dates.min()
    if when < first:
        raise ValueError(
            f"no front line before {first.date().isoformat()} (asked for {when.date().isoformat()})"
        )
    valid_from = dates[dates <= when].max()
    rows = frame[dates == valid_from].sort_values("part")
    parts = [decode_polyline(text) for text in rows["polyline"]]
    for part, n in zip(parts, rows["n_vertices"], strict=True):
        if len(part) != n:
            raise ValueError(
                f"{valid_from.date()}: a part decodes to {len(part)} vertices, not {n}"
            )
    head = rows.iloc[0]
    return {
        "valid_from": valid_from,
        "parts": parts,
        "upstream_repo": head["upstream_repo"],
        "commit": head["upstream_commit"],
        "file": head["upstream_file"],
    }


# ---------------------------------------------------------------------------------------------
# Distances on the sphere
# ---------------------------------------------------------------------------------------------


def _unit(lat, lon) -> np.ndarray:  # noqa: ANN001 - array-likes
    phi, lam = np.radians(lat), np.radians(lon)
    return np.stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)], axis=-1)


def _segments(parts: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every segment of every part: start and end unit vectors, unit normal, degenerate flag."""
    starts, ends = [], []
    for raw in parts:
        part = np.asarray(raw, dtype=float).reshape(-1, 2)
        if len(part) == 1:
            part = np.vstack([part, part])
        if len(part) < 2:
            continue
        xyz = _unit(part[:, 0], part[:, 1])
        starts.append(xyz[:-1])
        ends.append(xyz[1:])
    if not starts:
        raise ValueError("the line has no vertex")
    a, b = np.concatenate(starts), np.concatenate(ends)
    normal = np.cross(a, b)
    norm = np.linalg.norm(normal, axis=1)
    degenerate = norm < 1e-15
    normal[~degenerate] /= norm[~degenerate, None]
    return a, b, normal, degenerate


def distance_km(lat, lon, parts: Sequence[np.ndarray]) -> np.ndarray:  # noqa: ANN001
    """Great-circle distance (km) from each point to the nearest point of the line.

    lat, lon: degrees, scalars or arrays of one shape; parts: (n, 2) (lat, lon) arrays as from
    `line_at`. Each segment is the great-circle arc between its vertices and the foot of the
    perpendicular is found exactly on the sphere (vectorised over points x segments), so the only
    error against the stored line is the sphere's (< 0.5%, as in deepstrike.geo); against
    DeepStateMap's own edge add the simplification tolerance (1 km, see data/README).
    """
    shape = np.shape(lat)
    p = _unit(np.ravel(np.asarray(lat, dtype=float)), np.ravel(np.asarray(lon, dtype=float)))
    a, b, nrm, degenerate = _segments(parts)
    best = np.full(len(p), np.inf)
    step = max(1, _CHUNK // len(a))
    for i in range(0, len(p), step):
        q = p[i : i + step, None, :]  # (c, 1, 3) against (m, 3)
        da = np.arccos(np.clip(np.einsum("cij,ij->ci", q, a), -1.0, 1.0))
        db = np.arccos(np.clip(np.einsum("cij,ij->ci", q, b), -1.0, 1.0))
        s = np.einsum("cij,ij->ci", q, nrm)  # sine of the angle to the segment's great circle
        foot = q - s[..., None] * nrm[None, :, :]
        # The foot lies within the arc when it is on b's side of a and on a's side of b.
        within = (np.einsum("cij,ij->ci", np.cross(a[None], foot), nrm) >= 0) & (
            np.einsum("cij,ij->ci", np.cross(foot, b[None]), nrm) >= 0
        )
        within &= ~degenerate[None, :]
        perpendicular = np.arcsin(np.clip(np.abs(s), 0.0, 1.0))
        best[i : i + step] = np.where(within, perpendicular, np.minimum(da, db)).min(axis=1)
    return (best * EARTH_RADIUS_KM).reshape(shape)


# The line's open ends are the Poland-Belarus-Ukraine tripoint and the Black Sea coast at the
# Dnipro-Buh estuary. To tell the held side, the line is closed by this path (lat, lon) through
# Poland, Hungary, Romania and the Black Sea (south of Snake Island, then between Ochakiv and the
# Kinburn spit): everything inside the loop is the held side, minus occupied pockets.
CLOSURE = (
    (51.0, 23.0),
    (49.0, 22.0),
    (48.0, 21.8),
    (45.5, 28.0),
    (45.0, 29.7),
    (45.0, 30.4),
    (46.0, 31.2),
    (46.58, 31.45),
    (46.55, 31.9),
)
_ANCHORS = {"end": (51.50, 23.62), "start": (46.55, 32.2)}
_ANCHOR_KM = 60.0


def _loops(parts: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Closed rings as they are, open parts chained end to start and closed by CLOSURE."""
    loops, open_parts = [], []
    for raw in parts:
        part = np.asarray(raw, dtype=float).reshape(-1, 2)
        if len(part) < 2:
            continue
        (loops if np.array_equal(part[0], part[-1]) else open_parts).append(part)
    if not open_parts:
        return loops
    chains: list[np.ndarray] = []
    rest = list(open_parts)
    while rest:
        chain = rest.pop(0)
        grown = True
        while grown:
            grown = False
            for i, other in enumerate(rest):
                if np.array_equal(chain[-1], other[0]):
                    chain = np.vstack([chain, other[1:]])
                elif np.array_equal(other[-1], chain[0]):
                    chain = np.vstack([other, chain[1:]])
                else:
                    continue
                rest.pop(i)
                grown = True
                break
        chains.append(chain)
    if len(chains) != 1:
        raise ValueError(f"the line has {len(chains)} open chains; the held side needs one")
    chain = chains[0]
    for key, point in (("start", chain[0]), ("end", chain[-1])):
        km = _haversine(point[0], point[1], *_ANCHORS[key])
        if km > _ANCHOR_KM:
            raise ValueError(
                f"the line's {key} ({point[0]:.2f}, {point[1]:.2f}) is {km:.0f} km from "
                f"{_ANCHORS[key]}: CLOSURE does not fit it"
            )
    loops.append(np.vstack([chain, np.asarray(CLOSURE), chain[:1]]))
    return loops


def _haversine(lat1, lon1, lat2, lon2) -> np.ndarray:  # noqa: ANN001
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = (
        np.sin((p2 - p1) / 2) ** 2
        + np.cos(p1) * np.cos(p2) * np.sin(np.radians(np.subtract(lon2, lon1)) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def on_held_side(lat, lon, parts: Sequence[np.ndarray]) -> np.ndarray:  # noqa: ANN001
    """True for points on the Ukrainian-held side of the line.

    The open line (from the Dnipro-Buh estuary to the Poland-Belarus-Ukraine tripoint, held
    ground on its left) is closed by CLOSURE through third countries and the sea; a point is on
    the held side when it lies inside an odd number of the loops (the closed line and any
    pockets), tested in the (lon, lat) plane. Third countries inside the loop (Moldova) and the
    sea are meaningless here. Raises ValueError if the line's ends do not fit CLOSURE.
    """
    shape = np.shape(lat)
    py = np.ravel(np.asarray(lat, dtype=float))
    px = np.ravel(np.asarray(lon, dtype=float))
    inside = np.zeros(px.size, dtype=bool)
    for loop in _loops(parts):
        y1, x1 = loop[:-1, 0], loop[:-1, 1]
        y2, x2 = loop[1:, 0], loop[1:, 1]
        step = max(1, _CHUNK // len(y1))
        for i in range(0, px.size, step):
            qy, qx = py[i : i + step, None], px[i : i + step, None]
            crosses = (y1 > qy) != (y2 > qy)
            with np.errstate(divide="ignore", invalid="ignore"):
                x_at = x1 + (qy - y1) * (x2 - x1) / (y2 - y1)
            inside[i : i + step] ^= (crosses & (qx < x_at)).sum(axis=1) % 2 == 1
    return inside.reshape(shape)


def distance_to_held_km(lat, lon, parts: Sequence[np.ndarray]) -> np.ndarray:  # noqa: ANN001
    """Distance (km) to the nearest Ukrainian-held ground: 0 on held ground, else `distance_km`."""
    return np.where(on_held_side(lat, lon, parts), 0.0, distance_km(lat, lon, parts))
