"""The "Adressvervollständigung" (GET /agency/addresses?q=): the contract's word and folding
rules, ordering and cursor, the index kept in step with every change (also a tour
registration and an erasure), and its cost: Queries on one partition per term, no Scan."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import DEMO, OTHER, registration_payload
from tests.functional.privacy.support import ReadCounter, create_address, delete, ok, patch


def q(http: Any, text: str, token: str = DEMO, **extra: str) -> dict[str, Any]:
    from urllib.parse import urlencode

    return ok(http.get("/agency/addresses?" + urlencode({"q": text, **extra}), token=token))


def names(body: dict[str, Any]) -> list[str]:
    return [f"{a['first_name']} {a['last_name']}" for a in body["addresses"]]


@pytest.fixture
def book(http: Any) -> dict[str, str]:
    people = {
        "mueller": dict(first_name="Jürgen", last_name="Müller", email="j.mueller@example.org",
                        phone="+49 30 1234567", city="Berlin"),
        "mueller2": dict(first_name="Anna", last_name="Mueller", email="anna_m+crm@post-box.de",
                         phone="030 7654321", city="München"),
        "mul": dict(first_name="Paul", last_name="Mulder", company="Mulder & Söhne GmbH",
                    phone="0049 40 555666", city="Hamburg"),
        "strasse": dict(first_name="Renée", last_name="Straße", email="renee@example.org",
                        city="Köln"),
    }
    return {key: create_address(http, **fields)["address_id"] for key, fields in people.items()}


def test_folding_umlauts_and_prefixes(http: Any, book: dict[str, str]) -> None:
    for term in ("mül", "muel", "MÜL", "Muel", "mue"):
        assert names(q(http, term)) == ["Anna Mueller", "Jürgen Müller"], term
    assert q(http, "mul")["addresses"][0]["address_id"] == book["mul"]
    assert len(q(http, "mul")["addresses"]) == 1          # "mul" finds neither Müller
    assert names(q(http, "strasse")) == ["Renée Straße"]  # ß → ss
    assert names(q(http, "ren")) == ["Renée Straße"]     # é → e
    assert names(q(http, "renee")) == ["Renée Straße"]
    assert names(q(http, "koel")) == ["Renée Straße"]     # city, ö → oe
    assert names(q(http, "soehne")) == ["Paul Mulder"]    # company words
    assert q(http, "üller")["addresses"] == []            # a word's start only


def test_email_whole_and_parts(http: Any, book: dict[str, str]) -> None:
    assert names(q(http, "j.mueller@ex")) == ["Jürgen Müller"]
    assert names(q(http, "example")) == ["Jürgen Müller", "Renée Straße"]
    for part in ("crm", "post", "box", "anna_m"):
        assert names(q(http, part)) == ["Anna Mueller"], part


def test_phone_spellings_are_one_number(http: Any, book: dict[str, str]) -> None:
    for term in ("030123", "+4930123", "004930123", "+49 30 123", "0049 30 1234"):
        assert names(q(http, term)) == ["Jürgen Müller"], term
    for term in ("0307654", "+49307654"):
        assert names(q(http, term)) == ["Anna Mueller"], term
    assert names(q(http, "040555")) == ["Paul Mulder"]
    assert q(http, "1234567")["addresses"] == []          # the number's start only


def test_every_term_must_match(http: Any, book: dict[str, str]) -> None:
    assert names(q(http, "mül berlin")) == ["Jürgen Müller"]
    assert names(q(http, "berlin mül")) == ["Jürgen Müller"]
    assert q(http, "mül hamburg")["addresses"] == []
    assert names(q(http, "mül a")) == ["Anna Mueller", "Jürgen Müller"]  # 1-char term ignored


def test_bad_queries(http: Any, book: dict[str, str]) -> None:
    for params in ({"q": "m"}, {"q": "  "}, {"q": "x" * 201}, {"q": "mül", "email": "a@b.de"},
                   {"q": "mül", "cursor": "!!"}):
        from urllib.parse import urlencode

        reply = http.get("/agency/addresses?" + urlencode(params), token=DEMO)
        assert reply.status == 422, (params, reply.body)
        assert reply.json["error"]["code"] == "validation_failed"


def test_tenants_do_not_see_each_other(http: Any, book: dict[str, str]) -> None:
    assert q(http, "mül", token=OTHER)["addresses"] == []
    create_address(http, token=OTHER, first_name="Max", last_name="Müller")
    assert names(q(http, "mül", token=OTHER)) == ["Max Müller"]
    assert len(q(http, "mül")["addresses"]) == 2


def test_order_and_cursor(http: Any) -> None:
    made = [create_address(http, first_name=f, last_name=last)["address_id"] for f, last in (
        ("Bea", "Schmidt"), ("Ada", "Schmidt"), ("Carl", "Schmid"), ("Dora", "Schmitz"),
        ("Emil", "Schmidt"))]
    assert made
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        extra = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        body = q(http, "schmi", **extra)
        seen += names(body)
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == ["Carl Schmid", "Ada Schmidt", "Bea Schmidt", "Emil Schmidt",
                    "Dora Schmitz"]
    assert pages == 3


def test_index_follows_changes_and_erasure(http: Any, book: dict[str, str]) -> None:
    person = book["strasse"]
    assert patch(http, person, {"last_name": "Weiß", "city": "Düsseldorf"}).status == 200
    assert q(http, "strasse")["addresses"] == []
    assert q(http, "koeln")["addresses"] == []
    assert names(q(http, "weiss")) == ["Renée Weiß"]
    assert names(q(http, "duess")) == ["Renée Weiß"]
    assert patch(http, person, {"email": "neu@firma.de"}).status == 200
    assert q(http, "renee@")["addresses"] == []
    assert names(q(http, "firma")) == ["Renée Weiß"]
    assert delete(http, person).status == 200
    assert q(http, "weiss")["addresses"] == []


def test_index_items_are_gone_after_erasure(http: Any, container: Any,
                                           book: dict[str, str]) -> None:
    from chalicelib.privacy.search import search_pk
    from chalicelib.storage.dynamo import Condition

    assert delete(http, book["mueller"]).status == 200
    items, _ = container.table("addresses").query(
        Condition("{pk} = {:p}", p=search_pk("demo", "mueller")))
    owners = {i["a"] for i in items}
    assert book["mueller"] not in owners and book["mueller2"] in owners
    # nothing of the erased person is left in any of its words' partitions
    for word in ("juergen", "j.mueller@example.org", "example", "0301234567", "berlin"):
        items, _ = container.table("addresses").query(
            Condition("{pk} = {:p}", p=search_pk("demo", word)))
        assert book["mueller"] not in {i["a"] for i in items}, word


def test_registration_keeps_the_index_in_step(http: Any, make_tour: Any, outbox: Any) -> None:
    from tests.support import links_of as links_in

    def unlock() -> None:
        message = [m for m in outbox() if links_in(m, "unlock")][-1]
        assert http.form_post(links_in(message, "unlock")[-1]).status == 303

    tour = make_tour()
    reply = http.post(f"/tours/{tour['tour_id']}/registrations",
                      registration_payload(first_name="Karl", last_name="Käfer",
                                           email="kk@example.org"))
    assert reply.status == 202
    # Unverified (issue 19): the address holds only the email until the unlock.
    assert names(q(http, "kaef")) == []
    unlock()
    assert names(q(http, "kaef")) == ["Karl Käfer"]
    address_id = q(http, "kaef")["addresses"][0]["address_id"]
    # the agency adds a city; a second registration renames, which is only a suggestion
    # until the agency applies it: the city stays findable, the new name is found after
    assert patch(http, address_id, {"city": "Potsdam"}).status == 200
    reply = http.post(f"/tours/{tour['tour_id']}/registrations",
                      registration_payload(first_name="Karl", last_name="Kaefer-Neu",
                                           email="kk@example.org"))
    assert reply.status == 202
    unlock()
    assert q(http, "kaefer-n")["addresses"] == []
    [suggestion] = [a for a in ok(http.get(f"/agency/addresses/{address_id}/preview",
                                           token=DEMO))["activities"]
                    if a["type"] == "suggestion"]
    ok(http.post(f"/agency/addresses/{address_id}/suggestions/{suggestion['activity_id']}"
                 "/apply", token=DEMO))
    found = q(http, "potsdam")["addresses"]
    assert [a["address_id"] for a in found] == [address_id]
    assert [a["address_id"] for a in q(http, "kaefer-n")["addresses"]] == [address_id]
    assert [a["address_id"] for a in q(http, "neu karl")["addresses"]] == [address_id]


def test_cost_is_one_query_per_term_on_one_partition(http: Any, container: Any,
                                                     book: dict[str, str]) -> None:
    for i in range(30):
        create_address(http, first_name=f"Max{i}", last_name="Andere", city="Leipzig")
    counter = ReadCounter().hook(container.dynamodb)
    body = q(http, "mül berlin")
    assert names(body) == ["Jürgen Müller"]
    ops = [c["op"] for c in counter.calls]
    assert "Scan" not in ops
    queries = [c for c in counter.calls if c["op"] == "Query"]
    assert len(queries) == 2                              # one per term
    assert all(c["params"]["KeyConditionExpression"].count("begins_with") == 1 for c in queries)
    assert sum(c["count"] for c in queries) <= 3          # the matching words only
    assert ops.count("BatchGetItem") == 1                 # the page's addresses
    # the token's GetItem, a Query per term, one BatchGetItem: nothing else
    assert ops == ["GetItem", "Query", "Query", "BatchGetItem"]
