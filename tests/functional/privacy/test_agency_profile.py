"""The agency's controller details (contract v2 "Addresses: the agency's duties done by
the product"): GET|PUT /agency/profile, and the consent assistant refusing while they
are incomplete (409 controller_details_missing)."""

from __future__ import annotations

from typing import Any

from devstack.environment import DEMO_PROFILES
from tests.conftest import DEMO, OTHER
from tests.functional.privacy.support import create_address, ok

REQUIRED = ("legal_name", "street", "zip", "city", "email", "privacy_url")


def _empty_profile(container: Any, agency_id: str = "demo") -> None:
    """An agency as v1 created it: no controller details at all."""
    from chalicelib.agencies.repository import agency_key
    from chalicelib.storage.dynamo import Update

    container.core_table.update(*agency_key(agency_id), Update(
        removes=["controller", "controller_version", "controller_updated_at"]))


def test_seeded_agencies_have_complete_profiles(http: Any) -> None:
    for token, agency_id in ((DEMO, "demo"), (OTHER, "other")):
        body = ok(http.get("/agency/profile", token=token))
        assert body["complete"] is True and body["missing"] == []
        for name, value in DEMO_PROFILES[agency_id].items():
            assert body[name] == value


def test_put_replaces_what_it_names_and_keeps_the_rest(http: Any) -> None:
    body = ok(http.put("/agency/profile", {"phone": "+49 30 999999", "dpo_contact": None},
                       token=DEMO))
    assert body["phone"] == "+49 30 999999"
    assert body["dpo_contact"] is None
    assert body["legal_name"] == DEMO_PROFILES["demo"]["legal_name"]
    assert ok(http.get("/agency/profile", token=DEMO)) == body
    # the other tenant is untouched
    assert ok(http.get("/agency/profile", token=OTHER))["phone"] == DEMO_PROFILES["other"]["phone"]


def test_bad_values_are_refused_and_change_nothing(http: Any) -> None:
    before = ok(http.get("/agency/profile", token=DEMO))
    for body, field in (({"privacy_url": "http://demo-makler.de/ds"}, "privacy_url"),
                        ({"privacy_url": "javascript:alert(1)"}, "privacy_url"),
                        ({"email": "keine-mail"}, "email"),
                        ({"zip": "!"}, "zip"),
                        ({"legal_name": "Zeile\nzwei"}, "legal_name"),
                        ({"legal_name": ""}, "legal_name"),
                        ({"city": None}, "city"),
                        ({"unknown": "x"}, "unknown"),
                        ({"legal_name": 5}, "legal_name")):
        reply = http.put("/agency/profile", body, token=DEMO)
        assert reply.status == 422, (body, reply.body)
        assert field in reply.json["error"]["fields"], (body, reply.json)
    assert http.put("/agency/profile", body=b"{", token=DEMO).status == 400
    assert http.put("/agency/profile", body=b"[]", token=DEMO).status == 400
    assert ok(http.get("/agency/profile", token=DEMO)) == before


def test_profile_needs_an_agency_token(http: Any) -> None:
    from tests.conftest import QA

    assert http.get("/agency/profile").status == 401
    assert http.get("/agency/profile", token=QA).status == 401
    assert http.put("/agency/profile", {"phone": "+49 1"}, token=QA).status == 401


def test_consent_requests_refused_until_the_profile_is_complete(http: Any, container: Any,
                                                                 outbox: Any) -> None:
    person = create_address(http, email="eva@example.org")["address_id"]
    _empty_profile(container)
    body = ok(http.get("/agency/profile", token=DEMO))
    assert body["complete"] is False and body["missing"] == list(REQUIRED)

    reply = http.post("/agency/gdpr/consent-requests", {"address_ids": [person]}, token=DEMO)
    assert reply.status == 409
    assert reply.json["error"]["code"] == "controller_details_missing"
    # the agency's state wins over a body that would also fail
    bad = http.post("/agency/gdpr/consent-requests", body=b"{", token=DEMO)
    assert bad.status == 409 and bad.json["error"]["code"] == "controller_details_missing"

    for name in REQUIRED[:-1]:
        ok(http.put("/agency/profile", {name: DEMO_PROFILES["demo"][name]}, token=DEMO))
        still = http.post("/agency/gdpr/consent-requests", {"address_ids": [person]},
                          token=DEMO)
        assert still.status == 409, name
    assert not [m for m in outbox() if "eva@example.org" in m["to"]]

    ok(http.put("/agency/profile", {"privacy_url": "https://demo-makler.de/ds"}, token=DEMO))
    sent = ok(http.post("/agency/gdpr/consent-requests", {"address_ids": [person]},
                        token=DEMO))
    assert sent == {"sent": [person], "skipped": []}


def test_read_function_for_other_parts(container: Any) -> None:
    profiles = container.agency_profiles
    assert profiles.privacy_url("demo") == DEMO_PROFILES["demo"]["privacy_url"]
    assert profiles.privacy_url("no-such-agency") is None
    assert profiles.get("other").complete
    _empty_profile(container, "other")
    assert profiles.privacy_url("other") is None
    assert not profiles.get("other").complete


def test_validated_profile_for_agency_creation() -> None:
    import pytest

    from chalicelib.agencies.profile import validated_profile
    from chalicelib.errors import ValidationFailed

    assert validated_profile(DEMO_PROFILES["other"]) == DEMO_PROFILES["other"]
    with pytest.raises(ValidationFailed) as caught:
        validated_profile({"legal_name": "X GmbH"})
    assert set(caught.value.fields or {}) == {"street", "zip", "city", "email", "privacy_url"}
