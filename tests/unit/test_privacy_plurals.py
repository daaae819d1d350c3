"""Counts in the GDPR texts agree with their number: a retention of one day (the settings
allow 1 to 3650) reads "1 Tag", never "1 Tage"."""

from __future__ import annotations

import pytest

from chalicelib.privacy.notice import storage_period


@pytest.mark.parametrize(("days", "phrase"), [(1, "noch 1 Tag danach"),
                                              (2, "noch 2 Tage danach"),
                                              (30, "noch 30 Tage danach")])
def test_the_storage_period_counts_its_days(days: int, phrase: str) -> None:
    assert phrase in storage_period({}, days)
