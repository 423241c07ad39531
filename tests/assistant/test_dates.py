"""Dates as a French reader expects them: day, month name, year, and « 1er » for the first of the month."""

from __future__ import annotations

import pytest

from assistant.dates import french_date


@pytest.mark.parametrize(("iso", "shown"), [
    ("2026-10-15", "15 octobre 2026"),
    ("2026-11-25T21:47:00+00:00", "25 novembre 2026"),
    ("2026-12-01", "1er décembre 2026"),
    ("2027-02-02", "2 février 2027"),
    ("pas une date", "pas une date"),
])
def test_dates_are_written_the_french_way(iso, shown):
    assert french_date(iso) == shown
