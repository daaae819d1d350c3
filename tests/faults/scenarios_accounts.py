"""Scenarios of the accounts: signing in (Cognito checks passwords, the product keeps its
own record and attempt counters in DynamoDB), the agency's people and API keys, and the
webhooks."""

from __future__ import annotations

import re
from typing import Any

import pytest
from chalice.local import LambdaEventConverter

from tests.conftest import DEMO
from tests.faults.scenarios_base import OWNER_EMAIL, Act, Scenario, World, call, owner

# The test client's requests come from 127.0.0.1, which the per-IP limits do not count;
# from a public address a sign-in counts an attempt (a DynamoDB write of its own).
PUBLIC_IP = "81.2.69.160"
NEW_PERSON = {"email": "nora@demo-makler.de", "name": "Nora Neu", "role": "agent"}
NEW_PASSWORD = "Ganz-Neues-Passwort-7?"


def _from_public_ip(act: Act) -> Act:
    def run() -> Any:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", PUBLIC_IP)
            return act()
    return run


# -- signing in ---------------------------------------------------------------------------------

def sign_in(w: World) -> Act:
    from devstack.environment import DEMO_PASSWORD

    return _from_public_ip(call(w, "POST", "/auth/sign-in",
                                {"email": OWNER_EMAIL, "password": DEMO_PASSWORD}, token=None))


def _invited(w: World) -> str:
    """A person the owner invited; answers the user id (the invitation mail is out)."""
    return w.ok(w.http.post("/agency/users", NEW_PERSON, token=owner(w)), 201)["user_id"]


def new_password_challenge(w: World) -> Act:
    """An invited person's first sign-in: Cognito asks for a new password; answering it
    makes the product's record ``active``.

    Cognito spends the session when it takes the new password, before the product writes:
    a 503 after that cannot be answered by the same challenge again (422, the session is
    gone). The client then does what that answer says, signs in with the new password,
    and the product's record follows there. So the repeat below is the challenge while
    its session lives, else that sign-in."""
    _invited(w)
    mail = next(m for m in reversed(w.outbox()) if m["to"] == [NEW_PERSON["email"]])
    temporary = re.search(r"Vorläufiges Passwort:\s+(\S+)", mail["text"]).group(1)
    challenge = w.ok(w.http.post("/auth/sign-in", {"email": NEW_PERSON["email"],
                                                   "password": temporary}))
    # From loopback: a repeat from a public address would count as one more attempt.
    answer = call(w, "POST", "/auth/challenge", {"session": challenge["session"],
                                                 "new_password": NEW_PASSWORD}, token=None)
    sign_in_again = call(w, "POST", "/auth/sign-in", {"email": NEW_PERSON["email"],
                                                      "password": NEW_PASSWORD}, token=None)

    def act() -> Any:
        reply = answer()
        if reply.status == 422 and "session" in reply.json["error"].get("fields", {}):
            return sign_in_again()
        return reply
    return act


def refresh(w: World) -> Act:
    from devstack.environment import DEMO_PASSWORD

    tokens = w.ok(w.http.post("/auth/sign-in", {"email": OWNER_EMAIL,
                                                "password": DEMO_PASSWORD}))
    return _from_public_ip(call(w, "POST", "/auth/refresh",
                                {"refresh_token": tokens["refresh_token"]}, token=None))


def sign_out(w: World) -> Act:
    return call(w, "POST", "/auth/sign-out", token=owner(w))


def forgot_password(w: World) -> Act:
    return call(w, "POST", "/auth/forgot-password", {"email": OWNER_EMAIL}, token=None)


def reset_password(w: World) -> Act:
    w.ok(w.http.post("/auth/forgot-password", {"email": OWNER_EMAIL}), 202)
    mail = next(m for m in reversed(w.outbox()) if m["to"] == [OWNER_EMAIL])
    code = re.search(r"\b(\d{6})\b", mail["text"]).group(1)
    return call(w, "POST", "/auth/reset-password",
                {"email": OWNER_EMAIL, "code": code, "new_password": NEW_PASSWORD}, token=None)


# -- the agency's people ----------------------------------------------------------------------

def invite_person(w: World) -> Act:
    return call(w, "POST", "/agency/users", NEW_PERSON, token=owner(w))


def resend_invitation(w: World) -> Act:
    user_id = _invited(w)
    return call(w, "POST", f"/agency/users/{user_id}/resend-invitation", token=owner(w))


