"""Reviews end to end through the HTTP surface: submission (202 + confirm mail), the
confirm link (GET shows, POST checks and decides), the mails on publication, the public
listing with its summary and notice, the agency's list, and the purge of unconfirmed
reviews with their personal data after 30 days."""

from __future__ import annotations

import re

from chalicelib.links.service import LinkService
from chalicelib.secrets_util import sha256_hex
from tests.conftest import DEMO, OTHER, QA
from tests.functional.reviews.support import (
    PUBLIC_IP,
    agency_list,
    last_link,
    public,
    qa_review,
    review_payload,
    submit,
    submit_and_confirm,
)
from tests.support import dump, every_item, mails_to, run_concurrently, thread_safe_gateway

PAGE_HEADERS = {"cache-control": "no-store", "referrer-policy": "no-referrer"}


def assert_page(reply, status: int) -> None:
    assert reply.status == status, reply.body
    assert reply.headers["content-type"].startswith("text/html")
    for name, value in PAGE_HEADERS.items():
        assert reply.headers[name] == value


def test_submission_confirm_link_and_publication(http, outbox, container):
    reply = submit(http, phone="030 1234567")
    assert reply.status == 202, reply.body
    assert set(reply.json) == {"review_id", "status"}
    assert reply.json["status"] == "awaiting_confirmation"
    review_id = reply.json["review_id"]
    assert re.fullmatch(r"[a-z2-7]{26}", review_id)

    # One mail: the confirm link, valid 7 days, to the reviewer only.
    [confirm] = outbox()
    assert confirm["to"] == ["eva@example.org"]
    assert "Bewertung bestätigen" in confirm["html"]
    assert "30. November 2026" in confirm["text"]  # 23 Nov + 7 days
    link = last_link(outbox, "eva@example.org", "review-confirm")
    assert f"http://freigabe.test{link}" in confirm["html"]

    # Unconfirmed: nowhere public, but the agency sees it in its list (any status).
    assert public(http)["reviews"] == []
    assert public(http)["summary"] == {"count": 0, "average": None}
    [listed] = agency_list(http)
    assert listed["status"] == "awaiting_confirmation"
    assert qa_review(http, review_id)["phone"] == "+49301234567"  # stored normalized

    # GET and HEAD show the one form with the contract's button and change nothing.
    before = container.reviews.repo.get_review(review_id)
    for _ in range(2):
        page = http.get(link)
        assert_page(page, 200)
        forms = re.findall(r'<form method="post".*?</form>', page.text, re.S)
        assert len(forms) == 1
        assert re.search(r"<button[^>]*>Bewertung bestätigen</button>", forms[0])
        assert "Sehr gute Beratung" in page.text and "Demo Makler GmbH" in page.text
        assert "eva@example.org" not in page.text
        head = http.head(link)
        assert head.status == 200 and head.body == b""
    assert container.reviews.repo.get_review(review_id) == before
    assert len(outbox()) == 1

    # POST confirms; the checks find nothing; published within the same request.
    done = http.form_post(link)
    assert_page(done, 200)
    assert "veröffentlicht" in done.text
    review = qa_review(http, review_id)
    assert review["status"] == "published"
    assert review["findings"] == []
    assert review["confirmed_at"] == review["published_at"] == "2026-11-23T09:00:00.000Z"

    # The reviewer and the agency (with a link into its dashboard) are mailed.
    messages = outbox()
    assert len(messages) == 3
    [_confirm, published] = mails_to(messages, "eva@example.org")
    assert "veröffentlicht" in published["subject"]
    [agency_mail] = mails_to(messages, "kontakt@demo-makler.de")
    assert f"http://freigabe.test/dashboard/?review={review_id}" in agency_mail["text"]
    assert f"http://freigabe.test/dashboard/?review={review_id}" in agency_mail["html"]
    assert "Sehr gute Beratung" in agency_mail["text"]
    assert "eva@example.org" not in agency_mail["text"] + agency_mail["html"]
    assert "1234567" not in agency_mail["text"] + agency_mail["html"]

    # Public listing: the contract's fields, the summary and the notice.
    listing = public(http)
    [shown] = listing["reviews"]
    assert shown == {"review_id": review_id, "rating": 5, "title": "Sehr gute Beratung",
                     "text": review_payload()["text"], "reviewer_name": "Eva M.",
                     "published_at": "2026-11-23T09:00:00.000Z", "invited": False}
    assert listing["summary"] == {"count": 1, "average": 5.0}
    notice = listing["verification_notice"]
    for words in ("E-Mail", "bestätigen", "automatische Prüfungen", "Eigenbewertung",
                  "Mehrfachbewertung", "Schmähkritik", "Qualitätsteam", "2 Werktagen",
                  "Stichprobe von 5 % der Bewertenden je Jahr", "bei Auffälligkeiten",
                  "telefonisch", "Positive und negative Bewertungen",
                  "gleichermaßen veröffentlicht"):
        assert words in notice, words

    # The link is used: GET and POST answer 410 and nothing changes again.
    for again in (http.get(link), http.form_post(link)):
        assert_page(again, 410)
    assert len(outbox()) == 3
    assert qa_review(http, review_id)["status"] == "published"


