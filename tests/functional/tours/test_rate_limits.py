"""Registration rate limits: 5 per email per tour per hour, 30 per client IP per tour per
hour (the chalice test client always sends from 127.0.0.1). A refused request stores and
mails nothing."""

from __future__ import annotations

from typing import Any

from tests.conftest import DEMO, registration_payload

PER_EMAIL = 5
PER_IP = 30


def attempt(http: Any, tour_id: str, **overrides: Any) -> Any:
    """Posts a registration and returns the reply, whatever its status."""
    return http.post(f"/tours/{tour_id}/registrations", registration_payload(**overrides))


def assert_rate_limited(reply: Any) -> int:
    assert reply.status == 429, (reply.status, reply.body)
    assert set(reply.json) == {"error"}
    error = reply.json["error"]
    assert set(error) == {"code", "message"} and error["code"] == "rate_limited"
    assert isinstance(error["message"], str) and error["message"]
    retry_after = reply.headers["retry-after"]
    assert retry_after.isdigit(), retry_after
    assert 1 <= int(retry_after) <= 3600
    return int(retry_after)


def state(http: Any, outbox: Any, tour_id: str) -> dict[str, Any]:
    return {
        "mails": len(outbox()),
        "stats": http.get(f"/agency/tours/{tour_id}/stats", token=DEMO).json,
        "registrations": http.get(f"/agency/tours/{tour_id}/registrations",
                                  token=DEMO).json["registrations"],
        "addresses": http.get("/agency/addresses", token=DEMO).json["addresses"],
    }


def test_sixth_registration_of_one_email_within_the_hour_is_429(http, make_tour, outbox, clock):
    tour = make_tour("email")
    for _ in range(PER_EMAIL):
        assert attempt(http, tour["tour_id"]).status == 202
    assert http.get(f"/agency/tours/{tour['tour_id']}/stats",
                    token=DEMO).json["registrations"] == PER_EMAIL
    before = state(http, outbox, tour["tour_id"])
    assert before["mails"] == PER_EMAIL

    clock.advance(minutes=20)
    retry_after = assert_rate_limited(attempt(http, tour["tour_id"]))
    # The answer tells when to come back; the next hour starts in 40 minutes.
    assert retry_after <= 40 * 60
    assert state(http, outbox, tour["tour_id"]) == before
    # Refusing again does not change anything either.
    assert_rate_limited(attempt(http, tour["tour_id"], first_name="Evi", phone="+49 1"))
    assert state(http, outbox, tour["tour_id"]) == before


def test_other_tour_and_other_email_are_not_affected(http, make_tour):
    tour, other_tour = make_tour("email"), make_tour("manual")
    for _ in range(PER_EMAIL):
        assert attempt(http, tour["tour_id"]).status == 202
    assert_rate_limited(attempt(http, tour["tour_id"]))
    assert attempt(http, other_tour["tour_id"]).status == 202
    assert attempt(http, tour["tour_id"], email="paul@example.org").status == 202
    assert_rate_limited(attempt(http, tour["tour_id"]))


def test_after_the_hour_the_email_may_register_again(http, make_tour, clock):
    tour = make_tour("email")
    for _ in range(PER_EMAIL):
        assert attempt(http, tour["tour_id"]).status == 202
    assert_rate_limited(attempt(http, tour["tour_id"]))
    clock.advance(hours=1)
    reply = attempt(http, tour["tour_id"])
    assert reply.status == 202, reply.body
    assert http.get(f"/agency/tours/{tour['tour_id']}/stats",
                    token=DEMO).json["registrations"] == PER_EMAIL + 1


def test_case_variants_of_one_email_count_together(http, make_tour):
    tour = make_tour("email")
    variants = ["eva@example.org", "Eva@Example.org", "EVA@EXAMPLE.ORG", "eVa@example.ORG",
                "Eva@example.org"]
    for email in variants:
        assert attempt(http, tour["tour_id"], email=email).status == 202, email
    assert_rate_limited(attempt(http, tour["tour_id"], email="eva@EXAMPLE.org"))
    assert_rate_limited(attempt(http, tour["tour_id"], email=" eva@example.org "))


def test_thirty_first_registration_from_one_ip_is_429(http, make_tour, outbox):
    tour, other_tour = make_tour("email"), make_tour("email")
    for n in range(PER_IP):
        reply = attempt(http, tour["tour_id"], email=f"person{n}@example.org")
        assert reply.status == 202, (n, reply.body)
    before = state(http, outbox, tour["tour_id"])
    assert before["mails"] == PER_IP

    assert_rate_limited(attempt(http, tour["tour_id"], email="late@example.org"))
    assert state(http, outbox, tour["tour_id"]) == before
    assert http.get("/agency/addresses?email=late@example.org",
                    token=DEMO).json["addresses"] == []

    # Another tour has its own budget for the same IP.
    assert attempt(http, other_tour["tour_id"], email="late@example.org").status == 202


def test_ip_limit_resets_with_the_next_hour(http, make_tour, clock):
    tour = make_tour("email")
    for n in range(PER_IP):
        assert attempt(http, tour["tour_id"], email=f"p{n}@example.org").status == 202
    assert_rate_limited(attempt(http, tour["tour_id"], email="late@example.org"))
    clock.advance(hours=1)
    assert attempt(http, tour["tour_id"], email="late@example.org").status == 202


def test_refused_registrations_do_not_count_against_the_limit(http, make_tour):
    tour = make_tour("email")
    # Invalid attempts (422) are not registrations and must not use up the budget.
    for _ in range(PER_EMAIL + 2):
        assert attempt(http, tour["tour_id"], privacy_accepted=False).status == 422
    for _ in range(PER_EMAIL):
        assert attempt(http, tour["tour_id"]).status == 202
    assert_rate_limited(attempt(http, tour["tour_id"]))
