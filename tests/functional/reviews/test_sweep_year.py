"""A year of nightly ``review-sweep`` runs on the local stack (issue 17's "done when").

200 reviews arrive one every 6.5 hours (four a day stay under the burst rule, so none is
flagged) and are published through the real submit and confirm path, which draws each
one's sample plan. The clock then moves night by night until every review has lived a
full 365-day period, the sweep running every night. In its first period each review is
asked at most once, the number asked lies within share·N ± 3σ, every ask is one mail and
the sweep's own count agrees. ``pytest -rP`` prints the figures (the note quotes them).

The share is 25 % here, not the default 5 %: at 5 % the 3σ band of 200 reviews is
10 ± 9.2 and lets almost any count through, at 25 % it is 50 ± 18.4. moto runs with the
local stack's speed-ups (``devstack.fastmoto``, as ``make run``; tests/unit/test_fastmoto.py
shows they answer as plain moto does): plain moto's Query sorts the whole table on every
call, so each of the 420 nights cost in proportion to everything stored and the test took
17 minutes.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from chalicelib.clock import berlin_date
from chalicelib.config import Settings
from chalicelib.devtools import parse_raw_mail
from tests.conftest import START
from tests.functional.reviews.support import qa_review, submit
from tests.support import links_of

N = 200
SHARE = 0.25
ARRIVAL = timedelta(hours=6, minutes=30)
PERIOD = timedelta(days=365)
# Words drawn per review: texts as different as real customers' (the similarity check's
# three-word shingles must not see one template 200 times and flag them as borderline).
_VOCABULARY = ("Beratung Besichtigung Preis Exposé Übergabe Notartermin Wohnung Haus Garten Keller "
         "Balkon Küche Termin Rückruf Angebot Kaufvertrag Mietvertrag Unterlagen Grundriss "
         "Energieausweis Nachbarschaft Lage Makler Maklerin Team Telefon Nachricht Antwort "
         "schnell freundlich gründlich pünktlich ehrlich kompetent geduldig klar hilfreich "
         "zuverlässig sorgfältig offen realistisch fair angenehm ruhig sachlich verbindlich "
         "immer gerne wieder sehr gut alles bestens zufrieden empfehlen Familie Umzug Kauf "
         "Verkauf Vermietung Fragen Fotos Anzeige Interessenten Bank Finanzierung Gutachten "
         "Schlüssel Protokoll Zählerstände Hausverwaltung Eigentümer Mieter Woche Monat")
WORDS = _VOCABULARY.split()


@pytest.fixture(autouse=True)
def local_stack_moto() -> Iterator[None]:
    from devstack import fastmoto

    assert fastmoto.install(), "devstack.fastmoto does not fit this moto version"
    yield
    fastmoto.uninstall()


@pytest.fixture
def settings() -> Settings:
    return Settings.from_env().model_copy(update={"review_reverify_share_per_year": SHARE})


class Outbox:
    """The mails sent since the last look (``outbox()`` parses every mail ever sent on each
    call: over a year of nights that is quadratic and takes half an hour)."""

    def __init__(self, region: str) -> None:
        self.sent = ses_backends[DEFAULT_ACCOUNT_ID][region].sent_messages
        self.seen = len(self.sent)

    def new(self) -> list[dict[str, Any]]:
        fresh = self.sent[self.seen:]
        self.seen = len(self.sent)
        return [parse_raw_mail(m.id, m.raw_data, list(m.destinations)) for m in fresh]


def test_a_year_of_nightly_sweeps_asks_share_n_reviews_once_each(http, clock, container):
    share = container.settings.review_reverify_share_per_year
    assert share == SHARE
    outbox = Outbox(container.settings.region)
    first_night = START.replace(hour=23, minute=0)  # 00:00 in Berlin, winter time
    last_arrival = START + ARRIVAL * (N - 1)
    published_on: dict[str, date] = {}
    asked_on: dict[str, list[date]] = defaultdict(list)
    requested = nights = arrived = 0
    night = first_night
    while night <= last_arrival + PERIOD + timedelta(days=1):
        while arrived < N and START + ARRIVAL * arrived < night:
            clock.set(START + ARRIVAL * arrived)
            email = f"kunde{arrived}@example.org"
            reply = submit(http, ip=f"198.51.{arrived // 250}.{arrived % 250}", email=email,
                           reviewer_name=f"Kundin {arrived}",
                           text=f"Vorgang {arrived}: " + " ".join(
                               random.Random(arrived).sample(WORDS, 16)) + ".")  # noqa: S311
            assert reply.status == 202, reply.body
            [link] = [found for mail in outbox.new() if email in mail["to"]
                      for found in links_of(mail, "review-confirm")]
            assert http.form_post(link).status == 200
            review = qa_review(http, reply.json["review_id"])
            assert review["status"] == "published", review["findings"]
            assert review["reverification_plan"]["flags"] == [], review["reverification_plan"]
            published_on[email] = berlin_date(clock.now())
            arrived += 1
        clock.set(night)
        outbox.new()  # the confirmations' "published" mails
        reply = http.post("/dev/jobs/review-sweep")
        assert reply.status == 200, reply.body
        requested += reply.json["reverification_requested"]
        for mail in outbox.new():
            if "review-reverify" in mail["text"]:
                for to in mail["to"]:
                    asked_on[to].append(berlin_date(night))
        night += timedelta(days=1)
        nights += 1

    assert arrived == N
    assert set(asked_on) <= set(published_on)
    assert requested == sum(len(days) for days in asked_on.values())
    first_period = {to: [d for d in days if d < published_on[to] + PERIOD]
                    for to, days in asked_on.items()}
    twice = [to for to, days in first_period.items() if len(days) > 1]
    asked = sum(1 for days in first_period.values() if days)
    sigma = math.sqrt(N * share * (1 - share))
    figures = {"reviews": N, "share": share, "nights": nights, "asked in first period": asked,
               "expected": round(N * share, 1), "3 sigma": round(3 * sigma, 1),
               "asked in second period": requested - asked, "asked twice": len(twice)}
    print("simulated year:", figures)
    assert not twice, twice
    assert abs(asked - N * share) <= 3 * sigma, figures
