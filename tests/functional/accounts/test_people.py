"""Users and API keys (owner), invitations by the product's own mail, roles and disables
applying on the next request, the last owner, and the ops events for owners and QA."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from chalicelib.ops import handle
from tests.conftest import DEMO, owner_fields
from tests.functional.accounts.conftest import sign_in
from tests.support import all_items

NEW_PASSWORD = "Neues-Passwort-2026!"


def invitation(outbox: Any, email: str) -> dict[str, Any]:
    [mail] = [m for m in outbox() if m["to"] == [email]]
    assert "Einladung" in mail["subject"]
    return mail


def temporary_password(mail: dict[str, Any]) -> str:
    return re.search(r"Vorläufiges Passwort:\s+(\S+)", mail["text"]).group(1)


def first_sign_in(http: Any, email: str, password: str) -> dict[str, Any]:
    reply = http.post("/auth/sign-in", {"email": email, "password": password})
    assert reply.status == 200 and reply.json["challenge"] == "NEW_PASSWORD_REQUIRED", reply.body
    weak = http.post("/auth/challenge", {"session": reply.json["session"], "new_password": "kurz"})
    assert weak.status == 422 and "new_password" in weak.json["error"]["fields"]
    done = http.post("/auth/challenge", {"session": reply.json["session"],
                                         "new_password": NEW_PASSWORD})
    assert done.status == 200, done.body
    return done.json


def test_owner_invites_a_person_who_signs_in_from_the_mail(http: Any, bearer: dict[str, str],
                                                           outbox: Any) -> None:
    created = http.post("/agency/users", {"email": "Nina.Neu@demo-makler.de", "name": "Nina Neu",
                                          "role": "agent"}, token=bearer["owner"])
    assert created.status == 201, created.body
    assert created.json["status"] == "invited" and created.json["email"] == "nina.neu@demo-makler.de"
    mail = invitation(outbox, "nina.neu@demo-makler.de")
    assert "Demo Makler GmbH" in mail["text"] and "Ines Inhaber" in mail["text"]
    assert "/dashboard/" in mail["text"] and "<" not in mail["subject"]
    tokens = first_sign_in(http, "nina.neu@demo-makler.de", temporary_password(mail))
    me = http.get("/agency/me", token=tokens["id_token"]).json
    assert me["role"] == "agent" and me["name"] == "Nina Neu"
    listed = {u["email"]: u for u in http.get("/agency/users", token=bearer["assistant"]
                                                ).json["users"]}
    assert listed["nina.neu@demo-makler.de"]["status"] == "active"
    # The temporary password is spent: only the new one signs in.
    assert sign_in(http, "nina.neu@demo-makler.de", NEW_PASSWORD)["id_token"]


def test_an_address_with_an_account_anywhere_is_email_in_use(http: Any,
                                                            bearer: dict[str, str]) -> None:
    for email in ("inhaber@other-makler.de", "QA@freigabe.example", "makler@demo-makler.de"):
        reply = http.post("/agency/users", {"email": email, "name": "Doppelt", "role": "agent"},
                          token=bearer["owner"])
        assert reply.status == 409 and reply.json["error"]["code"] == "email_in_use", email
        assert "other" not in reply.json["error"]["message"].lower()


def test_role_changes_and_disables_apply_on_the_next_request(http: Any, bearer: dict[str, str],
                                                            people: dict[str, str]) -> None:
    agent = people["makler@demo-makler.de"]
    assert http.post("/agency/tours", {}, token=bearer["agent"]).status == 422
    demoted = http.request("PATCH", f"/agency/users/{agent}", json_body={"role": "assistant"},
                           token=bearer["owner"])
    assert demoted.status == 200 and demoted.json["role"] == "assistant"
    # The same token, the new role: 403 before any lookup.
    refused = http.post("/agency/tours", {}, token=bearer["agent"])
    assert refused.status == 403 and refused.json["error"]["code"] == "role_forbidden"
    disabled = http.request("PATCH", f"/agency/users/{agent}", json_body={"disabled": True},
                            token=bearer["owner"])
    assert disabled.status == 200 and disabled.json["status"] == "disabled"
    assert http.get("/agency/me", token=bearer["agent"]).status == 401
    wrong = http.post("/auth/sign-in", {"email": "makler@demo-makler.de",
                                        "password": "Freigabe-Demo-2026!"})
    assert wrong.status == 401 and wrong.json["error"]["code"] == "invalid_credentials"
    # A disabled person's assignments stay visible: the list still names them.
    [listed] = [u for u in http.get("/agency/users", token=bearer["owner"]).json["users"]
                if u["user_id"] == agent]
    assert listed["disabled"] is True


def test_the_last_enabled_owner_stays(http: Any, bearer: dict[str, str],
                                      people: dict[str, str]) -> None:
    owner = people["inhaber@demo-makler.de"]
    for change in ({"role": "agent"}, {"disabled": True}):
        reply = http.request("PATCH", f"/agency/users/{owner}", json_body=change,
                             token=bearer["owner"])
        assert reply.status == 409 and reply.json["error"]["code"] == "last_owner", change
    agent = people["makler@demo-makler.de"]
    promoted = http.request("PATCH", f"/agency/users/{agent}", json_body={"role": "owner"},
                            token=bearer["owner"])
    assert promoted.status == 200
    step_down = http.request("PATCH", f"/agency/users/{owner}", json_body={"role": "agent"},
                             token=bearer["owner"])
    assert step_down.status == 200 and step_down.json["role"] == "agent"
    # Another agency's person is 404 for demo's owner, whatever the body.
    other = people["inhaber@other-makler.de"]
    assert http.request("PATCH", f"/agency/users/{other}", json_body={"role": 7},
                        token=bearer["agent"]).status == 404


def test_api_keys_are_named_hashed_listed_and_revocable(http: Any, bearer: dict[str, str],
                                                       container: Any) -> None:
    created = http.post("/agency/api-keys", {"name": "CRM-Sync"}, token=bearer["owner"])
    assert created.status == 201, created.body
    key, key_id = created.json["key"], created.json["api_key_id"]
    assert key.startswith(created.json["prefix"].rstrip("…"))
    dump = json.dumps(all_items(container.settings.region), default=str)
    assert key not in dump and hashlib.sha256(key.encode()).hexdigest() in dump
    listed = http.get("/agency/api-keys", token=bearer["owner"]).json["api_keys"]
    names = {k["name"] for k in listed}
    assert {"CRM-Sync", "v1-Token (Demo)"} <= names and key not in json.dumps(listed)
    assert all("key" not in k for k in listed)
    [mine] = [k for k in listed if k["api_key_id"] == key_id]
    assert mine["created_by"]["kind"] == "user" and mine["created_by"]["name"] == "Ines Inhaber"
    # The key acts as owner except on users and keys.
    assert http.get("/agency/tours", token=key).status == 200
    assert http.get("/agency/api-keys", token=key).status == 403
    assert http.post("/agency/api-keys", {"name": "x"}, token=DEMO).status == 403
    assert http.request("DELETE", f"/agency/api-keys/{key_id}", token=bearer["owner"]
                        ).status == 200
    assert http.get("/agency/tours", token=key).status == 401
    assert http.request("DELETE", f"/agency/api-keys/{key_id}", token=bearer["owner"]
                        ).status == 404
    other_keys = http.get("/agency/api-keys", token=bearer["other_owner"]).json["api_keys"]
    [other_v1] = other_keys
    assert http.request("DELETE", f"/agency/api-keys/{other_v1['api_key_id']}",
                        token=bearer["owner"]).status == 404


def test_ops_creates_an_agency_with_its_first_owner(http: Any, container: Any,
                                                    outbox: Any) -> None:
    created = handle({"action": "create_agency", **owner_fields(1),
                      "agency": {"agency_id": "neu", "name": "Neu Immobilien",
                                 "contact_email": "kontakt@neu.example"}}, container)
    assert created["ok"] is True, created
    assert created["owner"]["role"] == "owner" and created["owner"]["status"] == "invited"
    mail = invitation(outbox, "inhaber1@owner.example")
    tokens = first_sign_in(http, "inhaber1@owner.example", temporary_password(mail))
    me = http.get("/agency/me", token=tokens["id_token"]).json
    assert me == {**me, "agency_id": "neu", "role": "owner"}
    assert http.get("/agency/profile", token=tokens["id_token"]).json["privacy_url"] == \
        "https://owner.example/datenschutz"
    taken = handle({"action": "create_agency", **owner_fields(1),
                    "agency": {"agency_id": "neu2", "name": "Zwei",
                               "contact_email": "k@zwei.example"}}, container)
    assert taken["ok"] is False and taken["error"]["code"] == "email_in_use"
    assert container.agency_repo.get_agency("neu2") is None  # nothing half-created
    no_https = handle({"action": "create_agency", **owner_fields(2), "privacy_url": "http://x.de",
                       "agency": {"name": "Drei", "contact_email": "k@drei.example"}}, container)
    assert no_https["ok"] is False and "privacy_url" in no_https["error"]["fields"]


def test_ops_invites_and_disables_qa_members(http: Any, container: Any, outbox: Any,
                                             bearer: dict[str, str]) -> None:
    invited = handle({"action": "invite_qa_member", "email": "pruefer@freigabe.example",
                      "name": "Petra Prüfer"}, container)
    assert invited["ok"] is True, invited
    mail = invitation(outbox, "pruefer@freigabe.example")
    assert "/qa-console/" in mail["text"]
    tokens = first_sign_in(http, "pruefer@freigabe.example", temporary_password(mail))
    me = http.get("/qa/me", token=tokens["id_token"])
    assert me.json == {"user_id": invited["user"]["user_id"], "name": "Petra Prüfer",
                       "email": "pruefer@freigabe.example"}
    assert http.get("/agency/me", token=tokens["id_token"]).status == 401  # not an agency's
    assert http.get("/qa/me", token=bearer["owner"]).status == 401
    disabled = handle({"action": "disable_qa_member", "email": "qa@freigabe.example"}, container)
    assert disabled["ok"] is True and disabled["disabled"] is True
    assert http.get("/qa/reviews", token=bearer["qa"]).status == 401
    unknown = handle({"action": "disable_qa_member", "email": "inhaber@demo-makler.de"},
                     container)
    assert unknown["ok"] is False and unknown["error"]["code"] == "not_found"
