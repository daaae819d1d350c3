"""Point 1: the AWS work of every public and link endpoint, next to the minimum the data
model allows and the issue's target.

Each endpoint is a ``prepare`` step (uncounted: it creates what the request needs, e.g. a
fresh registration and its mailed link) and the request itself (counted)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.counting import Work
from bench.stack import DEMO, BenchStack

REVIEW_TEXTS = (
    "Schnelle Rückmeldungen und eine realistische Preiseinschätzung, gern wieder.",
    "Die Besichtigung war gut vorbereitet, alle Unterlagen lagen pünktlich vor.",
    "Freundliche Beratung beim Verkauf unseres Hauses, der Preis wurde erreicht.",
    "Sehr geduldig bei unseren vielen Fragen zur Finanzierung und zum Grundbuch.",
)


@dataclass(frozen=True)
class Budget:
    """Round trips of one request: reads (GetItem/BatchGetItem/Query), single writes,
    transactions and SES calls. ``None`` = not bounded by the issue."""

    reads: int | None = None
    transactions: int | None = None
    writes: int | None = None
    ses: int | None = None

    def allows(self, work: Work) -> bool:
        return all(limit is None or measured <= limit for limit, measured in (
            (self.reads, work.reads), (self.transactions, work.transactions),
            (self.writes, work.writes), (self.ses, work.ses_calls)))

    def text(self) -> str:
        parts = [f"{n}{unit}" for n, unit in ((self.reads, "R"), (self.writes, "W"),
                                              (self.transactions, "T"), (self.ses, "S"))
                 if n is not None]
        return " ".join(parts) or "-"


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Endpoint:
    name: str
    prepare: Callable[[Fixture], Call]
    status: int
    minimum: Budget
    why: str
    target: Budget | None = None  # the per-request target, where it names one
    # Where the measured figure exceeds the target for a reason outside the target's data
    # model: the figure accepted instead, and why (docs/scaling.md, "Work per request").
    accepted: Budget | None = None
    accepted_why: str = ""



class Fixture:
    """What the endpoints need, created through the public API (uncounted)."""

    def __init__(self, stack: BenchStack) -> None:
        self.stack = stack
        self._serial = itertools.count(1)
        self.email_tour = self._tour("email")
        self.manual_tour = self._tour("manual")
        reply = stack.request("POST", f"/tours/{self.email_tour}/registrations",
                              json_body=self.prospect())
        assert reply.status == 202, reply.body
        self.viewer_token = reply.json["viewer_token"]

    def _tour(self, mode: str) -> str:
        from tests.conftest import tour_payload  # the functional tests' tour

        body = tour_payload(mode)
        if mode == "manual":
            body["protection"]["required_fields"] = ["first_name", "last_name", "phone"]
        reply = self.stack.request("POST", "/agency/tours", json_body=body, token=DEMO)
        assert reply.status == 201, reply.body
        return str(reply.json["tour_id"])

    def prospect(self) -> dict[str, Any]:
        n = next(self._serial)
        if n % 20 == 0:
            # All test-client requests share one IP, limited to 30 registrations per tour
            # and hour: move to the next hourly window before the limit is reached.
            self.stack.clock.advance(hours=1)
        return {"first_name": "Eva", "last_name": f"Muster{n}", "email": f"eva{n}@example.org",
                "phone": "+49 170 1234567", "privacy_accepted": True}

    def register(self, tour_id: str) -> None:
        reply = self.stack.request("POST", f"/tours/{tour_id}/registrations",
                                   json_body=self.prospect())
        assert reply.status == 202, reply.body

    def unlock_link(self) -> str:
        self.register(self.email_tour)
        return self.stack.last_link("unlock")

    def decision_link(self, purpose: str) -> str:
        self.register(self.manual_tour)
        return self.stack.last_link(purpose)

    def review_confirm_link(self) -> str:
        n = next(self._serial)
        reply = self.stack.request("POST", "/agencies/demo/reviews", json_body={
            "rating": 4, "title": "Gute Beratung", "reviewer_name": f"Eva M{n}.",
            "email": f"reviewer{n}@example.org",
            "text": f"{REVIEW_TEXTS[n % len(REVIEW_TEXTS)]} Objekt {n}."})
        assert reply.status == 202, reply.body
        return self.stack.last_link("review-confirm")

    def consent_link(self, purpose: str) -> str:
        n = next(self._serial)
        reply = self.stack.request("POST", "/agency/addresses", token=DEMO, json_body={
            "salutation": "Frau", "first_name": "Eva", "last_name": f"Adresse{n}",
            "email": f"adresse{n}@example.org"})
        assert reply.status == 201, reply.body
        reply = self.stack.request("POST", "/agency/gdpr/consent-requests", token=DEMO,
                                   json_body={"address_ids": [reply.json["address_id"]]})
        assert reply.status == 200, reply.body
        return self.stack.last_link(purpose)


def _link_get(purpose_link: Callable[[Fixture], str]) -> Callable[[Fixture], Call]:
    return lambda f: Call("GET", purpose_link(f))


def _link_post(purpose_link: Callable[[Fixture], str]) -> Callable[[Fixture], Call]:
    return lambda f: Call("POST", purpose_link(f), {"form": "confirm=1"})


LINK_GET = Budget(reads=1, transactions=0, writes=0, ses=0)
CONSENT = ("GetItem link (carries the address as the mail left it; the version-conditioned "
           "write reads the address only if it changed since); 1 tx; mail to agency")
LINK_POST = Budget(reads=1, transactions=1)
ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("GET /health", lambda f: Call("GET", "/health"), 200, Budget(0, 0, 0, 0),
             "no data"),
    Endpoint("GET /embed/v1.js", lambda f: Call("GET", "/embed/v1.js"), 200,
             Budget(0, 0, 0, 0), "static script"),
    Endpoint("GET /tours/{id}/protection",
             lambda f: Call("GET", f"/tours/{f.email_tour}/protection"), 200,
             Budget(1, 0, 0, 0), "GetItem tour", target=Budget(1, 0, 0, 0)),
    Endpoint("GET /tours/{id}/access (viewer token)",
             lambda f: Call("GET", f"/tours/{f.email_tour}/access",
                            {"headers": {"X-Viewer-Token": f.viewer_token}}), 200,
             Budget(1, 0, 0, 0), "BatchGetItem tour + registration",
             target=Budget(1, 0, 0, 0)),
    Endpoint("GET /tours/{id}/access (no token)",
             lambda f: Call("GET", f"/tours/{f.email_tour}/access"), 200,
             Budget(1, 0, 0, 0), "GetItem tour", target=Budget(1, 0, 0, 0)),
    Endpoint("POST /tours/{id}/registrations (email)",
             lambda f: Call("POST", f"/tours/{f.email_tour}/registrations",
                            {"json_body": f.prospect()}), 202,
             Budget(2, 1, 1, 1), "tour; email index+property; 1 tx (suppression list "
             "checked inside it); unlock mail; outbox marked sent",
             target=Budget(reads=2, transactions=1, ses=1)),
    Endpoint("POST /tours/{id}/registrations (manual)",
             lambda f: Call("POST", f"/tours/{f.manual_tour}/registrations",
                            {"json_body": f.prospect()}), 202,
             Budget(2, 1, 2, 2), "as email, but two mails: prospect and contact",
             target=Budget(reads=2, transactions=1, ses=1), accepted=Budget(2, 1, 2, 2),
             accepted_why="two recipients (prospect: request received; contact: approve/deny "
             "links), so two mails and 2 SES calls"),
    Endpoint("GET /links/unlock/{t}", _link_get(Fixture.unlock_link), 200, LINK_GET,
             "GetItem link (carries the page snapshot)", target=LINK_GET),
    Endpoint("POST /links/unlock/{t}", _link_post(Fixture.unlock_link), 303,
             Budget(1, 1, 0, 0), "GetItem link; 1 tx", target=LINK_POST),
    Endpoint("GET /links/approve/{t}", _link_get(lambda f: f.decision_link("approve")), 200,
             LINK_GET, "GetItem link", target=LINK_GET),
    Endpoint("POST /links/approve/{t}", _link_post(lambda f: f.decision_link("approve")), 200,
             Budget(1, 1, 1, 1), "GetItem link; 1 tx; mail to prospect; outbox marked sent",
             target=LINK_POST),
    Endpoint("POST /links/deny/{t}", _link_post(lambda f: f.decision_link("deny")), 200,
             Budget(1, 1, 1, 1), "GetItem link; 1 tx; mail to prospect; outbox marked sent",
             target=LINK_POST),
    Endpoint("POST /agencies/{id}/reviews",
             lambda f: Call("POST", "/agencies/demo/reviews", {"json_body": {
                 "rating": 5, "title": "Top", "reviewer_name": "Max K.",
                 "email": f"max{next(f._serial)}@example.org",
                 "text": "Alles bestens gelaufen, vom ersten Anruf bis zur Übergabe."}}), 202,
             Budget(1, 1, 1, 1), "agency; 1 tx; confirm mail; outbox marked sent"),
    Endpoint("GET /agencies/{id}/reviews",
             lambda f: Call("GET", "/agencies/demo/reviews"), 200,
             Budget(3, 0, 0, 0), "GetItem agency; Query summary shards (the counters are "
             "spread over items so a busy agency's reviews don't contend on one); Query "
             "published page"),
    Endpoint("GET /links/review-confirm/{t}", _link_get(Fixture.review_confirm_link), 200,
             LINK_GET, "GetItem link", target=LINK_GET),
    Endpoint("POST /links/review-confirm/{t}", _link_post(Fixture.review_confirm_link), 200,
             Budget(reads=2, transactions=1, writes=2, ses=2),
             "GetItem link; one BatchGetItem (review, agency, agency IP, identity and IP-day "
             "items, 12 MinHash band items: keys from the link's snapshot); 1 tx; mails to "
             "reviewer and agency, each outbox entry marked sent",
             target=LINK_POST, accepted=Budget(reads=3, transactions=1, writes=2, ses=2),
             accepted_why="the automatic checks need the review's lookups, whose keys the "
             "link holds: link GetItem, then one BatchGetItem of all of them (+1 BatchGetItem "
             "of the candidates' texts only when a band item names other reviews); 2 mails "
             "to 2 recipients"),
    Endpoint("GET /links/consent/{t}", _link_get(lambda f: f.consent_link("consent")), 200,
             LINK_GET, "GetItem link", target=LINK_GET),
    Endpoint("POST /links/consent/{t}", _link_post(lambda f: f.consent_link("consent")), 200,
             Budget(1, 1, 1, 1), CONSENT, target=LINK_POST),
    Endpoint("POST /links/deletion-request/{t}",
             _link_post(lambda f: f.consent_link("deletion-request")), 200,
             Budget(1, 1, 1, 1), CONSENT, target=LINK_POST),
)


def send(stack: BenchStack, call: Call) -> Any:
    options = dict(call.options)
    form = options.pop("form", None)
    if form is not None:
        return stack.form_post(call.path, form)
    return stack.request(call.method, call.path, **options)


def measure(stack: BenchStack, endpoints: tuple[Endpoint, ...] = ENDPOINTS,
            fixture: Fixture | None = None) -> list[dict[str, Any]]:
    fixture = fixture or Fixture(stack)
    rows = []
    for endpoint in endpoints:
        call = endpoint.prepare(fixture)
        with stack.counter.measure() as work:
            reply = send(stack, call)
        assert reply.status == endpoint.status, (endpoint.name, reply.status, reply.body[:300])
        rows.append({
            "endpoint": endpoint.name, "status": reply.status, **work.as_dict(),
            "minimum": endpoint.minimum.text(), "minimum_why": endpoint.why,
            "target": endpoint.target.text() if endpoint.target else None,
            "meets_target": endpoint.target.allows(work) if endpoint.target else None,
            "accepted": endpoint.accepted.text() if endpoint.accepted else None,
            "within_accepted": endpoint.accepted.allows(work) if endpoint.accepted else None,
            "accepted_why": endpoint.accepted_why or None,
            "at_minimum": endpoint.minimum.allows(work),
        })
    return rows
