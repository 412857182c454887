"""Chapter 3, Drones: are long-range drones cheaper per effective hit, and do they reach deeper?"""

from deepstrike.chapter import Chapter
from deepstrike.chapters.drones.model import analyse, key_numbers
from deepstrike.chapters.drones.params import DronesParams

CHAPTER = Chapter(
    name="drones",
    order=3,
    title="Drone alternatives: cheaper, deeper?",
    notebook="03_drones.ipynb",
    params=DronesParams,
    tables=(
        "strike_systems",
        "targets",
        "deep_targets",
        "front_line",
        "drone_production",
        "drone_claims",
        "drone_strikes",
        "refinery_offline",
        "drone_funding",
        "donor_supply",
        "raid_outcomes",
    ),
    analyse=analyse,
    key_numbers=key_numbers,
    shared=("launch",),
)
