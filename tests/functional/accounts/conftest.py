"""Signed-in people of the seeded world (the ``people`` fixture of tests/conftest.py)."""

from __future__ import annotations

from typing import Any

import pytest

from devstack.environment import DEMO_PASSWORD
from tests.conftest import DEMO, QA

EMAILS = {"owner": "inhaber@demo-makler.de", "agent": "makler@demo-makler.de",
          "assistant": "assistenz@demo-makler.de", "other_owner": "inhaber@other-makler.de",
          "qa": "qa@freigabe.example"}


def sign_in(http: Any, email: str, password: str = DEMO_PASSWORD) -> dict[str, Any]:
    reply = http.post("/auth/sign-in", {"email": email, "password": password})
    assert reply.status == 200, reply.body
    return reply.json


@pytest.fixture
def bearer(http: Any, people: dict[str, str]) -> dict[str, str]:
    """role → a bearer: the people's id tokens, the v1 API key and the QA token."""
    tokens = {role: sign_in(http, email)["id_token"] for role, email in EMAILS.items()}
    tokens["api_key"] = DEMO
    tokens["qa_token"] = QA
    return tokens
