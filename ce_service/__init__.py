"""ce-service: the registry of continuing-education hours and its compliance service."""

__version__ = "0.1.0"
