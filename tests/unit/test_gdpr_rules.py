"""The GDPR rules (chalicelib/privacy/rules.py) on in-memory addresses: every exclusion of
the automatic date, the reset, the worklists and their boundaries, the skip reasons, and
the index keys/ranges the worklists and the sweep rely on."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from chalicelib.privacy import rules

TODAY = date(2026, 11, 23)
ARCHIVED = "p-archived"


def address(**fields: Any) -> dict[str, Any]:
    base = {"address_id": "a1", "gdpr_status": "none", "store_until": None,
            "store_until_manual": False, "salutation": None, "company": None, "user_id": None,
            "email": "eva@example.org", "relations": set(), "interest_properties": {ARCHIVED},
            "last_consent_request_on": None}
    return {**base, **fields}


def decide(item: dict[str, Any], status: dict[str, str] | None = None) -> rules.ArchiveDecision:
    return rules.archive_decision(item, archived_property_id=ARCHIVED,
                                  property_status={ARCHIVED: "archived", **(status or {})},
                                  archive_date=TODAY, retention_days=30)


def d(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


# -- automatic store-until on archive ---------------------------------------------------------

def test_an_interested_party_gets_archive_date_plus_retention():
    assert decide(address()) == rules.ArchiveDecision(store_until=d(30))
    # A later archive moves an automatic date; the same date again is "unchanged".
    assert decide(address(store_until=d(5))).store_until == d(30)
    assert decide(address(store_until=d(30))).unchanged


@pytest.mark.parametrize(("fields", "status", "reason"), [
    ({"store_until": d(400), "store_until_manual": True}, None, rules.EXCLUDED_MANUAL),
    ({"gdpr_status": "consented"}, None, rules.EXCLUDED_CONSENTED),
    ({"gdpr_status": "ignore"}, None, rules.EXCLUDED_IGNORED),
    ({"interest_properties": {ARCHIVED, "p-active"}}, {"p-active": "active"},
     rules.EXCLUDED_ACTIVE_INTEREST),
    ({"relations": {"p-other#owner"}}, None, rules.EXCLUDED_RELATION),
    ({"relations": {"p-other#buyer"}}, None, rules.EXCLUDED_RELATION),
    ({"relations": {"p-other#tenant"}}, None, rules.EXCLUDED_RELATION),
    ({"salutation": "Firma", "company": "Muster GmbH"}, None, rules.EXCLUDED_COMPANY),
    ({"user_id": "makler-7"}, None, rules.EXCLUDED_ASSIGNED),
])
def test_each_exclusion_is_named(fields, status, reason):
    assert decide(address(**fields), status) == rules.ArchiveDecision(excluded=reason)


@pytest.mark.parametrize(("fields", "status"), [
    # interest elsewhere counts only for an *active* property; unknown ids are not active
    ({"interest_properties": {ARCHIVED, "p-old"}}, {"p-old": "archived"}),
    ({"interest_properties": {ARCHIVED, "tour-free-text"}}, {}),
    # "Firma" needs a company name, a company name alone is not "Firma"
    ({"salutation": "Firma", "company": "  "}, None),
    ({"salutation": "Herr", "company": "Muster GmbH"}, None),
    ({"user_id": ""}, None),
    ({"gdpr_status": "deletion_requested"}, None),
    # an automatic date is not a manual one
    ({"store_until": d(3), "store_until_manual": False}, None),
])
def test_what_does_not_exclude(fields, status):
    assert decide(address(**fields), status).store_until == d(30)


def test_reset_only_for_interest_in_an_active_property_and_an_automatic_date():
    auto = address(store_until=d(10))
    assert rules.resets_on_interest(auto, "inquiry", "p1", property_active=True)
    for kind in ("appointment", "expose_sent", "revocation_confirmed"):
        assert rules.resets_on_interest(auto, kind, "p1", property_active=True)
    assert not rules.resets_on_interest(auto, "note", "p1", property_active=True)
    assert not rules.resets_on_interest(auto, "inquiry", None, property_active=True)
    assert not rules.resets_on_interest(auto, "inquiry", "p1", property_active=False)
    manual = address(store_until=d(10), store_until_manual=True)
    assert not rules.resets_on_interest(manual, "inquiry", "p1", property_active=True)
    assert not rules.resets_on_interest(address(), "inquiry", "p1", property_active=True)


# -- worklists ---------------------------------------------------------------------------------

def test_consent_assistant_window_is_today_to_28_days():
    def member(offset: int, **f: Any) -> bool:
        return rules.in_consent_assistant(address(store_until=d(offset), **f), TODAY)

    assert [member(o) for o in (-1, 0, 1, 27, 28, 29)] == [False, True, True, True, True, False]
    assert not member(10, gdpr_status="deletion_requested")
    assert not member(10, gdpr_status="consented")
    assert not rules.in_consent_assistant(address(), TODAY)


def test_consent_assistant_hides_an_address_for_14_days_after_the_mail():
    item = address(store_until=d(20), last_consent_request_on=TODAY.isoformat())
    seen = {o: rules.in_consent_assistant(item, TODAY + timedelta(days=o))
            for o in (0, 13, 14, 15)}
    assert seen == {0: False, 13: False, 14: True, 15: True}
    # After 14 days it comes back only while its date is not past.
    late = address(store_until=d(14), last_consent_request_on=TODAY.isoformat())
    assert rules.in_consent_assistant(late, TODAY + timedelta(days=14))
    assert not rules.in_consent_assistant(late, TODAY + timedelta(days=15))


def test_deletion_requested_without_date_or_up_to_today():
    def member(until: str | None) -> bool:
        return rules.in_deletion_requested(
            address(gdpr_status="deletion_requested", store_until=until), TODAY)

    assert [member(x) for x in (None, d(-5), d(0), d(1))] == [True, True, True, False]
    assert not rules.in_deletion_requested(address(store_until=None), TODAY)


def test_expired_is_strictly_before_today_for_none_and_deletion_requested():
    def member(until: str | None, status: str = "none") -> bool:
        return rules.is_expired(address(store_until=until, gdpr_status=status), TODAY)

    assert [member(x) for x in (d(-1), d(0), None)] == [True, False, False]
    assert member(d(-1), "deletion_requested")
    assert not member(d(-1), "consented")
    assert not member(d(-1), "ignore")
    assert rules.worklists(address(store_until=d(-1), gdpr_status="deletion_requested"),
                           TODAY) == {"deletion-requested", "expired"}


def test_deletion_refused_only_for_a_future_date():
    assert rules.deletion_refusal(address(store_until=d(1)), TODAY) == "retention_active"
    assert rules.deletion_refusal(address(store_until=d(0)), TODAY) is None
    assert rules.deletion_refusal(address(), TODAY) is None


@pytest.mark.parametrize(("fields", "reason"), [
    ({"email": None}, "no_email"),
    ({"gdpr_status": "ignore"}, "ignored"),
    ({"gdpr_status": "consented"}, "already_consented"),
    ({"gdpr_status": "deletion_requested"}, "deletion_requested"),
    ({"last_consent_request_on": d(-13)}, "recently_contacted"),
    ({"last_consent_request_on": d(-14)}, None),
    ({}, None),
])
def test_consent_request_skip_reasons(fields, reason):
    assert rules.consent_request_skip(address(**fields), TODAY) == reason


# -- index keys and ranges ---------------------------------------------------------------------

def test_index_keys_exist_only_while_an_address_can_be_listed():
    assert rules.index_keys("demo", address()) is None
    assert rules.index_keys("demo", address(store_until=d(3), gdpr_status="consented")) is None
    assert rules.index_keys("demo", address(store_until=d(3), gdpr_status="ignore")) is None
    pk, sk = rules.index_keys("demo", address(store_until=d(3)))
    assert pk == rules.bucket("demo") and sk == f"demo#N#{d(3)}#a1"
    assert rules.index_keys("demo", address(gdpr_status="deletion_requested"))[1] == \
        "demo#R#0000-00-00#a1"


def test_ranges_cover_exactly_the_members():
    """Every index position a member can have lies in its list's ranges, and nothing of
    another agency (even one whose id extends this one's) does."""
    candidates = [address(address_id=f"a{i}", store_until=d(o), gdpr_status=s)
                  for i, (o, s) in enumerate(
                      (o, s) for o in range(-40, 60, 3) for s in rules.STATUSES)]
    candidates.append(address(address_id="nodate", gdpr_status="deletion_requested"))
    for name in rules.WORKLISTS:
        ranges = rules.list_ranges("demo", name, TODAY)
        for item in candidates:
            keys = rules.index_keys("demo", item)
            inside = keys is not None and any(r.low <= keys[1] <= r.high for r in ranges)
            member = name in rules.worklists(item, TODAY)
            assert not member or inside, (name, item)
            other = rules.index_keys("demo-2", item)
            assert other is None or not any(r.low <= other[1] <= r.high for r in ranges)


def test_buckets_spread_agencies():
    buckets = {rules.bucket(f"agency-{i}") for i in range(200)}
    assert len(buckets) == rules.GDPR_BUCKETS
