"""The soak (issue 8, section 4): mixed traffic from several threads against the real local
stack while its clock advances and the jobs run; bounded by ``FREIGABE_SOAK_SECONDS``
(60 here; ``make soak`` runs 600). Prints a summary; see ``tests/soak/traffic.py``."""

from __future__ import annotations

import json
import os

from tests.live_stack import local_stack
from tests.soak.traffic import Soak

# After warm-up the server may grow by a fifth, plus what the stand-ins keep per record:
# moto holds every item (each attribute a DynamoType object) and every sent mail in memory,
# and the deep copy each transaction takes grows with the tables (about 85 KiB per
# registration measured in-process, with Python object counts flat; up to ~250 KiB per
# registration or review over a 10-minute soak). A leak grows with requests, not records:
# the one found here (moto tracking every table copy) was about 1 MB per registration.
RSS_GROWTH_LIMIT = 0.20
DATA_KIB_PER_RECORD = 320


def test_soak_on_the_local_stack_loses_nothing_and_repeats_nothing():
    seconds = float(os.environ.get("FREIGABE_SOAK_SECONDS", "60"))
    with local_stack() as run:
        summary = Soak(run, seconds).execute()
    print("\nsoak summary:", json.dumps(summary, indent=1, ensure_ascii=False))

    assert summary["server_errors"] == 0, summary
    assert summary["accepted_registrations"] > 0
    assert summary["listed_twice_or_missing"] == 0, summary
    # A registration whose answer the client gave up on may exist without being known.
    timed_out = sum(n for kind, n in summary["client_timeouts"].items()
                    if kind.startswith("register"))
    assert summary["unknown_listed"] <= timed_out, summary
    assert sum(summary["client_timeouts"].values()) <= max(2, summary["requests"] // 100), summary
    assert set(summary["unlock_mails_per_email_registration"]) == {1}, summary
    assert summary["links_used"] > 0 and summary["links_used_twice"] == 0, summary
    assert set(summary["replays"]) == {410}, summary
    assert summary["reviews_submitted"] > 0
    rss = summary["rss_kib"]
    records = summary["accepted_registrations"] + summary["reviews_submitted"]
    allowed = rss["warm"] * (1 + RSS_GROWTH_LIMIT) + DATA_KIB_PER_RECORD * records
    assert rss["end"] <= allowed, (rss, records)
