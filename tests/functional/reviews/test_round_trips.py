"""The review-confirm POST at (near) the minimum round trips (issue 7, point 1): the link,
one BatchGetItem for every point lookup the automatic checks need (review, agency,
agency IP, identity items, IP buckets, similarity bands), a second one only for the texts
of band candidates, then one transaction. The band items are shared by reviews with
similar texts, so the tests also race two confirmations for the same items, and check
that deleting a review takes it out of every index item."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from chalice.test import Client

import app as application
from chalicelib.reviews import similarity
from chalicelib.reviews.repository import IDENT_CAP, SIM_CAP, ident_key, sim_key
from chalicelib.reviews.signals import keyed_hash
from tests.conftest import DEMO
from tests.functional.reviews.support import (
    PUBLIC_IP,
    TEXT,
    DynamoCalls,
    last_link,
    qa_review,
    source_ip,
    submit,
    submit_and_confirm,
)
from tests.support import every_item


def confirm_link(http: Any, outbox: Any, email: str, **fields: Any) -> tuple[str, str]:
    reply = submit(http, email=email, **fields)
    assert reply.status == 202, reply.body
    return reply.json["review_id"], last_link(outbox, email, "review-confirm")


def until_commit(calls: list[str]) -> list[str]:
    """The calls up to the first transaction: what the request read to decide."""
    return calls[:calls.index("TransactWriteItems") + 1]


class BatchKeys:
    """The tables and key counts each BatchGetItem asked for."""

    def __init__(self, client: Any) -> None:
        self.requests: list[dict[str, int]] = []
        client.meta.events.register("before-parameter-build.dynamodb.BatchGetItem", self._seen)

    def _seen(self, params: Any, **_: Any) -> None:
        self.requests.append({table: len(spec["Keys"])
                              for table, spec in params["RequestItems"].items()})


def band_members(container: Any, text: str) -> list[set[str]]:
    table = container.table("reviews")
    return [set((table.get(*sim_key(band)) or {}).get("ids") or ())
            for band in similarity.band_keys(text)]


@pytest.fixture
def interleave(container: Any) -> Iterator[Callable[[Callable[[], Any]], list[Any]]]:
    """Runs ``other`` once, right before the next transaction is sent: the other request
    happens between this request's reads and its write."""
    events = container.dynamodb.meta.events
    hooks: list[Any] = []

    def arrange(other: Callable[[], Any]) -> list[Any]:
        results: list[Any] = []

        def hook(**_: Any) -> None:
            if not results:
                results.append(None)  # before running it: its own transaction passes by
                results[0] = other()

        events.register("before-call.dynamodb.TransactWriteItems", hook)
        hooks.append(hook)
        return results

    yield arrange
    for hook in hooks:
        events.unregister("before-call.dynamodb.TransactWriteItems", hook)


def test_a_confirmation_reads_the_link_and_one_batch_then_commits_once(
        http, outbox, container):
    batches = BatchKeys(container.dynamodb)
    calls = DynamoCalls(container.dynamodb)
    with source_ip(PUBLIC_IP):
        review_id, link = confirm_link(http, outbox, "eva@example.org", phone="030 1234567")
        calls.reset()
        batches.requests.clear()
        assert http.form_post(link).status == 200
    # Every lookup of every check (phone and IP included) in one BatchGetItem; no band
    # names another review yet, so no second read.
    assert until_commit(calls.calls) == ["GetItem", "BatchGetItem", "TransactWriteItems"]
    assert calls.count("TransactWriteItems") == 1
    assert calls.count("Query") == calls.count("Scan") == 0
    core, reviews = container.settings.table("core"), container.settings.table("reviews")
    # review + email + phone + 3 IP day buckets + 12 bands + 3 burst day items (contract
    # v2: ≥ 5 new reviewer emails within 24 h); agency profile + agency IP.
    assert batches.requests == [{reviews: 1 + 2 + 3 + similarity.BANDS + 3, core: 2}]
    assert qa_review(http, review_id)["status"] == "published"

    # The same person, phone and IP again with a near-identical text: the bands name the
    # first review, whose text is the one extra read; every check still finds it all.
    with source_ip(PUBLIC_IP):
        second_id, link = confirm_link(http, outbox, "eva@example.org", phone="030 1234567",
                                       text=TEXT + " Gerne wieder.")
        calls.reset()
        batches.requests.clear()
        assert http.form_post(link).status == 200
    assert until_commit(calls.calls) == ["GetItem", "BatchGetItem", "BatchGetItem",
                                         "TransactWriteItems"]
    assert batches.requests[1] == {reviews: 1}  # the candidate's text
    assert calls.count("Query") == calls.count("Scan") == 0
    second = qa_review(http, second_id)
    assert second["status"] == "in_review"
    details = " ".join(f["detail"] for f in second["findings"])
    assert {f["check"] for f in second["findings"]} == {"multiple_review", "duplicate_text"}
    assert "E-Mail-Adresse" in details and "Telefonnummer" in details
    assert review_id in details


