"""Token properties (issue 8, section 5): at least 128 bits of randomness in every secret
handed out (the generator and the real tokens from mails and answers), only hashes stored
(every item of every table is read and searched for every token issued), lookups by hash
(the one GetItem a link costs is keyed by the token's SHA-256), purpose binding and expiry.
Single use under 20 parallel POSTs runs against the live stack: ``test_parallel_links``."""

from __future__ import annotations

import base64
import inspect
import math
import re
from typing import Any

from chalicelib import secrets_util
from chalicelib.secrets_util import new_id, new_secret, sha256_hex
from tests.conftest import DEMO, QA
from tests.faults.scenarios import World
from tests.faults.worlds import SesFaults
from tests.support import all_items

LINK = re.compile(r"http://freigabe\.test/links/([a-z-]+)/([A-Za-z0-9_-]+)")
ENTRY = re.compile(r"#freigabe=([a-z2-7]{26})\.([A-Za-z0-9_-]+)")


def bits_of_urlsafe(token: str) -> float:
    return len(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))) * 8


def test_the_generators_draw_at_least_128_bits_from_the_os():
    assert bits_of_urlsafe(new_secret()) >= 128
    assert len(new_id()) * math.log2(32) >= 128
    # ``secrets`` (the OS CSPRNG), never ``random``.
    source = inspect.getsource(secrets_util)
    assert "secrets.token_urlsafe" in source and "secrets.token_bytes" in source
    assert "import random" not in source
    # 10 000 draws, no repeats: not a counter, not a seeded generator.
    assert len({new_secret() for _ in range(10_000)}) == 10_000


def everything_issued(world: World) -> dict[str, set[str]]:
    """Drives every flow that hands out a secret and returns what was handed out: link
    tokens from the mails, viewer tokens from answers, redirects and mails."""
    viewer: set[str] = set()
    email_tour, manual_tour = world.tour("email"), world.tour("manual")
    for n, tour in enumerate((email_tour, manual_tour, manual_tour)):
        viewer.add(world.register(tour, email=f"p{n}@example.org")["viewer_token"])
    world.ok(world.http.form_post(world.link("unlock")), 303)
    unlock = world.http.form_post(world.link("approve", "dana@demo-makler.de"))
    assert unlock.status in (200, 410)
    world.ok(world.http.form_post(world.link("unlock")), 410)
    review_id = world.confirmed_review()
    world.ok(world.http.post(f"/qa/reports/{world.report(review_id)}/request-statement", {},
                             token=QA))
    world.consent_mail()
    links: set[str] = set()
    for message in world.outbox():
        for part in (message["text"], message["html"]):
            links.update(token for _purpose, token in LINK.findall(part))
            viewer.update(f"{rid}.{secret}" for rid, secret in ENTRY.findall(part))
    return {"links": links, "viewer": viewer}


def test_every_token_handed_out_has_128_bits_and_is_stored_only_as_a_hash(world, container):
    issued = everything_issued(world)
    assert len(issued["links"]) >= 10 and len(issued["viewer"]) >= 3
    for token in issued["links"]:
        assert bits_of_urlsafe(token) >= 128, token
    secrets_only = {v.split(".", 1)[1] for v in issued["viewer"]}
    for secret in secrets_only:
        assert bits_of_urlsafe(secret) >= 128

    stored = repr(all_items(container.settings.region))
    clear = [t for t in issued["links"] | secrets_only | {DEMO, QA} if t in stored]
    assert clear == [], f"tokens stored in clear: {clear}"
    hashes = {sha256_hex(t) for t in issued["links"]}
    assert sum(1 for h in hashes if h in stored) == len(hashes)  # looked up by these


def test_an_unsent_mail_is_the_only_place_its_link_waits_in_clear(world, container):
    # The outbox must keep a throttled mail's body (with its link) until it is sent; the
    # body goes with the send. Nothing else holds the token.
    ses = SesFaults(container.ses)
    ses.planned.append("TooManyRequestsException")
    tour = world.tour("email")
    registered = world.register(tour)
    stored = all_items(container.settings.region)
    holders = [i for items in stored.values() for i in items if "/links/unlock/" in repr(i)]
    assert [i["pk"] for i in holders] == [f"MAIL#{registered['registration_id']}-unlock"]
    world.clock.advance(minutes=2)
    world.ok(world.http.post("/dev/jobs/mail-retry", {}))
    token = world.link("unlock").rsplit("/", 1)[1]
    assert token not in repr(all_items(container.settings.region))


def test_a_link_costs_one_read_keyed_by_the_tokens_hash(world, container):
    world.register(world.tour("email"))
    link = world.link("unlock")
    token = link.rsplit("/", 1)[1]
    keys: list[Any] = []

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        keys.append((model.name, params.get("Key")))

    container.dynamodb.meta.events.register("before-parameter-build.dynamodb", record)
    assert world.http.get(link).status == 200
    assert keys == [("GetItem", {"pk": {"S": f"LINK#{sha256_hex(token)}"}, "sk": {"S": "LINK"}})]
    # A token that differs in its last character is a different key, not a near miss.
    keys.clear()
    other = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert world.http.get(link[:-1] + other[-1]).status == 404
    assert keys[0][1]["pk"]["S"] == f"LINK#{sha256_hex(other)}"


def test_secret_comparisons_are_constant_time():
    # Viewer tokens are checked against the stored hashes with hmac.compare_digest; bearer
    # tokens and links are looked up by hash (above), so no comparison of secrets remains.
    assert "hmac.compare_digest" in inspect.getsource(secrets_util.same_secret)
    from chalicelib.tours import service

    assert "same_secret(" in inspect.getsource(service.TourService)


def test_a_viewer_token_opens_only_its_own_tour(world):
    first, second = world.tour("email"), world.tour("email")
    viewer = world.register(first)["viewer_token"]
    world.ok(world.http.form_post(world.link("unlock")), 303)
    own = world.http.get(f"/tours/{first['tour_id']}/access", headers={"X-Viewer-Token": viewer})
    assert own.json["status"] == "unlocked"
    foreign = world.http.get(f"/tours/{second['tour_id']}/access",
                             headers={"X-Viewer-Token": viewer})
    assert foreign.json["status"] == "locked"
    registration_id, secret = viewer.split(".", 1)
    for forged in (f"{registration_id}.{secret[:-1]}", f"{registration_id}.", registration_id,
                   f"{registration_id}.{secret}x", f"{registration_id}.{sha256_hex(secret)}"):
        reply = world.http.get(f"/tours/{first['tour_id']}/access",
                               headers={"X-Viewer-Token": forged})
        assert reply.json["status"] == "locked", forged


def test_a_link_is_bound_to_its_purpose_and_expires(world):
    world.register(world.tour("manual"))
    approve = world.link("approve")
    token = approve.rsplit("/", 1)[1]
    for purpose in ("deny", "unlock", "review-confirm", "consent", "deletion-request"):
        assert world.http.form_post(f"/links/{purpose}/{token}").status == 410, purpose
    world.clock.advance(days=14, seconds=1)
    assert world.http.get(approve).status == 410
    assert world.http.form_post(approve).status == 410
    pending = world.http.get("/agency/tours", token=DEMO)
    assert pending.status == 200
