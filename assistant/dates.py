"""Dates as a French reader expects them."""

from __future__ import annotations

MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre",
          "décembre")


def french_date(iso: str) -> str:
    """« 2026-10-15 » or « 2026-11-25T21:47:00+00:00 » -> « 15 octobre 2026 », « 2026-12-01 » -> « 1er décembre
    2026 »; anything else is shown as given."""
    try:
        year, month, day = (int(part) for part in iso[:10].split("-"))
        return f"{'1er' if day == 1 else day} {MONTHS[month - 1]} {year}"
    except (ValueError, IndexError):
        return iso
