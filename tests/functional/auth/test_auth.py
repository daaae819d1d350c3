"""Authentication and tenant isolation on every agency route, and the token lifecycle
through the operators' entry point (service and Lambda)."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import pytest

import app as application
from chalicelib.ops import handle
from tests.conftest import DEMO, OTHER, QA, owner_fields, registration_payload, tour_payload
from tests.support import every_item

BAD_AUTHORIZATION = [
    ("no header", None),
    ("unknown token", "Bearer not-a-real-token"),
    ("empty bearer", "Bearer "),
    ("bearer only", "Bearer"),
    ("wrong scheme", "Basic ZGVtbzpkZW1v"),
    ("right token, wrong scheme", f"Token {DEMO}"),
    ("token without scheme", DEMO),
    ("token with a space inside", f"Bearer {DEMO} x"),
    ("truncated token", f"Bearer {DEMO[:-1]}"),
    ("QA token", f"Bearer {QA}"),
    ("overlong token", "Bearer " + "a" * 5000),
]

# Every agency route the contract names so far; the test also covers any route added later.
CONTRACT_AGENCY_ROUTES = {
    ("POST", "/agency/tours"), ("GET", "/agency/tours"),
    ("GET", "/agency/tours/{tour_id}"), ("PUT", "/agency/tours/{tour_id}"),
    ("GET", "/agency/tours/{tour_id}/registrations"), ("GET", "/agency/tours/{tour_id}/stats"),
    ("POST", "/agency/registrations/{registration_id}/approve"),
    ("POST", "/agency/registrations/{registration_id}/deny"),
    ("GET", "/agency/addresses"), ("GET", "/agency/addresses/{address_id}"),
    ("GET", "/agency/addresses/{address_id}/preview"),
}


def assert_error(reply: Any, status: int, code: str | None = None, *, case: str = "") -> None:
    assert reply.status == status, (case, reply.status, reply.body)
    body = reply.json
    assert set(body) == {"error"}, (case, body)
    assert set(body["error"]) == {"code", "message"}, (case, body)
    assert body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code, (case, body)


def routes_under(prefix: str) -> list[tuple[str, str]]:
    return sorted((method, path) for path, methods in application.app.routes.items()
                  if path.startswith(prefix) for method in methods)


@pytest.fixture
def demo_world(http: Any, make_tour: Any) -> dict[str, Any]:
    """A manual-mode tour of ``demo`` with one pending registration and its address."""
    tour = make_tour("manual")
    reply = http.post(f"/tours/{tour['tour_id']}/registrations", registration_payload())
    assert reply.status == 202, reply.body
    [address] = http.get("/agency/addresses?email=eva@example.org", token=DEMO).json["addresses"]
    return {"tour": tour, "tour_id": tour["tour_id"],
            "registration_id": reply.json["registration_id"],
            "address_id": address["address_id"]}


def fill(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: ids.get(m.group(1), "some-id"), path)


def body_for(method: str, path: str) -> Any:
    """A body that would succeed, so only authentication can stop the request."""
    if method in ("POST", "PUT") and path in ("/agency/tours", "/agency/tours/{tour_id}"):
        return tour_payload(title="Übernommen?")
    return {} if method in ("POST", "PUT", "PATCH") else None


# -- 401 ---------------------------------------------------------------------------------

def test_the_agency_routes_of_the_contract_exist():
    assert set(routes_under("/agency/")) >= CONTRACT_AGENCY_ROUTES


def test_every_agency_route_answers_401_without_a_valid_agency_token(http, demo_world, outbox):
    mails_before = len(outbox())
    state_before = {
        "tour": http.get(f"/agency/tours/{demo_world['tour_id']}", token=DEMO).json,
        "tours": http.get("/agency/tours", token=DEMO).json,
        "registrations": http.get(f"/agency/tours/{demo_world['tour_id']}/registrations",
                                  token=DEMO).json,
    }
    checked = 0
    for method, path in routes_under("/agency/"):
        for case, authorization in BAD_AUTHORIZATION:
            headers = {"Authorization": authorization} if authorization is not None else {}
            reply = http.request(method, fill(path, demo_world), headers=headers,
                                 json_body=body_for(method, path))
            assert_error(reply, 401, "unauthorized", case=f"{method} {path}: {case}")
            checked += 1
    assert checked >= len(CONTRACT_AGENCY_ROUTES) * len(BAD_AUTHORIZATION)
    # None of the refused requests did anything.
    assert len(outbox()) == mails_before
    assert http.get(f"/agency/tours/{demo_world['tour_id']}", token=DEMO).json == \
        state_before["tour"]
    assert http.get("/agency/tours", token=DEMO).json == state_before["tours"]
    assert http.get(f"/agency/tours/{demo_world['tour_id']}/registrations",
                    token=DEMO).json == state_before["registrations"]


def test_401_comes_before_404_and_before_body_checks(http):
    for method, path, body in (
        ("GET", "/agency/tours/does-not-exist", None),
        ("PUT", "/agency/tours/does-not-exist", b"{not json"),
        ("POST", "/agency/tours", b"{not json"),
        ("POST", "/agency/tours", b"x" * 20000),
        ("POST", "/agency/registrations/does-not-exist/approve", None),
        ("GET", "/agency/addresses/does-not-exist/preview", None),
        ("GET", "/agency/tours//stats", None),
    ):
        reply = http.request(method, path, body=body, token="nope")
        assert_error(reply, 401, "unauthorized", case=f"{method} {path}")
        reply = http.request(method, path, body=body, token=QA)
        assert_error(reply, 401, "unauthorized", case=f"QA {method} {path}")


def test_an_agency_token_is_refused_on_qa_routes(http):
    qa_routes = routes_under("/qa/")
    if not qa_routes:
        pytest.skip("no QA routes exist yet (reviews issue)")
    for method, path in qa_routes:
        for token in (DEMO, OTHER):
            reply = http.request(method, fill(path, {}), token=token,
                                 json_body={} if method in ("POST", "PUT") else None)
            assert_error(reply, 401, "unauthorized", case=f"{method} {path}")


def test_the_valid_token_works_on_the_same_requests(http, demo_world):
    # The counterpart of the 401 test: the same requests with the right token succeed.
    assert http.get("/agency/tours", token=DEMO).status == 200
    assert http.get(f"/agency/tours/{demo_world['tour_id']}", token=DEMO).status == 200
    assert http.get(f"/agency/tours/{demo_world['tour_id']}/stats", token=DEMO).status == 200
    assert http.get(f"/agency/addresses/{demo_world['address_id']}", token=DEMO).status == 200
    # The auth scheme is case-insensitive (RFC 9110 §11.1).
    reply = http.get("/agency/tours", headers={"Authorization": f"bearer {DEMO}"})
    assert reply.status == 200


# -- another agency's ids: 404, indistinguishable from unknown ids --------------------------

def test_another_agencys_ids_are_not_found(http, demo_world, outbox):
    ids = demo_world
    unknown = {"tour_id": "a" * 26, "registration_id": "b" * 26, "address_id": "c" * 26}
    mails_before = len(outbox())
    tour_before = http.get(f"/agency/tours/{ids['tour_id']}", token=DEMO).json
    requests = [
        ("GET", "/agency/tours/{tour_id}", None),
        ("PUT", "/agency/tours/{tour_id}", tour_payload(title="Gekapert")),
        ("GET", "/agency/tours/{tour_id}/stats", None),
        ("GET", "/agency/tours/{tour_id}/registrations", None),
        ("POST", "/agency/registrations/{registration_id}/approve", None),
        ("POST", "/agency/registrations/{registration_id}/deny", None),
        ("GET", "/agency/addresses/{address_id}", None),
        ("GET", "/agency/addresses/{address_id}/preview", None),
    ]
    for method, path, body in requests:
        foreign = http.request(method, fill(path, ids), token=OTHER, json_body=body)
        assert_error(foreign, 404, case=f"{method} {path}")
        # Same answer as for an id that does not exist anywhere: existence is not revealed.
        missing = http.request(method, fill(path, unknown), token=OTHER, json_body=body)
        assert_error(missing, 404, case=f"unknown {method} {path}")
        assert foreign.json == missing.json, (method, path)

    # Nothing happened to demo's records.
    assert http.get(f"/agency/tours/{ids['tour_id']}", token=DEMO).json == tour_before
    [registration] = http.get(f"/agency/tours/{ids['tour_id']}/registrations",
                              token=DEMO).json["registrations"]
    assert registration["status"] == "pending_approval"
    assert len(outbox()) == mails_before
    # ... and demo itself can still act on them (the ids above were real).
    reply = http.post(f"/agency/registrations/{ids['registration_id']}/approve", token=DEMO)
    assert reply.status == 200, reply.body
    assert reply.json["status"] == "unlocked"


def test_another_agency_sees_none_of_demos_tours_or_leads(http, demo_world):
    tours = http.get("/agency/tours", token=OTHER).json["tours"]
    assert demo_world["tour_id"] not in {t["tour_id"] for t in tours}
    for query in ("eva@example.org", "EVA@EXAMPLE.ORG"):
        found = http.get(f"/agency/addresses?email={query}", token=OTHER)
        assert found.status == 200
        assert found.json["addresses"] == []
    listed = http.get("/agency/addresses", token=OTHER).json["addresses"]
    assert demo_world["address_id"] not in {a["address_id"] for a in listed}
    # Demo does see its lead.
    [own] = http.get("/agency/addresses?email=EVA@example.org", token=DEMO).json["addresses"]
    assert own["address_id"] == demo_world["address_id"]


# -- token lifecycle through the operators' entry point -------------------------------------


def assert_stored_only_hashed(container: Any, plaintext: str) -> None:
    items = every_item(container.settings.region)
    dump = json.dumps(items, default=str)
    assert plaintext not in dump
    digest = hashlib.sha256(plaintext.encode()).hexdigest()
    assert any(item["pk"] == f"TOKEN#{digest}" for item in items)


def test_token_lifecycle_through_the_ops_service(http, container):
    created = handle({"action": "create_agency", **owner_fields(1), "agency": {
        "agency_id": "neu", "name": "Neu Immobilien", "contact_email": "kontakt@neu.example"}},
        container)
    assert created["ok"] is True, created
    assert created["agency"]["agency_id"] == "neu"

    issued = handle({"action": "issue_token", "kind": "agency", "agency_id": "neu",
                     "label": "Test"}, container)
    assert issued["ok"] is True, issued
    token, token_id = issued["token"], issued["token_id"]
    assert issued["agency_id"] == "neu" and issued["kind"] == "agency"
    assert len(token) >= 22 and token not in (DEMO, OTHER, QA)
    assert_stored_only_hashed(container, token)

    # The token acts for exactly the new agency.
    assert http.get("/agency/tours", token=token).json == {"tours": []}
    # A new agency without a profile: a protected tour names its own privacy policy (v2).
    tour = http.post("/agency/tours", tour_payload(
        title="Neu", privacy_url="https://neu-makler.example/datenschutz"), token=token)
    assert tour.status == 201
    assert http.get(f"/agency/tours/{tour.json['tour_id']}", token=token).status == 200
    assert http.get(f"/agency/tours/{tour.json['tour_id']}", token=DEMO).status == 404
    assert tour.json["tour_id"] not in {
        t["tour_id"] for t in http.get("/agency/tours", token=DEMO).json["tours"]}

    # A second token of the same agency survives the first one's revocation.
    second = handle({"action": "issue_token", "agency_id": "neu"}, container)
    assert second["ok"] is True and second["token"] != token

    revoked = handle({"action": "revoke_token", "token_id": token_id}, container)
    assert revoked == {"ok": True, "revoked": token_id}
    assert_error(http.get("/agency/tours", token=token), 401, "unauthorized")
    assert http.get("/agency/tours", token=second["token"]).status == 200
    digest = hashlib.sha256(token.encode()).hexdigest()
    assert not any(i["pk"] == f"TOKEN#{digest}" for i in every_item(
        container.settings.region))

    again = handle({"action": "revoke_token", "token_id": token_id}, container)
    assert again["ok"] is False and again["error"]["code"] == "not_found"


def test_ops_refuses_what_it_cannot_do(container):
    unknown_agency = handle({"action": "issue_token", "kind": "agency",
                             "agency_id": "gibt-es-nicht"}, container)
    assert unknown_agency["ok"] is False
    assert unknown_agency["error"]["code"] == "not_found"
    duplicate = handle({"action": "create_agency", **owner_fields(2), "agency": {
        "agency_id": "demo", "name": "Doppelt", "contact_email": "x@example.org"}}, container)
    assert duplicate["ok"] is False and duplicate["error"]["code"] == "agency_exists"
    invalid = handle({"action": "create_agency", **owner_fields(3),
                      "agency": {"name": "Ohne Mail"}}, container)
    assert invalid["ok"] is False and "contact_email" in invalid["error"]["fields"]
    assert handle({"action": "drop_tables"}, container)["ok"] is False
    assert handle({}, container)["ok"] is False


def test_a_qa_token_from_ops_is_not_an_agency_token(http, container):
    issued = handle({"action": "issue_token", "kind": "qa", "label": "QA Team"}, container)
    assert issued["ok"] is True and issued["agency_id"] is None
    assert_error(http.get("/agency/tours", token=issued["token"]), 401, "unauthorized")
    assert_stored_only_hashed(container, issued["token"])


def test_token_lifecycle_through_the_ops_lambda(http, container):
    lam = http.client.lambda_
    created = lam.invoke("ops", {"action": "create_agency", **owner_fields(4), "agency": {
        "agency_id": "lambda-makler", "name": "Lambda Makler",
        "contact_email": "kontakt@lambda.example"}}).payload
    assert created["ok"] is True, created
    issued = lam.invoke("ops", {"action": "issue_token", "kind": "agency",
                                "agency_id": "lambda-makler"}).payload
    assert issued["ok"] is True, issued
    token = issued["token"]
    assert http.get("/agency/tours", token=token).status == 200
    assert_stored_only_hashed(container, token)

    revoked = lam.invoke("ops", {"action": "revoke_token",
                                 "token_id": issued["token_id"]}).payload
    assert revoked["ok"] is True
    assert_error(http.get("/agency/tours", token=token), 401, "unauthorized")
    failed = lam.invoke("ops", {"action": "nonsense"}).payload
    assert failed["ok"] is False and failed["error"]["code"] == "unknown_action"


def test_seeded_tokens_are_stored_only_hashed(container):
    for token in (DEMO, OTHER, QA):
        assert_stored_only_hashed(container, token)
