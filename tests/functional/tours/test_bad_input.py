"""Bad input on the write routes: always the contract's 4xx envelope, never a 500, and no
trace left behind (no registration, no mail, no address, unchanged counters and tours)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import DEMO, registration_payload, tour_payload
from tests.support import links_of

ALL_FIELDS = ["first_name", "last_name", "email", "phone", "street", "zip", "city", "message"]


# -- helpers ---------------------------------------------------------------------------

def assert_envelope(reply: Any, status: int, *fields: str, case: str = "") -> dict[str, Any]:
    """``{"error": {"code", "message"[, "fields"]}}``; ``fields`` only on 422 and then naming
    at least ``fields``."""
    assert reply.status == status, (case, reply.status, reply.body)
    assert reply.headers["content-type"].startswith("application/json")
    body = reply.json
    assert set(body) == {"error"}, body
    error = body["error"]
    assert isinstance(error["code"], str) and error["code"]
    assert error["code"] == error["code"].lower() and " " not in error["code"]
    assert isinstance(error["message"], str) and error["message"]
    if status == 422:
        assert set(error) == {"code", "message", "fields"}, error
        assert isinstance(error["fields"], dict) and error["fields"]
        for name in fields:
            assert name in error["fields"], (case, name, error["fields"])
            assert isinstance(error["fields"][name], str) and error["fields"][name]
    else:
        assert set(error) == {"code", "message"}, error
        assert not fields
    return error


def register_raw(http: Any, tour_id: str, body: bytes | str) -> Any:
    return http.request("POST", f"/tours/{tour_id}/registrations", body=body)


@pytest.fixture
def snapshot(http: Any, outbox: Any) -> Any:
    """Everything a registration or tour write could have changed, as seen from outside."""

    def take(tour_id: str | None = None) -> dict[str, Any]:
        state: dict[str, Any] = {
            "mails": len(outbox()),
            "tours": http.get("/agency/tours", token=DEMO).json["tours"],
            "addresses": http.get("/agency/addresses", token=DEMO).json["addresses"],
        }
        if tour_id is not None:
            state["tour"] = http.get(f"/agency/tours/{tour_id}", token=DEMO).json
            state["stats"] = http.get(f"/agency/tours/{tour_id}/stats", token=DEMO).json
            state["registrations"] = http.get(f"/agency/tours/{tour_id}/registrations",
                                              token=DEMO).json["registrations"]
        return state

    return take


@pytest.fixture
def tour(make_tour: Any) -> dict[str, Any]:
    return make_tour("email")


# Bodies that are not a JSON object: (case, body, status it must get). Looped inside one
# test per route (each test pays for a fresh moto), every case named in its failure.
NOT_AN_OBJECT = [
    ("malformed", b"{not json", 400),
    ("trailing-comma", b'{"email": "eva@example.org",}', 400),
    ("truncated", b'{"email": "eva@example.org"', 400),
    ("not-utf8", b"\xff\xfe{}", 400),
    ("nan-constant", b'{"privacy_accepted": NaN}', 400),
    ("null", b"null", 400),
    ("empty-array", b"[]", 400),
    ("array-of-object", json.dumps([registration_payload()]).encode(), 400),
    ("string", b'"eva@example.org"', 400),
    ("number", b"42", 400),
    ("boolean", b"true", 400),
    ("empty", b"", 400),
    ("whitespace", b"   \n", 400),
    ("nested-too-deep", b'{"a":' * 2500 + b"1" + b"}" * 2500, 400),
    ("over-16kb-garbage", b"x" * (16 * 1024 + 1), 413),
]


def oversized_registration() -> bytes:
    body = json.dumps(registration_payload(message="a" * (16 * 1024)))
    assert len(body.encode()) > 16 * 1024
    return body.encode()


# -- POST /tours/{id}/registrations: bodies that are not a JSON object ----------------------

def test_registration_body_that_is_not_an_object_is_refused_and_changes_nothing(
        http, tour, snapshot):
    before = snapshot(tour["tour_id"])
    for case, body, status in NOT_AN_OBJECT:
        reply = register_raw(http, tour["tour_id"], body)
        assert_envelope(reply, status, case=case)
    assert snapshot(tour["tour_id"]) == before


def test_registration_over_16_kb_of_valid_json_is_413(http, tour, snapshot):
    before = snapshot(tour["tour_id"])
    error = assert_envelope(register_raw(http, tour["tour_id"], oversized_registration()), 413)
    assert error["code"] == "payload_too_large"
    assert snapshot(tour["tour_id"]) == before


def test_registration_of_exactly_16_kb_is_not_refused_for_size(http, tour):
    body = json.dumps(registration_payload(message=""))
    padding = 16 * 1024 - len(body.encode()) - len(', "pad": ""')
    raw = body[:-1] + ', "pad": "' + "p" * padding + '"}'
    assert len(raw.encode()) == 16 * 1024
    # Unknown extra keys are ignored for registrations; the body is within the limit.
    assert register_raw(http, tour["tour_id"], raw).status == 202


# -- POST /tours/{id}/registrations: validation -----------------------------------------

# (case, overrides of a valid registration, the field that must be named)
BAD_REGISTRATIONS = [
    ("email-number", {"email": 12345}, "email"),
    ("email-list", {"email": ["eva@example.org"]}, "email"),
    ("email-object", {"email": {"address": "eva@example.org"}}, "email"),
    ("first-name-number", {"first_name": 7}, "first_name"),
    ("last-name-list", {"last_name": ["Muster"]}, "last_name"),
    ("phone-number", {"phone": 493012345}, "phone"),
    ("privacy-string", {"privacy_accepted": "true"}, "privacy_accepted"),
    ("privacy-one", {"privacy_accepted": 1}, "privacy_accepted"),
    ("privacy-false", {"privacy_accepted": False}, "privacy_accepted"),
    ("privacy-null", {"privacy_accepted": None}, "privacy_accepted"),
    ("email-no-at", {"email": "not-an-email"}, "email"),
    ("email-no-domain", {"email": "eva@"}, "email"),
    ("email-no-local", {"email": "@example.org"}, "email"),
    ("email-space", {"email": "eva muster@example.org"}, "email"),
    ("email-double-at", {"email": "eva@@example.org"}, "email"),
    ("email-crlf", {"email": "eva@example.org\r\nBcc: victim@example.com"}, "email"),
    ("first-name-crlf", {"first_name": "Eva\r\nBcc: victim@example.com"}, "first_name"),
    ("first-name-lf", {"first_name": "Eva\nMaria"}, "first_name"),
    ("last-name-cr", {"last_name": "Mus\rter"}, "last_name"),
    ("last-name-crlf", {"last_name": "Muster\r\nX-Injected: 1"}, "last_name"),
    ("first-name-101", {"first_name": "E" * 101}, "first_name"),
    ("last-name-101", {"last_name": "M" * 101}, "last_name"),
    ("message-2001", {"message": "m" * 2001}, "message"),
]


def test_registration_with_a_bad_field_is_422_naming_it_and_changes_nothing(
        http, tour, snapshot):
    before = snapshot(tour["tour_id"])
    for case, overrides, field in BAD_REGISTRATIONS:
        reply = http.post(f"/tours/{tour['tour_id']}/registrations",
                          registration_payload(**overrides))
        error = assert_envelope(reply, 422, field, case=case)
        assert error["code"] == "validation_failed", case
    assert snapshot(tour["tour_id"]) == before


def test_missing_privacy_acceptance_is_422(http, tour, snapshot):
    before = snapshot(tour["tour_id"])
    payload = registration_payload()
    del payload["privacy_accepted"]
    reply = http.post(f"/tours/{tour['tour_id']}/registrations", payload)
    assert_envelope(reply, 422, "privacy_accepted")
    assert snapshot(tour["tour_id"]) == before


def test_every_missing_required_field_is_named(http, make_tour, snapshot):
    tour = make_tour("email", protection={"mode": "email", "required_fields": ALL_FIELDS,
                                          "protected_viewpoints": ["bad"]})
    before = snapshot(tour["tour_id"])
    reply = http.post(f"/tours/{tour['tour_id']}/registrations", {"privacy_accepted": True})
    error = assert_envelope(reply, 422, *ALL_FIELDS)
    assert set(error["fields"]) == set(ALL_FIELDS)
    # Blank strings are as missing as absent keys.
    blank = dict.fromkeys(ALL_FIELDS, "  ")
    reply = http.post(f"/tours/{tour['tour_id']}/registrations",
                      {**blank, "privacy_accepted": True})
    assert set(assert_envelope(reply, 422, *ALL_FIELDS)["fields"]) == set(ALL_FIELDS)
    # Nothing given at all: the required fields and the privacy acceptance, all at once.
    reply = http.post(f"/tours/{tour['tour_id']}/registrations", {})
    assert set(assert_envelope(reply, 422)["fields"]) == {*ALL_FIELDS, "privacy_accepted"}
    assert snapshot(tour["tour_id"]) == before


def test_required_fields_follow_the_tours_settings(http, make_tour):
    only_phone = make_tour("email", protection={"mode": "email", "required_fields": ["phone"],
                                                "protected_viewpoints": []})
    reply = http.post(f"/tours/{only_phone['tour_id']}/registrations",
                      {"email": "eva@example.org", "privacy_accepted": True})
    error = assert_envelope(reply, 422, "phone")
    assert set(error["fields"]) == {"phone"}

    # email is always required, even when the agency lists nothing.
    nothing = make_tour("email", protection={"mode": "email", "required_fields": [],
                                             "protected_viewpoints": []})
    reply = http.post(f"/tours/{nothing['tour_id']}/registrations", {"privacy_accepted": True})
    assert set(assert_envelope(reply, 422, "email")["fields"]) == {"email"}
    reply = http.post(f"/tours/{nothing['tour_id']}/registrations",
                      {"email": "eva@example.org", "privacy_accepted": True})
    assert reply.status == 202


def test_several_bad_fields_are_named_in_one_answer(http, tour):
    reply = http.post(f"/tours/{tour['tour_id']}/registrations", {
        "first_name": "Eva\r\nX", "last_name": "M" * 101, "email": "kaputt",
        "message": "m" * 2001, "privacy_accepted": "yes"})
    error = assert_envelope(reply, 422, "first_name", "last_name", "email", "message",
                            "privacy_accepted")
    assert set(error["fields"]) == {"first_name", "last_name", "email", "message",
                                    "privacy_accepted"}


def test_length_limits_are_inclusive(http, tour):
    reply = http.post(f"/tours/{tour['tour_id']}/registrations", registration_payload(
        first_name="E" * 100, last_name="M" * 100, message="m" * 2000))
    assert reply.status == 202, reply.body
    [registration] = http.get(f"/agency/tours/{tour['tour_id']}/registrations",
                              token=DEMO).json["registrations"]
    assert registration["first_name"] == "E" * 100
    assert registration["last_name"] == "M" * 100


def test_line_breaks_in_the_message_are_fine(http, tour):
    reply = http.post(f"/tours/{tour['tour_id']}/registrations",
                      registration_payload(message="Guten Tag,\r\nich hätte Interesse.\n\nEva"))
    assert reply.status == 202, reply.body


# -- HTML in user text ------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"


def test_html_in_names_is_accepted_and_escaped_in_the_prospects_mail(http, make_tour, outbox):
    # v2 (issue 19): the unverified mail greets without the typed name, so the name first
    # reaches the prospect in the approval mail, after the agency saw the request: that is
    # where it must arrive escaped.
    tour = make_tour("manual")
    reply = http.post(f"/tours/{tour['tour_id']}/registrations", registration_payload(
        first_name=SCRIPT, last_name='<img src=x onerror="alert(2)">', message=SCRIPT))
    assert reply.status == 202, reply.body
    [received] = [m for m in outbox() if m["to"] == ["eva@example.org"]]
    assert "alert(" not in received["html"] and "alert(" not in received["text"]
    [request] = [m for m in outbox() if m["to"] == ["dana@demo-makler.de"]]
    [approve] = links_of(request, "approve")
    assert http.form_post(approve).status == 200
    [granted] = [m for m in outbox() if m["to"] == ["eva@example.org"]
                 and m is not received and m["subject"] != received["subject"]]
    html = granted["html"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html.lower()
    assert "<img" not in html.lower()
    assert "&lt;img src=x onerror=" in html
    # The plain-text part carries the name as typed (nothing to escape there).
    assert SCRIPT in granted["text"]
    # The registration keeps the text as given: escaping belongs to the output.
    [stored] = http.get(f"/agency/tours/{tour['tour_id']}/registrations",
                        token=DEMO).json["registrations"]
    assert stored["first_name"] == SCRIPT


def test_html_in_names_and_message_is_escaped_in_the_manual_mode_mails(http, make_tour, outbox):
    tour = make_tour("manual")
    reply = http.post(f"/tours/{tour['tour_id']}/registrations", registration_payload(
        first_name=SCRIPT, last_name="<b>Muster</b>",
        message='<a href="https://evil.example">Klick</a> & <script>x()</script>'))
    assert reply.status == 202, reply.body
    mails = outbox()
    assert len(mails) == 2
    [request] = [m for m in mails if m["to"] == ["dana@demo-makler.de"]]
    [received] = [m for m in mails if m["to"] == ["eva@example.org"]]
    for mail in (request, received):
        assert "<script" not in mail["html"].lower()
        assert "<b>Muster" not in mail["html"]
    html = request["html"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;Muster&lt;/b&gt;" in html
    assert "&lt;a href=" in html and 'href="https://evil.example"' not in html
    assert "&amp; &lt;script&gt;x()&lt;/script&gt;" in html


# -- record checks come before body checks -----------------------------------------------

@pytest.mark.parametrize("body", [
    pytest.param(json.dumps(registration_payload()).encode(), id="valid"),
    pytest.param(json.dumps({"email": 5, "privacy_accepted": "no"}).encode(), id="invalid"),
    pytest.param(b"{not json", id="malformed"),
    pytest.param(b"null", id="null"),
    pytest.param(b"", id="empty"),
])
def test_unknown_tour_is_404_whatever_the_body(http, body, outbox):
    reply = register_raw(http, "tour-does-not-exist", body)
    assert assert_envelope(reply, 404)["code"] == "not_found"
    assert outbox() == []


@pytest.mark.parametrize("body", [
    pytest.param(json.dumps(registration_payload()).encode(), id="valid"),
    pytest.param(json.dumps({"email": "kaputt"}).encode(), id="invalid"),
    pytest.param(b"{not json", id="malformed"),
])
def test_registration_on_a_tour_without_protection_is_409(http, make_tour, snapshot, body):
    tour = make_tour("off")
    before = snapshot(tour["tour_id"])
    reply = register_raw(http, tour["tour_id"], body)
    assert assert_envelope(reply, 409)["code"] == "protection_off"
    assert snapshot(tour["tour_id"]) == before


# -- empty path segments -----------------------------------------------------------------

@pytest.mark.parametrize(("method", "path", "token"), [
    ("POST", "/tours//registrations", None),
    ("GET", "/tours//protection", None),
    ("GET", "/tours//access", None),
    ("GET", "/agency/tours//stats", DEMO),
    ("GET", "/agency/tours//registrations", DEMO),
    ("PUT", "/agency/tours//", DEMO),
    ("POST", "/agency/registrations//approve", DEMO),
    ("POST", "/agency/registrations//deny", DEMO),
    ("GET", "/agency/addresses//preview", DEMO),
])
def test_empty_path_segment_is_a_404_envelope(http, method, path, token, outbox):
    # Chalice routes an empty segment to the route with an empty id; the edge answers it
    # like any unknown id (DynamoDB would refuse the empty key with a 500-shaped error).
    reply = http.request(method, path, token=token, body=json.dumps(registration_payload()))
    assert assert_envelope(reply, 404)["code"] == "not_found"
    assert outbox() == []


@pytest.mark.parametrize(("method", "path"), [
    ("POST", "/tours///registrations"),
    ("GET", "//agency/tours"),
    ("GET", "/agency/tours/x/y/z/stats"),
])
def test_a_path_matching_no_route_gets_the_gateways_own_answer(http, method, path, outbox):
    # Two empty segments (or extra ones) match no route at all: like API Gateway, the
    # Chalice gateway answers 403 "Missing Authentication Token" in its own shape, which
    # the contract allows for unrouted paths. Never a 500, never a handler run.
    for token in (None, DEMO):
        reply = http.request(method, path, token=token,
                             body=json.dumps(registration_payload()))
        assert reply.status == 403, (token, reply.status, reply.body)
        assert "message" in reply.json and "error" not in reply.json
    assert outbox() == []


def test_overlong_path_id_is_a_404_envelope(http):
    reply = http.post(f"/tours/{'t' * 300}/registrations", registration_payload())
    assert_envelope(reply, 404)
    reply = http.get(f"/agency/tours/{'t' * 300}", token=DEMO)
    assert_envelope(reply, 404)


# -- same answer for a new and a known email ----------------------------------------------

@pytest.mark.parametrize("mode", ["email", "manual"])
def test_the_answer_is_the_same_whether_the_email_is_new_or_known(http, make_tour, mode):
    tour = make_tour(mode)
    first = http.post(f"/tours/{tour['tour_id']}/registrations", registration_payload())
    again = http.post(f"/tours/{tour['tour_id']}/registrations",
                      registration_payload(email="EVA@example.org", first_name="Evi"))
    assert first.status == again.status == 202
    assert set(first.json) == set(again.json) == {"registration_id", "viewer_token", "status"}
    assert first.json["status"] == again.json["status"]
    assert first.headers.keys() == again.headers.keys()
    assert first.headers["content-type"] == again.headers["content-type"]
    assert first.json["registration_id"] != again.json["registration_id"]
    assert len(first.json["viewer_token"]) == len(again.json["viewer_token"])


# -- POST /agency/tours ------------------------------------------------------------------

def test_create_tour_body_that_is_not_an_object_is_refused(http, snapshot):
    before = snapshot()
    for case, body, status in NOT_AN_OBJECT:
        reply = http.request("POST", "/agency/tours", body=body, token=DEMO)
        assert_envelope(reply, status, case=case)
    assert snapshot() == before


def test_create_tour_over_16_kb_of_valid_json_is_413(http, snapshot):
    before = snapshot()
    payload = tour_payload()
    payload["protection"]["protected_viewpoints"] = [f"vp-{i:05d}" for i in range(2000)]
    body = json.dumps(payload).encode()
    assert len(body) > 16 * 1024
    assert_envelope(http.request("POST", "/agency/tours", body=body, token=DEMO), 413)
    assert snapshot() == before


def _contact(**overrides: Any) -> dict[str, Any]:
    return {**tour_payload()["contact"], **overrides}


def _protection(**overrides: Any) -> dict[str, Any]:
    return {**tour_payload()["protection"], **overrides}


# (case, overrides of the tour payload, the field that must be named)
BAD_TOURS = [
    ("mode-unknown", {"protection": _protection(mode="sometimes")}, "protection.mode"),
    ("mode-null", {"protection": _protection(mode=None)}, "protection.mode"),
    ("required-fields-unknown",
     {"protection": _protection(required_fields=["first_name", "shoe_size"])},
     "protection.required_fields.1"),
    ("required-fields-string", {"protection": _protection(required_fields="email")},
     "protection.required_fields"),
    ("viewpoints-string", {"protection": _protection(protected_viewpoints="wohnzimmer")},
     "protection.protected_viewpoints"),
    ("viewpoints-object", {"protection": _protection(protected_viewpoints={"a": 1})},
     "protection.protected_viewpoints"),
    ("viewpoints-numbers", {"protection": _protection(protected_viewpoints=[1, 2])},
     "protection.protected_viewpoints.0"),
    ("protection-string", {"protection": "email"}, "protection"),
    ("title-number", {"title": 42}, "title"),
    ("title-empty", {"title": ""}, "title"),
    ("title-crlf", {"title": "Wohnung\r\nBcc: x@example.com"}, "title"),
    ("url-ftp", {"tour_url": "ftp://touren.example/altbau"}, "tour_url"),
    ("url-javascript", {"tour_url": "javascript:alert(1)"}, "tour_url"),
    ("url-no-scheme", {"tour_url": "touren.example/altbau"}, "tour_url"),
    ("url-fragment", {"tour_url": "https://touren.example/altbau#start"}, "tour_url"),
    ("url-empty-fragment", {"tour_url": "https://touren.example/altbau#"}, "tour_url"),
    ("url-number", {"tour_url": 5}, "tour_url"),
    ("contact-name-crlf", {"contact": _contact(name="Dana\r\nBcc: victim@example.com")},
     "contact.name"),
    ("contact-name-lf", {"contact": _contact(name="Dana\nDemo")}, "contact.name"),
    ("contact-email-invalid", {"contact": _contact(email="dana-at-demo")}, "contact.email"),
    ("contact-email-number", {"contact": _contact(email=12)}, "contact.email"),
    ("contact-phone-invalid", {"contact": _contact(phone="call me")}, "contact.phone"),
    ("contact-string", {"contact": "Dana"}, "contact"),
    ("property-id-number", {"property_id": 7}, "property_id"),
]


def test_create_tour_with_a_bad_field_is_422_naming_it(http, snapshot):
    before = snapshot()
    for case, overrides, field in BAD_TOURS:
        reply = http.post("/agency/tours", tour_payload(**overrides), token=DEMO)
        error = assert_envelope(reply, 422, field, case=case)
        assert error["code"] == "validation_failed", case
    assert snapshot() == before


def test_create_tour_missing_fields_are_each_named(http, snapshot):
    before = snapshot()
    reply = http.post("/agency/tours", {"property_id": "p"}, token=DEMO)
    assert_envelope(reply, 422, "title", "tour_url", "protection", "contact")
    reply = http.post("/agency/tours", tour_payload(protection={}, contact={}), token=DEMO)
    assert_envelope(reply, 422, "protection.mode", "contact.name", "contact.company",
                    "contact.email", "contact.phone")
    assert snapshot() == before


# -- PUT /agency/tours/{id} --------------------------------------------------------------

def test_replace_tour_body_that_is_not_an_object_is_refused(http, tour, snapshot):
    before = snapshot(tour["tour_id"])
    for case, body, status in NOT_AN_OBJECT:
        reply = http.request("PUT", f"/agency/tours/{tour['tour_id']}", body=body, token=DEMO)
        assert_envelope(reply, status, case=case)
    assert snapshot(tour["tour_id"]) == before


def test_replace_tour_with_a_bad_field_is_422_and_keeps_the_tour(http, tour, snapshot):
    before = snapshot(tour["tour_id"])
    for case, overrides, field in BAD_TOURS:
        reply = http.put(f"/agency/tours/{tour['tour_id']}", tour_payload(**overrides),
                         token=DEMO)
        assert_envelope(reply, 422, field, case=case)
    assert snapshot(tour["tour_id"]) == before


@pytest.mark.parametrize("body", [
    pytest.param(json.dumps(tour_payload()).encode(), id="valid"),
    pytest.param(json.dumps(tour_payload(tour_url="ftp://x")).encode(), id="invalid"),
    pytest.param(b"{not json", id="malformed"),
    pytest.param(b"null", id="null"),
])
def test_replace_unknown_tour_is_404_whatever_the_body(http, body):
    reply = http.request("PUT", "/agency/tours/tour-does-not-exist", body=body, token=DEMO)
    assert assert_envelope(reply, 404)["code"] == "not_found"


def test_a_valid_replace_after_refused_ones_still_works(http, tour):
    # The refused writes above must not have bumped the version or locked the tour.
    bad = http.put(f"/agency/tours/{tour['tour_id']}", tour_payload(tour_url="ftp://x"),
                   token=DEMO)
    assert bad.status == 422
    good = http.put(f"/agency/tours/{tour['tour_id']}", tour_payload(title="Neu"), token=DEMO)
    assert good.status == 200, good.body
    assert http.get(f"/agency/tours/{tour['tour_id']}", token=DEMO).json["title"] == "Neu"


# -- over-long input never becomes an over-long DynamoDB key ---------------------------------

def _refuse_oversized_keys(params: dict[str, Any], **_: Any) -> None:
    """DynamoDB (unlike moto on reads) refuses partition keys over 2048 bytes and sort keys
    over 1024 bytes with a ValidationException, which the app would answer with a 500."""
    from botocore.exceptions import ClientError

    keys = [params["Key"]] if "Key" in params else [
        key for request in params.get("RequestItems", {}).values()
        for key in request.get("Keys", [])]
    for key in keys:
        for name, limit in (("pk", 2048), ("sk", 1024)):
            value = key.get(name, {}).get("S", "")
            if len(value.encode()) > limit:
                raise ClientError({"Error": {"Code": "ValidationException",
                                             "Message": f"{name} too large"}}, "GetItem")


def test_overlong_lookups_are_answered_without_oversized_keys(http, container, tour):
    events = container.dynamodb.meta.events
    for operation in ("GetItem", "BatchGetItem"):
        events.register(f"provide-client-params.dynamodb.{operation}", _refuse_oversized_keys)
    long_email = "a" * 1200 + "@example.org"
    reply = http.get(f"/agency/addresses?email={long_email}", token=DEMO)
    assert reply.status == 200, reply.body
    assert reply.json["addresses"] == []
    wide = "\U0001f600" * 199  # 4 bytes each, just under the id length cap
    for method, path in (("GET", f"/agency/tours/{wide}"), ("GET", f"/tours/{wide}/protection"),
                         ("GET", f"/agency/addresses/{wide}/preview"),
                         ("POST", f"/agency/registrations/{wide}/approve")):
        assert_envelope(http.request(method, path, token=DEMO), 404)
    reply = http.get(f"/tours/{tour['tour_id']}/access",
                     headers={"X-Viewer-Token": "a" * 26 + "." + "b" * 5000})
    assert reply.status == 200 and reply.json["status"] == "locked"
    reply = http.post(f"/tours/{tour['tour_id']}/registrations",
                      registration_payload(email="a" * 64 + "@" + "b" * 1000 + ".de"))
    assert_envelope(reply, 422, "email")
