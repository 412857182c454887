"""Great-circle geometry and launch geometry: distances to Ukrainian-held ground on a date.

Reach is measured from the edge of Ukrainian-held ground in force on the as-of date (the dated
DeepStateMap line, data/front_line.csv) plus the standoff of the launcher type
(deepstrike.launch), so every chapter and the map agree on what each weapon reaches."""

from __future__ import annotations

import numpy as np
import pandas as pd

from deepstrike import front_line

# Mean Earth radius (IUGG, R1). Against the WGS84 ellipsoid the haversine distance errs by
# at most about 0.5%, well inside the uncertainty of missile ranges.
EARTH_RADIUS_KM = 6371.0088


def distance_km(lat1, lon1, lat2, lon2) -> np.ndarray:  # noqa: ANN001 - array-likes
    """Haversine distance; inputs in degrees, broadcast against each other."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def contour(  # noqa: C901
    values: np.ndarray,
    ys,  # noqa: ANN001
    xs,  # noqa: ANN001
    level: float,
    keep: np.ndarray | None = None,
) -> list[list[tuple[float, float]]]:
    """Polylines [(y, x), ...] where a gridded field crosses `level` (marching squares).

    With `keep` (a boolean grid), cells with any corner outside it are skipped.
    """
    ys, xs = np.asarray(ys, float), np.asarray(xs, float)
    v = np.asarray(values, float) - level
    segments: list[tuple[tuple[float, float], tuple[float, float]]] = []

    def cross(ya, xa, va, yb, xb, vb):  # noqa: ANN001, ANN202
        t = va / (va - vb)
        return (round(ya + t * (yb - ya), 6), round(xa + t * (xb - xa), 6))

    above = v > 0
    mixed = (
        (above[:-1, :-1] != above[1:, :-1])
        | (above[:-1, :-1] != above[:-1, 1:])
        | (above[:-1, :-1] != above[1:, 1:])
    )
    if keep is not None:
        k = np.asarray(keep, bool)
        mixed &= k[:-1, :-1] & k[1:, :-1] & k[:-1, 1:] & k[1:, 1:]
    for i, j in zip(*np.nonzero(mixed), strict=True):
        y0, y1, x0, x1 = ys[i], ys[i + 1], xs[j], xs[j + 1]
        c = [
            (y0, x0, v[i, j]),
            (y0, x1, v[i, j + 1]),
            (y1, x1, v[i + 1, j + 1]),
            (y1, x0, v[i + 1, j]),
        ]
        pts = []
        for k in range(4):
            ya, xa, va = c[k]
            yb, xb, vb = c[(k + 1) % 4]
            if (va > 0) != (vb > 0):
                pts.append(cross(ya, xa, va, yb, xb, vb))
        for k in range(0, len(pts) - 1, 2):
            segments.append((pts[k], pts[k + 1]))
    # Stitch segments that share end points into polylines.
    ends: dict[tuple[float, float], list[int]] = {}
    for n, (a, b) in enumerate(segments):
        ends.setdefault(a, []).append(n)
        ends.setdefault(b, []).append(n)
    used = [False] * len(segments)
    lines = []
    for n in range(len(segments)):
        if used[n]:
            continue
        used[n] = True
        line = list(segments[n])
        for forward in (True, False):
            while True:
                tip = line[-1] if forward else line[0]
                nxt = next((m for m in ends.get(tip, []) if not used[m]), None)
                if nxt is None:
                    break
                used[nxt] = True
                a, b = segments[nxt]
                point = b if a == tip else a
                if forward:
                    line.append(point)
                else:
                    line.insert(0, point)
        lines.append(line)
    return lines


def held_edge(front: pd.DataFrame, as_of: object) -> dict:
    """The edge of Ukrainian-held ground in force on `as_of` (front_line.line_at)."""
    return front_line.line_at(as_of, front)


def distance_to_held_km(lat, lon, parts) -> np.ndarray:  # noqa: ANN001
    """Great-circle distance from each point to Ukrainian-held ground (0 on it)."""
    lat = np.atleast_1d(np.asarray(lat, float))
    lon = np.atleast_1d(np.asarray(lon, float))
    return front_line.distance_to_held_km(lat, lon, parts)


def held_grid(lats, lons, parts) -> tuple[np.ndarray, np.ndarray]:  # noqa: ANN001
    """Distance to held ground and a held-ground mask on the grid lats x lons."""
    glat, glon = np.meshgrid(np.asarray(lats, float), np.asarray(lons, float), indexing="ij")
    flat = distance_to_held_km(glat.ravel(), glon.ravel(), parts)
    distance = flat.reshape(glat.shape)
    return distance, distance <= 0.0


def in_reach(distance_km, range_km: float, standoff_km: float) -> np.ndarray:  # noqa: ANN001
    """A target is in reach when its distance to held ground plus the standoff is within range."""
    return np.asarray(distance_km, float) + standoff_km <= range_km