def disable_person(w: World) -> Act:
    bearer = owner(w)
    people = w.ok(w.http.get("/agency/users", token=bearer))["users"]
    [agent] = [p for p in people if p["email"] == "makler@demo-makler.de"]
    return call(w, "PATCH", f"/agency/users/{agent['user_id']}", {"disabled": True},
                token=bearer)


# -- API keys ----------------------------------------------------------------------------------------

def create_api_key(w: World) -> Act:
    return call(w, "POST", "/agency/api-keys", {"name": "CRM-Sync"}, token=owner(w))


def delete_api_key(w: World) -> Act:
    bearer = owner(w)
    key = w.ok(w.http.post("/agency/api-keys", {"name": "CRM-Sync"}, token=bearer), 201)
    return call(w, "DELETE", f"/agency/api-keys/{key['api_key_id']}", token=bearer)


# A receiver nobody listens on: every attempt fails (connection refused).
DEAD_RECEIVER = "http://127.0.0.1:9/hook"


def _webhook(w: World) -> str:
    return w.ok(w.http.post("/agency/webhooks", {"url": DEAD_RECEIVER,
                                                 "events": ["address.deleted"]}, token=DEMO),
                201)["webhook_id"]


def create_webhook(w: World) -> Act:
    return call(w, "POST", "/agency/webhooks",
                 {"url": DEAD_RECEIVER, "events": ["registration.created", "address.deleted"]})


def delete_webhook(w: World) -> Act:
    return call(w, "DELETE", f"/agency/webhooks/{_webhook(w)}")


def rotate_webhook_secret(w: World) -> Act:
    return call(w, "POST", f"/agency/webhooks/{_webhook(w)}/rotate-secret")


def ping_webhook(w: World) -> Act:
    return call(w, "POST", f"/agency/webhooks/{_webhook(w)}/ping")


def retry_delivery(w: World) -> Act:
    """A ping that failed every attempt of its schedule (the job on a moving clock)."""
    webhook_id = _webhook(w)
    delivery_id = w.ok(w.http.post(f"/agency/webhooks/{webhook_id}/ping", token=DEMO),
                       202)["delivery_id"]
    for _ in range(12):
        w.clock.advance(hours=13)
        w.ok(w.http.post("/dev/jobs/webhook-retry", {}))
    [record] = w.ok(w.http.get(f"/agency/webhooks/{webhook_id}/deliveries",
                               token=DEMO))["deliveries"]
    assert record["status"] == "failed", record
    return call(w, "POST", f"/agency/webhooks/{webhook_id}/deliveries/{delivery_id}/retry")


SCENARIOS = [
    Scenario("sign in", "POST", "/auth/sign-in", sign_in, repeatable=True),
    Scenario("new password challenge", "POST", "/auth/challenge", new_password_challenge),
    Scenario("refresh", "POST", "/auth/refresh", refresh, repeatable=True),
    Scenario("sign out", "POST", "/auth/sign-out", sign_out),
    Scenario("forgot password", "POST", "/auth/forgot-password", forgot_password, 202,
             repeatable=True),
    Scenario("reset password", "POST", "/auth/reset-password", reset_password),
    Scenario("invite person", "POST", "/agency/users", invite_person, 201),
    Scenario("resend invitation", "POST", "/agency/users/{user_id}/resend-invitation",
             resend_invitation, 202, repeatable=True),
    Scenario("disable person", "PATCH", "/agency/users/{user_id}", disable_person),
    Scenario("create API key", "POST", "/agency/api-keys", create_api_key, 201,
             repeatable=True),
    Scenario("delete API key", "DELETE", "/agency/api-keys/{api_key_id}", delete_api_key),
    Scenario("create webhook", "POST", "/agency/webhooks", create_webhook, 201,
             repeatable=True),
    Scenario("delete webhook", "DELETE", "/agency/webhooks/{webhook_id}", delete_webhook),
    Scenario("rotate webhook secret", "POST", "/agency/webhooks/{webhook_id}/rotate-secret",
             rotate_webhook_secret, repeatable=True),
    Scenario("ping webhook", "POST", "/agency/webhooks/{webhook_id}/ping", ping_webhook, 202,
             repeatable=True),
    Scenario("retry delivery", "POST",
             "/agency/webhooks/{webhook_id}/deliveries/{delivery_id}/retry", retry_delivery,
             202),
]
