"""One scenario per state-changing request of the API: how to bring a fresh world to the
point where the request makes sense, and the request itself. The fault tests run every
scenario; ``test_every_write_route_has_a_scenario`` fails when a route or link purpose is
added without one, so new write paths are covered by the fault tests automatically."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.conftest import DEMO, QA, registration_payload, tour_payload
from tests.functional.reviews.support import review_payload
from tests.support import links_of, register

BAD_WORD_TEXT = "Der Makler ist ein B3trüg3r, Termine hat er nie eingehalten und so weiter."


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


def _call(world: World, method: str, path: str, body: Any = None, token: str | None = DEMO
          ) -> Act:
    return lambda: world.http.request(method, path, json_body=body, token=token)


def _form(world: World, link: str, data: str = "confirm=1") -> Act:
    return lambda: world.http.form_post(link, data)


# -- tours ---------------------------------------------------------------------------------

def create_tour(w: World) -> Act:
    return _call(w, "POST", "/agency/tours", tour_payload("email"))


def replace_tour(w: World) -> Act:
    tour = w.tour()
    return _call(w, "PUT", f"/agency/tours/{tour['tour_id']}",
                 tour_payload("manual", title="Neu: Altbau mit Balkon"))


def delete_tour(w: World) -> Act:
    tour = w.tour("email")
    w.register(tour)
    return _call(w, "DELETE", f"/agency/tours/{tour['tour_id']}")


def view_events(w: World) -> Act:
    tour = w.tour("email")
    return _call(w, "POST", f"/tours/{tour['tour_id']}/views",
                 {"events": [{"type": "tour_view"}, {"type": "form_opened"}]}, token=None)


def register_email(w: World) -> Act:
    tour = w.tour("email")
    return _call(w, "POST", f"/tours/{tour['tour_id']}/registrations",
                 registration_payload(), token=None)


def register_manual(w: World) -> Act:
    tour = w.tour("manual")
    return _call(w, "POST", f"/tours/{tour['tour_id']}/registrations",
                 registration_payload(), token=None)


def _pending_manual(w: World) -> str:
    return w.register(w.tour("manual"))["registration_id"]


def approve_by_api(w: World) -> Act:
    return _call(w, "POST", f"/agency/registrations/{_pending_manual(w)}/approve")


def deny_by_api(w: World) -> Act:
    return _call(w, "POST", f"/agency/registrations/{_pending_manual(w)}/deny")


def unlock_link(w: World) -> Act:
    w.register(w.tour("email"))
    return _form(w, w.link("unlock"))


def approve_link(w: World) -> Act:
    _pending_manual(w)
    return _form(w, w.link("approve"))


def deny_link(w: World) -> Act:
    _pending_manual(w)
    return _form(w, w.link("deny"))


# -- reviews -------------------------------------------------------------------------------

def submit_review(w: World) -> Act:
    return _call(w, "POST", "/agencies/demo/reviews", review_payload(), token=None)


def confirm_link(w: World) -> Act:
    w.review()
    return _form(w, w.link("review-confirm"))


def reverify_link(w: World) -> Act:
    w.flag(w.confirmed_review())
    w.clock.advance(days=15)
    assert w.ok(w.http.post("/dev/jobs/review-sweep", {}))["reverification_requested"] == 1
    return _form(w, w.link("review-reverify"))


def comment(w: World) -> Act:
    review_id = w.confirmed_review()
    return _call(w, "PUT", f"/agency/reviews/{review_id}/comment",
                 {"text": "Vielen Dank für Ihr Vertrauen!"})


def report_review(w: World) -> Act:
    review_id = w.confirmed_review()
    return _call(w, "POST", f"/agency/reviews/{review_id}/reports",
                 {"category": "false_facts", "reason": "Die Einschätzung stammte nicht von uns."})


def qa_decision(w: World) -> Act:
    review_id = w.confirmed_review(text=BAD_WORD_TEXT)
    return _call(w, "POST", f"/qa/reviews/{review_id}/decision",
                 {"decision": "reject", "reason": "Formalbeleidigung, kein Sachbezug."}, token=QA)


def phone_check(w: World) -> Act:
    review_id = w.confirmed_review(text=BAD_WORD_TEXT, phone="+49 171 2345678")
    return _call(w, "POST", f"/qa/reviews/{review_id}/phone-check",
                 {"confirmed": True, "note": "Telefonisch erreicht."}, token=QA)


def _open_report(w: World) -> str:
    return w.report(w.confirmed_review())


def request_statement(w: World) -> Act:
    return _call(w, "POST", f"/qa/reports/{_open_report(w)}/request-statement",
                 {"message": "Bitte schildern Sie kurz Ihren Kontakt."}, token=QA)


def request_proof(w: World) -> Act:
    return _call(w, "POST", f"/qa/reports/{_open_report(w)}/request-proof", {}, token=QA)


def resolve_report(w: World) -> Act:
    return _call(w, "POST", f"/qa/reports/{_open_report(w)}/resolve",
                 {"outcome": "block", "reason": "Kein Kundenkontakt belegt."}, token=QA)


def _answer_link(w: World, kind: str) -> Act:
    report_id = _open_report(w)
    w.ok(w.http.post(f"/qa/reports/{report_id}/request-{kind}", {}, token=QA))
    return _form(w, w.link(f"review-{kind}"), "answer=Ich+war+im+M%C3%A4rz+bei+der+Besichtigung.")


def statement_link(w: World) -> Act:
    return _answer_link(w, "statement")


def proof_link(w: World) -> Act:
    return _answer_link(w, "proof")


# -- addresses and GDPR --------------------------------------------------------------------------

def create_address(w: World) -> Act:
    return _call(w, "POST", "/agency/addresses",
                 {"first_name": "Eva", "last_name": "Muster", "email": "eva@example.org"})


def patch_address(w: World) -> Act:
    address_id = w.address()
    return _call(w, "PATCH", f"/agency/addresses/{address_id}",
                 {"store_until": "2030-12-31", "store_until_reason": "Steuerrecht",
                  "city": "Berlin"})


def delete_address(w: World) -> Act:
    return _call(w, "DELETE", f"/agency/addresses/{w.address()}")


def add_activity(w: World) -> Act:
    address_id, property_id = w.address(), w.property()
    return _call(w, "POST", f"/agency/addresses/{address_id}/activities",
                 {"type": "expose_sent", "property_id": property_id})


def apply_suggestion(w: World) -> Act:
    """A verified registration whose last name differs from the stored one (issue 19)."""
    address_id = w.address()
    w.register(w.tour("email"), last_name="Neumann")
    w.ok(w.http.form_post(w.link("unlock")), 303)
    preview = w.ok(w.http.get(f"/agency/addresses/{address_id}/preview", token=DEMO))
    [suggestion] = [a for a in preview["activities"] if a["type"] == "suggestion"]
    return _call(w, "POST", f"/agency/addresses/{address_id}/suggestions/"
                            f"{suggestion['activity_id']}/apply")


def bulk_delete(w: World) -> Act:
    ids = [w.address(email=f"p{n}@example.org") for n in range(2)]
    return _call(w, "POST", "/agency/addresses/bulk-delete", {"address_ids": ids})


def consent_requests(w: World) -> Act:
    address_id = w.address(phone="+49 171 2345678")
    return _call(w, "POST", "/agency/gdpr/consent-requests", {"address_ids": [address_id]})


def gdpr_settings(w: World) -> Act:
    return _call(w, "PUT", "/agency/gdpr/settings",
                 {"auto_store_until": True, "retention_days": 90, "auto_delete_expired": True})


def agency_profile(w: World) -> Act:
    return _call(w, "PUT", "/agency/profile",
                 {"phone": "+49 30 7777777", "dpo_contact": "Datenschutz GmbH"})


def record_access_request(w: World) -> Act:
    return _call(w, "POST", "/agency/gdpr/access-requests", {"address_id": w.address()})


def answer_access_request(w: World) -> Act:
    reply = w.http.post("/agency/gdpr/access-requests", {}, token=DEMO)
    request_id = w.ok(reply, 201)["request_id"]
    return _call(w, "POST", f"/agency/gdpr/access-requests/{request_id}/answer")


# -- accounts ------------------------------------------------------------------------------------

OWNER_EMAIL = "inhaber@demo-makler.de"


def _owner(w: World) -> str:
    from devstack.environment import DEMO_PASSWORD

    return w.ok(w.http.post("/auth/sign-in", {"email": OWNER_EMAIL,
                                              "password": DEMO_PASSWORD}))["id_token"]


def create_api_key(w: World) -> Act:
    return _call(w, "POST", "/agency/api-keys", {"name": "CRM-Sync"}, token=_owner(w))


def delete_api_key(w: World) -> Act:
    owner = _owner(w)
    key = w.ok(w.http.post("/agency/api-keys", {"name": "CRM-Sync"}, token=owner), 201)
    return _call(w, "DELETE", f"/agency/api-keys/{key['api_key_id']}", token=owner)


# A receiver nobody listens on: every attempt fails (connection refused).
DEAD_RECEIVER = "http://127.0.0.1:9/hook"


def _webhook(w: World) -> str:
    return w.ok(w.http.post("/agency/webhooks", {"url": DEAD_RECEIVER,
                                                 "events": ["address.deleted"]}, token=DEMO),
                201)["webhook_id"]


def create_webhook(w: World) -> Act:
    return _call(w, "POST", "/agency/webhooks",
                 {"url": DEAD_RECEIVER, "events": ["registration.created", "address.deleted"]})


def delete_webhook(w: World) -> Act:
    return _call(w, "DELETE", f"/agency/webhooks/{_webhook(w)}")


def rotate_webhook_secret(w: World) -> Act:
    return _call(w, "POST", f"/agency/webhooks/{_webhook(w)}/rotate-secret")


def ping_webhook(w: World) -> Act:
    return _call(w, "POST", f"/agency/webhooks/{_webhook(w)}/ping")


def retry_delivery(w: World) -> Act:
    """A ping that failed every attempt of its schedule (the job on a moving clock)."""
    webhook_id = _webhook(w)
    delivery_id = w.ok(w.http.post(f"/agency/webhooks/{webhook_id}/ping", token=DEMO),
                       202)["delivery_id"]
    for _ in range(12):
        w.clock.advance(hours=13)
        w.ok(w.http.post("/dev/jobs/webhook-retry", {}))
    [record] = w.ok(w.http.get(f"/agency/webhooks/{webhook_id}/deliveries",
                               token=DEMO))["deliveries"]
    assert record["status"] == "failed", record
    return _call(w, "POST", f"/agency/webhooks/{webhook_id}/deliveries/{delivery_id}/retry")


def create_property(w: World) -> Act:
    return _call(w, "POST", "/agency/properties", {"title": "Altbau"})


def archive_property(w: World) -> Act:
    address_id, property_id = w.address(), w.property()
    w.ok(w.http.post(f"/agency/addresses/{address_id}/activities",
                     {"type": "inquiry", "property_id": property_id}, token=DEMO), 201)
    return _call(w, "POST", f"/agency/properties/{property_id}/archive")


def relate(w: World) -> Act:
    address_id, property_id = w.address(), w.property()
    return _call(w, "POST", f"/agency/properties/{property_id}/relations",
                 {"address_id": address_id, "role": "owner"})


def consent_link(w: World) -> Act:
    w.consent_mail()
    return _form(w, w.link("consent"))


def deletion_link(w: World) -> Act:
    w.consent_mail()
    return _form(w, w.link("deletion-request"))


def correction_link(w: World) -> Act:
    w.consent_mail()
    return _form(w, w.link("correction"), "correction=Neue+Telefonnummer%3A+0171+999")


def _invited(w: World) -> None:
    """A buyer of a property, invited to review: the mail with both links is out."""
    address_id, property_id = w.address(), w.property()
    w.ok(w.http.post(f"/agency/properties/{property_id}/relations",
                     {"address_id": address_id, "role": "buyer"}, token=DEMO), 201)
    w.ok(w.http.post("/agency/review-invitations", {"address_id": address_id,
                                                     "property_id": property_id},
                     token=DEMO), 201)


def invite_review(w: World) -> Act:
    address_id, property_id = w.address(), w.property()
    w.ok(w.http.post(f"/agency/properties/{property_id}/relations",
                     {"address_id": address_id, "role": "tenant"}, token=DEMO), 201)
    return _call(w, "POST", "/agency/review-invitations",
                 {"address_id": address_id, "property_id": property_id})


def invited_review_link(w: World) -> Act:
    _invited(w)
    return _form(w, w.link("review-invite"),
                 "rating=4&title=Gute+Betreuung&reviewer_name=Eva+M.&text="
                 "Die+Besichtigungen+waren+gut+organisiert+und+puenktlich.")


def invitation_objection_link(w: World) -> Act:
    _invited(w)
    return _form(w, w.link("review-invite-objection"))


LINK = "/links/{purpose}/{token}"

SCENARIOS = [
    Scenario("create tour", "POST", "/agency/tours", create_tour, 201, repeatable=True),
    Scenario("replace tour", "PUT", "/agency/tours/{tour_id}", replace_tour, repeatable=True),
    Scenario("delete tour", "DELETE", "/agency/tours/{tour_id}", delete_tour),
    Scenario("view events", "POST", "/tours/{tour_id}/views", view_events, 202,
             repeatable=True),
    Scenario("create API key", "POST", "/agency/api-keys", create_api_key, 201,
             repeatable=True),
    Scenario("delete API key", "DELETE", "/agency/api-keys/{api_key_id}", delete_api_key),
    Scenario("register (email)", "POST", "/tours/{tour_id}/registrations", register_email, 202,
             repeatable=True),
    Scenario("register (manual)", "POST", "/tours/{tour_id}/registrations", register_manual,
             202, repeatable=True),
    Scenario("approve by API", "POST", "/agency/registrations/{registration_id}/approve",
             approve_by_api),
    Scenario("deny by API", "POST", "/agency/registrations/{registration_id}/deny", deny_by_api),
    Scenario("unlock link", "POST", "/links/unlock/{token}", unlock_link, 303),
    Scenario("approve link", "POST", "/links/approve/{token}", approve_link),
    Scenario("deny link", "POST", "/links/deny/{token}", deny_link),
    Scenario("submit review", "POST", "/agencies/{agency_id}/reviews", submit_review, 202,
             repeatable=True),
    Scenario("confirm review link", "POST", "/links/review-confirm/{token}", confirm_link,
             refusal_notices=1),
    Scenario("re-verify link", "POST", "/links/review-reverify/{token}", reverify_link),
    Scenario("comment", "PUT", "/agency/reviews/{review_id}/comment", comment, repeatable=True),
    Scenario("report review", "POST", "/agency/reviews/{review_id}/reports", report_review, 201),
    Scenario("QA decision", "POST", "/qa/reviews/{review_id}/decision", qa_decision),
    Scenario("QA phone check", "POST", "/qa/reviews/{review_id}/phone-check", phone_check,
             repeatable=True),
    Scenario("request statement", "POST", "/qa/reports/{report_id}/request-statement",
             request_statement),
    Scenario("request proof", "POST", "/qa/reports/{report_id}/request-proof", request_proof),
    Scenario("resolve report", "POST", "/qa/reports/{report_id}/resolve", resolve_report),
    Scenario("statement link", "POST", "/links/review-statement/{token}", statement_link),
    Scenario("proof link", "POST", "/links/review-proof/{token}", proof_link),
    Scenario("create address", "POST", "/agency/addresses", create_address, 201,
             repeatable=True),
    Scenario("patch address", "PATCH", "/agency/addresses/{address_id}", patch_address,
             repeatable=True),
    Scenario("delete address", "DELETE", "/agency/addresses/{address_id}", delete_address),
    Scenario("add activity", "POST", "/agency/addresses/{address_id}/activities", add_activity,
             201, repeatable=True),
    Scenario("apply suggestion", "POST",
             "/agency/addresses/{address_id}/suggestions/{activity_id}/apply", apply_suggestion),
    Scenario("bulk delete", "POST", "/agency/addresses/bulk-delete", bulk_delete),
    Scenario("consent requests", "POST", "/agency/gdpr/consent-requests", consent_requests),
    Scenario("GDPR settings", "PUT", "/agency/gdpr/settings", gdpr_settings, repeatable=True),
    Scenario("agency profile", "PUT", "/agency/profile", agency_profile, repeatable=True),
    Scenario("record access request", "POST", "/agency/gdpr/access-requests",
             record_access_request, 201, repeatable=True),
    Scenario("answer access request", "POST",
             "/agency/gdpr/access-requests/{request_id}/answer", answer_access_request),
    Scenario("create property", "POST", "/agency/properties", create_property, 201,
             repeatable=True),
    Scenario("archive property", "POST", "/agency/properties/{property_id}/archive",
             archive_property),
    Scenario("relate address", "POST", "/agency/properties/{property_id}/relations", relate,
             201),
    Scenario("invite for a review", "POST", "/agency/review-invitations", invite_review, 201),
    Scenario("invited review link", "POST", "/links/review-invite/{token}",
             invited_review_link, refusal_notices=1),
    Scenario("invitation objection link", "POST", "/links/review-invite-objection/{token}",
             invitation_objection_link),
    Scenario("consent link", "POST", "/links/consent/{token}", consent_link),
    Scenario("deletion link", "POST", "/links/deletion-request/{token}", deletion_link),
    Scenario("correction link", "POST", "/links/correction/{token}", correction_link),
    Scenario("create webhook", "POST", "/agency/webhooks", create_webhook, 201,
             repeatable=True),
    Scenario("delete webhook", "DELETE", "/agency/webhooks/{webhook_id}", delete_webhook),
    Scenario("rotate webhook secret", "POST", "/agency/webhooks/{webhook_id}/rotate-secret",
             rotate_webhook_secret, repeatable=True),
    Scenario("ping webhook", "POST", "/agency/webhooks/{webhook_id}/ping", ping_webhook, 202,
             repeatable=True),
    Scenario("retry delivery", "POST",
             "/agency/webhooks/{webhook_id}/deliveries/{delivery_id}/retry", retry_delivery,
             202),
]
