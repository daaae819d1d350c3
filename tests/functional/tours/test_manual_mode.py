"""Manuelle Freigabe end to end through the HTTP surface: the request mail to the tour's
contact, approve/deny by mail link or by the agency API, and the first-decision-wins race."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.auth.actor import Actor
from chalicelib.errors import Conflict, Gone
from chalicelib.links.service import LinkService
from chalicelib.secrets_util import sha256_hex
from tests.conftest import DEMO, OTHER
from tests.support import links_of, mails_to, register, run_concurrently, thread_safe_gateway

CONTACT = ("Dana Demo", "Demo Makler GmbH", "+49 30 1234567", "dana@demo-makler.de")
# What this prospect gives beyond ``registration_payload`` (Eva Muster, eva@example.org).
PROSPECT = {"phone": "+49 171 5550123", "city": "Berlin",
            "message": "Wir suchen eine Wohnung für unsere Familie."}
TOUR_URL = "https://touren.example/altbau"
ENTRY = re.compile(r"https://touren\.example/altbau#freigabe=([A-Za-z0-9._-]+)")


# -- helpers ------------------------------------------------------------------------------

def stats(http: Any, tour_id: str) -> dict[str, int]:
    reply = http.get(f"/agency/tours/{tour_id}/stats", token=DEMO)
    assert reply.status == 200
    # The v1 counts (v2 adds the funnel and viewpoints beside them).
    return {k: v for k, v in reply.json.items() if k not in ("funnel", "viewpoints")}


def registration_status(http: Any, tour_id: str, registration_id: str) -> str:
    reply = http.get(f"/agency/tours/{tour_id}/registrations", token=DEMO)
    assert reply.status == 200
    [row] = [r for r in reply.json["registrations"] if r["registration_id"] == registration_id]
    return row["status"]


def access(http: Any, tour_id: str, viewer_token: str) -> str:
    reply = http.get(f"/tours/{tour_id}/access", headers={"X-Viewer-Token": viewer_token})
    assert reply.status == 200
    return reply.json["status"]


def decision_links(messages: list[dict[str, Any]]) -> tuple[str, str]:
    [request] = mails_to(messages, CONTACT[3])
    [approve] = links_of(request, "approve")
    [deny] = links_of(request, "deny")
    return approve, deny


def assert_contact_block(mail: dict[str, Any]) -> None:
    for part in ("text", "html"):
        for detail in CONTACT:
            assert detail in mail[part], (mail["subject"], part, detail)


def assert_gone(http: Any, link: str) -> None:
    for reply in (http.get(link), http.form_post(link)):
        assert reply.status == 410
        assert reply.headers["content-type"].startswith("text/html")
        assert "nicht mehr gültig" in reply.text


def stats_of(unlocked: int = 0, denied: int = 0, pending: int = 0) -> dict[str, int]:
    return {"registrations": unlocked + denied + pending, "unlocked": unlocked,
            "pending_email": 0, "pending_approval": pending, "denied": denied}


@pytest.fixture
def manual_tour(make_tour: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    return make_tour("manual")


# -- registration -------------------------------------------------------------------------

def test_registration_sends_waiting_mail_to_prospect_and_request_to_tour_contact(
        http, manual_tour, outbox):
    tour_id = manual_tour["tour_id"]
    body = register(http, tour_id, **PROSPECT)
    assert body["status"] == "pending_approval"
    assert access(http, tour_id, body["viewer_token"]) == "pending_approval"
    assert registration_status(http, tour_id, body["registration_id"]) == "pending_approval"
    assert stats(http, tour_id) == stats_of(pending=1)

    messages = outbox()
    assert len(messages) == 2
    [waiting] = mails_to(messages, "eva@example.org")
    [request] = mails_to(messages, "dana@demo-makler.de")
    # The request goes to the tour's contact, not to the agency's general address.
    assert not mails_to(messages, "kontakt@demo-makler.de")

    # The prospect learns that the agency decides, and gets no link of any kind.
    assert waiting["to"] == ["eva@example.org"]
    assert "prüft der Makler jede Anfrage persönlich" in waiting["text"]
    for part in (waiting["text"], waiting["html"]):
        assert "/links/" not in part and "freigabe.test" not in part
        assert "#freigabe=" not in part
    assert_contact_block(waiting)

    # The contact gets the prospect's data and the two decision links.
    assert request["to"] == ["dana@demo-makler.de"]
    for part in (request["text"], request["html"]):
        for value in ("Eva", "Muster", "eva@example.org", "+49 171 5550123", "Berlin",
                      "Wir suchen eine Wohnung für unsere Familie."):
            assert value in part
    assert_contact_block(request)
    [approve] = links_of(request, "approve")
    [deny] = links_of(request, "deny")
    assert approve != deny
    for path in (approve, deny):
        assert f"http://freigabe.test{path}" in request["html"]
    assert "Zugang gewähren" in request["html"] and "Zugang verweigern" in request["html"]

    for path, label, other in ((approve, "Zugang gewähren", "Zugang verweigern"),
                               (deny, "Zugang verweigern", "Zugang gewähren")):
        page = http.get(path)
        assert page.status == 200
        assert page.headers["cache-control"] == "no-store"
        assert page.headers["referrer-policy"] == "no-referrer"
        forms = re.findall(r'<form method="post".*?</form>', page.text, re.S)
        assert len(forms) == 1
        assert re.search(rf"<button[^>]*>{label}</button>", forms[0])
        assert other not in forms[0]
        assert "Eva Muster" in page.text and "eva@example.org" in page.text

    # Looking at the pages decided nothing.
    assert registration_status(http, tour_id, body["registration_id"]) == "pending_approval"
    assert len(outbox()) == 2


# -- decisions by mail link ---------------------------------------------------------------

def test_approve_link_unlocks_and_mails_the_way_in(http, manual_tour, outbox):
    tour_id = manual_tour["tour_id"]
    body = register(http, tour_id, **PROSPECT)
    approve, deny = decision_links(outbox())

    done = http.form_post(approve)
    assert done.status == 200
    assert done.headers["content-type"].startswith("text/html")
    assert "location" not in done.headers
    assert "Zugang gewährt" in done.text
    assert done.headers["cache-control"] == "no-store"
    assert done.headers["referrer-policy"] == "no-referrer"

    assert registration_status(http, tour_id, body["registration_id"]) == "unlocked"
    assert stats(http, tour_id) == stats_of(unlocked=1)
    assert access(http, tour_id, body["viewer_token"]) == "unlocked"

    messages = outbox()
    assert len(messages) == 3
    granted = messages[-1]
    assert granted["to"] == ["eva@example.org"]
    assert_contact_block(granted)
    [entry_token] = set(ENTRY.findall(granted["text"]))
    assert f"{TOUR_URL}#freigabe={entry_token}" in granted["html"]
    assert entry_token != body["viewer_token"]
    assert access(http, tour_id, entry_token) == "unlocked"

    assert_gone(http, deny)
    assert_gone(http, approve)
    # Nothing above changed the outcome or sent another mail.
    assert registration_status(http, tour_id, body["registration_id"]) == "unlocked"
    assert stats(http, tour_id) == stats_of(unlocked=1)
    assert len(outbox()) == 3


def test_deny_link_denies_politely_and_retires_approve_link(http, manual_tour, outbox):
    tour_id = manual_tour["tour_id"]
    body = register(http, tour_id, **PROSPECT)
    approve, deny = decision_links(outbox())

    done = http.form_post(deny)
    assert done.status == 200
    assert "Zugang verweigert" in done.text

    assert registration_status(http, tour_id, body["registration_id"]) == "denied"
    assert access(http, tour_id, body["viewer_token"]) == "denied"
    assert stats(http, tour_id) == stats_of(denied=1)

    messages = outbox()
    assert len(messages) == 3
    refusal = messages[-1]
    assert refusal["to"] == ["eva@example.org"]
    assert "Leider können wir Ihnen den Zugang" in refusal["text"]
    assert "keine Bewertung Ihrer Person" in refusal["text"]
    # v2 (issue 19): the address was never proved, so the refusal greets without the typed name.
    assert "Guten Tag," in refusal["text"]
    for part in (refusal["text"], refusal["html"]):
        assert "Eva" not in part and "Muster" not in part
        assert "#freigabe=" not in part and "/links/" not in part
    assert_contact_block(refusal)

    assert_gone(http, approve)
    assert_gone(http, deny)
    assert registration_status(http, tour_id, body["registration_id"]) == "denied"
    assert access(http, tour_id, body["viewer_token"]) == "denied"
    assert len(outbox()) == 3


# -- decisions by API ---------------------------------------------------------------------

def test_api_approve_has_the_link_effects_and_decides_once(http, manual_tour, outbox):
    tour_id = manual_tour["tour_id"]
    body = register(http, tour_id, **PROSPECT)
    registration_id = body["registration_id"]
    approve, deny = decision_links(outbox())

    reply = http.post(f"/agency/registrations/{registration_id}/approve", token=DEMO)
    assert reply.status == 200
    assert reply.json["registration_id"] == registration_id
    assert reply.json["status"] == "unlocked"

    assert registration_status(http, tour_id, registration_id) == "unlocked"
    assert stats(http, tour_id) == stats_of(unlocked=1)
    assert access(http, tour_id, body["viewer_token"]) == "unlocked"
    messages = outbox()
    assert len(messages) == 3
    granted = messages[-1]
    assert granted["to"] == ["eva@example.org"]
    assert_contact_block(granted)
    [entry_token] = set(ENTRY.findall(granted["text"]))
    assert access(http, tour_id, entry_token) == "unlocked"

    for action in ("approve", "deny"):
        again = http.post(f"/agency/registrations/{registration_id}/{action}", token=DEMO)
        assert again.status == 409
        assert again.json["error"]["code"] == "already_decided"
        assert again.json["error"]["message"]

    assert_gone(http, approve)
    assert_gone(http, deny)
    assert registration_status(http, tour_id, registration_id) == "unlocked"
    assert stats(http, tour_id) == stats_of(unlocked=1)
    assert len(outbox()) == 3


def test_api_deny_has_the_link_effects_and_decides_once(http, manual_tour, outbox):
    tour_id = manual_tour["tour_id"]
    body = register(http, tour_id, **PROSPECT)
    registration_id = body["registration_id"]
    approve, deny = decision_links(outbox())

    reply = http.post(f"/agency/registrations/{registration_id}/deny", token=DEMO)
    assert reply.status == 200
    assert reply.json["status"] == "denied"

    assert registration_status(http, tour_id, registration_id) == "denied"
    assert access(http, tour_id, body["viewer_token"]) == "denied"
    assert stats(http, tour_id) == stats_of(denied=1)
    messages = outbox()
    assert len(messages) == 3
    assert messages[-1]["to"] == ["eva@example.org"]
    assert "Leider" in messages[-1]["text"]
    assert_contact_block(messages[-1])

    for action in ("deny", "approve"):
        again = http.post(f"/agency/registrations/{registration_id}/{action}", token=DEMO)
        assert again.status == 409
        assert again.json["error"]["code"] == "already_decided"

    assert_gone(http, approve)
    assert_gone(http, deny)
    assert stats(http, tour_id) == stats_of(denied=1)
    assert len(outbox()) == 3


def test_api_can_decide_after_the_mail_links_were_removed_by_ttl(
        http, container, clock, manual_tour, outbox):
    """Link items carry a TTL; DynamoDB deletes them some time after expiry (moto never
    does, so the test deletes them as the TTL sweeper would). A request nobody answered by
    mail must still be decidable through the API then, not answer 409 "already decided"."""
    tour_id = manual_tour["tour_id"]
    body = register(http, tour_id, **PROSPECT)
    approve, deny = decision_links(outbox())
    clock.advance(days=120)
    now = int(clock.now().timestamp())
    for path in (approve, deny):
        key = LinkService.key(sha256_hex(path.rsplit("/", 1)[1]))
        link = container.core_table.get(*key)
        assert link["expires_ttl"] < now  # due for DynamoDB's TTL deletion
        container.core_table.delete(*key)

    reply = http.post(f"/agency/registrations/{body['registration_id']}/approve", token=DEMO)
    assert reply.status == 200, reply.body
    assert reply.json["status"] == "unlocked"
    assert access(http, tour_id, body["viewer_token"]) == "unlocked"
    assert stats(http, tour_id) == stats_of(unlocked=1)
    assert len(outbox()) == 3
    # The links stay unknown; the decision did not bring them back.
    for path in (approve, deny):
        assert http.get(path).status == 404
        assert container.core_table.get(*LinkService.key(sha256_hex(path.rsplit("/", 1)[1]))) is None


def test_api_decision_after_link_decision_is_409(http, manual_tour, outbox):
    tour_id = manual_tour["tour_id"]
    registration_id = register(http, tour_id, **PROSPECT)["registration_id"]
    approve, _deny = decision_links(outbox())
    assert http.form_post(approve).status == 200

    for action in ("approve", "deny"):
        reply = http.post(f"/agency/registrations/{registration_id}/{action}", token=DEMO)
        assert reply.status == 409
    assert stats(http, tour_id) == stats_of(unlocked=1)
    assert len(outbox()) == 3


def test_api_cannot_decide_an_email_mode_registration(http, make_tour, outbox):
    tour = make_tour("email")
    body = register(http, tour["tour_id"], **PROSPECT)
    assert body["status"] == "pending_email"
    for action in ("approve", "deny"):
        reply = http.post(f"/agency/registrations/{body['registration_id']}/{action}", token=DEMO)
        assert reply.status == 409
        assert reply.json["error"]["code"] == "already_decided"
    assert registration_status(http, tour["tour_id"], body["registration_id"]) == "pending_email"
    assert stats(http, tour["tour_id"]) == {"registrations": 1, "unlocked": 0, "pending_email": 1,
                                            "pending_approval": 0, "denied": 0}
    assert len(outbox()) == 1  # only the unlock mail


def test_api_decision_needs_the_owning_agency(http, manual_tour, outbox):
    tour_id = manual_tour["tour_id"]
    registration_id = register(http, tour_id, **PROSPECT)["registration_id"]
    for action in ("approve", "deny"):
        path = f"/agency/registrations/{registration_id}/{action}"
        assert http.post(path, token=OTHER).status == 404
        assert http.post(path).status == 401
        assert http.post(path, token="no-such-token").status == 401
        assert http.post(f"/agency/registrations/{'a' * 26}/{action}", token=DEMO).status == 404
    assert registration_status(http, tour_id, registration_id) == "pending_approval"
    assert stats(http, tour_id) == stats_of(pending=1)
    assert len(outbox()) == 2


# -- the race -----------------------------------------------------------------------------
#
# ``chalice.test.Client`` is not thread-safe: the app keeps ``current_request`` in a plain
# attribute (a concurrent request can read another thread's request), and the client swaps
# the process-wide ``os.environ`` around each call. ``chalice local`` makes
# ``current_request`` thread-local by turning the app into a ``LocalChalice``; the HTTP race
# below does the same and drives chalice's ``LocalGateway`` (the local server's dispatcher)
# from each thread. The service race calls the services directly. Calls into moto are
# serialised by the lock that ``devstack.environment.serialize_moto_calls`` installs (started
# by the ``aws`` fixture), so the conditional writes behave atomically as on DynamoDB.

THREADS_PER_KIND = 2  # x 4 kinds = 8 threads per registration
ROUNDS = 3


def assert_single_outcome(http: Any, outbox: Any, tour_id: str, registration_id: str,
                          winner: str, mails_before: int, prospect: str) -> None:
    status = "unlocked" if winner == "approve" else "denied"
    assert registration_status(http, tour_id, registration_id) == status
    decision_mails = outbox()[mails_before:]
    assert len(decision_mails) == 1
    [mail] = decision_mails
    assert mail["to"] == [prospect]
    if winner == "approve":
        assert ENTRY.search(mail["text"])
    else:
        assert "Leider" in mail["text"] and not ENTRY.search(mail["text"])


def test_concurrent_links_and_api_calls_over_http_have_one_winner(http, manual_tour, outbox):
    tour_id = manual_tour["tour_id"]
    winners: Counter[str] = Counter()
    with thread_safe_gateway() as gateway:
        for round_no in range(ROUNDS):
            registration_id = register(http, tour_id, **PROSPECT,
                                       email=f"eva{round_no}@example.org")["registration_id"]
            messages = outbox()
            [request] = mails_to(messages, "dana@demo-makler.de")[-1:]
            [approve] = links_of(request, "approve")
            [deny] = links_of(request, "deny")
            form = {"Content-Type": "application/x-www-form-urlencoded"}
            api = {"Content-Type": "application/json", "Authorization": f"Bearer {DEMO}"}
            requests = [
                *[("link", "approve", "POST", approve, form)] * THREADS_PER_KIND,
                *[("link", "deny", "POST", deny, form)] * THREADS_PER_KIND,
                *[("api", "approve", "POST", f"/agency/registrations/{registration_id}/approve",
                   api)] * THREADS_PER_KIND,
                *[("api", "deny", "POST", f"/agency/registrations/{registration_id}/deny",
                   api)] * THREADS_PER_KIND,
            ]

            def call(method: str, path: str, headers: dict[str, str]) -> int:
                body = b"confirm=1" if "x-www-form" in headers["Content-Type"] else b""
                return gateway.handle_request(method=method, path=path, headers=dict(headers),
                                              body=body)["statusCode"]

            results = run_concurrently(
                [lambda r=r: call(r[2], r[3], r[4]) for r in requests])
            assert not [r for r in results if isinstance(r, BaseException)], results
            won = [req for req, code in zip(requests, results, strict=True) if code == 200]
            assert len(won) == 1, list(zip(requests, results, strict=True))
            for req, code in zip(requests, results, strict=True):
                if code == 200:
                    continue
                assert code == (410 if req[0] == "link" else 409), (req, code)
            winner = won[0][1]
            winners[f"{won[0][0]}:{winner}"] += 1
            assert_single_outcome(http, outbox, tour_id, registration_id, winner,
                                  len(messages), f"eva{round_no}@example.org")
            assert_gone(http, approve)
            assert_gone(http, deny)

    unlocked = sum(n for k, n in winners.items() if k.endswith("approve"))
    assert stats(http, tour_id) == stats_of(unlocked=unlocked, denied=ROUNDS - unlocked)
    assert len(outbox()) == 3 * ROUNDS


def test_concurrent_decisions_through_the_services_have_one_winner(
        http, container, manual_tour, outbox):
    tour_id = manual_tour["tour_id"]
    unlocked = 0
    for round_no in range(ROUNDS):
        registration_id = register(http, tour_id, **PROSPECT,
                                   email=f"eva{round_no}@example.org")["registration_id"]
        messages = outbox()
        [request] = mails_to(messages, "dana@demo-makler.de")[-1:]
        approve_token = links_of(request, "approve")[0].rsplit("/", 1)[1]
        deny_token = links_of(request, "deny")[0].rsplit("/", 1)[1]
        kinds = [("link", "approve"), ("link", "deny"), ("api", "approve"),
                 ("api", "deny")] * THREADS_PER_KIND

        tokens = {"approve": approve_token, "deny": deny_token}

        def act(kind: str, decision: str, registration_id: str = registration_id,
                tokens: dict[str, str] = tokens) -> str:
            if kind == "link":
                container.links.perform(decision, tokens[decision])
            else:
                container.tours.decide("demo", registration_id, decision,
                                       Actor("api_key", "race", "Test"))
            return "ok"

        results = run_concurrently([lambda k=k: act(*k) for k in kinds])
        won = [k for k, r in zip(kinds, results, strict=True) if r == "ok"]
        assert len(won) == 1, list(zip(kinds, results, strict=True))
        for kind, result in zip(kinds, results, strict=True):
            if result == "ok":
                continue
            expected = Gone if kind[0] == "link" else Conflict
            assert isinstance(result, expected), (kind, result)  # LinkGone is a Gone
        winner = won[0][1]
        unlocked += winner == "approve"
        assert_single_outcome(http, outbox, tour_id, registration_id, winner, len(messages),
                              f"eva{round_no}@example.org")

    assert stats(http, tour_id) == stats_of(unlocked=unlocked, denied=ROUNDS - unlocked)
    assert len(outbox()) == 3 * ROUNDS
