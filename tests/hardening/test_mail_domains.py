"""Issue 19, hole 3: in deployed stages a registration or review for a domain that accepts
no mail is refused (422 fields.email) before anything is written or mailed; locally off.
DNS answers come from a fake resolver (no network in tests)."""

from __future__ import annotations

from typing import Any

import dns.resolver
import pytest

from chalicelib.config import Settings
from chalicelib.mail import deliverability
from chalicelib.mail.deliverability import DomainCheck
from tests.conftest import registration_payload


class FakeResolver:
    """``nirgendwo.example`` does not exist; every other domain: name servers unreachable
    (email-validator then reports "unknown", which must not refuse anyone)."""

    def __init__(self) -> None:
        self.queries: list[tuple[str, str]] = []

    def resolve(self, domain: str, rdtype: str, *args: Any, **kwargs: Any) -> Any:
        self.queries.append((str(domain), rdtype))
        if str(domain).rstrip(".") == "nirgendwo.example":
            raise dns.resolver.NXDOMAIN()
        raise dns.resolver.NoNameservers()


@pytest.fixture
def deployed(container: Any, monkeypatch: pytest.MonkeyPatch) -> FakeResolver:
    resolver = FakeResolver()
    monkeypatch.setattr(deliverability, "_shared", DomainCheck(2.0, resolver=resolver))
    checked = container.settings.model_copy(update={"check_mail_domains": True})
    monkeypatch.setattr(container.tours.registration, "settings", checked)
    monkeypatch.setattr(container.reviews.ctx, "settings", checked)
    return resolver


def test_the_check_is_on_in_deployed_stages_and_off_locally():
    assert Settings(stage="local").checks_mail_domains is False
    assert Settings(stage="prod", hash_key="k").checks_mail_domains is True
    assert Settings(stage="prod", hash_key="k", check_mail_domains=False
                    ).checks_mail_domains is False


def test_a_registration_for_a_domain_without_mail_is_refused(http, make_tour, outbox,
                                                             deployed):
    tour = make_tour("email")
    refused = http.post(f"/tours/{tour['tour_id']}/registrations",
                        registration_payload(email="max@nirgendwo.example"))
    assert refused.status == 422 and "email" in refused.json["error"]["fields"]
    assert outbox() == []
    ok = http.post(f"/tours/{tour['tour_id']}/registrations",
                   registration_payload(email="eva@example.org"))
    assert ok.status == 202  # unreachable name servers refuse nobody
    # Cached: the same domain is not asked again.
    asked = len(deployed.queries)
    assert http.post(f"/tours/{tour['tour_id']}/registrations",
                     registration_payload(email="otto@nirgendwo.example")).status == 422
    assert len(deployed.queries) == asked


def test_a_review_for_a_domain_without_mail_is_refused(http, outbox, deployed):
    reply = http.post("/agencies/demo/reviews", {
        "rating": 4, "title": "Gute Beratung", "reviewer_name": "Eva M.",
        "email": "eva@nirgendwo.example",
        "text": "Schnelle Rückmeldungen und eine realistische Preiseinschätzung."})
    assert reply.status == 422 and "email" in reply.json["error"]["fields"]
    assert outbox() == []
