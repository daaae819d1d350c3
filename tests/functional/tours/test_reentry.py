"""A used unlock link stays used (410) but its page offers "Neuen Zugangslink senden": a
form POST mailing a fresh one-time link to the registered address, at most 3 a day."""

from __future__ import annotations

import re
from typing import Any

from tests.conftest import DEMO, registration_payload
from tests.support import every_item
from tests.support import links_of as links_in


def _unlocked(http: Any, make_tour: Any, outbox: Any, **extra: Any) -> tuple[dict[str, Any], str]:
    tour = make_tour("email")
    reply = http.post(f"/tours/{tour['tour_id']}/registrations",
                      registration_payload(**extra))
    assert reply.status == 202
    [link] = links_in(next(m for m in reversed(outbox()) if m["to"] == ["eva@example.org"]),
                      "unlock")
    assert http.form_post(link).status == 303
    return tour, link


def test_the_used_link_offers_a_fresh_link_by_mail(http: Any, make_tour: Any,
                                                   outbox: Any) -> None:
    tour, link = _unlocked(http, make_tour, outbox, viewpoint_id="bad")
    for page in (http.get(link), http.form_post(link)):
        assert page.status == 410
        assert "Neuen Zugangslink senden" in page.text
        assert 'method="post"' in page.text and "eva@example.org" not in page.text
        assert re.search(r'action="[A-Za-z0-9_-]+/resend"', page.text)
    before = len(outbox())
    sent = http.form_post(link + "/resend")
    assert sent.status == 200, sent.text
    assert "neuen Zugangslink" in sent.text
    mails = outbox()[before:]
    assert [m["to"] for m in mails] == [["eva@example.org"]]
    [fresh] = links_in(mails[0], "reentry")
    assert "Rundgang freischalten" in http.get(fresh).text
    entered = http.form_post(fresh)
    assert entered.status == 303
    location = entered.headers["location"]
    assert "#freigabe=" in location and location.endswith("&ansicht=bad")
    token = re.search(r"#freigabe=([^&]+)", location).group(1)
    assert http.get(f"/tours/{tour['tour_id']}/access",
                    headers={"X-Viewer-Token": token}).json["status"] == "unlocked"
    # One-time: the fresh link is used now; the old one still answers 410.
    assert http.form_post(fresh).status == 410
    assert http.form_post(link).status == 410


def test_at_most_three_fresh_links_a_day(http: Any, make_tour: Any, outbox: Any,
                                         clock: Any) -> None:
    _tour, link = _unlocked(http, make_tour, outbox)
    for _ in range(3):
        assert http.form_post(link + "/resend").status == 200
    refused = http.form_post(link + "/resend")
    assert refused.status == 429 and "retry-after" in refused.headers
    assert len([m for m in outbox() if "neuer Zugangslink" in m["subject"]]) == 3
    clock.advance(days=1)
    assert http.form_post(link + "/resend").status == 200


def test_no_offer_for_an_unused_or_unknown_link(http: Any, make_tour: Any, outbox: Any) -> None:
    tour = make_tour("email")
    http.post(f"/tours/{tour['tour_id']}/registrations", registration_payload())
    [link] = links_in(outbox()[-1], "unlock")
    assert http.form_post(link + "/resend").status == 410  # still active: nothing to resend
    assert http.form_post("/links/unlock/" + "x" * 32 + "/resend").status == 404
    # A decided manual request's used link offers nothing.
    manual = make_tour("manual")
    http.post(f"/tours/{manual['tour_id']}/registrations",
              registration_payload(email="max@example.org"))
    mail = next(m for m in reversed(outbox()) if m["to"] == ["dana@demo-makler.de"])
    [approve] = links_in(mail, "approve")
    assert http.form_post(approve).status == 200
    used = http.get(approve)
    assert used.status == 410 and "Neuen Zugangslink senden" not in used.text
    assert http.form_post(approve + "/resend").status == 410


def test_fresh_links_are_erased_with_the_person(http: Any, make_tour: Any, outbox: Any,
                                                container: Any) -> None:
    _tour, link = _unlocked(http, make_tour, outbox)
    assert http.form_post(link + "/resend").status == 200
    [fresh] = links_in(outbox()[-1], "reentry")
    address = http.get("/agency/addresses?email=eva@example.org", token=DEMO).json
    address_id = address["addresses"][0]["address_id"]
    erased = http.request("DELETE", f"/agency/addresses/{address_id}", token=DEMO)
    assert erased.status == 200, erased.body
    assert http.get(fresh).status == 404


def test_the_resend_counter_is_erased_with_the_person(http: Any, make_tour: Any,
                                                      outbox: Any, container: Any) -> None:
    """The day's resend counter names the registration: it goes with the person too."""
    _tour, link = _unlocked(http, make_tour, outbox)
    assert http.form_post(link + "/resend").status == 200

    def counters() -> list[dict[str, Any]]:
        return [i for i in every_item(container.settings.region)
                if str(i["pk"]).startswith("RATE#reentry#")]

    assert len(counters()) == 1
    address = http.get("/agency/addresses?email=eva@example.org", token=DEMO).json
    address_id = address["addresses"][0]["address_id"]
    assert http.request("DELETE", f"/agency/addresses/{address_id}", token=DEMO).status == 200
    assert counters() == []
