"""The round trips of the mail-sending requests (issue 7): the suppression list is checked
inside the request's one transaction (a guard, not a GetItem before each send), and a
consent link acts on the address as its mail left it, reading it only when it changed.
The rare cases (a suppressed address, a changed address) cost a second transaction and
must still end exactly as before: nothing sent to the suppressed address, nothing lost."""

from __future__ import annotations

from typing import Any

import pytest

from bench.counting import AwsCounter
from chalicelib.storage.dynamo import Condition, Transaction, TransactionCancelled, Update
from tests.conftest import DEMO
from tests.functional.mail.support import mail_records
from tests.functional.privacy.support import consent_request, create_address, delete, get_address, ok, patch
from tests.functional.privacy.test_consent import PERSON, mail_for, post
from tests.support import links_of, register


@pytest.fixture
def counter(container: Any) -> AwsCounter:
    counter = AwsCounter()
    counter.hook(container.dynamodb)
    counter.hook(container.ses)
    return counter


def suppress(container: Any, address: str) -> None:
    container.suppressions.suppress(address, "bounce:General", None, "feedback-1")


def suppression_reads(work: Any, container: Any) -> int:
    return work.items_by_target.get("GetItem:" + container.core_table.name, 0)



def test_a_registration_checks_the_suppression_list_inside_its_transaction(
        http, make_tour, container, counter, sent):
    tour = make_tour("email")
    with counter.measure() as work:
        register(http, tour["tour_id"], email="eva@example.org")
    assert work.calls["TransactWriteItems"] == 1 and work.failed_calls == 0
    assert work.reads == 2 and suppression_reads(work, container) == 0
    assert [m["to"] for m in sent.sent] == [["eva@example.org"]]


def test_a_suppressed_prospect_gets_no_mail_and_the_registration_still_counts(
        http, make_tour, container, counter, sent):
    tour = make_tour("email")
    suppress(container, "eva@example.org")
    with counter.measure() as work:
        registered = register(http, tour["tour_id"], email="EVA@example.org")
    # The guard failed once; the transaction went again without it.
    assert work.calls["TransactWriteItems"] == 2 and work.failed_calls == 1
    assert sent.sent == []
    [record] = [r for r in mail_records(container) if r.get("ref_id") == registered[
        "registration_id"]]
    assert record["status"] == "suppressed" and "text" not in record
    listed = ok(http.get(f"/agency/tours/{tour['tour_id']}/registrations", token=DEMO))
    [row] = listed["registrations"]
    assert row["undeliverable"] is True and row["status"] == "pending_email"
    assert ok(http.get(f"/agency/tours/{tour['tour_id']}/stats", token=DEMO))[
        "registrations"] == 1


def test_manual_mode_mails_the_agency_when_only_the_prospect_is_suppressed(
        http, make_tour, container, sent):
    tour = make_tour("manual")
    suppress(container, "eva@example.org")
    register(http, tour["tour_id"], email="eva@example.org")
    assert [m["to"] for m in sent.sent] == [["dana@demo-makler.de"]]


def test_a_failed_guard_does_not_hide_the_condition_the_caller_cares_about(container):
    core = container.core_table
    suppress(container, "eva@example.org")
    core.put({"pk": "T#1", "sk": "T", "status": "used"})
    fallbacks: list[str] = []
    tx = Transaction(core.client)
    key = container.suppressions.key("eva@example.org")
    # Two guards on one item become one ConditionCheck (a transaction touches an item once).
    for name in ("first", "second"):
        tx.guard(core, *key, Condition("attribute_not_exists({pk})"),
                 otherwise=lambda name=name: fallbacks.append(name))
    tx.update(core, "T#1", "T", Update(sets={"status": "used"}),
              condition=Condition("{status} = {:s}", s="active"), label="link")
    assert len(tx) == 2
    with pytest.raises(TransactionCancelled) as cancelled:
        tx.execute()
    assert cancelled.value.failed == {"link"}
    # Without the lost condition, the guard's fallbacks run and the rest commits.
    tx = Transaction(core.client)
    for name in ("first", "second"):
        tx.guard(core, *key, Condition("attribute_not_exists({pk})"),
                 otherwise=lambda name=name: fallbacks.append(name))
    tx.put(core, {"pk": "T#2", "sk": "T", "status": "new"})
    tx.execute()
    assert fallbacks == ["first", "second"]
    assert core.get("T#2", "T") == {"pk": "T#2", "sk": "T", "status": "new"}


def test_an_approval_link_post_is_one_read_and_one_transaction(
        http, make_tour, outbox, counter):
    tour = make_tour("manual")
    register(http, tour["tour_id"], email="eva@example.org")
    [approve] = links_of(mail_for(outbox, "dana@demo-makler.de"), "approve")
    with counter.measure() as work:
        reply = http.form_post(approve)
    assert reply.status == 200, reply.body
    assert work.reads == 1 and work.transactions == 1 and work.ses_calls == 1


@pytest.fixture
def person(http: Any) -> str:
    return create_address(http, **PERSON)["address_id"]


def test_a_consent_link_post_reads_only_the_link(http, outbox, person, counter, clock):
    clock.advance(minutes=1)
    consent_request(http, person)
    [link] = links_of(mail_for(outbox, PERSON["email"]), "consent")
    with counter.measure() as work:
        reply = post(http, link)
    assert reply.status == 200, reply.body
    assert (work.reads, work.transactions, work.ses_calls) == (1, 1, 1)
    assert get_address(http, person)["gdpr_status"] == "consented"


def test_a_consent_link_after_the_address_changed_keeps_the_change(
        http, outbox, person, counter, clock):
    clock.advance(minutes=1)
    consent_request(http, person)
    mail = mail_for(outbox, PERSON["email"])
    [consent] = links_of(mail, "consent")
    [deletion] = links_of(mail, "deletion-request")
    ok(patch(http, person, {"phone": "+49 30 9876543"}))
    with counter.measure() as work:
        assert post(http, consent).status == 200
    # The mail's state was stale: its write lost, the address was read, the retry won.
    assert work.transactions == 2 and work.failed_calls == 1
    address = get_address(http, person)
    assert address["gdpr_status"] == "consented" and address["phone"] == "+49 30 9876543"
    # The other link of the same mail now meets the address the first one changed.
    assert post(http, deletion).status == 200
    address = get_address(http, person)
    assert address["gdpr_status"] == "deletion_requested"
    assert address["phone"] == "+49 30 9876543"
    records = ok(http.get(f"/agency/addresses/{person}/consent-records", token=DEMO))["records"]
    assert sorted(r["action"] for r in records) == ["consent", "deletion_request"]


def test_a_consent_link_of_a_deleted_address_is_gone(http, outbox, clock):
    person = create_address(http, **{**PERSON, "store_until": None})["address_id"]
    clock.advance(minutes=1)
    consent_request(http, person)
    [link] = links_of(mail_for(outbox, PERSON["email"]), "consent")
    assert delete(http, person).status in (200, 204)
    # Deleting the address deletes its consent links with it (they show its data).
    assert post(http, link).status == 404
