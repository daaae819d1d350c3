"""Deletion that really deletes (issue section 5): a person with every kind of linked data
is erased from every table (checked by scanning all moto tables with a separate client),
a PII-free tombstone remains; a future store-until refuses; bulk answers per id; large
erasures are chunked; an interrupted erasure is finished by a repeated DELETE or the
nightly sweep."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse

from chalicelib.tours.model import rate_window
from chalicelib.tours.service import email_rate_key
from tests.conftest import DEMO, OTHER, START, registration_payload
from tests.functional.privacy.support import (
    activity,
    consent_request,
    create_address,
    create_property,
    day,
    delete,
    get_address,
    ok,
    relate,
    set_day,
    sweep,
)
from tests.support import all_items, links_of

EMAIL = "Zacharias.Quellenbach@example.org"
FIRST, LAST = "Zacharias", "Quellenbach"
NEEDLES = (EMAIL.lower(), FIRST.lower(), LAST.lower(), "quellenbach@")



def traces(tables: dict[str, list[dict[str, Any]]]) -> list[tuple[str, str]]:
    found = []
    for name, items in tables.items():
        for item in items:
            dumped = json.dumps(item, default=str, ensure_ascii=False).lower()
            found.extend((name, needle) for needle in NEEDLES if needle in dumped)
    return found


class SesDown:
    """Makes every SES send fail transiently while ``down`` (the mail stays pending in the
    outbox with its body)."""

    def __init__(self, client: Any) -> None:
        self.down = False
        client.meta.events.register("before-call.sesv2.SendEmail", self._hook)

    def _hook(self, **_: Any) -> Any:
        if not self.down:
            return None
        parsed = {"Error": {"Code": "TooManyRequestsException", "Message": "injected"},
                  "ResponseMetadata": {"HTTPStatusCode": 429}}
        return AWSResponse("https://email.eu-central-1.amazonaws.com", 429, {}, None), parsed


class TransactionKiller:
    """Raises on the n-th TransactWriteItems from now on (the process "dies" there)."""

    def __init__(self, client: Any) -> None:
        self.countdown: int | None = None
        self.sizes: list[int] = []
        client.meta.events.register("before-call.dynamodb.TransactWriteItems", self._hook)

    def _hook(self, params: dict[str, Any], **_: Any) -> None:
        self.sizes.append(len(json.loads(params["body"])["TransactItems"]))
        if self.countdown is None:
            return
        self.countdown -= 1
        if self.countdown == 0:
            self.countdown = None
            raise RuntimeError("killed")


@pytest.fixture
def killer(container: Any) -> TransactionKiller:
    return TransactionKiller(container.dynamodb)


def test_deleting_a_person_removes_them_from_every_table(http, container, outbox, make_tour,
                                                         clock, settings):
    ses = SesDown(container.ses)
    region = container.settings.region
    email_tour = make_tour("email")
    manual_tour = make_tour("manual", title="Penthouse", property_id="prop-2")
    # A tour lead twice (E-Mail-Freigabe, used link; manuelle Freigabe, pending request).
    first = http.post(f"/tours/{email_tour['tour_id']}/registrations", registration_payload(
        first_name=FIRST, last_name=LAST, email=EMAIL, phone="+49 30 5550001",
        message=f"Ich bin {FIRST} {LAST}")).json
    http.form_post(links_of(outbox()[-1], "unlock")[0])
    clock.advance(minutes=2)
    ses.down = True  # from here on mails stay pending in the outbox, with their bodies
    second = http.post(f"/tours/{manual_tour['tour_id']}/registrations", registration_payload(
        first_name=FIRST, last_name=LAST, email=EMAIL)).json
    # Someone else on the same tour stays.
    http.post(f"/tours/{email_tour['tour_id']}/registrations",
              registration_payload(email="bleibt@example.org", first_name="Berta"))
    [address] = ok(http.get(f"/agency/addresses?email={EMAIL}", token=DEMO))["addresses"]
    address_id = address["address_id"]
    # Activities with free text, a relation, a consent given through the link (the consent
    # mail and the agency's notice are pending), a correction request.
    clock.advance(minutes=2)
    activity(http, address_id, "note", note=f"Rückruf bei {FIRST} {LAST}, {EMAIL}")
    property_id = create_property(http, "Wohnung")
    ok(relate(http, property_id, address_id, "buyer"), 201)
    ses.down = False
    consent_request(http, address_id)
    consent_mail = [m for m in outbox() if m["to"] == [EMAIL.lower()] or m["to"] == [EMAIL]][-1]
    ses.down = True
    http.form_post(links_of(consent_mail, "consent")[0])
    http.form_post(links_of(consent_mail, "correction")[0],
                   f"correction=Ich+hei%C3%9Fe+{FIRST}+{LAST}")
    assert ok(http.get(f"/agency/addresses/{address_id}/consent-records",
                       token=DEMO))["records"]
    windows = {rate_window(START)[0]}
    counter_keys = [(f"RATE#{email_rate_key(settings.hash_key, tour['tour_id'], EMAIL, w)}",
                     "RATE") for tour in (email_tour, manual_tour) for w in windows]
    assert all(container.core_table.get(*k) for k in counter_keys)
    before = all_items(region)
    assert {t for t, _ in traces(before)} >= {"test-addresses", "test-tours", "test-core"}
    pending = [i for i in before["test-core"] if i["sk"] == "MAIL"
               and i["status"] == "pending"]
    assert len(pending) >= 3 and traces({"mails": pending})  # bodies with the person in them

    deleted = ok(delete(http, address_id))
    assert deleted["deleted"] == address_id
    tombstone = deleted["tombstone"]
    assert tombstone["status"] == "complete" and tombstone["reason"] == "agency_request"
    assert tombstone["by"]["kind"] == "api_key" and tombstone["deleted_on"] == day(0)
    assert tombstone["erased"]["registrations"] == 2
    assert [r["action"] for r in tombstone["consent_records"]] == ["consent"]
    assert len(tombstone["email_hash"]) == 64

    assert traces(all_items(region)) == []
    assert not any(container.core_table.get(*k) for k in counter_keys)
    # Seen from outside: gone, provably.
    assert http.get(f"/agency/addresses/{address_id}", token=DEMO).status == 404
    assert ok(http.get(f"/agency/addresses?email={EMAIL}", token=DEMO))["addresses"] == []
    proofs = ok(http.get(f"/agency/gdpr/deletions?email={EMAIL}", token=DEMO))["deletions"]
    assert [p["address_id"] for p in proofs] == [address_id]
    assert ok(http.get("/agency/gdpr/deletions?email=x@example.org", token=DEMO)) == {
        "deletions": []}
    access = http.get(f"/tours/{email_tour['tour_id']}/access",
                      headers={"X-Viewer-Token": first["viewer_token"]}).json
    assert access["status"] == "locked"
    assert http.post(f"/agency/registrations/{second['registration_id']}/approve",
                     token=DEMO).status == 404
    regs = ok(http.get(f"/agency/tours/{email_tour['tour_id']}/registrations", token=DEMO))
    assert [r["email"] for r in regs["registrations"]] == ["bleibt@example.org"]
    # A repeated DELETE finds nothing left to do.
    assert delete(http, address_id).status == 404
    # The mail-retry job has nothing of the person left to send.
    ses.down = False
    before_retry = len(outbox())
    clock.advance(hours=2)
    ok(http.post("/dev/jobs/mail-retry", {}))
    assert all(EMAIL.lower() not in json.dumps(m).lower() for m in outbox()[before_retry:])


def test_a_future_store_until_refuses_and_today_allows(http, clock):
    address_id = create_address(http, email="eva@example.org", store_until=day(1))["address_id"]
    refused = delete(http, address_id)
    assert refused.status == 409 and refused.json["error"]["code"] == "retention_active"
    assert get_address(http, address_id)["email"] == "eva@example.org"
    set_day(clock, 1)
    assert ok(delete(http, address_id))["deleted"] == address_id
    assert http.get(f"/agency/addresses/{address_id}", token=DEMO).status == 404


def test_bulk_delete_answers_per_id(http):
    plain = create_address(http)["address_id"]
    expired = create_address(http, first_name="Ole", store_until=day(-1))["address_id"]
    kept = create_address(http, first_name="Kim", store_until=day(30))["address_id"]
    foreign = create_address(http, token=OTHER)["address_id"]
    answer = ok(http.post("/agency/addresses/bulk-delete",
                          {"address_ids": [plain, kept, foreign, expired, "nope", plain]},
                          token=DEMO))
    assert answer == {"deleted": [plain, expired], "refused": [
        {"address_id": kept, "reason": "retention_active"},
        {"address_id": foreign, "reason": "not_found"},
        {"address_id": "nope", "reason": "not_found"}]}
    assert get_address(http, kept)["first_name"] == "Kim"
    assert get_address(http, foreign, token=OTHER)["first_name"] == "Eva"
    assert http.request("DELETE", f"/agency/addresses/{foreign}", token=DEMO).status == 404
    tombstones = ok(http.get("/agency/gdpr/deletions", token=DEMO))["deletions"]
    assert {t["address_id"] for t in tombstones} == {plain, expired}
    assert {t["reason"] for t in tombstones} == {"agency_bulk_delete"}
    assert ok(http.get("/agency/gdpr/deletions", token=OTHER))["deletions"] == []


def test_large_erasures_are_chunked_to_100_items(http, killer, clock):
    address_id = create_address(http, email="viel@example.org")["address_id"]
    for n in range(130):
        activity(http, address_id, "note", note=f"Notiz {n}")
    killer.sizes.clear()
    deleted = ok(delete(http, address_id))
    assert deleted["tombstone"]["erased"]["activities"] == 130
    assert max(killer.sizes) <= 100
    assert len(killer.sizes) >= 3
    assert http.post(f"/agency/addresses/{address_id}/activities", {"type": "note"},
                     token=DEMO).status == 404


def test_an_interrupted_erasure_is_finished_by_a_repeated_delete(http, killer, container,
                                                                 clock):
    address_id = create_address(http, email="abbruch@example.org")["address_id"]
    for n in range(3):
        activity(http, address_id, "note", note=f"Abbruch {n}")
    killer.countdown = 2  # the first transaction commits, the clean-up dies
    with pytest.raises(RuntimeError):
        # Through the service: over HTTP the crash would be a 500 page, not a dead process.
        container.gdpr.addresses.delete("demo", address_id, by="test")
    # The person is gone for every reader, the tombstone says the clean-up is pending.
    assert http.get(f"/agency/addresses/{address_id}", token=DEMO).status == 404
    assert container.gdpr.erasure.tombstone("demo", address_id)["status"] == "cleanup_pending"
    assert list(container.addresses.all_activities("demo", address_id))
    finished = ok(delete(http, address_id))
    assert finished["tombstone"]["status"] == "complete"
    assert list(container.addresses.all_activities("demo", address_id)) == []
    assert traces_of(container, "abbruch") == []


def test_the_nightly_sweep_finishes_an_interrupted_erasure(http, killer, container, clock):
    address_id = create_address(http, email="nachts@example.org",
                                store_until=day(5))["address_id"]
    set_day(clock, 6)
    killer.countdown = 2
    with pytest.raises(RuntimeError):
        container.gdpr.addresses.delete("demo", address_id, by="test")
    assert container.gdpr.erasure.tombstone("demo", address_id)["status"] == "cleanup_pending"
    sweep(http)
    assert container.gdpr.erasure.tombstone("demo", address_id)["status"] == "complete"
    assert traces_of(container, "nachts") == []


def traces_of(container: Any, needle: str) -> list[str]:
    tables = all_items(container.settings.region)
    return [name for name, items in tables.items()
            if needle in json.dumps(items, default=str, ensure_ascii=False).lower()]
