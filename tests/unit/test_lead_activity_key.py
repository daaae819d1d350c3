"""The lead's inquiry is written under the sort key the registration keeps: verifying it
(unlock POST, agency approval) updates that key with the condition ``verified = false``.
Seen in the browser tests: when the clock moved a millisecond between the two reads of
it, the key pointed at no item and every approval answered 503."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.privacy.addresses import AddressBook, LeadContact, LeadState


class TickingClock:
    """Each read is a millisecond later, as under load."""

    def __init__(self) -> None:
        self._now = datetime(2026, 12, 2, 2, 42, 51, tzinfo=UTC)

    def now(self) -> datetime:
        self._now += timedelta(milliseconds=1)
        return self._now


class RecordingTransaction:
    def __init__(self) -> None:
        self.puts: list[tuple[dict[str, Any], str]] = []

    def put(self, _table: Any, item: dict[str, Any], condition: Any = None,
            label: str = "") -> None:
        self.puts.append((item, label))

    def check(self, *_args: Any, **_kwargs: Any) -> None:
        pass

    def delete(self, *_args: Any, **_kwargs: Any) -> None:
        pass


def _activities(tx: RecordingTransaction) -> list[dict[str, Any]]:
    return [item for item, label in tx.puts if label == "activity"]


def test_a_new_leads_inquiry_is_stored_under_the_key_it_reports() -> None:
    tx = RecordingTransaction()
    ref = AddressBook(table=None, clock=TickingClock()).stage_lead(  # type: ignore[arg-type]
        tx, "demo", LeadState(None), LeadContact(email="max@example.org"),
        {"type": "inquiry", "source": "tour_registration"})
    [activity] = _activities(tx)
    assert (activity["sk"], activity["verified"]) == (ref.activity_sk, False)


def test_a_known_addresses_inquiry_is_stored_under_the_key_it_reports() -> None:
    tx = RecordingTransaction()
    ref = AddressBook(table=None, clock=TickingClock()).stage_lead(  # type: ignore[arg-type]
        tx, "demo", LeadState("a1"), LeadContact(email="max@example.org"),
        {"type": "inquiry", "source": "tour_registration"})
    [activity] = _activities(tx)
    assert activity["sk"] == ref.activity_sk and activity["pk"].endswith("#a1")
