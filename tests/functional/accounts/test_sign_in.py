"""Sign-in with the seeded people on moto's Cognito, token checks, sign-out."""

from __future__ import annotations

from typing import Any

import pytest

from devstack.environment import DEMO_PASSWORD
from tests.conftest import DEMO

pytestmark = pytest.mark.usefixtures("people")

OWNER = "inhaber@demo-makler.de"


def sign_in(http: Any, email: str, password: str = DEMO_PASSWORD) -> Any:
    return http.post("/auth/sign-in", {"email": email, "password": password})


def test_seeded_owner_signs_in_and_is_known(http: Any) -> None:
    reply = sign_in(http, OWNER)
    assert reply.status == 200, reply.body
    tokens = reply.json
    assert set(tokens) >= {"id_token", "access_token", "refresh_token", "expires_in"}
    for token in (tokens["id_token"], tokens["access_token"]):
        me = http.get("/agency/me", token=token)
        assert me.status == 200, me.body
        assert me.json["agency_id"] == "demo" and me.json["role"] == "owner"
        assert me.json["email"] == OWNER and me.json["name"] == "Ines Inhaber"


@pytest.mark.parametrize("email,password", [
    (OWNER, "falsch-Passwort-1!"), ("niemand@demo-makler.de", DEMO_PASSWORD)])
def test_wrong_credentials_are_one_401(http: Any, email: str, password: str) -> None:
    reply = sign_in(http, email, password)
    assert reply.status == 401
    assert reply.json["error"]["code"] == "invalid_credentials"


def test_api_key_me_and_sign_out_of_a_person(http: Any) -> None:
    me = http.get("/agency/me", token=DEMO)
    assert me.status == 200 and me.json["agency_id"] == "demo" and me.json["api_key_id"]
    tokens = sign_in(http, OWNER).json
    assert http.post("/auth/sign-out", token=tokens["id_token"]).status == 200
    assert http.get("/agency/me", token=tokens["id_token"]).status == 401
    assert http.get("/agency/me", token=tokens["access_token"]).status == 401
    refreshed = http.post("/auth/refresh", {"refresh_token": tokens["refresh_token"]})
    assert refreshed.status == 401
