"""Untrusted strings from the outside: viewer tokens, bearer headers, pagination cursors."""

from __future__ import annotations

import base64

import pytest

from chalicelib.auth.tokens import MAX_TOKEN_LENGTH, bearer_token
from chalicelib.errors import ValidationFailed
from chalicelib.secrets_util import new_id, new_secret
from chalicelib.storage import cursor
from chalicelib.tours.service import parse_viewer_token

# -- viewer tokens --------------------------------------------------------------------------

def test_a_viewer_token_is_registration_id_dot_secret() -> None:
    registration_id, secret = new_id(), new_secret()
    assert parse_viewer_token(f"{registration_id}.{secret}") == (registration_id, secret)


def test_the_secret_may_contain_dots_only_after_the_first() -> None:
    registration_id = new_id()
    # partition at the first dot: the rest is the secret, which must be URL-safe base64.
    assert parse_viewer_token(f"{registration_id}.{'a' * 20}.x") is None


@pytest.mark.parametrize("token", [
    None, "", ".", "abc", "a" * 26, "a" * 26 + ".",
    "a" * 26 + "." + "b" * 19,                       # secret too short
    "a" * 26 + "." + "b" * 65,                       # secret too long
    "A" * 26 + "." + "b" * 32,                       # ids are lowercase base32
    "a" * 25 + "1." + "b" * 32,                      # 1 is not base32
    "a" * 25 + "." + "b" * 32,                       # id too short
    "a" * 26 + "." + "b" * 31 + "+",                 # not URL-safe
    "a" * 26 + "." + "b" * 31 + "=",
    "a" * 26 + ".." + "b" * 32,
    " " + "a" * 26 + "." + "b" * 32,
    "a" * 26 + "." + "b" * 32 + "\n",
    "a" * 26 + "." + "b" * 32 + "\u00e4",
    "x" * 201,
])
def test_anything_else_is_no_token(token) -> None:
    assert parse_viewer_token(token) is None


def test_boundaries_of_the_secret_length() -> None:
    registration_id = new_id()
    assert parse_viewer_token(f"{registration_id}.{'b' * 20}") is not None
    assert parse_viewer_token(f"{registration_id}.{'b' * 64}") is not None


# -- bearer tokens --------------------------------------------------------------------------

@pytest.mark.parametrize(("header", "token"), [
    ("Bearer demo-agency-token", "demo-agency-token"),
    ("bearer demo-agency-token", "demo-agency-token"),
    ("BEARER demo-agency-token", "demo-agency-token"),
    ("  Bearer   demo-agency-token  ", "demo-agency-token"),
    ("Bearer " + "t" * MAX_TOKEN_LENGTH, "t" * MAX_TOKEN_LENGTH),
])
def test_bearer_tokens_are_read(header, token) -> None:
    assert bearer_token(header) == token


@pytest.mark.parametrize("header", [
    None, "", "Bearer", "Bearer ", "Bearer  ", "demo-agency-token", "Basic ZGVtbzpkZW1v",
    "Token demo-agency-token", "Bearer two words", "Bearer tök", "Bearer a\x01b",
    "Bearer\tdemo-agency-token", "Bearer " + "t" * (MAX_TOKEN_LENGTH + 1),
])
def test_malformed_authorization_is_no_token(header) -> None:
    assert bearer_token(header) is None


# -- cursors --------------------------------------------------------------------------------

def test_cursor_round_trip_is_opaque_and_url_safe() -> None:
    position = "REG#2026-11-23T09:00:00.000Z#abcdefghijklmnopqrstuvwxyz"
    encoded = cursor.encode(position)
    assert "REG" not in encoded and "=" not in encoded
    assert set(encoded) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert cursor.decode(encoded, "REG#") == position


@pytest.mark.parametrize("position", ["REG#ä?>~", "REG#" + "x" * 200, "REG#"])
def test_cursor_round_trip_of_odd_positions(position) -> None:
    assert cursor.decode(cursor.encode(position), "REG#") == position


@pytest.mark.parametrize("value", [None, ""])
def test_no_cursor_means_the_first_page(value) -> None:
    assert cursor.decode(value, "REG#") is None


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


@pytest.mark.parametrize("value", [
    "!!!", "a", "====", "%%", "\u00fc\u00fc\u00fc\u00fc",
    _b64(b"\xff\xfe\xfd"),                        # not UTF-8
    cursor.encode("ADDR#agency-b#x"),             # another kind of record
    cursor.encode("TOUR#x"),
    cursor.encode("reg#lowercase"),
    cursor.encode("REG#" + "x" * 300),            # longer than any real position
    cursor.encode("xREG#x"),
])
def test_forged_or_garbage_cursors_are_a_validation_error(value) -> None:
    with pytest.raises(ValidationFailed) as caught:
        cursor.decode(value, "REG#")
    assert caught.value.status == 422
    assert caught.value.fields == {"cursor": "Ungültiger Cursor."}


def test_page_limit_accepts_ascii_digits_in_range_only():
    import pytest

    from chalicelib.errors import ValidationFailed
    from chalicelib.storage.cursor import page_limit

    assert page_limit(None, default=20) == 20
    assert page_limit("", default=20) == 20
    assert page_limit("1") == 1
    assert page_limit("100") == 100
    for raw in ("0", "101", "-1", "abc", "1.5", "²", "٣", " 5", "5 ", "00000001"):
        with pytest.raises(ValidationFailed) as caught:
            page_limit(raw)
        assert caught.value.fields == {"limit": "Eine ganze Zahl von 1 bis 100."}


def test_a_page_parses_limit_and_cursor_only_when_asked_then_keeps_the_limit():
    import re

    from chalicelib.storage.cursor import Page

    bad = Page("0", "!!!", default=20, maximum=100)  # building it checks nothing
    with pytest.raises(ValidationFailed) as caught:
        _ = bad.limit
    assert caught.value.fields == {"limit": "Eine ganze Zahl von 1 bis 100."}
    with pytest.raises(ValidationFailed) as caught:
        bad.after("REG#")
    assert caught.value.fields == {"cursor": "Ungültiger Cursor."}

    page = Page(None, cursor.encode("REG#abc"), default=20)
    assert page.limit == 20
    assert page.after("REG#") == "REG#abc"
    assert page.after("REG#", shape=re.compile(r"REG#[a-z]+")) == "REG#abc"
    with pytest.raises(ValidationFailed):
        page.after("REG#", shape=re.compile(r"REG#[0-9]+"))
    assert Page().after("REG#") is None
