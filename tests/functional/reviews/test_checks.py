"""The automatic checks on confirmation, each positive and negative, through the HTTP
surface: a clean review is published at once, a finding sends it to the QA queue with
``due_by`` = 2 Werktage after confirmation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from botocore.awsrequest import AWSResponse

from tests.conftest import DEMO, QA
from tests.functional.reviews.support import (
    OTHER_PUBLIC_IP,
    PUBLIC_IP,
    DynamoCalls,
    source_ip,
    submit_and_confirm,
)
from tests.support import every_item


def checks_of(review: dict[str, Any]) -> set[str]:
    return {f["check"] for f in review["findings"]}


def assert_flagged(review: dict[str, Any], check: str) -> None:
    assert review["status"] == "in_review", (review["status"], review["findings"])
    assert check in checks_of(review), review["findings"]
    for finding in review["findings"]:
        assert set(finding) == {"check", "detail"} and finding["detail"]
    assert review["due_by"]


def assert_clean(review: dict[str, Any]) -> None:
    assert review["status"] == "published", review["findings"]
    assert review["findings"] == []
    assert review["due_by"] is None


_counter = iter(range(10_000))


def unique_text(topic: str) -> str:
    n = next(_counter)
    return (f"Bewertung {n} zum Thema {topic}: Der Ablauf war klar, die Unterlagen kamen "
            f"vollständig und Termin {n} wurde eingehalten.")


# -- self_review -------------------------------------------------------------------------

def test_self_review_by_the_agencys_own_addresses(http, outbox, container):
    container.agencies.create_agency({
        "agency_id": "mia", "name": "Makler Mia", "contact_email": "info@makler-mia.de",
        "staff_emails": ["mia@makler-mia.de", "aushilfe@gmail.com"]})
    cases = [
        ("info@makler-mia.de", True),       # the contact address itself
        ("MIA@makler-mia.de", True),        # a staff address, any case
        ("freund@makler-mia.de", True),     # the agency's own domain
        ("x@team.makler-mia.de", True),     # a subdomain of it
        ("aushilfe@gmail.com", True),       # a staff address on a free-mail domain
        ("nachbar@gmail.com", False),       # free-mail domains are shared by everybody
        ("kunde@makler-max.de", False),     # a similar but different domain
    ]
    for number, (email, flagged) in enumerate(cases):
        review = submit_and_confirm(http, outbox, agency="mia", email=email,
                                    text=unique_text(f"Fall {number}"))
        if flagged:
            assert_flagged(review, "self_review")
        else:
            assert_clean(review)
    # The demo agency's contact reviewing itself.
    assert_flagged(submit_and_confirm(http, outbox, email="kontakt@demo-makler.de",
                                      text=unique_text("demo")), "self_review")


def test_self_review_by_an_ip_the_agency_used_within_30_days(http, outbox, clock, container):
    calls = DynamoCalls(container.dynamodb)
    with source_ip(PUBLIC_IP):
        assert http.get("/agency/reviews", token=DEMO).status == 200
        first_writes = list(calls.writes)
        for _ in range(3):  # the same day again: no further write
            assert http.get("/agency/reviews", token=DEMO).status == 200
    assert first_writes == ["UpdateItem"]
    assert calls.writes == ["UpdateItem"]
    # Only a keyed hash is stored, never the address.
    stored = [i for i in every_item(container.settings.region)
              if i["pk"].startswith("AGENCYIP#demo#")]
    assert len(stored) == 1 and PUBLIC_IP not in str(stored)

    same_ip = submit_and_confirm(http, outbox, ip=PUBLIC_IP, email="a@example.org",
                                 text=unique_text("ip"))
    assert_flagged(same_ip, "self_review")
    assert "IP-Adresse" in " ".join(f["detail"] for f in same_ip["findings"])
    # Another agency's reviews from that IP are not affected, nor other IPs for demo.
    assert_clean(submit_and_confirm(http, outbox, agency="other", ip=PUBLIC_IP,
                                    email="b@example.org", text=unique_text("ip-other")))
    assert_clean(submit_and_confirm(http, outbox, ip=OTHER_PUBLIC_IP, email="c@example.org",
                                    text=unique_text("ip-else")))

    # 30 days later the signal still holds; after that it is gone.
    clock.advance(days=30)
    assert_flagged(submit_and_confirm(http, outbox, ip=PUBLIC_IP, email="d@example.org",
                                      text=unique_text("day30")), "self_review")
    clock.advance(days=1, hours=1)
    assert_clean(submit_and_confirm(http, outbox, ip=PUBLIC_IP, email="e@example.org",
                                    text=unique_text("day31")))
    # A new day of agency use renews it (one write per day).
    calls.reset()
    with source_ip(PUBLIC_IP):
        http.get("/agency/reviews", token=DEMO)
    assert calls.writes == ["UpdateItem"]
    assert_flagged(submit_and_confirm(http, outbox, ip=PUBLIC_IP, email="f@example.org",
                                      text=unique_text("renewed")), "self_review")


def test_private_and_loopback_ips_carry_no_signal(http, outbox, container):
    calls = DynamoCalls(container.dynamodb)
    for ip in ("10.1.2.3", "127.0.0.1", "192.168.0.9", "::1", "fd00::5"):
        with source_ip(ip):
            assert http.get("/agency/reviews", token=DEMO).status == 200
    assert calls.writes == []
    assert not [i for i in every_item(container.settings.region)
                if i["pk"].startswith("AGENCYIP#")]
    # Three reviews for one agency from one private IP: neither self nor multiple review.
    for number in range(3):
        review = submit_and_confirm(http, outbox, ip="10.1.2.3", email=f"n{number}@example.org",
                                    text=unique_text(f"private {number}"))
        assert_clean(review)
        assert review["signals"]["ip_recorded"] is False


def test_a_failing_ip_record_never_fails_the_request(http, container):
    def throttle(**_: Any) -> Any:
        parsed = {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "x"},
                  "ResponseMetadata": {"HTTPStatusCode": 400}}
        return AWSResponse("https://dynamodb", 400, {}, None), parsed

    container.dynamodb.meta.events.register("before-call.dynamodb.UpdateItem", throttle)
    with source_ip(PUBLIC_IP):
        assert http.get("/agency/reviews", token=DEMO).status == 200


# -- multiple_review -----------------------------------------------------------------------

def test_multiple_review_by_email_phone_or_ip(http, outbox):
    first = submit_and_confirm(http, outbox, email="eva@example.org", phone="+49 170 5550123",
                               text=unique_text("erste"))
    assert_clean(first)
    # Same email (any case) for the same agency.
    assert_flagged(submit_and_confirm(http, outbox, email="EVA@example.org",
                                      text=unique_text("zweite")), "multiple_review")
    # Same phone in another notation.
    review = submit_and_confirm(http, outbox, email="anders@example.org",
                                phone="0170 555 01 23", text=unique_text("telefon"))
    assert_flagged(review, "multiple_review")
    assert "Telefonnummer" in review["findings"][0]["detail"]
    # The same person reviewing another agency is fine.
    assert_clean(submit_and_confirm(http, outbox, agency="other", email="eva@example.org",
                                    phone="+49 170 5550123", text=unique_text("andere")))

    # Three reviews for one agency from one public IP within 24 h: the third is flagged.
    for number in range(2):
        assert_clean(submit_and_confirm(http, outbox, ip=PUBLIC_IP,
                                        email=f"ip{number}@example.org",
                                        text=unique_text(f"ip {number}")))
    third = submit_and_confirm(http, outbox, ip=PUBLIC_IP, email="ip2@example.org",
                               text=unique_text("ip 2"))
    assert_flagged(third, "multiple_review")
    assert "3 Bewertungen" in third["findings"][0]["detail"]


def test_reviews_from_one_ip_more_than_24_hours_apart_are_fine(http, outbox, clock):
    for number in range(3):
        review = submit_and_confirm(http, outbox, ip=PUBLIC_IP, email=f"t{number}@example.org",
                                    text=unique_text(f"tag {number}"))
        assert_clean(review)
        clock.advance(hours=13)  # 26 h between the first and the third


# -- abusive_language ------------------------------------------------------------------------

INSULTS = [
    "Der Makler ist ein Betrüger und hat uns hingehalten.",
    "Totaler B3TRÜÜÜG3R, der nur an seine Provision denkt.",
    "Ein echter Betrueger in Anzug und Krawatte, ehrlich.",
    "Was für ein B e t r ü g e r, wir sind fassungslos.",
    "Dieser I.d.i.o.t hat den Termin dreimal vergessen.",
    "So ein A-r-s-c-h-l-o-c-h, unfreundlich am Telefon.",
    "Halsabschneider und Abzocker der schlimmsten Sorte.",
    "Die reinste Immobilienmafia hier in der Gegend.",
    "Lügnerin vom Dienst, jede Aussage war geschönt.",
    "Ein Haufen V3rbr3ch3r, die Kaution ist noch weg.",
]
FACTUAL = [
    "Leider unzuverlässig, Rückrufe kamen erst nach Tagen.",
    "Preis zu hoch angesetzt, die Wohnung stand monatelang leer.",
    "Die Provision empfanden wir als überteuert für den Aufwand.",
    "Das Exposé enthielt falsche Angaben zur Wohnfläche, schade.",
    "Kommunikation schleppend, der Vertrag kam zu spät.",
    "Wir wohnen in Schweinfurt, die Besichtigung war sauber organisiert.",
    "Der Ablauf war idiotensicher erklärt, Note befriedigend.",
]


def test_abusive_language_is_found_through_obfuscations(http, outbox):
    for number, text in enumerate(INSULTS):
        review = submit_and_confirm(http, outbox, email=f"insult{number}@example.org",
                                    title="Erfahrung", text=text)
        assert_flagged(review, "abusive_language")
        [finding] = [f for f in review["findings"] if f["check"] == "abusive_language"]
        assert "Schmähkritik" in finding["detail"]


def test_factual_criticism_passes(http, outbox):
    for number, text in enumerate(FACTUAL):
        review = submit_and_confirm(http, outbox, email=f"kritik{number}@example.org",
                                    rating=2, title="Eher nicht", text=text)
        assert_clean(review)


# -- duplicate_text ----------------------------------------------------------------------------

ORIGINAL = ("Wir haben unser Haus in Potsdam mit diesem Makler verkauft. Die Bewertung war "
            "realistisch, die Besichtigungen gut vorbereitet und die Kaufinteressenten "
            "sorgfältig ausgewählt. Der Notartermin wurde zügig organisiert und alle Fragen "
            "wurden geduldig beantwortet. Wir würden jederzeit wieder mit ihm arbeiten.")


def test_duplicate_and_near_duplicate_texts_anywhere_on_the_platform(http, outbox):
    assert_clean(submit_and_confirm(http, outbox, email="original@example.org", text=ORIGINAL))
    # The same text for another agency, with other case and punctuation.
    copied = submit_and_confirm(http, outbox, agency="other", email="kopie@example.org",
                                text=ORIGINAL.upper().replace(".", "!"))
    assert_flagged(copied, "duplicate_text")
    assert "100 %" in copied["findings"][0]["detail"]
    # One word changed and one sentence added: still ≥ 0.8 word-shingle Jaccard.
    near = ORIGINAL.replace("Potsdam", "Werder") + " Danke!"
    assert_flagged(submit_and_confirm(http, outbox, email="fast@example.org", text=near),
                   "duplicate_text")
    # A different text about the same kind of sale passes.
    assert_clean(submit_and_confirm(
        http, outbox, email="eigen@example.org",
        text="Unsere Eigentumswohnung in Leipzig war nach sechs Wochen verkauft. Der Makler "
             "hat ehrlich beraten und auch von einer zu hohen Preisvorstellung abgeraten."))


def test_a_borderline_similarity_is_published_but_marked_for_re_verification(http, outbox):
    assert_clean(submit_and_confirm(http, outbox, email="original@example.org", text=ORIGINAL))
    sentences = ORIGINAL.split(". ")
    borderline = ". ".join(sentences[:3]) + ". Leider hat die Übergabe des Hauses dann drei " \
                                            "Wochen länger gedauert als geplant."
    review = submit_and_confirm(http, outbox, email="aehnlich@example.org", text=borderline)
    assert_clean(review)
    assert review["borderline"] is True


# -- contact_data_in_text ----------------------------------------------------------------------

def test_contact_data_in_the_text(http, outbox):
    flagged = {
        "mail": "Schreiben Sie mir gern an max.mustermann@example.org für Details.",
        "mail-obfuscated": "Fragen bitte an max (at) example (dot) org, ich antworte.",
        "phone": "Rufen Sie mich an unter 0171 2345678, dann erzähle ich mehr.",
        "phone-international": "Erreichbar unter +49 30 98765432 für Rückfragen aller Art.",
        "url": "Bessere Makler finden Sie auf www.andere-makler.de, schauen Sie mal.",
        "bare-domain": "Günstiger geht es bei makler-schnell.de, echt jetzt wahr.",
    }
    for case, text in flagged.items():
        review = submit_and_confirm(http, outbox, email=f"{case}@example.org", text=text)
        assert_flagged(review, "contact_data_in_text")
    clean = ("Kaufpreis 450.000 Euro, 3 Zimmer, Übergabe am 01.02.2026 um 10:30 Uhr, "
             "Provision 3,57 % und PLZ 10115 – alles wie vereinbart.")
    assert_clean(submit_and_confirm(http, outbox, email="zahlen@example.org", text=clean))


# -- the QA queue and the working-day SLA --------------------------------------------------------

def confirm_at(http, outbox, clock, moment: datetime, email: str) -> dict[str, Any]:
    clock.set(moment)
    return submit_and_confirm(http, outbox, email=email,
                              text=f"Der Makler ist ein Betrüger, sagt {email} am {moment}.")


def test_due_by_counts_two_german_working_days(http, outbox, clock):
    cases = [
        # Thu 24 Dec: 25 and 26 Dec are holidays, Sunday is no Werktag → Tue 29 Dec.
        (datetime(2026, 12, 24, 10, 0, tzinfo=UTC), "2026-12-29"),
        # Just after midnight in Berlin it is already the 24th (23:30 UTC on the 23rd).
        (datetime(2026, 12, 23, 23, 30, tzinfo=UTC), "2026-12-29"),
        # Thu 26 Nov: Friday and Saturday are Werktage.
        (datetime(2026, 11, 26, 12, 0, tzinfo=UTC), "2026-11-28"),
        # Fri 27 Nov: Saturday, then Monday (Sunday skipped).
        (datetime(2026, 11, 27, 12, 0, tzinfo=UTC), "2026-11-30"),
        # Sat 28 Nov: Monday and Tuesday.
        (datetime(2026, 11, 28, 12, 0, tzinfo=UTC), "2026-12-01"),
        # Thu 2 Apr 2026: Good Friday, Easter Sunday and Monday are holidays → Tue 7 Apr.
        (datetime(2026, 4, 2, 9, 0, tzinfo=UTC), "2026-04-07"),
        # Thu 30 Apr: 1 May is a holiday → Sat 2 May, Mon 4 May.
        (datetime(2026, 4, 30, 9, 0, tzinfo=UTC), "2026-05-04"),
    ]
    for number, (moment, due) in enumerate(cases):
        review = confirm_at(http, outbox, clock, moment, f"sla{number}@example.org")
        assert review["status"] == "in_review"
        assert review["due_by"] == due, (moment, review["due_by"], due)


def test_qa_queue_lists_findings_and_due_dates_in_order(http, outbox, clock):
    later = confirm_at(http, outbox, clock, datetime(2026, 11, 27, 12, 0, tzinfo=UTC),
                       "later@example.org")
    sooner = confirm_at(http, outbox, clock, datetime(2026, 11, 23, 12, 0, tzinfo=UTC),
                        "sooner@example.org")
    published = submit_and_confirm(http, outbox, email="fine@example.org",
                                   text=unique_text("fine"))
    reply = http.get("/qa/reviews?status=in_review", token=QA)
    assert reply.status == 200
    queue = reply.json["reviews"]
    assert [r["review_id"] for r in queue] == [sooner["review_id"], later["review_id"]]
    for entry in queue:
        assert entry["status"] == "in_review"
        assert entry["due_by"] in ("2026-11-25", "2026-11-30")
        assert entry["findings"] and all(set(f) == {"check", "detail"} for f in entry["findings"])
    # Without a status the queue is in_review; other statuses can be listed too.
    assert http.get("/qa/reviews", token=QA).json["reviews"] == queue
    listed = http.get("/qa/reviews?status=published", token=QA).json["reviews"]
    assert [r["review_id"] for r in listed] == [published["review_id"]]
    # Paging through the queue one by one.
    page = http.get("/qa/reviews?status=in_review&limit=1", token=QA).json
    assert [r["review_id"] for r in page["reviews"]] == [sooner["review_id"]]
    rest = http.get(f"/qa/reviews?status=in_review&limit=1&cursor={page['next_cursor']}",
                    token=QA).json
    assert [r["review_id"] for r in rest["reviews"]] == [later["review_id"]]
    assert rest["next_cursor"] is None
