"""The consent mail and the pages behind its links carry the Art. 13 information (and the
Art. 14 source for an address the person did not give); the consent record keeps that
exact text."""

from __future__ import annotations

import re
from typing import Any

from devstack.environment import DEMO_PROFILES
from tests.conftest import DEMO, registration_payload
from tests.functional.privacy.support import consent_request, create_address, day, ok, settings
from tests.support import links_of

PROFILE = DEMO_PROFILES["demo"]
ART13 = (
    "Datenschutzhinweise (Art. 13 DSGVO)",
    # controller with postal address and contact (13(1)(a))
    "Demo Makler GmbH, Kastanienallee 12, 10435 Berlin",
    "datenschutz@demo-makler.de",
    # DPO (13(1)(b))
    "Dr. Daniela Schutz, dsb@demo-makler.de",
    # purposes and legal basis (13(1)(c)), recipients (13(1)(e))
    "Art. 6 Abs. 1 lit. b DSGVO", "Art. 6 Abs. 1 lit. a DSGVO", "Amazon Web Services",
    "Frankfurt am Main", "Amazon Simple Email Service",
    # storage period and its criteria (13(2)(a)), with the agency's retention setting
    "Speichern-Bis-Datum", "noch 45 Tage danach",
    # rights incl. withdrawal and complaint (13(2)(b)-(d))
    "Art. 15 DSGVO", "Art. 20", "Art. 7 Abs. 3", "Art. 77",
    "Berliner Beauftragte für Datenschutz und Informationsfreiheit",
    "https://demo-makler.de/datenschutz",
)
ART14 = "Herkunft der Daten (Art. 14 DSGVO)"


def _unescape(html: str) -> str:
    import html as html_lib

    return html_lib.unescape(re.sub(r"\s+", " ", html))


def _mail_to(outbox: Any, email: str) -> dict[str, Any]:
    return [m for m in outbox() if m["to"] == [email]][-1]


def test_mail_pages_and_record_carry_the_art13_information(http: Any, outbox: Any) -> None:
    settings(http, retention_days=45)
    person = create_address(http, email="eva@example.org", store_until=day(20),
                            store_until_reason="Provisionssicherung")["address_id"]
    assert consent_request(http, person)["sent"] == [person]
    mail = _mail_to(outbox, "eva@example.org")
    expected_until = ".".join(reversed(day(20).split("-")))
    for part in (mail["text"], _unescape(mail["html"])):
        for shown in (*ART13, expected_until, "Provisionssicherung"):
            assert shown in part, shown
    # entered by the agency: the Art. 14 source is named
    assert ART14 in mail["text"] and "selbst in ihr Adressbuch eingetragen" in mail["text"]

    for purpose in ("consent", "deletion-request", "correction"):
        page = http.get(links_of(mail, purpose)[0])
        assert page.status == 200
        text = _unescape(page.text)
        for shown in (*ART13, ART14):
            assert shown in text, (purpose, shown)

    link = links_of(mail, "consent")[0]
    assert http.form_post(link).status == 200
    record = ok(http.get(f"/agency/addresses/{person}/consent-records", token=DEMO))["records"][0]
    for shown in (*ART13, ART14, "[Speicherung zustimmen]"):
        assert shown in record["text"], shown


def test_no_art14_section_for_data_the_person_gave(http: Any, outbox: Any,
                                                   make_tour: Any) -> None:
    tour = make_tour()
    reply = http.post(f"/tours/{tour['tour_id']}/registrations",
                      registration_payload(email="reg@example.org"))
    assert reply.status == 202, reply.body
    found = ok(http.get("/agency/addresses?email=reg@example.org", token=DEMO))["addresses"]
    address_id = found[0]["address_id"]
    assert consent_request(http, address_id)["sent"] == [address_id]
    mail = _mail_to(outbox, "reg@example.org")
    assert "Datenschutzhinweise (Art. 13 DSGVO)" in mail["text"]
    assert ART14 not in mail["text"] and ART14 not in mail["html"]


def test_optional_details_left_out_when_not_given(http: Any, outbox: Any) -> None:
    ok(http.put("/agency/profile", {"dpo_contact": None, "supervisory_authority": None},
                token=DEMO))
    person = create_address(http, email="eva@example.org")["address_id"]
    consent_request(http, person)
    text = _mail_to(outbox, "eva@example.org")["text"]
    assert "Datenschutzbeauftragter" not in text
    # the right to complain stays, without naming an authority
    assert "bei einer Datenschutz-Aufsichtsbehörde beschweren (Art. 77 DSGVO)." in text
    # no storage date yet: the criteria alone
    assert "Derzeit ist als Speichern-Bis-Datum" not in text
    assert "noch 180 Tage danach" in text


def test_html_escapes_the_agency_text(http: Any, outbox: Any) -> None:
    ok(http.put("/agency/profile", {"dpo_contact": "<b>Max</b> & Co"}, token=DEMO))
    person = create_address(http, email="eva@example.org")["address_id"]
    consent_request(http, person)
    mail = _mail_to(outbox, "eva@example.org")
    assert "<b>Max</b>" not in mail["html"] and "&lt;b&gt;Max&lt;/b&gt; &amp; Co" in mail["html"]
    page = http.get(links_of(mail, "consent")[0]).text
    assert "<b>Max</b>" not in page and "&lt;b&gt;Max&lt;/b&gt;" in page
