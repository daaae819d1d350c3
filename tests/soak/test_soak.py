"""The soak (issue 8, section 4): mixed traffic from several threads against the real local
stack while its clock advances and the jobs run; bounded by ``FREIGABE_SOAK_SECONDS``
(60 here; ``make soak`` runs 600). Prints a summary; see ``tests/soak/traffic.py``."""

from __future__ import annotations

import json
import os

from tests.live_stack import local_stack
from tests.soak.traffic import Soak

# After warm-up the server may grow by this much (the stand-ins keep every item and every
# sent mail in memory, so some growth is data, not a leak).
RSS_GROWTH_LIMIT = 0.20


def test_soak_on_the_local_stack_loses_nothing_and_repeats_nothing():
    seconds = float(os.environ.get("FREIGABE_SOAK_SECONDS", "60"))
    with local_stack() as run:
        summary = Soak(run, seconds).execute()
    print("\nsoak summary:", json.dumps(summary, indent=1, ensure_ascii=False))

    assert summary["server_errors"] == 0, summary
    assert summary["accepted_registrations"] > 0
    assert summary["listed_twice_or_missing"] == 0, summary
    assert summary["unknown_listed"] == 0, summary
    assert set(summary["unlock_mails_per_email_registration"]) == {1}, summary
    assert summary["links_used"] > 0 and summary["links_used_twice"] == 0, summary
    assert set(summary["replays"]) == {410}, summary
    assert summary["reviews_submitted"] > 0
    rss = summary["rss_kib"]
    assert rss["end"] <= rss["warm"] * (1 + RSS_GROWTH_LIMIT), rss
