"""Chapter 4, Escalation: how might Moscow respond to the permission to strike deeper?"""

from deepstrike.chapter import Chapter
from deepstrike.chapters.escalation.model import analyse, key_numbers
from deepstrike.chapters.escalation.params import EscalationParams

CHAPTER = Chapter(
    name="escalation",
    order=4,
    title="Escalation risk: how might Moscow respond?",
    notebook="04_escalation.ipynb",
    params=EscalationParams,
    tables=(
        "escalation_steps",
        "escalation_responses",
        "sabotage_incidents",
        "dprk_troops",
        "escalation_estimates",
    ),
    analyse=analyse,
    key_numbers=key_numbers,
)
