"""The consent assistant (issue section 3) through the real mail links: what the mail shows,
that GET/HEAD change nothing, that consent, deletion request and correction each count
only by the POST of their confirmation page, and the append-only consent records (JSON
and the printable dossier)."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest

from chalicelib.links.service import LinkService
from chalicelib.secrets_util import sha256_hex
from tests.conftest import DEMO, OTHER
from tests.functional.privacy.support import (
    consent_request,
    create_address,
    day,
    get_address,
    listed,
    ok,
    patch,
    preview,
    set_day,
)
from tests.support import links_of

PERSON = {"salutation": "Frau", "first_name": "Eva", "last_name": "Muster",
          "email": "eva@example.org", "phone": "+49 171 2345678", "street": "Kastanienallee 1",
          "zip": "10435", "city": "Berlin", "store_until": day(20)}
BROWSER = "Mozilla/5.0 (Testbrowser)"


@pytest.fixture
def person(http: Any) -> str:
    return create_address(http, **PERSON)["address_id"]


def mail_for(outbox: Any, to: str) -> dict[str, Any]:
    return [m for m in outbox() if m["to"] == [to]][-1]


def state(http: Any, container: Any, outbox: Any, address_id: str,
          links: list[str]) -> dict[str, Any]:
    """Everything a link could change."""
    return {
        "address": get_address(http, address_id),
        "activities": preview(http, address_id)["activities"],
        "records": ok(http.get(f"/agency/addresses/{address_id}/consent-records",
                               token=DEMO))["records"],
        "mails": len(outbox()),
        "links": [container.core_table.get(*LinkService.key(sha256_hex(link.rsplit("/", 1)[1])))
                  for link in links],
    }


def post(http: Any, link: str, data: str = "confirm=1") -> Any:
    return http.request("POST", link, body=data, headers={
        "Content-Type": "application/x-www-form-urlencoded", "User-Agent": BROWSER})


def test_the_mail_shows_the_stored_data_the_agency_and_three_links(http, outbox, person,
                                                                 clock):
    clock.advance(minutes=1)
    assert consent_request(http, person) == {"sent": [person], "skipped": []}
    mail = mail_for(outbox, "eva@example.org")
    assert mail["subject"] == "Ihre bei Demo Makler GmbH gespeicherten Daten"
    for part in (mail["text"], mail["html"]):
        for shown in ("Frau Eva Muster", "eva@example.org", "+49 171 2345678",
                      "Kastanienallee 1, 10435 Berlin", "Demo Makler GmbH", "Dana Demo",
                      "kontakt@demo-makler.de", "+49 30 1234567", "Speicherung zustimmen",
                      "Löschung beantragen"):
            assert shown in part, shown
    assert "kontakt@demo-makler.de" in (mail["reply_to"] or "")
    for purpose in ("consent", "deletion-request", "correction"):
        assert len(links_of(mail, purpose)) == 1, purpose
    address = get_address(http, person)
    assert address["gdpr_status"] == "none"  # the mail itself changes no status
    view = preview(http, person)
    assert view["last_consent_request_on"] == day(0)
    assert "Einverständnis-Assistent" in view["activities"][0]["note"]


def test_consent_counts_only_through_the_post_of_its_page(http, outbox, container, person,
                                                          clock):
    consent_request(http, person)
    mail = mail_for(outbox, "eva@example.org")
    links = [links_of(mail, p)[0] for p in ("consent", "deletion-request", "correction")]
    consent = links[0]
    before = state(http, container, outbox, person, links)
    for _ in range(3):
        page = http.get(consent)
        assert page.status == 200 and page.headers["cache-control"] == "no-store"
        assert page.headers["referrer-policy"] == "no-referrer"
        assert page.text.count("<form method=\"post\"") == 1
        assert re.search(r"<button[^>]*>Speicherung zustimmen</button>", page.text)
        assert "Eva Muster" in page.text and "Demo Makler GmbH" in page.text
        head = http.head(consent)
        assert head.status == 200 and head.body == b""
    assert state(http, container, outbox, person, links) == before

    clock.advance(minutes=3)
    done = post(http, consent)
    assert done.status == 200 and "Vielen Dank für Ihre Zustimmung" in done.text
    assert get_address(http, person)["gdpr_status"] == "consented"
    [record] = ok(http.get(f"/agency/addresses/{person}/consent-records", token=DEMO))["records"]
    assert record["action"] == "consent" and record["channel"] == "link"
    assert record["at"] == "2026-11-23T09:03:00.000Z"
    assert record["ip"] == "127.0.0.1" and record["user_agent"] == BROWSER
    assert record["link_id"] == sha256_hex(consent.rsplit("/", 1)[1])
    assert record["agency_id"] == "demo" and record["address_id"] == person
    # The exact text the page showed, and its SHA-256.
    assert record["text_sha256"] == hashlib.sha256(record["text"].encode()).hexdigest()
    for line in ("Speicherung Ihrer Daten", "Name: Frau Eva Muster", "E-Mail: eva@example.org",
                 "Telefon: +49 171 2345678", "[Speicherung zustimmen]"):
        assert line in record["text"]
    for paragraph in re.findall(r"<p>(.*?)</p>", page.text):
        assert paragraph.replace("&#34;", '"') in record["text"]
    assert record["record_id"] in done.text  # the person sees the proof's id

    notice = mail_for(outbox, "kontakt@demo-makler.de")
    assert notice["subject"] == "DSGVO: Eva Muster hat der Speicherung zugestimmt"
    assert "eva@example.org" in notice["text"] and "/dashboard/" in notice["text"]
    assert preview(http, person)["activities"][0]["note"].startswith("Speicherung zugestimmt")
    assert listed(http, "consent-assistant") == set()

    gone = post(http, consent)
    assert gone.status == 410 and http.get(consent).status == 410


def test_deletion_request_and_withdrawal_after_consent(http, outbox, container, person, clock):
    consent_request(http, person)
    mail = mail_for(outbox, "eva@example.org")
    consent, deletion = links_of(mail, "consent")[0], links_of(mail, "deletion-request")[0]
    before = state(http, container, outbox, person, [consent, deletion])
    page = http.get(deletion)
    assert re.search(r"<button[^>]*>Löschung beantragen</button>", page.text)
    assert http.head(deletion).status == 200
    assert state(http, container, outbox, person, [consent, deletion]) == before

    assert post(http, consent).status == 200
    clock.advance(minutes=10)
    # Withdrawing is as easy as consenting: the other link of the same mail still works.
    done = post(http, deletion)
    assert done.status == 200 and "Löschantrag" in done.text
    assert get_address(http, person)["gdpr_status"] == "deletion_requested"
    records = ok(http.get(f"/agency/addresses/{person}/consent-records", token=DEMO))["records"]
    assert [r["action"] for r in records] == ["consent", "deletion_request"]
    assert "[Löschung beantragen]" in records[1]["text"]
    notice = mail_for(outbox, "kontakt@demo-makler.de")
    assert notice["subject"] == "DSGVO: Eva Muster beantragt die Löschung"
    set_day(clock, 20)
    assert listed(http, "deletion-requested") == {person}
    assert post(http, deletion).status == 410


def test_the_correction_form_forwards_the_free_text(http, outbox, person, clock):
    clock.advance(minutes=1)
    consent_request(http, person)
    [link] = links_of(mail_for(outbox, "eva@example.org"), "correction")
    page = http.get(link)
    assert page.status == 200 and "<textarea" in page.text and 'name="correction"' in page.text
    mails_before = len(outbox())
    empty = post(http, link, "correction=")
    assert empty.status == 422 and "Bitte füllen Sie dieses Feld aus." in empty.text
    assert len(outbox()) == mails_before and http.get(link).status == 200

    clock.advance(minutes=1)
    done = post(http, link, "correction=Neue+Telefonnummer%3A+0171+999")
    assert done.status == 200
    notice = mail_for(outbox, "kontakt@demo-makler.de")
    assert "Korrektur" in notice["subject"]
    assert "Neue Telefonnummer: 0171 999" in notice["text"]
    assert "eva@example.org" in (notice["reply_to"] or "")
    assert get_address(http, person)["gdpr_status"] == "none"
    assert "Neue Telefonnummer" in preview(http, person)["activities"][0]["note"]
    assert post(http, link, "correction=nochmal").status == 410


def test_skipped_addresses_and_their_reasons(http, outbox, clock):
    def make(**fields: Any) -> str:
        return create_address(http, **fields)["address_id"]

    fresh = make(email="a@example.org")
    no_email = make()
    ignored = make(email="b@example.org", gdpr_status="ignore")
    requested = make(email="c@example.org", gdpr_status="deletion_requested")
    mailed = make(email="d@example.org")
    consented = make(email="e@example.org")
    consent_request(http, mailed, consented)
    post(http, links_of(mail_for(outbox, "e@example.org"), "consent")[0])
    foreign = create_address(http, token=OTHER, email="f@example.org")["address_id"]
    clock.advance(days=13)
    before = len(outbox())

    answer = consent_request(http, fresh, no_email, ignored, requested, mailed, consented,
                             foreign, "unbekannt", fresh)
    assert answer["sent"] == [fresh]
    assert answer["skipped"] == [
        {"address_id": no_email, "reason": "no_email"},
        {"address_id": ignored, "reason": "ignored"},
        {"address_id": requested, "reason": "deletion_requested"},
        {"address_id": mailed, "reason": "recently_contacted"},
        {"address_id": consented, "reason": "already_consented"},
        {"address_id": foreign, "reason": "not_found"},
        {"address_id": "unbekannt", "reason": "not_found"},
    ]
    assert [m["to"] for m in outbox()[before:]] == [["a@example.org"]]
    clock.advance(days=1)  # 14 days after the first mail
    assert consent_request(http, mailed)["sent"] == [mailed]


def test_a_new_mail_retires_the_previous_links(http, outbox, clock, person):
    consent_request(http, person)
    old = mail_for(outbox, "eva@example.org")
    set_day(clock, 14)
    consent_request(http, person)
    new = mail_for(outbox, "eva@example.org")
    for purpose in ("consent", "deletion-request", "correction"):
        assert http.get(links_of(old, purpose)[0]).status == 410
        assert http.get(links_of(new, purpose)[0]).status == 200
    assert post(http, links_of(old, "consent")[0]).status == 410
    assert get_address(http, person)["gdpr_status"] == "none"


def test_links_expire_after_30_days(http, outbox, clock, person):
    consent_request(http, person)
    [link] = links_of(mail_for(outbox, "eva@example.org"), "consent")
    clock.advance(days=30, seconds=1)
    assert post(http, link).status == 410
    assert get_address(http, person)["gdpr_status"] == "none"


def test_agency_status_changes_are_recorded_and_consented_is_refused(http, person, clock):
    refused = patch(http, person, {"gdpr_status": "consented"})
    assert refused.status == 422 and "gdpr_status" in refused.json["error"]["fields"]
    clock.advance(minutes=1)
    ok(patch(http, person, {"gdpr_status": "deletion_requested"}))  # a request by phone
    [record] = ok(http.get(f"/agency/addresses/{person}/consent-records", token=DEMO))["records"]
    assert (record["action"], record["channel"]) == ("deletion_request", "agency")
    assert record["ip"] is None
    assert "Löschung angefordert" in record["text"]


def test_the_printable_dossier(http, outbox, person):
    consent_request(http, person)
    post(http, links_of(mail_for(outbox, "eva@example.org"), "consent")[0])
    [record] = ok(http.get(f"/agency/addresses/{person}/consent-records", token=DEMO))["records"]
    page = http.get(f"/agency/addresses/{person}/consent-records?format=html", token=DEMO)
    assert page.status == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store"
    html = page.text
    assert '<html lang="de">' in html and "Einwilligungsnachweis" in html
    for shown in ("Speicherung zugestimmt", "23. November 2026, 10:00 Uhr", record["text_sha256"],
                  record["record_id"], "127.0.0.1", "Eva Muster", "Demo Makler GmbH",
                  "Bestätigungsseite (Double-Opt-in)"):
        assert shown in html, shown
    bad = http.get(f"/agency/addresses/{person}/consent-records?format=pdf", token=DEMO)
    assert bad.status == 422 and bad.json["error"]["fields"] == {"format": "Erlaubt: json, html."}
    for fmt in ("", "?format=html"):
        assert http.get(f"/agency/addresses/{person}/consent-records{fmt}",
                        token=OTHER).status == 404
