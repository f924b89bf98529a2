"""Persons, their periods of level/workplace/region/unit, units and exemptions."""
