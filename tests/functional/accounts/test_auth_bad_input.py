"""Garbage on the /auth routes: a 4xx of the contract, never a 500, and nothing changes."""

from __future__ import annotations

import base64
from typing import Any

import pytest

pytestmark = pytest.mark.usefixtures("people")


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize("path,body", [
    ("/auth/sign-in", {"email": "kein-mail", "password": "x"}),
    ("/auth/sign-in", {"email": "a@b.de"}),
    ("/auth/sign-in", {"email": "a@b.de", "password": 5}),
    ("/auth/sign-in", {"email": "a@b.de", "password": "x", "extra": 1}),
    ("/auth/challenge", {"session": "kein-punkt", "new_password": "Gutes-Passwort-2026!"}),
    ("/auth/challenge", {"session": b64("inhaber@demo-makler.de") + ".erfunden",
                         "new_password": "Gutes-Passwort-2026!"}),
    ("/auth/challenge", {"session": "%%%.x", "new_password": "Gutes-Passwort-2026!"}),
    ("/auth/challenge", {"session": b64("inhaber@demo-makler.de") + "." + "x" * 40,
                         "new_password": "Gutes-Passwort-2026!"}),
    ("/auth/refresh", {"refresh_token": "y" * 5000}),
    ("/auth/refresh", {"refresh_token": "erfunden"}),
    ("/auth/refresh", {"refresh_token": ""}),
    ("/auth/forgot-password", {"email": "kein-mail"}),
    ("/auth/reset-password", {"email": "niemand@example.org", "code": "123456",
                              "new_password": "Gutes-Passwort-2026!"}),
    ("/auth/reset-password", {"email": "inhaber@demo-makler.de", "code": "123456",
                              "new_password": "Gutes-Passwort-2026!"}),
])
def test_bad_auth_input_is_a_clear_4xx(http: Any, path: str, body: Any) -> None:
    reply = http.post(path, body)
    assert 400 <= reply.status < 500, (path, body, reply.status, reply.body)
    assert set(reply.json) == {"error"}


@pytest.mark.parametrize("raw", [b"", b"[]", b"{", "{\"email\": \"\u00e4\"}".encode()])
def test_malformed_bodies(http: Any, raw: bytes) -> None:
    for path in ("/auth/sign-in", "/auth/challenge", "/auth/refresh", "/auth/forgot-password",
                 "/auth/reset-password"):
        reply = http.request("POST", path, body=raw)
        assert reply.status in (400, 422), (path, raw, reply.status, reply.body)


def test_garbage_bearers_are_401(http: Any) -> None:
    for token in ("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "eyJ.eyJ.eyJ", "eyJ" + "a" * 9000 + ".b.c",
                  "eyJhbGciOiJSUzI1NiIsImtpZCI6ImR1bW15In0.e30.AAAA"):
        assert http.get("/agency/me", token=token).status == 401, token
        assert http.post("/auth/sign-out", token=token).status == 401, token
