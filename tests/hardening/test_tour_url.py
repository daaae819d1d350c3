"""Issue 19, hole 4: ``tour_url`` is stored as an ASCII URI and must be https (locally
also http://127.0.0.1…/localhost…); the unlock redirect never carries an IRI (it used to
commit the unlock and then crash writing the ``Location`` header)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from chalicelib.storage.dynamo import Update
from chalicelib.tours.repository import tour_key
from chalicelib.tours.tour_url import TourUrlError, ascii_uri, check_scheme
from tests.conftest import DEMO, registration_payload, tour_payload
from tests.support import links_of

IRI = "https://Küchen-Studio.example/rundgänge/wohnküche-€?raum=Bad&größe=80%"
# The host by IDNA (Python's own codec agrees for this label), the rest percent-encoded
# UTF-8; the stray "%" becomes "%25".
URI = ("https://xn--kchen-studio-dlb.example/rundg%C3%A4nge/wohnk%C3%BCche-%E2%82%AC"
       "?raum=Bad&gr%C3%B6%C3%9Fe=80%25")


def _unlock(http: Any, outbox: Any, tour_id: str, email: str) -> Any:
    reply = http.post(f"/tours/{tour_id}/registrations", registration_payload(email=email))
    assert reply.status == 202, reply.body
    message = [m for m in outbox() if email in m["to"]][-1]
    (link,) = links_of(message, "unlock")
    return http.form_post(link)


def test_an_iri_is_stored_as_an_ascii_uri_and_the_redirect_is_ascii(http, outbox):
    created = http.post("/agency/tours", tour_payload(tour_url=IRI), token=DEMO)
    assert created.status == 201, created.body
    assert created.json["tour_url"] == URI
    assert http.get(f"/agency/tours/{created.json['tour_id']}", token=DEMO
                    ).json["tour_url"] == URI
    unlocked = _unlock(http, outbox, created.json["tour_id"], "eva@example.org")
    assert unlocked.status == 303
    location = unlocked.headers["location"]
    location.encode("ascii")  # a header value; an IRI here crashed the response
    assert location.startswith(URI + "#freigabe=")


def test_a_tour_stored_with_an_iri_before_the_rule_still_redirects_in_ascii(
        http, outbox, container):
    created = http.post("/agency/tours", tour_payload(), token=DEMO).json
    container.tours.repo.table.update(*tour_key(created["tour_id"]),
                                      Update(sets={"tour_url": IRI}))
    unlocked = _unlock(http, outbox, created["tour_id"], "otto@example.org")
    assert unlocked.status == 303
    assert re.fullmatch(re.escape(URI) + r"#freigabe=[a-z2-7]{26}\.[A-Za-z0-9_-]+",
                        unlocked.headers["location"])


@pytest.mark.parametrize("url", ["http://touren.example/altbau", "http://192.168.1.5/x",
                                 "http://localhost.evil.example/x", "HTTP://touren.example/"])
def test_plain_http_is_refused(http, url):
    reply = http.post("/agency/tours", tour_payload(tour_url=url), token=DEMO)
    assert reply.status == 422, reply.body
    assert "https" in reply.json["error"]["fields"]["tour_url"]


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/demo/tours/x", "http://localhost/x"])
def test_http_to_this_machine_is_allowed_on_the_local_stack(http, url):
    assert http.post("/agency/tours", tour_payload(tour_url=url), token=DEMO).status == 201


def test_http_to_this_machine_is_refused_in_a_deployed_stage(http, container, monkeypatch):
    deployed = container.settings.model_copy(update={"stage": "prod", "hash_key": "k"})
    monkeypatch.setattr(container.tours, "settings", deployed)
    reply = http.post("/agency/tours", tour_payload(tour_url="http://127.0.0.1:8000/x"),
                      token=DEMO)
    assert reply.status == 422 and "tour_url" in reply.json["error"]["fields"]
    with pytest.raises(TourUrlError):
        check_scheme("http://localhost/x", local=False)


def test_an_existing_http_tour_keeps_redirecting_until_its_next_put(http, outbox, container):
    payload = tour_payload()
    created = http.post("/agency/tours", payload, token=DEMO).json
    legacy = "http://touren.example/altbau"
    container.tours.repo.table.update(*tour_key(created["tour_id"]),
                                      Update(sets={"tour_url": legacy}))
    unlocked = _unlock(http, outbox, created["tour_id"], "alt@example.org")
    assert unlocked.status == 303
    assert unlocked.headers["location"].startswith(legacy + "#freigabe=")
    replaced = http.put(f"/agency/tours/{created['tour_id']}", {**payload, "tour_url": legacy},
                        token=DEMO)
    assert replaced.status == 422 and "tour_url" in replaced.json["error"]["fields"]
    assert http.put(f"/agency/tours/{created['tour_id']}", payload, token=DEMO).status == 200


@pytest.mark.parametrize("url", ["https://user:pw@touren.example/x", "https://touren.example:99999/",
                                 "https://exa mple.org/", "https://[zz::1]/", "https://-bad-.example/",
                                 "https://a..b/", "https://touren.example/a b"])
def test_malformed_hosts_are_refused(url):
    with pytest.raises(TourUrlError):
        ascii_uri(url)


def test_ascii_uris_stay_as_they_are():
    for url in ("https://touren.example/altbau", "https://touren.example/a%20b?x=1&y=%C3%A4",
                "https://[2001:db8::1]:8443/t", "http://127.0.0.1:8000/demo/tours/abc"):
        assert ascii_uri(url) == url
        assert ascii_uri(ascii_uri(url)) == url
