"""The rules every mail action link follows (contract "Mail action links"), for each of
the tour purposes: unlock (E-Mail-Freigabe), approve and deny (manuelle Freigabe)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from chalicelib.links.service import LinkService
from chalicelib.secrets_util import sha256_hex
from tests.conftest import DEMO, registration_payload
from tests.support import links_of

PURPOSES = ("unlock", "approve", "deny")
# What a successful POST answers: unlock leads into the tour, the decisions show a page.
POST_STATUS = {"unlock": 303, "approve": 200, "deny": 200}
STATUS_AFTER = {"unlock": "unlocked", "approve": "unlocked", "deny": "denied"}
PAGE_HEADERS = {"cache-control": "no-store", "referrer-policy": "no-referrer"}
WELL_FORMED_UNKNOWN = "A" * 32


@dataclass
class Flow:
    """One registration and the links its mails carry."""

    tour_id: str
    registration_id: str
    viewer_token: str
    links: dict[str, str]  # purpose -> path

    def token(self, purpose: str) -> str:
        return self.links[purpose].rsplit("/", 1)[1]


@pytest.fixture
def flows(http, make_tour, outbox) -> Callable[..., Flow]:
    tours: dict[str, str] = {}
    counter = iter(range(1000))

    def make(mode: str) -> Flow:
        if mode not in tours:
            tours[mode] = make_tour(mode)["tour_id"]
        tour_id = tours[mode]
        before = len(outbox())
        reply = http.post(f"/tours/{tour_id}/registrations",
                          registration_payload(email=f"p{next(counter)}@example.org"))
        assert reply.status == 202, reply.body
        links: dict[str, str] = {}
        for mail in outbox()[before:]:
            for purpose in PURPOSES:
                found = links_of(mail, purpose)
                if found:
                    [links[purpose]] = found
        assert set(links) == ({"unlock"} if mode == "email" else {"approve", "deny"})
        body = reply.json
        return Flow(tour_id, body["registration_id"], body["viewer_token"], links)

    return make


@pytest.fixture
def flow_for(flows) -> Callable[[str], Flow]:
    return lambda purpose: flows("email" if purpose == "unlock" else "manual")


@pytest.fixture
def state(http, container, outbox) -> Callable[[Flow], dict[str, Any]]:
    """Everything a link could change: the registration, the tour's counters, the mails
    sent, and the stored link items themselves."""

    def snapshot(flow: Flow) -> dict[str, Any]:
        stats = http.get(f"/agency/tours/{flow.tour_id}/stats", token=DEMO)
        assert stats.status == 200
        return {
            "registration": container.tours.repo.get_registration(flow.registration_id),
            "stats": stats.json,
            "mails": len(outbox()),
            "links": {purpose: container.core_table.get(
                *LinkService.key(sha256_hex(flow.token(purpose)))) for purpose in flow.links},
        }

    return snapshot


def raw_post(http, path: str, content_type: str | None, body: bytes) -> Any:
    """A POST exactly as given: no default JSON content type added."""
    headers = {"Content-Type": content_type} if content_type else {}
    return http.client.http.request("POST", path, headers=headers, body=body)


def assert_page(reply: Any, status: int) -> None:
    assert reply.status == status
    assert reply.headers["content-type"].startswith("text/html")
    for name, value in PAGE_HEADERS.items():
        assert reply.headers[name] == value, name


def assert_gone_page(reply: Any, *, offer: bool = False) -> None:
    """A 410 page; ``offer``: a used unlock link's page offers "Neuen Zugangslink senden"
    (contract v2), a form posting to …/resend — no other form."""
    assert_page(reply, 410)
    assert '<html lang="de">' in reply.text
    assert "Dieser Link ist nicht mehr gültig" in reply.text
    if offer:
        assert reply.text.count("<form") == 1 and "/resend\"" in reply.text
        assert "Neuen Zugangslink senden" in reply.text
    else:
        assert "<form" not in reply.text


def registration_status(http, flow: Flow) -> str:
    reply = http.get(f"/agency/tours/{flow.tour_id}/registrations", token=DEMO)
    [row] = [r for r in reply.json["registrations"]
             if r["registration_id"] == flow.registration_id]
    return row["status"]


# -- GET and HEAD never change state --------------------------------------------------------

@pytest.mark.parametrize("purpose", PURPOSES)
def test_get_and_head_change_nothing(http, flow_for, state, purpose):
    flow = flow_for(purpose)
    link = flow.links[purpose]
    before = state(flow)
    assert before["links"][purpose]["status"] == "active"

    for _ in range(3):
        page = http.get(link)
        assert_page(page, 200)
        assert '<form method="post"' in page.text
        head = http.head(link)
        assert head.status == 200
        assert head.body == b""
        assert head.headers["content-type"].startswith("text/html")
        assert head.headers["cache-control"] == "no-store"
        assert head.headers["referrer-policy"] == "no-referrer"

    assert state(flow) == before

    # The link was only looked at: it still performs its action, once.
    assert http.form_post(link).status == POST_STATUS[purpose]
    after = state(flow)
    assert after["registration"]["status"] == STATUS_AFTER[purpose]
    assert after["links"][purpose]["status"] == "used"
    assert after["mails"] == before["mails"] + (0 if purpose == "unlock" else 1)


# -- used links ---------------------------------------------------------------------------

@pytest.mark.parametrize("purpose", PURPOSES)
def test_replayed_link_answers_410_and_changes_nothing(http, flow_for, state, purpose):
    flow = flow_for(purpose)
    link = flow.links[purpose]
    first = http.form_post(link)
    assert_page(first, POST_STATUS[purpose])
    after_first = state(flow)

    offer = purpose == "unlock"
    assert_gone_page(http.form_post(link), offer=offer)
    assert_gone_page(http.get(link), offer=offer)
    head = http.head(link)
    assert head.status == 410 and head.body == b""
    assert_gone_page(http.form_post(link), offer=offer)

    assert state(flow) == after_first
    assert registration_status(http, flow) == STATUS_AFTER[purpose]


# -- expiry -------------------------------------------------------------------------------

def test_unlock_link_expires_after_seven_days(http, flows, state, clock):
    flow = flows("email")
    link = flow.links["unlock"]
    before = state(flow)
    clock.advance(days=7, seconds=1)

    assert_gone_page(http.get(link))
    assert_gone_page(http.form_post(link))
    assert http.head(link).status == 410
    assert state(flow) == before
    access = http.get(f"/tours/{flow.tour_id}/access", headers={"X-Viewer-Token": flow.viewer_token})
    assert access.json["status"] == "pending_email"


def test_unlock_link_works_just_before_expiry(http, flows, clock):
    flow = flows("email")
    link = flow.links["unlock"]
    clock.advance(days=7, seconds=-1)

    assert_page(http.get(link), 200)
    done = http.form_post(link)
    assert done.status == 303
    assert done.headers["location"].startswith("https://touren.example/altbau#freigabe=")
    assert registration_status(http, flow) == "unlocked"


@pytest.mark.parametrize("purpose", ["approve", "deny"])
def test_decision_links_live_fourteen_days(http, flows, clock, purpose):
    flow = flows("manual")
    clock.advance(days=14, seconds=-1)

    for each in ("approve", "deny"):
        assert_page(http.get(flow.links[each]), 200)
    assert_page(http.form_post(flow.links[purpose]), 200)
    assert registration_status(http, flow) == STATUS_AFTER[purpose]


def test_decision_links_expire_after_fourteen_days(http, flows, state, clock):
    flow = flows("manual")
    before = state(flow)
    clock.advance(days=14, seconds=1)

    for purpose in ("approve", "deny"):
        assert_gone_page(http.get(flow.links[purpose]))
        assert_gone_page(http.form_post(flow.links[purpose]))
    assert state(flow) == before
    assert registration_status(http, flow) == "pending_approval"


def test_unlock_link_is_still_valid_on_day_eight_for_decision_links_only(http, flows, clock):
    """Each purpose has its own lifetime: after 7 days and a second the unlock link is gone
    while the approve/deny links of the same moment still work."""
    email_flow, manual_flow = flows("email"), flows("manual")
    clock.advance(days=7, seconds=1)
    assert http.get(email_flow.links["unlock"]).status == 410
    assert http.get(manual_flow.links["approve"]).status == 200
    assert http.get(manual_flow.links["deny"]).status == 200


# -- a token is bound to its purpose ------------------------------------------------------

@pytest.mark.parametrize(("purpose", "used_as"), [
    ("approve", "unlock"), ("approve", "deny"),
    ("deny", "approve"), ("deny", "unlock"),
    ("unlock", "approve"), ("unlock", "deny"),
])
def test_token_under_another_purpose_is_gone_and_does_nothing(
        http, flow_for, state, purpose, used_as):
    flow = flow_for(purpose)
    wrong = f"/links/{used_as}/{flow.token(purpose)}"
    before = state(flow)

    assert_gone_page(http.get(wrong))
    assert http.head(wrong).status == 410
    assert_gone_page(http.form_post(wrong))
    assert_gone_page(http.form_post(wrong))

    assert state(flow) == before
    # The real link is untouched and still does its own job.
    assert_page(http.get(flow.links[purpose]), 200)
    assert http.form_post(flow.links[purpose]).status == POST_STATUS[purpose]
    assert registration_status(http, flow) == STATUS_AFTER[purpose]


# -- unknown and malformed ----------------------------------------------------------------

@pytest.mark.parametrize("purpose", PURPOSES)
def test_unknown_well_formed_token_is_404_page(http, flows, state, purpose):
    flow = flows("manual")
    before = state(flow)
    path = f"/links/{purpose}/{WELL_FORMED_UNKNOWN}"
    for reply in (http.get(path), http.form_post(path)):
        assert_page(reply, 404)
        assert '<html lang="de">' in reply.text
        assert "Link nicht gefunden" in reply.text
        assert "<form" not in reply.text
    head = http.head(path)
    assert head.status == 404 and head.body == b""
    assert state(flow) == before


MALFORMED = (
    "abc",                      # too short
    "A" * 19,                   # one short of the minimum
    "A" * 129,                  # too long
    "A" * 20 + "!",             # bad character
    "A" * 20 + ".B",            # bad character
    "A" * 20 + "~",             # bad character
    "A" * 20 + "%20",           # encoded space
)


@pytest.mark.parametrize("purpose", PURPOSES)
def test_malformed_token_is_404(http, flow_for, state, purpose):
    flow = flow_for(purpose)
    before = state(flow)
    for token in MALFORMED:
        path = f"/links/{purpose}/{token}"
        for reply in (http.get(path), http.form_post(path), http.head(path)):
            assert reply.status == 404, (token, reply.status, reply.body)
    # A live token with something appended or cut off is no token either.
    live = flow.token(purpose)
    for token in (live + "!", live[:19]):
        assert http.form_post(f"/links/{purpose}/{token}").status == 404
    assert state(flow) == before


@pytest.mark.parametrize("segment", ["purpose", "token"])
def test_an_absurdly_long_path_segment_is_the_404_page_not_json(http, segment):
    """Found by schemathesis: a segment over 200 characters is refused before the handler
    runs, and was answered with the JSON envelope instead of the link page."""
    long = "A" * 201
    path = f"/links/{long}/{WELL_FORMED_UNKNOWN}" if segment == "purpose" else (
        f"/links/unlock/{long}")
    for reply in (http.get(path), http.form_post(path)):
        assert_page(reply, 404)
        assert "Link nicht gefunden" in reply.text
    head = http.head(path)
    assert_page(head, 404)
    assert head.body == b""


@pytest.mark.parametrize("purpose", ["confirm", "approval", "UNLOCK", "x"])
def test_unknown_purpose_is_404_even_with_a_live_token(http, flows, state, purpose):
    flow = flows("manual")
    before = state(flow)
    for token in (flow.token("approve"), flow.token("deny"), WELL_FORMED_UNKNOWN):
        path = f"/links/{purpose}/{token}"
        assert_page(http.get(path), 404)
        assert_page(http.form_post(path), 404)
        assert http.head(path).status == 404
    assert state(flow) == before


# -- what a browser (or another client) posts ---------------------------------------------

POST_VARIANTS = {
    "no content type, empty body": (None, b""),
    "form": ("application/x-www-form-urlencoded", b"confirm=1"),
    "form with charset": ("application/x-www-form-urlencoded; charset=UTF-8", b"confirm=1"),
    "form, empty body": ("application/x-www-form-urlencoded", b""),
    "multipart form": ("multipart/form-data; boundary=xyz",
                       b'--xyz\r\nContent-Disposition: form-data; name="confirm"\r\n\r\n1\r\n'
                       b"--xyz--\r\n"),
    "json, empty body": ("application/json", b""),
}


@pytest.mark.parametrize("purpose", PURPOSES)
def test_post_is_accepted_in_the_shapes_clients_send(http, flow_for, purpose):
    for variant, (content_type, body) in POST_VARIANTS.items():
        flow = flow_for(purpose)
        reply = raw_post(http, flow.links[purpose], content_type, body)
        assert reply.status_code == POST_STATUS[purpose], (variant, reply.body)
        assert reply.headers["Cache-Control"] == "no-store", variant
        assert reply.headers["Referrer-Policy"] == "no-referrer", variant
        assert registration_status(http, flow) == STATUS_AFTER[purpose], variant
        # ... and once only.
        again = raw_post(http, flow.links[purpose], content_type, body)
        assert again.status_code == 410, variant