def test_public_listing_is_newest_first_paginated_with_average(http, outbox, clock):
    ratings = [5, 4, 1, 2, 4]
    ids = []
    for number, rating in enumerate(ratings):
        clock.advance(minutes=5)
        review = submit_and_confirm(
            http, outbox, rating=rating, email=f"kunde{number}@example.org",
            text=f"Erfahrung Nummer {number}: " + "sachlich und freundlich beraten " * (number + 1))
        assert review["status"] == "published", review["findings"]
        ids.append(review["review_id"])

    first = public(http, query="?limit=2")
    assert [r["review_id"] for r in first["reviews"]] == ids[::-1][:2]
    assert first["summary"] == {"count": 5, "average": 3.2}
    second = public(http, query=f"?limit=2&cursor={first['next_cursor']}")
    third = public(http, query=f"?limit=2&cursor={second['next_cursor']}")
    seen = [r["review_id"] for r in first["reviews"] + second["reviews"] + third["reviews"]]
    assert seen == ids[::-1]
    assert third["next_cursor"] is None
    # Another agency's listing is its own.
    assert public(http, "other")["reviews"] == []
    assert public(http, "other")["summary"] == {"count": 0, "average": None}


def test_negative_and_positive_reviews_are_published_alike(http, outbox):
    bad = submit_and_confirm(http, outbox, rating=1, title="Leider enttäuschend",
                             text="Leider unzuverlässig, Rückrufe kamen nie und der Preis war "
                                  "viel zu hoch angesetzt. Keine Empfehlung von uns.")
    good = submit_and_confirm(http, outbox, rating=5, email="zweite@example.org",
                              text="Alles bestens gelaufen, sehr empfehlenswert und stets "
                                   "erreichbar gewesen.")
    assert bad["status"] == good["status"] == "published"
    assert public(http)["summary"] == {"count": 2, "average": 3.0}


def test_unknown_agency_is_404_and_sends_nothing(http, outbox):
    for body in (review_payload(), {"rating": "x"}, None):
        reply = http.post("/agencies/no-such-agency/reviews", body) if body is not None else \
            http.request("POST", "/agencies/no-such-agency/reviews", body=b"{kaputt")
        assert reply.status == 404, reply.body
        assert reply.json["error"]["code"] == "not_found"
    assert http.get("/agencies/no-such-agency/reviews").status == 404
    assert outbox() == []


def test_confirm_link_expires_after_seven_days(http, outbox, clock, container):
    reply = submit(http)
    link = last_link(outbox, "eva@example.org", "review-confirm")
    clock.advance(days=7, seconds=1)
    assert_page(http.get(link), 410)
    assert_page(http.form_post(link), 410)
    assert qa_review(http, reply.json["review_id"])["status"] == "awaiting_confirmation"
    assert len(outbox()) == 1


def test_unconfirmed_reviews_are_purged_with_their_personal_data_after_30_days(
        http, outbox, clock, container):
    reply = submit(http, ip=PUBLIC_IP, phone="+49 170 5550123", email="weg@example.org",
                   text="Dieser Text wird nie bestätigt und soll spurlos verschwinden, bitte.")
    review_id = reply.json["review_id"]
    kept = submit_and_confirm(http, outbox, email="bleibt@example.org")
    link = last_link(outbox, "weg@example.org", "review-confirm")
    token_hash = sha256_hex(link.rsplit("/", 1)[1])

    clock.advance(days=30, seconds=-1)
    assert http.post("/dev/jobs/review-sweep").json["purged"] == 0
    assert qa_review(http, review_id)["status"] == "awaiting_confirmation"

    clock.advance(seconds=2)
    summary = http.post("/dev/jobs/review-sweep").json
    assert summary["job"] == "review-sweep"
    assert summary["purged"] == 1
    assert http.get(f"/qa/reviews/{review_id}", token=QA).status == 404
    assert review_id not in {r["review_id"] for r in agency_list(http)}
    everything = dump(container.settings.region)
    for trace in ("weg@example.org", "spurlos", "4917055501", f"REVIEW#{review_id}"):
        assert trace not in everything, trace
    # Only the kept review is left in the identity index items (the purged one's email,
    # phone and IP entries are gone; an emptied item keeps no member).
    index_items = [i for i in every_item(container.settings.region)
                   if i["pk"].startswith(("IDENT#", "IPREV#"))]
    left = [m for i in index_items for m in i.get("ids", set())]
    assert left == [kept["review_id"]]
    # The emptied IP bucket still goes by TTL.
    assert [i for i in index_items if i["pk"].startswith("IPREV#")]
    assert all("expires_ttl" in i for i in index_items if i["pk"].startswith("IPREV#"))
    # The link answers 410 (its snapshot with the personal data is gone).
    link_item = container.core_table.get(*LinkService.key(token_hash))
    assert link_item["status"] == "superseded" and "context" not in link_item
    assert_page(http.get(link), 410)
    # The confirmed review is untouched.
    assert qa_review(http, kept["review_id"])["status"] == "published"
    assert http.post("/dev/jobs/review-sweep").json["purged"] == 0


