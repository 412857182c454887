"""Great-circle distances between points and from points to a line (the front), vectorised."""

from __future__ import annotations

import numpy as np

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
