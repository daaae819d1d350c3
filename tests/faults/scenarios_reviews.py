"""Scenarios of the reviews: submission and its links, the agency's comment and reports,
QA's decisions, flags and takedowns, notices (DSA Art. 16) and invitations."""

from __future__ import annotations

from tests.conftest import DEMO, QA
from tests.faults.scenarios_base import BAD_WORD_TEXT, Act, Scenario, World, call, form
from tests.functional.reviews.support import review_payload

# -- reviews -------------------------------------------------------------------------------

def submit_review(w: World) -> Act:
    return call(w, "POST", "/agencies/demo/reviews", review_payload(), token=None)


def confirm_link(w: World) -> Act:
    w.review()
    return form(w, w.link("review-confirm"))


def reverify_link(w: World) -> Act:
    w.flag(w.confirmed_review())
    w.clock.advance(days=15)
    assert w.ok(w.http.post("/dev/jobs/review-sweep", {}))["reverification_requested"] == 1
    return form(w, w.link("review-reverify"))


def comment(w: World) -> Act:
    review_id = w.confirmed_review()
    return call(w, "PUT", f"/agency/reviews/{review_id}/comment",
                 {"text": "Vielen Dank für Ihr Vertrauen!"})


def report_review(w: World) -> Act:
    review_id = w.confirmed_review()
    return call(w, "POST", f"/agency/reviews/{review_id}/reports",
                 {"category": "false_facts", "reason": "Die Einschätzung stammte nicht von uns."})


def qa_decision(w: World) -> Act:
    review_id = w.confirmed_review(text=BAD_WORD_TEXT)
    return call(w, "POST", f"/qa/reviews/{review_id}/decision",
                 {"decision": "reject", "reason": "Formalbeleidigung, kein Sachbezug."}, token=QA)


def phone_check(w: World) -> Act:
    review_id = w.confirmed_review(text=BAD_WORD_TEXT, phone="+49 171 2345678")
    return call(w, "POST", f"/qa/reviews/{review_id}/phone-check",
                 {"confirmed": True, "note": "Telefonisch erreicht."}, token=QA)


def _open_report(w: World) -> str:
    return w.report(w.confirmed_review())


def request_statement(w: World) -> Act:
    return call(w, "POST", f"/qa/reports/{_open_report(w)}/request-statement",
                 {"message": "Bitte schildern Sie kurz Ihren Kontakt."}, token=QA)


def request_proof(w: World) -> Act:
    return call(w, "POST", f"/qa/reports/{_open_report(w)}/request-proof", {}, token=QA)


def resolve_report(w: World) -> Act:
    return call(w, "POST", f"/qa/reports/{_open_report(w)}/resolve",
                 {"outcome": "block", "reason": "Kein Kundenkontakt belegt."}, token=QA)


def _answer_link(w: World, kind: str) -> Act:
    report_id = _open_report(w)
    w.ok(w.http.post(f"/qa/reports/{report_id}/request-{kind}", {}, token=QA))
    return form(w, w.link(f"review-{kind}"), "answer=Ich+war+im+M%C3%A4rz+bei+der+Besichtigung.")


def statement_link(w: World) -> Act:
    return _answer_link(w, "statement")


def proof_link(w: World) -> Act:
    return _answer_link(w, "proof")


def flag_review(w: World) -> Act:
    return call(w, "POST", f"/qa/reviews/{w.confirmed_review()}/flag",
                {"reason": "Stichprobe im Fehlertest."}, token=QA)


def takedown(w: World) -> Act:
    return call(w, "POST", f"/qa/reviews/{w.confirmed_review()}/takedown",
                {"category": "other", "reason": "Unwahre Tatsachenbehauptung."}, token=QA)


NOTIFIER = {"reason": "Diese Bewertung behauptet Dinge über mich, die falsch sind.",
            "email": "nachbar@example.org", "name": "Nina Nachbar"}


def notice(w: World) -> Act:
    return call(w, "POST", f"/agencies/demo/reviews/{w.confirmed_review()}/notices", NOTIFIER,
                token=None)


def resolve_notice(w: World) -> Act:
    filed = w.ok(w.http.post(f"/agencies/demo/reviews/{w.confirmed_review()}/notices",
                             NOTIFIER), 202)
    return call(w, "POST", f"/qa/notices/{filed['notice_id']}/resolve",
                {"outcome": "keep", "reason": "Zulässige Meinungsäußerung."}, token=QA)


# -- invitations -------------------------------------------------------------------------------

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
    return call(w, "POST", "/agency/review-invitations",
                 {"address_id": address_id, "property_id": property_id})


def invited_review_link(w: World) -> Act:
    _invited(w)
    return form(w, w.link("review-invite"),
                 "rating=4&title=Gute+Betreuung&reviewer_name=Eva+M.&text="
                 "Die+Besichtigungen+waren+gut+organisiert+und+puenktlich.")


def invitation_objection_link(w: World) -> Act:
    _invited(w)
    return form(w, w.link("review-invite-objection"))


SCENARIOS = [
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
    Scenario("QA flag", "POST", "/qa/reviews/{review_id}/flag", flag_review),
    Scenario("QA takedown", "POST", "/qa/reviews/{review_id}/takedown", takedown),
    Scenario("notice", "POST", "/agencies/{agency_id}/reviews/{review_id}/notices", notice,
             202, repeatable=True),
    Scenario("resolve notice", "POST", "/qa/notices/{notice_id}/resolve", resolve_notice),
    Scenario("request statement", "POST", "/qa/reports/{report_id}/request-statement",
             request_statement),
    Scenario("request proof", "POST", "/qa/reports/{report_id}/request-proof", request_proof),
    Scenario("resolve report", "POST", "/qa/reports/{report_id}/resolve", resolve_report),
    Scenario("statement link", "POST", "/links/review-statement/{token}", statement_link),
    Scenario("proof link", "POST", "/links/review-proof/{token}", proof_link),
    Scenario("invite for a review", "POST", "/agency/review-invitations", invite_review, 201),
    Scenario("invited review link", "POST", "/links/review-invite/{token}",
             invited_review_link, refusal_notices=1),
    Scenario("invitation objection link", "POST", "/links/review-invite-objection/{token}",
             invitation_objection_link),
]
