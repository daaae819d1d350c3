"""Forgotten passwords with the product's own codes (one hour, five tries) and the
brute-force limits per IP and per account."""

from __future__ import annotations

import re
from typing import Any

import pytest
from chalice.local import LambdaEventConverter

from devstack.environment import DEMO_PASSWORD
from tests.functional.accounts.conftest import sign_in

pytestmark = pytest.mark.usefixtures("people")
OWNER = "inhaber@demo-makler.de"
NEW = "Ganz-Neues-Passwort-7?"


def reset_code(outbox: Any, email: str) -> str:
    mails = [m for m in outbox() if m["to"] == [email] and "Code" in m["subject"]]
    assert mails, "no reset mail"
    assert "eine Stunde" in mails[-1]["text"] and "fünf" in mails[-1]["text"]
    return re.search(r"\b(\d{6})\b", mails[-1]["text"]).group(1)


def forgot(http: Any, email: str) -> Any:
    reply = http.post("/auth/forgot-password", {"email": email})
    assert reply.status == 202 and reply.json == {"status": "accepted"}
    return reply


def test_reset_with_the_mailed_code_ends_old_sessions(http: Any, outbox: Any) -> None:
    old = sign_in(http, OWNER)
    forgot(http, OWNER)
    forgot(http, "niemand@demo-makler.de")  # the same answer, no mail
    assert not [m for m in outbox() if m["to"] == ["niemand@demo-makler.de"]]
    code = reset_code(outbox, OWNER)
    wrong = http.post("/auth/reset-password", {"email": OWNER, "code": "000000" if code != "000000"
                                               else "111111", "new_password": NEW})
    assert wrong.status == 422 and "code" in wrong.json["error"]["fields"]
    weak = http.post("/auth/reset-password", {"email": OWNER, "code": code, "new_password": "abc"})
    assert weak.status == 422 and "new_password" in weak.json["error"]["fields"]
    done = http.post("/auth/reset-password", {"email": OWNER, "code": code, "new_password": NEW})
    assert done.status == 200, done.body
    assert http.get("/agency/me", token=old["id_token"]).status == 401
    assert http.post("/auth/sign-in", {"email": OWNER, "password": DEMO_PASSWORD}).status == 401
    assert sign_in(http, OWNER, NEW)["id_token"]
    again = http.post("/auth/reset-password", {"email": OWNER, "code": code, "new_password": NEW})
    assert again.status == 422  # spent


def test_a_code_allows_five_tries_and_one_hour(http: Any, outbox: Any, clock: Any) -> None:
    forgot(http, OWNER)
    code = reset_code(outbox, OWNER)
    wrong = "123456" if code != "123456" else "654321"
    for _ in range(5):
        assert http.post("/auth/reset-password", {"email": OWNER, "code": wrong,
                                                  "new_password": NEW}).status == 422
    sixth = http.post("/auth/reset-password", {"email": OWNER, "code": code, "new_password": NEW})
    assert sixth.status == 422  # the right code, too late
    forgot(http, OWNER)
    fresh = reset_code(outbox, OWNER)
    clock.advance(minutes=61)
    expired = http.post("/auth/reset-password", {"email": OWNER, "code": fresh,
                                                 "new_password": NEW})
    assert expired.status == 422 and "code" in expired.json["error"]["fields"]


def test_too_many_failed_sign_ins_per_account_answer_429(http: Any, clock: Any) -> None:
    for _ in range(5):
        reply = http.post("/auth/sign-in", {"email": OWNER, "password": "Falsch-Passwort-1!"})
        assert reply.status == 401
    locked = http.post("/auth/sign-in", {"email": OWNER, "password": DEMO_PASSWORD})
    assert locked.status == 429 and int(locked.headers["retry-after"]) > 0
    # Other accounts are not locked by it; the window ends.
    assert sign_in(http, "makler@demo-makler.de")["id_token"]
    clock.advance(minutes=16)
    assert sign_in(http, OWNER)["id_token"]


def test_too_many_attempts_per_ip_answer_429(http: Any, clock: Any, monkeypatch: Any) -> None:
    # The test client's requests come from 127.0.0.1, which identifies nobody (never
    # limited, like the local stack); a public address is. Distinct accounts keep the
    # account limit out of it.
    assert [http.post("/auth/sign-in", {"email": f"y{i}@example.org", "password": "p"}).status
            for i in range(61)] == [401] * 61
    monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", "81.2.69.160")
    answers = [http.post("/auth/sign-in", {"email": f"x{i}@example.org", "password": "p"}
                         ).status for i in range(61)]
    assert answers[:60] == [401] * 60
    assert answers[60] == 429
    refused = http.post("/auth/sign-in", {"email": OWNER, "password": DEMO_PASSWORD})
    assert refused.status == 429 and refused.json["error"]["code"] == "rate_limited"
    clock.advance(minutes=15)
    assert sign_in(http, OWNER)["id_token"]