def test_two_confirmations_racing_for_the_same_band_items_end_consistently(
        http, outbox, container, interleave):
    first_id, first_link = confirm_link(http, outbox, "erste@example.org")
    second_id, second_link = confirm_link(http, outbox, "zweite@example.org")
    calls = DynamoCalls(container.dynamodb)
    # The second confirmation commits between the first one's reads and its transaction.
    raced = interleave(lambda: http.form_post(second_link))
    assert http.form_post(first_link).status == 200
    assert raced[0].status == 200
    # The first one's transaction was refused (the band items changed since its read) and
    # it read again: it now sees the second review as an identical text.
    assert calls.count("TransactWriteItems") == 3
    assert qa_review(http, second_id)["status"] == "published"
    first = qa_review(http, first_id)
    assert first["status"] == "in_review"
    assert [f["check"] for f in first["findings"]] == ["duplicate_text"]
    assert second_id in first["findings"][0]["detail"]
    # Both are in every band item, once.
    assert band_members(container, TEXT) == [{first_id, second_id}] * similarity.BANDS


def test_a_full_band_item_takes_no_more_members_even_under_a_race(
        http, outbox, container, interleave):
    # Boilerplate: every band value of TEXT already shared by SIM_CAP - 1 reviews.
    table = container.table("reviews")
    seeded = {f"seed{n:02d}" for n in range(SIM_CAP - 1)}
    for band in similarity.band_keys(TEXT):
        pk, sk = sim_key(band)
        table.put({"pk": pk, "sk": sk, "ids": seeded})
    first_id, first_link = confirm_link(http, outbox, "erste@example.org")
    second_id, second_link = confirm_link(http, outbox, "zweite@example.org")
    raced = interleave(lambda: http.form_post(second_link))
    assert http.form_post(first_link).status == 200
    assert raced[0].status == 200
    # The second filled each band; the first, reading again, found them full and did not
    # add itself (no item above the cap), yet still saw the second as a candidate.
    assert band_members(container, TEXT) == [seeded | {second_id}] * similarity.BANDS
    first = qa_review(http, first_id)
    assert first["status"] == "in_review" and second_id in first["findings"][0]["detail"]
    # A later identical text is still compared with the members of the full bands.
    third = submit_and_confirm(http, outbox, email="dritte@example.org")
    assert third["status"] == "in_review" and third["findings"][0]["check"] == "duplicate_text"
    assert band_members(container, TEXT) == [seeded | {second_id}] * similarity.BANDS


def test_an_erased_review_leaves_no_trace_in_any_index_item(http, outbox, container):
    with source_ip(PUBLIC_IP):
        gone = submit_and_confirm(http, outbox, email="weg@example.org", phone="030 1234567")
        kept = submit_and_confirm(http, outbox, email="bleibt@example.org",
                                  phone="030 1234567", text=TEXT + " Gerne wieder.")

    def index_members() -> set[str]:
        found = set()
        for item in every_item(container.settings.region):
            if item["pk"].startswith(("IDENT#", "IPREV#", "SIM#")):
                found |= {m.rsplit("#", 1)[-1] for m in item.get("ids", set())}
        return found

    assert index_members() == {gone["review_id"], kept["review_id"]}
    with Client(application.app, stage_name="local") as client:
        erased = client.lambda_.invoke("ops", {"action": "erase_person", "agency_id": "demo",
                                               "email": "weg@example.org"}).payload
    assert erased["reviews_deleted"] == [gone["review_id"]]
    assert index_members() == {kept["review_id"]}
    # The kept review's own entries still work: the same phone is found again.
    with source_ip(PUBLIC_IP):
        again = submit_and_confirm(http, outbox, email="neu@example.org", phone="030 1234567",
                                   text="Ganz anderer Text über eine Mietwohnung in Köln, die "
                                        "Übergabe verlief reibungslos und pünktlich.")
    assert [f["check"] for f in again["findings"]] == ["multiple_review"]
    assert "Telefonnummer" in again["findings"][0]["detail"]


def test_an_identity_item_at_its_cap_refuses_the_submission_instead_of_growing(
        http, outbox, container):
    # Stands for a flood of reviews with one phone number (each rate limit passed): the
    # identity item must stay far below DynamoDB's 400 KB, so the next one is a 429.
    phone_hash = keyed_hash(container.settings.hash_key, "phone", "+49301234567")
    pk, sk = ident_key("demo", "phone", phone_hash)
    container.table("reviews").put({"pk": pk, "sk": sk,
                                    "ids": {f"flood{n:04d}" for n in range(IDENT_CAP)}})
    refused = submit(http, email="flut@example.org", phone="030 1234567")
    assert refused.status == 429, refused.body
    assert outbox() == []
    assert http.get("/agency/reviews", token=DEMO).json["reviews"] == []
    # Another number goes through.
    assert submit(http, email="flut@example.org", phone="030 7654321").status == 202