def test_submissions_are_rate_limited_per_public_ip_but_never_for_private_ones(
        http, container, outbox):
    limit = container.settings.review_rate_per_ip_per_hour
    for number in range(limit):
        assert submit(http, ip=PUBLIC_IP, email=f"p{number}@example.org").status == 202
    refused = submit(http, ip=PUBLIC_IP, email="one-more@example.org")
    assert refused.status == 429
    assert refused.json["error"]["code"] == "rate_limited"
    assert int(refused.headers["retry-after"]) >= 1
    # Behind a proxy / on the local stack everybody shares a private address: no limit.
    for ip in ("10.0.0.7", "127.0.0.1", "192.168.1.20"):
        for number in range(limit + 1):
            assert submit(http, ip=ip, email=f"{ip}-{number}@example.org").status == 202
    # Another public IP is not affected.
    assert submit(http, ip="85.13.128.20", email="fresh@example.org").status == 202


def test_the_same_email_cannot_flood_an_agency_with_confirm_mails(http, container, outbox,
                                                                   clock):
    limit = container.settings.review_rate_per_email_per_hour
    for _ in range(limit):
        assert submit(http).status == 202
    assert submit(http).status == 429
    assert submit(http, email="EVA@example.org").status == 429  # case does not matter
    assert submit(http, agency="other").status == 202  # per agency
    clock.advance(hours=1)
    assert submit(http).status == 202
    assert len(outbox()) == limit + 2


def test_reviewer_data_never_reaches_agency_or_public_responses(http, outbox):
    review = submit_and_confirm(http, outbox, ip=PUBLIC_IP, phone="+49 170 5550123",
                                email="geheim@example.org")
    http.put(f"/agency/reviews/{review['review_id']}/comment", {"text": "Danke!"}, token=DEMO)
    reply = http.post(f"/agency/reviews/{review['review_id']}/reports",
                      {"category": "other", "reason": "Bitte prüfen Sie diese Bewertung."},
                      token=DEMO)
    assert reply.status == 201
    bodies = [
        http.get("/agency/reviews", token=DEMO).body,
        http.get("/agencies/demo/reviews").body,
        http.put(f"/agency/reviews/{review['review_id']}/comment", {"text": "Danke nochmal"},
                 token=DEMO).body,
        reply.body,
    ]
    for body in bodies:
        text = body.decode()
        for secret in ("geheim@example.org", "geheim", "5550123", "+49170", PUBLIC_IP,
                       "ip_hash", "user_agent", "findings", "email", "phone"):
            assert secret not in text, (secret, text[:300])
    # Other agencies see nothing of it.
    assert http.get("/agency/reviews", token=OTHER).json["reviews"] == []


def test_link_lifetimes_follow_the_settings(settings):
    assert settings.review_confirm_link_days == 7
    assert settings.review_answer_days == 14
    assert settings.review_reverify_link_days == 14
    assert settings.review_unconfirmed_purge_days == 30
    assert settings.review_reverify_share_per_year == 0.05


def test_concurrent_confirmations_publish_once(http, outbox):
    reply = submit(http)
    link = last_link(outbox, "eva@example.org", "review-confirm")
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    with thread_safe_gateway() as gateway:
        results = run_concurrently([
            lambda: gateway.handle_request(method="POST", path=link, headers=dict(form),
                                           body=b"confirm=1")["statusCode"]
            for _ in range(6)])
    assert sorted(results) == [200] + [410] * 5, results
    assert qa_review(http, reply.json["review_id"])["status"] == "published"
    assert len(outbox()) == 3  # confirm, published (reviewer), published (agency)
    assert public(http)["summary"] == {"count": 1, "average": 5.0}
