"""The store-until rules and the three worklists on generated address histories, against
a small reference model written from onOffice's help text (shared/reference/003_…txt):

- Archiving a property sets "Speichern-Bis" = archive date + retention for each
  interested party, except: a manual date, "Speicherung zugestimmt", "Ignorieren",
  interest in another *active* property, owner/buyer/tenant, "Firma" with a company
  name, assigned to a user. Renewed interest in an active property clears an automatic
  date (00.00.0000); a manual date is never changed automatically.
- Einverständnis-Assistent: status "keine Angabe", date within the next 28 days, not
  mailed in the last 14 days. Löschung angefordert: status "Löschung angefordert" and no
  date in the future (or none). Abgelaufen: date in the past, status "keine Angabe" or
  "Löschung angefordert".

The code side applies the pure rules (``chalicelib.privacy.rules``) the way the services
do; the worklists are also read the way ``Worklists`` reads them: index key inside one of
the list's ranges, then the membership rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.privacy import rules
from chalicelib.privacy.worklists import MEMBERSHIP

AGENCY = "demo"
PROPERTIES = ("p1", "p2", "p3")
START = date(2027, 1, 4)


# -- the reference model ----------------------------------------------------------------------

@dataclass
class Person:
    status: str = "none"
    until: date | None = None
    manual: bool = False
    interests: set[str] = field(default_factory=set)
    related: bool = False
    firma: bool = False
    assigned: bool = False
    mailed: date | None = None


def ref_archive(person: Person, prop: str, active: dict[str, bool], today: date,
                retention: int) -> None:
    if prop not in person.interests or person.manual:
        return
    if person.status in ("consented", "ignore") or person.related or person.firma \
            or person.assigned:
        return
    if any(active[p] for p in person.interests if p != prop):
        return
    person.until = today + timedelta(days=retention)


def ref_interest(person: Person, prop: str, active: dict[str, bool]) -> None:
    person.interests.add(prop)
    if active[prop] and person.until is not None and not person.manual:
        person.until = None


def ref_lists(person: Person, today: date) -> set[str]:
    found = set()
    mailed_recently = person.mailed is not None and (today - person.mailed).days < 14
    if (person.status == "none" and person.until is not None
            and today <= person.until <= today + timedelta(days=28) and not mailed_recently):
        found.add("consent-assistant")
    if person.status == "deletion_requested" and (person.until is None or person.until <= today):
        found.add("deletion-requested")
    if person.until is not None and person.until < today and \
            person.status in ("none", "deletion_requested"):
        found.add("expired")
    return found


def ref_may_mail(person: Person, today: date) -> bool:
    mailed_recently = person.mailed is not None and (today - person.mailed).days < 14
    return person.status == "none" and not mailed_recently


# -- the code's side: the stored item changed through the rules --------------------------------

def new_item() -> dict[str, Any]:
    return {"address_id": "a1", "email": "eva@example.org", "gdpr_status": "none",
            "store_until": None, "store_until_manual": False, "salutation": None,
            "company": None, "user_id": None, "relations": set(), "interest_properties": set(),
            "last_consent_request_on": None}


def code_archive(item: dict[str, Any], prop: str, active: dict[str, bool], today: date,
                 retention: int) -> None:
    if prop not in item["interest_properties"]:
        return  # not an interested party of this property (the interest index)
    decision = rules.archive_decision(
        item, archived_property_id=prop,
        property_status={p: "active" if a else "archived" for p, a in active.items()},
        archive_date=today, retention_days=retention)
    if decision.store_until is not None:
        item.update(store_until=decision.store_until, store_until_manual=False,
                    store_until_reason=rules.ARCHIVE_REASON)


def code_interest(item: dict[str, Any], kind: str, prop: str, active: dict[str, bool]) -> None:
    if rules.resets_on_interest(item, kind, prop, active[prop]):
        item.update(store_until=None, store_until_reason=None, store_until_manual=False)
    if rules.is_interest(kind, prop):
        item["interest_properties"].add(prop)


def indexed_lists(item: dict[str, Any], today: date) -> set[str]:
    keys = rules.index_keys(AGENCY, item)
    found = set()
    for name in rules.WORKLISTS:
        in_range = keys is not None and any(r.low <= keys[1] <= r.high
                                            for r in rules.list_ranges(AGENCY, name, today))
        if in_range and MEMBERSHIP[name](item, today):
            found.add(name)
    return found


# -- histories --------------------------------------------------------------------------------

properties = st.sampled_from(PROPERTIES)
# Day offsets around every boundary of the rules (today, 14 and 28 days) and anything else.
BOUNDARIES = [-29, -28, -27, -15, -14, -13, -1, 0, 1, 13, 14, 15, 27, 28, 29]
offsets = st.integers(min_value=0, max_value=3).flatmap(
    lambda pick: st.integers(min_value=-400, max_value=400) if pick == 0
    else st.sampled_from(BOUNDARIES))
waits = st.integers(min_value=0, max_value=3).flatmap(
    lambda pick: st.integers(min_value=1, max_value=45) if pick == 0
    else st.sampled_from([1, 13, 14, 15, 27, 28, 29]))
events = st.one_of(
    st.tuples(st.just("interest"), st.sampled_from(sorted(rules.INTEREST_TYPES)), properties),
    st.tuples(st.just("note"), properties),
    st.tuples(st.just("archive"), properties, st.one_of(waits, st.integers(1, 3650))),
    st.tuples(st.just("reactivate"), properties),
    st.tuples(st.just("manual"), offsets),
    st.tuples(st.just("clear")),
    st.tuples(st.just("status"), st.sampled_from(rules.AGENCY_STATUSES)),
    st.tuples(st.just("consent")),
    st.tuples(st.just("mail")),
    st.tuples(st.just("wait"), waits),
    st.tuples(st.just("relation")),
    st.tuples(st.just("firma"), st.booleans()),
    st.tuples(st.just("assign"), st.booleans()),
)


@settings(max_examples=5 * settings().max_examples)
@given(st.lists(events, min_size=3, max_size=40))
def test_histories_match_the_reference_model(history: list[tuple[Any, ...]]) -> None:
    today = START
    active = dict.fromkeys(PROPERTIES, True)
    person, item = Person(), new_item()
    for event in history:
        kind = event[0]
        if kind == "interest":
            ref_interest(person, event[2], active)
            code_interest(item, event[1], event[2], active)
        elif kind == "note":
            # A note referencing a property is no interest and resets nothing.
            code_interest(item, "note", event[1], active)
        elif kind == "archive":
            if active[event[1]]:
                active[event[1]] = False
                ref_archive(person, event[1], active, today, event[2])
                code_archive(item, event[1], active, today, event[2])
        elif kind == "reactivate":
            active[event[1]] = True  # a property taken on again (a new listing)
        elif kind == "manual":
            person.until, person.manual = today + timedelta(days=event[1]), True
            item.update(store_until=person.until.isoformat(), store_until_manual=True)
        elif kind == "clear":
            person.until, person.manual = None, False
            item.update(store_until=None, store_until_manual=False)
        elif kind == "status":
            person.status = item["gdpr_status"] = event[1]
        elif kind == "consent":
            person.status = item["gdpr_status"] = "consented"
        elif kind == "mail":
            may = rules.consent_request_skip(item, today) is None
            assert may == ref_may_mail(person, today)
            if may:
                person.mailed = today
                item["last_consent_request_on"] = today.isoformat()
        elif kind == "wait":
            today += timedelta(days=event[1])
        elif kind == "relation":
            person.related = True
            item["relations"].add("p9#owner")
        elif kind == "firma":
            person.firma = event[1]
            item.update(salutation="Firma" if event[1] else "Frau",
                        company="Muster GmbH" if event[1] else None)
        elif kind == "assign":
            person.assigned = event[1]
            item["user_id"] = "makler-1" if event[1] else None

        assert rules.parse_date(item["store_until"]) == person.until, event
        assert bool(item["store_until_manual"]) == person.manual
        expected = ref_lists(person, today)
        assert rules.worklists(item, today) == expected, (event, today)
        # The index read finds exactly the members (nothing is missed by the ranges).
        assert indexed_lists(item, today) == expected, (event, today)
        refused = rules.deletion_refusal(item, today)
        assert (refused == "retention_active") == (person.until is not None
                                                    and person.until > today)


@given(st.sampled_from(["none", "deletion_requested", "consented", "ignore"]),
       st.one_of(st.none(), offsets), offsets)
def test_every_worklist_member_lies_in_the_ranges_the_list_reads(
        status: str, until_offset: int | None, shift: int) -> None:
    today = START + timedelta(days=shift)
    until = None if until_offset is None else today + timedelta(days=until_offset)
    item = {**new_item(), "gdpr_status": status,
            "store_until": until.isoformat() if until else None}
    keys = rules.index_keys(AGENCY, item)
    for name in rules.worklists(item, today):
        assert keys is not None
        assert keys[0] == rules.bucket(AGENCY)
        assert any(r.low <= keys[1] <= r.high for r in rules.list_ranges(AGENCY, name, today))
    if keys is None:
        assert rules.worklists(item, today) == set()
