"""Art. 12(3): "Auskunftsersuchen erhalten am …" with the one-month deadline, listed until
answered."""

from __future__ import annotations

from datetime import date
from typing import Any

from chalicelib.privacy.access_requests import one_month_after
from tests.conftest import DEMO, OTHER
from tests.functional.privacy.support import create_address, day, ok, set_day

BASE = "/agency/gdpr/access-requests"


def test_one_month_rule_at_month_ends() -> None:
    assert one_month_after(date(2026, 11, 23)) == date(2026, 12, 23)
    assert one_month_after(date(2027, 1, 31)) == date(2027, 2, 28)
    assert one_month_after(date(2028, 1, 31)) == date(2028, 2, 29)
    assert one_month_after(date(2026, 12, 15)) == date(2027, 1, 15)


def test_recorded_listed_until_answered(http: Any, clock: Any) -> None:
    person = create_address(http, email="eva@example.org")["address_id"]
    first = ok(http.post(BASE, {"address_id": person, "received_on": day(-3)}, token=DEMO), 201)
    assert first["due_on"] == "2026-12-20" and first["status"] == "open"
    second = ok(http.post(BASE, {}, token=DEMO), 201)             # received today
    assert second["received_on"] == day(0) and second["due_on"] == "2026-12-23"
    listed = ok(http.get(BASE, token=DEMO))
    assert [r["request_id"] for r in listed["requests"]] == [first["request_id"],
                                                             second["request_id"]]
    assert listed["total"] == 2 and not any(r["overdue"] for r in listed["requests"])
    set_day(clock, 28)
    assert [r["overdue"] for r in ok(http.get(BASE, token=DEMO))["requests"]] == [True, False]
    done = ok(http.post(f"{BASE}/{first['request_id']}/answer", token=DEMO))
    assert done["status"] == "answered" and done["answered_on"] == day(28)
    assert [r["request_id"] for r in ok(http.get(BASE, token=DEMO))["requests"]] == [
        second["request_id"]]
    again = http.post(f"{BASE}/{first['request_id']}/answer", token=DEMO)
    assert again.status == 409 and again.json["error"]["code"] == "already_answered"
    assert ok(http.get(BASE, token=OTHER))["requests"] == []


def test_bad_input(http: Any) -> None:
    for body in ({"received_on": day(1)}, {"received_on": "23.11.2026"}, {"x": 1},
                 {"address_id": 5}):
        reply = http.post(BASE, body, token=DEMO)
        assert reply.status == 422, (body, reply.body)
    assert http.post(BASE, {"address_id": "nope"}, token=DEMO).status == 404
    assert http.post(f"{BASE}/nope/answer", token=DEMO).status == 404
    assert http.post(BASE, body=b"{", token=DEMO).status == 400
    assert ok(http.get(BASE, token=DEMO))["requests"] == []
