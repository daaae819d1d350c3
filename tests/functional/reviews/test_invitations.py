"""Invitations from real deals (contract v2, "Reviews"): POST/GET /agency/review-invitations,
the order of its checks, the mail (German, text + HTML, the agency's details, the objection
link), the review form behind /links/review-invite/<token> (GET shows, POST once), the
objection link, the activities on the address, the public label, and the person's data."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from tests.conftest import DEMO, OTHER
from tests.functional.accounts.conftest import EMAILS, sign_in
from tests.functional.reviews.support import PUBLIC_IP, public, qa_review, source_ip
from tests.support import links_of, mails_to, run_concurrently, thread_safe_gateway

TEXT = ("Frau Demo hat den Verkauf unserer Wohnung ruhig und zuverlässig begleitet, "
        "jeder Termin saß.")


def address(http: Any, token: str = DEMO, **fields: Any) -> str:
    body = {"salutation": "Frau", "first_name": "Eva", "last_name": "Muster",
            "email": "eva@example.org", **fields}
    reply = http.post("/agency/addresses", {k: v for k, v in body.items() if v is not None},
                      token=token)
    assert reply.status == 201, reply.body
    return reply.json["address_id"]


def prop(http: Any, title: str = "Altbau Prenzlauer Berg", token: str = DEMO) -> str:
    reply = http.post("/agency/properties", {"title": title}, token=token)
    assert reply.status == 201, reply.body
    return reply.json["property_id"]


def relate(http: Any, property_id: str, address_id: str, role: str = "buyer",
           token: str = DEMO) -> None:
    reply = http.post(f"/agency/properties/{property_id}/relations",
                      {"address_id": address_id, "role": role}, token=token)
    assert reply.status == 201, reply.body


def customer(http: Any, role: str = "buyer", **fields: Any) -> tuple[str, str]:
    """An address with a deal: (address id, property id)."""
    address_id, property_id = address(http, **fields), prop(http)
    relate(http, property_id, address_id, role)
    return address_id, property_id


def invite(http: Any, address_id: str, property_id: str | None = None,
           token: str = DEMO) -> Any:
    body: dict[str, Any] = {"address_id": address_id}
    if property_id is not None:
        body["property_id"] = property_id
    return http.post("/agency/review-invitations", body, token=token)


def form(rating: str = "5", title: str = "Sehr gute Begleitung", text: str = TEXT,
         name: str = "Eva M.") -> str:
    return urlencode({"confirm": "1", "rating": rating, "title": title, "text": text,
                      "reviewer_name": name})


def invitations(http: Any, query: str = "") -> list[dict[str, Any]]:
    reply = http.get("/agency/review-invitations" + query, token=DEMO)
    assert reply.status == 200, reply.body
    return reply.json["invitations"]


def test_an_invitation_mail_goes_out_with_the_form_and_the_objection_link(http, outbox):
    address_id, property_id = customer(http)
    reply = invite(http, address_id, property_id)
    assert reply.status == 201, reply.body
    assert reply.json["status"] == "sent" and reply.json["invitation_id"]
    [mail] = mails_to(outbox(), "eva@example.org")
    assert mail["subject"] == "Demo Makler GmbH bittet um Ihre Bewertung"
    text, html = " ".join(mail["text"].split()), " ".join(mail["html"].split())
    assert "Guten Tag Frau Muster," in text
    assert "„Altbau Prenzlauer Berg“" in text
    assert links_of(mail, "review-invite") and links_of(mail, "review-invite-objection")
    # The objection notice of UWG § 7(3) no. 4 and who sends, on whose behalf, and why.
    for part in ("jederzeit", "Basistarifen", "§ 7 Abs. 3 UWG", "Art. 21 Abs. 2 DSGVO",
                 "im Rahmen Ihres Immobilienkaufs", "Auf Einladung des Maklers",
                 "im Auftrag von Demo Makler GmbH"):
        assert part in text, part
    assert "Keine weiteren Einladungen" in html and "review-invite-objection" in html
    assert "verifiziert" not in text + html
    # Replies reach the agency that sent it, not the platform's QA.
    assert mail["reply_to"] and "demo-makler.de" in mail["reply_to"]

    [listed] = invitations(http)
    assert listed["invitation_id"] == reply.json["invitation_id"]
    assert (listed["address_id"], listed["property_id"], listed["status"]) == (
        address_id, property_id, "sent")
    assert listed["sent_at"].endswith("Z")
    # An activity on the address, by whoever invited.
    preview = http.get(f"/agency/addresses/{address_id}/preview", token=DEMO).json
    [activity] = [a for a in preview["activities"] if a["type"] == "review_invitation"]
    assert activity["property_id"] == property_id and activity["by"]["kind"] == "api_key"


def test_the_mail_escapes_what_the_agency_typed(http, outbox):
    address_id = address(http, last_name="<b>Muster</b>")
    property_id = prop(http, title="Loft <script>alert(1)</script>")
    relate(http, property_id, address_id, "owner")
    assert invite(http, address_id, property_id).status == 201
    [mail] = mails_to(outbox(), "eva@example.org")
    assert "<script>" not in mail["html"] and "&lt;script&gt;" in mail["html"]
    assert "<b>Muster</b>" not in mail["html"]
    assert "der Vermarktung Ihrer Immobilie" in " ".join(mail["text"].split())


def test_the_checks_come_in_the_contracts_order(http, outbox):
    assert invite(http, "unknown").status == 404
    other_address = address(http, token=OTHER)
    assert invite(http, other_address).status == 404  # another agency's: not found

    # deletion_requested comes before no_email.
    nameless = address(http, email=None, first_name="Olaf", last_name="Ohnemail")
    assert http.request("PATCH", f"/agency/addresses/{nameless}",
                        json_body={"gdpr_status": "deletion_requested"},
                        token=DEMO).status == 200
    assert invite(http, nameless).json["error"]["code"] == "deletion_requested"
    without_email = address(http, email=None, first_name="Paul", last_name="Post")
    reply = invite(http, without_email)
    assert reply.status == 409 and reply.json["error"]["code"] == "no_email"

    # no_customer_relation: none at all, or none to the property named.
    prospect = address(http, email="interessent@example.org")
    assert invite(http, prospect).json["error"]["code"] == "no_customer_relation"
    address_id, property_id = customer(http)
    elsewhere = prop(http, "Anderes Objekt")
    assert invite(http, address_id, elsewhere).json["error"]["code"] == "no_customer_relation"
    assert invite(http, address_id, "unknown-property").json["error"][
        "code"] == "no_customer_relation"

    # already_invited: per (address, property), and (address, none) is its own.
    assert invite(http, address_id, property_id).status == 201
    again = invite(http, address_id, property_id)
    assert again.status == 409 and again.json["error"]["code"] == "already_invited"
    assert invite(http, address_id).status == 201
    assert invite(http, address_id).json["error"]["code"] == "already_invited"
    assert len(mails_to(outbox(), "eva@example.org")) == 2

    # Bad input: 422, never 500.
    for body, name in (({}, "address_id"), ({"address_id": ""}, "address_id"),
                       ({"address_id": address_id, "property_id": "a b"}, "property_id"),
                       ({"address_id": 7}, "address_id"),
                       ({"address_id": address_id, "extra": 1}, "extra")):
        bad = http.post("/agency/review-invitations", body, token=DEMO)
        assert bad.status == 422 and name in bad.json["error"]["fields"], (body, bad.body)
    assert http.post("/agency/review-invitations", None, token=DEMO,
                     headers={}).status == 400


def test_the_invited_customer_reviews_once_without_a_confirm_mail(http, outbox, container):
    address_id, property_id = customer(http)
    assert invite(http, address_id, property_id).status == 201
    [mail] = mails_to(outbox(), "eva@example.org")
    link = links_of(mail, "review-invite")[0]
    page = http.get(link)
    assert page.status == 200 and page.headers["cache-control"] == "no-store"
    assert 'type="radio" name="rating"' in page.text and 'name="reviewer_name"' in page.text
    assert 'value="Eva M."' in page.text  # the suggested public name, changeable
    assert "Auf Einladung des Maklers" in page.text and "Bewertung abgeben" in page.text
    assert http.head(link).status == 200

    missing = http.form_post(link, urlencode({"confirm": "1", "title": "x"}))
    assert missing.status == 422 and "Bitte wählen Sie eine der Angaben." in missing.text
    assert "Bitte mindestens 3 Zeichen." in missing.text

    with source_ip(PUBLIC_IP):
        done = http.form_post(link, form())
    assert done.status == 200 and "veröffentlicht" in done.text
    assert http.form_post(link, form()).status == 410
    assert http.get(link).status == 410

    [review] = public(http)["reviews"]
    assert review["invited"] is True and review["title"] == "Sehr gute Begleitung"
    profile = http.get("/agencies/demo/profile").text
    assert "Auf Einladung des Maklers" in profile and "verifiziert" not in profile
    notice = public(http)["verification_notice"]
    assert "die der Makler selbst auswählt" in notice
    # The same checks ran (an IP was recorded), but no confirm mail went out.
    stored = qa_review(http, review["review_id"])
    assert stored["signals"]["ip_recorded"] and stored["email"] == "eva@example.org"
    to_eva = [m["subject"] for m in mails_to(outbox(), "eva@example.org")]
    assert not any("bestätigen" in s for s in to_eva), to_eva
    assert any("veröffentlicht" in s for s in to_eva)
    [listed] = invitations(http)
    assert listed["status"] == "reviewed" and listed["reviewed_at"]


def test_an_invited_review_passes_the_same_checks(http, outbox):
    address_id, property_id = customer(http)
    assert invite(http, address_id, property_id).status == 201
    link = links_of(mails_to(outbox(), "eva@example.org")[0], "review-invite")[0]
    done = http.form_post(link, form(text="Der Makler ist ein Betrüger, aber die Übergabe "
                                          "verlief ohne Probleme."))
    assert done.status == 200 and "geprüft" in done.text
    assert public(http)["reviews"] == []


def test_the_objection_link_ends_invitations_and_is_recorded(http, outbox, clock):
    address_id, property_id = customer(http)
    second_property = prop(http, "Zweites Objekt")
    relate(http, second_property, address_id, "tenant")
    assert invite(http, address_id, property_id).status == 201
    assert invite(http, address_id, second_property).status == 201
    first, second = mails_to(outbox(), "eva@example.org")
    objection = links_of(first, "review-invite-objection")[0]
    page = http.get(objection)
    assert page.status == 200 and "Keine weiteren Einladungen" in page.text
    assert http.get(objection).status == 200  # GET changes nothing
    assert {i["status"] for i in invitations(http)} == {"sent"}

    done = http.form_post(objection)
    assert done.status == 200 and "Widerspruch ist eingetragen" in done.text
    assert http.form_post(objection).status == 410
    assert {i["status"] for i in invitations(http)} == {"objected"}
    # Every open invitation of the address ended, its form link with it.
    assert http.get(links_of(second, "review-invite")[0]).status == 410
    reply = invite(http, address_id)
    assert reply.status == 409 and reply.json["error"]["code"] == "objected"
    preview = http.get(f"/agency/addresses/{address_id}/preview", token=DEMO).json
    notes = [a["note"] for a in preview["activities"] if a["type"] == "review_invitation"]
    assert any("Widerspruch" in n for n in notes), notes

    # The other mail's objection link still works and changes nothing more.
    assert http.form_post(links_of(second, "review-invite-objection")[0]).status == 200


def test_invitations_expire_after_30_days(http, outbox, clock):
    address_id, property_id = customer(http)
    assert invite(http, address_id, property_id).status == 201
    [mail] = mails_to(outbox(), "eva@example.org")
    assert "gültig" in mail["text"]
    clock.advance(days=29)
    assert http.get(links_of(mail, "review-invite")[0]).status == 200
    clock.advance(days=1, seconds=1)
    assert http.get(links_of(mail, "review-invite")[0]).status == 410
    assert [i["status"] for i in invitations(http)] == ["expired"]
    # Expired is not "not invited": the pair stays invited.
    assert invite(http, address_id, property_id).json["error"]["code"] == "already_invited"


def test_the_list_pages_and_filters_by_address(http, outbox, clock):
    ids = []
    for n in range(3):
        address_id, property_id = customer(http, email=f"kunde{n}@example.org")
        clock.advance(minutes=1)
        ids.append(invite(http, address_id, property_id).json["invitation_id"])
    first = http.get("/agency/review-invitations?limit=2", token=DEMO).json
    assert [i["invitation_id"] for i in first["invitations"]] == ids[::-1][:2]
    rest = http.get(f"/agency/review-invitations?limit=2&cursor={first['next_cursor']}",
                    token=DEMO).json
    assert [i["invitation_id"] for i in rest["invitations"]] == ids[:1]
    assert rest["next_cursor"] is None
    assert http.get("/agency/review-invitations?cursor=bad!", token=DEMO).status == 422
    assert http.get("/agency/review-invitations", token=OTHER).json["invitations"] == []
    one = invitations(http, f"?address_id={first['invitations'][0]['address_id']}")
    assert [i["invitation_id"] for i in one] == [ids[2]]


def test_roles_and_concurrent_invitations(http, outbox, people):
    address_id, property_id = customer(http)
    assistant = sign_in(http, EMAILS["assistant"])["id_token"]
    forbidden = invite(http, "unknown", token=assistant)
    assert forbidden.status == 403 and forbidden.json["error"]["code"] == "role_forbidden"
    assert http.get("/agency/review-invitations", token=assistant).status == 200
    agent = sign_in(http, EMAILS["agent"])["id_token"]

    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {agent}"}
    body = json.dumps({"address_id": address_id, "property_id": property_id}).encode()
    with thread_safe_gateway() as gateway:
        results = run_concurrently([
            lambda: gateway.handle_request(method="POST", path="/agency/review-invitations",
                                           headers=dict(headers), body=body)
            for _ in range(4)])
    statuses = sorted(r["statusCode"] for r in results)
    assert statuses == [201, 409, 409, 409], statuses
    assert len(mails_to(outbox(), "eva@example.org")) == 1
    [listed] = invitations(http)
    assert listed["by"]["kind"] == "user"


def test_export_and_erasure_with_the_address_keep_the_objection(http, outbox, container):
    address_id, property_id = customer(http)
    assert invite(http, address_id, property_id).status == 201
    [mail] = mails_to(outbox(), "eva@example.org")
    export = http.get(f"/agency/addresses/{address_id}/export", token=DEMO).json
    [exported] = export["review_invitations"]
    assert exported["property_id"] == property_id and exported["status"] == "sent"
    assert http.form_post(links_of(mail, "review-invite-objection")[0]).status == 200
    export = http.get(f"/agency/addresses/{address_id}/export", token=DEMO).json
    assert export["review_invitation_objection"]["objected_at"]

    assert http.request("DELETE", f"/agency/addresses/{address_id}",
                        token=DEMO).status == 200
    assert invitations(http) == []
    assert http.get(links_of(mail, "review-invite")[0]).status == 404
    # Entered again (a new deal): the objection still holds.
    again, other_property = customer(http)
    reply = invite(http, again, other_property)
    assert reply.status == 409 and reply.json["error"]["code"] == "objected"
