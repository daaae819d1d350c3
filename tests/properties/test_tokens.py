"""Parsing what clients send: viewer tokens, mail-link tokens, pagination cursors, page
sizes and JSON bodies. Garbage never raises anything but the contract's errors (which
the HTTP edge turns into 4xx), and what the server itself issues always parses back."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.clock import FixedClock, iso
from chalicelib.errors import AppError, Gone, MalformedBody, NotFound, PayloadTooLarge
from chalicelib.links.service import LinkService
from chalicelib.reviews.views import QUEUE_POSITION, TIME_POSITION
from chalicelib.secrets_util import new_id, new_secret, sha256_hex
from chalicelib.storage import cursor
from chalicelib.tours.service import parse_viewer_token
from chalicelib.web.http import parse_json_object

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
garbage = st.one_of(st.text(max_size=300), st.text(alphabet="abcdefghijklmnopqrstuvwxyz234567."
                                                    "-_ABCXYZ019=", max_size=120))


# -- viewer tokens ("<registration_id>.<secret>") ----------------------------------------------

@given(st.one_of(st.none(), garbage))
def test_a_viewer_token_parses_or_is_no_token(token: str | None) -> None:
    parsed = parse_viewer_token(token)
    assert parsed is None or (isinstance(parsed, tuple) and f"{parsed[0]}.{parsed[1]}" == token)


@given(st.from_regex(r"[a-z2-7]{26}", fullmatch=True),
       st.from_regex(r"[A-Za-z0-9_-]{20,64}", fullmatch=True))
def test_every_token_of_the_issued_shape_parses_back(registration_id: str, secret: str) -> None:
    assert parse_viewer_token(f"{registration_id}.{secret}") == (registration_id, secret)


def test_the_server_issues_tokens_of_that_shape() -> None:
    for _ in range(200):
        registration_id, secret = new_id(), new_secret()
        assert parse_viewer_token(f"{registration_id}.{secret}") == (registration_id, secret)


@given(garbage, garbage)
def test_a_viewer_token_is_bound_to_its_shape(left: str, right: str) -> None:
    """A forged prefix or suffix never turns into another registration's token."""
    registration_id, secret = new_id(), new_secret()
    token = f"{registration_id}.{secret}"
    for forged in (left + token, token + right):
        if forged != token:
            assert parse_viewer_token(forged) != (registration_id, secret)


# -- mail-link tokens ----------------------------------------------------------------------------

class MemoryTable:
    """The one call ``LinkService.load`` makes: GetItem by key."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}

    def get(self, pk: str, sk: str) -> dict[str, Any] | None:
        found = self.items.get((pk, sk))
        return dict(found) if found else None


class Action:
    def describe(self, link: Any) -> Any:
        return link

    def perform(self, link: Any, tx: Any, submission: Any) -> Any:  # pragma: no cover
        raise AssertionError("load only")


def _links() -> tuple[LinkService, MemoryTable, str]:
    table = MemoryTable()
    service = LinkService(table, FixedClock(NOW), "http://freigabe.test")  # type: ignore[arg-type]
    for purpose in ("unlock", "approve", "deny"):
        service.register(purpose, Action())  # type: ignore[arg-type]
    token = new_secret()
    table.items[LinkService.key(sha256_hex(token))] = {
        "purpose": "unlock", "status": "active", "expires_at": iso(NOW + timedelta(days=1))}
    return service, table, token


@given(st.sampled_from(["unlock", "approve", "deny", "consent", "", "../x"]), garbage)
def test_a_garbage_link_token_is_404_never_an_error(purpose: str, token: str) -> None:
    service, _, real = _links()
    if token == real:
        return
    with pytest.raises(NotFound):
        service.load(purpose, token)


@given(st.sampled_from(["approve", "deny"]), st.sampled_from(["used", "superseded", "active"]),
       st.integers(min_value=-3, max_value=3))
def test_a_real_token_works_only_for_its_purpose_while_active(
        other: str, status: str, days_left: int) -> None:
    service, table, token = _links()
    item = table.items[LinkService.key(sha256_hex(token))]
    item.update(status=status, expires_at=iso(NOW + timedelta(days=days_left)))
    with pytest.raises(Gone):
        service.load(other, token)  # purpose binding
    if status == "active" and days_left > 0:
        assert service.load("unlock", token)["token_hash"] == sha256_hex(token)
    else:
        with pytest.raises(Gone):
            service.load("unlock", token)


# -- cursors and page sizes ----------------------------------------------------------------------

@given(st.one_of(st.none(), garbage), st.sampled_from(["", "REG#", "ADDRESS#", "demo#"]))
def test_a_garbage_cursor_is_422_never_an_error(value: str | None, prefix: str) -> None:
    try:
        position = cursor.decode(value, prefix)
    except AppError as error:
        assert error.status == 422 and error.fields == {"cursor": "Ungültiger Cursor."}
        return
    assert position is None or (position.startswith(prefix) and len(position) <= 300)


@given(st.sampled_from(["REG#", "ADDRESS#", "demo#"]), st.text(max_size=250))
def test_every_issued_cursor_decodes_back(prefix: str, rest: str) -> None:
    position = prefix + rest
    assert cursor.decode(cursor.encode(position), prefix) == position


@given(st.one_of(st.none(), garbage), st.sampled_from([TIME_POSITION, QUEUE_POSITION]))
def test_a_review_cursor_is_422_never_an_error(value: str | None, shape: Any) -> None:
    try:
        position = cursor.Page(cursor=value).after(shape=shape)
    except AppError as error:
        assert error.status == 422
        return
    assert position is None or shape.fullmatch(position)


@given(st.one_of(st.none(), garbage, st.integers(-10, 1000).map(str)))
def test_a_page_size_is_in_range_or_422(value: str | None) -> None:
    try:
        limit = cursor.page_limit(value, default=50, maximum=100)
    except AppError as error:
        assert error.status == 422 and "limit" in (error.fields or {})
        return
    assert 1 <= limit <= 100
    assert limit == 50 if not value else limit == int(value)


# -- JSON bodies ---------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20)


@given(st.one_of(st.binary(max_size=400), json_values.map(lambda v: json.dumps(v).encode()),
                 st.sampled_from([b"NaN", b"[" * 5000, b'{"a": Infinity}', b"\xff\xfe{}",
                                  b'{"a": 1e999}', b" " * 10])))
def test_a_body_is_an_object_or_400_or_413(raw: bytes) -> None:
    try:
        body = parse_json_object(raw, 2048)
    except (MalformedBody, PayloadTooLarge) as error:
        assert error.status in (400, 413)
        assert (error.status == 413) == (len(raw) > 2048)
        return
    assert isinstance(body, dict)
