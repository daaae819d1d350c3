"""The shared modules of issue 13 with in-memory fakes: one keyed-hash scheme
(``hashing``), one rate-limit module (``ratelimit``), the personal-data registry
(``personal_data``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib import ratelimit
from chalicelib.hashing import keyed_hash, keyed_hmac
from chalicelib.personal_data import (
    Controller,
    Found,
    ItemKind,
    ProcessingRecord,
    Registry,
    Subject,
    locate,
)

# -- hashing ---------------------------------------------------------------------------------


def test_keyed_hash_keeps_the_values_already_stored():
    # Review identities, the suppression list and ops records were stored with
    # sha256("<key>:<kind>:<value>")[:32]; they must be found again.
    assert keyed_hash("local-key", "email", "eva@example.org") == (
        "48b55f51d8583ccb61b2baf6c6894b5a")


def test_keyed_hmac_keeps_the_tombstone_proofs_findable():
    assert keyed_hmac("local-key", "tombstone", "eva@example.org") == (
        "1f350ede7caa753c337dce62db51ea2d958fa53e0941002937359c4c1878a44d")


def test_kinds_and_keys_separate_pseudonyms():
    one = keyed_hash("k1", "email", "eva@example.org")
    assert keyed_hash("k1", "phone", "eva@example.org") != one
    assert keyed_hash("k2", "email", "eva@example.org") != one
    assert len(one) == 32 and int(one, 16) >= 0


# -- rate limits -----------------------------------------------------------------------------

class FakeTransaction:
    def __init__(self) -> None:
        self.updates: list[dict[str, Any]] = []

    def update(self, table: Any, pk: str, sk: str, update: Any, *, condition: Any = None,
               label: str = "") -> FakeTransaction:
        self.updates.append({"table": table, "pk": pk, "sk": sk, "update": update,
                             "condition": condition, "label": label})
        return self


@pytest.mark.parametrize(("now", "key", "seconds"), [
    (datetime(2026, 11, 23, 9, 0, 0, tzinfo=UTC), "2026112309", 3600),
    (datetime(2026, 11, 23, 9, 59, 59, 500000, tzinfo=UTC), "2026112309", 1),
    (datetime(2026, 11, 23, 23, 30, tzinfo=UTC), "2026112323", 1800),
])
def test_the_window_is_the_hour_and_the_seconds_left(now, key, seconds):
    assert ratelimit.window(now) == (key, seconds)


def test_a_counter_is_staged_as_one_conditional_increment():
    tx = FakeTransaction()
    now = datetime(2026, 11, 23, 9, 15, tzinfo=UTC)
    ratelimit.stage(tx, "core-table", "rate_email", "reg-email#t1#abc#2026112309", 5, now)
    [staged] = tx.updates
    assert (staged["pk"], staged["sk"]) == ratelimit.counter_key("reg-email#t1#abc#2026112309")
    assert staged["pk"] == "RATE#reg-email#t1#abc#2026112309" and staged["label"] == "rate_email"
    assert staged["update"].adds == {"n": 1}
    # Kept two hours: past its window it is never read again, TTL only cleans up.
    assert staged["update"].sets["expires_ttl"] == int(now.timestamp()) + 7200
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    rendered = staged["condition"].render(names, values)
    assert "attribute_not_exists" in rendered and "<" in rendered
    assert list(values.values()) == [5]


# -- the personal-data registry ----------------------------------------------------------------

RECORD = ProcessingRecord("purpose", ("contact",), ("agency",), "until asked")


class FakeHolder:
    def __init__(self, name: str, controller: Controller, kinds: tuple[ItemKind, ...],
                 answer: Any) -> None:
        self.name, self.controller, self.kinds, self.record = name, controller, kinds, RECORD
        self.answer = answer
        self.seen: list[Subject] = []
        self.erased: list[Found] = []

    def find(self, subject: Subject) -> Found:
        self.seen.append(subject)
        return self.answer(subject)

    def export(self, subject: Subject, found: Found) -> dict[str, Any]:
        return {self.name: found.handle}

    def erase(self, subject: Subject, found: Found, *, by: str, reason: str
              ) -> dict[str, Any]:
        self.erased.append(found)
        return {f"{self.name}_erased": by}


def _registry() -> tuple[Registry, dict[str, FakeHolder]]:
    book = FakeHolder("book", Controller.AGENCY, (ItemKind("t", "ADDR#"),),
                      lambda s: Found(refs={"thing": ["t1", "t2"]}, handle="address"))
    things = FakeHolder("things", Controller.AGENCY, (ItemKind("t", "THING#", "X"),),
                        lambda s: Found(keys=[("t", f"THING#{i}", "X") for i in s.ref("thing")],
                                        handle=list(s.ref("thing")) or None,
                                        counts={"things": len(s.ref("thing"))}))
    platform = FakeHolder("platform", Controller.PLATFORM, (ItemKind("t", "P#"),),
                          lambda s: Found())
    holders = {h.name: h for h in (book, things, platform)}
    return Registry(list(holders.values()), neutral=[ItemKind("t", "SETTINGS#")]), holders


def test_a_holder_sees_the_refs_of_the_holders_before_it():
    registry, holders = _registry()
    located = registry.locate(Subject("a1", "eva@example.org"))
    assert holders["things"].seen[0].ref("thing") == ("t1", "t2")
    assert located.keys() == [("t", "THING#t1", "X"), ("t", "THING#t2", "X")]
    assert located.count("things") == 2
    assert registry.export(located) == {"book": "address", "things": ["t1", "t2"],
                                        "platform": None}


def test_the_agency_side_leaves_out_platform_holders():
    registry, holders = _registry()
    assert [h.name for h in registry.agency()] == ["book", "things"]
    located = registry.locate(Subject("a1", "eva@example.org"), registry.agency())
    assert holders["platform"].seen == []
    assert registry.erase(located, by="agency", reason="r") == {"book_erased": "agency",
                                                                "things_erased": "agency"}


def test_nobody_found_is_empty():
    nothing = FakeHolder("n", Controller.AGENCY, (ItemKind("t", "N#"),), lambda s: Found())
    assert locate([nothing], Subject("a1", "x@example.org")).empty
    some = FakeHolder("s", Controller.AGENCY, (ItemKind("t", "S#"),),
                      lambda s: Found(handle={"id": 1}))
    assert not locate([nothing, some], Subject("a1", "x@example.org")).empty


def test_claims_and_neutral_kinds_match_by_prefix():
    registry, holders = _registry()
    assert registry.claim("t", "THING#1", "X") == [holders["things"]]
    assert registry.claim("t", "THING#1", "Y") == []
    assert registry.claim("other", "THING#1", "X") == []
    assert registry.is_neutral("t", "SETTINGS#a1", "") and not registry.is_neutral("t", "X#", "")


def test_holder_names_are_unique():
    book = FakeHolder("book", Controller.AGENCY, (), lambda s: Found())
    with pytest.raises(ValueError):
        Registry([book, book])


def test_refs_merge_without_duplicates():
    subject = Subject("a1", "e@example.org", {"mail": ("m1",)})
    merged = subject.adding({"mail": ["m1", "m2"], "link": ["h"]})
    assert merged.ref("mail") == ("m1", "m2") and merged.ref("link") == ("h",)
    assert subject.ref("mail") == ("m1",)  # unchanged


# -- the optimistic-retry loop -----------------------------------------------------------------

def test_an_attempt_that_asks_to_read_again_runs_again_with_its_number():
    from chalicelib.storage.retry import Retry, optimistic

    seen: list[int] = []

    def attempt(number: int) -> str:
        seen.append(number)
        if number < 2:
            raise Retry()
        return "done"

    assert optimistic(attempt) == "done" and seen == [0, 1, 2]


def test_after_the_last_attempt_the_answer_is_503_with_retry_after():
    from chalicelib.errors import Unavailable
    from chalicelib.storage.retry import Retry, optimistic

    calls: list[int] = []

    def attempt(number: int) -> None:
        calls.append(number)
        raise Retry()

    with pytest.raises(Unavailable) as raised:
        optimistic(attempt, attempts=4, retry_after=2)
    assert calls == [0, 1, 2, 3] and raised.value.retry_after == 2


def test_a_site_that_gives_up_otherwise_answers_with_its_exhausted_value():
    from chalicelib.storage.retry import Retry, optimistic

    calls: list[int] = []

    def attempt(number: int) -> str:
        calls.append(number)
        raise Retry()

    assert optimistic(attempt, attempts=2, exhausted=lambda: "skipped") == "skipped"
    assert calls == [0, 1]


def test_any_other_error_ends_the_loop_at_once():
    from chalicelib.errors import Conflict
    from chalicelib.storage.retry import optimistic

    calls: list[int] = []

    def attempt(number: int) -> None:
        calls.append(number)
        raise Conflict("taken", code="already_decided")

    with pytest.raises(Conflict):
        optimistic(attempt)
    assert calls == [0]
