"""Every agency route of the app, called with every role and an API key: 403
``role_forbidden`` exactly where chalicelib/auth/roles.py (the contract's table) says no,
before any lookup (ids of another tenant or of nothing at all make no difference), and for
allowed roles another tenant's record stays 404."""

from __future__ import annotations

import re
from typing import Any

import pytest

import app as application
from chalicelib.auth import roles
from tests.conftest import OTHER, registration_payload, tour_payload

ROLES = ("owner", "agent", "assistant", "api_key")

# What the contract's table says for the routes it names (independent of RULES).
EXPECTED = {
    ("GET", "/agency/tours"): {"owner", "agent", "assistant", "api_key"},
    ("POST", "/agency/tours"): {"owner", "agent", "api_key"},
    ("PUT", "/agency/tours/{tour_id}"): {"owner", "agent", "api_key"},
    ("POST", "/agency/registrations/{registration_id}/approve"): {"owner", "agent", "api_key"},
    ("POST", "/agency/addresses/{address_id}/activities"):
        {"owner", "agent", "assistant", "api_key"},
    ("POST", "/agency/gdpr/consent-requests"): {"owner", "agent", "assistant", "api_key"},
    ("DELETE", "/agency/addresses/{address_id}"): {"owner", "agent", "api_key"},
    ("POST", "/agency/addresses/bulk-delete"): {"owner", "agent", "api_key"},
    ("PUT", "/agency/gdpr/settings"): {"owner", "api_key"},
    ("GET", "/agency/users"): {"owner", "agent", "assistant"},
    ("POST", "/agency/users"): {"owner"},
    ("PATCH", "/agency/users/{user_id}"): {"owner"},
    ("GET", "/agency/api-keys"): {"owner"},
    ("POST", "/agency/api-keys"): {"owner"},
    ("DELETE", "/agency/api-keys/{api_key_id}"): {"owner"},
    ("GET", "/agency/me"): {"owner", "agent", "assistant", "api_key"},
}


def agency_routes() -> list[tuple[str, str]]:
    return sorted((method, path) for path, methods in application.app.routes.items()
                  if path.startswith("/agency/") or path == "/agency"
                  for method in methods if method not in ("OPTIONS", "HEAD"))


def test_the_table_matches_the_contract_where_it_names_routes() -> None:
    for (method, path), allowed in EXPECTED.items():
        assert {r for r in ROLES if roles.allowed(method, path, r)} == allowed, (method, path)
    # Families the contract names by pattern, for routes that may not exist yet.
    assert not roles.allowed("POST", "/agency/webhooks/{webhook_id}/ping", "agent")
    assert roles.allowed("POST", "/agency/webhooks/{webhook_id}/ping", "api_key")
    assert not roles.allowed("GET", "/agency/webhooks", "assistant")
    assert not roles.allowed("PUT", "/agency/profile", "agent")
    assert roles.allowed("GET", "/agency/profile", "assistant")
    assert not roles.allowed("PUT", "/agency/tours/{tour_id}/viewpoints/{v}/media", "assistant")
    assert roles.allowed("PUT", "/agency/tours/{tour_id}/viewpoints/{v}/media", "agent")


def test_the_readme_matrix_is_generated_from_the_table() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    assert roles.matrix_markdown() in readme


@pytest.fixture
def other_records(http: Any) -> dict[str, str]:
    """Records of agency ``other``: demo's people must get 404 for them where allowed."""
    tour = http.post("/agency/tours", tour_payload("manual"), token=OTHER).json
    reg = http.post(f"/tours/{tour['tour_id']}/registrations", registration_payload())
    [address] = http.get("/agency/addresses?email=eva@example.org", token=OTHER
                         ).json["addresses"]
    prop = http.post("/agency/properties", {"title": "Objekt"}, token=OTHER).json
    keys = http.get("/agency/api-keys", token=OTHER)
    return {"tour_id": tour["tour_id"], "registration_id": reg.json["registration_id"],
            "address_id": address["address_id"], "property_id": prop["property_id"],
            "api_key_id": keys.json["api_keys"][0]["api_key_id"] if keys.status == 200
            else "x"}


def fill(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: ids.get(m.group(1), "unknown-id"), path)


def test_every_agency_route_with_every_role(http: Any, bearer: dict[str, str],
                                            other_records: dict[str, str],
                                            people: dict[str, str]) -> None:
    other_ids = {**other_records, "user_id": people["inhaber@other-makler.de"]}
    checked = 0
    for method, path in agency_routes():
        for role in ROLES:
            allowed = roles.allowed(method, path, role)
            for ids in ({}, other_ids):
                reply = http.request(method, fill(path, ids), token=bearer[role],
                                     json_body={} if method != "GET" else None)
                case = (method, path, role, bool(ids), reply.status, reply.body[:200])
                if not allowed:
                    assert reply.status == 403, case
                    assert reply.json["error"]["code"] == "role_forbidden", case
                    continue
                assert reply.status not in (401, 403, 500), case
                if "{" in path:
                    # Nothing of another tenant (or of nobody) is ever found.
                    assert reply.status == 404, case
                checked += 1
    assert checked > 100
