"""The application clock. Nothing else in the code reads the system time."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class AdjustableClock:
    """Real time shifted by an offset; the local stack's ``/dev/clock`` moves it.

    After ``set(t)`` time keeps running from ``t``, so waiting still works as it does in
    production.
    """

    def __init__(self) -> None:
        self._offset = timedelta(0)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return datetime.now(UTC) + self._offset

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._offset = moment - datetime.now(UTC)

    def reset(self) -> None:
        with self._lock:
            self._offset = timedelta(0)


class FixedClock:
    """Test clock: stands still until moved."""

    def __init__(self, moment: datetime) -> None:
        self._now = moment

    def now(self) -> datetime:
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = moment

    def advance(self, **delta: float) -> None:
        self._now += timedelta(**delta)

    def reset(self) -> None:  # pragma: no cover - parity with AdjustableClock
        pass


def iso(moment: datetime) -> str:
    """ISO 8601 UTC with ``Z``, millisecond precision, sortable as a string."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{moment.microsecond // 1000:03d}Z"
    )


def parse_iso(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("timestamp without timezone")
    return moment.astimezone(UTC)


def berlin_date(moment: datetime) -> date:
    return moment.astimezone(BERLIN).date()


def epoch_seconds(moment: datetime) -> int:
    return int(moment.timestamp())
