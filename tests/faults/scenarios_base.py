"""The parts every scenario module uses: the world a scenario prepares through the HTTP
API, the scenario itself, and the requests it ends with."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.conftest import DEMO, QA, tour_payload
from tests.functional.reviews.support import review_payload
from tests.support import links_of, register

BAD_WORD_TEXT = "Der Makler ist ein B3trüg3r, Termine hat er nie eingehalten und so weiter."
LINK = "/links/{purpose}/{token}"
OWNER_EMAIL = "inhaber@demo-makler.de"


@dataclass
class World:
    http: Any
    outbox: Callable[[], list[dict[str, Any]]]
    clock: Any
    container: Any

    # -- building blocks ---------------------------------------------------------------

    def ok(self, reply: Any, status: int = 200) -> Any:
        assert reply.status == status, (reply.status, reply.body[:400])
        return reply.json if reply.headers.get("content-type", "").startswith(
            "application/json") else reply

    def tour(self, mode: str = "email", **overrides: Any) -> dict[str, Any]:
        return self.ok(self.http.post("/agency/tours", tour_payload(mode, **overrides),
                                      token=DEMO), 201)

    def register(self, tour: dict[str, Any], **fields: Any) -> dict[str, Any]:
        return register(self.http, tour["tour_id"], **fields)

    def link(self, purpose: str, to: str | None = None) -> str:
        for message in reversed(self.outbox()):
            if to is not None and to not in message["to"]:
                continue
            found = links_of(message, purpose)
            if found:
                return found[-1]
        raise AssertionError(f"no {purpose} link mailed")

    def review(self, **overrides: Any) -> str:
        """A submitted, unconfirmed review; its confirm link is in the outbox."""
        return self.ok(self.http.post("/agencies/demo/reviews", review_payload(**overrides)),
                       202)["review_id"]

    def confirmed_review(self, **overrides: Any) -> str:
        review_id = self.review(**overrides)
        email = review_payload(**overrides)["email"]
        self.ok(self.http.form_post(self.link("review-confirm", email)))
        return review_id

    def flag(self, review_id: str) -> None:
        """QA flags a published review: the next review-sweep asks it to re-confirm."""
        self.ok(self.http.post(f"/qa/reviews/{review_id}/flag",
                               {"reason": "Stichprobe im Fehlertest."}, token=QA))

    def report(self, review_id: str) -> str:
        return self.ok(self.http.post(
            f"/agency/reviews/{review_id}/reports",
            {"category": "not_a_customer", "reason": "Diese Person war nie unsere Kundin."},
            token=DEMO), 201)["report_id"]

    def address(self, **fields: Any) -> str:
        body = {"first_name": "Eva", "last_name": "Muster", "email": "eva@example.org",
                **fields}
        return self.ok(self.http.post("/agency/addresses", body, token=DEMO), 201)["address_id"]

    def property(self) -> str:
        return self.ok(self.http.post("/agency/properties", {"title": "Altbau"}, token=DEMO),
                       201)["property_id"]

    def consent_mail(self) -> str:
        address_id = self.address(phone="+49 171 2345678")
        self.ok(self.http.post("/agency/gdpr/consent-requests", {"address_ids": [address_id]},
                               token=DEMO))
        return address_id


Act = Callable[[], Any]


@dataclass(frozen=True)
class Scenario:
    name: str
    method: str
    route: str                  # the route template, or /links/<purpose>/{token}
    prepare: Callable[[World], Act]
    status: int = 200           # the answer of the successful request
    repeatable: bool = False    # a second identical request is a new, valid action
    # Mails a permanent SES refusal causes: a refused mail to a reviewer takes a published
    # review off the public list, and the agency is told why (ReviewQa.mail_failed).
    refusal_notices: int = 0

    def __str__(self) -> str:
        return self.name


def call(world: World, method: str, path: str, body: Any = None, token: str | None = DEMO
          ) -> Act:
    return lambda: world.http.request(method, path, json_body=body, token=token)


def form(world: World, link: str, data: str = "confirm=1") -> Act:
    return lambda: world.http.form_post(link, data)


def owner(w: World) -> str:
    """The demo agency owner's id token (users, API keys and webhooks are owner-only)."""
    from devstack.environment import DEMO_PASSWORD

    return w.ok(w.http.post("/auth/sign-in", {"email": OWNER_EMAIL,
                                              "password": DEMO_PASSWORD}))["id_token"]
