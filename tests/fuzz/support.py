"""What the fuzzers share: the document loaded by schemathesis, the checks every answer
must pass, the tokens, and the records seeded on the stack so generated requests reach
real tours, registrations, reviews, reports, addresses and properties, not only 404s."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import DEMO, QA, registration_payload, tour_payload
from tests.live_stack import Running, Stack

# ``make test`` runs a few examples per operation and mode; ``make fuzz`` sets 200.
EXAMPLES = int(os.environ.get("FREIGABE_FUZZ_EXAMPLES", "5"))
SPEC = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
SCHEMA = schemathesis.openapi.from_path(str(SPEC))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]
# Moving the application clock would change what every other operation means (and the
# tests sharing the stack); it has its own functional tests.
SKIPPED_PATHS = ["/dev/clock"]
TOKENS = {"agencyBearer": DEMO, "qaBearer": QA}


def scheme(operation: Any) -> str | None:
    """The operation's security scheme (``agencyBearer``, ``qaBearer``) or None."""
    security = operation.definition.raw.get("security", [])
    names = [name for requirement in security for name in requirement]
    return names[0] if names else None


@dataclass
class Target:
    """The running stack and the ids of records it holds, per path parameter name."""

    run: Running
    ids: dict[str, list[str]] = field(default_factory=dict)

    @property
    def stack(self) -> Stack:
        return self.run.stack

    def add(self, name: str, value: str) -> None:
        self.ids.setdefault(name, []).append(value)


def _created(reply: Any, status: int) -> dict[str, Any]:
    assert reply.status == status, reply.body
    return reply.json


def _review(stack: Stack, email: str, text: str) -> str:
    review = _created(stack.call("POST", "/agencies/demo/reviews", json_body={
        "rating": 4, "title": "Gute Beratung", "reviewer_name": "Eva M.", "email": email,
        "text": text}), 202)
    confirm = stack.mail_link("review-confirm", email)
    assert stack.call("POST", confirm, form="confirm=1").status == 200
    return str(review["review_id"])


def seed(target: Target) -> None:
    stack = target.stack
    only_email = {"mode": "email", "required_fields": ["email"], "protected_viewpoints": ["bad"]}
    for payload in (tour_payload("email"), tour_payload("manual"),
                    tour_payload("email", protection=only_email),
                    tour_payload("manual", protection={**only_email, "mode": "manual"})):
        mode = payload["protection"]["mode"]
        tour = _created(stack.call("POST", "/agency/tours", token=DEMO, json_body=payload), 201)
        target.add("tour_id", tour["tour_id"])
        for number in range(3):
            registered = _created(stack.call(
                "POST", f"/tours/{tour['tour_id']}/registrations",
                json_body=registration_payload(email=f"fuzz{number}-{mode}@example.org",
                                               phone="+49 30 1234567")), 202)
            target.add("registration_id", registered["registration_id"])
    published = _review(stack, "fuzz-reviewer@example.org",
                        "Sehr freundliche Beratung und schnelle Antworten auf alle Fragen.")
    flagged = _review(stack, "fuzz-flagged@example.org",
                      "Der Makler ist ein B3trüg3r, Termine hat er nie eingehalten, schade.")
    target.add("review_id", published)
    target.add("review_id", flagged)
    report = _created(stack.call("POST", f"/agency/reviews/{published}/reports", token=DEMO,
                                 json_body={"category": "false_facts",
                                            "reason": "Die Preiseinschätzung war nicht von uns."}),
                      201)
    target.add("report_id", report["report_id"])
    for number in range(3):
        address = _created(stack.call("POST", "/agency/addresses", token=DEMO, json_body={
            "first_name": "Erika", "last_name": f"Fuzz{number}",
            "email": f"erika{number}@example.org"}), 201)
        target.add("address_id", address["address_id"])
    for number in range(2):
        prop = _created(stack.call("POST", "/agency/properties", token=DEMO,
                                   json_body={"title": f"Objekt {number}"}), 201)
        target.add("property_id", prop["property_id"])
    target.add("agency_id", "demo")
    target.add("job", "mail-retry")
    target.add("job", "review-sweep")
    target.add("job", "retention-sweep")
    # Real link tokens (their purposes are the path's first part).
    for message in stack.outbox():
        for purpose, token in re.findall(r"/links/([a-z-]+)/([A-Za-z0-9_-]+)",
                                         message["text"] or ""):
            target.add("purpose", purpose)
            target.add("token", token)
