"""The real local stack (``python -m devstack``) in a subprocess, walked over HTTP: the
email-mode flow with the mail read from ``/dev/outbox``, the dev routes, and Ctrl-C."""

from __future__ import annotations

import re
import signal
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.live_stack import STOP_TIMEOUT, Running, Stack, group_alive, local_stack


@pytest.fixture(scope="module")
def running() -> Iterator[Running]:
    with local_stack() as run:
        yield run



def _tour_payload() -> dict[str, Any]:
    return {
        "title": "Altbauwohnung Prenzlauer Berg", "tour_url": "https://touren.example/altbau",
        "property_id": "prop-e2e",
        "protection": {"mode": "email", "required_fields": ["first_name", "last_name"],
                       "protected_viewpoints": ["wohnzimmer", "bad"]},
        "contact": {"name": "Dana Demo", "company": "Demo Makler GmbH",
                    "email": "dana@demo-makler.de", "phone": "+49 30 1234567"},
    }


def _register(stack: Stack, tour_id: str, email: str) -> dict[str, Any]:
    answer = stack.call("POST", f"/tours/{tour_id}/registrations", json_body={
        "first_name": "Eva", "last_name": "Müller", "email": email, "privacy_accepted": True})
    assert answer.status == 202, answer.body
    return answer.json


def _unlock_link(stack: Stack, email: str) -> str:
    answer = stack.call("GET", "/dev/outbox")
    assert answer.status == 200
    mails = [m for m in answer.json["messages"] if m["to"] == [email]]
    assert len(mails) == 1, answer.json
    [mail] = mails
    assert set(mail) >= {"id", "to", "from", "subject", "text", "html", "sent_at"}
    # v2 (issue 19): the unverified address is greeted without the typed name.
    assert mail["text"].startswith("Guten Tag,")
    assert "Müller" not in mail["text"] and "Müller" not in mail["html"]
    links = set(re.findall(rf"{re.escape(stack.base)}/links/unlock/[A-Za-z0-9_-]+",
                           mail["text"]))
    assert len(links) == 1, mail["text"]
    return links.pop()


def _access(stack: Stack, tour_id: str, viewer: str) -> str:
    answer = stack.call("GET", f"/tours/{tour_id}/access", headers={"X-Viewer-Token": viewer})
    assert answer.status == 200
    return answer.json["status"]


def test_seeded_tokens_are_printed(running: Running) -> None:
    log = running.log()
    for token in ("demo-agency-token", "other-agency-token", "demo-qa-token"):
        assert token in log


def test_email_mode_walk_through_over_http(running: Running) -> None:
    stack = running.stack
    created = stack.call("POST", "/agency/tours", json_body=_tour_payload(),
                         token="demo-agency-token")
    assert created.status == 201, created.body
    tour_id = created.json["tour_id"]

    registered = _register(stack, tour_id, "eva.e2e@example.org")
    assert registered["status"] == "pending_email"
    viewer = registered["viewer_token"]
    assert _access(stack, tour_id, viewer) == "pending_email"

    link = _unlock_link(stack, "eva.e2e@example.org")

    page = stack.call("GET", link)
    assert page.status == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.text.count("<form") == 1
    assert '<form method="post"' in page.text
    assert "Rundgang freischalten" in page.text

    # Mail scanners fetch links: HEAD (and GET) change nothing.
    head = stack.call("HEAD", link)
    assert head.status == 200
    assert head.body == b""
    assert head.headers["cache-control"] == "no-store"
    assert _access(stack, tour_id, viewer) == "pending_email"
    assert stack.call("GET", link).status == 200

    done = stack.call("POST", link, form="")
    assert done.status == 303, done.body
    location = done.headers["location"]
    assert location.startswith("https://touren.example/altbau#freigabe=")
    new_viewer = location.split("#freigabe=", 1)[1]
    assert _access(stack, tour_id, new_viewer) == "unlocked"
    assert _access(stack, tour_id, viewer) == "unlocked"
    assert _access(stack, tour_id, "not-a-token") == "locked"

    replay = stack.call("POST", link, form="")
    assert replay.status == 410
    assert "text/html" in replay.headers["content-type"]
    assert stack.call("GET", link).status == 410
    assert stack.call("HEAD", link).status == 410

    stats = stack.call("GET", f"/agency/tours/{tour_id}/stats", token="demo-agency-token")
    v1 = {k: v for k, v in stats.json.items() if k not in ("funnel", "viewpoints")}
    assert v1 == {"registrations": 1, "unlocked": 1, "pending_email": 0,
                  "pending_approval": 0, "denied": 0}
    # v2 adds the funnel beside the v1 counts (contract, viewing statistics).
    assert stats.json["funnel"]["registrations"] == 1 and stats.json["funnel"]["unlocked"] == 1


def test_dev_clock_moves_the_application_and_returns_to_real_time(running: Running) -> None:
    stack = running.stack
    tour_id = stack.call("POST", "/agency/tours", json_body=_tour_payload(),
                         token="demo-agency-token").json["tour_id"]
    _register(stack, tour_id, "clock.e2e@example.org")
    link = _unlock_link(stack, "clock.e2e@example.org")

    later = datetime.now(UTC).year + 1
    moved = stack.call("PUT", "/dev/clock", json_body={"now": f"{later}-06-01T12:00:00Z"})
    assert moved.status == 200, moved.body
    assert moved.json["now"].startswith(f"{later}-06-01T12:00:")
    assert moved.json["now"].endswith("Z")
    assert stack.call("GET", link).status == 410  # the unlock link is valid for 7 days

    bad = stack.call("PUT", "/dev/clock", json_body={"now": "morgen"})
    assert bad.status == 422
    assert "now" in bad.json["error"]["fields"]

    before = datetime.now(UTC)
    reset = stack.call("DELETE", "/dev/clock")
    assert reset.status == 200
    now = datetime.fromisoformat(reset.json["now"].replace("Z", "+00:00"))
    assert abs((now - before).total_seconds()) < 60
    assert stack.call("GET", link).status == 200


def test_mail_retry_job_runs_and_reports(running: Running) -> None:
    answer = running.stack.call("POST", "/dev/jobs/mail-retry", json_body={})
    assert answer.status == 200, answer.body
    # Every mail so far went out with its request: nothing is due.
    assert answer.json == {"job": "mail-retry", "due": 0, "sent": 0, "rescheduled": 0,
                           "failed": 0, "skipped": 0}
    assert running.stack.call("POST", "/dev/jobs/no-such-job", json_body={}).status == 404


def test_sigint_stops_everything() -> None:
    with local_stack() as running:
        process = running.process
        assert running.stack.call("GET", "/health").status == 200
        process.send_signal(signal.SIGINT)
        try:
            code = process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"local stack still running {STOP_TIMEOUT}s after SIGINT:\n"
                        f"{running.log()}")
        assert code == 0, running.log()
        assert "stopped" in running.log()
        assert not group_alive(process.pid), "a child of the local stack outlived it"
        with pytest.raises(urllib.error.URLError):
            urllib.request.urlopen(f"{running.stack.base}/health", timeout=2)
