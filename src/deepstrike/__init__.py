"""deepstrike: a parameterised briefing on Ukraine's long-range strike options."""

__version__ = "0.1.0"
