"""Great-circle distances between points and from points to a line (the front), vectorised."""

from __future__ import annotations

import numpy as np
import pandas as pd

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


def densify(lats, lons, step_km: float = 2.0) -> tuple[np.ndarray, np.ndarray]:  # noqa: ANN001
    """Points along a polyline at most `step_km` apart (linear in degrees within a segment)."""
    lats, lons = np.asarray(lats, float), np.asarray(lons, float)
    out_lat, out_lon = [lats[:1]], [lons[:1]]
    for i in range(len(lats) - 1):
        seg = float(distance_km(lats[i], lons[i], lats[i + 1], lons[i + 1]))
        n = max(1, int(np.ceil(seg / step_km)))
        t = np.linspace(0, 1, n + 1)[1:]
        out_lat.append(lats[i] + t * (lats[i + 1] - lats[i]))
        out_lon.append(lons[i] + t * (lons[i + 1] - lons[i]))
    return np.concatenate(out_lat), np.concatenate(out_lon)


def distance_to_line_km(lat, lon, line_lats, line_lons, step_km: float = 2.0) -> np.ndarray:  # noqa: ANN001
    """Shortest distance from each point to a polyline, within about step_km / 2."""
    dl, dn = densify(line_lats, line_lons, step_km)
    lat = np.atleast_1d(np.asarray(lat, float))
    lon = np.atleast_1d(np.asarray(lon, float))
    return distance_km(lat[:, None], lon[:, None], dl[None, :], dn[None, :]).min(axis=1)


def distance_grid_km(lats, lons, line_lats, line_lons, step_km: float = 5.0) -> np.ndarray:  # noqa: ANN001
    """Distance from each point of the grid lats x lons to the polyline, shape (lats, lons)."""
    glat, glon = np.meshgrid(np.asarray(lats, float), np.asarray(lons, float), indexing="ij")
    flat_lat, flat_lon = glat.ravel(), glon.ravel()
    out = np.empty(flat_lat.size)
    chunk = 4000  # bounds memory: chunk x line points
    for i in range(0, flat_lat.size, chunk):
        out[i : i + chunk] = distance_to_line_km(
            flat_lat[i : i + chunk], flat_lon[i : i + chunk], line_lats, line_lons, step_km
        )
    return out.reshape(glat.shape)


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


def side_of_line(lats, lons, line_lats, line_lons, step_km: float = 5.0) -> np.ndarray:  # noqa: ANN001
    """+1 for points left of the polyline (walking from its first vertex), -1 for right.

    Decided at the nearest point of the densified line, in a local equirectangular plane.
    """
    dl, dn = densify(line_lats, line_lons, step_km)
    lat = np.atleast_1d(np.asarray(lats, float)).ravel()
    lon = np.atleast_1d(np.asarray(lons, float)).ravel()
    out = np.empty(lat.size)
    for i in range(0, lat.size, 4000):
        la, lo = lat[i : i + 4000], lon[i : i + 4000]
        k = distance_km(la[:, None], lo[:, None], dl[None, :], dn[None, :]).argmin(axis=1)
        prev, nxt = np.maximum(k - 1, 0), np.minimum(k + 1, dl.size - 1)
        scale = np.cos(np.radians(dl[k]))
        tx, ty = (dn[nxt] - dn[prev]) * scale, dl[nxt] - dl[prev]
        vx, vy = (lo - dn[k]) * scale, la - dl[k]
        out[i : i + 4000] = np.where(tx * vy - ty * vx >= 0, 1.0, -1.0)
    return out.reshape(np.shape(lats)) if np.ndim(lats) else out


def launch_line(
    front: pd.DataFrame, line_id: str = "ua_held_edge"
) -> tuple[np.ndarray, np.ndarray]:
    """Vertices of the latest version of the line in `front` (already filtered by as-of date)."""
    part = front[front["line_id"] == line_id]
    if part.empty:
        raise ValueError(f"no vertices for line {line_id!r} on or before the as-of date")
    latest = part[part["valid_from"] == part["valid_from"].max()].sort_values("seq")
    return latest["lat"].to_numpy(float), latest["lon"].to_numpy(float)
