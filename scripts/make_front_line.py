"""Derive data/front_line.csv: the edge of Ukrainian-held ground facing Russian forces, Nov 2024.

Two parts, in order from the Belarus tripoint to the Black Sea:
1. the Russia-Ukraine land border, taken from the vendored Natural Earth topojson
   (data/topojson/europe_50m.json, shared RUS/UKR arcs), thinned to about one vertex per 15 km,
   with the Kursk salient (Ukrainian-held ground in Russia, about 800 km2 in late Nov 2024)
   spliced in where it meets the border;
2. the front line from the Kharkiv border to the Dnipro mouth, through front-line settlements
   named in the cited reports. Vertices are placed by hand at those settlements' coordinates:
   accurate to roughly 10-20 km, enough for 165/300 km range rings, not for tactical use.

Run from the repository root: python scripts/make_front_line.py
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VALID_FROM = "2024-11-18"
LINE_ID = "ua_held_edge"

NE = (
    "Natural Earth 1:50m admin-0 boundaries via plotly.js 4.1.1 europe_50m topojson",
    "https://www.naturalearthdata.com/downloads/50m-cultural-vectors/",
    "2024-11-18",
)
KURSK = (
    "Ukraine loses over 40% of its controlled territory in Russia's Kursk Oblast - Reuters "
    "(Ukrainska Pravda)",
    "https://www.pravda.com.ua/eng/news/2024/11/23/7486026/",
    "2024-11-23",
)
ISW = (
    "Key Takeaways from the ISW (Kyiv Post), Russian Offensive Campaign Assessment",
    "https://www.kyivpost.com/post/41989",
    "2024-11-10",
)
RM = (
    "Russia Matters: Russia preparing for offensive in south (citing ISW and The Economist)",
    "https://natyliesbaldwin.com/2024/11/russia-matters-russia-preparing-for-offensive-in-south-as-some-see-its-gains-ending-stalemate",
    "2024-11-25",
)

# Kursk salient around Sudzha, west to east (about 30 x 30 km, ~800 km2 per the source).
SALIENT = [
    (51.33, 35.05, "Kursk salient, west edge (near Olgovka)"),
    (51.38, 35.20, "Kursk salient, north edge (near Malaya Loknya)"),
    (51.32, 35.42, "Kursk salient, north-east edge"),
    (51.19, 35.52, "Kursk salient, east edge (east of Sudzha)"),
]
SALIENT_BORDER = ((51.15, 34.98), (51.07, 35.55))  # where the salient leaves and rejoins the border

# Front line, north to south (Ukrainian-held side); the border is followed up to the first point.
FRONT = [
    (50.10, 37.90, "Kharkiv oblast border east of Vovchansk", ISW),
    (49.75, 37.74, "Synkivka, north-east of Kupiansk", ISW),
    (49.70, 37.68, "Kupiansk, east bank of the Oskil", ISW),
    (49.53, 37.70, "Kruhliakivka on the Oskil", ISW),
    (49.30, 37.85, "west of Svatove (Borova direction)", ISW),
    (49.05, 37.95, "west of Kreminna (Terny)", ISW),
    (48.87, 38.12, "Siversk", ISW),
    (48.60, 37.86, "Chasiv Yar", ISW),
    (48.40, 37.85, "Toretsk", ISW),
    (48.28, 37.30, "east of Pokrovsk", ISW),
    (48.10, 37.25, "west of Selydove", ISW),
    (47.98, 37.25, "Kurakhove", ISW),
    (47.80, 37.10, "west of Vuhledar", RM),
    (47.84, 36.83, "Velyka Novosilka", RM),
    (47.65, 36.50, "Vremivka direction, Zaporizhzhia-Donetsk boundary", RM),
    (47.50, 36.10, "Huliaipole front", RM),
    (47.45, 35.84, "Robotyne", RM),
    (47.50, 35.40, "Kamianske, Kakhovka reservoir", RM),
    (47.55, 34.90, "Kakhovka reservoir, north shore", RM),
    (47.56, 34.40, "Nikopol, north shore", RM),
    (47.15, 33.85, "Beryslav, right bank of the Dnipro", RM),
    (46.64, 32.62, "Kherson, right bank of the Dnipro", RM),
    (46.50, 31.95, "Dnipro-Buh estuary (Stanislav)", RM),
]


def decode_arcs(topo: dict) -> list[list[tuple[float, float]]]:
    sx, sy = topo["transform"]["scale"]
    tx, ty = topo["transform"]["translate"]
    out = []
    for arc in topo["arcs"]:
        x = y = 0
        pts = []
        for dx, dy in arc:
            x += dx
            y += dy
            pts.append((x * sx + tx, y * sy + ty))  # (lon, lat)
        out.append(pts)
    return out


def arc_ids(geom: dict) -> set[int]:
    ids: set[int] = set()

    def walk(node):  # noqa: ANN001
        if isinstance(node, int):
            ids.add(node if node >= 0 else ~node)
        else:
            for item in node:
                walk(item)

    walk(geom["arcs"])
    return ids


def km(a: tuple[float, float], b: tuple[float, float]) -> float:
    (la1, lo1), (la2, lo2) = a, b
    p1, p2 = math.radians(la1), math.radians(la2)
    h = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lo2 - lo1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def border() -> list[tuple[float, float]]:
    topo = json.loads((ROOT / "data/topojson/europe_50m.json").read_text(encoding="utf-8"))
    geoms = {g.get("id"): g for g in topo["objects"]["countries"]["geometries"]}
    shared = arc_ids(geoms["RUS"]) & arc_ids(geoms["UKR"])
    arcs = decode_arcs(topo)
    segments = [[(lat, lon) for lon, lat in arcs[i]] for i in sorted(shared)]
    # Stitch the shared arcs into one chain starting at the northern (Belarus) end.
    chain = max(segments, key=lambda s: max(p[0] for p in s))
    if chain[0][0] < chain[-1][0]:
        chain = chain[::-1]
    rest = [s for s in segments if s is not chain]
    while rest:
        end = chain[-1]
        best = min(rest, key=lambda s: min(km(end, s[0]), km(end, s[-1])))
        rest.remove(best)
        chain += best[1:] if km(end, best[0]) <= km(end, best[-1]) else best[::-1][1:]
    return chain


def thin(points: list[tuple[float, float]], step_km: float) -> list[tuple[float, float]]:
    out = [points[0]]
    for p in points[1:-1]:
        if km(out[-1], p) >= step_km:
            out.append(p)
    out.append(points[-1])
    return out


def main() -> None:
    chain = border()
    stop = min(range(len(chain)), key=lambda i: km(chain[i], FRONT[0][:2]))
    chain = thin(chain[: stop + 1], 15.0)
    k_in = min(range(len(chain)), key=lambda i: km(chain[i], SALIENT_BORDER[0]))
    k_out = min(range(len(chain)), key=lambda i: km(chain[i], SALIENT_BORDER[1]))
    rows = []

    def add(lat, lon, segment, place, src):  # noqa: ANN001
        rows.append(
            [LINE_ID, len(rows) + 1, round(lat, 4), round(lon, 4), VALID_FROM, segment, place, *src]
        )

    for lat, lon in chain[: k_in + 1]:
        add(lat, lon, "border", "Russia-Ukraine border", NE)
    for lat, lon, place in SALIENT:
        add(lat, lon, "kursk_salient", place, KURSK)
    for lat, lon in chain[k_out:-1]:
        add(lat, lon, "border", "Russia-Ukraine border", NE)
    for lat, lon, place, src in FRONT:
        add(lat, lon, "front", place, src)
    header = [
        "line_id",
        "seq",
        "lat",
        "lon",
        "valid_from",
        "segment",
        "place",
        "source_title",
        "source_url",
        "source_date",
    ]
    with open(ROOT / "data/front_line.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    print(f"wrote {len(rows)} vertices")


if __name__ == "__main__":
    main()
