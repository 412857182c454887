"""Chapter 1, Pattern: does Washington refuse, then approve late?"""

from deepstrike.chapter import Chapter
from deepstrike.chapters.pattern.model import analyse, key_numbers
from deepstrike.chapters.pattern.params import PatternParams

CHAPTER = Chapter(
    name="pattern",
    order=1,
    title="Pattern: refuse, then approve?",
    notebook="01_pattern.ipynb",
    params=PatternParams,
    tables=("pattern_events",),
    analyse=analyse,
    key_numbers=key_numbers,
)
