"""Chapter 2, Missile supply: how long Ukraine's ATACMS stock lasts, and what it can reach."""

from deepstrike.chapter import Chapter
from deepstrike.chapters.supply.model import analyse, key_numbers
from deepstrike.chapters.supply.params import SupplyParams

CHAPTER = Chapter(
    name="supply",
    order=2,
    title="Missile supply: how long, how far?",
    notebook="02_supply.ipynb",
    params=SupplyParams,
    tables=(
        "strike_systems",
        "atacms_supply",
        "atacms_launches",
        "targets",
        "reach_reference",
        "front_line",
        "pattern_events",
    ),
    analyse=analyse,
    key_numbers=key_numbers,
    shared=("launch",),
)
