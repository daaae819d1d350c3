"""LinkService with an in-memory table: which links load, which are gone, which unknown."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.clock import FixedClock, epoch_seconds, iso
from chalicelib.errors import Gone, NotFound
from chalicelib.links.service import KEEP_AFTER_EXPIRY, LinkService, Outcome, Page
from chalicelib.secrets_util import new_secret, sha256_hex

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


class FakeTable:
    """The part of storage.dynamo.Table that LinkService.load reads."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}
        self.reads: list[tuple[str, str]] = []

    def get(self, pk: str, sk: str, *, consistent: bool = True) -> dict[str, Any] | None:
        self.reads.append((pk, sk))
        item = self.items.get((pk, sk))
        return copy.deepcopy(item) if item is not None else None


class FakeTransaction:
    def __init__(self) -> None:
        self.puts: list[tuple[Any, dict[str, Any], Any, str]] = []
        self.updates: list[Any] = []

    def put(self, table: Any, item: dict[str, Any], *, condition: Any = None,
            label: str = "") -> None:
        self.puts.append((table, item, condition, label))

    def update(self, *args: Any, **kwargs: Any) -> None:
        self.updates.append((args, kwargs))


class RecordingAction:
    def __init__(self) -> None:
        self.described: list[dict[str, Any]] = []

    def describe(self, link: dict[str, Any]) -> Page:
        self.described.append(link)
        return Page(heading="Rundgang freischalten", button="Rundgang freischalten")

    def perform(self, link: dict[str, Any], tx: Any) -> Outcome:  # pragma: no cover
        raise AssertionError("not used here")


@pytest.fixture
def table() -> FakeTable:
    return FakeTable()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def links(table: FakeTable, clock: FixedClock) -> LinkService:
    service = LinkService(table, clock, "http://127.0.0.1:8000/")  # type: ignore[arg-type]
    service.register("unlock", RecordingAction())
    service.register("approve", RecordingAction())
    return service


def store(table: FakeTable, token: str, *, purpose: str = "unlock", status: str = "active",
          expires_at: datetime = NOW + timedelta(days=7)) -> None:
    table.items[(f"LINK#{sha256_hex(token)}", "LINK")] = {
        "pk": f"LINK#{sha256_hex(token)}", "sk": "LINK", "purpose": purpose,
        "record_id": "reg1", "status": status, "expires_at": iso(expires_at),
        "context": {"registration_id": "reg1"},
    }


def test_an_active_link_loads_with_one_read_by_its_hash(links, table) -> None:
    token = new_secret()
    store(table, token)
    link = links.load("unlock", token)
    assert link["record_id"] == "reg1"
    assert link["token_hash"] == sha256_hex(token)
    assert table.reads == [(f"LINK#{sha256_hex(token)}", "LINK")]


def test_unknown_token_is_not_found(links, table) -> None:
    with pytest.raises(NotFound):
        links.load("unlock", new_secret())


@pytest.mark.parametrize("token", ["", "short", "a" * 19, "a" * 129, "abc def ghi jkl mno pqr",
                                   "a" * 30 + "/", "a" * 30 + "\n", "ä" * 30, "a" * 30 + "%2F"])
def test_malformed_tokens_are_not_found_without_a_read(links, table, token) -> None:
    with pytest.raises(NotFound):
        links.load("unlock", token)
    assert table.reads == []


def test_unknown_purpose_is_not_found_even_for_a_real_token(links, table) -> None:
    token = new_secret()
    store(table, token, purpose="review_confirm")
    with pytest.raises(NotFound):
        links.load("review_confirm", token)
    assert table.reads == []


def test_a_link_used_for_another_purpose_is_gone(links, table) -> None:
    token = new_secret()
    store(table, token, purpose="approve")
    with pytest.raises(Gone):
        links.load("unlock", token)
    assert links.load("approve", token)["purpose"] == "approve"


@pytest.mark.parametrize("status", ["used", "superseded", "revoked"])
def test_a_link_that_is_not_active_is_gone(links, table, status) -> None:
    token = new_secret()
    store(table, token, status=status)
    with pytest.raises(Gone):
        links.load("unlock", token)


def test_a_link_is_gone_from_the_moment_it_expires(links, table, clock) -> None:
    token = new_secret()
    store(table, token, expires_at=NOW + timedelta(days=7))
    clock.set(NOW + timedelta(days=7) - timedelta(milliseconds=1))
    assert links.load("unlock", token)
    clock.set(NOW + timedelta(days=7))
    with pytest.raises(Gone):
        links.load("unlock", token)
    clock.advance(days=30)
    with pytest.raises(Gone):
        links.load("unlock", token)


def test_describe_hands_the_loaded_link_to_its_purpose(links, table) -> None:
    token = new_secret()
    store(table, token)
    page = links.describe("unlock", token)
    assert page.button == "Rundgang freischalten"
    action = links._actions["unlock"]
    assert [link["record_id"] for link in action.described] == ["reg1"]


def test_issue_stores_only_the_hash_bound_to_purpose_and_record(links, table) -> None:
    tx = FakeTransaction()
    issued = links.issue(tx, purpose="unlock", record_id="reg1", agency_id="demo",
                         valid_for=timedelta(days=7), context={"registration_id": "reg1"})
    assert issued.url == f"http://127.0.0.1:8000/links/unlock/{issued.token}"
    assert len(issued.token) >= 32  # >= 192 bits, URL-safe
    assert issued.token_hash == sha256_hex(issued.token)
    assert issued.expires_at == NOW + timedelta(days=7)
    [(target, item, condition, label)] = tx.puts
    assert target is table
    assert item["pk"] == f"LINK#{issued.token_hash}"
    assert (item["purpose"], item["record_id"], item["status"]) == ("unlock", "reg1", "active")
    assert item["expires_at"] == iso(NOW + timedelta(days=7))
    assert item["expires_ttl"] == epoch_seconds(NOW + timedelta(days=7) + KEEP_AFTER_EXPIRY)
    assert issued.token not in repr(item)
    assert condition is not None and "attribute_not_exists" in condition.template
    assert label == "issue:unlock"


def test_issued_tokens_differ(links) -> None:
    tx = FakeTransaction()
    tokens = {links.issue(tx, purpose="unlock", record_id=f"r{n}", agency_id=None,
                          valid_for=timedelta(days=1), context={}).token for n in range(50)}
    assert len(tokens) == 50


def test_a_freshly_issued_link_loads(links, table) -> None:
    tx = FakeTransaction()
    issued = links.issue(tx, purpose="approve", record_id="reg1", agency_id="demo",
                         valid_for=timedelta(days=14), context={})
    [(_, item, _, _)] = tx.puts
    table.items[(item["pk"], item["sk"])] = item
    assert links.load("approve", issued.token)["record_id"] == "reg1"
    with pytest.raises(Gone):
        links.load("unlock", issued.token)


def test_supersede_without_a_hash_writes_nothing(links) -> None:
    tx = FakeTransaction()
    links.supersede(tx, None)  # type: ignore[arg-type]
    assert tx.updates == []
